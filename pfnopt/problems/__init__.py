"""Benchmark problems, usable like ``botorch.test_functions``.

    from pfnopt import problems
    p = problems.get("pressure_vessel")            # or variant="paper"; problems.names() lists all
    f, g = p.evaluate(X)                           # X: n x d natural units; feasible iff all g <= 0
    study.optimize(p.objective, n_trials=50)

Suites: ``"engineering"`` (the 17 constrained cases of Yu, Picard & Ahmed 2024, formulas in
``engineering-problems.md``) and ``"synthetic"`` (Branin, Hartmann-6, Ackley-5, Gramacy).
"""

from pfnopt.problems.base import Problem
from pfnopt.problems.registry import get, names, variants

__all__ = ["Problem", "get", "names", "variants"]
