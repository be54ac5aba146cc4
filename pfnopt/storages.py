"""Optuna's ``optuna.storages`` names for pfnopt's storages (``import pfnopt as optuna``):
``RDBStorage(url)`` is pfnopt's SQL storage of that URL (SQLite, PostgreSQL), ``InMemoryStorage``
pfnopt's in-memory one. pfnopt's own schema, not Optuna's: ``pfnopt export optuna`` copies a
study into an Optuna database."""

from __future__ import annotations

from typing import Any

from pfnopt.storage import BaseStorage, InMemoryStorage, get_storage

BaseStorage = BaseStorage


def RDBStorage(url: str, engine_kwargs: dict[str, Any] | None = None, skip_compatibility_check: bool = False,
               *, heartbeat_interval: int | None = None, grace_period: int | None = None,
               failed_trial_callback: Any = None, skip_table_creation: bool = False) -> BaseStorage:  # noqa: N802
    """pfnopt's SQL storage of ``url`` (Optuna's keyword arguments are accepted; heartbeats are set
    on the study in pfnopt: ``create_study(..., heartbeat_interval=...)``)."""
    from pfnopt.exceptions import ParameterError

    if not isinstance(url, str):
        raise ParameterError(f"RDBStorage needs a database URL string, got {url!r}")
    return get_storage(url)


__all__ = ["BaseStorage", "InMemoryStorage", "RDBStorage"]
