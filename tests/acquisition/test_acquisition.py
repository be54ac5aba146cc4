"""Acquisition scores on hand-made bar-distribution posteriors, and the candidate optimiser."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pfnopt.acquisition import AcqOptions, optimize_acquisition, score
from pfnopt.acquisition.constrained import DISCARD
from pfnopt.space import Categorical, Float, Int, SearchSpace
from pfnopt.surrogate import Posterior

K = 64
BORDERS = torch.linspace(-4.0, 4.0, K + 1)


def posterior(centres: list[list[float]], width: float = 0.5) -> Posterior:
    """q x m posterior whose bars are a discretised normal around each centre (standard units)."""
    mids = 0.5 * (BORDERS[1:] + BORDERS[:-1])
    c = torch.tensor(centres, dtype=torch.float32)[..., None]  # q x m x 1
    logits = -0.5 * ((mids - c) / width) ** 2
    m = c.shape[1]
    return Posterior(logits, BORDERS, torch.zeros(m), torch.ones(m), kind="torch", dtype=torch.float64)


def test_cei_is_log_ei_plus_log_feasibility():
    post = posterior([[0.0, -1.0, 1.0], [1.0, -2.0, -2.0]])
    got = score(post, "cei", n_constraints=2, best=0.5)
    want = post.log_ei(0.5)[:, 0] + torch.log(post.cdf(0.0)[:, 1:]).sum(-1)
    assert torch.allclose(got, want)
    # the second candidate is worse on EI but almost surely feasible: CEI prefers it
    assert got[1] > got[0]


def test_cei_without_feasible_point_maximises_probability_of_feasibility():
    post = posterior([[-3.0, 0.5], [3.0, -1.0]])
    got = score(post, "cei", n_constraints=1, best=None)
    assert torch.allclose(got, torch.log(post.cdf(0.0)[:, 1]))
    assert got[1] > got[0]  # the objective is ignored until something is feasible


def test_cei_plus_boosts_and_discards_by_threshold():
    post = posterior([[0.0, -1.0], [0.0, 0.2], [0.0, 2.0]])
    pof = post.cdf(0.0)[:, 1]
    got = score(post, "cei+", n_constraints=1, best=0.5, threshold=0.5)
    ei = post.log_ei(0.5)[:, 0]
    assert torch.allclose(got[0], ei[0] + torch.log(torch.clamp(2 * pof[0], max=1.0)))
    assert pof[1] < 0.5 and got[1] < DISCARD / 2  # discarded
    assert got[1] > got[2]  # discarded ones still ranked by feasibility
    assert got[0] > got[1]


def test_penalty_uses_only_column_zero_and_ucb_rules():
    post = posterior([[0.0], [-1.0]])
    assert torch.allclose(score(post, "penalty", 0, best=0.0), post.log_ei(0.0)[:, 0])
    ucb = score(post, "penalty", 0, best=0.0, acquisition="ucb", beta=4.0)
    assert ucb[1] > ucb[0]  # lower mean, same spread: more optimistic for minimisation
    with pytest.raises(ValueError, match="ucb"):
        score(posterior([[0.0, 0.0]]), "cei", 1, best=0.0, acquisition="ucb")
    with pytest.raises(ValueError, match="unknown constraint method"):
        score(post, "magic", 0, best=0.0)


def test_pi_matches_cdf():
    post = posterior([[0.3], [-0.4]])
    assert torch.allclose(score(post, "cei", 0, best=0.1, acquisition="pi"), torch.log(post.cdf(0.1)[:, 0]))


SPACE = SearchSpace({"x": Float(0, 1), "y": Float(0, 1), "n": Int(1, 5), "c": Categorical(["a", "b", "c"])})
TARGET = SPACE.encode([{"x": 0.3, "y": 0.7, "n": 4, "c": "b"}])[0]


def quadratic(U: torch.Tensor) -> torch.Tensor:
    return -((U - torch.as_tensor(TARGET, dtype=U.dtype)) ** 2).sum(-1)


@pytest.mark.parametrize("refine", ["local", "gradient"])
def test_optimiser_finds_the_maximum_over_a_mixed_space(refine):
    options = AcqOptions(n_sobol=256, n_local=256, refine=refine)
    start = SPACE.encode([{"x": 0.4, "y": 0.6, "n": 2, "c": "a"}])  # a best-so-far point near the optimum
    res = optimize_acquisition(quadratic, SPACE, X_observed=np.zeros((0, SPACE.dim)),
                               centres=start, options=options, rng=np.random.default_rng(0))
    params = SPACE.decode(res.x[None])[0]
    assert params["n"] == 4 and params["c"] == "b"
    assert abs(params["x"] - 0.3) < 0.1 and abs(params["y"] - 0.7) < 0.1
    assert np.allclose(SPACE.snap(res.x[None]), res.x[None])  # admissible encoding


def test_optimiser_never_returns_an_observed_point_or_a_failed_neighbourhood():
    space = SearchSpace({"n": Int(1, 3), "c": Categorical(["a", "b"])})  # 6 points in all
    target = space.encode([{"n": 2, "c": "a"}])[0]

    def fn(U):
        return -((U - torch.as_tensor(target, dtype=U.dtype)) ** 2).sum(-1)

    observed = space.encode([{"n": 2, "c": "a"}])
    failed = space.encode([{"n": 1, "c": "a"}])
    res = optimize_acquisition(fn, space, X_observed=observed, centres=observed, X_avoid=failed,
                               options=AcqOptions(n_sobol=64, n_local=64), rng=np.random.default_rng(1))
    got = space.decode(res.x[None])[0]
    assert got != {"n": 2, "c": "a"} and got != {"n": 1, "c": "a"}
    assert math.isfinite(res.value)


@pytest.mark.parametrize("refine", ["local", "gradient"])
def test_no_refinement_and_exhausted_spaces_still_answer(refine):
    res = optimize_acquisition(quadratic, SPACE, X_observed=np.zeros((0, SPACE.dim)), centres=np.zeros((0, SPACE.dim)),
                               options=AcqOptions(n_sobol=64, n_local=0, n_refine=0, refine=refine),
                               rng=np.random.default_rng(2))
    assert res.n_scored == 64
    tiny = SearchSpace({"c": Categorical(["a", "b"])})
    every = tiny.encode([{"c": "a"}, {"c": "b"}])
    res = optimize_acquisition(lambda U: -U.sum(-1), tiny, X_observed=every, centres=every,
                               options=AcqOptions(n_sobol=8, n_local=8, refine=refine), rng=np.random.default_rng(3))
    assert tiny.decode(res.x[None])[0]["c"] in ("a", "b")  # exhausted: a repeat, but an admissible one
