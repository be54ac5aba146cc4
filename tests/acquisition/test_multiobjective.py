"""Hypervolume, Pareto fronts, ParEGO and EHVI on hand-made bar posteriors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from pfnopt.acquisition.multiobjective import (
    REF,
    LogEHVI,
    bar_samples,
    believed_front,
    hypervolume,
    normalisation,
    parego_scalarise,
    pareto_mask,
    simplex_weights,
)
from pfnopt.exceptions import ParameterError
from pfnopt.surrogate import Posterior

K = 128


def brute_hv(Y, ref, n=60):
    """Grid estimate of the dominated volume (the test's independent reference)."""
    k = Y.shape[1]
    lo = Y.min(axis=0)
    axes = [np.linspace(lo[j], ref[j], n + 1)[:-1] + (ref[j] - lo[j]) / (2 * n) for j in range(k)]
    cell = np.prod([(ref[j] - lo[j]) / n for j in range(k)])
    G = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, k)
    dom = np.zeros(len(G), dtype=bool)
    for y in Y:
        dom |= np.all(G >= y, axis=1)
    return dom.sum() * cell


@pytest.mark.parametrize("k", [2, 3, 4])
def test_hypervolume_matches_a_grid_count(k):
    rng = np.random.default_rng(k)
    Y = rng.random((7, k))
    ref = np.full(k, 1.2)
    assert hypervolume(Y, ref) == pytest.approx(brute_hv(Y, ref, n=60 if k < 4 else 24), rel=0.05)
    assert hypervolume(np.array([[0.5] * k]), ref) == pytest.approx(0.7**k)
    assert hypervolume(np.array([[1.5] * k]), ref) == 0.0  # beyond the reference point


def test_pareto_mask_and_parego():
    Y = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.6, 0.6], [0.0, 1.0]])
    assert pareto_mask(Y).tolist() == [True, True, True, False, True]
    w = simplex_weights(3, np.random.default_rng(0))
    assert w.shape == (3,) and np.isclose(w.sum(), 1.0) and (w > 0).all()
    s = parego_scalarise(Y, np.array([0.5, 0.5]))
    assert np.argmin(s) == 2  # the balanced point under equal weights


def test_normalisation_spans_the_feasible_front_not_the_outliers():
    # an outlier (300 in objective 0) and an infeasible point below the front (row 4)
    Y = np.array([[1.0, 5.0], [10.0, 3.0], [17.0, 1.0], [300.0, 0.5], [0.0, 0.0], [20.0, 6.0]])
    feasible = np.array([True, True, True, True, False, True])
    lo, span = normalisation(Y, feasible, rule="front")
    assert lo.tolist() == [1.0, 0.5] and span.tolist() == [299.0, 4.5]  # the outlier is ON the front here
    lo, span = normalisation(Y[:3], feasible[:3], rule="front")
    assert lo.tolist() == [1.0, 1.0] and span.tolist() == [16.0, 4.0]  # ideal to nadir of the front
    lo, span = normalisation(Y, feasible)  # the default: the observed range, infeasible rows included
    assert lo.tolist() == [0.0, 0.0] and span.tolist() == [300.0, 6.0]
    lo, span = normalisation(Y[[0, 5]], None, rule="front")  # one point dominates: the front's span is 0
    assert lo.tolist() == [1.0, 5.0] and span.tolist() == [19.0, 1.0]
    lo, span = normalisation(Y[:3], np.zeros(3, dtype=bool), rule="front")  # nothing feasible: every row
    assert lo.tolist() == [1.0, 1.0]
    s = parego_scalarise(Y[:3], np.array([0.5, 0.5]), bounds=normalisation(Y[:3], rule="front"))
    # normalised rows [0, 1], [9/16, 1/2], [1, 0]: max of the weighted values plus 0.05 times their sum
    assert np.allclose(s, [0.525, 0.28125 + 0.05 * 0.53125, 0.525])
    with pytest.raises(ParameterError, match="unknown normalisation 'rank'.*observed, front"):
        normalisation(Y, feasible, rule="rank")


def test_believed_front_adds_feasible_pending_values_and_keeps_the_non_dominated():
    front = np.array([[0.0, 1.0], [1.0, 0.0]])
    believed = np.array([[0.4, 0.4, -1.0], [0.2, 0.2, 0.5], [2.0, 2.0, -1.0]])  # objectives, then a constraint
    out = believed_front(front, believed, 2)
    assert sorted(map(tuple, out)) == [(0.0, 1.0), (0.4, 0.4), (1.0, 0.0)]  # infeasible and dominated ones left out
    assert believed_front(np.zeros((0, 2)), believed[:, :2], 2).tolist() == [[0.2, 0.2]]  # no constraints


def normal_bars(centres, width=0.3, loc=0.0, scale=1.0):
    borders = torch.linspace(-4.0, 4.0, K + 1)
    mids = 0.5 * (borders[1:] + borders[:-1])
    c = torch.tensor(centres, dtype=torch.float32)[..., None]
    logits = -0.5 * ((mids - c) / width) ** 2
    m = c.shape[1]
    return Posterior(logits, borders, torch.full((m,), loc), torch.full((m,), scale), kind="torch")


def test_bar_samples_follow_the_quantiles():
    post = normal_bars([[0.5, -1.0]])
    u = torch.tensor([0.1, 0.5, 0.9])
    got = bar_samples(post, u)  # 1 x 2 x 3
    for s, p in enumerate(u.tolist()):
        assert torch.allclose(got[0, :, s].float(), post.quantile(p)[0].float(), atol=1e-3)


def test_ehvi_prefers_the_candidate_that_adds_volume():
    front = np.array([[0.2, 0.8], [0.8, 0.2]])  # normalised
    lo, span = np.zeros(2), np.ones(2)
    acq = LogEHVI(None, front, lo, span, n_samples=64)
    # candidate 0 predicted in the front's gap, 1 dominated by the front, 2 far beyond the reference point
    post = normal_bars([[0.4, 0.4], [0.9, 0.9], [3.0, 3.0]], width=0.05)
    v = acq.forward(post)
    assert v[0] > v[1] >= v[2]  # the dominated and the far candidate add nothing (the log floor)
    # the estimate equals the mean HVI of the same draws, computed by brute force
    ys = torch.stack([bar_samples(post.columns(j, j + 1), acq.u[j])[..., 0, :] for j in range(2)], -1)[0]
    ref = np.full(2, REF)
    base = hypervolume(front, ref)
    want = np.mean([hypervolume(np.vstack([front, y]), ref) - base for y in ys.numpy()])
    assert float(v[0].exp()) == pytest.approx(want, rel=1e-4)


def test_ehvi_with_constraints_adds_log_feasibility_and_is_differentiable():
    front = np.array([[0.3, 0.3]])
    acq = LogEHVI(None, front, np.zeros(2), np.ones(2), n_constraints=1, n_samples=16)
    plain = LogEHVI(None, front, np.zeros(2), np.ones(2), n_samples=16)
    post = normal_bars([[0.1, 0.1, -1.0], [0.1, 0.1, 1.0]])
    v, p = acq.forward(post), plain.forward(post.columns(0, 2))
    log_pof = torch.log(post.cdf(0.0)[:, 2])
    assert torch.allclose(v.double(), p.double() + log_pof.double(), atol=1e-5)
    logits = post.logits.clone().requires_grad_(True)
    post2 = Posterior(logits, post.borders, post.loc, post.scale, kind="torch")
    acq.forward(post2).sum().backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


def test_all_pairs_on_front_scores_are_finite():
    front = np.array(list(itertools.product([0.1, 0.5], [0.9, 0.4])))
    acq = LogEHVI(None, front[pareto_mask(front)], np.zeros(2), np.ones(2), n_samples=8)
    assert torch.isfinite(acq.forward(normal_bars([[0.0, 0.0], [2.0, -1.0]]))).all()
