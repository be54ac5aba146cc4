"""Multi-objective benchmark problems (2-4 objectives, some constrained), evaluated by BoTorch's own
test-function module (``botorch.test_functions.multi_objective``; the ``botorch`` extra).

Each :class:`MOProblem` is minimised in every objective (BoTorch's default, ``negate=False``); its
reference point and, where BoTorch states one, the maximal hypervolume come from BoTorch, so
"hypervolume regret" is ``max_hv - HV(feasible front)``. Constraints follow pfnopt's convention:
feasible iff every value <= 0 (BoTorch's slack ``s >= 0`` is passed as ``-s``).

    from pfnopt.problems.multiobjective import get, names
    p = get("branin_currin")
    study = pfnopt.create_study(directions=p.directions, sampler="pfn")
    study.optimize(p.objective, n_trials=40)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from pfnopt.exceptions import ParameterError, missing_extra
from pfnopt.space import Float, SearchSpace

# name -> (BoTorch class name, constructor keyword arguments)
_SPECS: dict[str, tuple[str, dict[str, Any]]] = {
    "branin_currin": ("BraninCurrin", {}),
    "zdt1_4d": ("ZDT1", {"dim": 4}),
    "dtlz2_4d_2obj": ("DTLZ2", {"dim": 4, "num_objectives": 2}),
    "dtlz2_5d_3obj": ("DTLZ2", {"dim": 5, "num_objectives": 3}),
    "car_side_impact_4obj": ("CarSideImpact", {}),
    "constrained_branin_currin": ("ConstrainedBraninCurrin", {}),
    "c2dtlz2_4d": ("C2DTLZ2", {"dim": 4, "num_objectives": 2}),
}
QUICK = ("branin_currin", "constrained_branin_currin")


@dataclass
class MOProblem:
    """A multi-objective problem: ``k`` objectives and ``m`` constraints over a box of ``d`` floats."""

    name: str
    space: SearchSpace
    n_objectives: int
    n_constraints: int
    ref_point: np.ndarray  # k, minimisation form
    max_hv: float | None
    _fn: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] = field(repr=False)

    @property
    def dim(self) -> int:
        return len(self.space)

    @property
    def directions(self) -> list[str]:
        return ["minimize"] * self.n_objectives

    def evaluate(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(F, G)``: objectives ``n x k`` and constraints ``n x m`` at ``X`` (``n x d``, natural units)."""
        return self._fn(np.atleast_2d(np.asarray(X, dtype=float)))

    def objective(self, trial: Any) -> tuple[float, ...]:
        """A study objective: suggests every variable, sets the constraints, returns the ``k`` values."""
        x = np.array([[trial.suggest(n, d) for n, d in self.space.items()]])
        F, G = self.evaluate(x)
        if self.n_constraints:
            trial.set_constraints([float(g) for g in G[0]])
        return tuple(float(f) for f in F[0])


def names() -> list[str]:
    return list(_SPECS)


def get(name: str) -> MOProblem:
    """The problem ``name`` (see :func:`names`)."""
    if name not in _SPECS:
        raise ParameterError(f"unknown multi-objective problem {name!r}; allowed: {', '.join(_SPECS)}")
    try:
        import torch
        from botorch.test_functions import multi_objective as tf
    except ImportError:
        raise missing_extra("botorch", "botorch") from None
    cls, kwargs = _SPECS[name]
    fn = getattr(tf, cls)(**kwargs)
    bounds = fn.bounds.double().numpy()  # 2 x d
    space = SearchSpace({f"x{i}": Float(float(lo), float(hi)) for i, (lo, hi) in enumerate(bounds.T)})
    m = int(getattr(fn, "num_constraints", 0) or 0)

    def evaluate(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.no_grad():
            Xt = torch.as_tensor(X, dtype=torch.float64)
            F = fn.evaluate_true(Xt).numpy()
            G = -fn.evaluate_slack_true(Xt).numpy() if m else np.zeros((len(X), 0))
        return F, G

    try:
        max_hv = float(fn.max_hv)
    except (NotImplementedError, AttributeError, ValueError):
        max_hv = None
    return MOProblem(name, space, int(fn.num_objectives), m, fn.ref_point.double().numpy(), max_hv, evaluate)
