"""``pfnopt db upgrade``: apply the Alembic migrations in ``migrations/`` to a database.

The whole upgrade runs in one transaction on one connection (SQLite and PostgreSQL both have
transactional DDL), so an interrupted upgrade leaves the old schema intact. An empty database is
built by running every migration from the first; a database newer than this code is refused.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from pfnopt.exceptions import SchemaVersionError, StorageError
from pfnopt.records import utcnow
from pfnopt.storage.sql.engine import Database
from pfnopt.storage.sql.models import REVISIONS, SCHEMA_REVISION, schema_info
from pfnopt.storage.sql.schema import library_version, read_revision

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection=None):
    """An Alembic Config for pfnopt's migrations (no alembic.ini needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The head of the migration scripts (a test checks it equals models.SCHEMA_REVISION)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(url: str, revision: str = "head") -> str:
    """Bring the database at ``url`` to ``revision`` (default: this code's); returns a message."""
    from alembic import command

    db = Database(url)
    try:
        with db.txn() as conn:
            found = read_revision(conn)
        if found is False:
            raise StorageError(
                f"{db.backend} storage {db.masked} has pfnopt tables but no pfnopt_alembic_version row: "
                "cannot tell its schema revision; restore a backup"
            )
        if found is not None and found not in REVISIONS:
            raise SchemaVersionError(
                f"{db.backend} storage {db.masked} has pfnopt schema revision {found!r}, newer than this pfnopt "
                f"(which knows up to {SCHEMA_REVISION!r}): upgrade pfnopt itself, then run `pfnopt db upgrade` again"
            )
        target = SCHEMA_REVISION if revision == "head" else revision
        if found == target:
            return f"{db.masked}: schema already at revision {target}"
        with db.txn(write=True) as conn:
            command.upgrade(alembic_config(conn), revision)
            if revision == "head":
                conn.execute(sa.update(schema_info).where(schema_info.c.id == 1)
                             .values(library_version=library_version(), updated=utcnow()))
        start = "an empty database" if found is None else f"revision {found}"
        return f"{db.masked}: upgraded from {start} to revision {target}"
    finally:
        db.dispose()
