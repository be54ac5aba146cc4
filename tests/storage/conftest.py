"""Fixtures for the storage suite: every backend, each test on a fresh database.

* ``memory``: a new :class:`InMemoryStorage`.
* ``sqlite``: a SQLite file in the test's tmp folder.
* ``postgres``: the server of ``PFNOPT_TEST_POSTGRES_URL`` (``eval "$(bash .ci/postgres.sh)"``).
  Each test session creates its own database (dropped at the end) and each test its own schema
  in it (``search_path`` set through the URL), so tests never see each other's rows. Without the
  variable the PostgreSQL tests skip, except under CI (``CI=true``) where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from pfnopt.storage import BaseStorage, InMemoryStorage

PG_ENV = "PFNOPT_TEST_POSTGRES_URL"
PG = pytest.param("postgres", marks=pytest.mark.postgres)
BACKENDS = ["memory", "sqlite", PG]
SQL_BACKENDS = ["sqlite", PG]


def _require_pg_url() -> str:
    url = os.environ.get(PG_ENV)
    if url:
        return url
    message = (
        f"{PG_ENV} is not set: start PostgreSQL with `eval \"$(bash .ci/postgres.sh)\"` "
        "(installs Debian's postgresql, serves it on 127.0.0.1 and exports the URL)"
    )
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


def _admin_engine(url: str):
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from pfnopt.storage.sql.engine import parse_url

    return sa.create_engine(parse_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session (this xdist worker)."""
    base = _require_pg_url()
    from sqlalchemy.engine import make_url

    name = f"pfnopt_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine(base)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def pg_url(pg_database_url: str) -> Iterator[str]:
    """A URL whose connections work in a new, empty schema (dropped after the test)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(pg_database_url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in pg_database_url else "?"
    try:
        yield f"{pg_database_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def make_storage(backend: str, request: pytest.FixtureRequest, tmp_path) -> BaseStorage:
    if backend == "memory":
        return InMemoryStorage()
    from pfnopt.storage import SQLStorage

    if backend == "sqlite":
        return SQLStorage(f"sqlite:///{tmp_path / 'pfnopt.db'}")
    return SQLStorage(request.getfixturevalue("pg_url"))


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path) -> Iterator[BaseStorage]:
    store = make_storage(request.param, request, tmp_path)
    yield store
    store.close()


@pytest.fixture(params=SQL_BACKENDS)
def sql_storage_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A URL of an empty database on each SQL backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pfnopt.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def reopen() -> Callable[[BaseStorage], BaseStorage]:
    """A second handle on the same data (another 'process' for SQL; the same object in memory)."""
    opened: list[BaseStorage] = []

    def _reopen(store: BaseStorage) -> BaseStorage:
        from pfnopt.storage import SQLStorage

        if isinstance(store, SQLStorage):
            other = SQLStorage(store.url)
            opened.append(other)
            return other
        return store

    yield _reopen
    for s in opened:
        s.close()
