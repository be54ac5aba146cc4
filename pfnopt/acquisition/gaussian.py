"""A Gaussian posterior behind the small posterior protocol, so that the GP baselines build their acquisitions
from the same objects as the PFN sampler (:mod:`pfnopt.acquisition.analytic`).

:class:`GaussianPosterior` holds independent normal marginals (``mean``, ``variance``, each ``q x m``) and gives
what :class:`~pfnopt.acquisition.analytic.PosteriorLike` asks: ``cdf``, ``log_ei`` (minimisation form) and
``columns``. :class:`GPModel` turns a fitted BoTorch model whose outputs are in MAXIMISATION form
(``[-y, c_1, ..., c_m]``, the layout of :mod:`pfnopt.samplers.gp`) into a model of the minimisation-form columns
``[y, c_1, ..., c_m]`` that every acquisition object expects.

log-EI numerics: with ``z = (best - mean) / sigma``, ``EI = sigma * h(z)``, ``h(z) = phi(z) + z Phi(z)``. For
``z > -1`` the sum is taken directly; below, ``h(z) = phi(z) (1 + z sqrt(pi / 2) erfcx(-z / sqrt 2))`` keeps
precision far into the tail, and beyond ``z < -1e6`` (where the bracket cancels) its asymptote
``phi(z) / z^2``. ``sigma`` is floored at ``1e-6`` (variance ``1e-12``), BoTorch's floor for its analytic
acquisitions.

Shapes: ``q`` candidates (any leading batch), ``m`` outputs.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

MIN_VARIANCE = 1e-12
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def ndtr(z: Tensor) -> Tensor:
    """Standard normal cdf as ``erfc(-z / sqrt 2) / 2``: accurate far into the lower tail, where
    ``torch.special.ndtr`` (computed as a difference) is 0 below about ``z = -8.3`` in float64."""
    return 0.5 * torch.special.erfc(-z / math.sqrt(2))


def log_h(z: Tensor) -> Tensor:
    """``log(phi(z) + z Phi(z))``, elementwise, stable for every finite ``z`` (see the module docstring)."""
    direct = z > -1.0
    zd = torch.where(direct, z, torch.zeros_like(z))
    value_direct = torch.log(torch.exp(-0.5 * zd**2 - _LOG_SQRT_2PI) + zd * ndtr(zd))
    zt = torch.where(direct, -torch.ones_like(z), z)  # the tail branch, at a harmless point where unused
    log_phi = -0.5 * zt**2 - _LOG_SQRT_2PI
    bracket = torch.log1p(zt * math.sqrt(math.pi / 2) * torch.special.erfcx(-zt / math.sqrt(2)))
    far = zt < -1e6
    tail = torch.where(far, log_phi - 2 * torch.log(-zt.clamp(max=-1.0)), log_phi + bracket)
    return torch.where(direct, value_direct, tail)


class GaussianPosterior:
    """Independent normal marginals ``N(mean, variance)``, ``q x m`` each (minimisation form)."""

    def __init__(self, mean: Tensor, variance: Tensor):
        if mean.shape != variance.shape:
            raise ValueError(f"mean {tuple(mean.shape)} and variance {tuple(variance.shape)} differ in shape")
        self._mean, self._variance = mean, variance

    @property
    def mean(self) -> Tensor:
        return self._mean

    @property
    def variance(self) -> Tensor:
        return self._variance

    @property
    def stddev(self) -> Tensor:
        return self._variance.clamp_min(MIN_VARIANCE).sqrt()

    def cdf(self, v: Any) -> Tensor:
        """``P(y <= v)``, ``q x m``."""
        return ndtr((torch.as_tensor(v, dtype=self._mean.dtype) - self._mean) / self.stddev)

    def log_ei(self, best: Any) -> Tensor:
        """``log E[max(best - y, 0)]``, ``q x m``."""
        sigma = self.stddev
        z = (torch.as_tensor(best, dtype=self._mean.dtype) - self._mean) / sigma
        return log_h(z) + torch.log(sigma)

    def columns(self, start: int, stop: int) -> GaussianPosterior:
        return GaussianPosterior(self._mean[..., start:stop], self._variance[..., start:stop])


class GPModel:
    """``model(X)``: ``q x d`` candidates -> :class:`GaussianPosterior` of the columns ``[y, c_1..c_m]`` of a BoTorch
    model fitted on ``[-y, c_1..c_m]`` (maximisation form for the objective, column 0 negated back)."""

    def __init__(self, botorch_model: Any):
        self.model = botorch_model

    def __call__(self, X: Tensor) -> GaussianPosterior:
        post = self.model.posterior(X.unsqueeze(-2))  # q x 1 x k
        mean, var = post.mean.squeeze(-2), post.variance.squeeze(-2)  # q x k
        sign = torch.ones(mean.shape[-1], dtype=mean.dtype, device=mean.device)
        sign[0] = -1.0
        return GaussianPosterior(mean * sign, var)


def as_botorch(acq: Any, botorch_model: Any) -> Any:
    """An ``Acquisition`` (``q x d -> q``) as a BoTorch ``AcquisitionFunction`` (``b x 1 x d -> b``), so that
    ``botorch.optim.optimize_acqf`` maximises it (imports BoTorch)."""
    from botorch.acquisition import AcquisitionFunction

    class _Shared(AcquisitionFunction):
        def __init__(self) -> None:
            super().__init__(model=botorch_model)
            self.acq = acq

        def forward(self, X: Tensor) -> Tensor:
            if X.shape[-2] != 1:
                raise ValueError(f"the shared acquisitions score one point per batch (q = 1), got q = {X.shape[-2]}")
            return self.acq(X.squeeze(-2))

    return _Shared()
