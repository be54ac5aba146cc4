"""Output warping (pfnopt.samplers.warping): monotone, sign-preserving, and what the sampler does with it."""

from __future__ import annotations

import numpy as np
import pytest

import pfnopt
from pfnopt.acquisition import AcqOptions
from pfnopt.exceptions import NotSupportedError, ParameterError
from pfnopt.samplers.pfn import PFNSampler
from pfnopt.samplers.warping import OutputWarp


def _columns(seed=0, n=40):
    rng = np.random.default_rng(seed)
    y = 10.0 ** rng.uniform(0, 6, n)  # an objective with six decades of range
    c = rng.normal(0, 1, n) * 10.0 ** rng.uniform(-3, 4, n)  # a constraint either side of 0
    return np.stack([y, c], axis=1)


def test_warp_keeps_order_feasibility_and_the_incumbent():
    Y = _columns()
    w = OutputWarp.fit(Y, "all")
    W = w(Y)
    for j in range(2):
        assert (np.argsort(W[:, j], kind="stable") == np.argsort(Y[:, j], kind="stable")).all()
    np.testing.assert_array_equal(W[:, 1] <= 0, Y[:, 1] <= 0)
    np.testing.assert_array_equal(np.sign(W[:, 1]), np.sign(Y[:, 1]))
    best = float(Y[Y[:, 1] <= 0, 0].min())
    assert w.objective(best) == pytest.approx(float(W[Y[:, 1] <= 0, 0].min()))
    assert w.objective(None) is None
    # the dynamic range is compressed: six decades become a spread of a few units
    assert np.ptp(W[:, 0]) < 20 and np.ptp(Y[:, 0]) > 1e5


def test_warp_is_linear_near_its_anchor_and_logarithmic_beyond():
    Y = np.array([[1.0, -4.0], [2.0, 2.0], [3.0, -1.0], [1001.0, 1e4]])
    w = OutputWarp.fit(Y, "all")
    assert w.offsets[0] == 1.0 and w.scales[0] == pytest.approx(np.median(Y[:, 0] - 1.0))
    assert w.scales[1] == pytest.approx(np.median(np.abs(Y[:, 1])))
    W = w(Y)
    assert W[0, 0] == 0.0  # the minimum maps to 0
    small = w(np.array([[1.0 + 1e-6, 1e-6]]))[0]
    np.testing.assert_allclose(small, [1e-6 / w.scales[0], 1e-6 / w.scales[1]], rtol=1e-5)
    assert W[3, 0] == pytest.approx(np.log1p(1000.0 / w.scales[0]))
    # a value below the fitted minimum continues linearly (no log of a negative number)
    assert w(np.array([[0.0, 0.0]]))[0, 0] == pytest.approx(-1.0 / w.scales[0])


def test_constraints_only_leaves_the_objective_and_none_leaves_everything():
    Y = _columns(1)
    np.testing.assert_array_equal(OutputWarp.fit(Y, "constraints")(Y)[:, 0], Y[:, 0])
    np.testing.assert_array_equal(OutputWarp.fit(Y, "none")(Y), Y)
    constant = np.zeros((5, 2))  # a zero scale falls back to 1, never a division by zero
    assert np.isfinite(OutputWarp.fit(constant, "all")(constant)).all()
    with pytest.raises(ValueError, match="warp='log' is not known; allowed: none, constraints, all"):
        OutputWarp.fit(Y, "log")


def test_sampler_refuses_an_unknown_warp_and_runs_with_each_known_one():
    with pytest.raises(ParameterError, match="unknown warp 'log'; allowed: none, constraints, all"):
        PFNSampler(warp="log")

    def wide(trial):
        x, y = trial.suggest_float("x", 0.01, 1), trial.suggest_float("y", 0.01, 1)
        trial.set_constraints([1.0 / (x * y) ** 3 - 50.0])  # 1e6 at the corner, boundary near x y = 0.27
        return 1e3 * (x + y) ** 4

    for warp in ("constraints", "all"):
        s = PFNSampler(seed=0, n_startup=6, warp=warp, options=AcqOptions(n_sobol=128, n_local=128))
        study = pfnopt.create_study(sampler=s)
        study.optimize(wide, n_trials=14)
        assert study.best_trial.feasible
        # the diagnostics stay in the original units' meaning: a probability of feasibility
        p = study.trials[-1].system_attrs["sampler:prob_feasible"]
        assert 0.0 <= p <= 1.0


def test_ehvi_refuses_a_warp_it_would_not_read_and_parego_takes_it():
    def two(trial):
        x, y = trial.suggest_float("x", 0.0, 1.0), trial.suggest_float("y", 0.0, 1.0)
        return 1e3 * x**4 + y, (1.0 - x) ** 2 + 1e3 * y**4

    refused = pfnopt.create_study(directions=["minimize", "minimize"], sampler=PFNSampler(warp="all"))
    with pytest.raises(NotSupportedError, match="warp='all'.*mo_acquisition='ehvi'.*use warp='none' or mo_acquisition='parego'"):
        refused.optimize(two, n_trials=1)
    assert len(refused.trials) == 1 and refused.trials[0].state.name == "FAIL"  # the refusal is recorded, nothing else
    s = PFNSampler(seed=0, n_startup=4, warp="all", mo_acquisition="parego", options=AcqOptions(n_sobol=64, n_local=64))
    study = pfnopt.create_study(directions=["minimize", "minimize"], sampler=s)
    study.optimize(two, n_trials=6)
    assert "sampler:parego_weights" in study.trials[-1].system_attrs
