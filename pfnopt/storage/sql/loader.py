"""Reading trials in a fixed number of queries, and the per-process cache of finished trials.

A :class:`TrialQuery` runs one query for the trial rows and ONE ``UNION ALL`` query over the child
tables (params, values, constraints, intermediate values, attributes) selecting by the same
condition, so loading 1 or 10 000 trials costs 2 queries (never one per trial).

:class:`TrialCache` keeps finished trials (which never change) per study. For each study it also
knows a *watermark*: every trial numbered below it has been seen, and which of those were still
unfinished. A later ``get_all_trials`` then fetches only trials numbered at or above the watermark
plus the unfinished ones. This is sound because trial numbers are handed out under a per-study
row lock held until commit (see ``SQLStorage.create_trial``): a snapshot that sees trial k sees
every trial numbered below k.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pfnopt.records import FrozenTrial, TrialState
from pfnopt.space import Distribution, distribution_from_json
from pfnopt.storage.sql.models import constraints, intermediate, params, trial_attrs, trials, values

_STATES = {s.name: s for s in TrialState}
_TRIAL_COLUMNS = (
    trials.c.trial_id, trials.c.study_id, trials.c.number, trials.c.state,
    trials.c.datetime_start, trials.c.datetime_complete, trials.c.heartbeat,
)


@functools.lru_cache(maxsize=4096)
def parse_distribution(text: str) -> Distribution:
    return distribution_from_json(text)


def to_float(value: float | None) -> float:
    """A stored float: NULL stands for NaN (SQLite cannot store NaN)."""
    return math.nan if value is None else float(value)


def to_db_float(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


@dataclass
class _Parts:
    row: Any
    params: dict[str, Any] = field(default_factory=dict)
    dists: dict[str, Distribution] = field(default_factory=dict)
    values: dict[int, float] = field(default_factory=dict)
    constraints: dict[int, float] = field(default_factory=dict)
    intermediate: dict[int, float] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)

    def freeze(self) -> FrozenTrial:
        r = self.row
        state = _STATES[r.state]
        finished = state.is_finished()  # values/constraints are only ever written when finishing
        vals = tuple(self.values[k] for k in sorted(self.values)) if finished and self.values else None
        cons = tuple(self.constraints[k] for k in sorted(self.constraints)) if finished and self.constraints else None
        return FrozenTrial(
            trial_id=r.trial_id, number=r.number, state=state, params=self.params, distributions=self.dists,
            values=vals, constraints=cons, intermediate_values=dict(sorted(self.intermediate.items())),
            user_attrs=self.user_attrs, system_attrs=self.system_attrs, datetime_start=r.datetime_start,
            datetime_complete=r.datetime_complete, heartbeat=r.heartbeat,
        )


class TrialQuery:
    """A prebuilt pair of statements for one way of selecting trials (``cond`` on the trials
    table, with bind parameters): the trial rows, and ONE ``UNION ALL`` over the five child tables
    for those trials. Built once, so a load costs two round trips and no expression building."""

    def __init__(self, cond: sa.ColumnElement[bool], single: sa.BindParameter | None = None):
        self.rows = sa.select(*_TRIAL_COLUMNS).where(cond).order_by(trials.c.number)
        ids = sa.select(trials.c.trial_id).where(cond).scalar_subquery()
        match = (lambda col: col == single) if single is not None else (lambda col: col.in_(ids))
        null_name, null_f = sa.cast(sa.null(), sa.String(512)), sa.cast(sa.null(), sa.Double)
        null_text, null_flag = sa.cast(sa.null(), sa.Text), sa.cast(sa.null(), sa.Boolean)
        p, a = params.c, trial_attrs.c
        parts = [
            sa.select(sa.literal_column("0").label("kind"), p.trial_id, p.param_name.label("name"),
                      p.param_id.label("k"), p.param_value.label("f"), p.distribution_json.label("txt"),
                      null_flag.label("flag")).where(match(p.trial_id)),
            sa.select(sa.literal_column("4"), a.trial_id, a.key, a.trial_attr_id, null_f, a.value_json, a.is_system)
            .where(match(a.trial_id)),
        ]
        for kind, table, key in ((1, values, "objective"), (2, constraints, "idx"), (3, intermediate, "step")):
            c = table.c
            parts.append(sa.select(sa.literal_column(str(kind)), c.trial_id, null_name, c[key], c.value,
                                   null_text, null_flag).where(match(c.trial_id)))
        self.children = sa.union_all(*parts).order_by(sa.text("kind"), sa.text("k"))

    def load(self, conn: Connection, args: dict[str, Any], owners: dict[int, int] | None = None) -> list[FrozenTrial]:
        """The matching trials, by number; ``owners`` (if given) receives ``trial_id -> study_id``."""
        rows = conn.execute(self.rows, args).all()
        if not rows:
            return []
        if owners is not None:
            owners.update((r.trial_id, r.study_id) for r in rows)
        parts = {r.trial_id: _Parts(r) for r in rows}
        for kind, tid, name, k, f, txt, flag in conn.execute(self.children, args):
            part = parts.get(tid)
            if part is None:  # pragma: no cover - a READ COMMITTED snapshot that moved on
                continue
            if kind == 0:
                dist = parse_distribution(txt)
                part.params[name] = dist.to_external(f)
                part.dists[name] = dist
            elif kind == 4:
                (part.system_attrs if flag else part.user_attrs)[name] = json.loads(txt)
            else:
                (part.values, part.constraints, part.intermediate)[kind - 1][k] = to_float(f)
        return [parts[r.trial_id].freeze() for r in rows]


_TID = sa.bindparam("tid")
BY_ID = TrialQuery(trials.c.trial_id == _TID, single=_TID)
BY_IDS = TrialQuery(trials.c.trial_id.in_(sa.bindparam("ids", expanding=True)))
# a refresh of get_all_trials: everything at or above the watermark, plus the unfinished below it
REFRESH = TrialQuery(
    (trials.c.study_id == sa.bindparam("sid"))
    & ((trials.c.number >= sa.bindparam("watermark")) | trials.c.number.in_(sa.bindparam("unfinished", expanding=True)))
)


@dataclass
class _StudyCache:
    finished: dict[int, FrozenTrial] = field(default_factory=dict)  # number -> trial
    ordered: list[FrozenTrial] | None = None  # finished trials by number (rebuilt when one is added)
    watermark: int = 0  # every number below it has been seen
    unfinished: set[int] = field(default_factory=set)  # numbers below the watermark not finished


class TrialCache:
    """Finished trials per study (they never change), plus what still has to be fetched."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._studies: dict[int, _StudyCache] = {}
        self._by_id: dict[int, FrozenTrial] = {}

    def get(self, trial_id: int) -> FrozenTrial | None:
        return self._by_id.get(trial_id)

    def finished_number(self, study_id: int, number: int) -> FrozenTrial | None:
        study = self._studies.get(study_id)
        return None if study is None else study.finished.get(number)

    def pending(self, study_id: int) -> tuple[int, list[int]]:
        """(watermark, unfinished numbers below it): what a refresh must fetch."""
        with self._lock:
            s = self._studies.setdefault(study_id, _StudyCache())
            return s.watermark, sorted(s.unfinished)

    def add(self, study_id: int, fetched: Iterable[FrozenTrial], refresh: bool = False) -> None:
        """Record trials read from the database. ``refresh``: the read covered every trial numbered
        at or above the watermark of :meth:`pending`, so the watermark may move past them."""
        with self._lock:
            s = self._studies.setdefault(study_id, _StudyCache())
            top = s.watermark
            for t in fetched:
                if t.state.is_finished():
                    if t.number not in s.finished:
                        s.finished[t.number] = t
                        s.ordered = None
                    self._by_id[t.trial_id] = t
                    s.unfinished.discard(t.number)
                elif t.number not in s.finished:
                    s.unfinished.add(t.number)
                top = max(top, t.number + 1)
            if refresh:
                s.watermark = top

    def created(self, study_id: int, trial: FrozenTrial) -> None:
        """A trial this process just created: extend the watermark if it is the very next one."""
        with self._lock:
            s = self._studies.setdefault(study_id, _StudyCache())
            if s.watermark == trial.number:
                s.watermark += 1
                s.unfinished.add(trial.number)

    def assemble(self, study_id: int, fresh: list[FrozenTrial]) -> list[FrozenTrial]:
        """Finished trials from the cache merged with freshly read unfinished ones, by number."""
        with self._lock:
            s = self._studies.setdefault(study_id, _StudyCache())
            if s.ordered is None:
                s.ordered = [s.finished[n] for n in sorted(s.finished)]
            out = list(s.ordered)
            finished = s.finished
            extra = sorted((t for t in fresh if t.number not in finished), key=_number)
        if extra and out and extra[0].number < out[-1].number:
            for t in extra:
                bisect.insort(out, t, key=_number)
        else:
            out.extend(extra)
        return out

    def drop(self, study_id: int) -> None:
        with self._lock:
            s = self._studies.pop(study_id, None)
            if s is not None:
                for t in s.finished.values():
                    self._by_id.pop(t.trial_id, None)


def _number(t: FrozenTrial) -> int:
    return t.number
