"""pfnopt 0.1.0 (a): the initial schema: studies, trials and their parts.

Revision ID: v0.1.0.a
Revises:
"""

from __future__ import annotations

import datetime as _dt

import sqlalchemy as sa
from alembic import op

revision = "v0.1.0.a"
down_revision = None
branch_labels = None
depends_on = None

NAME = sa.String(512)


def _trial_fk() -> sa.Column:
    return sa.Column(
        "trial_id", sa.Integer, sa.ForeignKey("pfnopt_trials.trial_id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    info = op.create_table(
        "pfnopt_schema",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("schema_revision", sa.String(32), nullable=False),
        sa.Column("library_version", sa.String(32), nullable=False),
        sa.Column("updated", sa.DateTime, nullable=False),
    )
    op.bulk_insert(info, [{"id": 1, "schema_revision": revision, "library_version": "0.1.0",
                           "updated": _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)}])
    op.create_table(
        "pfnopt_studies",
        sa.Column("study_id", sa.Integer, primary_key=True),
        sa.Column("study_name", NAME, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.UniqueConstraint("study_name", name="uq_pfnopt_studies_study_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "pfnopt_study_directions",
        sa.Column("study_direction_id", sa.Integer, primary_key=True),
        sa.Column("study_id", sa.Integer, sa.ForeignKey("pfnopt_studies.study_id", ondelete="CASCADE"), nullable=False),
        sa.Column("objective", sa.Integer, nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.UniqueConstraint("study_id", "objective", name="uq_pfnopt_study_directions_study_id_objective"),
        sa.CheckConstraint("direction IN ('MINIMIZE', 'MAXIMIZE')", name=op.f("ck_pfnopt_study_directions_direction")),
    )
    op.create_table(
        "pfnopt_study_attrs",
        sa.Column("study_attr_id", sa.Integer, primary_key=True),
        sa.Column("study_id", sa.Integer, sa.ForeignKey("pfnopt_studies.study_id", ondelete="CASCADE"), nullable=False),
        sa.Column("is_system", sa.Boolean, nullable=False),
        sa.Column("key", NAME, nullable=False),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.UniqueConstraint("study_id", "is_system", "key", name="uq_pfnopt_study_attrs_study_id_is_system_key"),
    )
    op.create_table(
        "pfnopt_trials",
        sa.Column("trial_id", sa.Integer, primary_key=True),
        sa.Column("study_id", sa.Integer, sa.ForeignKey("pfnopt_studies.study_id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("datetime_start", sa.DateTime),
        sa.Column("datetime_complete", sa.DateTime),
        sa.Column("heartbeat", sa.DateTime),
        sa.UniqueConstraint("study_id", "number", name="uq_pfnopt_trials_study_id_number"),
        sa.CheckConstraint(
            "state IN ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING')", name=op.f("ck_pfnopt_trials_state")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_pfnopt_trials_study_id_state", "pfnopt_trials", ["study_id", "state"])
    op.create_table(
        "pfnopt_trial_params",
        sa.Column("param_id", sa.Integer, primary_key=True),
        _trial_fk(),
        sa.Column("param_name", NAME, nullable=False),
        sa.Column("param_value", sa.Double, nullable=False),
        sa.Column("distribution_json", sa.Text, nullable=False),
        sa.UniqueConstraint("trial_id", "param_name", name="uq_pfnopt_trial_params_trial_id_param_name"),
    )
    for table, key, key_name in (
        ("pfnopt_trial_values", "objective", "trial_value_id"),
        ("pfnopt_trial_constraints", "idx", "trial_constraint_id"),
        ("pfnopt_trial_intermediate_values", "step", "trial_intermediate_value_id"),
    ):
        op.create_table(
            table,
            sa.Column(key_name, sa.Integer, primary_key=True),
            _trial_fk(),
            sa.Column(key, sa.Integer, nullable=False),
            sa.Column("value", sa.Double),
            sa.UniqueConstraint("trial_id", key, name=f"uq_{table}_trial_id_{key}"),
        )
    op.create_table(
        "pfnopt_trial_attrs",
        sa.Column("trial_attr_id", sa.Integer, primary_key=True),
        _trial_fk(),
        sa.Column("is_system", sa.Boolean, nullable=False),
        sa.Column("key", NAME, nullable=False),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.UniqueConstraint("trial_id", "is_system", "key", name="uq_pfnopt_trial_attrs_trial_id_is_system_key"),
    )


def downgrade() -> None:
    for table in (
        "pfnopt_trial_attrs", "pfnopt_trial_intermediate_values", "pfnopt_trial_constraints",
        "pfnopt_trial_values", "pfnopt_trial_params", "pfnopt_trials", "pfnopt_study_attrs",
        "pfnopt_study_directions", "pfnopt_studies", "pfnopt_schema",
    ):
        op.drop_table(table)
