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
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import Tensor

from pfnopt.surrogate.priors.base import Batch, Prior, design, draw_d, make_bo_like, relevance_mask, uniform

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
        d["kernels"] = list(d["kernels"])
        return {"name": self.name, **d}

    def sample_hypers(self, b: int, d: Tensor, d_max: int, generator: torch.Generator, device) -> dict:
        """Hyperparameters of ``b`` draws (``d`` ``b``): tensors ``b`` or ``b x D``."""
        c = self.config
        kid_allowed = torch.tensor([KERNELS.index(k) for k in c.kernels], device=device)
        pick = torch.randint(0, len(c.kernels), (b,), generator=generator, device=device)
        return {
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

    def sample(self, batch_size, n_points, d_max, generator, device="cpu", d=None) -> Batch:
        c = self.config
        spd = max(1, c.samples_per_draw)
        n_draws = -(-batch_size // spd)
        dd = draw_d(n_draws, d_max, d, generator, device)
        hypers = self.sample_hypers(n_draws, dd, d_max, generator, device)
        x, in_cluster = design(n_draws, n_points, dd, d_max, c.p_clustered, generator, device)
        y = self.sample_y(x, hypers, spd, generator)  # n_draws x spd x N
        x = x[:, None].expand(n_draws, spd, n_points, d_max).reshape(-1, n_points, d_max)[:batch_size]
        y = y.reshape(-1, n_points)
        y = make_bo_like(y, in_cluster[:, None].expand(n_draws, spd, n_points).reshape(-1, n_points))[:batch_size]
        rep = {k: v.repeat_interleave(spd, dim=0)[:batch_size] for k, v in hypers.items()}
        return Batch(x=x.contiguous(), y=y.contiguous(), d=rep["d"], extras={"hypers": rep})

    @staticmethod
    def sample_y(x: Tensor, hypers: dict, k: int, generator: torch.Generator) -> Tensor:
        """``k`` noisy function draws per design: ``x`` ``b x N x D`` -> ``b x k x N``.

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
        return (chol @ z).transpose(1, 2).float()  # b x k x N
