"""The local box the PFN sampler zooms into, around its incumbent.

Why: conditioned on every trial over the whole cube, the shipped PFN smooths the neighbourhood of
the incumbent (its predictive spread at observed points is a third of the context's standard
deviation), so EI keeps proposing points 0.2-0.4 away from it and never refines. Conditioned on
the trials inside a box around the incumbent, rescaled to the unit cube and re-standardised, the
same model sees the local variation at full scale and resolves it. Measured on Branin, Hartmann-6
and Ackley-5 (``benchmarks/samplers/local_box.md``).

The rule, recomputed from the trial history at every suggestion (no stored state, restart-safe):

* centre: the best feasible trial, or while nothing is feasible the least violating one (total
  violation, each constraint scaled by its largest observed violation), as in SCBO (Eriksson and
  Poloczek, 2021): the box then follows the constraints towards the feasible region;
* half-width ``h = h0 * 0.5 ** (k mod levels)`` in unit-cube units, ``k = s // (2 d)`` where ``s``
  counts the model-based trials since the centre's merit last improved: the box halves after
  every ``2 d`` trials without progress and, once it would drop below ``h_min``, opens again at
  ``h0`` (a restart around the same incumbent after a long stall);
* candidates are drawn inside the box; the context is the trials inside the box widened by 10%
  on each side (so suggestions on its faces are never lost from it), in that box's coordinates;
  when fewer than ``max(5, d + 1)`` trials are in the box, it grows to the L-infinity radius of
  that many nearest trials;
* categorical columns are never boxed: every category stays open.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pfnopt.samplers.observations import Observations

H0 = 0.25
H_MIN = 0.05


@dataclass(frozen=True)
class Box:
    """An axis-aligned box ``[lo, hi]`` (``D`` each) inside the unit cube."""

    lo: np.ndarray
    hi: np.ndarray

    @property
    def span(self) -> np.ndarray:
        return np.maximum(self.hi - self.lo, 1e-12)

    def contains(self, X: np.ndarray) -> np.ndarray:
        """Mask (``n``) of the rows of ``X`` (``n x D``) inside the box."""
        return np.all((X >= self.lo - 1e-12) & (X <= self.hi + 1e-12), axis=1)

    def expanded(self, frac: float, free: np.ndarray) -> Box:
        """The box widened by ``frac`` of its span on each side (within the cube; ``free`` columns stay
        ``[0, 1]``). The context is read from this larger box, so that trials suggested on the search
        box's faces (and moved a hair outwards by rounding) are always part of it."""
        pad = np.where(free, 0.0, frac * self.span)
        return Box(np.clip(self.lo - pad, 0.0, 1.0), np.clip(self.hi + pad, 0.0, 1.0))

    def to_local(self, X: np.ndarray) -> np.ndarray:
        """``n x D`` box coordinates in ``[0, 1]`` (points outside are clipped to the faces)."""
        return np.clip((X - self.lo) / self.span, 0.0, 1.0)


def merit(obs: Observations) -> np.ndarray:
    """``n x 2`` ranking keys, lower is better: feasible trials ``(0, y)`` before infeasible ones
    ``(1, total violation)``, the violation of each constraint scaled by its largest observed one."""
    if not obs.m:
        return np.stack([np.zeros(obs.n), obs.y], axis=1)
    violation = np.maximum(obs.C, 0.0)
    scale = violation.max(axis=0)
    scale[scale <= 0] = 1.0
    total = (violation / scale).sum(axis=1)
    feasible = obs.feasible
    return np.stack([(~feasible).astype(float), np.where(feasible, obs.y, total)], axis=1)


def ranking(obs: Observations) -> np.ndarray:
    """Trial indices from best to worst by :func:`merit`; the first is the incumbent."""
    key = merit(obs)
    return np.lexsort((key[:, 1], key[:, 0]))


def improvements(obs: Observations, n_startup: int) -> list[bool]:
    """For each model-based trial (number order, after the first ``n_startup``): did it improve the
    incumbent's :func:`merit`?"""
    key = merit(obs)
    best, out = (np.inf, np.inf), []
    for i, idx in enumerate(np.argsort(obs.numbers)):
        k = (key[idx, 0], key[idx, 1])
        improved = k < best
        if improved:
            best = k
        if i >= n_startup:
            out.append(improved)
    return out


def stalled_trials(obs: Observations, n_startup: int) -> int:
    """Model-based trials (in number order) since the incumbent's merit last improved."""
    stall = 0
    for improved in improvements(obs, n_startup):
        stall = 0 if improved else stall + 1
    return stall


def half_width(stall: int, dim: int, h0: float = H0, h_min: float = H_MIN, stall_per_dim: float = 2.0) -> float:
    """``h0`` halved per ``stall_per_dim * dim`` stalled trials, cycling back to ``h0`` below ``h_min``."""
    levels = 1 + int(np.floor(np.log2(h0 / h_min)))  # h0, h0/2, ... >= h_min
    return h0 * 0.5 ** ((stall // max(1, round(stall_per_dim * dim))) % levels)


def local_box(X: np.ndarray, centre: np.ndarray, half: float, free: np.ndarray, min_points: int) -> Box:
    """The box of half-width ``half`` around ``centre`` (``D``), grown to hold ``min_points`` rows of
    ``X`` (``n x D``) if needed; ``free`` (``D`` bool) columns span ``[0, 1]``."""
    boxed = ~free

    def make(radius: float) -> Box:
        lo, hi = np.clip(centre - radius, 0.0, 1.0), np.clip(centre + radius, 0.0, 1.0)
        return Box(np.where(boxed, lo, 0.0), np.where(boxed, hi, 1.0))

    box = make(half)
    if box.contains(X).sum() < min(min_points, len(X)):
        dist = np.abs(X - centre)[:, boxed].max(axis=1) if boxed.any() else np.zeros(len(X))
        box = make(max(half, float(np.sort(dist)[min(min_points, len(X)) - 1])))
    return box


# --- the region strategies the PFN sampler is built with ------------------------------------------------------
@dataclass(frozen=True)
class Region:
    """Where one suggestion looks: candidates inside ``search`` (None: the whole cube), the context read in
    ``frame`` (in its coordinates)."""

    search: Box | None
    frame: Box
    half_width: float | None = None


@dataclass(frozen=True)
class TrustRegion:
    """The local box of this module's docstring, as a strategy object (``PFNSampler(region=TrustRegion(...))``).

    Args:
        h0, h_min: the largest half-width and the one below which the box opens again.
        context_pad: the context is read from the search box widened by this fraction of its span on each
            side; None reads it from the whole cube.
        min_points, min_points_per_dim: the box grows until it holds ``max(min_points, per_dim * d + 1)``
            trials.
        stall_per_dim: the box halves after ``stall_per_dim * d`` model-based trials without progress.
    """

    h0: float = H0
    h_min: float = H_MIN
    context_pad: float | None = 0.1
    min_points: int = 5
    min_points_per_dim: int = 1
    stall_per_dim: float = 2.0

    def choose(self, obs: Observations, space, centre: int, n_startup: int) -> Region:
        """The region around trial ``centre`` (the incumbent's row of ``obs``)."""
        half = half_width(stalled_trials(obs, n_startup), space.dim, self.h0, self.h_min, self.stall_per_dim)
        free = space.categorical_columns()
        need = max(self.min_points, self.min_points_per_dim * space.dim + 1)
        box = local_box(obs.X, obs.X[centre], half, free, need)
        if self.context_pad is None:
            frame = Box(np.zeros(space.dim), np.ones(space.dim))
        else:
            frame = box.expanded(self.context_pad, free)
        return Region(box, frame, half)


@dataclass(frozen=True)
class WholeCube:
    """No local box: condition on every trial, search the whole cube (``PFNSampler(local=False)``)."""

    def choose(self, obs: Observations, space, centre: int, n_startup: int) -> Region:
        return Region(None, Box(np.zeros(space.dim), np.ones(space.dim)))
