"""The search space and its ONE mapping to and from the unit cube.

Every sampler (random, Sobol, PFN, the GP baselines) goes through :class:`SearchSpace` to turn
trials into points of ``[0, 1]^D`` and candidate points back into parameters, so that ints are
rounded, grids respected and categoricals decoded the same way everywhere.

Columns (``D = space.dim``): one per float/int parameter (log parameters on the log scale, every
admissible integer or grid point owning a cell of equal width), and for a categorical with ``k``
choices either ``k`` one-hot columns (``encoding="onehot"``, the default; decoded by argmax) or
one ordinal column (``encoding="ordinal"``).

Inactive parameters (conditional spaces: a trial that never suggested ``heads`` because its
family has no attention) are encoded at the neutral value 0.5, and a one-hot block at ``1/k`` in
every column, so the surrogate sees "no information" rather than a made-up choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from pfnopt.exceptions import ParameterError
from pfnopt.space.distributions import Categorical, Distribution, Float, Int, check_value

NEUTRAL = 0.5


@dataclass(frozen=True)
class _Block:
    name: str
    dist: Distribution
    start: int  # first column
    width: int  # 1, or k for a one-hot categorical
    onehot: bool


class SearchSpace(Mapping[str, Distribution]):
    """An ordered mapping ``name -> distribution`` with the unit-cube mapping.

    Example::

        space = SearchSpace({"x": Float(0.1, 2, log=True), "n": Int(1, 8), "kind": Categorical(["a", "b"])})
        U = space.encode([{"x": 1.0, "n": 3, "kind": "b"}])   # 1 x 4 (x, n, kind=a, kind=b)
        space.decode(np.random.rand(5, space.dim))            # list of 5 param dicts
    """

    def __init__(self, distributions: Mapping[str, Distribution], encoding: str = "onehot"):
        if encoding not in ("onehot", "ordinal"):
            raise ParameterError(f"encoding must be 'onehot' or 'ordinal', got {encoding!r}")
        self._dists: dict[str, Distribution] = {}
        for name, dist in distributions.items():
            if not isinstance(name, str) or not name:
                raise ParameterError(f"parameter names must be non-empty strings, got {name!r}")
            if not isinstance(dist, (Float, Int, Categorical)):
                raise ParameterError(
                    f"parameter {name!r}: expected pfnopt.Float, Int or Categorical, got {dist!r}"
                )
            self._dists[name] = dist.validate(name)
        self.encoding = encoding
        blocks, col = [], 0
        for name, dist in self._dists.items():
            onehot = isinstance(dist, Categorical) and encoding == "onehot"
            width = len(dist.choices) if onehot else 1
            blocks.append(_Block(name, dist, col, width, onehot))
            col += width
        self._blocks: tuple[_Block, ...] = tuple(blocks)
        self.dim: int = col

    # Mapping protocol ---------------------------------------------------------------------
    def __getitem__(self, name: str) -> Distribution:
        return self._dists[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dists)

    def __len__(self) -> int:
        return len(self._dists)

    def __repr__(self) -> str:
        return f"SearchSpace({self._dists!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchSpace) and self._dists == other._dists and self.encoding == other.encoding

    def __hash__(self) -> int:
        return hash((tuple(self._dists.items()), self.encoding))

    # checks ------------------------------------------------------------------------------
    def check(self, params: Mapping[str, Any]) -> None:
        """Raise a ParameterError naming the first parameter whose value is not admissible."""
        for name, value in params.items():
            if name not in self._dists:
                raise ParameterError(f"unknown parameter {name!r}; the space has {list(self._dists)!r}")
            check_value(name, self._dists[name], value)

    def columns(self) -> list[str]:
        """Names of the D unit-cube columns (``kind=a`` for a one-hot column)."""
        out: list[str] = []
        for b in self._blocks:
            out += [f"{b.name}={c}" for c in b.dist.choices] if b.onehot else [b.name]
        return out

    def integer_columns(self) -> np.ndarray:
        """Boolean mask (D,) of columns whose values are discrete (ints, grids, categoricals)."""
        mask = np.zeros(self.dim, dtype=bool)
        for b in self._blocks:
            d = b.dist
            if isinstance(d, (Int, Categorical)) or (isinstance(d, Float) and d.step is not None):
                mask[b.start : b.start + b.width] = True
        return mask

    def categorical_columns(self) -> np.ndarray:
        """Boolean mask (D,) of the columns of categorical parameters (one-hot blocks or ordinal codes)."""
        mask = np.zeros(self.dim, dtype=bool)
        for b in self._blocks:
            if isinstance(b.dist, Categorical):
                mask[b.start : b.start + b.width] = True
        return mask

    # the mapping -------------------------------------------------------------------------
    def encode(self, params_list: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Params (external values) -> ``n x D`` array in [0, 1]; missing parameters -> neutral."""
        U = np.full((len(params_list), self.dim), NEUTRAL)
        for b in self._blocks:
            if b.onehot:
                U[:, b.start : b.start + b.width] = 1.0 / b.width
            for i, params in enumerate(params_list):
                if b.name not in params:
                    continue
                internal = b.dist.to_internal(params[b.name])
                if b.onehot:
                    U[i, b.start : b.start + b.width] = 0.0
                    U[i, b.start + int(internal)] = 1.0
                else:
                    U[i, b.start] = b.dist.to_unit(internal)
        return U

    def decode(self, U: np.ndarray) -> list[dict[str, Any]]:
        """``n x D`` points (clipped to [0, 1]) -> params in external form, always inside the space."""
        U = np.asarray(U, dtype=float)
        if U.ndim == 1:
            U = U[None, :]
        if U.ndim != 2 or U.shape[1] != self.dim:
            raise ParameterError(f"decode expects an n x {self.dim} array, got shape {tuple(U.shape)}")
        if not np.all(np.isfinite(U)):
            raise ParameterError("decode got NaN or inf in the unit-cube points")
        U = np.clip(U, 0.0, 1.0)
        out: list[dict[str, Any]] = [dict() for _ in range(U.shape[0])]
        for b in self._blocks:
            if b.onehot:
                idx = np.argmax(U[:, b.start : b.start + b.width], axis=1)
                for i, k in enumerate(idx):
                    out[i][b.name] = b.dist.choices[int(k)]
            else:
                for i in range(U.shape[0]):
                    out[i][b.name] = b.dist.from_unit(U[i, b.start])
        return out

    def snap(self, U: np.ndarray) -> np.ndarray:
        """Vectorised ``round_trip``: ``n x D`` points moved to the encodings of admissible params.

        Continuous columns are clipped to [0, 1]; ints and grids go to the centre of their cell
        (log ints to the unit position of the nearest integer); one-hot blocks to the one-hot of
        their argmax. Used on every candidate batch, so no Python loop over rows.
        """
        U = np.clip(np.asarray(U, dtype=float), 0.0, 1.0).copy()
        for b in self._blocks:
            d, cols = b.dist, slice(b.start, b.start + b.width)
            if b.onehot:
                idx = np.argmax(U[:, cols], axis=1)
                U[:, cols] = 0.0
                U[np.arange(U.shape[0]), b.start + idx] = 1.0
            elif d.single():
                U[:, b.start] = 0.5
            elif isinstance(d, Categorical):
                k = len(d.choices)
                U[:, b.start] = (np.minimum(np.floor(U[:, b.start] * k), k - 1) + 0.5) / k
            elif isinstance(d, Int) and d.log:
                lo, hi = np.log(d.low - 0.5), np.log(d.high + 0.5)
                v = np.clip(np.rint(np.exp(lo + U[:, b.start] * (hi - lo))), d.low, d.high)
                U[:, b.start] = (np.log(v) - lo) / (hi - lo)
            elif isinstance(d, Int) or d.step is not None:
                n = int(round((d.high - d.low) / d.step)) + 1
                U[:, b.start] = (np.minimum(np.floor(U[:, b.start] * n), n - 1) + 0.5) / n
        return U

    def round_trip(self, U: np.ndarray) -> np.ndarray:
        """Snap ``n x D`` points to the encodings of the params they decode to (ints/one-hot exact)."""
        return self.encode(self.decode(U))

    def subset(self, names: Sequence[str]) -> "SearchSpace":
        return SearchSpace({n: self._dists[n] for n in names}, self.encoding)


def as_space(space: "SearchSpace | Mapping[str, Distribution]") -> SearchSpace:
    """Accept a SearchSpace or a plain dict of distributions."""
    return space if isinstance(space, SearchSpace) else SearchSpace(space)
