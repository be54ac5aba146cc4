"""Acquisition objects on hand-made bar posteriors, over dtypes and on PFNOPT_TEST_DEVICE."""

from __future__ import annotations

import math

import pytest
import torch

from pfnopt.acquisition import UCB, LogCEI, LogCEIPlus, LogEI, LogPI, LogPoF, build_acquisition, score
from pfnopt.acquisition.analytic import DISCARD, LogVariance
from pfnopt.acquisition.optimize import _Adam
from pfnopt.exceptions import NotSupportedError, ParameterError, PfnoptError
from pfnopt.surrogate import Posterior

K = 64


def posterior(centres, device, dtype, width=0.5, loc=0.0, scale=1.0) -> Posterior:
    """``q x m`` posterior whose bars are a discretised normal around each centre (standard units), then
    ``loc + scale * z`` in user units."""
    borders = torch.linspace(-4.0, 4.0, K + 1, device=device)
    mids = 0.5 * (borders[1:] + borders[:-1])
    c = torch.tensor(centres, dtype=torch.float32, device=device)[..., None]  # q x m x 1
    logits = -0.5 * ((mids - c) / width) ** 2
    m = c.shape[1]
    return Posterior(logits, borders, torch.full((m,), float(loc)), torch.full((m,), float(scale)), kind="torch",
                     dtype=dtype)


def test_each_object_matches_its_formula(device, dtype):
    post = posterior([[0.0, -1.0, 1.0], [1.0, -2.0, -2.0]], device, dtype)
    log_ei = post.log_ei(0.5)[:, 0]
    log_p = torch.log(post.cdf(0.0)[:, 1:]).sum(-1)
    assert torch.allclose(LogEI(None, 0.5).forward(post), log_ei)
    assert torch.allclose(LogPI(None, 0.5).forward(post), torch.log(post.cdf(0.5)[:, 0]))
    assert torch.allclose(LogPoF(None, 2).forward(post), log_p)
    assert torch.allclose(LogCEI(None, LogEI(None, 0.5), 2).forward(post), log_ei + log_p)
    assert torch.allclose(LogCEI(None, None, 2).forward(post), log_p)  # nothing feasible yet: feasibility only
    assert LogEI(None, 0.5).forward(post).dtype == dtype


def test_cei_plus_discards_below_the_threshold_and_ranks_the_discarded(device, dtype):
    post = posterior([[0.0, -1.0], [0.0, 0.2], [0.0, 2.0]], device, dtype)
    got = LogCEIPlus(None, LogEI(None, 0.5), 1, threshold=0.5).forward(post)
    pof = post.cdf(0.0)[:, 1]
    assert torch.allclose(got[0], post.log_ei(0.5)[0, 0] + torch.log(torch.clamp(2 * pof[0], max=1.0)))
    assert got[1] < DISCARD / 2 and got[2] < got[1] < got[0]


def test_ucb_is_on_the_objectives_user_scale(device, dtype):
    """The stated scale: shifting the objective by 10 user units shifts UCB by exactly -10 (a log would not)."""
    a = posterior([[0.0], [-1.0]], device, dtype)
    b = posterior([[0.0], [-1.0]], device, dtype, loc=10.0)
    ua, ub = UCB(None, beta=4.0).forward(a), UCB(None, beta=4.0).forward(b)
    assert torch.allclose(ub, ua - 10.0, atol=1e-5)
    assert torch.allclose(ua, -(a.mean[:, 0] - 2.0 * a.variance[:, 0].sqrt()))
    assert ua[1] > ua[0]  # lower mean, same spread: more optimistic when minimising


def test_built_from_a_model_and_called_on_candidates(device, dtype):
    seen = []

    def model(X):
        seen.append(X.shape)
        return posterior([[float(v), -1.0] for v in X[:, 0]], device, dtype)

    acq = build_acquisition(model, "cei", 1, best=0.0)
    X = torch.tensor([[-1.0], [1.0]], device=device, dtype=dtype)
    v = acq(X)
    assert seen == [X.shape] and v.shape == (2,) and v[0] > v[1]
    assert isinstance(build_acquisition(model, "cei+", 1, best=None), LogCEIPlus)
    assert isinstance(build_acquisition(model, "penalty", 0, best=None), LogVariance)
    assert isinstance(build_acquisition(model, "cei", 0, best=1.0, acquisition="ucb"), UCB)
    with pytest.raises(TypeError, match="without a model"):
        LogEI(None, 0.0)(X)


def test_score_by_name_equals_the_objects(device, dtype):
    post = posterior([[0.0, -1.0], [0.5, 0.5]], device, dtype)
    for method in ("cei", "cei+"):
        want = build_acquisition(None, method, 1, best=0.2).forward(post)
        assert torch.equal(score(post, method, 1, best=0.2), want)


def test_refusals_are_pfnopt_errors_with_the_fix():
    post = posterior([[0.0, 0.0]], "cpu", torch.float32)
    with pytest.raises(NotSupportedError, match="'ei' is not offered: use 'log_ei'"):
        build_acquisition(None, "cei", 0, best=0.0, acquisition="ei")
    with pytest.raises(NotSupportedError, match="ucb.*constraints='penalty'"):
        score(post, "cei", 1, best=0.0, acquisition="ucb")
    with pytest.raises(ParameterError, match="unknown acquisition 'best'"):
        build_acquisition(None, "cei", 0, best=0.0, acquisition="best")
    with pytest.raises(PfnoptError, match="unknown constraint method"):
        score(post, "magic", 0, best=0.0)


def test_written_out_adam_gives_torch_adams_iterates(device, dtype):
    torch.manual_seed(0)
    X0 = torch.rand(4, 5, dtype=dtype, device=device)
    a, b = X0.clone().requires_grad_(True), X0.clone().requires_grad_(True)
    ref, mine = torch.optim.Adam([a], lr=0.02), _Adam(b, lr=0.02)

    def loss(X):
        return -(torch.sin(7 * X) * X**2).sum()

    for _ in range(6):
        ref.zero_grad()
        loss(a).backward()
        ref.step()
        b.grad = None
        loss(b).backward()
        mine.step(b.grad)
    assert torch.equal(a, b)
    assert not math.isclose(float((a.detach() - X0).abs().max()), 0.0)  # it moved
