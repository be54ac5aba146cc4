"""The :class:`Problem` contract shared by every benchmark problem.

A problem is: minimise ``f(x)`` subject to ``g_i(x) <= 0`` for ``i = 1..m`` (feasible iff every
``g_i <= 0``; exactly 0 counts as feasible), over a box of ``d`` variables in natural units.

Shapes (one vocabulary throughout): ``n`` points, ``d`` variables, ``m`` constraints.

* ``evaluate(X)``: ``X`` is ``n x d`` (a single ``d``-vector is read as ``1 x d``) ->
  ``f`` of shape ``(n,)`` and ``g`` of shape ``(n, m)`` (``(n, 0)`` for an unconstrained problem).
  It is plain mathematics: it neither snaps discrete variables to their grid nor refuses points
  outside the box; ``space`` is what keeps a sampler inside the admissible set.
* ``space``: the pfnopt :class:`~pfnopt.space.SearchSpace`; its parameter order is the column
  order of ``X`` and the row order of ``bounds``.
* ``optimum`` / ``optimum_x``: best known feasible value and where, ``None`` if unknown.
  ``optimum_tol`` is the relative tolerance the spec states for ``f(optimum_x)`` (absolute when
  ``optimum == 0``): ``|f(optimum_x) - optimum| <= optimum_tol * |optimum|``.

Nothing of a problem changes after construction; ``get`` builds a fresh one on every call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from pfnopt.exceptions import NotSupportedError, ParameterError
from pfnopt.space import Categorical, Float, Int, SearchSpace

# (n x d array) -> (f of shape (n,), g of shape (n, m))
EvalFn = Callable[[np.ndarray], "tuple[np.ndarray, np.ndarray]"]


def _dist_bounds(dist: Float | Int | Categorical) -> tuple[float, float]:
    """Natural-units range of one variable; a categorical of numbers spans min..max of its choices."""
    if isinstance(dist, Categorical):
        values = [float(c) for c in dist.choices]
        return min(values), max(values)
    return float(dist.low), float(dist.high)


class Problem:
    """One benchmark case: a vectorised ``evaluate`` plus its search space and known optimum.

    Args:
        name: registry name, e.g. ``"pressure_vessel"``.
        space: mapping ``parameter name -> Float | Int | Categorical`` in the column order of ``X``.
            Categorical choices must be numbers (their value is the variable's natural value).
        fn: the vectorised formulas, ``n x d`` -> ``((n,), (n, m))``; called on validated input.
        n_constraints: ``m``.
        variant: ``"default"`` (the corrected engineering formulation) or ``"paper"`` (what the
            paper's experiments ran).
        suite: ``"engineering"`` or ``"synthetic"``.
        optimum, optimum_x, optimum_tol: see the module docstring.
        reference: where the formulation comes from (one line).
    """

    def __init__(
        self,
        name: str,
        space: Mapping[str, Float | Int | Categorical],
        fn: EvalFn,
        n_constraints: int,
        *,
        variant: str = "default",
        suite: str = "engineering",
        optimum: float | None = None,
        optimum_x: Any = None,
        optimum_tol: float = 1e-6,
        reference: str = "",
    ):
        self.name = name
        self.variant = variant
        self.suite = suite
        self.space = space if isinstance(space, SearchSpace) else SearchSpace(space)
        for pname, dist in self.space.items():
            if isinstance(dist, Categorical) and not all(
                isinstance(c, (int, float)) and not isinstance(c, bool) for c in dist.choices
            ):
                raise ParameterError(f"{name}: categorical {pname!r} must have numeric choices, got {dist.choices!r}")
        self.dim = len(self.space)
        self.n_constraints = int(n_constraints)
        self.bounds = np.array([_dist_bounds(d) for d in self.space.values()], dtype=float)  # d x 2
        self.bounds.setflags(write=False)
        self.optimum = None if optimum is None else float(optimum)
        self.optimum_x = None if optimum_x is None else np.array(optimum_x, dtype=float)
        if self.optimum_x is not None:
            self.optimum_x.setflags(write=False)
            if self.optimum_x.shape != (self.dim,):
                raise ParameterError(f"{name}: optimum_x must have shape ({self.dim},), got {self.optimum_x.shape}")
        self.optimum_tol = float(optimum_tol)
        self.reference = reference
        self._fn = fn

    def __repr__(self) -> str:
        return (
            f"Problem({self.name!r}, variant={self.variant!r}, dim={self.dim}, "
            f"n_constraints={self.n_constraints}, optimum={self.optimum!r})"
        )

    @property
    def param_names(self) -> list[str]:
        """Parameter names in column order."""
        return list(self.space)

    # evaluation ---------------------------------------------------------------------------
    def _check_x(self, X: Any) -> np.ndarray:
        expected = f"an n x {self.dim} array (or one {self.dim}-vector) of finite numbers in natural units"
        try:
            A = np.asarray(X, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(f"{self.name}: evaluate expects {expected}, got {X!r}") from None
        if A.ndim == 1 and A.shape[0] == self.dim:
            A = A[None, :]
        if A.ndim != 2 or A.shape[1] != self.dim:
            raise ParameterError(f"{self.name}: evaluate expects {expected}, got shape {tuple(A.shape)}")
        if not np.all(np.isfinite(A)):
            raise ParameterError(f"{self.name}: evaluate expects {expected}, got NaN or inf")
        return A

    def evaluate(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """``X``: ``n x d`` natural units -> ``f``: ``(n,)``, ``g``: ``(n, m)``; feasible iff all ``g <= 0``."""
        A = self._check_x(X)
        f, g = self._fn(A)
        f = np.asarray(f, dtype=float).reshape(A.shape[0])
        g = np.asarray(g, dtype=float).reshape(A.shape[0], self.n_constraints)
        return f, g

    # parameters <-> natural-units vectors --------------------------------------------------
    def params_to_x(self, params: Mapping[str, Any]) -> np.ndarray:
        """A param dict (as a trial or ``space.decode`` gives it) -> the ``(d,)`` vector in bounds order."""
        missing = [k for k in self.space if k not in params]
        if missing:
            raise ParameterError(f"{self.name}: params lack {missing!r}; expected exactly {self.param_names!r}")
        self.space.check(params)
        return np.array([float(params[k]) for k in self.space], dtype=float)

    def x_to_params(self, x: Any) -> dict[str, Any]:
        """A ``(d,)`` natural-units vector -> a param dict, each value snapped to its nearest admissible one."""
        row = self._check_x(x)
        if row.shape[0] != 1:
            raise ParameterError(f"{self.name}: x_to_params expects one {self.dim}-vector, got shape {row.shape}")
        out: dict[str, Any] = {}
        for v, (pname, dist) in zip(row[0], self.space.items(), strict=True):
            if isinstance(dist, Categorical):
                out[pname] = min(dist.choices, key=lambda c: abs(float(c) - v))
                continue
            v = min(max(v, dist.low), dist.high)
            if isinstance(dist, Int):
                out[pname] = int(dist.low + dist.step * round((v - dist.low) / dist.step))
            elif dist.step is not None:
                out[pname] = min(dist.low + dist.step * round((v - dist.low) / dist.step), dist.high)
            else:
                out[pname] = float(v)
        return out

    def evaluate_params(self, params: Mapping[str, Any]) -> tuple[float, np.ndarray]:
        """One param dict -> ``(f, g)`` with ``f`` a float and ``g`` of shape ``(m,)``."""
        f, g = self.evaluate(self.params_to_x(params))
        return float(f[0]), g[0]

    def objective(self, trial: Any) -> float:
        """Ready-made objective for ``study.optimize``: suggests every variable, reports the constraints.

        Calls ``trial.suggest(name, dist)`` once per variable in column order, then (when ``m > 0``)
        ``trial.set_constraints([g_1, ..., g_m])``, and returns ``f``.
        """
        params = {pname: trial.suggest(pname, dist) for pname, dist in self.space.items()}
        f, g = self.evaluate_params(params)
        if self.n_constraints > 0:
            trial.set_constraints([float(v) for v in g])
        return f

    def is_near_optimum(self, f: float) -> bool:
        """Whether ``f`` is within ``optimum_tol`` of ``optimum`` (relative; absolute when it is 0)."""
        if self.optimum is None:
            raise NotSupportedError(f"{self.name}: no known optimum (variant {self.variant!r})")
        scale = abs(self.optimum) if self.optimum != 0 else 1.0
        return bool(math.isfinite(f) and abs(f - self.optimum) <= self.optimum_tol * scale)
