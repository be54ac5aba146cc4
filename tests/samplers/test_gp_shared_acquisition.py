"""The GP baseline on the shared acquisition objects: the Gaussian posterior adapter, against BoTorch's own
analytic acquisitions on a real fitted GP, and the sampler end to end."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pfnopt.acquisition.analytic import LogCEI, LogEI, LogPoF
from pfnopt.acquisition.gaussian import GaussianPosterior, GPModel, as_botorch, log_h


def test_log_ei_of_a_normal_is_exact_and_stable_in_the_tail(dtype):
    mean = torch.tensor([[0.0], [1.0], [-2.0], [1.5]], dtype=dtype)  # z = (best - mean) / sigma down to -5:
    var = torch.tensor([[1.0], [0.25], [4.0], [0.04]], dtype=dtype)  # the direct formula is still exact there
    post = GaussianPosterior(mean, var)
    best = 0.5
    s = var.double().sqrt()  # the reference in float64 (its sum cancels in float32 at z = -5)
    z = (best - mean.double()) / s
    normal = torch.distributions.Normal(0.0, 1.0)
    ei = s * (torch.exp(normal.log_prob(z)) + z * normal.cdf(z))
    tol = 1e-10 if dtype == torch.float64 else 1e-4
    assert torch.allclose(post.log_ei(best).double(), torch.log(ei), atol=tol, rtol=tol)
    assert torch.allclose(post.cdf(best).double(), normal.cdf(z), atol=tol)
    zs = -torch.logspace(0, 8, 40, dtype=torch.float64)
    vals = log_h(zs)
    assert torch.isfinite(vals).all() and bool((vals.diff() < 0).all())  # decreasing into the tail, never -inf
    # deep in the tail h(z) -> phi(z) / z^2 (Mills ratio), where the direct sum cancels to 0
    z = torch.tensor([-40.0, -300.0], dtype=torch.float64)
    asymptote = -0.5 * z**2 - 0.5 * math.log(2 * math.pi) - 2 * torch.log(-z)
    assert torch.allclose(log_h(z), asymptote, atol=5e-3)
    assert post.columns(0, 1).mean.shape == (4, 1)


@pytest.fixture(scope="module")
def fitted():
    from pfnopt.samplers import _botorch_fit as bf

    g = torch.Generator().manual_seed(0)
    X = torch.rand(14, 2, generator=g, dtype=torch.float64)
    y = (X[:, 0] - 0.3) ** 2 + (X[:, 1] - 0.6) ** 2
    c = X.sum(-1) - 1.0
    Y = torch.stack([-y, c], dim=-1)  # the GP sampler's maximisation layout
    two, _ = bf.fit_model(X, Y)
    one, _ = bf.fit_model(X, Y[:, :1])
    feasible = c <= 0
    return two, one, float((-y[feasible]).max()), torch.rand(64, 2, generator=g, dtype=torch.float64)


def test_shared_objects_equal_botorchs_analytic_acquisitions(fitted):
    from botorch.acquisition import analytic

    two, one, best_f, Xq = fitted
    floor = math.log(1e-300)  # the shared LogPoF floors each probability at 1e-300; BoTorch's log_ndtr goes on
    with torch.no_grad():
        pof = analytic.LogProbabilityOfFeasibility(two, {1: (None, 0.0)})(Xq.unsqueeze(-2))
        inside = pof > floor + 1.0
        assert inside.sum() >= 20 and (~inside).any()  # both regimes are exercised
        mine = LogPoF(GPModel(two), 1)(Xq)
        assert torch.allclose(mine[inside], pof[inside], atol=1e-8, rtol=1e-8)
        assert torch.allclose(mine[~inside], torch.full_like(mine[~inside], floor))
        mine = LogCEI(GPModel(two), LogEI(None, -best_f), 1)(Xq)
        theirs = analytic.LogConstrainedExpectedImprovement(two, best_f, 0, {1: (None, 0.0)}, maximize=True)(
            Xq.unsqueeze(-2))
        assert torch.allclose(mine[inside], theirs[inside], atol=1e-8, rtol=1e-8)
        assert (mine[~inside] >= theirs[~inside]).all()
        mine = LogEI(GPModel(one), -best_f)(Xq)
        theirs = analytic.LogExpectedImprovement(one, best_f, maximize=True)(Xq.unsqueeze(-2))
        assert torch.allclose(mine, theirs, atol=1e-8, rtol=1e-8)


def test_the_botorch_wrapper_scores_batches_and_refuses_q_above_one(fitted):
    two, _, best_f, Xq = fitted
    wrapped = as_botorch(LogCEI(GPModel(two), LogEI(None, -best_f), 1), two)
    assert wrapped(Xq.unsqueeze(-2)).shape == (64,)
    with pytest.raises(ValueError, match="q = 1"):
        wrapped(Xq.view(32, 2, 2))


def test_gp_sampler_suggests_with_the_shared_acquisition():
    import pfnopt
    from pfnopt.samplers.gp import GPSampler
    from pfnopt.space import Float, SearchSpace

    space = SearchSpace({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    study = pfnopt.create_study(sampler=GPSampler(seed=0, method="cei", n_startup=5, num_restarts=2, raw_samples=32))
    kinds = []
    for _ in range(8):
        t = study.ask(space)
        x, y = t.params["x"], t.params["y"]
        kinds.append(t.diagnostics.get("acquisition"))
        if t.number >= 5:
            assert math.isfinite(t.diagnostics["acq_value"])
        study.tell(t, (x - 0.3) ** 2 + (y - 0.6) ** 2, constraints=[x + y - 1.2])
    assert kinds[5:] == ["LogCEI"] * 3
    assert np.isfinite(study.best_value)
