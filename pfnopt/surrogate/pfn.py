"""The user-facing PFN surrogate: validation, y normalisation, context limits, batched inference.

    pfn = load_pfn()                           # the shipped default (or load_pfn(path))
    post = pfn.posterior(X_ctx, Y_ctx, X_new)  # one batched forward for all m outputs
    ctx = pfn.condition(X_ctx, Y_ctx)          # encode the context once ...
    post = ctx.posterior(X_new)                # ... then score any number of candidate chunks cheaply

Normalisation: each output column is standardised by its context mean and standard deviation (the contract
the model was trained with, ``model.standardize``); the bar borders are mapped back to user units, so every
statistic of the posterior is in user units. Optionally (``trend="linear"``) a least-squares plane is taken out
of each output first and added back to the posterior (:mod:`pfnopt.surrogate.trend`).

This module is inference only. Options the benchmarks measured and found weaker (a Yeo-Johnson power transform
of the outputs, a test-time symmetry ensemble) live in :mod:`pfnopt.surrogate.research`, built on the same
``PFN.prepare`` / ``PFN.encode`` steps and the same :class:`Context`.

Context limit: a model is trained for at most ``n_max`` context points. With more, pfnopt keeps the
``n_max // 2`` points with the lowest value of output column ``best_column`` (the objective by convention)
and fills the rest with a greedy max-min (space-filling) subset of the remaining points, and logs a warning
naming both numbers. More than ``d_max`` inputs is an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from pfnopt.surrogate.checkpoint import load_checkpoint
from pfnopt.surrogate.errors import InputShapeError, InputTypeError, InputValueError
from pfnopt.surrogate.model import PFNTransformer, standardize
from pfnopt.surrogate.posterior import Posterior
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


@dataclass
class Prepared:
    """A validated context before encoding (:meth:`PFN.prepare`): the rows kept, in the frame's coordinates,
    with the trend taken out and the per-output normalisation.

    Attributes:
        x: ``n x d`` inputs in ``[0, 1]`` (the frame's coordinates); y: ``m x n`` outputs minus the trend
            (float64, user units); loc, scale: ``m x 1`` the normalisation of ``y``; plane: the trend or None;
        indices: the rows of ``X_ctx`` kept (``n <= n_max``); d: inputs.
    """

    x: Tensor
    y: Tensor
    loc: Tensor
    scale: Tensor
    plane: LinearTrend | None
    indices: Tensor
    d: int

    def standardized(self) -> Tensor:
        """``m x n`` float32 values as the model sees them."""
        return ((self.y - self.loc) / self.scale).float()


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
        trend: LinearTrend | None = None,
        frame: Frame | None = None,
    ):
        self.pfn = pfn
        self.frame = frame
        self.trend = trend  # the plane taken out of the context's outputs, or None
        self.cache = cache
        self.loc, self.scale = loc, scale
        self.d, self.m = d, loc.shape[0]
        self.indices = indices
        self.n = int(indices.shape[0])

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

    def extend(self, X_add, Y_add) -> Context:
        """This context with ``p`` more points appended to its cache, not encoded again (pending points).

        The new points are read in the context's frame, with its trend and normalisation (``loc``, ``scale``
        are not refitted), and attend to the cached context and to each other; the cached keys/values are
        reused unchanged (:meth:`PFNTransformer.extend_context`), so the result approximates
        ``PFN.condition`` on the union at a fraction of its cost (``benchmarks/samplers/pending_append.md``).

        Args:
            X_add: ``p x d`` global unit-cube points (numpy or torch); Y_add: ``p x m`` values in user units.
        Returns:
            a new :class:`Context` of ``n + p`` points (``indices`` unchanged: the appended points are not rows
            of the original ``X_ctx``); with ``p = 0`` it scores exactly as this one.
        """
        x, _, _ = _as_tensor(X_add, "X_add")
        y, _, _ = _as_tensor(Y_add, "Y_add")
        if y.dim() == 1:
            y = y.unsqueeze(-1)
        if x.dim() != 2 or x.shape[1] != self.d or y.dim() != 2 or y.shape != (x.shape[0], self.m):
            raise InputShapeError(
                f"X_add / Y_add have shapes {tuple(x.shape)} / {tuple(y.shape)}; expected (p, {self.d}) / (p, {self.m})"
            )
        _check_finite(x, "X_add")
        _check_finite(y, "Y_add")
        _check_unit_cube(x, "X_add")
        x = x.detach().double()
        if self.frame is not None:
            x = self.frame.to_local_t(x)
        y = y.detach().double().cpu()
        if self.trend is not None:
            y = y - self.trend.shift(x.cpu())
        yn = ((y.t() - self.loc[:, None].cpu().double()) / self.scale[:, None].cpu().double()).float()  # m x p
        d_t = torch.tensor([self.d], device=self.pfn.device)
        with torch.no_grad():
            cache = self.pfn.model.extend_context(
                self.cache, x.to(self.pfn.device, torch.float32).clamp(0.0, 1.0).unsqueeze(0), yn.to(self.pfn.device),
                d_t)
        out = Context(self.pfn, cache, self.loc, self.scale, self.d, self.indices, self.trend, self.frame)
        out.n = self.n + int(x.shape[0])
        return out

    def _logits(self, chunk: Tensor, d_t: Tensor) -> Tensor:
        """``c x d`` float32 candidates (frame coordinates, model device) -> ``m x c x K`` logits."""
        return self.pfn.model.predict(self.cache, chunk.unsqueeze(0), d_t)

    def _bars(self) -> tuple[Tensor, Any, Any]:
        """``(borders, loc, scale)`` that map the logits' buckets to user units."""
        return self.pfn.model.borders, self.loc, self.scale

    def _posterior_local(self, x: Tensor, kind: str, dtype: Any, chunk_size: int) -> Posterior:
        """The posterior at ``x`` (``... x q x d``, already in the frame's coordinates)."""
        batch = x.shape[:-1]
        xf = x.reshape(-1, self.d).to(device=self.pfn.device, dtype=torch.float32)
        d_t = torch.tensor([self.d], device=self.pfn.device)
        outs = []
        grad = torch.is_grad_enabled() and x.requires_grad
        with torch.set_grad_enabled(grad):
            for i in range(0, max(1, xf.shape[0]), chunk_size):
                logits = self._logits(xf[i : i + chunk_size], d_t)  # m x c x K
                outs.append(logits.transpose(0, 1))  # c x m x K (a view: no copy of the largest tensor)
        logits = outs[0] if len(outs) == 1 else torch.cat(outs, dim=0)  # the loop runs at least once
        logits = logits.reshape(*batch, self.m, logits.shape[-1])
        borders, loc, scale = self._bars()
        if self.trend is not None:  # each candidate's distribution shifted by the plane: loc becomes ... x q x m
            loc = loc.to(x.device) + self.trend.shift(x)
        return Posterior(logits, borders, loc, scale, kind=kind, dtype=dtype)


class PFN:
    """A pre-trained PFN surrogate. Build with ``load_pfn``.

    Attributes:
        model: the ``PFNTransformer`` (eval mode); ``record``: the checkpoint's JSON record.
        d_max, n_max: the largest number of inputs (a hard limit) and context points (see the module doc).
        trend: default of ``condition`` / ``posterior``: ``"none"`` or ``"linear"`` (pfnopt.surrogate.trend).
    """

    def __init__(self, model: PFNTransformer, record: dict | None = None, device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.record = record or {}
        self.trend = "none"

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

    def condition(self, X_ctx, Y_ctx, best_column: int = 0, trend: str | None = None,
                  frame: Frame | None = None) -> Context:
        """Encode the context once (no gradient) for repeated ``Context.posterior`` calls.

        Args:
            X_ctx: ``n x d`` in ``[0, 1]^d`` (``1 <= d <= d_max``, ``n >= 1``), mapped into ``frame`` when given
                (points outside it are clipped to its faces).
            Y_ctx: ``n x m`` in user units (``n`` for one output).
            best_column: the output whose best values are kept when ``n > n_max`` (see the module doc).
            trend: ``"none"`` or ``"linear"``: a least-squares plane per output is subtracted before the model sees
                the values and added back to the posterior (:mod:`pfnopt.surrogate.trend`; only with at least
                ``2 (d + 1)`` context points). Default ``self.trend``.
            frame: read the context in this box of the unit cube (its coordinates are what the model sees, and
                ``Context.posterior`` maps candidates the same way). Default: the whole cube.
        """
        prep = self.prepare(X_ctx, Y_ctx, best_column=best_column, trend=trend, frame=frame)
        cache = self.encode(prep.x.unsqueeze(0), prep.standardized(), prep.d)
        return Context(self, cache, prep.loc.squeeze(-1), prep.scale.squeeze(-1), prep.d, prep.indices, prep.plane,
                       frame)

    def prepare(self, X_ctx, Y_ctx, best_column: int = 0, trend: str | None = None,
                frame: Frame | None = None) -> Prepared:
        """Validate a context and bring it into the model's terms, short of encoding it (``condition``'s
        arguments; the steps that variants of the encoding, :mod:`pfnopt.surrogate.research`, share)."""
        trend = self.trend if trend is None else trend
        if trend not in TRENDS:
            raise InputValueError(f"trend={trend!r} is not allowed; allowed: {TRENDS}")
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
        return Prepared(x.clamp(0.0, 1.0), y_cols, loc, scale, plane, idx, d)

    def encode(self, x: Tensor, yn: Tensor, d: int):
        """The model's context encoding (no gradient): ``x`` ``b' x n x d`` in ``[0, 1]`` (``b'`` 1 or ``b``),
        ``yn`` ``b x n`` standardised values. Returns the per-layer key/value cache of ``b`` contexts."""
        xf = x.to(device=self.device, dtype=torch.float32)
        with torch.no_grad():
            return self.model.encode_context(xf, yn.to(self.device), torch.tensor([d], device=self.device))

    def posterior(self, X_ctx, Y_ctx, X_new, best_column: int = 0, trend: str | None = None) -> Posterior:
        """Posterior predictive at ``X_new`` given the context, all ``m`` outputs in one batched pass.

        Args:
            X_ctx: ``n x d`` in ``[0, 1]^d``; Y_ctx: ``n x m`` (user units); X_new: ``... x q x d``.
        Returns:
            ``Posterior`` with ``batch_shape`` ``... x q x m`` (statistics in user units, the kind of X_new).
        """
        return self.condition(X_ctx, Y_ctx, best_column=best_column, trend=trend).posterior(X_new)


def load_pfn(path: str | Path | None = None, device: str | torch.device = "cpu") -> PFN:
    """Load a PFN checkpoint directory (safetensors + JSON; never unpickles). Default: the shipped model.

    Raises ``CheckpointError`` for a missing, corrupt, truncated or mismatched checkpoint.
    """
    model, record = load_checkpoint(DEFAULT_CHECKPOINT if path is None else Path(path), device=device)
    return PFN(model, record, device=device)
