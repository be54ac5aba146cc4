"""WilcoxonPruner against hand-made reports, and against Optuna's WilcoxonPruner on the same reports."""

from __future__ import annotations

import math
import warnings

import numpy as np
import optuna
import pytest

import pfnopt
from pfnopt.exceptions import ParameterError, PfnoptError
from pfnopt.pruners import WilcoxonPruner, create_pruner

optuna.logging.set_verbosity(optuna.logging.WARNING)
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")


def study_with_best(best_reports: dict[int, float], direction: str = "minimize", pruner=None):
    """A pfnopt study whose one complete trial reported ``best_reports`` (its value: their mean)."""
    study = pfnopt.create_study(direction=direction, pruner=pruner or WilcoxonPruner(), sampler="random")
    t = study.ask()
    for step, v in best_reports.items():
        t.report(v, step)
    study.tell(t, float(np.mean(list(best_reports.values()))))
    return study


def decisions(study, reports: list[tuple[int, float]]) -> list[bool]:
    """should_prune() after each report of a new trial (it keeps reporting whatever is decided)."""
    t = study.ask()
    out = []
    for step, v in reports:
        t.report(v, step)
        out.append(t.should_prune())
    study.tell(t, float(np.mean([v for _, v in reports])))
    return out


BASE = {i: float(v) for i, v in enumerate(np.linspace(1.0, 3.0, 12))}  # instance i's cost for the best trial
# the tests' offsets differ by step (+ 0.01 * i): tied differences would send scipy to its slow permutation test


HARD_FIRST = sorted(BASE, key=lambda i: -BASE[i])  # a minimising trial reporting these first is never better on average
EASY_FIRST = sorted(BASE, key=lambda i: BASE[i])


def test_clearly_worse_trial_is_pruned_once_the_test_is_sure():
    study = study_with_best(BASE)
    d = decisions(study, [(i, BASE[i] + 0.5 + 0.01 * i) for i in HARD_FIRST])
    # worse on every pair: one-sided exact p = 2^-n, below 0.1 from n = 4 pairs on; never before two pairs
    assert d == [False, False, False] + [True] * 9


def test_better_trial_is_never_pruned():
    study = study_with_best(BASE)
    assert decisions(study, [(i, BASE[i] - 0.1 - 0.01 * i) for i in HARD_FIRST]) == [False] * 12


def test_maximize_flips_the_alternative():
    study = study_with_best(BASE, direction="maximize")
    assert decisions(study, [(i, BASE[i] - 0.5 - 0.01 * i) for i in EASY_FIRST]) == [False, False, False] + [True] * 9
    study = study_with_best(BASE, direction="maximize")
    assert decisions(study, [(i, BASE[i] + 0.5 + 0.01 * i) for i in EASY_FIRST]) == [False] * 12


def test_n_startup_steps_and_threshold():
    study = study_with_best(BASE, pruner=WilcoxonPruner(n_startup_steps=6))
    assert decisions(study, [(i, BASE[i] + 0.5 + 0.01 * i) for i in HARD_FIRST[:8]]) == [False] * 5 + [True] * 3
    study = study_with_best(BASE, pruner=WilcoxonPruner(p_threshold=0.01))  # needs 2^-n < 0.01: n >= 7
    assert decisions(study, [(i, BASE[i] + 0.5 + 0.01 * i) for i in HARD_FIRST[:8]]) == [False] * 6 + [True] * 2


def test_pairs_by_step_not_by_order():
    """Reports in a shuffled order are paired with the best trial's report of the same step (instance)."""
    study = study_with_best(BASE)
    order = [7, 2, 11, 0, 5, 9, 3]  # the means of its prefixes (+0.2) all stay above the best trial's 2.0
    assert decisions(study, [(i, BASE[i] + 0.2 + 0.01 * i) for i in order]) == [False, False, False, True, True, True, True]


def test_easy_instances_first_are_not_pruned_while_the_mean_looks_better():
    """Optuna's safety rule compares the mean of the trial's reports so far with the mean of ALL the best
    trial's reports: a worse trial that met the easy instances first runs on until its mean catches up."""
    study = study_with_best(BASE)
    d = decisions(study, [(i, BASE[i] + 0.5 + 0.01 * i) for i in EASY_FIRST])
    means = np.cumsum([BASE[i] + 0.5 + 0.01 * i for i in EASY_FIRST]) / np.arange(1, 13)
    first_worse_mean = int(np.argmax(means > 2.0))
    assert first_worse_mean > 3  # the test alone would prune from the fourth report on
    assert d == [False] * first_worse_mean + [True] * (12 - first_worse_mean)


def test_safety_rule_keeps_a_trial_better_on_average():
    """The test says worse, but the trial's mean is below the best trial's mean: not pruned (Optuna's rule)."""
    best = {**{i: 5.0 for i in range(10)}, 10: 20.0, **{i: 0.0 for i in range(11, 20)}}  # mean 3.5
    study = study_with_best(best)
    reports = [(i, 5.1 + 0.001 * i) for i in range(10)] + [(10, -40.0)]  # paired diffs: ten ~+0.1, then -60
    d = decisions(study, reports)
    assert d[9] is True  # ten worse pairs (p = 2^-10) and a mean of 5.1 > 3.5
    from scipy.stats import wilcoxon

    assert wilcoxon([0.1 + 0.001 * i for i in range(10)] + [-60.0], alternative="greater", zero_method="zsplit").pvalue < 0.1
    assert d[10] is False  # still "worse" by the test, but the mean (about 1.0) is now below 3.5


def test_non_finite_reports_are_never_pruned_and_warn():
    study = study_with_best(BASE)
    t = study.ask()
    for i in HARD_FIRST[:6]:
        t.report(BASE[i] + 0.5 + 0.01 * i, i)
    assert t.should_prune()
    t.report(math.nan, 0)
    with pytest.warns(UserWarning, match="NaN or infinity"):
        assert not t.should_prune()


def test_no_best_trial_or_best_without_reports():
    study = pfnopt.create_study(pruner=WilcoxonPruner(), sampler="random")
    t = study.ask()
    for i in range(5):
        t.report(1.0 + i, i)
        assert not t.should_prune()  # nothing completed yet
    study.tell(t, 3.0)
    study2 = pfnopt.create_study(pruner=WilcoxonPruner(), sampler="random")
    study2.enqueue_trial({})
    t0 = study2.ask()
    study2.tell(t0, 0.0)  # best trial with no reports
    t = study2.ask()
    t.report(5.0, 0)
    with pytest.warns(UserWarning, match="reported no values"):
        assert not t.should_prune()


@pytest.mark.parametrize("kwargs, name", [({"p_threshold": 1.5}, "p_threshold"),
                                          ({"p_threshold": "0.1"}, "p_threshold"),
                                          ({"n_startup_steps": -1}, "n_startup_steps")])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ParameterError, match=name) as e:
        WilcoxonPruner(**kwargs)
    assert isinstance(e.value, PfnoptError)


def test_registry_and_optuna_module_path():
    p = create_pruner("wilcoxon", p_threshold=0.2, n_startup_steps=3)
    assert isinstance(p, WilcoxonPruner) and p.p_threshold == 0.2 and p.n_startup_steps == 3
    assert pfnopt.pruners.WilcoxonPruner is WilcoxonPruner


def _decisions(lib, trials: list[list[tuple[int, float]]], direction: str, p: float, n: int) -> list[list[bool]]:
    """Each trial's should_prune answers, report by report, through ``lib``'s Optuna-shaped calls (optuna or
    pfnopt, the same program); a trial stops at its first True and is told the mean of what it reported."""
    kw = {} if lib is optuna else {"sampler": "random"}
    study = lib.create_study(direction=direction, pruner=lib.pruners.WilcoxonPruner(p_threshold=p, n_startup_steps=n),
                             **kw)
    out = []
    for reports in trials:
        t = study.ask()
        d = []
        for step, v in reports:
            t.report(v, step)
            d.append(t.should_prune())
            if d[-1]:
                break
        study.tell(t, float(np.mean([v for _, v in reports[: len(d)]])))
        out.append(d)
    return out


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("p, n", [(0.1, 2), (0.05, 5), (0.3, 0)])
def test_same_decisions_as_optuna(direction, p, n):
    """Trials of a mean-over-instances objective (instance difficulty + the trial's quality + noise),
    each reporting the instances in its own shuffled order and returning the mean of what it evaluated
    when pruned (the optuna-examples habit): every should_prune() answer equals Optuna's."""
    rng = np.random.default_rng(3)
    hardness = rng.uniform(0, 5, 30)
    trials = []
    for _ in range(25):
        quality = rng.normal(0, 0.6)
        order = rng.permutation(30)
        trials.append([(int(i), float(hardness[i] + quality + rng.normal(0, 0.5))) for i in order])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _decisions(pfnopt, trials, direction, p, n)
        theirs = _decisions(optuna, trials, direction, p, n)
    assert ours == theirs
    flat = [x for d in ours for x in d]
    assert any(flat) and sum(len(d) == 30 and not d[-1] for d in ours) >= 1  # both branches exercised
