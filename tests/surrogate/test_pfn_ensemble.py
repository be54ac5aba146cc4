"""Symmetry ensemble (a research option, pfnopt.surrogate.research): valid transforms, an exact mixture of the
members, errors, gradients."""

from __future__ import annotations

import pytest
import torch

from pfnopt.surrogate import PFN, InputValueError, load_pfn, research
from pfnopt.surrogate.model import PFNConfig
from pfnopt.surrogate.symmetry import input_symmetries, mixture_logits, transform_inputs


@pytest.fixture(scope="module")
def pfn(perturbed_model):
    return PFN(perturbed_model(PFNConfig(d_max=6, n_max=40, emsize=32, n_layer=2, n_head=2, n_buckets=32,
                                         decoder_hidden=32)))


def test_symmetries_are_permutations_and_reflections():
    perms, flips = input_symmetries(4, 6, seed=3)
    assert perms.shape == (6, 4) and flips.shape == (6, 4)
    assert torch.equal(perms[0], torch.arange(4)) and not flips[0].any()  # member 0: identity
    for p in perms:
        assert sorted(p.tolist()) == [0, 1, 2, 3]
    again = input_symmetries(4, 6, seed=3)
    assert torch.equal(perms, again[0]) and torch.equal(flips, again[1])
    x = torch.rand(5, 4)
    xt = transform_inputs(x, perms, flips)
    for i in range(6):
        expected = torch.where(flips[i], 1.0 - x, x)[:, perms[i]]
        assert torch.equal(xt[i], expected)


def test_mixture_logits_average_the_masses():
    logits = torch.randn(3, 2, 7, 10)
    mixed = mixture_logits(logits)
    assert torch.allclose(torch.softmax(mixed, -1), torch.softmax(logits, -1).mean(0), atol=1e-6)


def test_ensemble_posterior_is_the_mixture_of_its_members(pfn):
    g = torch.Generator().manual_seed(1)
    x, xn = torch.rand(12, 3, generator=g, dtype=torch.float64), torch.rand(9, 3, generator=g, dtype=torch.float64)
    y = torch.stack([torch.sin(5 * x[:, 0]) + x[:, 1], x[:, 2] - 0.5], dim=1)
    k = 4
    post = research.posterior(pfn, x, y, xn, ensemble=k)
    perms, flips = input_symmetries(3, k)
    xs, xns = transform_inputs(x, perms, flips), transform_inputs(xn, perms, flips)
    members = [pfn.posterior(xs[i], y, xns[i]).probs for i in range(k)]
    assert torch.allclose(post.probs, torch.stack(members).mean(0), atol=1e-5)
    plain = pfn.posterior(x, y, xn)
    assert not torch.allclose(post.probs, plain.probs, atol=1e-4)  # the members do differ
    # the context can be encoded once and scored in chunks, as without an ensemble
    ctx = research.condition(pfn, x, y, ensemble=k)
    chunked = torch.cat([ctx.posterior(xn[:4], chunk_size=2).probs, ctx.posterior(xn[4:]).probs])
    assert torch.allclose(chunked, post.probs, atol=1e-6)


def test_ensemble_with_no_candidates(pfn):
    post = research.posterior(pfn, torch.rand(6, 2), torch.rand(6, 2), torch.zeros(0, 2), ensemble=3)
    assert post.mean.shape == (0, 2)


def test_ensemble_is_differentiable(pfn):
    x, y = torch.rand(10, 2, dtype=torch.float64), torch.rand(10, 1, dtype=torch.float64)
    xn = torch.rand(5, 2, dtype=torch.float64, requires_grad=True)
    research.posterior(pfn, x, y, xn, ensemble=3).log_ei(0.2).sum().backward()
    assert xn.grad is not None and torch.isfinite(xn.grad).all() and xn.grad.abs().sum() > 0


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "4"])
def test_bad_ensemble_sizes_are_refused(pfn, bad):
    with pytest.raises(InputValueError, match="ensemble="):
        research.posterior(pfn, torch.rand(5, 2), torch.rand(5, 1), torch.rand(3, 2), ensemble=bad)


def test_one_member_is_the_plain_model_and_the_core_has_no_such_option():
    shipped = load_pfn()
    x, y, xn = torch.rand(8, 2), torch.rand(8, 1), torch.rand(4, 2)
    a, b = shipped.posterior(x, y, xn), research.posterior(shipped, x, y, xn, ensemble=1)
    assert torch.equal(a.logits, b.logits)
    with pytest.raises(TypeError, match="ensemble"):
        shipped.posterior(x, y, xn, ensemble=2)  # the inference core reads no research option
