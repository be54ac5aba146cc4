"""Storage URLs: the default, the environment override, and password masking.

Imports nothing heavy (no SQLAlchemy), so the CLI and error paths can use it freely.
"""

from __future__ import annotations

import os
import re

DEFAULT_STORAGE_URL = "sqlite:///store/pfnopt.db"
"""The embedded default: a SQLite file under ``store/`` relative to the working directory."""

ENV_VAR = "PFNOPT_STORAGE"

ACCEPTED_FORMS = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite:// (in memory), "
    "postgresql+psycopg://user:password@host:port/dbname (postgresql:// means the same)"
)

_BARE_USERINFO = re.compile(r"([\w.-]+:)[^\s@]+@")
_QUERY_PASSWORD = re.compile(r"(?i)([?&](?:password|pass|pwd)=)[^&#]*")


def default_storage_url() -> str:
    """``$PFNOPT_STORAGE`` if set (and not empty), else :data:`DEFAULT_STORAGE_URL`."""
    return os.environ.get(ENV_VAR) or DEFAULT_STORAGE_URL


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (also a ``password=`` query parameter).

    Works on malformed URLs too: everything between the user name and the LAST ``@`` before any
    ``?`` is the password, so a password containing ``@`` or ``/`` is still masked.
    ``postgresql+psycopg://u:secret@h/db`` -> ``postgresql+psycopg://u:***@h/db``.
    """
    text = str(url)
    scheme, sep, rest = text.partition("://")
    if sep:
        stop = min([i for i in (rest.find("?"), rest.find("#")) if i >= 0] or [len(rest)])
        at = rest.rfind("@", 0, stop)
        user, colon, _ = rest[: max(at, 0)].partition(":")
        if at >= 0 and colon and "/" not in user:
            text = f"{scheme}://{user}:***@{rest[at + 1:]}"
    else:  # no scheme separator: mask anything shaped like user:password@host
        text = _BARE_USERINFO.sub(lambda m: m.group(1) + "***@", text)
    return _QUERY_PASSWORD.sub(lambda m: m.group(1) + "***", text)
