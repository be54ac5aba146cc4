"""The standard pruners against hand-made intermediate values, and against real Optuna on the same schedule."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pytest

import pfnopt
from pfnopt.exceptions import ParameterError, PfnoptError
from pfnopt.pruners import (
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    create_pruner,
    get_pruner,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")


def curves(n_trials: int = 24, n_steps: int = 28, seed: int = 0) -> list[list[float]]:
    """Hand-made loss curves: a * t^-alpha + c with noise, crossing each other, one NaN report."""
    rng = np.random.default_rng(seed)
    out = []
    for _i in range(n_trials):
        a, alpha, c = rng.uniform(0.5, 2), rng.uniform(0.2, 1.5), rng.uniform(0.0, 1.0)
        t = np.arange(1, n_steps + 1)
        y = a * t ** -alpha + c + rng.normal(0, 0.03, n_steps)
        out.append([float(v) for v in y])
    out[7][5] = math.nan
    return out


def run_pfnopt(pruner, data, direction="minimize", wave=4, name="cmp"):
    """Trials in waves of ``wave`` concurrent trials, reporting in lock step; returns the pruned step per
    trial (None if it completed)."""
    study = pfnopt.create_study(study_name=name, pruner=pruner, direction=direction)
    result = []
    for start in range(0, len(data), wave):
        group = [(study.ask(), data[i]) for i in range(start, min(start + wave, len(data)))]
        pruned_at = {}
        for step in range(len(data[0])):
            for trial, ys in group:
                if trial.number in pruned_at:
                    continue
                trial.report(ys[step], step)
                if trial.should_prune():
                    pruned_at[trial.number] = step
                    study.tell(trial, state="pruned")
        for trial, ys in group:
            if trial.number not in pruned_at:
                study.tell(trial, ys[-1])
            result.append(pruned_at.get(trial.number))
    return result


def run_optuna(pruner, data, direction="minimize", wave=4, name="cmp"):
    study = optuna.create_study(study_name=name, pruner=pruner, direction=direction)
    result = []
    for start in range(0, len(data), wave):
        group = [(study.ask(), data[i]) for i in range(start, min(start + wave, len(data)))]
        pruned_at = {}
        for step in range(len(data[0])):
            for trial, ys in group:
                if trial.number in pruned_at:
                    continue
                trial.report(ys[step], step)
                if trial.should_prune():
                    pruned_at[trial.number] = step
                    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        for trial, ys in group:
            if trial.number not in pruned_at:
                study.tell(trial, ys[-1])
            result.append(pruned_at.get(trial.number))
    return result


CASES = [
    ("median", lambda: MedianPruner(), lambda: optuna.pruners.MedianPruner()),
    ("median-warmup-interval", lambda: MedianPruner(2, 3, 4), lambda: optuna.pruners.MedianPruner(2, 3, 4)),
    ("median-min-trials", lambda: MedianPruner(1, n_min_trials=3),
     lambda: optuna.pruners.MedianPruner(1, n_min_trials=3)),
    ("percentile-25", lambda: PercentilePruner(25.0, 3, 1), lambda: optuna.pruners.PercentilePruner(25.0, 3, 1)),
    ("percentile-80", lambda: PercentilePruner(80.0, 2), lambda: optuna.pruners.PercentilePruner(80.0, 2)),
    ("asha-1-3", lambda: SuccessiveHalvingPruner(1, 3), lambda: optuna.pruners.SuccessiveHalvingPruner(1, 3)),
    ("asha-2-2-rate1", lambda: SuccessiveHalvingPruner(2, 2, 1),
     lambda: optuna.pruners.SuccessiveHalvingPruner(2, 2, 1)),
    ("asha-bootstrap", lambda: SuccessiveHalvingPruner(1, 3, 0, 2),
     lambda: optuna.pruners.SuccessiveHalvingPruner(1, 3, 0, 2)),
    ("hyperband", lambda: HyperbandPruner(1, 28, 3), lambda: optuna.pruners.HyperbandPruner(1, 28, 3)),
    ("threshold", lambda: ThresholdPruner(upper=1.2, n_warmup_steps=3),
     lambda: optuna.pruners.ThresholdPruner(upper=1.2, n_warmup_steps=3)),
    ("patient", lambda: PatientPruner(None, 2, 0.01), lambda: optuna.pruners.PatientPruner(None, 2, 0.01)),
    ("patient-median", lambda: PatientPruner(MedianPruner(2), 1),
     lambda: optuna.pruners.PatientPruner(optuna.pruners.MedianPruner(2), 1)),
]


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("name, ours, theirs", CASES, ids=[c[0] for c in CASES])
def test_same_decisions_as_optuna(name, ours, theirs, direction):
    data = curves()
    if direction == "maximize":
        data = [[-v for v in ys] for ys in data]
    mine = run_pfnopt(ours(), data, direction)
    ref = run_optuna(theirs(), data, direction)
    assert mine == ref
    if name not in ("patient", "asha-bootstrap"):  # the schedule must exercise the rule, not only its "never prune" branch
        assert any(s is not None for s in mine) and any(s is None for s in mine)


@pytest.mark.parametrize("auto, explicit", [
    (lambda: SuccessiveHalvingPruner(), lambda: SuccessiveHalvingPruner(1)),
    (lambda: HyperbandPruner(), lambda: HyperbandPruner(1, 28)),
])
def test_auto_resources_resolve_like_optuna(auto, explicit):
    """'auto' waits for the first completed trial, then resolves as Optuna does (min_resource: 1 % of the
    longest run, at least 1; max_resource: its last step + 1) and decides as the explicit pruner would.
    (Optuna also ignores the rung values of trials that ran before the resolution; ours derives them.)"""
    data = curves()
    a, e = auto(), explicit()
    res_auto = run_pfnopt(a, data)
    assert res_auto[:4] == [None] * 4  # nothing completed yet in the first wave
    assert run_pfnopt(e, data[4:], name="x") != [None] * 20
    if isinstance(a, SuccessiveHalvingPruner):
        assert a._resolved == 1
        study = optuna.create_study(pruner=optuna.pruners.SuccessiveHalvingPruner())
        run_optuna(study.pruner, data)
        assert a._resolved == 1
    else:
        assert a.n_brackets == e.n_brackets == 4
        assert a._budgets == e._budgets


def test_median_uses_best_so_far_not_last_value():
    # done trials reported 1.0 at step 2; the new trial's last value 1.5 is worse but its best (0.5) is not
    study = pfnopt.create_study(pruner=MedianPruner(n_startup_trials=1))
    for _ in range(3):
        t = study.ask()
        for s in range(3):
            t.report(1.0, s)
        study.tell(t, 1.0)
    t = study.ask()
    t.report(0.5, 0)
    assert not t.should_prune()
    t.report(0.6, 1)
    assert not t.should_prune()
    t.report(1.5, 2)
    assert not t.should_prune()  # Optuna's rule; comparing the last value would prune here
    t2 = study.ask()
    for s, v in enumerate([1.2, 1.1, 1.05]):
        t2.report(v, s)
    assert t2.should_prune()


def test_median_startup_and_warmup():
    p = MedianPruner(n_startup_trials=2, n_warmup_steps=2)
    study = pfnopt.create_study(pruner=p)
    t = study.ask()
    t.report(1.0, 0)
    study.tell(t, 1.0)
    bad = study.ask()
    bad.report(5.0, 0)
    assert not bad.should_prune()  # 1 of 2 startup trials
    t = study.ask()
    for s in range(3):
        t.report(1.0, s)
    study.tell(t, 1.0)
    bad.report(5.0, 1)
    assert not bad.should_prune()  # step 1 < warm-up 2
    bad.report(5.0, 2)
    assert bad.should_prune()


def test_threshold_and_nan():
    study = pfnopt.create_study(pruner=ThresholdPruner(lower=0.0, upper=1.0))
    t = study.ask()
    t.report(0.5, 0)
    assert not t.should_prune()
    t.report(1.5, 1)
    assert t.should_prune()
    t2 = study.ask()
    t2.report(float("nan"), 0)
    assert t2.should_prune()


def test_asha_rungs_by_hand():
    # min_resource 1, rf 2: rungs at steps 1, 2, 4. Two completed trials recorded 1.0 / 3.0 at step 1.
    p = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    study = pfnopt.create_study(pruner=p)
    for v in (1.0, 3.0):
        t = study.ask()
        t.report(v, 0)
        t.report(v, 1)
        study.tell(t, v)
    t = study.ask()
    t.report(9.0, 0)
    assert not t.should_prune()  # step 0 < first rung
    t.report(2.0, 1)  # competing {1, 3, 2}: 3 // 2 - 1 = 0 -> must be <= 1.0
    assert t.should_prune()
    t = study.ask()
    t.report(0.5, 0)
    t.report(0.5, 1)
    assert not t.should_prune()


def test_hyperband_brackets_match_optuna():
    ours = HyperbandPruner(1, 81, 3)
    theirs = optuna.pruners.HyperbandPruner(1, 81, 3)
    study = pfnopt.create_study(study_name="hb", pruner=ours)
    ostudy = optuna.create_study(study_name="hb", pruner=theirs)
    t, ot = study.ask(), ostudy.ask()
    t.report(1.0, 0)
    ot.report(1.0, 0)
    t.should_prune(), ot.should_prune()
    assert ours.n_brackets == theirs._n_brackets == 5
    assert [ours.bracket_of("hb", n) for n in range(60)] == [theirs._get_bracket_id(ostudy, _FakeTrial(n))
                                                          for n in range(60)]


class _FakeTrial:
    def __init__(self, number):
        self.number = number


def test_default_pruner_is_median():
    assert isinstance(pfnopt.create_study().pruner, MedianPruner)
    assert isinstance(get_pruner("nop"), NopPruner)


@pytest.mark.parametrize("name, kwargs, cls", [
    ("none", {}, NopPruner), ("median", {"n_startup_trials": 2}, MedianPruner),
    ("percentile", {}, PercentilePruner), ("asha", {"reduction_factor": 3}, SuccessiveHalvingPruner),
    ("hyperband", {"max_resource": 27}, HyperbandPruner), ("threshold", {"upper": 1.0}, ThresholdPruner),
    ("patient", {"patience": 3}, PatientPruner),
])
def test_create_pruner_by_name(name, kwargs, cls):
    p = create_pruner(name, **kwargs)
    assert type(p) is cls
    for k, v in kwargs.items():
        assert getattr(p, k) == v


@pytest.mark.parametrize("call, words", [
    (lambda: create_pruner("medain"), ["'medain'", "median", "curve-pfn", "hyperband"]),
    (lambda: create_pruner("median", patience=3), ["patience", "n_startup_trials"]),
    (lambda: create_pruner("threshold"), ["lower", "upper"]),
    (lambda: create_pruner("patient"), ["patience"]),
    (lambda: MedianPruner(n_startup_trials=-1), ["n_startup_trials", "-1"]),
    (lambda: MedianPruner(interval_steps=0), ["interval_steps"]),
    (lambda: PercentilePruner(120.0), ["percentile", "120"]),
    (lambda: SuccessiveHalvingPruner(reduction_factor=1), ["reduction_factor"]),
    (lambda: SuccessiveHalvingPruner(min_resource="big"), ["min_resource", "'big'"]),
    (lambda: HyperbandPruner(max_resource="x"), ["max_resource"]),
    (lambda: HyperbandPruner(bootstrap_count=2), ["bootstrap_count", "max_resource"]),
    (lambda: ThresholdPruner(lower=2.0, upper=1.0), ["lower", "upper"]),
    (lambda: PatientPruner("median", 2), ["wrapped_pruner"]),
    (lambda: create_pruner("curve-pfn", threshold=1.5), ["threshold", "1.5"]),
    (lambda: create_pruner("curve-pfn", checkpoint="/nonexistent/ckpt"), ["checkpoint", "/nonexistent/ckpt"]),
    (lambda: pfnopt.create_study(pruner="bogus"), ["'bogus'", "median"]),
])
def test_bad_arguments_are_named(call, words):
    with pytest.raises(PfnoptError) as e:
        call()
    assert isinstance(e.value, ParameterError)
    for w in words:
        assert w in str(e.value)
