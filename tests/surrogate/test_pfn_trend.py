"""Linear trend (``trend="linear"``): an exact shift of the residual model's posterior, fitted only with enough
points, differentiable, and closer to smooth engineering-like functions with the shipped model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pfnopt.surrogate import InputValueError, load_pfn, research
from pfnopt.surrogate.trend import fit_linear_trend


@pytest.fixture(scope="module")
def pfn():
    return load_pfn()  # the shipped model: the trend exists for its measured noise floor


def _data(n: int, d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    # two outputs: a steep plane with a little curvature, and one in other units
    Y = np.stack([100.0 + 40.0 * X @ np.arange(1, d + 1) + 3.0 * np.sin(3 * X[:, 0]), -2e-3 * X.sum(1) + 1e-4 * X[:, 1] ** 2], 1)
    return X, Y


def test_fit_recovers_a_plane_and_needs_twice_its_parameters():
    x = torch.rand(12, 3, dtype=torch.float64)
    y = torch.stack([2.0 + x @ torch.tensor([1.0, -3.0, 0.5], dtype=torch.float64), 7.0 - 2.0 * x[:, 2]], 1)
    plane = fit_linear_trend(x, y)
    assert torch.allclose(plane.coef, torch.tensor([[1.0, 0.0], [-3.0, 0.0], [0.5, -2.0]], dtype=torch.float64))
    assert torch.allclose(y - plane.shift(x), (y - plane.shift(x)).mean(0), atol=1e-10)  # residual: constants
    assert fit_linear_trend(x[:7], y[:7]) is None  # 7 < 2 (d + 1) = 8
    assert fit_linear_trend(x[:8], y[:8]) is not None
    x[:, 1] = 0.5  # a constant column: minimum-norm solution, no error
    assert torch.isfinite(fit_linear_trend(x, y).coef).all()


def test_posterior_is_the_residual_posterior_shifted_by_the_plane(pfn):
    X, Y = _data(30, 3)
    Xn = np.random.default_rng(1).random((9, 3))
    plane = fit_linear_trend(torch.as_tensor(X), torch.as_tensor(Y))
    resid = Y - plane.shift(torch.as_tensor(X)).numpy()
    shift = plane.shift(torch.as_tensor(Xn)).numpy()
    with_trend = pfn.posterior(X, Y, Xn, trend="linear")
    plain = pfn.posterior(X, resid, Xn)
    np.testing.assert_allclose(with_trend.mean, plain.mean + shift, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(with_trend.variance, plain.variance, rtol=1e-9)
    np.testing.assert_allclose(with_trend.cdf(50.0), plain.cdf(50.0 - shift), atol=1e-9)
    np.testing.assert_allclose(with_trend.ei(150.0), plain.ei(150.0 - shift), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(with_trend.quantile(0.3), plain.quantile(0.3) + shift, rtol=1e-9, atol=1e-9)
    assert with_trend.user_borders().shape == (9, 2, pfn.model.cfg.n_buckets + 1)
    # the power transform composes with it (per-output borders, shifted)
    powered = research.posterior(pfn, X, Y, Xn, trend="linear", y_transform="power")
    assert np.isfinite(powered.mean).all() and powered.mean.shape == (9, 2)


def test_too_few_points_means_no_trend(pfn):
    X, Y = _data(7, 3)  # 7 < 8
    Xn = np.random.default_rng(2).random((5, 3))
    np.testing.assert_array_equal(pfn.posterior(X, Y, Xn, trend="linear").mean, pfn.posterior(X, Y, Xn).mean)
    assert pfn.condition(X, Y, trend="linear").trend is None


def test_gradient_flows_through_the_shift(pfn):
    X, Y = _data(30, 3)
    ctx = pfn.condition(X, Y[:, :1], trend="linear")
    xn = torch.full((1, 3), 0.4, dtype=torch.float32, requires_grad=True)
    ctx.posterior(xn).mean.sum().backward()
    assert xn.grad is not None and torch.isfinite(xn.grad).all()
    # the plane's slopes (40, 80, 120) dominate the residual model's own gradient
    assert float(xn.grad[0, 2]) > float(xn.grad[0, 0]) > 0


def test_trend_sharpens_the_shipped_model_on_a_near_linear_function(pfn):
    X, Y = _data(40, 4, seed=3)
    Xt, Yt = _data(200, 4, seed=4)
    nll = {t: -float(pfn.posterior(X, Y, Xt, trend=t).log_prob(Yt)[:, 0].mean()) for t in ("none", "linear")}
    assert nll["linear"] < nll["none"] - 1.0, nll  # nats per point on the first output


def test_unknown_trend_is_refused_by_name(pfn):
    X, Y = _data(10, 2)
    with pytest.raises(InputValueError, match="trend='quadratic'.*allowed"):
        pfn.condition(X, Y, trend="quadratic")


def test_an_exactly_linear_output_is_predicted_as_the_plane(pfn):
    # the plane explains it to rounding: the residual model must not fall back to a unit scale in user units
    rng = np.random.default_rng(5)
    X, Xn = rng.random((20, 3)), rng.random((50, 3))
    Y = np.stack([0.3 - 0.02 * X[:, 0] + 0.01 * X[:, 2], np.sin(4 * X[:, 1])], 1)
    truth = 0.3 - 0.02 * Xn[:, 0] + 0.01 * Xn[:, 2]
    post = pfn.posterior(X, Y, Xn, trend="linear")
    assert np.abs(post.mean[:, 0] - truth).max() < 1e-6
    assert post.stddev[:, 0].max() < 1e-4 * Y[:, 0].std()  # without the floor: ~0.1 in user units
    assert (post.cdf(truth[:, None] + 1e-5)[:, 0] > 0.99).all()
    # the other output keeps its own scale
    assert post.stddev[:, 1].min() > 1e-3


def test_column_view_equals_the_column_of_every_statistic(pfn):
    X, Y = _data(30, 3)
    Xn = torch.as_tensor(np.random.default_rng(6).random((11, 3)), dtype=torch.float32)
    for kw in ({"trend": "linear"}, {"trend": "none"}, {"trend": "linear", "y_transform": "power"}):
        post = research.condition(pfn, X, Y, **kw).posterior(Xn)
        masses = post.probs  # computed now: a view must slice the cached masses along
        for j in (0, 1):
            one = post.columns(j, j + 1)
            assert one._probs is not None and torch.equal(one.probs, masses[:, j : j + 1])
            assert one.batch_shape == (11, 1)
            # float32 sums over 592 buckets in another order; the variance (E[y^2] - mean^2) loses digits to
            # cancellation when |mean| >> std, hence rtol 1e-3 (a wrong column would be off by O(1))
            close = {"rtol": 1e-3, "atol": 1e-6 * float(Y[:, j].std())}
            for stat in ("mean", "variance"):
                torch.testing.assert_close(getattr(one, stat), getattr(post, stat)[:, j : j + 1], **close)
            best = float(np.median(Y[:, j]))
            torch.testing.assert_close(one.log_ei(best), post.log_ei(best)[:, j : j + 1], rtol=1e-4, atol=1e-5)
            torch.testing.assert_close(one.ei(best), post.ei(best)[:, j : j + 1], **close)
            torch.testing.assert_close(one.cdf(best), post.cdf(best)[:, j : j + 1], rtol=1e-4, atol=1e-6)
