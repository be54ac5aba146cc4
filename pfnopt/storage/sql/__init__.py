"""SQL storage (SQLAlchemy 2.x): SQLite embedded, PostgreSQL through psycopg 3."""

from pfnopt.storage.sql.storage import SQLStorage

__all__ = ["SQLStorage"]
