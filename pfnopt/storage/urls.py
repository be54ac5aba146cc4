"""Storage URLs: the default, the environment override, password masking and message scrubbing.

Masking works on the PARSED URL (SQLAlchemy's ``make_url``, imported lazily so ``import pfnopt``
stays light), never on a regular expression over the text: a password may hold ``?``, ``#``, ``/``
or ``:`` and SQLAlchemy still reads it as the password, so only the parsed object knows where it
ends. Two extra cases the parser alone does not cover:

* an unencoded ``@`` in the password: SQLAlchemy cuts the password at the first ``@`` and reads
  the rest as part of the host (``u:p@x@host`` -> host ``x@host``); :func:`unencoded_at` detects
  it, :func:`mask_url` then masks up to the last ``@``, and :func:`pfnopt.storage.sql.engine.parse_url`
  refuses such a URL before any connection is tried (the fix: write ``@`` as ``%40``);
* driver messages (which may quote a host or the connection string): every password seen by
  :func:`remember_secret` is replaced by ``***`` in any text passed through :func:`scrub`.
"""

from __future__ import annotations

import os
import re
import threading
import urllib.parse

DEFAULT_STORAGE_URL = "sqlite:///store/pfnopt.db"
"""The embedded default: a SQLite file under ``store/`` relative to the working directory."""

ENV_VAR = "PFNOPT_STORAGE"

ACCEPTED_FORMS = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite:// (in memory), "
    "postgresql+psycopg://user:password@host:port/dbname (postgresql:// means the same; "
    "percent-encode @ in a password as %40)"
)

MASK = "***"
_QUERY_SECRET_KEYS = ("password", "pass", "pwd")
# a URL-shaped token inside free text: scheme://... up to whitespace or a quote
_URL_IN_TEXT = re.compile(r"[A-Za-z][\w+.-]*://[^\s'\"<>;,]+")
# bare user:password@host (no scheme), e.g. in a libpq connection string; greedy to the last @
_BARE_USERINFO = re.compile(r"(?<![\w])([\w.-]+:)(?!//)\S+@(?=[\w.\[])")
_KV_PASSWORD = re.compile(r"(?i)\b(password\s*=\s*)('[^']*'|\S+)")

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()


def default_storage_url() -> str:
    """``$PFNOPT_STORAGE`` if set (and not empty), else :data:`DEFAULT_STORAGE_URL`."""
    return os.environ.get(ENV_VAR) or DEFAULT_STORAGE_URL


MIN_SCRUBBED_LENGTH = 4
"""Passwords (or pieces) shorter than this are masked in URLs but not searched for in free text,
where they would mangle ordinary words; a driver never echoes a password anyway."""


def remember_secret(secret: str | None) -> None:
    """Add a password (its percent-encoded forms, and the pieces between its ``@``) to the texts
    :func:`scrub` removes."""
    if not secret:
        return
    forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret), *secret.split("@")}
    with _SECRETS_LOCK:
        _SECRETS.update(f for f in forms if len(f) >= MIN_SCRUBBED_LENGTH)


def _parse(text: str):
    """SQLAlchemy's URL object for ``text``, or None when it does not parse as a URL."""
    try:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError
    except ImportError:  # pragma: no cover - SQLAlchemy is a core dependency
        return None
    try:
        return make_url(text)
    except (ArgumentError, ValueError, TypeError):
        return None


def unencoded_at(url) -> bool:
    """True when a parsed URL with a user name has an ``@`` in its host or database: the password
    (or user) held an unencoded ``@`` and SQLAlchemy cut it at the first one."""
    if url.username is None:
        return False
    return "@" in (url.host or "") or "@" in (url.database or "")


def _split_at_last_at(text: str) -> tuple[str, str, str] | None:
    """``(scheme://user:, password, host-and-rest)`` splitting at the LAST ``@`` before the query
    (the query starts at the first ``?`` after the first ``@``: a password may hold ``?``)."""
    scheme, sep, rest = text.partition("://")
    first = rest.find("@")
    if not sep or first < 0:
        return None
    q = rest.find("?", first)
    last = rest.rfind("@", 0, q if q >= 0 else len(rest))
    user, colon, password = rest[:last].partition(":")
    return f"{scheme}://{user}{colon}", password, rest[last + 1:]


def true_password(url, text: str) -> str | None:
    """The password as the user wrote it in ``text`` (parsed as ``url``), also with an unencoded ``@``."""
    if url.password is None:
        return None
    if unencoded_at(url):
        parts = _split_at_last_at(text.strip())
        if parts is not None:
            return urllib.parse.unquote(parts[1])
    return str(url.password)


def mask_url(url: object) -> str:
    """The URL with its password replaced by ``***`` (also a ``password=`` query parameter).

    ``postgresql+psycopg://u:s?e#c@h/db`` -> ``postgresql+psycopg://u:***@h/db``; with an unencoded
    ``@`` in the password (``u:p@x@h/db``) everything up to the last ``@`` is masked. Text that is not
    a URL is passed through :func:`scrub`.
    """
    text = str(url).strip()
    parsed = _parse(text) if "://" in text else None
    if parsed is None:  # not parseable (a bad port, say): mask everything before the last '@'
        parts = _split_at_last_at(text)
        if parts is not None and ":" in parts[0].partition("://")[2]:
            return scrub(f"{parts[0]}{MASK}@{parts[2]}", urls=False)
        return scrub(text, urls=False)
    if parsed.password is None and not any(k.lower() in _QUERY_SECRET_KEYS for k in parsed.query):
        return text  # nothing secret: shown exactly as written
    if unencoded_at(parsed):
        parts = _split_at_last_at(text)
        if parts is None:  # pragma: no cover - unencoded_at implies an @
            return scrub(text, urls=False)
        head, _, tail = parts
        reparsed = _parse(f"{head}{MASK}@{tail}" if head.endswith(":") else f"{head}:{MASK}@{tail}")
        if reparsed is None or unencoded_at(reparsed):
            return head.partition("://")[0] + "://" + MASK + "@" + tail
        parsed = reparsed
    query = {k: (MASK if k.lower() in _QUERY_SECRET_KEYS else v) for k, v in parsed.query.items()}
    if query != dict(parsed.query):
        parsed = parsed.set(query=query)
    shown = parsed.render_as_string(hide_password=True)
    return shown.replace("%2A%2A%2A", MASK)  # a masked query value is rendered percent-encoded


def scrub(text: str, urls: bool = True) -> str:
    """``text`` with every URL masked (``urls=True``), bare ``user:password@host`` and ``password=...``
    masked, and every remembered password replaced by ``***``. For driver messages and tracebacks."""
    out = str(text)
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for s in secrets:  # longest first, so a password containing another is removed whole
        out = out.replace(s, MASK)
    if urls:
        out = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), out)
    out = _BARE_USERINFO.sub(lambda m: m.group(1) + MASK + "@", out)
    return _KV_PASSWORD.sub(lambda m: m.group(1) + MASK, out)
