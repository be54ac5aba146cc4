"""pfnopt 0.1.0 (b): a per-study trial counter, so trial numbers come from one row lock.

Adds ``pfnopt_studies.next_trial_number`` and fills it with each study's current trial count
(max number + 1), so numbering continues where the old database left off.

Revision ID: v0.1.0.b
Revises: v0.1.0.a
"""

from __future__ import annotations

import datetime as _dt

import sqlalchemy as sa
from alembic import op

revision = "v0.1.0.b"
down_revision = "v0.1.0.a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pfnopt_studies") as batch:
        batch.add_column(sa.Column("next_trial_number", sa.Integer, nullable=False, server_default="0"))
    op.execute(
        "UPDATE pfnopt_studies SET next_trial_number = ("
        " SELECT COALESCE(MAX(t.number) + 1, 0) FROM pfnopt_trials t WHERE t.study_id = pfnopt_studies.study_id)"
    )
    _stamp(revision)


def downgrade() -> None:
    with op.batch_alter_table("pfnopt_studies") as batch:
        batch.drop_column("next_trial_number")
    _stamp(down_revision)


def _stamp(rev: str) -> None:
    info = sa.table("pfnopt_schema", sa.column("id"), sa.column("schema_revision"), sa.column("updated"))
    now = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
    op.execute(info.update().where(info.c.id == 1).values(schema_revision=rev, updated=now))
