"""The link breaks exactly at the COMMIT of ``create_trial`` or of a claim (issue 11, item 5).

A hook on the real engine fires at the first COMMIT of a transaction that inserted a trial (or
claimed a WAITING one): either the COMMIT never reaches the database (the transaction rolls
back) or it lands and its reply is lost (the real connection is then closed / terminated on the
server). Both times the driver's OperationalError reaches pfnopt at COMMIT, so the outcome is
unknown to the worker, which must go on by itself: no duplicate number, no gap, no trial left
RUNNING, every trial told once.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import event

import pfnopt
from pfnopt.exceptions import TransientStorageError
from pfnopt.records import TrialState
from pfnopt.storage.sql.engine import parse_url

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _url(backend: str, request, tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'lost.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")


class BreakAtCommit:
    """Breaks the first COMMIT (of the next ``times`` ones) of a transaction whose SQL matches ``what``.

    ``landed=False``: nothing is stored; on PostgreSQL the server terminates the session just
    before the COMMIT is sent, and the driver's own error comes back.
    ``landed=True``: the COMMIT is really sent and succeeds, then the connection is killed (on
    PostgreSQL the server terminates its backend) and the error is raised, as when the reply is
    lost on the way back."""

    def __init__(self, storage, what: str | tuple[str, ...], landed: bool, times: int = 1):
        self.engine = storage._db.engine
        self.postgres = not storage._db.is_sqlite
        self.what = (what,) if isinstance(what, str) else what
        self.landed, self.left, self.fired = landed, times, 0
        self._admin = (sa.create_engine(parse_url(storage.url), isolation_level="AUTOCOMMIT",
                                        poolclass=sa.pool.NullPool) if self.postgres else None)
        event.listen(self.engine, "before_cursor_execute", self._saw)
        event.listen(self.engine, "commit", self._commit)

    def _saw(self, conn, _cursor, statement, *_args) -> None:
        text = " ".join(statement.split())
        if all(w in text for w in self.what):
            conn.info["pfnopt_test_marked"] = True

    def _commit(self, conn) -> None:
        if not conn.info.pop("pfnopt_test_marked", False) or self.left <= 0:
            return
        self.left -= 1
        self.fired += 1
        dbapi = conn.connection.dbapi_connection
        if self.landed:
            dbapi.commit()  # the COMMIT really lands
        if self.postgres:
            import psycopg

            with self._admin.connect() as admin:  # the server ends this session, as on a restart
                admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": dbapi.info.backend_pid})
            if not self.landed:
                return  # the driver now sends COMMIT to a terminated session and raises by itself
            conn.invalidate()  # what SQLAlchemy does with a connection its driver found dead
            orig = psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")
        else:
            if not self.landed:
                dbapi.rollback()
            orig = sqlite3.OperationalError("database is locked")
        raise sa.exc.OperationalError("COMMIT", None, orig)

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._saw)
        event.remove(self.engine, "commit", self._commit)
        if self._admin is not None:
            self._admin.dispose()


def _objective(calls: list[int]):
    lock = threading.Lock()

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        with lock:
            calls.append(trial.number)
        return x

    return objective


def _check_all_told_once(study, calls: list[int], n: int) -> None:
    trials = study.trials
    assert [t.number for t in trials] == list(range(n))  # no duplicate number, no gap, nothing extra
    assert all(t.state == TrialState.COMPLETE for t in trials)  # none left RUNNING (or WAITING)
    assert sorted(calls) == list(range(n))  # each trial run and told exactly once
    assert all(t.values[0] == t.params["x"] for t in trials)


@pytest.mark.parametrize("landed", [True, False], ids=["commit-landed", "commit-lost"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_create_trial_commit_broken_worker_goes_on(backend, landed, request, tmp_path, caplog):
    study = pfnopt.create_study(storage=_url(backend, request, tmp_path), sampler="random")
    hook = BreakAtCommit(study._storage, "INSERT INTO pfnopt_trials", landed)
    calls: list[int] = []
    try:
        with caplog.at_level(logging.WARNING, logger="pfnopt"):
            study.optimize(_objective(calls), n_trials=4)
    finally:
        hook.remove()
    assert hook.fired == 1
    _check_all_told_once(study, calls, 4)
    kept = [r for r in caplog.records if "COMMIT landed" in r.getMessage()]
    assert len(kept) == (1 if landed else 0)  # adopted its own row only when the COMMIT had landed


@pytest.mark.parametrize("landed", [True, False], ids=["commit-landed", "commit-lost"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_claim_commit_broken_worker_goes_on(backend, landed, request, tmp_path):
    study = pfnopt.create_study(storage=_url(backend, request, tmp_path), sampler="random")
    study.enqueue_trial({"x": 0.25})
    study.enqueue_trial({"x": 0.75})
    hook = BreakAtCommit(study._storage, ("UPDATE pfnopt_trials", "datetime_start"), landed)  # the claim
    calls: list[int] = []
    try:
        study.optimize(_objective(calls), n_trials=3)
    finally:
        hook.remove()
    assert hook.fired == 1
    _check_all_told_once(study, calls, 3)
    assert [t.params["x"] for t in study.trials[:2]] == [0.25, 0.75]  # each enqueued trial claimed once


@pytest.mark.parametrize("landed", [True, False], ids=["commit-landed", "commit-lost"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_tell_commit_broken_is_told_once(backend, landed, request, tmp_path):
    """``tell`` retried after its COMMIT broke: it finds its own finish (landed) or writes it
    (lost); either way the trial is COMPLETE once, with its value, and the loop goes on."""
    study = pfnopt.create_study(storage=_url(backend, request, tmp_path), sampler="random")
    hook = BreakAtCommit(study._storage, ("UPDATE pfnopt_trials", "datetime_complete"), landed)
    calls: list[int] = []
    try:
        study.optimize(_objective(calls), n_trials=3)
    finally:
        hook.remove()
    assert hook.fired == 1
    _check_all_told_once(study, calls, 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_broken_commit_of_a_read_is_retried(backend, request, tmp_path):
    """The race seen under killed connections: the link broke at the COMMIT of the read that
    opens a claim. A read's COMMIT changes nothing, so it is retried like any other failure."""
    study = pfnopt.create_study(storage=_url(backend, request, tmp_path), sampler="random")
    hook = BreakAtCommit(study._storage, "min(pfnopt_trials.number)", landed=True, times=2)
    calls: list[int] = []
    try:
        study.optimize(_objective(calls), n_trials=3)
    finally:
        hook.remove()
    assert hook.fired == 2
    _check_all_told_once(study, calls, 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_commit_landed_then_database_away_past_the_bound_is_failed_by_the_heartbeat_rule(
    backend, request, tmp_path
):
    """The one case the worker cannot settle: its COMMIT landed and the database stays away
    longer than ``retry_seconds``. ``ask`` then raises, and the ownerless RUNNING trial (its
    heartbeat stamped at creation, never refreshed) is failed and retried by the next ``ask``."""
    url = _url(backend, request, tmp_path)
    study = pfnopt.create_study(storage=url, sampler="random", heartbeat_interval=0.2, grace_period=0.6,
                                max_retry=1)
    study._storage.retry_seconds = 0.5
    hook = BreakAtCommit(study._storage, "INSERT INTO pfnopt_trials", landed=True)
    away = {"until": 0.0}

    def refuse(conn, *_args) -> None:  # every statement fails while the database is "away"
        if time.monotonic() < away["until"]:
            raise sa.exc.OperationalError("SELECT", None, sqlite3.OperationalError("database is locked")
                                          if backend == "sqlite" else _pg_lost())

    original = hook._commit

    def commit_then_go_away(conn) -> None:
        try:
            original(conn)
        finally:
            if hook.fired:
                away["until"] = time.monotonic() + 3.0

    event.remove(hook.engine, "commit", hook._commit)
    hook._commit = commit_then_go_away
    event.listen(hook.engine, "commit", hook._commit)
    event.listen(hook.engine, "before_cursor_execute", refuse)
    try:
        with pytest.raises(TransientStorageError, match="gave up"):
            study.ask()
    finally:
        event.remove(hook.engine, "before_cursor_execute", refuse)
        hook.remove()
    (orphan,) = study.trials
    assert orphan.state == TrialState.RUNNING and orphan.heartbeat is not None
    time.sleep(0.8)  # past the grace period: nobody beat for it
    t = study.ask()  # fails the orphan as stale and claims its retry
    trials = study.trials
    assert trials[0].state == TrialState.FAIL
    assert t.number == 1 and trials[1].system_attrs.get("retried_from") == 0
    study.tell(t, 1.0)
    assert [x.state for x in study.trials] == [TrialState.FAIL, TrialState.COMPLETE]


def _pg_lost():
    import psycopg

    return psycopg.OperationalError("server closed the connection unexpectedly")
