"""GP prior with hyperpriors, after PFNs4BO's HEBO+ prior, extended for BO.

Per hyperparameter draw (one data set, or ``samples_per_draw`` data sets sharing one Cholesky factor):

- ``d`` uniform in ``1..d_max``; ``x`` uniform on the unit cube, or (share ``p_clustered``) a BO-like design
  concentrated around 1-3 centres that sit in good (low) regions (``base.design``, ``base.make_bo_like``);
- kernel: Matern-3/2, Matern-5/2 or RBF with equal probability, ARD;
- per-input lengthscale ``~ Gamma(1.21, rate 1.52)`` (mean 0.8); each input irrelevant with probability
  0.3, at least one relevant;
- outputscale ``~ Gamma(0.85, rate 0.40)`` (mean 2.1); noise variance ``~ LogNormal(-4.63, 0.5)``
  (median 0.01); zero mean (the model sees standardised ``y``);
- Kumaraswamy input warping ``x -> 1 - (1 - x^a)^b`` per input, ``a, b ~ LogNormal(0, 0.75)``, in a share
  ``p_warp`` of draws.

``y`` includes the observation noise (the PFN predicts noisy observations). The hyperparameters are returned
in ``Batch.extras["hypers"]`` so that references (oracle GP, Bayes-optimal predictor) can use them.

Prior v2 components (each off in ``GPPriorConfig``'s defaults, so a v1 record rebuilds the v1 prior exactly;
the v2 values are in ``pfnopt.surrogate.presets.PRIOR_V2``), each there for a measured weakness of v1:

- ``p_deterministic``: a share of draws whose noise variance is log-uniform in
  ``10^det_log10_noise`` (default 1e-8..1e-4) times the outputscale. Engineering simulations are
  deterministic; v1's LogNormal(-4.63, 0.5) noise has no mass below ~2e-3, so the v1 model never predicts a
  spread below ~0.15 of the context's standard deviation, even at its own context points.
- ``p_long_lengthscale``: a share of draws whose lengthscales are multiplied by a log-uniform factor in
  ``long_factor`` (default 2..10): smooth, nearly linear functions, as most engineering objectives are.
- ``p_linear_mean`` / ``p_quadratic_mean``: a linear or quadratic (bowl, optimum possibly outside the box)
  mean function under the GP, amplitude ``10^mean_log10_amplitude`` (default 10^-0.5..10^1.5) times the
  GP's standard deviation: the GP is then a residual around a trend, as on the quadratic bowls and the
  near-linear constraints where v1's test RMSE was 4.5-9x a fitted GP's.
- ``p_quantized`` / ``p_quantized_column``: integer and stepped inputs (``base.quantize_inputs``).

With ``n_ctx`` given, ``sample`` also returns the exact Gaussian predictive of every target given the context
and the draw's hyperparameters (mean function included) in ``extras["target_mean"]`` / ``["target_std"]``:
from the joint Cholesky factor ``L`` of the ``N`` points, ``y = L z``, the conditional of the targets given
the context is ``N(L21 z1, diag(L22 L22^T))`` (no extra solve).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import Tensor

from pfnopt.surrogate.priors.base import (
    Batch,
    Prior,
    bo_like_flip,
    design,
    draw_d,
    place_near_context,
    quantize_inputs,
    relevance_mask,
    uniform,
)

KERNELS = ("matern32", "matern52", "rbf")


def gamma(concentration: float, rate: float, shape: tuple[int, ...], generator: torch.Generator, device) -> Tensor:
    """Gamma samples from ``generator`` (Marsaglia-Tsang, vectorised; ``concentration < 1`` by boosting)."""
    a = concentration + 1.0 if concentration < 1.0 else concentration
    dd = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * dd)
    numel = int(torch.tensor(shape).prod().item()) if shape else 1
    out = torch.empty(0, device=device)
    need = numel
    parts = []
    while need > 0:
        m = max(16, int(need * 1.3))
        z = torch.randn(m, generator=generator, device=device)
        u = torch.rand(m, generator=generator, device=device)
        v = (1.0 + c * z) ** 3
        ok = (v > 0) & (torch.log(u.clamp_min(1e-30)) < 0.5 * z**2 + dd - dd * v + dd * torch.log(v.clamp_min(1e-30)))
        acc = (dd * v)[ok]
        parts.append(acc[:need])
        need -= parts[-1].numel()
    out = torch.cat(parts)[:numel]
    if concentration < 1.0:
        u = torch.rand(numel, generator=generator, device=device)
        out = out * u.clamp_min(1e-30) ** (1.0 / concentration)
    return (out / rate).reshape(shape)


@dataclass
class GPPriorConfig:
    lengthscale_concentration: float = 1.21
    lengthscale_rate: float = 1.52
    outputscale_concentration: float = 0.85
    outputscale_rate: float = 0.40
    noise_log_mean: float = -4.63
    noise_log_std: float = 0.5
    p_irrelevant: float = 0.3
    p_warp: float = 0.3
    warp_log_std: float = 0.75
    p_clustered: float = 0.3
    kernels: tuple[str, ...] = KERNELS
    samples_per_draw: int = 2  # data sets per hyperparameter draw (and Cholesky factor)
    # prior v2 (see the module docstring); all off by default (= prior v1)
    p_deterministic: float = 0.0
    det_log10_noise: tuple[float, float] = (-8.0, -4.0)  # noise variance / outputscale, log10-uniform
    p_long_lengthscale: float = 0.0
    long_factor: tuple[float, float] = (2.0, 10.0)  # lengthscale multiplier, log-uniform
    p_linear_mean: float = 0.0
    p_quadratic_mean: float = 0.0
    mean_log10_amplitude: tuple[float, float] = (-0.5, 1.5)  # mean amplitude / GP std, log10-uniform
    p_quantized: float = 0.0
    p_quantized_column: float = 0.3
    p_near_context: float = 0.0  # share of data sets with targets next to context points (base.place_near_context)


def warp(x: Tensor, a: Tensor, b: Tensor, on: Tensor) -> Tensor:
    """Kumaraswamy cdf per input: ``x`` ``b x n x D``, ``a, b`` ``b x D``, ``on`` ``b`` (bool)."""
    xc = x.clamp(1e-6, 1 - 1e-6)
    w = 1.0 - (1.0 - xc ** a[:, None, :]) ** b[:, None, :]
    return torch.where(on[:, None, None], w, x)


def kernel_matrix(x1: Tensor, x2: Tensor, hypers: dict) -> Tensor:
    """Covariance (without noise) ``b x n1 x n2`` for inputs ``b x n x D`` in the unit cube."""
    x1 = warp(x1, hypers["warp_a"], hypers["warp_b"], hypers["warp_on"])
    x2 = warp(x2, hypers["warp_a"], hypers["warp_b"], hypers["warp_on"])
    inv_ls = (hypers["relevant"] / hypers["lengthscale"])[:, None, :]  # b x 1 x D
    z1, z2 = x1 * inv_ls, x2 * inv_ls
    r2 = (z1.pow(2).sum(-1)[:, :, None] + z2.pow(2).sum(-1)[:, None, :] - 2.0 * z1 @ z2.transpose(1, 2)).clamp_min(0)
    r = torch.sqrt(r2 + 1e-12)
    k32 = (1.0 + math.sqrt(3.0) * r) * torch.exp(-math.sqrt(3.0) * r)
    k52 = (1.0 + math.sqrt(5.0) * r + 5.0 / 3.0 * r2) * torch.exp(-math.sqrt(5.0) * r)
    krbf = torch.exp(-0.5 * r2)
    kid = hypers["kernel"][:, None, None]
    k = torch.where(kid == 0, k32, torch.where(kid == 1, k52, krbf))
    return hypers["outputscale"][:, None, None] * k


class GPPrior(Prior):
    name = "gp"

    def __init__(self, config: GPPriorConfig | None = None, **kwargs):
        self.config = config or GPPriorConfig(**kwargs)
        bad = [k for k in self.config.kernels if k not in KERNELS]
        if bad:
            raise ValueError(f"GPPrior kernels={bad} not allowed; allowed: {KERNELS}")

    def to_dict(self) -> dict:
        d = asdict(self.config)
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        if not d["p_near_context"]:  # records written before the option existed stay equal (--resume)
            del d["p_near_context"]
        return {"name": self.name, **d}

    def sample_hypers(self, b: int, d: Tensor, d_max: int, generator: torch.Generator, device) -> dict:
        """Hyperparameters of ``b`` draws (``d`` ``b``): tensors ``b`` or ``b x D``."""
        c = self.config
        kid_allowed = torch.tensor([KERNELS.index(k) for k in c.kernels], device=device)
        pick = torch.randint(0, len(c.kernels), (b,), generator=generator, device=device)
        out = {
            "d": d,
            "relevant": relevance_mask(d, d_max, c.p_irrelevant, generator),
            "lengthscale": gamma(
                c.lengthscale_concentration, c.lengthscale_rate, (b, d_max), generator, device
            ).clamp_min(1e-3),
            "outputscale": gamma(c.outputscale_concentration, c.outputscale_rate, (b,), generator, device).clamp_min(
                1e-4
            ),
            "noise": torch.exp(c.noise_log_mean + c.noise_log_std * torch.randn(b, generator=generator, device=device)),
            "kernel": kid_allowed[pick],
            "warp_on": uniform((b,), generator, device) < c.p_warp,
            "warp_a": torch.exp(c.warp_log_std * torch.randn((b, d_max), generator=generator, device=device)),
            "warp_b": torch.exp(c.warp_log_std * torch.randn((b, d_max), generator=generator, device=device)),
        }
        h = self._v2_hypers(out, b, d_max, generator, device) if self._is_v2() else out
        return h

    def _is_v2(self) -> bool:
        c = self.config
        return (c.p_deterministic, c.p_long_lengthscale, c.p_linear_mean, c.p_quadratic_mean) != (0, 0, 0, 0)

    def _v2_hypers(self, h: dict, b: int, d_max: int, generator: torch.Generator, device) -> dict:
        """The v2 draws on top of v1's: deterministic noise, long lengthscales, the mean function's parameters."""
        c = self.config

        def log_uniform(lo: float, hi: float, shape) -> Tensor:
            return torch.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * uniform(shape, generator, device))

        det = uniform((b,), generator, device) < c.p_deterministic
        lo, hi = c.det_log10_noise
        det_noise = h["outputscale"] * 10.0 ** (lo + (hi - lo) * uniform((b,), generator, device))
        h["noise"] = torch.where(det, det_noise, h["noise"])
        long = uniform((b, 1), generator, device) < c.p_long_lengthscale
        h["lengthscale"] = torch.where(long, h["lengthscale"] * log_uniform(*c.long_factor, (b, 1)), h["lengthscale"])
        u = uniform((b,), generator, device)
        h["mean_kind"] = torch.where(
            u < c.p_linear_mean, 1, torch.where(u < c.p_linear_mean + c.p_quadratic_mean, 2, 0)
        ).long()
        a_lo, a_hi = c.mean_log10_amplitude
        h["mean_amp"] = h["outputscale"].sqrt() * 10.0 ** (a_lo + (a_hi - a_lo) * uniform((b,), generator, device))
        h["mean_w"] = torch.randn((b, d_max), generator=generator, device=device)
        h["mean_c"] = -0.25 + 1.5 * uniform((b, d_max), generator, device)
        h["mean_lam"] = 0.2 + 0.8 * uniform((b, d_max), generator, device)
        return h

    @staticmethod
    def mean_function(x: Tensor, hypers: dict) -> Tensor:
        """The draws' mean functions at ``x`` ``b x N x D``: ``b x N`` (zero without a v2 mean)."""
        if "mean_kind" not in hypers:
            return torch.zeros(x.shape[:2], dtype=x.dtype, device=x.device)
        rel = hypers["relevant"].to(x.dtype)  # b x D
        n_rel = rel.sum(-1, keepdim=True).clamp_min(1.0)
        w = hypers["mean_w"].to(x.dtype) * rel / n_rel.sqrt()
        linear = ((x - 0.5) * w[:, None, :]).sum(-1)  # b x N
        lam = hypers["mean_lam"].to(x.dtype) * rel / n_rel
        bowl = ((x - hypers["mean_c"].to(x.dtype)[:, None, :]) ** 2 * lam[:, None, :]).sum(-1) + 0.5 * linear
        kind = hypers["mean_kind"][:, None]
        m = torch.where(kind == 1, linear, torch.where(kind == 2, 4.0 * bowl, torch.zeros_like(linear)))
        return hypers["mean_amp"].to(x.dtype)[:, None] * m

    def sample(self, batch_size, n_points, d_max, generator, device="cpu", d=None, n_ctx=None) -> Batch:
        c = self.config
        spd = max(1, c.samples_per_draw)
        n_draws = -(-batch_size // spd)
        dd = draw_d(n_draws, d_max, d, generator, device)
        hypers = self.sample_hypers(n_draws, dd, d_max, generator, device)
        x, in_cluster = design(n_draws, n_points, dd, d_max, c.p_clustered, generator, device)
        x = place_near_context(x, dd, n_ctx, c.p_near_context, generator)
        x = quantize_inputs(x, dd, c.p_quantized, c.p_quantized_column, generator)
        exact = n_ctx is not None and 0 < n_ctx < n_points
        y, t_mean, t_std = self.sample_y(x, hypers, spd, generator, n_ctx=n_ctx if exact else None)
        m = self.mean_function(x, hypers)  # n_draws x N
        y = y + m[:, None, :]  # n_draws x spd x N
        rows = lambda t: t.reshape(-1, *t.shape[2:])[:batch_size]  # noqa: E731  (n_draws x spd x ...) -> b x ...
        x = rows(x[:, None].expand(n_draws, spd, n_points, d_max))
        y = rows(y)
        flip = bo_like_flip(y, rows(in_cluster[:, None].expand(n_draws, spd, n_points)))
        y = torch.where(flip[:, None], -y, y)
        rep = {k: v.repeat_interleave(spd, dim=0)[:batch_size] for k, v in hypers.items()}
        extras = {"hypers": rep}
        if exact:
            mean = rows(t_mean + m[:, None, n_ctx:])
            extras["target_mean"] = torch.where(flip[:, None], -mean, mean).contiguous()
            extras["target_std"] = rows(t_std[:, None].expand(n_draws, spd, n_points - n_ctx)).contiguous()
        return Batch(x=x.contiguous(), y=y.contiguous(), d=rep["d"], extras=extras)

    @staticmethod
    def sample_y(
        x: Tensor, hypers: dict, k: int, generator: torch.Generator, n_ctx: int | None = None
    ) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """``k`` noisy zero-mean draws per design: ``x`` ``b x N x D`` -> ``y`` ``b x k x N``, and with ``n_ctx``
        the exact predictive of the targets given the context: mean ``b x k x q``, std ``b x q`` (else None).

        One Cholesky factor per draw, in float64 on CPU (float32 with jitter on GPU)."""
        dtype = torch.float64 if x.device.type == "cpu" else torch.float32
        h = {kk: (v.to(dtype) if v.is_floating_point() else v) for kk, v in hypers.items()}
        kmat = kernel_matrix(x.to(dtype), x.to(dtype), h)
        n = x.shape[1]
        eye = torch.eye(n, dtype=dtype, device=x.device)
        jitter = 1e-6 if dtype == torch.float64 else 1e-4
        kmat = kmat + (h["noise"][:, None, None] + jitter * h["outputscale"][:, None, None]) * eye
        chol, info = torch.linalg.cholesky_ex(kmat)
        if (info > 0).any():
            kmat = kmat + 1e-3 * h["outputscale"][:, None, None] * eye
            chol = torch.linalg.cholesky(kmat)
        z = torch.randn((x.shape[0], n, k), generator=generator, device=x.device, dtype=dtype)
        y = (chol @ z).transpose(1, 2).float()  # b x k x N
        if n_ctx is None:
            return y, None, None
        mean = (chol[:, n_ctx:, :n_ctx] @ z[:, :n_ctx]).transpose(1, 2).float()  # b x k x q: L21 z1
        std = chol[:, n_ctx:, n_ctx:].pow(2).sum(-1).sqrt().float()  # b x q: sqrt(diag(L22 L22^T))
        return y, mean, std
