"""The SQL statements of the hot paths, built once with bind parameters.

Building a SQLAlchemy expression costs more than running it on SQLite, so the storage executes
these prebuilt statements (``conn.execute(STMT, {...})``) and SQLAlchemy reuses their compiled
form. Statements that differ by dialect (``INSERT ... ON CONFLICT``) are built per storage by
:func:`upserts`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from pfnopt.storage.sql import models as m

T, S, P = m.trials.c, m.studies.c, m.params.c
OPEN_STATES = ("RUNNING", "WAITING")
_b = sa.bindparam

# studies
STUDY_EXISTS = sa.select(S.study_id).where(S.study_id == _b("sid"))
LOCK_STUDY = STUDY_EXISTS.with_for_update()
TRIAL_COUNT = sa.select(S.next_trial_number).where(S.study_id == _b("sid"))
STUDY_ID_BY_NAME = sa.select(S.study_id).where(S.study_name == _b("name"))
INSERT_STUDY = sa.insert(m.studies)
INSERT_DIRECTIONS = sa.insert(m.directions)

# creating trials: the counter row is the lock that makes numbers atomic
NEXT_NUMBER = (
    sa.update(m.studies).where(S.study_id == _b("sid"))
    .values(next_trial_number=S.next_trial_number + 1).returning(S.next_trial_number)
)
INSERT_TRIAL = sa.insert(m.trials)
INSERT_PARAMS = sa.insert(m.params)
INSERT_VALUES = sa.insert(m.values)
INSERT_CONSTRAINTS = sa.insert(m.constraints)

# claiming, finishing, heartbeats, stale trials: conditional on the state
FIRST_WAITING = (
    sa.select(S.study_id, sa.select(sa.func.min(T.number))
              .where(T.study_id == _b("sid"), T.state == "WAITING").scalar_subquery())
    .where(S.study_id == _b("sid"))
)
WAITING_IDS = (
    sa.select(T.trial_id).where(T.study_id == _b("sid"), T.state == "WAITING").order_by(T.number).limit(8)
)
CLAIM = (
    sa.update(m.trials).where(T.trial_id == _b("tid"), T.state == "WAITING")
    .values(state="RUNNING", datetime_start=_b("now"), heartbeat=_b("beat"))
)
FINISH = (
    sa.update(m.trials).where(T.trial_id == _b("tid"), T.state.in_(OPEN_STATES))
    .values(state=_b("state"), datetime_complete=_b("now")).returning(T.study_id)
)
BEAT = sa.update(m.trials).where(T.trial_id == _b("tid"), T.state == "RUNNING").values(heartbeat=_b("now"))
TRIAL_EXISTS = sa.select(T.trial_id).where(T.trial_id == _b("tid"))
_STALE = (
    (T.study_id == _b("sid")) & (T.state == "RUNNING") & T.heartbeat.is_not(None) & (T.heartbeat < _b("cutoff"))
)
ANY_STALE = (
    sa.select(S.study_id, sa.select(T.trial_id).where(_STALE).limit(1).scalar_subquery())
    .where(S.study_id == _b("sid"))
)
FAIL_STALE = sa.update(m.trials).where(_STALE).values(state="FAIL", datetime_complete=_b("now")).returning(T.trial_id)

# a trial, row-locked, with its params: the check before changing it (one round trip)
LOCK_TRIAL_WITH_PARAMS = (
    sa.select(T.study_id, T.number, T.state, P.param_name, P.param_value, P.distribution_json)
    .select_from(m.trials.outerjoin(m.params, P.trial_id == T.trial_id))
    .where(T.trial_id == _b("tid"))
    .with_for_update(of=m.trials)
)
LOCK_TRIAL = sa.select(T.study_id, T.number, T.state).where(T.trial_id == _b("tid")).with_for_update()
TRIAL_ID_BY_NUMBER = sa.select(T.trial_id).where(T.study_id == _b("sid"), T.number == _b("number"))
COUNT_IN_STATES = (
    sa.select(sa.func.count()).select_from(m.trials)
    .where(T.study_id == _b("sid"), T.state.in_(_b("states", expanding=True)))
)


def upserts(dialect: str) -> dict[str, sa.Insert]:
    """``INSERT ... ON CONFLICT DO UPDATE`` for attributes and intermediate values."""
    insert = sqlite_dialect.insert if dialect == "sqlite" else pg_dialect.insert
    out = {}
    for name, table, keys, column in (
        ("trial_attr", m.trial_attrs, ["trial_id", "is_system", "key"], "value_json"),
        ("study_attr", m.study_attrs, ["study_id", "is_system", "key"], "value_json"),
        ("intermediate", m.intermediate, ["trial_id", "step"], "value"),
    ):
        stmt = insert(table)
        out[name] = stmt.on_conflict_do_update(index_elements=keys, set_={column: stmt.excluded[column]})
    return out
