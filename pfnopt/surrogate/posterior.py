"""The posterior predictive object returned by ``PFN.posterior`` / ``Context.posterior``.

It holds the bar distribution of every (candidate, output) pair: logits ``... x q x m x K`` and, per output,
``K + 1`` borders already mapped to user units. All statistics are exact on the bars
(``pfnopt.surrogate.bar``), differentiable with respect to the candidates when they came in as torch
tensors with ``requires_grad``. Inputs and outputs are numpy arrays or torch tensors, following the kind
and dtype of ``X_new``.

Shapes: ``q`` candidates (with any leading batch shape ``...`` of ``X_new``), ``m`` outputs (objective and
constraints), ``K`` buckets. "Improvement" is always BELOW ``best``: pfnopt minimises.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

from pfnopt.surrogate import bar
from pfnopt.surrogate.errors import InputShapeError, InputTypeError, InputValueError


class Posterior:
    """Predictive distribution at ``q`` candidates for ``m`` outputs (user units).

    Attributes:
        logits: ``... x q x m x K`` bucket logits (float32 torch) over the model's standardised borders.
        borders: ``K + 1`` standardised borders (float32 torch); output ``j``'s borders in user units are
            ``loc[j] + scale[j] * borders``. Or ``m x K+1`` per-output borders (float64, e.g. after a power
            transform), with ``loc = 0`` and ``scale = 1``.
        loc, scale: ``m`` per-output normalisation (float64 torch); with a trend (``pfnopt.surrogate.trend``)
            ``loc`` is ``... x q x m``: each candidate's distribution shifted by the plane.
    """

    def __init__(
        self, logits: Tensor, borders: Tensor, loc: Tensor, scale: Tensor, kind: str = "torch", dtype: Any = None
    ):
        self.logits = logits
        self._per_output = borders.dim() == 2
        dt = torch.float64 if self._per_output else torch.float32
        self.borders = borders.to(device=logits.device, dtype=dt)
        self.loc = loc.to(device=logits.device, dtype=torch.float64)
        self.scale = scale.to(device=logits.device, dtype=torch.float64)
        self._kind = kind  # "numpy" or "torch": what the statistics are returned as
        self._dtype = dtype or torch.float32
        self._probs: Tensor | None = None

    # --- conversion -------------------------------------------------------------------------------------
    def _out(self, t: Tensor):
        if self._kind == "numpy":
            return t.detach().to(torch.float64).cpu().numpy()
        return t.to(self._dtype)

    def _in(self, value, name: str) -> Tensor:
        if isinstance(value, Tensor):
            t = value.to(device=self.logits.device, dtype=torch.float64)
        elif isinstance(value, (int, float, np.ndarray, np.number, list, tuple)):
            t = torch.as_tensor(np.asarray(value, dtype=np.float64), device=self.logits.device)
        else:
            raise InputTypeError(f"{name} must be a number, numpy array or torch tensor, got {type(value).__name__}")
        if torch.isnan(t).any():
            raise InputValueError(f"{name} contains NaN")
        try:
            torch.broadcast_shapes(t.shape, self.batch_shape)
        except RuntimeError as e:
            raise InputShapeError(
                f"{name} has shape {tuple(t.shape)}, which does not broadcast to the posterior's "
                f"{tuple(self.batch_shape)} (... x q x m); pass a scalar, one value per output (m,), or ... x q x m"
            ) from e
        return t

    def _norm(self, value, name: str) -> Tensor:
        """A user-unit argument in standardised units (float64), keeping its own (broadcastable) shape."""
        return (self._in(value, name) - self.loc) / self.scale

    @property
    def batch_shape(self) -> torch.Size:
        """``... x q x m``."""
        return self.logits.shape[:-1]

    @property
    def probs(self) -> Tensor:
        """Bucket masses ``... x q x m x K`` (torch; computed once)."""
        if self._probs is None:
            self._probs = bar.bucket_probs(self.logits.double() if self._per_output else self.logits)
        return self._probs

    def user_borders(self) -> Tensor:
        """Bucket borders in user units (float64): ``m x K+1``, or ``... x q x m x K+1`` when ``loc`` varies by
        candidate (a trend)."""
        b = self.borders if self._per_output else self.borders.double()[None, :]
        return self.loc[..., None] + self.scale[..., None] * b

    def columns(self, start: int, stop: int) -> Posterior:
        """The posterior of outputs ``start .. stop - 1`` alone (``batch_shape`` ``... x q x (stop - start)``): a
        view, no recomputation. Cheaper than slicing a statistic of all ``m`` outputs when per-candidate
        thresholds (a trend) make each output's statistic cost ``q x K``."""
        sl = slice(start, stop)
        loc = self.loc[..., sl]
        borders = self.borders[sl] if self._per_output else self.borders
        view = Posterior(self.logits[..., sl, :], borders, loc, self.scale[sl], kind=self._kind, dtype=self._dtype)
        if self._probs is not None:
            view._probs = self._probs[..., sl, :]
        return view

    # --- moments ----------------------------------------------------------------------------------------
    @property
    def mean(self):
        """Predictive mean, ``... x q x m``."""
        return self._out(self.loc + self.scale * bar.mean(self.logits, self.borders, self.probs).double())

    @property
    def variance(self):
        """Predictive variance, ``... x q x m`` (observation noise included)."""
        return self._out(self.scale**2 * bar.variance(self.logits, self.borders, self.probs).double())

    @property
    def stddev(self):
        """Predictive standard deviation, ``... x q x m``."""
        return self._out(self.scale * bar.variance(self.logits, self.borders, self.probs).double().sqrt())

    # --- densities and probabilities --------------------------------------------------------------------
    def log_prob(self, Y):
        """Log predictive density at ``Y`` (``... x q x m``, or broadcastable): ``... x q x m``."""
        z = self._norm(Y, "Y")
        lg = self.logits.double() if self._per_output else self.logits
        return self._out(bar.log_prob(lg, self.borders, z.to(lg.dtype)).double() - torch.log(self.scale))

    def cdf(self, v):
        """``P(y <= v)``; ``v`` scalar, ``m`` or ``... x q x m``. E.g. ``cdf(0.0)[..., j]`` is the probability that
        constraint ``j`` is satisfied (``g_j <= 0``). Returns ``... x q x m``."""
        return self._out(bar.cdf(self.logits, self.borders, self._norm(v, "v").to(self.probs.dtype), self.probs))

    def quantile(self, p):
        """The ``p``-quantile, ``p`` in (0, 1) (scalar, ``m`` or ``... x q x m``): ``... x q x m``."""
        pt = self._in(p, "p")
        if ((pt <= 0) | (pt >= 1)).any():
            raise InputValueError(f"p={p!r} must lie strictly between 0 and 1")
        z = bar.quantile(self.logits, self.borders, pt.to(self.probs.dtype), self.probs)
        return self._out(self.loc + self.scale * z.double())

    # --- acquisition ingredients (minimisation) -----------------------------------------------------------
    def ei(self, best):
        """Expected improvement below ``best``: ``E[max(best - y, 0)]``, exact on the bars. ``best`` scalar,
        ``m`` or ``... x q x m``. Returns ``... x q x m``."""
        z = self._norm(best, "best")
        return self._out(self.scale * bar.expected_improvement(self.logits, self.borders, z, self.probs).double())

    def log_ei(self, best):
        """``log`` of ``ei(best)``, finite (not ``-inf``) far from ``best``: ``... x q x m``."""
        z = self._norm(best, "best")
        return self._out(torch.log(self.scale) + bar.log_expected_improvement(self.logits, self.borders, z).double())

    def pi(self, best):
        """Probability of improvement ``P(y <= best)``: ``... x q x m``."""
        return self.cdf(best)

    def ucb(self, beta: float = 2.0):
        """``mean + sqrt(beta) * stddev`` (BoTorch's convention): ``... x q x m``. For minimisation, see ``lcb``."""
        return self._bound(beta, +1.0)

    def lcb(self, beta: float = 2.0):
        """``mean - sqrt(beta) * stddev``, the optimistic bound when minimising: ``... x q x m``."""
        return self._bound(beta, -1.0)

    def _bound(self, beta: float, sign: float):
        if not isinstance(beta, (int, float)) or beta < 0:
            raise InputValueError(f"beta={beta!r} must be a number >= 0")
        m = bar.mean(self.logits, self.borders, self.probs).double()
        s = bar.variance(self.logits, self.borders, self.probs).double().sqrt()
        return self._out(self.loc + self.scale * (m + sign * math.sqrt(beta) * s))

    def sample(self, k: int = 1, seed: int | None = None):
        """``k`` independent draws per candidate and output (marginals; candidates are independent given the
        context): ``k x ... x q x m``. Not differentiable."""
        if not isinstance(k, int) or k < 1:
            raise InputValueError(f"k={k!r} must be a positive int")
        gen = torch.Generator(device=self.logits.device)
        if seed is not None:
            gen.manual_seed(seed)
        else:
            gen.seed()
        u = torch.rand((k, *self.batch_shape), generator=gen, device=self.logits.device, dtype=torch.float64)
        u = u.clamp(1e-7, 1 - 1e-7)
        with torch.no_grad():
            z = bar.quantile(self.logits.detach(), self.borders, u.to(self.probs.dtype), self.probs.detach())
        return self._out(self.loc + self.scale * z.double())

    def __repr__(self) -> str:
        return f"Posterior(batch_shape={tuple(self.batch_shape)}, buckets={self.logits.shape[-1]})"
