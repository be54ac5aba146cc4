"""Leases of asked trials (``pfnopt serve --heartbeat-interval``) against a real uvicorn server:
a client that vanishes loses its trial to the stale-trial rule, one that keeps beating does not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import start_server, stop_server

import pfnopt
from pfnopt.client import connect
from pfnopt.exceptions import ParameterError, TrialFinishedError, TrialNotFoundError
from pfnopt.records import TrialState

ROOT = Path(__file__).resolve().parents[2]
SPACE = {"x": {"type": "float", "low": 0, "high": 1}}
INTERVAL, GRACE = 0.4, 2.0


@pytest.fixture
def leased(tmp_path):
    url = f"sqlite:///{tmp_path / 'lease.db'}"
    server, thread, base, sock = start_server(url, heartbeat_interval=INTERVAL, grace_period=GRACE, max_retry=1)
    yield base, url
    stop_server(server, thread, sock)


def _vanishing_client(base: str, name: str) -> tuple[subprocess.Popen, dict]:
    """A separate process that asks through pfnopt.client (its heartbeat thread running) and waits to be killed."""
    code = (
        "import json, sys, time\n"
        "from pfnopt.client import connect\n"
        f"t = connect({base!r}).load_study({name!r}).ask({SPACE!r})\n"
        "print(json.dumps({'number': t.number, 'params': dict(t.params)}), flush=True)\n"
        "time.sleep(600)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line, f"the client process exited with {proc.wait()}"
    return proc, json.loads(line)


def test_a_client_that_vanishes_loses_its_trial_and_the_retry_is_handed_out(leased):
    base, url = leased
    name = f"lease-{uuid.uuid4().hex[:8]}"
    study = connect(base).create_study(name)
    proc, asked = _vanishing_client(base, name)
    try:
        assert asked["number"] == 0
        time.sleep(GRACE + 2 * INTERVAL)  # the client is alive and beating: its trial is not stale
        assert study.ask(SPACE).number == 1  # this ask's stale check leaves trial 0 alone
        stored = pfnopt.load_study(name, url).get_trials()
        assert stored[0].state == TrialState.RUNNING
    finally:
        proc.kill()  # SIGKILL: the process and its heartbeat thread vanish, nothing is told
        proc.wait()
    study.tell(1, 0.5)

    time.sleep(GRACE + 0.5)
    retry = study.ask(SPACE)  # fails trial 0 as stale and hands out its retry, same parameters
    assert retry.number == 2 and retry.params == asked["params"]
    trials = pfnopt.load_study(name, url).get_trials()
    assert trials[0].state == TrialState.FAIL and trials[0].values is None
    assert trials[2].state == TrialState.RUNNING and trials[2].system_attrs["retried_from"] == 0
    with pytest.raises(TrialFinishedError, match=r"trial 0 is already finished \(FAIL\)"):  # the vanished client's late result
        study.tell(0, 1.0)
    study.tell(retry, 0.25)
    assert [r["state"] for r in study.trials()] == ["FAIL", "COMPLETE", "COMPLETE"]


def test_a_client_that_keeps_beating_through_a_long_evaluation_is_not_failed(leased):
    base, url = leased

    def server_beats() -> set[int | None]:
        return {t.ident for t in threading.enumerate() if t.name.startswith("pfnopt-heartbeat-")}

    # the server runs in this test process, where earlier tests' ask/tell trials may still beat: only
    # threads started during this test count
    before = server_beats()
    name = f"lease-{uuid.uuid4().hex[:8]}"
    study = connect(base).create_study(name)
    other = connect(base).load_study(name)
    trial = study.ask(SPACE)
    for _ in range(3):  # a long evaluation, 3 x the grace period; other asks check for stale trials meanwhile
        time.sleep(GRACE)
        other.tell(other.ask(SPACE), 1.0)
        # the server itself keeps no heartbeat thread for anyone, even while trials are open
        assert not server_beats() - before
    assert study.tell(trial, 0.5)["state"] == "COMPLETE"
    states = [t.state for t in pfnopt.load_study(name, url).get_trials()]
    assert states == [TrialState.COMPLETE] * 4
    assert not server_beats() - before
    assert not [t.name for t in threading.enumerate() if t.name.startswith("pfnopt-client-heartbeat-")]


def test_heartbeat_endpoint_answers_and_refuses(leased):
    base, url = leased
    name = f"lease-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=base, timeout=30) as http:
        assert http.post("/api/studies", json={"name": name}).status_code == 201
        asked = http.post(f"/api/studies/{name}/ask", json={"space": SPACE}).json()
        assert asked["heartbeat_interval"] == INTERVAL
        before = pfnopt.load_study(name, url).get_trials()[0].heartbeat
        time.sleep(0.05)
        r = http.post(f"/api/studies/{name}/trials/0/heartbeat")
        assert r.status_code == 200 and r.json() == {"number": 0, "state": "RUNNING", "lease_seconds": GRACE}
        assert pfnopt.load_study(name, url).get_trials()[0].heartbeat > before
        r = http.post(f"/api/studies/{name}/trials/7/heartbeat")
        assert r.status_code == 404 and "no trial number 7" in r.json()["detail"]
        assert http.post(f"/api/studies/nope-{name}/trials/0/heartbeat").status_code == 404
        assert http.post(f"/api/studies/{name}/tell", json={"number": 0, "value": 1.0}).status_code == 200
        r = http.post(f"/api/studies/{name}/trials/0/heartbeat")
        assert r.status_code == 409 and "COMPLETE, no longer RUNNING" in r.json()["detail"]
    with pytest.raises(TrialNotFoundError):
        connect(base).load_study(name).heartbeat(9)


def test_without_a_lease_trials_carry_no_heartbeat(live_server):
    name = f"lease-{uuid.uuid4().hex[:8]}"
    study = connect(live_server.url).create_study(name)
    trial = study.ask(SPACE)
    assert study.heartbeat(trial) == {"number": 0, "state": "RUNNING", "lease_seconds": None}
    assert pfnopt.load_study(name, live_server.storage_url).get_trials()[0].heartbeat is None  # nothing written
    assert not [t.name for t in threading.enumerate() if t.name.startswith("pfnopt-client-heartbeat-")]


@pytest.mark.parametrize("kwargs, message", [
    ({"heartbeat_interval": 0}, "heartbeat_interval must be a finite number of seconds > 0"),
    ({"heartbeat_interval": 5, "grace_period": 5}, "grace_period .* must be longer than heartbeat_interval"),
    ({"grace_period": 5}, "grace_period .* needs heartbeat_interval"),
    ({"heartbeat_interval": 5, "max_retry": -1}, "max_retry must be an integer >= 0"),
])
def test_bad_lease_settings_are_refused(tmp_path, kwargs, message):
    from pfnopt.service.app import create_app

    with pytest.raises(ParameterError, match=message):
        create_app(f"sqlite:///{tmp_path / 'x.db'}", **kwargs)


def test_serve_refuses_a_grace_period_without_interval(tmp_path):
    from typer.testing import CliRunner

    from cli import app

    out = CliRunner().invoke(app, ["serve", "--storage", f"sqlite:///{tmp_path / 'x.db'}", "--grace-period", "5"])
    assert out.exit_code == 1 and "needs heartbeat_interval" in " ".join(out.output.split())
