"""Freeze-thaw AutoML: the curve PFN continues paused trials from their saved training state, through
the CLI and the Python API; a search interrupted mid-chunk resumes; the combinations it cannot run
are refused."""

import json
import logging
from dataclasses import replace

import pytest
from typer.testing import CliRunner

import pfnopt
from pfnopt.automl import SearchMonitor, TrainConfig, search
from pfnopt.automl.space import default_space, to_configs
from pfnopt.automl.tasks import get_task, synthetic_task
from pfnopt.automl.train import train
from pfnopt.automl.train_state import read_meta, state_dir
from pfnopt.commands.automl import app
from pfnopt.exceptions import ParameterError
from pfnopt.multifidelity.freeze_thaw import ATTR
from pfnopt.records import TrialState

EPOCHS = 5
TC = TrainConfig(epochs=EPOCHS, steps_per_epoch=3, batch_size=16, eval_windows=32, latency_runs=0)


def _space(task):
    return default_space(task).restrict(families=["dlinear", "resmlp"]).fix("lookback", 32)


def _straight_history(study, trial, task) -> list[float]:
    """The validation losses of ``trial``'s configuration trained in one go, never paused."""
    meta = study.user_attrs["automl"]
    params = {**trial.params, **meta["space"]["fixed"]}
    model_cfg, over = to_configs(task, params)
    tc = replace(TrainConfig(**meta["train_config"]), **over, eval_test=False, latency_runs=0)
    return train(model_cfg, tc, task).history


def _continued(trials) -> list:
    """Trials that were paused and continued: they finished after a later trial had started."""
    return [t for t in trials if t.state == TrialState.COMPLETE
            and any(o.number > t.number and o.datetime_start < t.datetime_complete for o in trials)]


def test_cli_freeze_thaw_search_continues_paused_trials(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"families": ["dlinear", "resmlp"], "fixed": {"lookback": 32}}))
    res = CliRunner().invoke(app, [
        "run", "--task", "synthetic", "--horizon", "8", "--n-trials", "6", "--sampler", "random",
        "--epochs", str(EPOCHS), "--steps-per-epoch", "3", "--eval-windows", "32", "--device", "cpu",
        "--space", str(space), "--storage", url, "--study", "ft", "--artifacts", str(tmp_path / "art"),
        "--scheduler", "freeze-thaw", "--scheduler-option", "n_startup=3",
    ])
    assert res.exit_code == 0, res.output
    study = pfnopt.load_study("ft", url, sampler="random")
    trials = study.trials
    assert study.user_attrs["automl"]["scheduler"] == "freeze-thaw"
    assert sum(len(t.intermediate_values) for t in trials) <= 6 * EPOCHS  # the per-trial loop's epochs
    continued = _continued(trials)
    assert continued, [(t.number, t.state, len(t.intermediate_values)) for t in trials]
    task = get_task("synthetic", horizon=8)
    for t in continued:
        # its value is the per-trial loop's objective: the best validation loss over all its epochs
        history = t.user_attrs["val_history"]
        assert len(history) == len(t.intermediate_values) == EPOCHS
        assert t.value == min(history) == t.intermediate_values[EPOCHS - 1]
        assert t.user_attrs["n_params"] > 0 and t.user_attrs["train_s"] > 0
        # continued from its saved state: exactly the numbers of a run that was never paused (CPU)
        assert history == _straight_history(study, t, task)
    best = json.loads((tmp_path / "art" / "ft" / "best" / "config.json").read_text())
    assert best["trial"] == study.best_trial.number and best["value"] == study.best_value
    assert "test_loss" in study.best_trial.user_attrs
    # only the still paused trials keep a training state, each at its last reported epoch
    paused = {t.number: t for t in trials if t.state == TrialState.RUNNING}
    folders = tmp_path / "art" / "ft" / "trials"
    assert {int(p.name) for p in folders.iterdir()} == set(paused)
    for number, t in paused.items():
        assert t.system_attrs[ATTR] == "paused"
        assert read_meta(state_dir(folders / str(number), len(t.intermediate_values)))["epoch"] == len(
            t.intermediate_values)
    if paused:
        assert "rerun the command to continue them" in res.output


class _Interrupt(SearchMonitor):
    """Stops the process (like Ctrl-C) in the middle of the ``at``-th epoch trained."""

    def __init__(self, at: int):
        self.at, self.n = at, 0

    def epoch_done(self, number, epoch, value):
        self.n += 1
        if self.n == self.at:
            raise KeyboardInterrupt


def test_an_interrupted_search_resumes_its_paused_trials_from_their_state(tmp_path, caplog):
    task = synthetic_task(length=600, n_channels=1, horizon=8)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    kw = dict(sampler="random", space=_space(task), train_config=TC, device="cpu", study_name="ft", storage=url,
              load_if_exists=True, artifact_dir=tmp_path / "art", scheduler="freeze-thaw",
              scheduler_options={"n_startup": 3})
    # 3 fresh trials x 2 epochs, then continued chunks of 1 epoch: the 8th epoch is a continued trial's
    with pytest.raises(KeyboardInterrupt):
        search(task, n_trials=6, monitor=_Interrupt(at=8), **kw)
    before = {t.number: t for t in pfnopt.load_study("ft", url).trials}
    assert all(t.state == TrialState.RUNNING for t in before.values()) and len(before) == 3
    killed = [t for t in before.values() if t.system_attrs[ATTR] == "running"]
    assert len(killed) == 1 and len(killed[0].intermediate_values) >= 2  # its 8th epoch was never reported
    for t in before.values():  # every one can continue from the state of its last reported epoch
        assert state_dir(tmp_path / "art" / "trials" / str(t.number), len(t.intermediate_values)).is_dir()

    with caplog.at_level(logging.WARNING, logger="pfnopt.automl.freeze_thaw"):
        study = search(task, n_trials=3, **kw)  # a new process would rebuild the same objects from storage
    assert not [r for r in caplog.records if "replaying" in r.getMessage()]  # loaded, not retrained
    after = {t.number: t for t in study.trials}
    grown = [n for n, t in before.items() if len(after[n].intermediate_values) > len(t.intermediate_values)]
    assert grown  # paused trials were given more epochs
    for n in grown:
        t = after[n]
        assert list(t.intermediate_values.values())[: len(before[n].intermediate_values)] == list(
            before[n].intermediate_values.values())  # the stored epochs are kept, the new ones follow
        assert t.user_attrs["val_history"] == _straight_history(study, t, task)[: len(t.intermediate_values)]


def test_a_missing_state_is_replayed_from_scratch(tmp_path, caplog):
    task = synthetic_task(length=600, n_channels=1, horizon=8)
    kw = dict(sampler="random", space=_space(task), train_config=TC, device="cpu", study_name="ft",
              storage=f"sqlite:///{tmp_path / 'db.sqlite'}", load_if_exists=True, artifact_dir=tmp_path / "art",
              scheduler="freeze-thaw", scheduler_options={"n_startup": 3})
    with pytest.raises(KeyboardInterrupt):
        search(task, n_trials=3, monitor=_Interrupt(at=7), **kw)
    import shutil

    shutil.rmtree(tmp_path / "art" / "trials")  # e.g. another --artifacts folder on the rerun
    with caplog.at_level(logging.WARNING, logger="pfnopt.automl.freeze_thaw"):
        study = search(task, n_trials=1, scheduler_options={"n_startup": 3, "epoch_budget": 3},
                       **{k: v for k, v in kw.items() if k != "scheduler_options"})
    assert [r for r in caplog.records if "replaying" in r.getMessage()]
    replayed = [t for t in study.trials if len(t.user_attrs.get("val_history", [])) > 2]
    assert replayed  # trained on past its 2 stored epochs, with the numbers of a run never paused
    for t in replayed:
        assert t.user_attrs["val_history"] == _straight_history(study, t, task)[: len(t.user_attrs["val_history"])]


def test_a_failing_candidate_fails_its_trial_not_the_search(tmp_path):
    task = synthetic_task(length=600, n_channels=1, horizon=8)
    space = default_space(task).restrict(families=["dlinear"]).fix("lookback", 32).fix("lr", 1e30).fix("revin", False)
    study = search(task, n_trials=2, sampler="random", space=space, device="cpu", artifact_dir=tmp_path,
                   train_config=replace(TC, grad_clip=0.0), scheduler="freeze-thaw")
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.FAIL]
    assert all("loss became" in t.user_attrs["fail_reason"] for t in study.trials)
    assert not (tmp_path / "trials").exists() or not list((tmp_path / "trials").iterdir())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(scheduler="bogus"), "scheduler='bogus' is not known; allowed: per-trial, freeze-thaw"),
        (dict(scheduler_options={"n_startup": 2}), r"scheduler options \['n_startup'\] are for scheduler='freeze-thaw'"),
        (dict(scheduler="freeze-thaw", scheduler_options={"bogus": 1}), r"no option\(s\) \['bogus'\]; allowed: epoch_budget"),
        (dict(scheduler="freeze-thaw", pruner="median"), "with a pruner .*use pruner 'none'"),
        (dict(scheduler="freeze-thaw", n_jobs=2), "n_jobs=2: one decision at a time"),
        (dict(scheduler="freeze-thaw", heartbeat_interval=1.0), "heartbeats"),
        (dict(scheduler="freeze-thaw", artifact_dir=None), "no artifact_dir"),
        (dict(scheduler="freeze-thaw", train_config=replace(TC, epochs=2)), "epochs=2: it needs at least 3"),
        (dict(scheduler="freeze-thaw", n_trials=None), "no n_trials, epoch_budget or timeout"),
        (dict(scheduler="freeze-thaw", scheduler_options={"first_epochs": EPOCHS}), "first_epochs=5 must be below"),
        (dict(scheduler="freeze-thaw", scheduler_options={"epoch_budget": 0}), "epoch_budget must be an integer >= 1"),
    ],
)
def test_freeze_thaw_refusals(tmp_path, kwargs, match):
    task = synthetic_task(length=600, n_channels=1, horizon=8)
    args = {**dict(n_trials=2, sampler="random", space=_space(task), train_config=TC, device="cpu",
                   artifact_dir=tmp_path), **kwargs}
    with pytest.raises(ParameterError, match=match):
        search(task, **args)


def test_cli_refusals_and_a_changed_scheduler_on_resume(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"families": ["dlinear"], "fixed": {"lookback": 32}}))
    args = ["run", "--task", "synthetic", "--horizon", "8", "--n-trials", "1", "--sampler", "random", "--epochs", "3",
            "--steps-per-epoch", "2", "--device", "cpu", "--space", str(space), "--storage", url, "--study", "c",
            "--artifacts", str(tmp_path / "art")]
    runner = CliRunner()
    res = runner.invoke(app, [*args, "--scheduler", "bogus"])
    assert res.exit_code == 1 and "allowed: per-trial, freeze-thaw" in res.output
    res = runner.invoke(app, [*args, "--scheduler", "freeze-thaw", "--heartbeat", "5"])
    assert res.exit_code == 1 and "heartbeats" in res.output
    res = runner.invoke(app, [*args, "--scheduler", "freeze-thaw", "--pruner", "median"])
    assert res.exit_code == 1 and "use pruner 'none'" in res.output
    res = runner.invoke(app, [*args, "--scheduler", "freeze-thaw", "--scheduler-option", "oops"])
    assert res.exit_code == 1 and "--scheduler-option takes KEY=VALUE" in res.output
    res = runner.invoke(app, args)  # the per-trial loop (the default)
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*args, "--scheduler", "freeze-thaw"])
    assert res.exit_code == 1 and "scheduler: per-trial -> freeze-thaw" in res.output


def test_timeout_drops_the_running_chunk_and_leaves_its_trial_paused(tmp_path):
    import time

    task = synthetic_task(length=600, n_channels=1, horizon=8)
    tc = replace(TC, epochs=100_000, steps_per_epoch=2)  # hours of epochs: only the timeout ends it
    t0 = time.monotonic()
    study = search(task, n_trials=4, sampler="random", space=_space(task), train_config=tc, device="cpu",
                   artifact_dir=tmp_path, scheduler="freeze-thaw", timeout=2.0)
    assert time.monotonic() - t0 < 60
    trials = study.trials
    assert trials and all(t.state == TrialState.RUNNING and t.system_attrs[ATTR] == "paused" for t in trials)
    assert any("stopped_in_epoch" in t.user_attrs for t in trials)
    for t in trials:  # each can continue where its reports end
        n = len(t.intermediate_values)
        assert n == 0 or state_dir(tmp_path / "trials" / str(t.number), n).is_dir()


def test_constraints_reject_before_training_and_are_told_with_the_final_value(tmp_path):
    task = synthetic_task(length=600, n_channels=1, horizon=8)
    # dlinear has ~600 parameters here, resmlp many more: some candidates train, others are rejected
    study = search(task, n_trials=6, sampler="random", space=_space(task), train_config=TC, device="cpu",
                   artifact_dir=tmp_path, scheduler="freeze-thaw", max_params=2_000,
                   scheduler_options={"n_startup": 3, "epoch_budget": 60})
    done = study.get_trials(states=(TrialState.COMPLETE,))
    assert {"rejected" in t.user_attrs for t in done} == {True, False}, [t.user_attrs.get("family") for t in done]
    for t in done:
        assert list(t.constraints) == t.user_attrs["constraint_values"] and len(t.constraints) == 1
        if "rejected" in t.user_attrs:  # not trained: the trivial predictor's loss at every epoch
            assert t.constraints[0] > 0 and "val_history" not in t.user_attrs
            assert len(set(t.intermediate_values.values())) == 1
        else:
            assert t.constraints[0] <= 0 and t.user_attrs["n_params"] <= 2_000


@pytest.mark.slow  # ~20 s on a shared CPU (a second process imports torch and loads the curve PFN)
def test_a_killed_cli_search_is_rerun_and_continues_its_paused_trials(tmp_path, kill_when):
    import os
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"families": ["dlinear", "resmlp"], "fixed": {"lookback": 32}}))
    args = ["run", "--task", "synthetic", "--horizon", "8", "--n-trials", "6", "--sampler", "random",
            "--epochs", str(EPOCHS), "--steps-per-epoch", "3", "--eval-windows", "32", "--device", "cpu",
            "--space", str(space), "--storage", url, "--study", "k", "--artifacts", str(tmp_path / "art"),
            "--scheduler", "freeze-thaw", "--scheduler-option", "n_startup=3"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen([sys.executable, "-c", "from pfnopt.commands.automl import app; app()", *args],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # kill it once a trial is paused with its state saved
    kill_when(proc, "k", url, lambda trials: any(t.system_attrs.get(ATTR) == "paused" for t in trials),
              "a trial was paused", poll=0.05)
    before = {t.number: t for t in pfnopt.load_study("k", url).trials}
    assert all(t.state == TrialState.RUNNING for t in before.values())
    res = CliRunner().invoke(app, args)  # rerun the same command
    assert res.exit_code == 0, res.output
    study = pfnopt.load_study("k", url, sampler="random")
    after = {t.number: t for t in study.trials}
    grown = [n for n, t in before.items() if len(after[n].intermediate_values) > len(t.intermediate_values) >= 2]
    assert grown  # a trial paused by the killed process was continued by the rerun
    task = get_task("synthetic", horizon=8)
    for n in grown:
        history = after[n].user_attrs["val_history"]
        assert history == _straight_history(study, after[n], task)[: len(history)]
