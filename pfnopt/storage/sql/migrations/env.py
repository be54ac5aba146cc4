"""Alembic environment for pfnopt's schema. Run through ``pfnopt db upgrade`` (see ``migrate.py``),
which hands over an open connection inside one transaction; the version table is
``pfnopt_alembic_version`` so that pfnopt can share a database with other Alembic users."""

from __future__ import annotations

from alembic import context

from pfnopt.storage.sql.models import VERSION_TABLE, Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called with a connection by migrate.py
    raise RuntimeError("run pfnopt's migrations with `pfnopt db upgrade --storage URL`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
