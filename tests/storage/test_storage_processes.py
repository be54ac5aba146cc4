"""Real processes on one database: 4 on a SQLite file, 8 on PostgreSQL, 200 trials in all, and a
worker killed with SIGKILL whose trial is failed by its stopped heartbeat."""

from __future__ import annotations

import datetime as _dt
import multiprocessing as mp
import os
import signal
import time

import pytest

from pfnopt.records import StudyDirection, TrialState
from pfnopt.space import Categorical, Float

N_TRIALS = 200
SPACE = {"x": Float(-1.0, 1.0), "kind": Categorical(["a", "b", "c"])}
CTX = mp.get_context("spawn")  # not fork: the test process has threads (heartbeats, Dask loops) whose locks a fork would copy held


def _worker(url: str, study: str, worker: int, n: int, start, out) -> None:
    try:
        out.put(_work(url, study, worker, n, start))
    except BaseException as e:  # reported by the parent
        out.put(f"worker {worker} failed: {type(e).__name__}: {e}")
        raise


def _work(url: str, study: str, worker: int, n: int, start) -> list[tuple[int, float]]:
    from pfnopt.storage import get_storage

    store = get_storage(url)
    sid = store.get_study_id(study)
    start.wait()
    done = []
    for i in range(n):
        value = worker * 1000.0 + i
        t = store.create_trial(sid, params={"x": (i % 20) / 10 - 1, "kind": "abc"[i % 3]}, distributions=SPACE)
        store.set_trial_intermediate_value(t.trial_id, 0, value)
        store.get_all_trials(sid)  # what a sampler does on every ask
        store.finish_trial(t.trial_id, TrialState.COMPLETE, [value], [-1.0], {"worker": worker})
        done.append((t.number, value))
    store.close()
    return done


def run_workers(url: str, n_workers: int) -> None:
    from pfnopt.storage import SQLStorage

    store = SQLStorage(url)
    sid = store.create_study("crowd", [StudyDirection.MINIMIZE])
    per = N_TRIALS // n_workers
    start, out = CTX.Barrier(n_workers), CTX.Queue()
    procs = [CTX.Process(target=_worker, args=(url, "crowd", w, per, start, out)) for w in range(n_workers)]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]  # generous: 8 spawned Pythons on a loaded 2-core machine
    assert not [r for r in results if isinstance(r, str)], results
    for p in procs:
        p.join(300)  # a spawned Python can take long to exit on a loaded machine
        assert p.exitcode == 0
    numbers = [num for r in results for num, _ in r]
    assert sorted(numbers) == list(range(N_TRIALS))  # no duplicate, no gap
    trials = store.get_all_trials(sid)
    assert [t.number for t in trials] == list(range(N_TRIALS))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    stored = {t.number: t.values[0] for t in trials}
    assert stored == {num: v for r in results for num, v in r}  # nothing lost, nothing mixed up
    assert all(t.intermediate_values == {0: t.values[0]} and t.system_attrs["worker"] == t.values[0] // 1000
               for t in trials)
    store.close()


def test_four_processes_on_one_sqlite_file(tmp_path):
    run_workers(f"sqlite:///{tmp_path / 'crowd.db'}", 4)


@pytest.mark.postgres
def test_eight_processes_on_postgres(pg_url):
    run_workers(pg_url, 8)


def _beating_worker(url: str, trial_id: int, ready) -> None:
    from pfnopt.storage import SQLStorage

    store = SQLStorage(url)
    store.record_heartbeat(trial_id)
    ready.set()
    while True:  # mid-trial: beating until killed
        store.record_heartbeat(trial_id)
        time.sleep(0.05)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_sigkilled_worker_is_failed_by_its_heartbeat(backend, request, tmp_path):
    from pfnopt.storage import SQLStorage

    url = f"sqlite:///{tmp_path / 'hb.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    store = SQLStorage(url)
    sid = store.create_study("hb", [StudyDirection.MINIMIZE])
    doomed = store.create_trial(sid, params={"x": 0.5, "kind": "b"}, distributions=SPACE)
    alive = store.create_trial(sid)
    workers = {}
    for t in (doomed, alive):
        ready = CTX.Event()
        workers[t.trial_id] = CTX.Process(target=_beating_worker, args=(url, t.trial_id, ready), daemon=True)
        workers[t.trial_id].start()
        assert ready.wait(10)
    time.sleep(0.2)
    os.kill(workers[doomed.trial_id].pid, signal.SIGKILL)
    workers[doomed.trial_id].join(5)
    grace = _dt.timedelta(seconds=0.6)
    assert store.fail_stale_trials(sid, grace) == []  # still within the grace period
    time.sleep(0.9)
    failed = store.fail_stale_trials(sid, grace)
    workers[alive.trial_id].kill()
    workers[alive.trial_id].join(5)
    assert [t.trial_id for t in failed] == [doomed.trial_id]
    assert failed[0].state == TrialState.FAIL and failed[0].params == {"x": 0.5, "kind": "b"}
    assert store.get_trial(alive.trial_id).state == TrialState.RUNNING
    assert store.fail_stale_trials(sid, grace) == []  # failed once, never twice
    store.close()
