"""PFNSampler end to end with the shipped checkpoint (small acquisition budgets to stay fast)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pfnopt
from pfnopt import Float, TrialState
from pfnopt.acquisition import AcqOptions
from pfnopt.exceptions import ParameterError
from pfnopt.samplers.pfn import PFNSampler

FAST = AcqOptions(n_sobol=128, n_local=128, refine_per_round=16)
ROOT = Path(__file__).resolve().parents[2]


def sampler(seed=0, **kw) -> PFNSampler:
    return PFNSampler(seed=seed, options=FAST, **kw)


def mixed(trial):
    x = trial.suggest_float("x", 1e-3, 10.0, log=True)
    n = trial.suggest_int("n", 0, 20, step=2)
    k = trial.suggest_int("k", 1, 100, log=True)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    g = trial.suggest_float("g", 0.0, 1.0, step=0.1)
    return (math.log10(x) - 0.5) ** 2 + (n - 8) ** 2 / 50 + (c != "b") + g + abs(math.log(k) - 2)


def test_mixed_space_suggestions_are_inside_and_typed():
    study = pfnopt.create_study(sampler=sampler(n_startup=5))
    study.optimize(mixed, n_trials=12)
    space = study.trials[0].search_space
    for t in study.trials:
        space.check(t.params)
        assert isinstance(t.params["n"], int) and isinstance(t.params["k"], int)
        assert isinstance(t.params["x"], float) and t.params["c"] in ("a", "b", "c")
    model_based = study.trials[5:]
    assert all("sampler:acq_value" in t.system_attrs for t in model_based)
    assert all(t.system_attrs["sampler_seconds"] > 0 for t in model_based)
    # no duplicates of finished trials
    keys = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(set(keys)) == len(keys)


def disk(trial):
    x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
    trial.set_constraints([(x - 0.7) ** 2 + (y - 0.3) ** 2 - 0.25**2])
    return x + y


def disk_inside(trial):
    x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
    trial.set_constraints([(x - 0.7) ** 2 + (y - 0.3) ** 2 - 0.25**2])
    return (x - 0.75) ** 2 + (y - 0.2) ** 2  # optimum inside the feasible disk


@pytest.mark.parametrize("method", ["cei", "cei+"])
def test_constrained_sampler_converges_into_the_feasible_region(method):
    study = pfnopt.create_study(sampler=sampler(seed=1, constraints=method, n_startup=6))
    study.optimize(disk_inside, n_trials=22)
    last = study.trials[-10:]
    # the disk covers 20% of the square; after the Sobol start the sampler stays inside it
    assert sum(t.feasible for t in last) >= 7, [t.constraints for t in last]
    # and improves on the best feasible point of the Sobol start (the objective spans 0..1.1)
    start = min(t.value for t in study.trials[:6] if t.feasible)
    assert study.best_value < min(start, 0.05)


@pytest.mark.parametrize("method", ["cei", "cei+"])
def test_constrained_optimum_on_the_boundary_is_approached(method):
    study = pfnopt.create_study(sampler=sampler(seed=1, constraints=method, n_startup=6))
    study.optimize(disk, n_trials=24)
    best = study.best_trial
    assert best.feasible
    # the constrained optimum is x + y = 1 - 0.25 * sqrt(2) ~ 0.646; the disk's centre gives 1.0
    assert best.value < 0.8


def test_penalty_method_finds_a_feasible_point_with_one_output():
    study = pfnopt.create_study(sampler=sampler(seed=2, constraints="penalty", n_startup=6))
    study.optimize(disk, n_trials=16)
    assert study.best_trial.feasible
    assert "sampler:prob_feasible" not in study.trials[-1].system_attrs  # one modelled output only


def test_parallel_asks_with_running_trials_are_distinct():
    study = pfnopt.create_study(sampler=sampler(n_startup=5))
    space = {"x": Float(0, 1), "y": Float(0, 1)}
    study.optimize(lambda t: (t.suggest_float("x", 0, 1) - 0.5) ** 2 + t.suggest_float("y", 0, 1), n_trials=8)
    batch = study.ask(space, n=4)
    points = np.array([[t.params["x"], t.params["y"]] for t in batch])
    gaps = [np.abs(points[i] - points[j]).max() for i in range(4) for j in range(i)]
    assert min(gaps) > 1e-3
    assert len(study.get_trials(states=[TrialState.RUNNING])) == 4


def test_same_seed_same_suggestions_and_resume_in_a_new_process(tmp_path):
    url = f"sqlite:///{tmp_path / 'pfn.db'}"
    script = tmp_path / "first_half.py"
    script.write_text(
        "import sys, pfnopt\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from test_pfn_sampler import disk, sampler\n"
        "s = pfnopt.create_study(study_name='r', storage=sys.argv[1], sampler=sampler(seed=5, n_startup=4))\n"
        "s.optimize(disk, n_trials=7)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(script), url, str(Path(__file__).parent)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    resumed = pfnopt.load_study(study_name="r", storage=url, sampler=sampler(seed=5, n_startup=4))
    resumed.optimize(disk, n_trials=3)
    assert [t.number for t in resumed.trials] == list(range(10))
    straight = pfnopt.create_study(sampler=sampler(seed=5, n_startup=4))
    straight.optimize(disk, n_trials=10)
    for a, b in zip(resumed.trials, straight.trials):
        assert a.params == pytest.approx(b.params, abs=1e-6)


def test_nan_and_failed_trials_do_not_break_the_sampler():
    calls = {"n": 0}

    def flaky(trial):
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        calls["n"] += 1
        if calls["n"] % 4 == 0:
            raise RuntimeError("simulation crashed")
        if calls["n"] % 5 == 0:
            return float("nan")
        return (x - 0.2) ** 2 + (y - 0.8) ** 2

    study = pfnopt.create_study(sampler=sampler(n_startup=5))
    study.optimize(flaky, n_trials=16, catch=(RuntimeError,))
    states = [t.state for t in study.trials]
    assert states.count(TrialState.FAIL) >= 5 and states.count(TrialState.COMPLETE) >= 9
    failed = [np.array([t.params["x"], t.params["y"]]) for t in study.trials if t.state == TrialState.FAIL]
    later = [t for t in study.trials[8:] if t.state == TrialState.COMPLETE]
    for t in later:  # never re-suggested inside a failed point's neighbourhood
        p = np.array([t.params["x"], t.params["y"]])
        assert all(np.abs(p - f).max() >= FAST.avoid_radius for f in failed if f is not None)


def test_bad_options_are_refused_with_the_value():
    with pytest.raises(ParameterError, match="unknown constraint method 'magic'"):
        PFNSampler(constraints="magic")
    with pytest.raises(ParameterError, match="unknown acquisition 'best'"):
        PFNSampler(acquisition="best")
    with pytest.raises(ParameterError, match="unknown device 'tpu'"):
        PFNSampler(device="tpu")
    with pytest.raises(ParameterError, match="unknown trend 'cubic'; allowed: none, linear"):
        PFNSampler(trend="cubic")


def test_trend_default_follows_the_constraint_method():
    assert PFNSampler(constraints="cei").trend == "linear"
    assert PFNSampler(constraints="cei+").trend == "linear"
    assert PFNSampler(constraints="penalty").trend == "none"  # a plane does not follow the penalty's kinks
    assert PFNSampler(constraints="penalty", trend="linear").trend == "linear"
    big = {f"x{i}": Float(0, 1) for i in range(25)}
    study = pfnopt.create_study(sampler=sampler(n_startup=2))
    with pytest.raises(ParameterError, match="at most 20 inputs"):
        study.ask(big)
    (refused,) = study.trials  # the trial the sampler could not fill is failed, not left RUNNING
    assert refused.state == TrialState.FAIL and "at most 20 inputs" in refused.system_attrs["fail_reason"]


def test_pfn_is_the_default_sampler():
    from pfnopt.samplers import get_sampler

    assert isinstance(get_sampler(None), PFNSampler)
    assert isinstance(pfnopt.create_study().sampler, PFNSampler)
    assert isinstance(pfnopt.create_study(sampler="pfn-cei+").sampler, PFNSampler)


def test_linear_trend_makes_a_linear_constraint_certain():
    # x + y <= 1.5 is linear and inactive near the objective's minimum (0.2, 0.2): with the trend the PFN
    # predicts it exactly, so the suggestions' recorded probability of feasibility is 1 to rounding;
    # without it the model's noise floor keeps it visibly below 1
    def objective(trial):
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        trial.set_constraints([x + y - 1.5])
        return (x - 0.2) ** 2 + (y - 0.2) ** 2

    probs = {}
    for trend in ("linear", "none"):
        study = pfnopt.create_study(sampler=sampler(n_startup=8, trend=trend, local=False))
        study.optimize(objective, n_trials=16)
        probs[trend] = [t.system_attrs["sampler:prob_feasible"] for t in study.trials[8:]]
    assert min(probs["linear"]) > 1 - 1e-6, probs
    assert min(probs["none"]) < 1 - 1e-3, probs
