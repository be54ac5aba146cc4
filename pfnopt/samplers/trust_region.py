"""The local box the PFN sampler zooms into once a feasible incumbent exists.

Why: conditioned on every trial over the whole cube, the shipped PFN smooths the neighbourhood of
the incumbent (its predictive spread at observed points is a third of the context's standard
deviation), so EI keeps proposing points 0.2-0.4 away from it and never refines. Conditioned on
the trials inside a box around the incumbent, rescaled to the unit cube and re-standardised, the
same model sees the local variation at full scale and resolves it. Measured on Branin, Hartmann-6
and Ackley-5 (``benchmarks/samplers/local_box.md``).

The rule, recomputed from the trial history at every suggestion (no stored state, restart-safe):

* centre: the best feasible trial;
* half-width ``h = h0 * 0.5 ** (k mod levels)`` in unit-cube units, ``k = s // (2 d)`` where ``s``
  counts the model-based trials since the best feasible value last improved: the box halves after
  every ``2 d`` trials without progress and, once it would drop below ``h_min``, opens again at
  ``h0`` (a restart around the same incumbent after a long stall);
* candidates are drawn inside the box; the context is the trials inside the box widened by 10%
  on each side (so suggestions on its faces are never lost from it), in that box's coordinates;
  when fewer than ``max(5, d + 1)`` trials are in the box, it grows to the L-infinity radius of
  that many nearest trials;
* categorical columns are never boxed: every category stays open.

While nothing is feasible there is no box: the global model searches for feasibility.
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


def stalled_trials(obs: Observations, n_startup: int) -> int:
    """Model-based trials (in number order) since the best feasible value last improved."""
    best, stall = np.inf, 0
    feasible = obs.feasible
    for i, idx in enumerate(np.argsort(obs.numbers)):
        if feasible[idx] and obs.y[idx] < best:
            best, stall = float(obs.y[idx]), 0
        elif i >= n_startup:
            stall += 1
    return stall


def half_width(stall: int, dim: int, h0: float = H0, h_min: float = H_MIN) -> float:
    """``h0`` halved per ``2 * dim`` stalled trials, cycling back to ``h0`` below ``h_min``."""
    levels = 1 + int(np.floor(np.log2(h0 / h_min)))  # h0, h0/2, ... >= h_min
    return h0 * 0.5 ** ((stall // max(1, 2 * dim)) % levels)


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
