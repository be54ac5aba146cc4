"""The search space's ``snap`` in torch: candidate points moved to admissible encodings on their own device.

:meth:`pfnopt.space.SearchSpace.snap` is the numpy rule (ints and grids to the centre of their cell, log ints
to the unit position of the nearest integer, one-hot blocks to the one-hot of their argmax, continuous columns
clipped to ``[0, 1]``). The acquisition optimiser snaps thousands of candidates per suggestion on the model's
device, so :class:`TorchSnap` applies the same rule to a tensor without leaving it; it is built once per space
from the space's public description (its distributions, in column order, and its encoding) and tested to agree
with the numpy rule (``tests/acquisition/test_optimize_torch.py``).

Shapes: ``N`` candidates, ``D = space.dim`` columns.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from pfnopt.space import Categorical, Float, Int, SearchSpace


class TorchSnap:
    """``snap(U)`` for an ``N x D`` tensor, any floating dtype, any device (returns a new tensor)."""

    def __init__(self, space: SearchSpace):
        self.dim = space.dim
        self.onehot: list[tuple[int, int]] = []  # (first column, width) of each one-hot block
        self.fixed: list[int] = []  # single-valued parameters: always 0.5
        cell_cols: list[int] = []  # equal-width cells: ordinal categoricals, linear ints, grids
        cell_counts: list[int] = []
        self.log_ints: list[tuple[int, int, int, float, float]] = []  # (column, low, high, log lo, log hi)
        col = 0
        for dist in space.values():
            if isinstance(dist, Categorical) and space.encoding == "onehot":
                self.onehot.append((col, len(dist.choices)))
                col += len(dist.choices)
                continue
            if dist.single():
                self.fixed.append(col)
            elif isinstance(dist, Categorical):
                cell_cols.append(col)
                cell_counts.append(len(dist.choices))
            elif isinstance(dist, Int) and dist.log:
                self.log_ints.append((col, dist.low, dist.high, math.log(dist.low - 0.5), math.log(dist.high + 0.5)))
            elif isinstance(dist, Int) or (isinstance(dist, Float) and dist.step is not None):
                cell_cols.append(col)
                cell_counts.append(int(round((dist.high - dist.low) / dist.step)) + 1)
            col += 1
        if col != space.dim:  # the layout rule of SearchSpace changed: fail loudly rather than snap wrongly
            raise RuntimeError(f"TorchSnap laid out {col} columns for a space of dim {space.dim}")
        self.cell_cols = torch.tensor(cell_cols, dtype=torch.long)
        self.cell_counts = torch.tensor(cell_counts, dtype=torch.float64)
        self._on: dict = {}

    def _cells(self, U: Tensor) -> tuple[Tensor, Tensor]:
        key = (U.device, U.dtype)
        if key not in self._on:
            self._on[key] = (self.cell_cols.to(U.device), self.cell_counts.to(device=U.device, dtype=U.dtype))
        return self._on[key]

    def __call__(self, U: Tensor) -> Tensor:
        """``N x D`` -> ``N x D`` snapped (no gradient flows through the discrete columns)."""
        U = U.detach().clamp(0.0, 1.0).clone()
        for start, width in self.onehot:
            block = torch.zeros_like(U[:, start : start + width])
            block.scatter_(1, U[:, start : start + width].argmax(dim=1, keepdim=True), 1.0)
            U[:, start : start + width] = block
        if self.fixed:
            U[:, self.fixed] = 0.5
        if len(self.cell_cols):
            cols, n = self._cells(U)
            U[:, cols] = (torch.minimum(torch.floor(U[:, cols] * n), n - 1) + 0.5) / n
        for col, low, high, lo, hi in self.log_ints:
            v = torch.round(torch.exp(lo + U[:, col] * (hi - lo))).clamp(low, high)
            U[:, col] = (torch.log(v) - lo) / (hi - lo)
        return U
