"""Searches a user can leave running: hard timeout, parallel trials, named pruners, resume checks,
and a killed search's trial failed by its missing heartbeats and retried on resume."""

import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from typer.testing import CliRunner

import pfnopt
from pfnopt.automl import SearchMonitor, TrainConfig, search
from pfnopt.automl.space import default_space
from pfnopt.automl.tasks import synthetic_task
from pfnopt.automl.train import TrainingStopped, model_config_for, train
from pfnopt.commands.automl import app
from pfnopt.exceptions import ParameterError
from pfnopt.pruners import MedianPruner
from pfnopt.records import TrialState
from pfnopt.space import Categorical

TASK = synthetic_task(length=600, n_channels=1, horizon=8)


def _space(families=("dlinear",)):
    return default_space(TASK).restrict(families=list(families)).fix("lookback", 32)


def test_should_stop_stops_training_mid_epoch_with_the_finished_epochs():
    cfg = model_config_for(TASK, dict(family="dlinear", lookback=32))
    calls = []

    def stop_in_third_epoch():
        calls.append(1)
        return len(calls) > 2 * 4 + 1  # 4 steps per epoch: two epochs and one step, then stop

    with pytest.raises(TrainingStopped) as info:
        train(cfg, TrainConfig(epochs=5, batch_size=16, steps_per_epoch=4, latency_runs=0), TASK,
              should_stop=stop_in_third_epoch)
    assert info.value.epoch == 2 and len(info.value.history) == 2


def test_timeout_is_a_hard_budget_the_running_trial_is_pruned_with_its_last_value():
    tc = TrainConfig(epochs=100_000, steps_per_epoch=2, batch_size=16, eval_windows=16, latency_runs=0)
    t0 = time.monotonic()
    study = search(TASK, n_trials=3, sampler="random", space=_space(), train_config=tc, timeout=2.0, device="cpu")
    elapsed = time.monotonic() - t0
    assert elapsed < 60  # 100,000 epochs would take hours: the trial was stopped, not waited for
    (trial,) = study.trials  # no trial started after the budget
    assert trial.state == TrialState.PRUNED and trial.user_attrs["stopped"] == "timeout"
    assert 1 <= len(trial.intermediate_values) < 100_000
    assert trial.value == trial.intermediate_values[trial.last_step]


class _Concurrency(SearchMonitor):
    def __init__(self):
        self.lock, self.running, self.peak = threading.Lock(), set(), 0

    def trial_started(self, number, params):
        with self.lock:
            self.running.add(number)
            self.peak = max(self.peak, len(self.running))

    def trial_finished(self, study, frozen):
        with self.lock:
            self.running.discard(frozen.number)


def test_n_jobs_trains_trials_in_parallel_threads():
    monitor = _Concurrency()
    tc = TrainConfig(epochs=4, steps_per_epoch=4, batch_size=16, latency_runs=0)
    study = search(TASK, n_trials=4, sampler="random", space=_space(("dlinear", "resmlp")), train_config=tc,
                   n_jobs=2, device="cpu", monitor=monitor)
    assert len(study.trials) == 4 and all(t.state == TrialState.COMPLETE for t in study.trials)
    assert monitor.peak == 2
    from pfnopt.automl.train import cpu_threads

    assert study.user_attrs["automl"]["train_config"]["threads"] == max(1, cpu_threads() // 2)  # cores shared


def test_pruners_by_name_and_unknown_names_are_refused():
    tc = TrainConfig(epochs=2, steps_per_epoch=2, batch_size=16, latency_runs=0)
    study = search(TASK, n_trials=1, sampler="random", space=_space(), train_config=tc, pruner="median",
                   device="cpu")
    assert isinstance(study.pruner, MedianPruner)
    with pytest.raises(ParameterError, match="unknown pruner 'bogus'"):
        search(TASK, n_trials=1, space=_space(), train_config=tc, pruner="bogus")
    with pytest.raises(ParameterError, match="n_jobs must be a positive integer"):
        search(TASK, n_trials=1, space=_space(), train_config=tc, n_jobs=0)


def test_resume_refuses_a_changed_budget_or_space_unless_allowed(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    tc = TrainConfig(epochs=1, steps_per_epoch=2, batch_size=16, latency_runs=0)
    kw = dict(n_trials=1, sampler="random", study_name="s", storage=url, load_if_exists=True, device="cpu")
    search(TASK, space=_space(), train_config=tc, **kw)
    with pytest.raises(ParameterError, match=r"training budget: epochs 1 -> 2.*--allow-changes"):
        search(TASK, space=_space(), train_config=TrainConfig(epochs=2, steps_per_epoch=2, batch_size=16), **kw)
    with pytest.raises(ParameterError, match=r"space: ma_kernel"):
        search(TASK, space=_space().set("ma_kernel", Categorical([7])), train_config=tc, **kw)
    assert len(pfnopt.load_study("s", url).trials) == 1  # nothing started, nothing lost
    search(TASK, space=_space(), train_config=tc, **kw)  # the same search resumes silently
    study = search(TASK, space=_space(), train_config=TrainConfig(epochs=2, steps_per_epoch=2, batch_size=16),
                   allow_changes=True, **kw)
    assert len(study.trials) == 3
    (change,) = study.user_attrs["automl"]["changes"]
    assert change["trial"] == 2 and "training budget: epochs 1 -> 2" in change["changes"]
    other = synthetic_task(length=600, n_channels=1, horizon=8, seed=1)
    with pytest.raises(ParameterError, match="was made for task"):
        search(other, space=_space(), train_config=tc, allow_changes=True, **kw)


def test_cli_refuses_a_changed_budget_with_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    args = ["run", "--task", "synthetic", "--horizon", "8", "--n-trials", "1", "--sampler", "random",
            "--steps-per-epoch", "2", "--device", "cpu", "--storage", url, "--study", "c",
            "--artifacts", str(tmp_path / "art")]
    space = tmp_path / "space.json"
    space.write_text('{"families": ["dlinear"], "fixed": {"lookback": 32}}')
    runner = CliRunner()
    res = runner.invoke(app, [*args, "--epochs", "1", "--space", str(space), "--pruner", "median", "--n-jobs", "1"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*args, "--epochs", "3", "--space", str(space)])
    assert res.exit_code == 1 and "training budget: epochs 1 -> 3" in res.output and "--allow-changes" in res.output
    res = runner.invoke(app, [*args, "--epochs", "3", "--space", str(space), "--allow-changes"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*args, "--epochs", "3", "--space", str(space), "--pruner", "bogus"])
    assert res.exit_code == 1 and "unknown pruner 'bogus'" in res.output
    res = runner.invoke(app, [*args, "--epochs", "3", "--space", str(space), "--allow-changes", "--pruner", "median",
                              "--pruner-option", "n_startup_trials=-1"])
    assert res.exit_code == 1 and "n_startup_trials" in res.output  # the option reached the pruner
    res = runner.invoke(app, [*args, "--epochs", "3", "--space", str(space), "--pruner-option", "oops"])
    assert res.exit_code == 1 and "KEY=VALUE" in res.output
    n = len(pfnopt.load_study("c", url).trials)
    res = runner.invoke(app, [*args, "--epochs", "3", "--space", str(space), "--allow-changes", "--pruner", "median",
                              "--pruner-option", "n_startup_trials=0", "--pruner-option", "n_warmup_steps=1"])
    assert res.exit_code == 0, res.output
    assert len(pfnopt.load_study("c", url).trials) == n + 1


VICTIM = """
import time, sys
from pfnopt.automl import SearchMonitor, TrainConfig, search
from pfnopt.automl.space import default_space
from pfnopt.automl.tasks import synthetic_task

class Slow(SearchMonitor):  # the victim trains slowly, so that it is surely killed mid-trial
    def epoch_done(self, number, epoch, value):
        time.sleep(0.3)

task = synthetic_task(length=600, n_channels=1, horizon=8)
space = default_space(task).restrict(families=["dlinear"]).fix("lookback", 32)
search(task, n_trials=1, sampler="random", space=space, study_name="victim", storage=sys.argv[1],
       train_config=TrainConfig(epochs=40, steps_per_epoch=2, batch_size=16, latency_runs=0),
       heartbeat_interval=0.5, device="cpu", monitor=Slow())
"""


def test_a_killed_search_s_trial_is_failed_and_retried_on_resume(tmp_path, kill_when):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    script = tmp_path / "victim.py"
    script.write_text(textwrap.dedent(VICTIM))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen([sys.executable, str(script), url], env=env)
    kill_when(proc, "victim", url, lambda trials: bool(trials and trials[0].intermediate_values),
              "the victim reported an epoch")
    (dead,) = pfnopt.load_study("victim", url).trials
    assert dead.state == TrialState.RUNNING  # what a killed process leaves behind
    time.sleep(1.2)  # older than the grace period
    space = default_space(TASK).restrict(families=["dlinear"]).fix("lookback", 32)
    study = search(TASK, n_trials=1, sampler="random", space=space, study_name="victim", storage=url,
                   load_if_exists=True, train_config=TrainConfig(epochs=40, steps_per_epoch=2, batch_size=16,
                                                                 latency_runs=0),
                   heartbeat_interval=0.5, grace_period=1.0, max_retry=1, device="cpu")
    old, retry = study.trials
    assert old.state == TrialState.FAIL
    assert retry.state == TrialState.COMPLETE and retry.system_attrs["retried_from"] == old.number
    assert retry.params == old.params
