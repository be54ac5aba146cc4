"""pfnopt.client against a real server: study-like ask / tell / trials, errors as the library's classes."""

from __future__ import annotations

import uuid

import pytest

from pfnopt.client import RemoteTrial, ServiceError, connect
from pfnopt.exceptions import (
    DuplicateStudyError,
    InvalidValueError,
    ParameterError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialNotFoundError,
)

SPACE = {"x": {"type": "float", "low": -1, "high": 1}, "k": {"type": "categorical", "choices": ["a", "b"]}}


def test_client_drives_a_study(live_server):
    client = connect(live_server.url)
    assert client.health()["status"] == "ok"
    name = f"cl-{uuid.uuid4().hex[:8]}"
    study = client.create_study(name, direction="maximize", sampler="sobol", seed=1)
    assert study.directions == ("maximize",)
    trial = study.ask(SPACE)
    assert isinstance(trial, RemoteTrial) and trial.number == 0 and -1 <= trial.params["x"] <= 1
    told = study.tell(trial, trial.params["x"] ** 2, constraints=[trial.params["x"] - 0.5])
    assert told["state"] == "COMPLETE" and told["values"] == [trial.params["x"] ** 2]
    batch = study.ask(SPACE, n=2)
    assert [t.number for t in batch] == [1, 2]
    assert study.tell(1, state="fail")["state"] == "FAIL"
    assert [r["state"] for r in study.trials()] == ["COMPLETE", "FAIL", "RUNNING"]
    same = client.load_study(name)
    assert [r["number"] for r in same.trials()] == [0, 1, 2]
    assert [s["name"] for s in client.studies()] == [name]


def test_client_raises_the_library_errors(live_server):
    client = connect(live_server.url)
    name = f"cl-{uuid.uuid4().hex[:8]}"
    study = client.create_study(name)
    with pytest.raises(DuplicateStudyError, match="already exists"):
        client.create_study(name)
    assert client.create_study(name, load_if_exists=True).study_name == name
    with pytest.raises(StudyNotFoundError, match=f"no study named 'nope'.*{name}"):
        client.load_study("nope")
    with pytest.raises(ParameterError, match="low must be <= high"):
        study.ask({"x": {"type": "float", "low": 1, "high": 0}})
    t = study.ask(SPACE)
    with pytest.raises(InvalidValueError, match="1 objective"):
        study.tell(t, [1.0, 2.0])
    study.tell(t, 1.0)
    with pytest.raises(TrialFinishedError, match="already finished"):
        study.tell(t, 2.0)
    with pytest.raises(TrialNotFoundError, match="no trial number 7"):
        study.tell(7, 2.0)
    with pytest.raises(ParameterError, match="service URL"):
        connect("127.0.0.1:8080")


def test_client_token_and_unreachable_server(token_server):
    with pytest.raises(ServiceError, match="HTTP 401") as err:
        connect(token_server.url).studies()
    assert err.value.status == 401
    with pytest.raises(ServiceError, match="HTTP 401"):
        connect(token_server.url, token="wrong").studies()
    assert connect(token_server.url, token=token_server.token).studies() == []
    with pytest.raises(ServiceError, match="cannot reach the pfnopt service"):
        connect("http://127.0.0.1:1").studies()
