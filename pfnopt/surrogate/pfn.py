"""The user-facing PFN surrogate: validation, y normalisation, context limits, batched inference.

    pfn = load_pfn()                           # the shipped default (or load_pfn(path))
    post = pfn.posterior(X_ctx, Y_ctx, X_new)  # one batched forward for all m outputs
    ctx = pfn.condition(X_ctx, Y_ctx)          # encode the context once ...
    post = ctx.posterior(X_new)                # ... then score any number of candidate chunks cheaply

Normalisation: each output column is standardised by its context mean and standard deviation (the contract
the model was trained with, ``model.standardize``); the bar borders are mapped back to user units, so every
statistic of the posterior is in user units. Optionally (``trend="linear"``) a least-squares plane is taken out
of each output first and added back to the posterior (:mod:`pfnopt.surrogate.trend`).

Context limit: a model is trained for at most ``n_max`` context points. With more, pfnopt keeps the
``n_max // 2`` points with the lowest value of output column ``best_column`` (the objective by convention)
and fills the rest with a greedy max-min (space-filling) subset of the remaining points, and logs a warning
naming both numbers. More than ``d_max`` inputs is an error.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from pfnopt.surrogate.checkpoint import load_checkpoint
from pfnopt.surrogate.errors import InputShapeError, InputTypeError, InputValueError
from pfnopt.surrogate.model import PFNTransformer, standardize
from pfnopt.surrogate.posterior import Posterior
from pfnopt.surrogate.symmetry import input_symmetries, mixture_logits, transform_inputs
from pfnopt.surrogate.trend import TRENDS, LinearTrend, fit_linear_trend

logger = logging.getLogger("pfnopt.surrogate")

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent / "checkpoints" / "default"
_BOUNDS_TOL = 1e-6


def _as_tensor(value: Any, name: str) -> tuple[Tensor, str, Any]:
    """``(tensor float64-or-own-float, kind, dtype)`` of a numpy array / torch tensor argument."""
    if isinstance(value, Tensor):
        if not value.is_floating_point():
            value = value.double()
        return value, "torch", value.dtype
    if isinstance(value, (np.ndarray, list, tuple)):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise InputTypeError(f"{name} must be numeric, got {type(value).__name__} that numpy cannot convert") from e
        return torch.from_numpy(arr), "numpy", np.float64
    raise InputTypeError(f"{name} must be a numpy array or torch tensor, got {type(value).__name__}")


def _check_finite(t: Tensor, name: str) -> None:
    bad = ~torch.isfinite(t)
    if bad.any():
        idx = tuple(int(i) for i in bad.nonzero()[0])
        raise InputValueError(f"{name} contains NaN or inf (first at index {idx}); remove or impute those rows")


def _check_unit_cube(t: Tensor, name: str) -> None:
    if t.numel() and ((t < -_BOUNDS_TOL).any() or (t > 1 + _BOUNDS_TOL).any()):
        raise InputValueError(
            f"{name} has values in [{float(t.min()):.4g}, {float(t.max()):.4g}]; inputs must lie in the unit cube "
            "[0, 1]^d (map them with the search space first)"
        )


_Y_TRANSFORMS = ("standardize", "power")
_LAMBDA_RANGE = (0.05, 1.95)  # Yeo-Johnson exponents for which the transform is a bijection of R


def yeo_johnson(z: Tensor, lam: Tensor) -> Tensor:
    """Yeo-Johnson transform, ``lam`` (``m``) broadcast over the last dim of ``z`` (``... x m``), 0 < lam < 2."""
    pos = z >= 0
    zp, zn = z.clamp_min(0.0), z.clamp_max(0.0)
    a = ((zp + 1.0) ** lam - 1.0) / lam
    b = -((1.0 - zn) ** (2.0 - lam) - 1.0) / (2.0 - lam)
    return torch.where(pos, a, b)


def yeo_johnson_inverse(t: Tensor, lam: Tensor) -> Tensor:
    """Inverse of ``yeo_johnson`` (same broadcasting)."""
    pos = t >= 0
    tp, tn = t.clamp_min(0.0), t.clamp_max(0.0)
    a = (lam * tp + 1.0) ** (1.0 / lam) - 1.0
    b = 1.0 - (1.0 - (2.0 - lam) * tn) ** (1.0 / (2.0 - lam))
    return torch.where(pos, a, b)


def fit_yeo_johnson(z: Tensor) -> Tensor:
    """Maximum-likelihood Yeo-Johnson exponent per column of standardised ``z`` (``n x m``), clipped to
    ``_LAMBDA_RANGE``; 1 (the identity) for columns with fewer than 3 distinct values."""
    from scipy.stats import yeojohnson_normmax

    lams = []
    for j in range(z.shape[1]):
        col = z[:, j].cpu().numpy()
        if len(set(col.round(12).tolist())) < 3:
            lams.append(1.0)
            continue
        try:
            lam = float(yeojohnson_normmax(col))
        except (ValueError, RuntimeError, FloatingPointError):
            lam = 1.0
        lams.append(min(max(lam, _LAMBDA_RANGE[0]), _LAMBDA_RANGE[1]))
    return torch.tensor(lams, dtype=torch.float64)


def space_filling_subset(x: Tensor, k: int, start: Tensor | None = None) -> Tensor:
    """Greedy max-min selection of ``k`` row indices of ``x`` (``n x d``), continuing from indices ``start``."""
    n = x.shape[0]
    chosen: list[int] = [] if start is None else [int(i) for i in start]
    dist = torch.full((n,), float("inf"), dtype=x.dtype)
    if chosen:
        dist = torch.cdist(x, x[chosen]).min(dim=1).values
    else:
        chosen.append(int(torch.argmin(((x - 0.5) ** 2).sum(-1))))
        dist = torch.cdist(x, x[chosen]).squeeze(1)
    new: list[int] = [] if start is not None and len(start) else chosen[:1]
    while len(new) < k:
        dist[chosen] = -1.0
        i = int(torch.argmax(dist))
        chosen.append(i)
        new.append(i)
        dist = torch.minimum(dist, ((x - x[i]) ** 2).sum(-1).sqrt())
    return torch.tensor(new[:k], dtype=torch.long)


class Frame:
    """A box ``[lo, hi]`` (``d`` each) of the unit cube in which a context is read: points are mapped to the
    box's own unit cube, ``(x - lo) / (hi - lo)``, clipped to its faces. The identity frame is the whole cube."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray):
        self.lo, self.hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
        self.span = np.maximum(self.hi - self.lo, 1e-12)
        self._torch: dict = {}

    def to_local(self, X: np.ndarray) -> np.ndarray:
        """``n x d`` global unit-cube points (numpy) -> box coordinates in ``[0, 1]``."""
        return np.clip((X - self.lo) / self.span, 0.0, 1.0)

    def to_local_t(self, X: Tensor) -> Tensor:
        """The same for a ``... x d`` tensor, in its dtype and on its device (differentiable)."""
        key = (X.device, X.dtype)
        if key not in self._torch:
            self._torch[key] = tuple(torch.as_tensor(v, dtype=X.dtype, device=X.device) for v in (self.lo, self.span))
        lo, span = self._torch[key]
        return ((X - lo) / span).clamp(0.0, 1.0)


class Context:
    """An encoded context: score candidates with ``posterior``; create with ``PFN.condition``.

    The context knows its frame (``PFN.condition(..., frame=Frame(lo, hi))``): ``posterior`` takes points of
    the global unit cube and maps them into it. ``posterior`` validates its input; ``posterior_unchecked``
    is the fast path for code that built the candidates itself (an acquisition optimiser), with no check.

    Attributes:
        n: context points actually used (``<= n_max``); ``indices`` the rows of ``X_ctx`` they are.
        m: outputs; ``d``: inputs.
        loc, scale: ``m`` per-output normalisation (user units).
        frame: the :class:`Frame` the context was read in, or None (the whole cube).
    """

    def __init__(
        self,
        pfn: PFN,
        cache,
        loc: Tensor,
        scale: Tensor,
        d: int,
        indices: Tensor,
        user_borders: Tensor | None = None,
        members: tuple[Tensor, Tensor] | None = None,
        trend: LinearTrend | None = None,
        frame: Frame | None = None,
    ):
        self.pfn = pfn
        self.frame = frame
        self.trend = trend  # the plane taken out of the context's outputs, or None
        self.members = members  # (perms, flips) of a symmetry ensemble (pfnopt.surrogate.symmetry), or None
        self.cache = cache
        self.loc, self.scale = loc, scale
        self.d, self.m = d, loc.shape[0]
        self.indices = indices
        self.n = int(indices.shape[0])
        self.user_borders = user_borders  # m x K+1 in user units when a power transform is used

    def posterior(self, X_new, chunk_size: int = 4096) -> Posterior:
        """Predictive distribution at the candidates.

        Args:
            X_new: ``... x q x d`` in the unit cube (numpy or torch; torch with ``requires_grad`` gives a
                differentiable posterior), mapped into the context's frame when it has one.
            chunk_size: candidates per forward pass (memory bound, results do not depend on it).
        Returns:
            ``Posterior`` with ``batch_shape`` ``... x q x m``; statistics come back as the kind/dtype of X_new.
        """
        x, kind, dtype = _as_tensor(X_new, "X_new")
        if x.dim() < 2 or x.shape[-1] != self.d:
            raise InputShapeError(
                f"X_new has shape {tuple(x.shape)}; expected (..., q, {self.d}) like the context's d={self.d}"
            )
        _check_finite(x, "X_new")
        _check_unit_cube(x, "X_new")
        if self.frame is not None:
            x = self.frame.to_local_t(x)
        return self._posterior_local(x, kind, dtype, chunk_size)

    def posterior_unchecked(self, X: Tensor, chunk_size: int = 4096) -> Posterior:
        """``posterior`` without validation, for a floating ``... x q x d`` tensor of global unit-cube points."""
        if self.frame is not None:
            X = self.frame.to_local_t(X)
        return self._posterior_local(X, "torch", X.dtype, chunk_size)

    def _posterior_local(self, x: Tensor, kind: str, dtype: Any, chunk_size: int) -> Posterior:
        """The posterior at ``x`` (``... x q x d``, already in the frame's coordinates)."""
        batch = x.shape[:-1]
        model = self.pfn.model
        xf = x.reshape(-1, self.d).to(device=self.pfn.device, dtype=torch.float32)
        d_t = torch.tensor([self.d], device=self.pfn.device)
        outs = []
        grad = torch.is_grad_enabled() and x.requires_grad
        with torch.set_grad_enabled(grad):
            for i in range(0, max(1, xf.shape[0]), chunk_size):
                chunk = xf[i : i + chunk_size]
                if self.members is None:
                    logits = model.predict(self.cache, chunk.unsqueeze(0), d_t)  # m x c x K
                else:  # k members, each the m outputs: the cache holds k * m contexts
                    xk = transform_inputs(chunk, *self.members).repeat_interleave(self.m, dim=0)  # k*m x c x d
                    logits = model.predict(self.cache, xk, d_t)  # k*m x c x K
                    k = self.members[0].shape[0]
                    logits = mixture_logits(logits.view(k, self.m, *logits.shape[1:]))  # m x c x K
                outs.append(logits.transpose(0, 1))  # c x m x K (a view: no copy of the largest tensor)
        logits = outs[0] if len(outs) == 1 else torch.cat(outs, dim=0)  # the loop runs at least once
        logits = logits.reshape(*batch, self.m, logits.shape[-1])
        if self.user_borders is None:
            borders, loc, scale = model.borders, self.loc, self.scale
        else:  # power transform: per-output borders, already in user units
            one = torch.ones(self.m, dtype=torch.float64)
            borders, loc, scale = self.user_borders, 0.0 * one, one
        if self.trend is not None:  # each candidate's distribution shifted by the plane: loc becomes ... x q x m
            loc = loc.to(x.device) + self.trend.shift(x)
        return Posterior(logits, borders, loc, scale, kind=kind, dtype=dtype)


class PFN:
    """A pre-trained PFN surrogate. Build with ``load_pfn``.

    Attributes:
        model: the ``PFNTransformer`` (eval mode); ``record``: the checkpoint's JSON record.
        d_max, n_max: the largest number of inputs (a hard limit) and context points (see the module doc).
    """

    def __init__(self, model: PFNTransformer, record: dict | None = None, device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.record = record or {}
        self.y_transform = "standardize"  # default of condition/posterior: "standardize" or "power"
        self.ensemble = 1  # default of condition/posterior: members of the symmetry ensemble (1: none)
        self.trend = "none"  # default of condition/posterior: "none" or "linear" (pfnopt.surrogate.trend)

    @property
    def d_max(self) -> int:
        return self.model.cfg.d_max

    @property
    def n_max(self) -> int:
        return self.model.cfg.n_max

    def __repr__(self) -> str:
        c = self.model.cfg
        return (
            f"PFN(d_max={c.d_max}, n_max={c.n_max}, params={self.model.num_parameters():,}, "
            f"buckets={c.n_buckets}, steps={self.record.get('step', '?')})"
        )

    def _select_context(self, x: Tensor, y: Tensor, best_column: int) -> Tensor:
        n = x.shape[0]
        if n <= self.n_max:
            return torch.arange(n)
        n_best = self.n_max // 2
        order = torch.argsort(y[:, best_column])
        keep = order[:n_best]
        rest = order[n_best:]
        fill = space_filling_subset(x[rest].double(), self.n_max - n_best, start=None)
        idx = torch.cat([keep, rest[fill]])
        logger.warning(
            "PFN context has %d points, more than the %d it was trained for: using the %d best (by output %d) "
            "plus a space-filling subset of %d of the others",
            n,
            self.n_max,
            n_best,
            best_column,
            self.n_max - n_best,
        )
        return idx

    def condition(
        self, X_ctx, Y_ctx, best_column: int = 0, y_transform: str | None = None, ensemble: int | None = None,
        trend: str | None = None,
        frame: Frame | None = None,
    ) -> Context:
        """Encode the context once (no gradient) for repeated ``Context.posterior`` calls.

        Args:
            X_ctx: ``n x d`` in ``[0, 1]^d`` (``1 <= d <= d_max``, ``n >= 1``), mapped into ``frame`` when given
                (points outside it are clipped to its faces).
            Y_ctx: ``n x m`` in user units (``n`` for one output).
            best_column: the output whose best values are kept when ``n > n_max`` (see the module doc).
            y_transform: ``"standardize"`` (context mean and standard deviation, the model's own contract) or
                ``"power"`` (standardise, then a Yeo-Johnson transform fitted per output by maximum likelihood,
                then standardise; the posterior's bars are mapped back through the inverse, so outputs with
                heavy tails or huge ranges are modelled on a compressed scale). Default: ``self.y_transform``.
            ensemble: ``k >= 1`` members of a test-time ensemble over input permutations and reflections
                (:mod:`pfnopt.surrogate.symmetry`): the posterior is their mixture, at ``k`` times the cost.
                Default ``self.ensemble`` (1: the plain model).
            trend: ``"none"`` or ``"linear"``: a least-squares plane per output is subtracted before the model sees
                the values and added back to the posterior (:mod:`pfnopt.surrogate.trend`; only with at least
                ``2 (d + 1)`` context points). Default ``self.trend``.
            frame: read the context in this box of the unit cube (its coordinates are what the model sees, and
                ``Context.posterior`` maps candidates the same way). Default: the whole cube.
        """
        y_transform = self.y_transform if y_transform is None else y_transform
        trend = self.trend if trend is None else trend
        if trend not in TRENDS:
            raise InputValueError(f"trend={trend!r} is not allowed; allowed: {TRENDS}")
        ensemble = self.ensemble if ensemble is None else ensemble
        if isinstance(ensemble, bool) or not isinstance(ensemble, int) or ensemble < 1:
            raise InputValueError(f"ensemble={ensemble!r} must be an integer >= 1 (members of the ensemble)")
        if y_transform not in _Y_TRANSFORMS:
            raise InputValueError(f"y_transform={y_transform!r} is not allowed; allowed: {_Y_TRANSFORMS}")
        x, _, _ = _as_tensor(X_ctx, "X_ctx")
        y, _, _ = _as_tensor(Y_ctx, "Y_ctx")
        if x.dim() != 2:
            raise InputShapeError(f"X_ctx has shape {tuple(x.shape)}; expected (n, d)")
        if y.dim() == 1:
            y = y.unsqueeze(-1)
        if y.dim() != 2 or y.shape[0] != x.shape[0]:
            raise InputShapeError(
                f"Y_ctx has shape {tuple(y.shape)}; expected (n, m) with n = {x.shape[0]} rows like X_ctx"
            )
        n, d = x.shape
        if n < 1:
            raise InputShapeError("X_ctx has no rows; the PFN needs at least one observed point")
        if d < 1 or d > self.d_max:
            raise InputValueError(f"X_ctx has d={d} inputs; this PFN supports 1..{self.d_max} (its d_max)")
        if y.shape[1] < 1:
            raise InputShapeError("Y_ctx has no columns; expected (n, m) with m >= 1")
        if not 0 <= best_column < y.shape[1]:
            raise InputValueError(f"best_column={best_column} is outside 0..{y.shape[1] - 1}")
        _check_finite(x, "X_ctx")
        _check_finite(y, "Y_ctx")
        _check_unit_cube(x, "X_ctx")
        if frame is not None:
            if frame.lo.shape != (x.shape[1],):
                raise InputShapeError(f"frame has {frame.lo.shape} bounds; expected ({x.shape[1]},) like X_ctx")
            x = torch.from_numpy(frame.to_local(x.double().cpu().numpy())).to(x.dtype)
        x, y = x.detach(), y.detach()
        idx = self._select_context(x, y, best_column)
        x, y = x[idx], y[idx]
        plane = fit_linear_trend(x, y) if trend == "linear" else None
        if plane is not None:
            _, spread = standardize(y.t().double())
            y = y.double() - plane.shift(x)
        y_cols = y.t().double()  # m x n
        loc, scale = standardize(y_cols)  # m x 1 each
        if plane is not None:
            # an output the plane explains exactly (a linear constraint) leaves residuals at rounding level, and
            # standardize's fallback (scale 1, in user units) would make it as uncertain as a unit-scale output;
            # its scale is floored at 1e-6 of the output's own spread instead
            scale = torch.maximum(y_cols.std(dim=-1, keepdim=True, correction=0), 1e-6 * spread)
        user_borders = None
        if y_transform == "power":
            z0 = ((y_cols - loc) / scale).t()  # n x m
            lam = fit_yeo_johnson(z0)  # m
            t = yeo_johnson(z0, lam).t()  # m x n
            loc1, scale1 = standardize(t)
            b = self.model.borders.double().cpu()  # K + 1
            tb = loc1 + scale1 * b[None, :]  # m x K+1, transformed units
            user_borders = loc + scale * yeo_johnson_inverse(tb.t(), lam).t()  # m x K+1
            yn = ((t - loc1) / scale1).float().to(self.device)
        else:
            yn = ((y_cols - loc) / scale).float().to(self.device)
        xf = x.to(device=self.device, dtype=torch.float32).clamp(0.0, 1.0).unsqueeze(0)  # 1 x n x d
        members = None
        if ensemble > 1:
            members = input_symmetries(d, ensemble)
            m = yn.shape[0]
            xf = transform_inputs(xf[0], *members).repeat_interleave(m, dim=0)  # k*m x n x d
            yn = yn.repeat(ensemble, 1)  # k*m x n, member-major like xf
        with torch.no_grad():
            cache = self.model.encode_context(xf, yn, torch.tensor([d], device=self.device))
        return Context(self, cache, loc.squeeze(-1), scale.squeeze(-1), d, idx, user_borders, members, plane, frame)

    def posterior(
        self, X_ctx, Y_ctx, X_new, best_column: int = 0, y_transform: str | None = None, ensemble: int | None = None,
        trend: str | None = None,
    ) -> Posterior:
        """Posterior predictive at ``X_new`` given the context, all ``m`` outputs in one batched pass.

        Args:
            X_ctx: ``n x d`` in ``[0, 1]^d``; Y_ctx: ``n x m`` (user units); X_new: ``... x q x d``.
        Returns:
            ``Posterior`` with ``batch_shape`` ``... x q x m`` (statistics in user units, the kind of X_new).
        """
        ctx = self.condition(X_ctx, Y_ctx, best_column=best_column, y_transform=y_transform, ensemble=ensemble,
                             trend=trend)
        return ctx.posterior(X_new)


def load_pfn(path: str | Path | None = None, device: str | torch.device = "cpu") -> PFN:
    """Load a PFN checkpoint directory (safetensors + JSON; never unpickles). Default: the shipped model.

    Raises ``CheckpointError`` for a missing, corrupt, truncated or mismatched checkpoint.
    """
    model, record = load_checkpoint(DEFAULT_CHECKPOINT if path is None else Path(path), device=device)
    return PFN(model, record, device=device)
