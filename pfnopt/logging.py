"""Optuna's ``optuna.logging`` functions for pfnopt's logger (the standard ``logging`` module's
``"pfnopt"`` logger; nothing of its own).

``set_verbosity(pfnopt.logging.WARNING)`` silences the per-trial INFO lines, as with Optuna.
By default pfnopt's logger has no handler of its own and messages go to the root logger;
:func:`enable_default_handler` attaches one that writes to stderr.
"""

from __future__ import annotations

import logging as _logging
import sys
import threading

CRITICAL = _logging.CRITICAL
FATAL = _logging.FATAL
ERROR = _logging.ERROR
WARNING = _logging.WARNING
WARN = _logging.WARN
INFO = _logging.INFO
DEBUG = _logging.DEBUG

_ROOT = "pfnopt"
_lock = threading.Lock()
_default_handler: _logging.Handler | None = None


def get_logger(name: str) -> _logging.Logger:
    """The logger ``name``; ``"optuna"`` (``"optuna.x"``) is pfnopt's own (``"pfnopt.x"``), so a
    handler an Optuna program adds to it sees pfnopt's records; other names are put under ``pfnopt.``."""
    if name == "optuna" or name.startswith("optuna."):
        name = _ROOT + name[len("optuna"):]
    if name != _ROOT and not name.startswith(_ROOT + "."):
        name = f"{_ROOT}.{name}"
    return _logging.getLogger(name)


def _root() -> _logging.Logger:
    return _logging.getLogger(_ROOT)


def set_verbosity(verbosity: int) -> None:
    """Set the level of pfnopt's logger (``pfnopt.logging.INFO``, ``WARNING``, ...)."""
    if isinstance(verbosity, bool) or not isinstance(verbosity, int):
        from pfnopt.exceptions import ParameterError

        raise ParameterError(f"verbosity must be a logging level such as pfnopt.logging.WARNING, got {verbosity!r}")
    _root().setLevel(verbosity)


def get_verbosity() -> int:
    """The effective level of pfnopt's logger."""
    return _root().getEffectiveLevel()


def enable_default_handler() -> None:
    """Attach a stderr handler to pfnopt's logger (once)."""
    global _default_handler
    with _lock:
        if _default_handler is None:
            _default_handler = _logging.StreamHandler(sys.stderr)
            _default_handler.setFormatter(_logging.Formatter("[%(levelname)s %(asctime)s] %(message)s"))
        if _default_handler not in _root().handlers:
            _root().addHandler(_default_handler)


def disable_default_handler() -> None:
    """Remove the handler :func:`enable_default_handler` attached (no-op if none)."""
    with _lock:
        if _default_handler is not None:
            _root().removeHandler(_default_handler)


def enable_propagation() -> None:
    """Let pfnopt's records reach the root logger's handlers (the default)."""
    _root().propagate = True


def disable_propagation() -> None:
    """Stop pfnopt's records at pfnopt's logger."""
    _root().propagate = False


__all__ = [
    "CRITICAL", "DEBUG", "ERROR", "FATAL", "INFO", "WARN", "WARNING",
    "disable_default_handler", "disable_propagation", "enable_default_handler", "enable_propagation",
    "get_logger", "get_verbosity", "set_verbosity",
]
