"""Where trials live: the :class:`BaseStorage` contract, in memory or in SQL (SQLite, PostgreSQL).

``get_storage(None)`` gives a fresh in-memory storage, ``get_storage(url)`` the SQL storage of that
URL (one per URL per process), ``get_storage(storage)`` the storage itself. The SQL storage (and
SQLAlchemy, Alembic) is imported only when a URL is used.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from pfnopt.storage.base import BaseStorage
from pfnopt.storage.memory import InMemoryStorage
from pfnopt.storage.urls import DEFAULT_STORAGE_URL, default_storage_url, mask_url

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.storage.sql import SQLStorage

__all__ = [
    "DEFAULT_STORAGE_URL",
    "BaseStorage",
    "InMemoryStorage",
    "SQLStorage",
    "default_storage_url",
    "get_storage",
    "mask_url",
    "upgrade",
]

_CACHE: dict[tuple[int, str, str], BaseStorage] = {}
_CACHE_LOCK = threading.Lock()


def get_storage(storage: "str | BaseStorage | None") -> BaseStorage:
    """``None`` -> a new :class:`InMemoryStorage`; a storage -> itself; a URL -> its SQLStorage.

    SQL storages are cached per URL and per process, so every study of one URL in a process shares
    one connection pool and one finished-trial cache (a forked child opens its own). A relative
    SQLite path means a file under the working directory, so the cache key includes it.
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if not isinstance(storage, str):
        from pfnopt.exceptions import StorageError

        raise StorageError(f"storage must be None, a URL string or a BaseStorage, got {type(storage).__name__}")
    from pfnopt.storage.sql import SQLStorage

    key = (os.getpid(), os.getcwd(), storage)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is None:
            found = _CACHE[key] = SQLStorage(storage)
        return found


def upgrade(url: str) -> str:
    """Apply the Alembic migrations to the database at ``url`` (``pfnopt db upgrade``); a message."""
    from pfnopt.storage.sql.migrate import upgrade as _upgrade

    return _upgrade(url)


def __getattr__(name: str) -> Any:
    if name == "SQLStorage":
        from pfnopt.storage.sql import SQLStorage

        return SQLStorage
    raise AttributeError(f"module 'pfnopt.storage' has no attribute {name!r}")
