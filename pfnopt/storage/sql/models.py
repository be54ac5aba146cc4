"""The SQL schema (SQLAlchemy 2.x declarative). Documented table by table in ``store/README.md``.

Every table name starts with ``pfnopt_`` so that pfnopt can share a database with Optuna (whose
tables are called ``studies``, ``trials``, ...) and with other Alembic users (our version table is
``pfnopt_alembic_version``).

Conventions: datetimes are naive UTC; trial and study states are upper-case names (readable in
``psql``); a float column holding NULL means NaN (SQLite cannot store NaN); JSON is stored as text.
When this file changes, add a revision under ``migrations/versions`` and bump
:data:`SCHEMA_REVISION`; ``tests/storage/test_migrations.py`` checks that the migrations build
exactly these tables.
"""

from __future__ import annotations

import datetime as _dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Alembic revisions, oldest first. The last one is what this code reads and writes.
REVISIONS = ("v0.1.0.a", "v0.1.0.b")
SCHEMA_REVISION = REVISIONS[-1]
VERSION_TABLE = "pfnopt_alembic_version"

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TRIAL_STATES = ("RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING")
DIRECTIONS = ("MINIMIZE", "MAXIMIZE")

NAME = String(512)  # study, parameter and attribute names


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _study_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("pfnopt_studies.study_id", ondelete="CASCADE"), nullable=False)


def _trial_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("pfnopt_trials.trial_id", ondelete="CASCADE"), nullable=False)


class SchemaInfo(Base):
    """One row (id 1): the schema revision and the pfnopt version that last wrote the schema."""

    __tablename__ = "pfnopt_schema"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schema_revision: Mapped[str] = mapped_column(String(32), nullable=False)
    library_version: Mapped[str] = mapped_column(String(32), nullable=False)
    updated: Mapped[_dt.datetime] = mapped_column(DateTime, nullable=False)


class StudyModel(Base):
    __tablename__ = "pfnopt_studies"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused: caches stay valid
    study_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_name: Mapped[str] = mapped_column(NAME, nullable=False, unique=True)
    created: Mapped[_dt.datetime] = mapped_column(DateTime, nullable=False)
    # the number the next trial gets; incremented under a row lock (see storage.create_trial)
    next_trial_number: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


class StudyDirectionModel(Base):
    __tablename__ = "pfnopt_study_directions"
    __table_args__ = (
        UniqueConstraint("study_id", "objective"),
        CheckConstraint("direction IN ('MINIMIZE', 'MAXIMIZE')", name="direction"),
    )
    study_direction_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = _study_fk()
    objective: Mapped[int] = mapped_column(Integer, nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False)


class StudyAttrModel(Base):
    __tablename__ = "pfnopt_study_attrs"
    __table_args__ = (UniqueConstraint("study_id", "is_system", "key"),)
    study_attr_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = _study_fk()
    is_system: Mapped[bool] = mapped_column(Boolean, nullable=False)
    key: Mapped[str] = mapped_column(NAME, nullable=False)
    value_json: Mapped[str] = mapped_column(Text, nullable=False)


class TrialModel(Base):
    __tablename__ = "pfnopt_trials"
    __table_args__ = (
        UniqueConstraint("study_id", "number"),
        Index(None, "study_id", "state"),
        CheckConstraint("state IN ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING')", name="state"),
        {"sqlite_autoincrement": True},
    )
    trial_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = _study_fk()
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(8), nullable=False)
    datetime_start: Mapped[_dt.datetime | None] = mapped_column(DateTime)
    datetime_complete: Mapped[_dt.datetime | None] = mapped_column(DateTime)
    heartbeat: Mapped[_dt.datetime | None] = mapped_column(DateTime)


class TrialParamModel(Base):
    __tablename__ = "pfnopt_trial_params"
    __table_args__ = (UniqueConstraint("trial_id", "param_name"),)
    param_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = _trial_fk()
    param_name: Mapped[str] = mapped_column(NAME, nullable=False)
    param_value: Mapped[float] = mapped_column(Double, nullable=False)  # internal form
    distribution_json: Mapped[str] = mapped_column(Text, nullable=False)


class TrialValueModel(Base):
    __tablename__ = "pfnopt_trial_values"
    __table_args__ = (UniqueConstraint("trial_id", "objective"),)
    trial_value_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = _trial_fk()
    objective: Mapped[int] = mapped_column(Integer, nullable=False)
    value: Mapped[float | None] = mapped_column(Double)  # NULL = NaN


class TrialConstraintModel(Base):
    __tablename__ = "pfnopt_trial_constraints"
    __table_args__ = (UniqueConstraint("trial_id", "idx"),)
    trial_constraint_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = _trial_fk()
    idx: Mapped[int] = mapped_column(Integer, nullable=False)
    value: Mapped[float | None] = mapped_column(Double)  # NULL = NaN


class TrialIntermediateValueModel(Base):
    __tablename__ = "pfnopt_trial_intermediate_values"
    __table_args__ = (UniqueConstraint("trial_id", "step"),)
    trial_intermediate_value_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = _trial_fk()
    step: Mapped[int] = mapped_column(Integer, nullable=False)
    value: Mapped[float | None] = mapped_column(Double)  # NULL = NaN


class TrialAttrModel(Base):
    __tablename__ = "pfnopt_trial_attrs"
    __table_args__ = (UniqueConstraint("trial_id", "is_system", "key"),)
    trial_attr_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = _trial_fk()
    is_system: Mapped[bool] = mapped_column(Boolean, nullable=False)
    key: Mapped[str] = mapped_column(NAME, nullable=False)
    value_json: Mapped[str] = mapped_column(Text, nullable=False)


studies = StudyModel.__table__
directions = StudyDirectionModel.__table__
study_attrs = StudyAttrModel.__table__
trials = TrialModel.__table__
params = TrialParamModel.__table__
values = TrialValueModel.__table__
constraints = TrialConstraintModel.__table__
intermediate = TrialIntermediateValueModel.__table__
trial_attrs = TrialAttrModel.__table__
schema_info = SchemaInfo.__table__
