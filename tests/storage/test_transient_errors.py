"""Transient database errors are retried (issue 11, item 5): connections killed by the server under
running workers, and the classification of driver errors."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import exc

import pfnopt
from pfnopt.records import TrialState
from pfnopt.storage.sql.engine import is_transient, parse_url


class _Orig(Exception):
    def __init__(self, text: str, sqlstate: str | None = None):
        super().__init__(text)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "error, transient",
    [
        (exc.OperationalError("x", {}, _Orig("terminating connection due to administrator command", "57P01")), True),
        (exc.OperationalError("x", {}, _Orig("could not serialize access", "40001")), True),
        (exc.OperationalError("x", {}, _Orig("deadlock detected", "40P01")), True),
        (exc.OperationalError("x", {}, _Orig("connection failed: Connection refused")), True),
        (exc.OperationalError("x", {}, _Orig("server closed the connection unexpectedly")), True),
        (exc.OperationalError("x", {}, _Orig("database is locked")), True),
        (exc.OperationalError("x", {}, _Orig('password authentication failed for user "u"', "28P01")), False),
        (exc.OperationalError("x", {}, _Orig('database "nope" does not exist', "3D000")), False),
        (exc.OperationalError("x", {}, _Orig("failed to resolve host 'db.example'")), False),
        (exc.IntegrityError("x", {}, _Orig("duplicate key", "23505")), False),
        (exc.ProgrammingError("x", {}, _Orig("syntax error", "42601")), False),
    ],
)
def test_transient_errors_are_told_from_permanent_ones(error, transient):
    assert is_transient(error) is transient


@pytest.mark.postgres
def test_workers_survive_killed_connections_with_nothing_lost_or_told_twice(pg_url, study_name):
    """The server terminates every pfnopt connection of this database five times while 4 threads
    optimize: each call is retried (a COMMIT broken on the way is settled by the call's own row),
    every worker's loop ends normally, every trial is told exactly once, none is left RUNNING."""
    study = pfnopt.create_study(study_name=study_name, storage=pg_url, sampler="random",
                                heartbeat_interval=0.5, grace_period=30.0, max_retry=1)
    calls: list[int] = []
    lock = threading.Lock()

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        time.sleep(0.02)
        with lock:
            calls.append(trial.number)
        return x

    from sqlalchemy.pool import NullPool

    admin = sa.create_engine(parse_url(pg_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    killed = []
    stop = threading.Event()

    def killer():
        with admin.connect() as conn:
            for _ in range(5):
                if stop.wait(0.4):
                    return
                n = conn.execute(sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = 'pfnopt' AND pid <> pg_backend_pid()"
                )).scalar()
                killed.append(n)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        study.optimize(objective, n_trials=80, n_jobs=4)
    finally:
        stop.set()
        thread.join()
        admin.dispose()
    assert sum(killed) > 0  # connections really were terminated under the workers
    trials = study.trials
    assert [t.number for t in trials] == list(range(len(trials)))  # unique, gap-free
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(trials) == len(complete) == 80  # 0 lost, none RUNNING or failed, no extra trial
    assert sorted(calls) == sorted(t.number for t in complete)  # each told once, with its own run
    assert all(t.values[0] == t.params["x"] for t in complete)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_tell_retried_after_a_lost_reply_is_not_a_second_finish(backend, request, tmp_path):
    """When the link broke during COMMIT, the retried ``finish_trial`` finds its own earlier commit:
    same state and values -> that trial is returned; anything else is still refused."""
    from pfnopt.exceptions import TrialFinishedError
    from pfnopt.storage import get_storage
    from pfnopt.storage.sql import retry

    url = f"sqlite:///{tmp_path / 'r.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    store = get_storage(url)
    sid = store.create_study("s", ["minimize"])
    t = store.create_trial(sid)
    first = store.finish_trial(t.trial_id, TrialState.COMPLETE, [1.5], [-0.5])
    retry._state.attempt = 1  # what the retry loop sets when it runs the call again
    finish = type(store).finish_trial.__wrapped__  # the method body, as the retry loop runs it
    try:
        again = finish(store, t.trial_id, TrialState.COMPLETE, [1.5], [-0.5])
        assert again.values == first.values and again.datetime_complete == first.datetime_complete
        with pytest.raises(TrialFinishedError):
            finish(store, t.trial_id, TrialState.COMPLETE, [2.0], [-0.5])
        with pytest.raises(TrialFinishedError):
            finish(store, t.trial_id, TrialState.FAIL)
    finally:
        retry._state.attempt = 0
    with pytest.raises(TrialFinishedError):  # outside a retry, a second finish is always refused
        store.finish_trial(t.trial_id, TrialState.COMPLETE, [1.5], [-0.5])
