"""The baselines pfnopt is measured against: BoTorch GP samplers and Optuna's samplers.

Real BoTorch and real Optuna on small problems (a handful of trials each), so the file runs in
well under a minute on two cores. The constrained toy: minimise x + y on [0, 1]^2 subject to
1.5 - x - y <= 0, whose feasible optimum is the segment x + y = 1.5 (value 1.5).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import pfnopt
from pfnopt.exceptions import MissingDependencyError, NotSupportedError, ParameterError
from pfnopt.records import TrialState
from pfnopt.samplers import get_sampler
from pfnopt.space import Categorical, Float, Int, SearchSpace

pytest.importorskip("botorch")

GP_METHODS = ["gp-ei", "gp-cei", "gp-penalty"]
OPTUNA_KINDS = ["optuna-tpe", "optuna-gp"]
MIXED = SearchSpace(
    {
        "lr": Float(1e-4, 1e-1, log=True),
        "w": Float(-1.0, 1.0),
        "grid": Float(0.0, 1.0, step=0.25),
        "layers": Int(1, 6),
        "width": Int(8, 128, log=True),
        "act": Categorical(["relu", "tanh", None]),
    }
)


def _needs(name: str) -> None:
    if name.startswith("optuna"):
        pytest.importorskip("optuna")


def toy(trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    y = trial.suggest_float("y", 0.0, 1.0)
    trial.set_constraints([1.5 - x - y])
    return x + y


def mixed_objective(trial) -> float:
    p = {n: trial.suggest(n, d) for n, d in MIXED.items()}
    trial.set_constraints([p["w"] - 0.5])
    return math.log10(p["lr"]) ** 2 + p["w"] ** 2 + p["grid"] + 0.1 * p["layers"] + (p["act"] == "relu")


def _params(study) -> list[dict]:
    return [t.params for t in study.get_trials()]


# --- suggestions in the space, of the right type ---------------------------------------------
@pytest.mark.parametrize("name", GP_METHODS + OPTUNA_KINDS)
def test_mixed_space_suggestions_are_inside_and_typed(name):
    _needs(name)
    study = pfnopt.create_study(sampler=get_sampler(name, seed=1, n_startup=4))
    study.optimize(mixed_objective, n_trials=7)
    trials = study.get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 7
    for t in trials:
        MIXED.check(t.params)  # raises if any value is outside its distribution
        assert isinstance(t.params["lr"], float) and isinstance(t.params["w"], float)
        assert type(t.params["layers"]) is int and type(t.params["width"]) is int
        assert t.params["act"] in ("relu", "tanh", None)
    model_phase = trials[4:]
    assert all(any(k.startswith("sampler:") for k in t.system_attrs) for t in model_phase)
    assert len({tuple(sorted(map(repr, p.items()))) for p in _params(study)}) == 7  # no duplicates


# --- determinism ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["gp-cei", "optuna-tpe", "optuna-gp"])
def test_same_seed_same_trials(name):
    _needs(name)
    runs = []
    for _ in range(2):
        study = pfnopt.create_study(sampler=get_sampler(name, seed=7, n_startup=3))
        study.optimize(toy, n_trials=6)
        runs.append(_params(study))
    assert runs[0] == runs[1]
    other = pfnopt.create_study(sampler=get_sampler(name, seed=8, n_startup=3))
    other.optimize(toy, n_trials=4)
    assert _params(other) != runs[0][:4]


def test_every_method_shares_the_initial_design():
    pytest.importorskip("optuna")
    designs = []
    for name in ["sobol", *GP_METHODS, *OPTUNA_KINDS]:
        study = pfnopt.create_study(
            sampler=get_sampler(name, seed=3, n_startup=4) if name != "sobol" else get_sampler(name, seed=3)
        )
        study.optimize(toy, n_trials=4)
        designs.append(_params(study))
    assert all(d == designs[0] for d in designs)


# --- constrained runs ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["gp-cei", "gp-penalty", "optuna-gp"])
def test_constrained_run_ends_feasible(name):
    _needs(name)
    study = pfnopt.create_study(sampler=get_sampler(name, seed=0, n_startup=5))
    study.optimize(toy, n_trials=12)
    best = study.best_trial  # raises NoFeasibleTrialError if nothing is feasible
    assert best.feasible and 1.5 - 1e-9 <= best.value < 1.65


@pytest.mark.slow
@pytest.mark.parametrize("name", ["optuna-tpe", "gp-ei"])
def test_constrained_run_ends_feasible_slow(name):
    _needs(name)
    study = pfnopt.create_study(sampler=get_sampler(name, seed=0, n_startup=5))
    study.optimize(toy, n_trials=30)
    assert study.best_trial.feasible


def test_cei_maximises_feasibility_while_nothing_is_feasible():
    space = SearchSpace({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    study = pfnopt.create_study(sampler=get_sampler("gp-cei", seed=0, n_startup=3))
    for x, y in [(0.1, 0.1), (0.2, 0.5), (0.4, 0.3), (0.6, 0.2)]:  # all infeasible: x + y < 1.5
        study.enqueue_trial({"x": x, "y": y})
        t = study.ask(space)
        study.tell(t, x + y, constraints=[1.5 - x - y])
    t = study.ask(space)
    assert t.diagnostics["acquisition"] == "LogPoF"
    assert t.params["x"] + t.params["y"] > 0.7  # heads towards the feasible corner
    assert 0.0 <= t.diagnostics["prob_feasible"] <= 1.0


def test_penalty_rule():
    from pfnopt.samplers.observations import Observations
    from pfnopt.samplers.penalty import penalised, penalty_growth

    y = np.array([1.0, 3.0, 2.0])
    C = np.array([[-1.0, 0.0], [2.0, -40.0], [1.0, 4.0]])
    # rho = growth * range(y) = 1.5 * 2; scales = largest violations (2, 4), not max |c_i| (40)
    pen, rho = penalised(y, C, 1.5)
    assert rho == 3.0
    np.testing.assert_allclose(pen, [1.0, 3.0 + 3 * (2 / 2), 2.0 + 3 * (1 / 2 + 4 / 4)])
    np.testing.assert_allclose(penalised(y, -np.ones((3, 2)))[0], y)  # nothing violated: no penalty
    np.testing.assert_allclose(penalised(y, np.zeros((3, 0)))[0], y)

    def obs(ys, feasible):
        n = len(ys)
        C = np.where(np.asarray(feasible)[:, None], -1.0, 1.0)
        return Observations(
            np.zeros((n, 1)), np.asarray(ys, float), C, np.zeros((0, 1)), np.zeros((0, 1)), np.arange(n)
        )

    # 2 startup trials, then 10 model-based trials without improvement: two 1.5x steps
    assert penalty_growth(obs([5.0, 4.0] + [9.0] * 10, [True] * 12), 2) == 1.5**2
    # an improvement resets the stall count
    assert penalty_growth(obs([5.0, 4.0] + [9.0] * 4 + [3.0] + [9.0] * 4, [True] * 11), 2) == 1.0
    # infeasible "improvements" do not count
    assert penalty_growth(obs([5.0, 4.0] + [1.0] * 5, [True, True] + [False] * 5), 2) == 1.5


# --- failures, NaN, pending points -----------------------------------------------------------
@pytest.mark.parametrize("name", ["gp-cei", "gp-penalty", "optuna-tpe", "optuna-gp"])
def test_failed_and_nan_trials_do_not_break_them(name):
    _needs(name)

    def flaky(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", 0.0, 1.0)
        if trial.number % 3 == 1:
            raise RuntimeError("simulator crashed")
        if trial.number % 3 == 2:
            trial.set_constraints([float("nan")])
            return x + y
        trial.set_constraints([1.5 - x - y])
        return float("nan") if trial.number == 6 else x + y

    study = pfnopt.create_study(sampler=get_sampler(name, seed=2, n_startup=2))
    study.optimize(flaky, n_trials=11, catch=(RuntimeError,))
    states = [t.state for t in study.get_trials()]
    assert states.count(TrialState.FAIL) == 8 and states.count(TrialState.COMPLETE) == 3
    last = study.get_trials()[-1]
    assert 0.0 <= last.params["x"] <= 1.0 and 0.0 <= last.params["y"] <= 1.0


@pytest.mark.parametrize("name", ["gp-cei", "optuna-gp"])
def test_running_trials_are_pending_points(name):
    _needs(name)
    space = SearchSpace({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    study = pfnopt.create_study(sampler=get_sampler(name, seed=4, n_startup=4))
    for _ in range(4):
        t = study.ask(space)
        study.tell(t, t.params["x"] + t.params["y"], constraints=[1.5 - t.params["x"] - t.params["y"]])
    first, second = study.ask(space), study.ask(space)
    assert first.params != second.params
    if name == "gp-cei":
        assert first.diagnostics["acquisition"] == "LogCEI"
        assert second.diagnostics["acquisition"] == "qLogCEI"


def test_fully_discrete_space_avoids_repeats():
    space = SearchSpace({"n": Int(1, 3), "c": Categorical(["a", "b"])})
    study = pfnopt.create_study(sampler=get_sampler("gp-ei", seed=0, n_startup=2))
    seen = []
    for _ in range(6):
        t = study.ask(space)
        seen.append((t.params["n"], t.params["c"]))
        study.tell(t, float(t.params["n"]) + (t.params["c"] == "b"))
    assert len(set(seen[1:])) == 5 and len(set(seen)) >= 5  # the GP phase never repeats a finished point


def test_maximize_direction_is_respected():
    space = SearchSpace({"x": Float(0.0, 1.0)})
    study = pfnopt.create_study(sampler=get_sampler("gp-ei", seed=0, n_startup=3), direction="maximize")
    for _ in range(8):
        t = study.ask(space)
        study.tell(t, -((t.params["x"] - 0.8) ** 2))
    assert abs(study.best_params["x"] - 0.8) < 0.1


# --- construction and errors -----------------------------------------------------------------
def test_registry_and_arguments():
    from pfnopt.samplers.gp import GPSampler

    s = get_sampler("gp-penalty", seed=3)
    assert isinstance(s, GPSampler) and s.method == "penalty" and s.seed == 3
    for bad in ({"method": "ucb"}, {"n_startup": -1}, {"num_restarts": 0}, {"raw_samples": 2, "num_restarts": 5}):
        with pytest.raises(ParameterError):
            GPSampler(**bad)
    study = pfnopt.create_study(directions=["minimize", "minimize"], sampler=GPSampler(n_startup=0))
    with pytest.raises(NotSupportedError, match="optimises one objective.*has 2"):
        study.ask({"x": Float(0.0, 1.0)})


def test_optuna_arguments():
    pytest.importorskip("optuna")
    from pfnopt.samplers.optuna_samplers import OptunaSampler

    assert get_sampler("tpe").kind == "tpe" and get_sampler("optuna-gp").kind == "gp"
    with pytest.raises(ParameterError, match="kind"):
        OptunaSampler(kind="cmaes")
    with pytest.raises(ParameterError, match="n_startup_trials"):
        OptunaSampler(n_startup_trials=3)
    with pytest.raises(ParameterError, match="rejected"):
        OptunaSampler(kind="gp", not_an_option=1)
    OptunaSampler(kind="tpe", n_ei_candidates=48)  # Optuna's own options pass through


def test_missing_optuna_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # makes `import optuna` raise ImportError
    from pfnopt.samplers.optuna_samplers import OptunaSampler

    with pytest.raises(MissingDependencyError, match=r"pip install 'pfnopt\[optuna\]'"):
        OptunaSampler(kind="tpe")
    with pytest.raises(MissingDependencyError):
        get_sampler("optuna-gp")
