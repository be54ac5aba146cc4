"""DaskExecutor against a real ``dask scheduler`` + ``dask worker`` started as subprocesses on
127.0.0.1 (ephemeral ports), on SQLite and PostgreSQL; a driver killed mid-run and restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import _dask_objectives as objectives
import pytest

import pfnopt
from pfnopt.records import TrialState
from pfnopt.samplers.simple import RandomSampler

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    here = str(Path(__file__).parent)  # the workers import _dask_objectives from here
    path = os.pathsep.join(p for p in (str(ROOT), here, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def _dask_cli(*args: str) -> list[str]:
    # `dask scheduler` / `dask worker` through the interpreter running the tests (same venv)
    return [sys.executable, "-c", "import sys; from dask.cli import run_cli; sys.argv[0] = 'dask'; run_cli()", *args]


@pytest.fixture(scope="module")
def scheduler_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask")
    sfile = folder / "scheduler.json"
    procs = [subprocess.Popen(
        _dask_cli("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(sfile)),
        env=_env(), stdout=subprocess.DEVNULL, stderr=(folder / "scheduler.log").open("w"), cwd=folder,
    )]
    try:
        deadline = time.monotonic() + 60
        while not sfile.exists():
            assert procs[0].poll() is None and time.monotonic() < deadline, (folder / "scheduler.log").read_text()
            time.sleep(0.1)
        procs.append(subprocess.Popen(
            _dask_cli("worker", "--scheduler-file", str(sfile), "--nworkers", "2", "--nthreads", "1",
                      "--no-dashboard", "--host", "127.0.0.1"),
            env=_env(), stdout=subprocess.DEVNULL, stderr=(folder / "worker.log").open("w"), cwd=folder,
        ))
        yield sfile
    finally:
        if len(procs) == 2:
            from distributed import Client

            try:  # the quick way down: the scheduler stops its workers, then itself
                with Client(scheduler_file=str(sfile), timeout=10) as c:
                    c.shutdown()
            except Exception:
                pass
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture
def client(scheduler_file):
    from distributed import Client

    with Client(scheduler_file=str(scheduler_file)) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dask.db'}"
    return request.getfixturevalue("pg_url")


def test_scheduler_and_worker_processes(client, url, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=url, sampler=RandomSampler(seed=5))
    study.optimize(objectives.conditional, n_trials=6, executor=pfnopt.DaskExecutor(client))
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(6))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.system_attrs["dask_worker"] for t in trials}) == 2


def test_a_killed_driver_is_restarted_and_resumes(client, scheduler_file, tmp_path, study_name):
    url = f"sqlite:///{tmp_path / 'resume.db'}"
    pfnopt.create_study(study_name=study_name, storage=url)
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""
        import _dask_objectives
        import pfnopt
        from distributed import Client
        from pfnopt.samplers.simple import RandomSampler
        client = Client(scheduler_file={str(scheduler_file)!r})
        study = pfnopt.load_study({study_name!r}, {url!r}, sampler=RandomSampler(seed=0), heartbeat_interval=0.5)
        study.optimize(_dask_objectives.slow, n_trials=40, executor=pfnopt.DaskExecutor(client))
    """))
    proc = subprocess.Popen([sys.executable, str(driver)], env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    study = pfnopt.load_study(study_name, url, sampler=RandomSampler(seed=1), heartbeat_interval=0.5,
                              grace_period=1.5, max_retry=1)
    deadline = time.monotonic() + 60
    while len(study.get_trials(states=(TrialState.COMPLETE,))) < 3:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()[-2000:]
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = len(study.get_trials())
    assert before < 40

    time.sleep(1.6)  # longer than the grace period: whatever the dead driver left RUNNING is stale now
    study.optimize(objectives.slow, n_trials=4, executor=pfnopt.DaskExecutor(client))
    deadline = time.monotonic() + 10  # tasks of the dead driver that were running finish and tell
    while study.get_trials(states=(TrialState.RUNNING, TrialState.WAITING)) and time.monotonic() < deadline:
        time.sleep(0.1)

    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(len(trials)))
    assert len(trials) >= before + 4
    assert not study.get_trials(states=(TrialState.RUNNING, TrialState.WAITING))
    for t in trials:
        assert t.state in (TrialState.COMPLETE, TrialState.FAIL)
        if t.state == TrialState.FAIL:  # stranded by the dead driver: failed once, retried with its params
            retry = [r for r in trials if r.system_attrs.get("retried_from") == t.number]
            assert len(retry) == 1
            assert all(retry[0].params[k] == v for k, v in t.params.items())
