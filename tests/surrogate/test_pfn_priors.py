"""Prior samples have the stated statistics; every prior honours the batch contract."""

from __future__ import annotations

import math

import pytest
import torch

from pfnopt.surrogate.priors import GPPrior, MLPPrior, PriorBag, StepPrior, make_prior
from pfnopt.surrogate.priors.gp import gamma, kernel_matrix


def test_gamma_sampler_moments():
    g = torch.Generator().manual_seed(0)
    for conc, rate in ((1.21, 1.52), (0.85, 0.40)):
        s = gamma(conc, rate, (200_000,), g, "cpu")
        assert abs(float(s.mean()) - conc / rate) < 0.02 * conc / rate
        assert abs(float(s.var()) - conc / rate**2) < 0.05 * conc / rate**2


def test_gp_hyperparameters_have_the_stated_statistics():
    g = torch.Generator().manual_seed(1)
    prior = GPPrior()
    b, d_max = 20_000, 10
    d = torch.randint(1, d_max + 1, (b,), generator=g)
    h = prior.sample_hypers(b, d, d_max, g, "cpu")
    used = torch.arange(d_max)[None, :] < d[:, None]
    ls = h["lengthscale"][used]
    assert abs(float(ls.mean()) - 0.8) < 0.02  # Gamma(1.21, 1.52): mean 0.8
    assert abs(float(h["outputscale"].mean()) - 2.1) < 0.1  # Gamma(0.85, 0.40): mean 2.1
    assert abs(float(h["noise"].median()) - math.exp(-4.63)) < 0.001  # LogNormal(-4.63, 0.5): median 0.01
    rel = h["relevant"]
    assert (rel.sum(-1) >= 1).all() and (rel[~used] == 0).all()
    many = d >= 8  # the at-least-one rule barely matters there
    assert abs(float(1 - rel[many][used[many]].mean()) - 0.3) < 0.02
    kinds = torch.bincount(h["kernel"], minlength=3).float() / b
    assert torch.allclose(kinds, torch.full((3,), 1 / 3), atol=0.02)
    assert abs(float(h["warp_on"].float().mean()) - 0.3) < 0.02


def test_gp_samples_have_the_kernel_variance():
    g = torch.Generator().manual_seed(2)
    prior = GPPrior(p_clustered=0.0, samples_per_draw=4)
    batch = prior.sample(4000, 8, 3, g)
    h = batch.extras["hypers"]
    # marginal variance of y = outputscale + noise; E[y^2 / (outputscale + noise)] = 1
    ratio = batch.y**2 / (h["outputscale"] + h["noise"])[:, None]
    assert abs(float(ratio.mean()) - 1.0) < 0.05
    assert batch.x.shape == (4000, 8, 3) and batch.y.shape == (4000, 8)


def test_d_uniform_and_padding_zero():
    g = torch.Generator().manual_seed(3)
    batch = GPPrior(samples_per_draw=1).sample(6000, 5, 20, g)
    counts = torch.bincount(batch.d, minlength=21)[1:].float() / 6000
    assert torch.allclose(counts, torch.full((20,), 0.05), atol=0.015)
    pad = torch.arange(20)[None, None, :] >= batch.d[:, None, None]
    assert (batch.x[pad.expand_as(batch.x)] == 0).all()


@pytest.mark.parametrize("prior", [GPPrior(), MLPPrior(), StepPrior(), PriorBag([GPPrior(), StepPrior()], [0.5, 0.5])])
def test_batch_contract(prior):
    g = torch.Generator().manual_seed(4)
    b = prior.sample(17, 30, 7, g)
    assert b.x.shape == (17, 30, 7) and b.y.shape == (17, 30) and b.d.shape == (17,)
    assert torch.isfinite(b.y).all() and (b.x >= 0).all() and (b.x <= 1).all()
    assert (b.y.std(-1) > 0).all()
    fixed = prior.sample(5, 10, 7, g, d=3)
    assert (fixed.d == 3).all() and (fixed.x[..., 3:] == 0).all()
    assert make_prior(prior.to_dict()).to_dict() == prior.to_dict()


def test_bo_like_designs_cluster_in_good_regions():
    g = torch.Generator().manual_seed(5)
    prior = GPPrior(p_clustered=1.0, samples_per_draw=1)
    batch = prior.sample(400, 60, 2, g, d=2)
    # clustered points sit where y is low: the lower half of y is more concentrated (smaller spread of x)
    lo = batch.y <= batch.y.median(-1, keepdim=True).values
    spread_lo = torch.stack([batch.x[i][lo[i]].std(0).mean() for i in range(400)]).mean()
    spread_hi = torch.stack([batch.x[i][~lo[i]].std(0).mean() for i in range(400)]).mean()
    assert spread_lo < spread_hi


def test_kernel_matrix_is_psd_and_scaled():
    g = torch.Generator().manual_seed(6)
    prior = GPPrior()
    d = torch.full((4,), 3)
    h = prior.sample_hypers(4, d, 3, g, "cpu")
    x = torch.rand(4, 20, 3, generator=g, dtype=torch.float64)
    hd = {k: (v.double() if v.is_floating_point() else v) for k, v in h.items()}
    k = kernel_matrix(x, x, hd)
    assert torch.allclose(torch.diagonal(k, dim1=1, dim2=2), hd["outputscale"][:, None].expand(4, 20), rtol=1e-5)
    assert (torch.linalg.eigvalsh(k + 1e-8 * torch.eye(20)) > -1e-6).all()


def test_unknown_prior_name_is_an_error():
    with pytest.raises(ValueError, match="not known"):
        make_prior({"name": "nope"})
