"""``pfnopt worker``: plain worker processes on one study (real subprocesses, SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pfnopt
from pfnopt.records import TrialState

ROOT = Path(__file__).resolve().parents[2]
OBJECTIVES = Path(__file__).with_name("_dask_objectives.py")


def _pfnopt() -> list[str]:
    exe = Path(sys.executable).parent / "pfnopt"
    return [str(exe)] if exe.exists() else [sys.executable, str(ROOT / "cli.py")]


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def _worker(study: str, url: str, fn: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*_pfnopt(), "worker", study, "--objective", f"{OBJECTIVES}:{fn}", "--storage", url, "--sampler", "random", *args],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'workers.db'}"
    return request.getfixturevalue("pg_url")


def test_two_workers_share_a_study(url, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=url)
    procs = [_worker(study_name, url, "conditional", "--n-trials", "3", "--seed", str(k)) for k in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "worker done: 3 trial(s)" in out
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(6))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert all(t.heartbeat is not None for t in trials)


def test_a_worker_killed_mid_trial_is_retried_by_another(tmp_path, study_name):
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    study = pfnopt.create_study(study_name=study_name, storage=url)
    beats = ("--heartbeat-interval", "0.2", "--grace-period", "0.6", "--max-retry", "1")
    victim = _worker(study_name, url, "hangs_first", "--n-trials", "1", *beats)
    deadline = time.monotonic() + 60
    while not (study.get_trials() and "pid" in study.get_trials()[0].user_attrs):
        assert victim.poll() is None and time.monotonic() < deadline, victim.communicate()[1]
        time.sleep(0.05)
    assert study.get_trials()[0].user_attrs["pid"] == victim.pid
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    time.sleep(0.7)  # past the grace period

    survivor = _worker(study_name, url, "hangs_first", "--n-trials", "2", *beats)
    out, err = survivor.communicate(timeout=120)
    assert survivor.returncode == 0, err
    trials = study.get_trials()
    assert trials[0].state == TrialState.FAIL  # failed by the survivor's ask: its heartbeat had stopped
    retry = [t for t in trials if t.system_attrs.get("retried_from") == 0]
    assert len(retry) == 1 and retry[0].state == TrialState.COMPLETE
    assert retry[0].params == trials[0].params
    assert not study.get_trials(states=(TrialState.RUNNING, TrialState.WAITING))


def test_bad_input_gets_a_clear_error(tmp_path, study_name):
    from cli import app

    url = f"sqlite:///{tmp_path / 'bad.db'}"
    pfnopt.create_study(study_name=study_name, storage=url)
    runner = CliRunner()
    missing = runner.invoke(app, ["worker", "no-such-study", "--objective", f"{OBJECTIVES}:conditional",
                                  "--storage", url])
    assert missing.exit_code == 1 and "no-such-study" in missing.output
    no_file = runner.invoke(app, ["worker", study_name, "--objective", f"{tmp_path / 'nope.py'}:f", "--storage", url])
    assert no_file.exit_code == 1 and "does not exist" in no_file.output
    no_fn = runner.invoke(app, ["worker", study_name, "--objective", f"{OBJECTIVES}:nope", "--storage", url])
    assert no_fn.exit_code == 1 and "has no function 'nope'" in no_fn.output
    bad_beat = runner.invoke(app, ["worker", study_name, "--objective", f"{OBJECTIVES}:conditional",
                                   "--storage", url, "--heartbeat-interval", "0"])
    assert bad_beat.exit_code == 1 and "heartbeat_interval must be a finite number of seconds > 0" in bad_beat.output
    assert pfnopt.load_study(study_name, url).get_trials() == []
