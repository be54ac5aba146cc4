"""The SQL storage: SQLite (embedded default) and PostgreSQL through the same code.

Each public method is one transaction (``Database.txn``); driver errors come out as one-line
:class:`StorageError` naming the backend and the URL with its password masked.

Concurrency, on both backends:

* Trial numbers: ``create_trial`` starts with ``UPDATE pfnopt_studies SET next_trial_number =
  next_trial_number + 1 ... RETURNING``; the row lock (PostgreSQL) or the database write lock
  (SQLite, ``BEGIN IMMEDIATE``) is held until commit, so numbers are unique and gap-free, and
  trials become visible in number order.
* Claiming a WAITING trial and failing a stale RUNNING one are conditional UPDATEs
  (``... WHERE state = 'WAITING'`` / ``'RUNNING'``): of two workers, one changes the row, the
  other sees zero rows and moves on.
* Writes to a trial lock its row first (``SELECT ... FOR UPDATE``; SQLite is already serialised),
  so a trial cannot be changed after another worker finished it.
* Failing stale trials and enqueuing their retries is ONE transaction: a crash between the two
  can neither lose a retry nor enqueue one for a trial that was not failed.
* Transient errors (a lost connection during a server restart, serialization failures,
  deadlocks) are retried for up to ``retry_seconds`` (see :mod:`pfnopt.storage.sql.retry`).
  When the link breaks during the COMMIT of ``create_trial`` or of a claim, the next try looks
  for the row that COMMIT wrote (:class:`_Attempt`) and keeps it if it landed: no duplicate
  number, no lost trial, no trial left RUNNING without its worker (unless the database stays
  away past ``retry_seconds``: then the call raises, and the trial is like one of a crashed
  worker, failed by the heartbeat rule when heartbeats are on).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Connection

from pfnopt.exceptions import (
    DuplicateStudyError,
    ParameterError,
    StudyNotFoundError,
    TransientStorageError,
    TrialFinishedError,
    TrialNotFoundError,
)
from pfnopt.records import FrozenTrial, StudyDirection, StudyInfo, TrialState, utcnow
from pfnopt.space import Distribution, distribution_to_json
from pfnopt.space.names import check_name
from pfnopt.storage._util import check_consistent, copy_attrs, dump_json, new_trial_fields, retry_spec, to_internal
from pfnopt.storage.base import BaseStorage
from pfnopt.storage.sql import models as m
from pfnopt.storage.sql import statements as q
from pfnopt.storage.sql.engine import Database
from pfnopt.storage.sql.loader import BY_ID, BY_IDS, REFRESH, TrialCache, parse_distribution, to_db_float
from pfnopt.storage.sql.retry import is_retry, retry_seconds_from_env, retrying
from pfnopt.storage.sql.schema import ensure_schema

T, S = m.trials.c, m.studies.c
logger = logging.getLogger("pfnopt")


class SQLStorage(BaseStorage):
    """Trials in a SQL database: ``SQLStorage("sqlite:///store/pfnopt.db")`` or
    ``SQLStorage("postgresql+psycopg://user:password@host/db")``.

    Opening creates the schema in an empty database and refuses one at another schema revision
    (:class:`SchemaVersionError`, naming the ``pfnopt db upgrade`` command). Finished trials are
    cached in this object, so ``get_all_trials`` on every ``ask`` reads only new and unfinished
    trials. Safe across threads, processes and machines; picklable (reconnects by URL).
    """

    def __init__(self, url: str, retry_seconds: float | None = None):
        self.url = url
        self.retry_seconds = retry_seconds_from_env() if retry_seconds is None else float(retry_seconds)
        if not self.retry_seconds >= 0:
            raise ParameterError(f"retry_seconds must be >= 0, got {retry_seconds!r}")
        self._db = Database(url)
        self._cache = TrialCache()
        try:
            ensure_schema(self._db)
        except BaseException:
            self._db.dispose()
            raise
        self._upsert = q.upserts("sqlite" if self._db.is_sqlite else "postgresql")

    def __reduce__(self):
        return (type(self), (self.url, self.retry_seconds))

    def __repr__(self) -> str:
        return f"SQLStorage({self._db.masked!r})"

    def describe(self) -> str:
        return self._db.masked

    def close(self) -> None:
        self._db.dispose()

    # studies ------------------------------------------------------------------------------------
    @retrying(idempotent=False)
    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> int:
        check_name("study name", name)
        dirs = [StudyDirection.parse(d) for d in directions]
        with self._db.txn(write=True) as conn:
            try:
                study_id = conn.execute(
                    q.INSERT_STUDY, {"study_name": name, "created": utcnow(), "next_trial_number": 0}
                ).inserted_primary_key[0]
            except exc.IntegrityError:
                raise DuplicateStudyError(
                    f"a study named {name!r} already exists in {self.describe()} (use load_if_exists=True to reuse it)"
                ) from None
            conn.execute(q.INSERT_DIRECTIONS, [
                {"study_id": study_id, "objective": i, "direction": d.name} for i, d in enumerate(dirs)
            ])
        return study_id

    @retrying(idempotent=False)
    def delete_study(self, study_id: int) -> None:
        with self._db.txn(write=True) as conn:
            self._lock_study(conn, study_id)
            ids = sa.select(T.trial_id).where(T.study_id == study_id).scalar_subquery()
            for table in (m.params, m.values, m.constraints, m.intermediate, m.trial_attrs):
                conn.execute(sa.delete(table).where(table.c.trial_id.in_(ids)))
            for table in (m.trials, m.directions, m.study_attrs, m.studies):
                conn.execute(sa.delete(table).where(table.c.study_id == study_id))
        self._cache.drop(study_id)

    @retrying(idempotent=True)
    def get_study_id(self, name: str) -> int:
        with self._db.txn() as conn:
            found = conn.execute(q.STUDY_ID_BY_NAME, {"name": name}).scalar()
            if found is not None:
                return found
            known = list(conn.execute(sa.select(S.study_name).order_by(S.study_id).limit(6)).scalars())
        hint = f"; studies here: {', '.join(map(repr, known[:5]))}" + (" ..." if len(known) > 5 else "")
        raise StudyNotFoundError(f"no study named {name!r} in {self.describe()}" + (hint if known else " (it has no studies)"))

    @retrying(idempotent=True)
    def get_study(self, study_id: int) -> StudyInfo:
        with self._db.txn() as conn:
            found = self._studies(conn, S.study_id == study_id)
        if not found:
            raise self._no_study(study_id)
        return found[0]

    @retrying(idempotent=True)
    def list_studies(self) -> list[StudyInfo]:
        with self._db.txn() as conn:
            return self._studies(conn, sa.true())

    @retrying(idempotent=True)
    def set_study_attr(self, study_id: int, key: str, value: Any, system: bool = False) -> None:
        text = dump_json(key, value)
        with self._db.txn(write=True) as conn:
            self._lock_study(conn, study_id)
            conn.execute(self._upsert["study_attr"], {"study_id": study_id, "is_system": system, "key": key,
                                                      "value_json": text})

    # trials -------------------------------------------------------------------------------------
    def create_trial(
        self,
        study_id: int,
        state: TrialState = TrialState.RUNNING,
        params: dict[str, Any] | None = None,
        distributions: dict[str, Distribution] | None = None,
        user_attrs: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
        heartbeat: bool = True,
    ) -> FrozenTrial:
        fields = new_trial_fields(state, params, distributions, user_attrs, system_attrs)
        trial = self._create_trial(_Attempt(), study_id, *fields, heartbeat)
        self._cache.created(study_id, trial)
        return trial

    @retrying(idempotent=True)  # a COMMIT of unknown outcome is settled by the attempt's own row
    def _create_trial(
        self,
        attempt: "_Attempt",
        study_id: int,
        state: TrialState,
        internal: dict[str, tuple[float, Distribution]],
        users: dict[str, Any],
        systems: dict[str, Any],
        heartbeat: bool,
    ) -> FrozenTrial:
        own = self._settle(attempt)
        if own is not None:
            return own
        with attempt.track(), self._db.txn(write=True) as conn:
            attempt.written = self._insert_trial(conn, study_id, state, internal, users, systems, heartbeat)
        return attempt.written

    def _settle(self, attempt: "_Attempt") -> FrozenTrial | None:
        """After a COMMIT of unknown outcome: the attempt's trial if that COMMIT landed, else None
        (nothing of it is stored, so writing again is safe). A transient error here is retried by
        the caller's loop, with the attempt still pending."""
        mine = attempt.pending
        if mine is None:
            return None
        with self._db.txn() as conn:
            found = BY_ID.load(conn, {"tid": mine.trial_id})
        own = found[0] if found and _same_row(found[0], mine) else None
        attempt.pending = None
        if own is not None:
            logger.warning("trial %d (id %d): the reply to its COMMIT was lost but the COMMIT landed; "
                           "this worker keeps it", own.number, own.trial_id)
        return own

    def _insert_trial(
        self,
        conn: Connection,
        study_id: int,
        state: TrialState,
        internal: dict[str, tuple[float, Distribution]],
        users: dict[str, Any],
        systems: dict[str, Any],
        heartbeat: bool,
    ) -> FrozenTrial:
        """Insert a trial with the next number inside the caller's write transaction."""
        now = utcnow() if state == TrialState.RUNNING else None
        beat = now if heartbeat else None
        number = conn.execute(q.NEXT_NUMBER, {"sid": study_id}).scalar()
        if number is None:
            raise self._no_study(study_id)
        number -= 1
        trial_id = conn.execute(q.INSERT_TRIAL, {
            "study_id": study_id, "number": number, "state": state.name, "datetime_start": now, "heartbeat": beat,
        }).inserted_primary_key[0]
        self._insert_params(conn, trial_id, internal)
        self._upsert_trial_attrs(conn, trial_id, users, False)
        self._upsert_trial_attrs(conn, trial_id, systems, True)
        return FrozenTrial(
            trial_id=trial_id, number=number, state=state,
            params={n: d.to_external(v) for n, (v, d) in internal.items()},
            distributions={n: d for n, (_, d) in internal.items()},
            user_attrs=users, system_attrs=systems, datetime_start=now, heartbeat=beat,
        )

    def claim_waiting_trial(self, study_id: int, heartbeat: bool = True) -> FrozenTrial | None:
        return self._claim_waiting_trial(_Attempt(), study_id, heartbeat)

    @retrying(idempotent=True)  # a COMMIT of unknown outcome is settled by the attempt's own row
    def _claim_waiting_trial(self, attempt: "_Attempt", study_id: int, heartbeat: bool) -> FrozenTrial | None:
        own = self._settle(attempt)
        if own is not None:
            return own
        with self._db.txn() as conn:  # cheap read first: most asks find nothing to claim
            row = conn.execute(q.FIRST_WAITING, {"sid": study_id}).first()
        if row is None:
            raise self._no_study(study_id)
        if row[1] is None:
            return None
        with attempt.track(), self._db.txn(write=True) as conn:
            while attempt.written is None:
                candidates = list(conn.execute(q.WAITING_IDS, {"sid": study_id}).scalars())
                if not candidates:
                    return None
                for trial_id in candidates:
                    now = utcnow()
                    if conn.execute(q.CLAIM, {"tid": trial_id, "now": now,
                                              "beat": now if heartbeat else None}).rowcount == 1:
                        attempt.written = BY_ID.load(conn, {"tid": trial_id})[0]
                        break
                    # rowcount 0: another worker claimed this one first; try the next
        return attempt.written

    @retrying(idempotent=True)
    def set_trial_params(self, trial_id: int, params: dict[str, Any], distributions: dict[str, Distribution]) -> None:
        internal = to_internal(params, distributions)
        if not internal:
            return
        with self._db.txn(write=True) as conn:
            rows = conn.execute(q.LOCK_TRIAL_WITH_PARAMS, {"tid": trial_id}).all()
            self._check_open(trial_id, rows[0] if rows else None)
            for r in rows:
                if r.param_name in internal:
                    new = internal.pop(r.param_name)
                    check_consistent(r.param_name, (r.param_value, parse_distribution(r.distribution_json)), new, r.number)
            self._insert_params(conn, trial_id, internal)

    @retrying(idempotent=True)
    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        with self._db.txn(write=True) as conn:
            self._check_open(trial_id, conn.execute(q.LOCK_TRIAL, {"tid": trial_id}).first())
            conn.execute(self._upsert["intermediate"], {"trial_id": trial_id, "step": int(step), "value": to_db_float(value)})

    @retrying(idempotent=True)
    def set_trial_attr(self, trial_id: int, key: str, value: Any, system: bool = False) -> None:
        text = dump_json(key, value)
        with self._db.txn(write=True) as conn:
            self._check_open(trial_id, conn.execute(q.LOCK_TRIAL, {"tid": trial_id}).first())
            conn.execute(self._upsert["trial_attr"], {"trial_id": trial_id, "is_system": system, "key": key,
                                                      "value_json": text})

    @retrying(idempotent=True)
    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        constraints: Sequence[float] | None = None,
        system_attrs: dict[str, Any] | None = None,
    ) -> FrozenTrial:
        state = TrialState(state)
        if not state.is_finished():
            raise ParameterError(f"finish_trial takes COMPLETE, PRUNED or FAIL, not {state.name}")
        attrs = copy_attrs(system_attrs)
        with self._db.txn(write=True) as conn:
            study_id = conn.execute(q.FINISH, {"tid": trial_id, "state": state.name, "now": utcnow()}).scalar()
            if study_id is None:  # missing, or finished already (perhaps by another worker just now)
                row = conn.execute(q.LOCK_TRIAL, {"tid": trial_id}).first()
                if is_retry() and row is not None and row.state == state.name:
                    # our earlier try may have committed before its reply was lost: the same outcome
                    # stored already is that try's, not a second finish
                    done = BY_ID.load(conn, {"tid": trial_id})[0]
                    if _same_values(done.values, values) and _same_values(done.constraints, constraints):
                        self._cache.add(row.study_id, [done])
                        return done
                self._check_open(trial_id, row)
            if values is not None and len(values):
                conn.execute(q.INSERT_VALUES, [
                    {"trial_id": trial_id, "objective": i, "value": to_db_float(v)} for i, v in enumerate(values)
                ])
            if constraints is not None and len(constraints):
                conn.execute(q.INSERT_CONSTRAINTS, [
                    {"trial_id": trial_id, "idx": i, "value": to_db_float(c)} for i, c in enumerate(constraints)
                ])
            self._upsert_trial_attrs(conn, trial_id, attrs, True)
            trial = BY_ID.load(conn, {"tid": trial_id})[0]
        self._cache.add(study_id, [trial])
        return trial

    def set_trial_datetimes(self, trial_id: int, datetime_start: _dt.datetime | None,
                            datetime_complete: _dt.datetime | None) -> FrozenTrial:
        with self._db.txn(write=True) as conn:
            done = conn.execute(
                sa.update(m.trials).where(m.trials.c.trial_id == trial_id)
                .values(datetime_start=datetime_start, datetime_complete=datetime_complete)
                .returning(m.trials.c.study_id)
            ).scalar()
            if done is None:
                raise self._no_trial(trial_id)
            trial = BY_ID.load(conn, {"tid": trial_id})[0]
        self._cache.drop(done)  # the cache keeps finished trials forever: reload this study's
        return trial

    @retrying(idempotent=True)
    def record_heartbeat(self, trial_id: int) -> bool:
        with self._db.txn(write=True) as conn:
            if conn.execute(q.BEAT, {"tid": trial_id, "now": utcnow()}).rowcount == 0:
                if conn.execute(q.TRIAL_EXISTS, {"tid": trial_id}).first() is None:
                    raise self._no_trial(trial_id)
                return False
        return True

    @retrying(idempotent=True)
    def fail_stale_trials(self, study_id: int, grace: _dt.timedelta, max_retry: int = 0) -> list[FrozenTrial]:
        args = {"sid": study_id, "cutoff": utcnow() - grace}
        with self._db.txn() as conn:  # cheap read first: usually nothing is stale
            row = conn.execute(q.ANY_STALE, args).first()
        if row is None:
            raise self._no_study(study_id)
        if row[1] is None:
            return []
        retries: list[FrozenTrial] = []
        with self._db.txn(write=True) as conn:
            ids = list(conn.execute(q.FAIL_STALE, {**args, "now": utcnow()}).scalars())
            failed = sorted(BY_IDS.load(conn, {"ids": ids}), key=lambda t: t.number) if ids else []
            for t in failed:
                spec = retry_spec(t, max_retry)
                if spec is not None:
                    retries.append(self._insert_trial(conn, study_id, TrialState.WAITING, {}, {}, spec, False))
        self._cache.add(study_id, failed)
        for r in retries:
            self._cache.created(study_id, r)
        return failed

    @retrying(idempotent=True)
    def get_trial(self, trial_id: int) -> FrozenTrial:
        cached = self._cache.get(trial_id)
        if cached is not None:
            return cached
        owners: dict[int, int] = {}
        with self._db.txn() as conn:
            found = BY_ID.load(conn, {"tid": trial_id}, owners)
        if not found:
            raise self._no_trial(trial_id)
        if found[0].state.is_finished():
            self._cache.add(owners[trial_id], found)
        return found[0]

    @retrying(idempotent=True)
    def get_trial_id(self, study_id: int, number: int) -> int:
        cached = self._cache.finished_number(study_id, number)
        if cached is not None:
            return cached.trial_id
        with self._db.txn() as conn:
            found = conn.execute(q.TRIAL_ID_BY_NUMBER, {"sid": study_id, "number": number}).scalar()
            if found is None:
                if conn.execute(q.STUDY_EXISTS, {"sid": study_id}).first() is None:
                    raise self._no_study(study_id)
                raise TrialNotFoundError(f"study {study_id} in {self.describe()} has no trial number {number!r}")
        return found

    @retrying(idempotent=True)
    def get_all_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        watermark, unfinished = self._cache.pending(study_id)
        fresh: list[FrozenTrial] = []
        with self._db.txn() as conn:
            count = conn.execute(q.TRIAL_COUNT, {"sid": study_id}).scalar()
            if count is None:
                self._cache.drop(study_id)
                raise self._no_study(study_id)
            if count > watermark or unfinished:
                fresh = REFRESH.load(conn, {"sid": study_id, "watermark": watermark, "unfinished": unfinished})
        self._cache.add(study_id, fresh, refresh=True)
        out = self._cache.assemble(study_id, fresh)
        if states is None:
            return out
        wanted = {TrialState(s) for s in states}
        return [t for t in out if t.state in wanted]

    @retrying(idempotent=True)
    def get_n_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> int:
        with self._db.txn() as conn:
            count = conn.execute(q.TRIAL_COUNT, {"sid": study_id}).scalar()
            if count is not None and states is not None:
                names = [TrialState(s).name for s in states]
                count = conn.execute(q.COUNT_IN_STATES, {"sid": study_id, "states": names}).scalar()
        if count is None:
            raise self._no_study(study_id)
        return count

    # internals ----------------------------------------------------------------------------------
    def _studies(self, conn: Connection, where: sa.ColumnElement[bool]) -> list[StudyInfo]:
        rows = conn.execute(
            sa.select(S.study_id, S.study_name, S.created, S.next_trial_number).where(where).order_by(S.study_id)
        ).all()
        if not rows:
            return []
        ids = [r.study_id for r in rows]
        dirs: dict[int, dict[int, StudyDirection]] = {i: {} for i in ids}
        d = m.directions.c
        for sid, objective, direction in conn.execute(
            sa.select(d.study_id, d.objective, d.direction).where(d.study_id.in_(ids))
        ):
            dirs[sid][objective] = StudyDirection[direction]
        attrs: dict[tuple[int, bool], dict[str, Any]] = {(i, s): {} for i in ids for s in (False, True)}
        a = m.study_attrs.c
        for sid, is_system, key, text in conn.execute(
            sa.select(a.study_id, a.is_system, a.key, a.value_json).where(a.study_id.in_(ids)).order_by(a.study_attr_id)
        ):
            attrs[sid, bool(is_system)][key] = json.loads(text)
        return [
            StudyInfo(r.study_id, r.study_name, tuple(dirs[r.study_id][k] for k in sorted(dirs[r.study_id])),
                      r.created, attrs[r.study_id, False], attrs[r.study_id, True], r.next_trial_number)
            for r in rows
        ]

    def _lock_study(self, conn: Connection, study_id: int) -> None:
        if conn.execute(q.LOCK_STUDY, {"sid": study_id}).first() is None:
            raise self._no_study(study_id)

    def _check_open(self, trial_id: int, row: Any) -> None:
        """Raise unless ``row`` (study_id, number, state of the trial) is RUNNING or WAITING."""
        if row is None:
            raise self._no_trial(trial_id)
        if row.state not in q.OPEN_STATES:
            raise TrialFinishedError(
                f"trial {row.number} (id {trial_id}) of study {row.study_id} is already {row.state}; "
                "a finished trial cannot change"
            )

    def _insert_params(self, conn: Connection, trial_id: int, internal: dict[str, tuple[float, Distribution]]) -> None:
        if internal:
            conn.execute(q.INSERT_PARAMS, [
                {"trial_id": trial_id, "param_name": n, "param_value": v, "distribution_json": distribution_to_json(d)}
                for n, (v, d) in internal.items()
            ])

    def _upsert_trial_attrs(self, conn: Connection, trial_id: int, attrs: dict[str, Any], system: bool) -> None:
        if attrs:
            conn.execute(self._upsert["trial_attr"], [
                {"trial_id": trial_id, "is_system": system, "key": k, "value_json": dump_json(k, v)}
                for k, v in attrs.items()
            ])

    def _no_study(self, study_id: int) -> StudyNotFoundError:
        return StudyNotFoundError(f"no study with id {study_id!r} in {self.describe()}")

    def _no_trial(self, trial_id: int) -> TrialNotFoundError:
        return TrialNotFoundError(f"no trial with id {trial_id!r} in {self.describe()}")


def _same_values(stored: Sequence[float] | None, given: Sequence[float] | None) -> bool:
    a = list(stored or [])
    b = [float(v) for v in (given or [])]
    return len(a) == len(b) and all(x == y or (x != x and y != y) for x, y in zip(a, b))


def _same_row(stored: FrozenTrial, written: FrozenTrial) -> bool:
    """Whether ``stored`` is the row ``written`` (as the attempt wrote it, before its COMMIT)."""
    return (stored.number, stored.state, stored.datetime_start, stored.params, stored.user_attrs,
            stored.system_attrs) == (written.number, written.state, written.datetime_start, written.params,
                                     written.user_attrs, written.system_attrs)


class _Attempt:
    """What one ``create_trial`` / ``claim_waiting_trial`` call wrote, kept across its retries.

    ``written`` is the trial as the attempt's transaction wrote it (set before COMMIT). When the
    link breaks DURING that COMMIT, ``track`` keeps it as ``pending``: the next try first looks
    for that row (``SQLStorage._settle``). The row is identified by its id, which is never handed
    out twice on PostgreSQL (sequences do not roll back), together with what the attempt wrote
    (number, state, start time taken under the row / database write lock, parameters and
    attributes): on SQLite an id rolled back may be given to the next writer, whose row then
    differs (a later start time, or other attributes)."""

    __slots__ = ("written", "pending")

    def __init__(self) -> None:
        self.written: FrozenTrial | None = None
        self.pending: FrozenTrial | None = None

    @contextlib.contextmanager
    def track(self) -> Iterator[None]:
        self.written = None
        try:
            yield
        except TransientStorageError as e:
            self.pending = self.written if e.commit_unknown else None
            raise
