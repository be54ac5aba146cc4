"""The PFN sampler's local box: its rule (pfnopt/samplers/trust_region.py) and its use in PFNSampler."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pfnopt
from pfnopt import Categorical, Float
from pfnopt.acquisition import AcqOptions
from pfnopt.acquisition.optimize import SearchBox
from pfnopt.samplers.observations import Observations
from pfnopt.samplers.pfn import PFNSampler
from pfnopt.samplers.trust_region import H0, Box, half_width, improvements, local_box, ranking, stalled_trials
from pfnopt.space import SearchSpace


def obs(y, feasible=None):
    n = len(y)
    C = np.zeros((n, 0)) if feasible is None else np.where(np.asarray(feasible), -1.0, 1.0)[:, None]
    return Observations(np.zeros((n, 1)), np.asarray(y, float), C, np.zeros((0, 1)), np.zeros((0, 1)), np.arange(n))


def test_stall_counts_model_based_trials_since_the_last_feasible_improvement():
    assert stalled_trials(obs([5.0, 4.0, 6.0, 7.0, 3.0, 9.0, 9.0]), n_startup=2) == 2
    assert stalled_trials(obs([5.0, 4.0, 6.0]), n_startup=3) == 0  # still the initial design
    # an infeasible lower value is no improvement
    assert stalled_trials(obs([5.0, 1.0, 6.0], [True, False, True]), n_startup=1) == 2


def test_ranking_puts_feasible_first_then_the_least_violating():
    y = np.array([3.0, 1.0, 2.0, 0.5, 9.0])
    C = np.array([[-1.0, -1.0], [-0.5, -2.0], [4.0, 0.0], [0.1, 1.0], [2.0, 0.0]])  # rows 0, 1 feasible
    o = Observations(np.zeros((5, 1)), y, C, np.zeros((0, 1)), np.zeros((0, 1)), np.arange(5))
    # violations scaled by the largest per constraint (4, 1): row 3 -> 0.025 + 1, row 4 -> 0.5, row 2 -> 1
    assert list(ranking(o)) == [1, 0, 4, 2, 3]
    # an infeasible trial that reduces the violation counts as progress while nothing is feasible
    n = Observations(np.zeros((3, 1)), np.array([1.0, 2.0, 3.0]), np.array([[3.0], [1.0], [2.0]]),
                     np.zeros((0, 1)), np.zeros((0, 1)), np.arange(3))
    assert stalled_trials(n, n_startup=1) == 1
    assert improvements(n, n_startup=1) == [True, False]  # one flag per model-based trial


def test_half_width_halves_per_2d_stalled_trials_and_reopens():
    d = 3
    assert half_width(0, d) == H0
    assert half_width(2 * d - 1, d) == H0
    assert half_width(2 * d, d) == H0 / 2
    assert half_width(4 * d, d) == H0 / 4
    assert half_width(6 * d, d) == H0  # below the floor: the box opens again


def test_half_width_schedule_is_configurable():
    d = 3
    assert half_width(d, d, stall_per_dim=1.0) == H0 / 2  # halves after d stalled trials, not 2d
    assert half_width(d - 1, d, stall_per_dim=1.0) == H0
    # a lower floor gives more levels before the box opens again: 0.25 .. 0.25 / 64 >= 0.003
    assert half_width(6 * d, d, h_min=0.003, stall_per_dim=1.0) == H0 / 64
    assert half_width(7 * d, d, h_min=0.003, stall_per_dim=1.0) == H0


def test_local_box_grows_to_hold_enough_trials_and_leaves_categoricals_open():
    rng = np.random.default_rng(0)
    X = rng.random((30, 3))
    free = np.array([False, False, True])
    centre = X[0]
    box = local_box(X, centre, 0.05, free, min_points=8)
    assert box.contains(X).sum() >= 8 and box.contains(centre[None, :])[0]
    assert box.lo[2] == 0.0 and box.hi[2] == 1.0
    assert np.all(box.lo >= 0) and np.all(box.hi <= 1)
    wide = box.expanded(0.1, free)
    assert np.all(wide.lo <= box.lo) and np.all(wide.hi >= box.hi) and wide.contains(X).sum() >= box.contains(X).sum()
    u = Box(np.array([0.2, 0.4]), np.array([0.6, 0.8])).to_local(np.array([[0.2, 0.8], [0.4, 0.6], [0.0, 1.0]]))
    np.testing.assert_allclose(u, [[0.0, 1.0], [0.5, 0.5], [0.0, 1.0]])


def test_candidates_stay_inside_the_bounds():
    space = SearchSpace({"x": Float(0, 1), "y": Float(0, 10), "c": Categorical(["a", "b", "c"])})
    lo = np.array([0.3, 0.6, 0.0, 0.0, 0.0])
    hi = np.array([0.4, 0.7, 1.0, 1.0, 1.0])
    box = SearchBox(space, bounds=(lo, hi), seed=1, dtype=torch.float64)
    U = box.candidates(box.tensor(np.array([[0.35, 0.65, 1.0, 0.0, 0.0]])), AcqOptions(n_sobol=256, n_local=256))
    U = U.double().numpy()
    assert np.all(U[:, :2] >= lo[:2] - 1e-12) and np.all(U[:, :2] <= hi[:2] + 1e-12)
    assert set(np.argmax(U[:, 2:], axis=1)) == {0, 1, 2}  # every category still proposed


def quadratic(trial):
    x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
    return (x - 0.73) ** 2 + (y - 0.21) ** 2


@pytest.mark.parametrize("local", [True, False])
def test_the_box_is_used_when_local(local):
    fast = AcqOptions(n_sobol=128, n_local=128)
    study = pfnopt.create_study(sampler=PFNSampler(seed=0, n_startup=6, options=fast, local=local))
    study.optimize(quadratic, n_trials=16)
    model_based = study.trials[6:]
    has_box = ["sampler:box_half_width" in t.system_attrs for t in model_based]
    assert all(has_box) if local else not any(has_box)


def test_local_box_refines_a_smooth_minimum():
    """With the box, 24 trials on a 2-d quadratic end close to its minimum (the global rule
    plateaued around 1e-2 here: the reason for the box)."""
    study = pfnopt.create_study(sampler=PFNSampler(seed=3, n_startup=6, options=AcqOptions(n_sobol=128, n_local=128)))
    study.optimize(quadratic, n_trials=24)
    start = min(t.value for t in study.trials[:6])
    assert study.best_value < min(start / 5, 5e-3)
