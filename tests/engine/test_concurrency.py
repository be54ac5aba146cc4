"""Several processes on one study (SQLite file, PostgreSQL server) and a worker killed mid-trial."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pfnopt
from pfnopt import TrialState

WORKER = '''
import sys, pfnopt
url, name, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
study = pfnopt.load_study(study_name=name, storage=url, sampler=pfnopt.samplers.get_sampler("random", seed=seed))
space = {"x": pfnopt.Float(0, 1), "k": pfnopt.Int(1, 9)}
for _ in range(n):
    t = study.ask(space)
    study.tell(t, t.params["x"] * t.params["k"])
'''

HANGING_WORKER = '''
import sys, time, pfnopt
url, name = sys.argv[1], sys.argv[2]
study = pfnopt.load_study(study_name=name, storage=url, sampler="random", heartbeat_interval=0.2)
def objective(trial):
    trial.suggest_float("x", 0, 1)
    trial.suggest_categorical("c", ["a", "b"])
    print("started", flush=True)
    time.sleep(600)
    return 0.0
study.optimize(objective, n_trials=1)
'''

ROOT = Path(__file__).resolve().parents[2]


def _run_workers(url: str, name: str, n_procs: int, per_proc: int, tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, str(script), url, name, str(per_proc), str(i)], env=env,
                              stderr=subprocess.PIPE, text=True) for i in range(n_procs)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err


def _check_200(url: str, name: str) -> None:
    trials = pfnopt.load_study(study_name=name, storage=url).trials
    numbers = [t.number for t in trials]
    assert len(trials) == 200
    assert sorted(numbers) == list(range(200))  # no duplicate, none lost
    assert all(t.state == TrialState.COMPLETE and t.values is not None for t in trials)
    assert all(t.values[0] == pytest.approx(t.params["x"] * t.params["k"]) for t in trials)


def test_four_processes_on_one_sqlite_study(tmp_path, study_name):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    pfnopt.create_study(study_name=study_name, storage=url)
    _run_workers(url, study_name, 4, 50, tmp_path)
    _check_200(url, study_name)


@pytest.mark.postgres
def test_eight_processes_on_one_postgres_study(tmp_path, study_name, pg_url):
    url = pg_url
    pfnopt.create_study(study_name=study_name, storage=url)
    _run_workers(url, study_name, 8, 25, tmp_path)
    _check_200(url, study_name)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_killed_worker_is_failed_by_heartbeat_and_retried(tmp_path, study_name, backend, request):
    url = f"sqlite:///{tmp_path / 'hb.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    pfnopt.create_study(study_name=study_name, storage=url)
    script = tmp_path / "hang.py"
    script.write_text(HANGING_WORKER)
    proc = subprocess.Popen([sys.executable, str(script), url, study_name], stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True)
    try:
        assert proc.stdout.readline().strip() == "started"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    study = pfnopt.load_study(study_name=study_name, storage=url, sampler="random",
                              heartbeat_interval=0.2, grace_period=0.6, max_retry=1)
    (dead,) = study.trials
    assert dead.state == TrialState.RUNNING  # the dead worker left it RUNNING
    time.sleep(1.0)
    seen = {}

    def objective(trial):
        seen["params"] = (trial.suggest_float("x", 0, 1), trial.suggest_categorical("c", ["a", "b"]))
        return 1.0

    study.optimize(objective, n_trials=1)
    first, retry = study.trials
    assert first.state == TrialState.FAIL
    assert retry.state == TrialState.COMPLETE
    assert retry.params == first.params and seen["params"] == (first.params["x"], first.params["c"])
    assert retry.system_attrs["retried_from"] == 0
    # no second retry: the lineage already used max_retry=1
    assert study.fail_stale_trials() == []
