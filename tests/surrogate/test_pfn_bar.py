"""Bar distribution: every statistic agrees with numerical integration of its density."""

from __future__ import annotations

import math

import pytest
import torch

from pfnopt.surrogate import bar


@pytest.fixture(params=[torch.float32, torch.float64])
def dist(request):
    g = torch.Generator().manual_seed(0)
    k = 12
    borders = torch.sort(torch.randn(k + 1, generator=g, dtype=torch.float64) * 2).values
    logits = torch.randn(3, k, generator=g, dtype=torch.float64).to(request.param)
    return logits, borders.to(request.param)


def _grid(borders):
    lo, hi = float(borders[0]) - 60.0, float(borders[-1]) + 60.0
    return torch.linspace(lo, hi, 400_001, dtype=torch.float64)


def _density(logits, borders, grid):
    return torch.exp(bar.log_prob(logits.double()[:, None, :], borders.double(), grid[None, :]))  # 3 x G


def test_density_integrates_to_one(dist):
    logits, borders = dist
    grid = _grid(borders)
    dens = _density(logits, borders, grid)
    total = torch.trapezoid(dens, grid, dim=-1)
    assert torch.allclose(total, torch.ones(3, dtype=torch.float64), atol=2e-4)


def test_mean_variance_cdf_match_integration(dist):
    logits, borders = dist
    grid = _grid(borders)
    dens = _density(logits, borders, grid)
    m = torch.trapezoid(dens * grid, grid, dim=-1)
    v = torch.trapezoid(dens * (grid - m[:, None]) ** 2, grid, dim=-1)
    tol = 1e-3 if logits.dtype == torch.float64 else 2e-3
    assert torch.allclose(bar.mean(logits, borders).double(), m, atol=tol, rtol=tol)
    assert torch.allclose(bar.variance(logits, borders).double(), v, atol=tol, rtol=tol)
    for val in (-5.0, float(borders[1]) - 0.3, 0.1, float(borders[-2]) + 0.2, 6.0):
        mask = grid <= val
        ref = torch.trapezoid(dens * mask, grid, dim=-1)
        got = bar.cdf(logits, borders, torch.full((3,), val, dtype=logits.dtype))
        assert torch.allclose(got.double(), ref, atol=2e-3), (val, got, ref)


def test_quantile_inverts_cdf(dist):
    logits, borders = dist
    for p in (0.001, 0.05, 0.3, 0.5, 0.77, 0.95, 0.999):
        q = bar.quantile(logits, borders, torch.full((3,), p, dtype=logits.dtype))
        back = bar.cdf(logits, borders, q)
        assert torch.allclose(back.double(), torch.full((3,), p, dtype=torch.float64), atol=1e-4)


def test_ei_and_log_ei_match_integration(dist):
    logits, borders = dist
    grid = _grid(borders)
    dens = _density(logits, borders, grid)
    for best in (float(borders[0]) - 4.0, float(borders[1]) - 0.5, 0.0, float(borders[5]) + 0.01, 9.0):
        ref = torch.trapezoid(dens * (best - grid).clamp_min(0), grid, dim=-1)
        got = bar.expected_improvement(logits, borders, torch.tensor(best, dtype=torch.float64))
        assert torch.allclose(got.double(), ref, atol=1e-4, rtol=2e-3), (best, got, ref)
        lg = bar.log_expected_improvement(logits, borders, torch.tensor(best, dtype=torch.float64))
        assert torch.allclose(lg.double(), torch.log(ref), atol=5e-3), (best, lg, ref)


def test_log_ei_stays_finite_far_below_the_data():
    borders = torch.linspace(-1.0, 1.0, 9, dtype=torch.float64)
    logits = torch.zeros(8, dtype=torch.float64)
    vals = bar.log_expected_improvement(
        logits, borders, torch.tensor([-3.0, -10.0, -30.0, -100.0], dtype=torch.float64)
    )
    assert torch.isfinite(vals).all()
    assert (vals.diff() < 0).all()  # decreasing as best moves further below
    # the left tail is a half-normal: EI(best) must match its closed form
    s = (borders[1] - borders[0]) / 0.6744897501960817
    c = borders[1] - (-3.0)
    p0 = 1.0 / 8
    z = c / s
    h = math.exp(-0.5 * z**2) / math.sqrt(2 * math.pi) - z * 0.5 * math.erfc(z / math.sqrt(2))
    assert math.isclose(float(vals[0]), math.log(p0 * 2 * float(s) * h), rel_tol=1e-6)


def test_equal_mass_borders():
    x = torch.randn(200_000, generator=torch.Generator().manual_seed(1))
    b = bar.equal_mass_borders(x, 20)
    assert b.shape == (21,) and (b.diff() > 0).all()
    inner = torch.bucketize(x, b[1:-1])
    counts = torch.bincount(inner, minlength=20).float() / x.numel()
    assert torch.allclose(counts, torch.full((20,), 0.05), atol=0.005)


def test_gradients_flow_through_logits(dist):
    logits, borders = dist
    logits = logits.clone().double().requires_grad_(True)
    bar.log_expected_improvement(logits, borders, torch.tensor(0.0)).sum().backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
