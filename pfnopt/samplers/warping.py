"""Output warping: monotone per-column transforms of the modelled columns, fitted on the observations.

Why: engineering objectives and constraints are power laws, products and ratios of their inputs, with dynamic
ranges of 1e3-1e6 over the search space (``benchmarks/pfn/engineering_fidelity.md``). The PFN sees each column
standardised by the context's mean and spread, so a few huge values (a beam far too thin: a stress constraint
at 1e4 where the boundary is 0) set the scale, and the region that decides the optimum -- values near the
incumbent, constraint values near 0 -- is squeezed into a sliver of one bucket, below the model's predictive
floor. A monotone transform that is linear near the region that matters and logarithmic beyond it gives that
region its share of the standardised range back, without changing which points are better or feasible.

Transforms (``s`` a scale fitted per column, ``y`` in minimisation form):

* objective: ``y' = log1p((y - y_min) / s)``, ``y_min`` the lowest observed value, ``s`` the median of
  ``y - y_min``: linear over the better half of the observations, logarithmic over the worse half.
  The incumbent maps to ``warp(best)``; EI is then taken in the warped units (as HEBO does with its power
  transforms): the same points improve, weighed by improvement in log units far from the incumbent.
* constraint: ``c' = sign(c) log1p(|c| / s)``, ``s`` the median of ``|c|``: zero stays zero, so the
  feasibility test (``c <= 0``) and every ``P(c <= 0)`` are those of the original column.

Both are strictly increasing, so the warped data have the same order, the same feasible set and the same
incumbent as the original. Only the PFN's inputs change: the posterior is read in warped units throughout
(acquisition values, believed values of pending points), never mapped back. Which columns are warped:
``"none"`` (off), ``"constraints"``, ``"all"``.

Measured (``benchmarks/pfn/ablation.md``, variants ``v2c-warpc`` and ``v2c-warp`` against the suite's pfn-cei
cells, 8 engineering problems x 5 seeds, 100 evaluations): warping the constraints lowered the median final gap
on 2 of 8 problems (heat_exchanger 904 vs 1,346, tension_compression_spring) and raised it on 6 (median ratio
1.50; three_bar_truss 36x); warping the objective too, on 1 of 8 (median ratio 1.36). The scale of the outputs
is not what keeps the PFN behind a fitted GP on these problems, so the sampler's default is ``"none"``; the
option stays for users whose outputs span many decades, and so that the ablation can be rerun.

Shapes: ``Y`` ``n x (1 + m)`` (objective first, then the ``m`` constraint columns).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WARPS = ("none", "constraints", "all")


def _scale(values: np.ndarray) -> float:
    """A positive scale: the median of ``values`` (non-negative), else their mean, else 1."""
    for s in (float(np.median(values)), float(values.mean())):
        if np.isfinite(s) and s > 0:
            return s
    return 1.0


@dataclass(frozen=True)
class OutputWarp:
    """The fitted warp of each column (see the module docstring): ``offset`` and ``scale`` per column,
    ``kind`` ``"objective"``, ``"constraint"`` or ``"identity"``."""

    kinds: tuple[str, ...]
    offsets: np.ndarray  # 1 + m
    scales: np.ndarray  # 1 + m

    @classmethod
    def fit(cls, Y: np.ndarray, warp: str) -> OutputWarp:
        """Fit on the ``n x (1 + m)`` observed columns; ``warp`` one of :data:`WARPS`."""
        if warp not in WARPS:
            raise ValueError(f"warp={warp!r} is not known; allowed: {', '.join(WARPS)}")
        Y = np.asarray(Y, dtype=float)
        k = Y.shape[1]
        kinds = ["identity"] * k
        offsets, scales = np.zeros(k), np.ones(k)
        if warp == "all" and len(Y):
            kinds[0] = "objective"
            offsets[0] = Y[:, 0].min()
            scales[0] = _scale(Y[:, 0] - offsets[0])
        if warp in ("constraints", "all") and len(Y):
            for j in range(1, k):
                kinds[j] = "constraint"
                scales[j] = _scale(np.abs(Y[:, j]))
        return cls(tuple(kinds), offsets, scales)

    def __call__(self, Y: np.ndarray) -> np.ndarray:
        """Warp the ``n x (1 + m)`` columns ``Y`` (any values, not only the fitted ones)."""
        Y = np.asarray(Y, dtype=float)
        out = Y.copy()
        for j, kind in enumerate(self.kinds):
            if kind == "objective":
                # below the fitted minimum (a value told after the fit) the log1p would fail: continue linearly
                z = (Y[:, j] - self.offsets[j]) / self.scales[j]
                out[:, j] = np.where(z >= 0, np.log1p(np.maximum(z, 0.0)), z)
            elif kind == "constraint":
                out[:, j] = np.sign(Y[:, j]) * np.log1p(np.abs(Y[:, j]) / self.scales[j])
        return out

    def objective(self, y: float | None) -> float | None:
        """Warp one objective value (the incumbent); None stays None."""
        if y is None:
            return None
        return float(self(np.array([[y] + [0.0] * (len(self.kinds) - 1)]))[0, 0])
