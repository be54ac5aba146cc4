"""Model: no target-to-target leakage, cached inference equals the training forward, any d <= d_max."""

from __future__ import annotations

import pytest
import torch

from pfnopt.surrogate.model import PFNConfig, standardize

CFG = PFNConfig(d_max=6, n_max=40, emsize=32, n_layer=2, n_head=2, n_buckets=16, decoder_hidden=32)


@pytest.fixture
def model(perturbed_model):
    return perturbed_model(CFG)


def test_changing_one_target_never_changes_another(model):
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 15, 6, generator=g)
    y = torch.randn(2, 10, generator=g)
    d = torch.tensor([6, 3])
    with torch.no_grad():
        a = model(x, y, d)
        x2 = x.clone()
        x2[:, 12] = torch.rand(2, 6, generator=g)  # target 2 of 5
        b = model(x2, y, d)
    keep = [0, 1, 3, 4]
    assert torch.equal(a[:, keep], b[:, keep])
    assert not torch.allclose(a[:, 2], b[:, 2])


def test_context_changes_do_change_targets(model):
    x = torch.rand(1, 12, 6)
    y = torch.randn(1, 8)
    d = torch.tensor([6])
    with torch.no_grad():
        a = model(x, y, d)
        y2 = y.clone()
        y2[0, 0] += 1.0
        b = model(x, y2, d)
    assert not torch.allclose(a, b)


def test_cached_context_equals_plain_forward(model):
    g = torch.Generator().manual_seed(2)
    n, q = 9, 7
    x = torch.rand(3, n + q, 6, generator=g)
    y = torch.randn(3, n, generator=g)
    d = torch.tensor([6, 6, 6])
    with torch.no_grad():
        plain = model(x, y, d)
        cache = model.encode_context(x[:, :n], y, d)
        cached = torch.cat([model.predict(cache, x[:, n : n + 3], d), model.predict(cache, x[:, n + 3 :], d)], dim=1)
    assert torch.allclose(plain, cached, atol=1e-5)


def test_shared_context_inputs_broadcast_over_outputs(model):
    """m outputs share X: one x batch of size 1 with y of m rows equals repeating x m times."""
    x = torch.rand(1, 10, 4)
    y = torch.randn(3, 10)
    xn = torch.rand(1, 5, 4)
    with torch.no_grad():
        a = model.predict(model.encode_context(x, y, torch.tensor([4])), xn, torch.tensor([4]))
        b = model.predict(
            model.encode_context(x.expand(3, -1, -1), y, torch.tensor([4] * 3)),
            xn.expand(3, -1, -1),
            torch.tensor([4] * 3),
        )
    assert a.shape == (3, 5, 16)
    assert torch.allclose(a, b, atol=1e-6)


def test_permutation_invariance_over_context(model):
    x = torch.rand(1, 14, 6)
    y = torch.randn(1, 10)
    d = torch.tensor([5])
    perm = torch.randperm(10)
    with torch.no_grad():
        a = model(x, y, d)
        b = model(torch.cat([x[:, perm], x[:, 10:]], 1), y[:, perm], d)
    assert torch.allclose(a, b, atol=1e-5)


def test_padding_columns_are_ignored(model):
    x = torch.rand(1, 12, 6)
    y = torch.randn(1, 8)
    x_noise = x.clone()
    x_noise[..., 3:] = torch.rand(1, 12, 3)
    d = torch.tensor([3])
    with torch.no_grad():
        assert torch.allclose(model(x, y, d), model(x_noise, y, d))
        assert torch.allclose(model(x[..., :3], y, d), model(x, y, d))


def test_standardize_contract():
    y = torch.tensor([[1.0, 3.0, 5.0], [2.0, 2.0, 2.0]])
    loc, scale = standardize(y)
    assert torch.allclose(loc.squeeze(), torch.tensor([3.0, 2.0]))
    assert torch.allclose(scale.squeeze(), torch.tensor([(8 / 3) ** 0.5, 1.0]))
    loc1, scale1 = standardize(torch.tensor([[7.0]]))
    assert float(loc1) == 7.0 and float(scale1) == 1.0
