"""A prior over learning curves, for the curve PFN (LC-PFN style, Adriaensen et al. 2023; our own families).

One data set is one training run of ``T`` epochs (``T`` drawn per curve). Its points are epochs ``t``: the
first ``n_ctx`` points are the observed prefix ``t = 1..n_ctx`` (what a pruner has seen), the rest are later
epochs in ``n_ctx+1..T`` (a quarter of them the final epoch ``T``, the value a pruner asks about). Inputs, all
in the unit cube (``D = 2``): ``x_0 = t / T`` and ``x_1 = log(t) / log(T)``, so the model reads the horizon
off the spacing of the context.

A curve is an *error* ``e(t) = e_inf + (e_0 - e_inf) * g(t)`` with a decay ``g`` (``g(0) = 1``, ``g -> 0``) that
is one family or a convex mixture of two:

- power law ``(1 + t/tau)^-alpha``, exponential ``exp(-t/tau)``, log-power ``1 / (1 + (t/tau)^alpha)``,
  Janoschek ``exp(-(t/tau)^delta)``;

then, each with a small probability: a plateau (nothing happens until ``t_0``), divergence or overfitting (the
error grows again after ``t_div``), a dead run (flat). Observation noise is Gaussian, relative to the curve's
range (log-uniform 0.1 % .. 5 %), occasionally with spikes. The reported value is either a minimised loss
(``e`` on a loss scale) or a maximised accuracy (``1 - e``, clipped to ``[0, 1]``).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from pfnopt.surrogate.priors.base import Batch, Prior, uniform

FAMILIES = ("power", "exponential", "logpower", "janoschek")


def _log_uniform(shape, lo: float, hi: float, gen: torch.Generator, device) -> Tensor:
    return torch.exp(math.log(lo) + uniform(shape, gen, device) * (math.log(hi) - math.log(lo)))


def curve_inputs(t: Tensor, horizon: Tensor) -> Tensor:
    """Model inputs of epochs ``t`` (``... x N``, >= 1) of runs of ``horizon`` epochs (``... x 1``): ``... x N x 2``."""
    t = t.to(torch.float32)
    horizon = horizon.to(torch.float32)
    return torch.stack([t / horizon, torch.log(t) / torch.log(horizon.clamp_min(2.0))], dim=-1)


def _decay(family: Tensor, t: Tensor, tau: Tensor, shape: Tensor) -> Tensor:
    """``g(t)`` of each curve's family: ``family``/``tau``/``shape`` ``b x 1``, ``t`` ``b x N`` (>= 0)."""
    r = t / tau
    power = (1.0 + r).pow(-shape)
    expo = torch.exp(-r)
    logpower = 1.0 / (1.0 + r.pow(shape))
    janoschek = torch.exp(-r.pow((shape / 2.0).clamp(0.3, 3.0)))
    stack = torch.stack([power, expo, logpower, janoschek], dim=0)  # F x b x N
    return torch.gather(stack, 0, family.long().expand(-1, t.shape[-1])[None]).squeeze(0)


class CurvePrior(Prior):
    """Learning curves; see the module docstring. ``horizon`` bounds the run length ``T`` (epochs).

    Args:
        horizon_min / horizon_max: ``T`` is uniform in ``max(horizon_min, n_ctx + 1)..horizon_max``.
        p_accuracy: share of curves reported as a maximised accuracy (else a minimised loss).
        p_mixture / p_plateau / p_diverge / p_dead / p_spikes: probabilities of those effects per curve.
    """

    name = "curves"
    uses_n_ctx = True  # the training loop passes its context size (the observed prefix)

    def __init__(
        self,
        horizon_min: int = 10,
        horizon_max: int = 120,
        p_accuracy: float = 0.5,
        p_mixture: float = 0.3,
        p_plateau: float = 0.1,
        p_diverge: float = 0.15,
        p_dead: float = 0.05,
        p_spikes: float = 0.05,
    ):
        self.horizon_min, self.horizon_max = horizon_min, horizon_max
        self.p_accuracy, self.p_mixture, self.p_plateau = p_accuracy, p_mixture, p_plateau
        self.p_diverge, self.p_dead, self.p_spikes = p_diverge, p_dead, p_spikes

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "horizon_min": self.horizon_min,
            "horizon_max": self.horizon_max,
            "p_accuracy": self.p_accuracy,
            "p_mixture": self.p_mixture,
            "p_plateau": self.p_plateau,
            "p_diverge": self.p_diverge,
            "p_dead": self.p_dead,
            "p_spikes": self.p_spikes,
        }

    def epochs(self, b: int, n_points: int, n_ctx: int, gen: torch.Generator, device) -> tuple[Tensor, Tensor]:
        """Epochs ``b x N`` (prefix ``1..n_ctx``, then later epochs) and horizons ``b x 1``."""
        lo = max(self.horizon_min, n_ctx + 1)
        hi = max(lo, self.horizon_max)
        horizon = torch.randint(lo, hi + 1, (b, 1), generator=gen, device=device)
        n_tgt = n_points - n_ctx
        ctx = torch.arange(1, n_ctx + 1, device=device).expand(b, n_ctx)
        u = uniform((b, n_tgt), gen, device)
        later = n_ctx + 1 + (u * (horizon - n_ctx)).long().clamp_max(horizon - n_ctx - 1)
        final = uniform((b, n_tgt), gen, device) < 0.25
        later = torch.where(final, horizon.expand(b, n_tgt), later)
        return torch.cat([ctx, later], dim=1), horizon

    def curves(self, t: Tensor, horizon: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        """Sample one curve per row at epochs ``t`` (``b x N``): returns ``(values b x N, is_accuracy b)``."""
        b, n = t.shape
        dev = t.device
        tf = t.to(torch.float32)
        hf = horizon.to(torch.float32)

        def u(*shape):
            return uniform(shape, gen, dev)

        # where the run starts and where it would end (an error on [0, 1] for accuracies, a loss scale else)
        is_acc = u(b) < self.p_accuracy
        e0 = torch.where(is_acc[:, None], 0.2 + 0.8 * u(b, 1), _log_uniform((b, 1), 0.1, 5.0, gen, dev))
        gain = u(b, 1).pow(0.7)  # share of the initial error removed at convergence
        e_inf = e0 * (1.0 - gain)

        # decay: one family, or a mixture of two with the same end points; a plateau delays the start
        plateau = u(b, 1) < self.p_plateau
        t_eff = torch.where(plateau, (tf - hf * 0.4 * u(b, 1)).clamp_min(0.0), tf)

        def one_decay() -> Tensor:
            family = torch.randint(0, len(FAMILIES), (b, 1), generator=gen, device=dev)
            tau = hf * _log_uniform((b, 1), 0.005, 2.0, gen, dev)
            shape = _log_uniform((b, 1), 0.3, 3.0, gen, dev)
            return _decay(family, t_eff, tau, shape)

        g = one_decay()
        mix = u(b, 1) < self.p_mixture
        w = u(b, 1)
        g = torch.where(mix, w * g + (1 - w) * one_decay(), g)
        e = e_inf + (e0 - e_inf) * g

        # divergence / overfitting: the error grows again after t_div
        div = u(b, 1) < self.p_diverge
        t_div = hf * (0.1 + 0.9 * u(b, 1))
        rate = (e0 - e_inf).abs() * _log_uniform((b, 1), 0.05, 3.0, gen, dev)
        power = 0.5 + 1.5 * u(b, 1)
        growth = rate * ((tf - t_div).clamp_min(0.0) / hf).pow(power)
        e = torch.where(div, e + growth, e)
        dead = u(b, 1) < self.p_dead
        e = torch.where(dead, e0.expand(b, n), e)

        # noise relative to the curve's range (dead curves: relative to their level)
        spread = torch.where(dead, 0.05 * e0, (e0 - e_inf).abs().clamp_min(1e-3 * e0))
        sd = spread * _log_uniform((b, 1), 1e-3, 5e-2, gen, dev)
        noise = sd * torch.randn((b, n), generator=gen, device=dev)
        spikes = (u(b, 1) < self.p_spikes) & (u(b, n) < 0.05)
        noise = noise + spikes * spread * 0.3 * torch.randn((b, n), generator=gen, device=dev).abs()
        e = e + noise
        y = torch.where(is_acc[:, None], (1.0 - e).clamp(0.0, 1.0), e.clamp_min(0.0))
        return y, is_acc

    def sample(self, batch_size, n_points, d_max, generator, device="cpu", d=None, n_ctx=None) -> Batch:
        """``batch_size`` curves of ``n_points`` epochs; the first ``n_ctx`` (default ``n_points // 2``) are the
        observed prefix. ``x`` ``b x N x d_max`` (columns past 2 are zero), ``y`` ``b x N`` raw values."""
        if d_max < 2:
            raise ValueError(f"CurvePrior needs d_max >= 2 (inputs t/T and log t / log T), got d_max={d_max}")
        n_ctx = n_points // 2 if n_ctx is None else int(n_ctx)
        if not 1 <= n_ctx < n_points:
            raise ValueError(f"n_ctx={n_ctx} must be in 1..n_points-1={n_points - 1}")
        t, horizon = self.epochs(batch_size, n_points, n_ctx, generator, device)
        y, is_acc = self.curves(t, horizon, generator)
        x = torch.zeros((batch_size, n_points, d_max), device=device)
        x[..., :2] = curve_inputs(t, horizon)
        dd = torch.full((batch_size,), 2, dtype=torch.long, device=device)
        return Batch(x=x, y=y, d=dd, extras={"epoch": t, "horizon": horizon, "is_accuracy": is_acc})

