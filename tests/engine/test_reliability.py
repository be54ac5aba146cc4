"""Issue 11: heartbeats of hand-driven trials, checked heartbeat settings, a stale trial failed and
retried in ONE transaction, one name rule for every backend, strict values and attributes."""

from __future__ import annotations

import datetime as _dt
import math
import sqlite3
import time

import pytest

import pfnopt
from pfnopt import Float
from pfnopt.exceptions import InvalidValueError, ParameterError, StorageError, TrialFinishedError
from pfnopt.records import TrialState


def _load(storage, name, **kw):
    return pfnopt.load_study(study_name=name, storage=storage, sampler="random", **kw)


# item 3: heartbeat settings ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw, msg",
    [
        ({"heartbeat_interval": 1.0, "grace_period": -1.0}, "grace_period must be a finite number of seconds > 0"),
        ({"heartbeat_interval": 1.0, "grace_period": 0.5}, "must be longer than heartbeat_interval"),
        ({"heartbeat_interval": 1.0, "grace_period": 1.0}, "must be longer than heartbeat_interval"),
        ({"heartbeat_interval": -1.0}, "heartbeat_interval must be a finite number"),
        ({"heartbeat_interval": "1"}, "heartbeat_interval must be a number of seconds, got '1'"),
        ({"heartbeat_interval": 1.0, "max_retry": "a"}, "max_retry must be an integer >= 0, got 'a'"),
        ({"heartbeat_interval": 1.0, "max_retry": -1}, "max_retry must be an integer >= 0"),
        ({"heartbeat_interval": 1.0, "max_retry": True}, "max_retry must be an integer >= 0"),
    ],
)
def test_bad_heartbeat_settings_are_refused_before_anything_changes(storage, study_name, kw, msg):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random",
                                heartbeat_interval=0.05, grace_period=60.0)
    live = study.ask()
    time.sleep(0.1)
    with pytest.raises(ParameterError, match=msg):
        _load(storage, study_name, **kw)
    with pytest.raises(ParameterError, match=msg):  # create_study refuses before creating the study
        pfnopt.create_study(study_name=study_name + "-new", storage=storage, **kw)
    assert [s.name for s in pfnopt.get_all_study_summaries(storage)].count(study_name + "-new") == 0
    assert study.trials[live.number].state == TrialState.RUNNING
    study.tell(live, 1.0)


# item 2: hand-driven trials keep their heartbeat ---------------------------------------------------
def test_ask_tell_trial_longer_than_the_grace_period_is_not_failed(storage, study_name):
    kw = {"heartbeat_interval": 0.1, "grace_period": 0.5, "max_retry": 1}
    mine = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random", **kw)
    other = _load(storage, study_name, **kw)  # another worker, its own Study object
    trial = mine.ask()
    x = trial.suggest_float("x", 0, 1)
    deadline = time.monotonic() + 1.5  # a long evaluation: three grace periods
    while time.monotonic() < deadline:
        other.ask().suggest_float("x", 0, 1)  # each ask checks for stale trials
        time.sleep(0.1)
    assert mine.trials[trial.number].state == TrialState.RUNNING
    done = mine.tell(trial, x)
    assert done.state == TrialState.COMPLETE
    assert not any(t.system_attrs.get("retried_from") == trial.number for t in mine.trials)
    # tell stopped the heartbeat: a finished trial is not beaten any more
    assert trial._trial_id not in mine._beats


def test_a_dead_hand_driven_trial_is_still_failed_and_retried(storage, study_name):
    kw = {"heartbeat_interval": 0.1, "grace_period": 0.4, "max_retry": 1}
    mine = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random", **kw)
    trial = mine.ask()
    trial.suggest_float("x", 0, 1)
    mine._stop_heartbeat(trial._trial_id)  # what a killed process does to its heartbeat thread
    time.sleep(0.6)
    other = _load(storage, study_name, **kw)
    retry = other.ask()
    assert mine.trials[trial.number].state == TrialState.FAIL
    assert retry.number == trial.number + 1 and retry.suggest_float("x", 0, 1) == trial.params["x"]
    with pytest.raises(TrialFinishedError, match="no longer RUNNING"):
        trial.heartbeat()
    with pytest.raises(TrialFinishedError):
        mine.tell(trial, 1.0)


def test_trials_asked_without_heartbeats_carry_none_and_are_never_failed(storage, study_name):
    plain = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random")
    t = plain.ask()
    assert plain.trials[t.number].heartbeat is None
    time.sleep(0.3)
    beating = _load(storage, study_name, heartbeat_interval=0.05, grace_period=0.1)
    assert beating.fail_stale_trials() == []
    t.heartbeat()  # an explicit beat starts its heartbeat; from then on it must keep beating
    assert plain.trials[t.number].heartbeat is not None
    assert plain.tell(t, 1.0).state == TrialState.COMPLETE


def test_trial_as_context_manager_fails_on_error_and_stops_its_heartbeat(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random", heartbeat_interval=0.05)
    with pytest.raises(RuntimeError, match="boom"):
        with study.ask() as trial:
            trial.suggest_float("x", 0, 1)
            raise RuntimeError("boom")
    failed = study.trials[trial.number]
    assert failed.state == TrialState.FAIL and "boom" in failed.system_attrs["fail_reason"]
    assert trial._trial_id not in study._beats
    with study.ask() as t2:
        study.tell(t2, 2.0)
    assert study.trials[t2.number].state == TrialState.COMPLETE


# item 4: failing a stale trial and enqueuing its retry are one transaction -------------------------
def test_stale_failure_and_its_retry_commit_together(tmp_path, study_name):
    url = f"sqlite:///{tmp_path / 'one.db'}"
    study = pfnopt.create_study(study_name=study_name, storage=url, sampler="random",
                                heartbeat_interval=0.05, grace_period=0.2, max_retry=1)
    doomed = study.ask()
    doomed.suggest_float("x", 0, 1)
    study._stop_heartbeat(doomed._trial_id)
    time.sleep(0.4)
    # a real database error on the retry's insert: a trigger refuses new WAITING trials
    con = sqlite3.connect(tmp_path / "one.db")
    con.execute("CREATE TRIGGER no_retry BEFORE INSERT ON pfnopt_trials WHEN NEW.state = 'WAITING' "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
    con.commit()
    with pytest.raises(StorageError, match="injected failure"):
        study.fail_stale_trials()
    assert study.trials[doomed.number].state == TrialState.RUNNING  # rolled back with the retry
    con.execute("DROP TRIGGER no_retry")
    con.commit()
    con.close()
    (failed,) = study.fail_stale_trials()
    assert failed.number == doomed.number
    (retry,) = study.get_trials(states=(TrialState.WAITING,))
    assert retry.system_attrs["fixed_params"] == doomed.params and retry.system_attrs["retried_from"] == doomed.number


def test_storage_fails_and_retries_in_one_call(storage, study_name):
    sid = storage.create_study(study_name, ["minimize"])
    t = storage.create_trial(sid, params={"x": 0.5}, distributions={"x": Float(0, 1)})
    time.sleep(0.25)
    (failed,) = storage.fail_stale_trials(sid, _dt.timedelta(seconds=0.2), max_retry=2)
    (retry,) = storage.get_all_trials(sid, states=(TrialState.WAITING,))
    assert failed.trial_id == t.trial_id and retry.system_attrs["retry_lineage"] == [t.number]
    assert retry.system_attrs["fixed_params"] == {"x": 0.5} and retry.heartbeat is None


# item 8: one name rule for every backend ----------------------------------------------------------
@pytest.mark.parametrize("bad, msg", [("n" * 513, "513 characters; the limit is 512"), ("a\x00b", "NUL character")])
def test_names_get_one_rule_on_every_backend(storage, study_name, bad, msg):
    with pytest.raises(ParameterError, match="study name .*" + msg):
        pfnopt.create_study(study_name=bad, storage=storage)
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random")
    t = study.ask()
    with pytest.raises(ParameterError, match="parameter name .*" + msg):
        t.suggest_float(bad, 0, 1)
    with pytest.raises(ParameterError, match="attribute name .*" + msg):
        t.set_user_attr(bad, 1)
    with pytest.raises(ParameterError, match="parameter name .*" + msg):
        study.ask({bad: Float(0, 1)})
    assert study.tell(t, 1.0).state == TrialState.COMPLETE
    longest = study_name + "n" * (512 - len(study_name))
    assert pfnopt.create_study(study_name=longest, storage=storage).study_name == longest


# item 7: attributes and values --------------------------------------------------------------------
def test_nan_attributes_are_refused_not_stored_as_nonstandard_json(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random")
    t = study.ask()
    for bad in (math.nan, [1.0, math.inf]):
        with pytest.raises(ParameterError, match="attribute 'score'.*not JSON-serialisable"):
            t.set_user_attr("score", bad)
        with pytest.raises(ParameterError, match="attribute 'score'"):
            study.set_user_attr("score", bad)
    assert study.trials[t.number].user_attrs == {} and study.user_attrs == {}
    t.diagnostics["acq"] = math.nan  # a sampler's NaN diagnostic does not make tell fail
    assert study.tell(t, 1.0).system_attrs["sampler:acq"] is None


def test_values_strings_are_refused_alone_and_in_lists(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random")
    t = study.ask()
    for bad in ("1.5", ["1.5"], [True]):
        with pytest.raises(InvalidValueError, match="not a number|must return a number"):
            study.tell(t, bad)
    assert study.trials[t.number].state == TrialState.RUNNING
