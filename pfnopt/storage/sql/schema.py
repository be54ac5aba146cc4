"""Opening a database: create the schema at head when it is empty, refuse it when it differs.

The revision lives in Alembic's version table, under pfnopt's own name ``pfnopt_alembic_version``
(so pfnopt shares a database with MLflow, Optuna or any other Alembic user). A new database is
built from the models in ONE transaction (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory
lock), so two processes opening it at once cannot both create it. Migrations live in
``migrations/`` and run through :func:`pfnopt.storage.sql.migrate.upgrade`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pfnopt.exceptions import SchemaVersionError, StorageError
from pfnopt.records import utcnow
from pfnopt.storage.sql.engine import Database
from pfnopt.storage.sql.models import REVISIONS, SCHEMA_REVISION, VERSION_TABLE, Base, schema_info

_INIT_LOCK_KEY = 0x70666E6F  # "pfno": PostgreSQL advisory lock taken while creating the schema

# Alembic's own layout of the version table (what `alembic stamp` would create)
version_table = sa.Table(
    VERSION_TABLE,
    sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
)


def library_version() -> str:
    try:
        from importlib.metadata import version

        return version("pfnopt")
    except Exception:  # not installed (running from a checkout)
        return "0.1.0"


def upgrade_command(db: Database) -> str:
    return f"pfnopt db upgrade --storage {db.masked}"


def read_revision(conn: Connection) -> str | None | bool:
    """The stored revision; None for an empty database; False for pfnopt tables without a version."""
    names = set(sa.inspect(conn).get_table_names())
    if VERSION_TABLE not in names:
        return False if any(n.startswith("pfnopt_") for n in names) else None
    rows = [r[0] for r in conn.execute(sa.select(version_table.c.version_num))]
    if len(rows) != 1:
        return False
    return rows[0]


def check_revision(db: Database, found: str) -> None:
    """Raise SchemaVersionError unless ``found`` is this code's revision."""
    if found == SCHEMA_REVISION:
        return
    command = upgrade_command(db)
    note = " (put the real password in place of ***)" if "***" in db.masked else ""
    if found in REVISIONS:
        raise SchemaVersionError(
            f"{db.backend} storage {db.masked} has pfnopt schema revision {found!r}, older than the "
            f"revision {SCHEMA_REVISION!r} this pfnopt expects: back it up, then run `{command}`{note}"
        )
    raise SchemaVersionError(
        f"{db.backend} storage {db.masked} has pfnopt schema revision {found!r}, unknown to this pfnopt "
        f"(it expects {SCHEMA_REVISION!r}; known: {', '.join(REVISIONS)}): the database was written by a "
        f"newer pfnopt. Install that newer pfnopt and run `{command}`{note} with it"
    )


def _damaged(db: Database) -> StorageError:
    return StorageError(
        f"{db.backend} storage {db.masked} has pfnopt tables but no single row in {VERSION_TABLE}: "
        f"the schema is damaged or half-created; restore a backup or point pfnopt at another database"
    )


def ensure_schema(db: Database) -> None:
    """Create the schema at head in an empty database; refuse one at another revision."""
    with db.txn() as conn:
        found = read_revision(conn)
    if found is None:
        with db.txn(write=True) as conn:
            if not db.is_sqlite:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _INIT_LOCK_KEY})
            found = read_revision(conn)  # another process may have created it meanwhile
            if found is None:
                create_at_head(conn)
                found = SCHEMA_REVISION
    if found is False:
        raise _damaged(db)
    check_revision(db, found)


def create_at_head(conn: Connection) -> None:
    """Every table from the models, stamped at :data:`SCHEMA_REVISION` (inside the caller's txn)."""
    Base.metadata.create_all(conn)
    version_table.create(conn)
    conn.execute(version_table.insert().values(version_num=SCHEMA_REVISION))
    conn.execute(
        schema_info.insert().values(
            id=1, schema_revision=SCHEMA_REVISION, library_version=library_version(), updated=utcnow()
        )
    )
