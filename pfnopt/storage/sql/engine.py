"""URL parsing, engine set-up per backend, and the one transaction context used by every call.

SQLite (the embedded default): WAL journal, ``synchronous=NORMAL``, a 30 s busy timeout, and
writers that start with ``BEGIN IMMEDIATE`` so they queue on the busy timeout instead of failing
half-way with "database is locked". Readers use a plain ``BEGIN``: in WAL mode they never block a
writer. ``sqlite://`` (or ``sqlite:///:memory:``) is one shared connection behind a lock.

PostgreSQL: psycopg 3 (``postgresql+psycopg://``; ``postgresql://`` is mapped to it), READ
COMMITTED, a pool with pre-ping so a restarted server costs no failed call, a connect timeout.

Errors: every driver error becomes a one-line :class:`StorageError` naming the backend and the
masked URL, with the driver's text scrubbed of the password (:func:`pfnopt.storage.urls.scrub`).
Errors that may pass (connection lost or refused while the server restarts, serialization
failure, deadlock, a locked SQLite file) become :class:`TransientStorageError`, which
:func:`pfnopt.storage.sql.retry.retrying` retries; ``commit_unknown`` says the connection broke
while the COMMIT of a write was on its way, so the write may have happened (never set for reads).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from pfnopt.exceptions import PfnoptError, StorageError, TransientStorageError, missing_extra
from pfnopt.storage.urls import ACCEPTED_FORMS, mask_url, remember_secret, scrub, true_password, unencoded_at

BUSY_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10
SYNCHRONOUS_ENV = "PFNOPT_SQLITE_SYNCHRONOUS"  # NORMAL (default) or FULL


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL (a persistent property of the file, so only its first opens do work).

    SQLite does not call the busy handler when a connection holding a read lock asks for the
    exclusive lock this change needs while another connection holds the write lock (it would
    deadlock), and answers "database is locked" at once; several workers opening a new database
    together hit exactly that. So the switch is retried here, up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.002
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if ("locked" not in str(e) and "busy" not in str(e)) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(2 * delay, 0.05)


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL for a pfnopt storage URL; StorageError naming the accepted forms."""
    masked = mask_url(url) if isinstance(url, str) else repr(url)
    if not isinstance(url, str) or not url.strip():
        raise StorageError(f"storage URL {masked!r} is empty or not a string; accepted forms: {ACCEPTED_FORMS}")
    try:
        parsed = make_url(url.strip())
    except (exc.ArgumentError, ValueError) as e:
        reason = "cannot be parsed" if isinstance(e, exc.ArgumentError) else f"is malformed ({e})"
        raise StorageError(f"storage URL {masked!r} {reason}; accepted forms: {ACCEPTED_FORMS}") from None
    remember_secret(true_password(parsed, url))
    if unencoded_at(parsed):
        raise StorageError(
            f"storage URL {masked!r}: the user name or password holds an unencoded '@' (the host would be read "
            f"as {parsed.host.rpartition('@')[2]!r} with text before it); write '@' as %40 in the password"
        )
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername not in ("sqlite", "sqlite+pysqlite"):
            raise StorageError(f"storage URL {masked!r}: use the sqlite:// form (driver pysqlite); accepted forms: {ACCEPTED_FORMS}")
        return parsed
    if backend in ("postgresql", "postgres"):
        if parsed.drivername not in ("postgresql", "postgres", "postgresql+psycopg"):
            raise StorageError(
                f"storage URL {masked!r}: pfnopt reaches PostgreSQL through psycopg 3, write "
                f"postgresql+psycopg://... (or postgresql://...); accepted forms: {ACCEPTED_FORMS}"
            )
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise missing_extra("psycopg", "postgres") from None
        return parsed.set(drivername="postgresql+psycopg")
    raise StorageError(f"storage URL {masked!r}: backend {backend!r} is not supported; accepted forms: {ACCEPTED_FORMS}")


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


class Database:
    """One engine, its backend's name, the masked URL, and :meth:`txn`."""

    def __init__(self, url: str):
        self.url = url
        self.masked = mask_url(url)
        self.sa_url = parse_url(url)
        self.backend = "SQLite" if self.sa_url.get_backend_name() == "sqlite" else "PostgreSQL"
        self.is_sqlite = self.backend == "SQLite"
        self.memory = is_memory_sqlite(self.sa_url)
        # one shared connection for an in-memory database: serialise every transaction on it
        self._serial = threading.RLock() if self.memory else contextlib.nullcontext()
        self._pid = os.getpid()
        with self.translate("open"):
            self.engine = self._create_engine()

    # engine set-up ------------------------------------------------------------------------------
    def _create_engine(self) -> Engine:
        if self.is_sqlite:
            return self._sqlite_engine()
        connect_args = {"application_name": "pfnopt"}
        if "connect_timeout" not in self.sa_url.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
        return sa.create_engine(self.sa_url, pool_pre_ping=True, connect_args=connect_args)

    def _sqlite_engine(self) -> Engine:
        connect_args = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
        if self.memory:
            engine = sa.create_engine("sqlite://", poolclass=StaticPool, connect_args=connect_args)
        else:
            # a relative path is resolved once, at open: a later chdir must not switch files
            path = Path(self.sa_url.database).absolute()
            self.sa_url = self.sa_url.set(database=str(path))
            if not path.parent.is_dir():
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as e:
                    raise StorageError(
                        f"SQLite storage {self.masked}: cannot create the folder {str(path.parent)!r} ({e.strerror})"
                    ) from None
            engine = sa.create_engine(self.sa_url, connect_args=connect_args)
        synchronous = os.environ.get(SYNCHRONOUS_ENV, "NORMAL").upper()
        if synchronous not in ("NORMAL", "FULL"):
            raise StorageError(f"{SYNCHRONOUS_ENV}={synchronous!r}: allowed NORMAL or FULL")
        memory = self.memory

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver callback
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not memory:
                _enable_wal(cursor)
                cursor.execute(f"PRAGMA synchronous = {synchronous}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("pfnopt_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    # the one transaction context ----------------------------------------------------------------
    @contextlib.contextmanager
    def txn(self, write: bool = False) -> Iterator[Connection]:
        """One transaction: commits on success, rolls back on any error; driver errors become
        StorageError (one line naming the backend and the masked URL; TransientStorageError for the
        kind that may pass, with ``commit_unknown`` when the link broke during the COMMIT of a write). Writers on
        SQLite take the write lock up front (``BEGIN IMMEDIATE``); readers on PostgreSQL get
        REPEATABLE READ, so a multi-query read is one consistent snapshot (SQLite readers have
        that already)."""
        if os.getpid() != self._pid:  # forked: never reuse the parent's connections
            self.engine.dispose(close=False)
            self._pid = os.getpid()
        committing = False
        with self._serial:
            try:
                with self.engine.connect() as conn:
                    if write and self.is_sqlite:
                        conn.execution_options(pfnopt_write=True)
                    elif not write and not self.is_sqlite:
                        # reads see ONE snapshot across their statements (psycopg puts the level in
                        # its BEGIN: no extra round trip); writes stay READ COMMITTED + row locks
                        conn.execution_options(isolation_level="REPEATABLE READ")
                    trans = conn.begin()
                    try:
                        yield conn
                    except BaseException:
                        with contextlib.suppress(exc.SQLAlchemyError):  # a dead link cannot roll back
                            trans.rollback()
                        raise
                    committing = write  # a read's COMMIT changes nothing: repeating it is always safe
                    trans.commit()
            except PfnoptError:
                raise
            except exc.SQLAlchemyError as e:
                raise self.error(e, "write" if write else "read", committing) from e

    @contextlib.contextmanager
    def translate(self, action: str) -> Iterator[None]:
        try:
            yield
        except PfnoptError:
            raise
        except exc.SQLAlchemyError as e:
            raise self.error(e, action, False) from e

    def error(self, e: BaseException, action: str, committing: bool) -> StorageError:
        """The StorageError for a driver error (TransientStorageError when it may pass)."""
        message = self.describe_error(e, action)
        if is_transient(e):
            return TransientStorageError(message, commit_unknown=committing)
        return StorageError(message)

    def describe_error(self, e: BaseException, action: str) -> str:
        orig = getattr(e, "orig", None) or e
        text = " ".join(str(orig).split()) or type(orig).__name__
        text = text.split(" [SQL:")[0].split(" (Background on this error")[0]
        if isinstance(e, exc.OperationalError) and _is_connect_failure(text):
            what = "cannot connect"
        elif isinstance(e, exc.TimeoutError):
            what = "no free connection in the pool"
        else:
            what = f"{action} failed"
        pw = self.sa_url.password  # this database's own password, however short
        if pw:
            text = text.replace(str(pw), "***")
        return f"{self.backend} storage {self.masked}: {what}: {scrub(text)}"

    def dispose(self) -> None:
        self.engine.dispose()


_CONNECT_TEXTS = (
    "connection", "connect to", "unable to open", "could not translate", "timeout", "resolve host",
    "password authentication", "no pg_hba.conf", "the database system is",
)
# SQLSTATE classes/codes that may pass: connection exceptions (08), serialization failure,
# deadlock, admin/crash shutdown, "cannot connect now" (starting up), lock not available
_TRANSIENT_SQLSTATES = ("40001", "40P01", "57P01", "57P02", "57P03", "55P03")
_PERMANENT_TEXTS = (
    "password authentication failed", "no pg_hba.conf entry", "does not exist", "resolve host",
    "could not translate host name", "permission denied", "unable to open database file",
)
_TRANSIENT_TEXTS = (
    "connection refused", "server closed the connection", "terminating connection", "the database system is",
    "could not receive data", "could not send data", "connection is closed", "connection is lost",
    "consuming input failed", "ssl syscall", "connection reset", "broken pipe", "no connection to the server",
    "timeout expired", "connection timed out", "database is locked", "database is busy", "server conn crashed",
)


def _is_connect_failure(text: str) -> bool:
    lowered = text.lower()
    return any(s in lowered for s in _CONNECT_TEXTS)


def is_transient(e: BaseException) -> bool:
    """Whether a driver error may pass if the call is tried again: a lost or refused connection
    (the server restarting or failing over), a serialization failure, a deadlock, a locked
    SQLite file. Wrong credentials, unknown hosts or databases and bad SQL are permanent."""
    if isinstance(e, exc.TimeoutError):  # the pool had no free connection in time
        return True
    orig = getattr(e, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(code, str) and (code.startswith("08") or code in _TRANSIENT_SQLSTATES):
        return True
    text = " ".join(str(orig if orig is not None else e).split()).lower()
    if any(s in text for s in _PERMANENT_TEXTS):
        return False
    if isinstance(e, exc.DBAPIError) and e.connection_invalidated:
        return True
    return isinstance(e, exc.OperationalError) and any(s in text for s in _TRANSIENT_TEXTS)
