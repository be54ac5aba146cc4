"""The public API: kinds and shapes, gradients, input errors, the context limit, the shipped checkpoint."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from pfnopt.surrogate import PFN, InputShapeError, InputTypeError, InputValueError, Posterior, load_pfn, research
from pfnopt.surrogate.model import PFNConfig, PFNTransformer

CFG = PFNConfig(d_max=5, n_max=30, emsize=32, n_layer=2, n_head=2, n_buckets=16, decoder_hidden=32)


@pytest.fixture(scope="module")
def pfn():
    torch.manual_seed(0)
    return PFN(PFNTransformer(CFG))


@pytest.fixture(scope="module")
def shipped():
    return load_pfn()


def _data(n=12, d=3, m=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d))
    y = np.c_[np.sin(5 * x.sum(1)), x.sum(1) - 1.0, rng.standard_normal(n)][:, :m] * 100 + 7
    return x, y, rng.random((9, d))


def test_numpy_in_numpy_out(pfn):
    x, y, xn = _data()
    post = pfn.posterior(x, y, xn)
    assert isinstance(post, Posterior)
    for v in (
        post.mean,
        post.variance,
        post.cdf(0.0),
        post.quantile(0.5),
        post.ei(0.0),
        post.log_ei(0.0),
        post.pi(0.0),
        post.ucb(2.0),
        post.lcb(2.0),
        post.log_prob(np.zeros((9, 2))),
    ):
        assert isinstance(v, np.ndarray) and v.shape == (9, 2)
    assert post.sample(4, seed=0).shape == (4, 9, 2)


def test_torch_in_torch_out_and_differentiable(pfn):
    x, y, xn = _data()
    xt = torch.tensor(xn, requires_grad=True)
    post = pfn.posterior(torch.tensor(x), torch.tensor(y), xt)
    lei = post.log_ei(torch.tensor([0.0, 0.0], dtype=torch.float64))
    assert isinstance(lei, torch.Tensor) and lei.dtype == torch.float64 and lei.shape == (9, 2)
    lei[:, 0].sum().backward()
    assert xt.grad is not None and torch.isfinite(xt.grad).all() and xt.grad.abs().sum() > 0
    post32 = pfn.posterior(x, y, torch.tensor(xn, dtype=torch.float32))
    assert post32.mean.dtype == torch.float32


def test_batched_candidates(pfn):
    x, y, _ = _data()
    xn = np.random.default_rng(1).random((4, 5, 3))
    post = pfn.posterior(x, y, xn)
    assert post.mean.shape == (4, 5, 2)
    flat = pfn.posterior(x, y, xn.reshape(20, 3))
    assert np.allclose(post.mean.reshape(20, 2), flat.mean, atol=1e-5)


def test_user_units_are_equivariant(pfn):
    x, y, xn = _data()
    a = pfn.posterior(x, y, xn)
    b = pfn.posterior(x, 3.0 * y - 11.0, xn)
    assert np.allclose(b.mean, 3.0 * a.mean - 11.0, rtol=1e-4, atol=1e-3)
    assert np.allclose(b.variance, 9.0 * a.variance, rtol=1e-4)
    assert np.allclose(b.cdf(3.0 * 50.0 - 11.0), a.cdf(50.0), atol=1e-5)
    assert np.allclose(b.ei(3.0 * 50.0 - 11.0), 3.0 * a.ei(50.0), rtol=1e-4, atol=1e-6)


def test_condition_once_score_many_chunks(pfn):
    x, y, xn = _data()
    ctx = pfn.condition(x, y)
    a = ctx.posterior(xn).mean
    b = np.concatenate([ctx.posterior(xn[:4]).mean, ctx.posterior(xn[4:]).mean])
    c = ctx.posterior(xn, chunk_size=2).mean
    assert np.allclose(a, b, atol=1e-5) and np.allclose(a, c, atol=1e-5)
    assert np.allclose(pfn.posterior(x, y, xn).mean, a)


def test_outputs_are_independent_columns(pfn):
    """Each output column gives the same posterior whether alone or batched with others."""
    x, y, xn = _data(m=3)
    both = pfn.posterior(x, y, xn).mean
    for j in range(3):
        alone = pfn.posterior(x, y[:, j : j + 1], xn).mean
        assert np.allclose(both[:, j], alone[:, 0], rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(
    "change, error, match",
    [
        (lambda x, y, xn: (x, y, np.full((3, 3), np.nan)), InputValueError, "NaN or inf"),
        (lambda x, y, xn: (x, np.where(np.arange(12)[:, None] == 2, np.inf, y), xn), InputValueError, "Y_ctx"),
        (lambda x, y, xn: (x * 2, y, xn), InputValueError, "unit cube"),
        (lambda x, y, xn: (x, y[:5], xn), InputShapeError, "rows like X_ctx"),
        (lambda x, y, xn: (x, y, xn[:, :2]), InputShapeError, "X_new"),
        (lambda x, y, xn: (x[:, 0], y, xn), InputShapeError, "X_ctx"),
        (lambda x, y, xn: (np.random.rand(12, 6), y, np.random.rand(2, 6)), InputValueError, "d_max"),
        (lambda x, y, xn: ("abc", y, xn), InputTypeError, "X_ctx"),
    ],
)
def test_clear_errors(pfn, change, error, match):
    x, y, xn = _data()
    with pytest.raises(error, match=match):
        pfn.posterior(*change(x, y, xn))


def test_bad_statistic_arguments(pfn):
    x, y, xn = _data()
    post = pfn.posterior(x, y, xn)
    with pytest.raises(InputValueError, match="between 0 and 1"):
        post.quantile(1.5)
    with pytest.raises(InputShapeError, match="broadcast"):
        post.ei(np.zeros(5))
    with pytest.raises(InputValueError):
        post.ucb(-1.0)


def test_context_limit_keeps_best_and_logs(pfn, caplog):
    rng = np.random.default_rng(3)
    x = rng.random((100, 2))
    y = rng.standard_normal((100, 1))
    with caplog.at_level(logging.WARNING, logger="pfnopt.surrogate"):
        ctx = pfn.condition(x, y)
    assert ctx.n == 30
    assert "more than the 30 it was trained for" in caplog.text
    best = set(np.argsort(y[:, 0])[:15].tolist())
    assert best <= set(ctx.indices.tolist())
    assert ctx.posterior(rng.random((4, 2))).mean.shape == (4, 1)


def test_single_point_and_constant_context(pfn):
    post = pfn.posterior(np.array([[0.5]]), np.array([[3.0]]), np.array([[0.1], [0.9]]))
    assert np.isfinite(post.mean).all() and (post.variance > 0).all()
    post = pfn.posterior(np.random.rand(5, 1), np.full((5, 1), 2.0), np.array([[0.3]]))
    assert np.isfinite(post.mean).all()


def test_shipped_checkpoint_loads_and_interpolates(shipped):
    """A smooth 1-d function: the mean follows it, the variance shrinks near the data."""
    x = np.linspace(0.05, 0.55, 12)[:, None]
    f = lambda t: np.sin(6.0 * t[:, 0]) + 0.5 * t[:, 0]  # noqa: E731
    y = f(x)[:, None]
    near = np.array([[0.2], [0.3], [0.4]])
    far = np.array([[0.95], [0.99]])
    post = shipped.posterior(x, y, np.vstack([near, far]))
    mean, var = post.mean[:, 0], post.variance[:, 0]
    assert np.abs(mean[:3] - f(near)).max() < 0.25 * y.std()
    assert var[:3].max() < var[3:].min()
    assert shipped.d_max >= 20 and shipped.n_max >= 200


def test_yeo_johnson_round_trip():
    from pfnopt.surrogate.research import yeo_johnson, yeo_johnson_inverse

    z = torch.linspace(-30, 30, 601, dtype=torch.float64)[:, None].expand(601, 3)
    lam = torch.tensor([0.05, 1.0, 1.95], dtype=torch.float64)
    back = yeo_johnson_inverse(yeo_johnson(z, lam), lam)
    assert torch.allclose(back, z, atol=1e-8, rtol=1e-8)
    assert torch.allclose(yeo_johnson(z, torch.ones(3, dtype=torch.float64)), z)


def test_power_transform_posterior_is_consistent(pfn):
    rng = np.random.default_rng(7)
    x = rng.random((25, 3))
    y = np.c_[np.exp(6 * x[:, 0]), -np.exp(5 * x[:, 1]) + 3.0]  # skewed, huge range
    xn = rng.random((6, 3))
    post = research.posterior(pfn, x, y, xn, y_transform="power")
    assert post.user_borders().shape == (2, CFG.n_buckets + 1)
    med = post.quantile(0.5)
    assert np.allclose(post.cdf(med), 0.5, atol=1e-4)
    assert np.isfinite(post.mean).all() and (post.variance > 0).all()
    assert np.isfinite(post.log_prob(y[:6])).all() and np.isfinite(post.log_ei(y.min(0))).all()
    lo, hi = post.quantile(0.05), post.quantile(0.95)
    assert (lo < med).all() and (med < hi).all()
    with pytest.raises(InputValueError, match="y_transform"):
        research.posterior(pfn, x, y, xn, y_transform="box-cox")


def test_context_in_a_frame_takes_global_points_and_the_fast_path_agrees(device):
    from pfnopt.surrogate.pfn import Frame

    pfn = load_pfn(device=device)
    rng = np.random.default_rng(4)
    lo, hi = np.array([0.2, 0.4]), np.array([0.6, 0.9])
    X = lo + (hi - lo) * rng.random((12, 2))  # global points inside the frame
    Y = np.sin(5 * X[:, :1]) + X[:, 1:]
    frame = Frame(lo, hi)
    framed = pfn.condition(X, Y, frame=frame)
    local = pfn.condition(frame.to_local(X), Y)
    Xn = lo + (hi - lo) * rng.random((5, 2))
    a = framed.posterior(Xn).mean
    b = local.posterior(frame.to_local(Xn)).mean
    assert np.allclose(a, b, atol=1e-5)
    fast = framed.posterior_unchecked(torch.as_tensor(Xn, dtype=torch.float32, device=device)).mean
    checked = framed.posterior(torch.as_tensor(Xn, dtype=torch.float32, device=device)).mean
    assert torch.equal(fast, checked)
    with pytest.raises(InputValueError, match="unit cube"):
        framed.posterior(np.array([[1.5, 0.5]]))  # the public entry still validates
    with pytest.raises(InputShapeError, match="frame"):
        pfn.condition(X, Y, frame=Frame(np.zeros(3), np.ones(3)))
