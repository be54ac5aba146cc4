"""Optuna's ``constraints_func=`` on pfnopt's own constrained samplers (``pfn``, ``gp``), written as an Optuna
program writes it (``import pfnopt as optuna``), and checked against Optuna's own handling."""

from __future__ import annotations

import pytest

import pfnopt as optuna
from pfnopt.acquisition.optimize import AcqOptions
from pfnopt.exceptions import ParameterError
from pfnopt.samplers import get_sampler
from pfnopt.samplers.gp import GPSampler
from pfnopt.samplers.pfn import PFNSampler
from pfnopt.trial import TrialState


def constrained(trial):
    x = trial.suggest_float("x", -2.0, 2.0)
    y = trial.suggest_float("y", -2.0, 2.0)
    trial.set_user_attr("c", x + y - 1.0)  # feasible: x + y <= 1 (Optuna's tutorial habit)
    return (x - 1.0) ** 2 + (y - 1.0) ** 2


def from_attrs(trial):
    return [trial.user_attrs["c"]]


def with_set_constraints(trial):
    value = constrained(trial)
    trial.set_constraints([trial.user_attrs["c"]])
    return value


def proposals(study):
    return [(t.params["x"], t.params["y"], t.constraints) for t in study.trials]


@pytest.mark.parametrize("make", [
    lambda f: PFNSampler(seed=3, n_startup=4, constraints_func=f,
                         optimizer=AcqOptions(n_sobol=128, n_local=128, refine_per_round=16)),
    lambda f: GPSampler(seed=3, n_startup=4, num_restarts=2, raw_samples=64, constraints_func=f),
], ids=["pfn", "gp"])
def test_constraints_func_is_the_same_as_setting_the_constraints(make):
    """The model-based proposals after the start-up read the constraints: constraints_func gives exactly
    the trials that trial.set_constraints gives, and every stored constraint is the function's value."""
    a = optuna.create_study(sampler=make(from_attrs))
    a.optimize(constrained, n_trials=6)
    b = optuna.create_study(sampler=make(None))
    b.optimize(with_set_constraints, n_trials=6)
    assert proposals(a) == proposals(b)
    for t in a.trials:
        assert list(t.constraints) == [pytest.approx(t.user_attrs["c"])]
        assert t.system_attrs["constraints"] == [pytest.approx(t.user_attrs["c"])]
    assert a.best_trial.user_attrs["c"] <= 0.0


def test_called_like_optuna_with_the_running_trial_for_complete_and_pruned_trials():
    """What the function is handed (state, values, params, user attrs) and for which trials it is called:
    as in Optuna, whose TPESampler runs the same program alongside."""
    real = pytest.importorskip("optuna")
    real.logging.set_verbosity(real.logging.WARNING)

    def program(lib, sampler_cls, **kw):
        seen = []

        def record(trial):
            seen.append((trial.number, trial.state.name, trial.values, sorted(trial.params),
                         dict(trial.user_attrs)))
            return [trial.user_attrs["c"]]

        study = lib.create_study(sampler=sampler_cls(constraints_func=record, **kw))

        def objective(trial):
            x = trial.suggest_float("x", 0.0, 1.0)
            trial.set_user_attr("c", x - 0.5)
            if trial.number == 1:
                trial.report(3.0, 0)
                raise lib.TrialPruned()
            if trial.number == 2:
                raise RuntimeError("objective failed")
            return x

        study.optimize(objective, n_trials=4, catch=(RuntimeError,))
        states = [t.state.name for t in study.trials]
        stored = [None if t.state.name == "FAIL" else list(_constraints(lib, t)) for t in study.trials]
        return seen, states, stored

    ours = program(optuna, PFNSampler, seed=0, n_startup=10)
    theirs = program(real, real.samplers.TPESampler, seed=0)
    assert [s[:4] for s in ours[0]] == [s[:4] for s in theirs[0]] == [
        (0, "RUNNING", None, ["x"]), (1, "RUNNING", None, ["x"]), (3, "RUNNING", None, ["x"])]
    assert ours[1] == theirs[1] == ["COMPLETE", "PRUNED", "FAIL", "COMPLETE"]
    assert [s is None for s in ours[2]] == [s is None for s in theirs[2]] == [False, False, True, False]


def _constraints(lib, t):
    return t.constraints if lib is optuna else t.system_attrs["constraints"]


def test_function_error_fails_the_trial_and_surfaces():
    calls = []

    def broken(trial):
        calls.append(trial.number)
        raise KeyError("c")

    study = optuna.create_study(sampler=PFNSampler(n_startup=10, constraints_func=broken))
    with pytest.raises(KeyError):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    t = study.trials[0]
    assert calls == [0] and t.state == TrialState.FAIL and t.constraints is None
    assert "constraints_func raised KeyError" in t.system_attrs["fail_reason"]
    # a NaN constraint is not a constraint: the trial fails with the reason, nothing is raised
    study = optuna.create_study(sampler=PFNSampler(n_startup=10, constraints_func=lambda t: [float("nan")]))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].state == TrialState.FAIL and "not finite" in study.trials[0].system_attrs["fail_reason"]


@pytest.mark.parametrize("make", [lambda: PFNSampler(constraints_func=3),
                                  lambda: GPSampler(constraints_func="c"),
                                  lambda: get_sampler("pfn", constraints_func=[1.0])])
def test_not_a_function_is_refused(make):
    with pytest.raises(ParameterError, match="constraints_func must be a callable"):
        make()


def test_by_name_and_explicit_constraints_win():
    s = get_sampler("pfn-cei", constraints_func=from_attrs)
    assert s.constraints_func is from_attrs
    study = optuna.create_study(sampler=PFNSampler(n_startup=10, constraints_func=lambda t: [5.0]))
    t = study.ask()
    t.suggest_float("x", 0, 1)
    study.tell(t, 1.0, constraints=[-1.0])  # given to tell: the function is not asked
    assert list(study.trials[0].constraints) == [-1.0]
