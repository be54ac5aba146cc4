"""The benchmark's synthetic constrained problems: Ackley (2/6/10-d), GKXWC1/2, JLH1/2, Keane bump.

Formulas, bounds and optima: ``engineering-problems.md`` sections 3.1-3.8. These problems have one
formulation; ``variant="paper"`` builds the same problem (every variable is already continuous).
Parameters are named ``x1..xd``.
"""

from __future__ import annotations

import math

import numpy as np

from pfnopt.problems.base import Problem
from pfnopt.space import Float


def _box(bounds: list[tuple[float, float]]) -> dict[str, Float]:
    return {f"x{i + 1}": Float(lo, hi) for i, (lo, hi) in enumerate(bounds)}


def ackley_value(X: np.ndarray) -> np.ndarray:
    """Ackley (a = 20, b = 0.2, c = 2 pi), minimisation form: ``n x d`` -> ``(n,)``, 0 at x = 0."""
    d = X.shape[1]
    r = np.sqrt(np.sum(X**2, axis=1) / d)
    c = np.sum(np.cos(2.0 * math.pi * X), axis=1) / d
    return -20.0 * np.exp(-0.2 * r) - np.exp(c) + 20.0 + math.e


def _ackley_constrained(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # SCBO's construction (3.1-3.3): sum(x) <= 0 and ||x|| <= 5 (radius 5, not the 3 of the repo comment).
    g = np.stack([np.sum(X, axis=1), np.linalg.norm(X, axis=1) - 5.0], axis=1)
    return ackley_value(X), g


def _ackley(d: int):
    def build(variant: str) -> Problem:
        return Problem(
            f"ackley_{d}d",
            _box([(-5.0, 10.0)] * d),
            _ackley_constrained,
            2,
            variant=variant,
            optimum=0.0,
            optimum_x=np.zeros(d),
            optimum_tol=1e-9,  # absolute, since f* = 0 (spec section 1, tolerances)
            reference="Eriksson & Poloczek 2021 (SCBO); spec 3.1-3.3",
        )

    return build


def _gkxwc1_fn(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x1, x2 = X[:, 0], X[:, 1]
    f = np.cos(2.0 * x1) * np.cos(x2) + np.sin(x1)
    g = np.cos(x1) * np.cos(x2) - np.sin(x1) * np.sin(x2) - 0.5
    return f, g[:, None]


def gkxwc1(variant: str) -> Problem:
    return Problem(
        "gkxwc1",
        _box([(0.0, 6.0)] * 2),
        _gkxwc1_fn,
        1,
        variant=variant,
        optimum=-2.0,
        optimum_x=[1.5 * math.pi, 0.0],
        reference="Gardner et al. 2014, toy 1; spec 3.4",
    )


def _gkxwc2_fn(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x1, x2 = X[:, 0], X[:, 1]
    return np.sin(x1) + x2, (np.sin(x1) * np.sin(x2) + 0.95)[:, None]


def gkxwc2(variant: str) -> Problem:
    return Problem(
        "gkxwc2",
        _box([(0.0, 6.0)] * 2),
        _gkxwc2_fn,
        1,
        variant=variant,
        optimum=math.asin(0.95) - 1.0,
        optimum_x=[1.5 * math.pi, math.asin(0.95)],
        reference="Gardner et al. 2014, toy 2; spec 3.5",
    )


def _jlh1_fn(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x1, x2 = X[:, 0], X[:, 1]
    return (x1 - 0.5) ** 2 + (x2 - 0.5) ** 2, (x1 + x2 - 0.75)[:, None]


def jlh1(variant: str) -> Problem:
    return Problem(
        "jlh1",
        _box([(0.0, 1.0)] * 2),
        _jlh1_fn,
        1,
        variant=variant,
        optimum=1.0 / 32.0,
        optimum_x=[0.375, 0.375],
        reference="Jetton, Li & Hoyle 2023, problem 1; spec 3.6",
    )


def _jlh2_fn(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x1, x2 = X[:, 0], X[:, 1]
    f = np.cos(2.0 * x1) * np.cos(x2) + np.sin(x1)
    g = (x1 + 5.0) ** 2 / 4.0 + x2**2 / 100.0 - 2.5
    return f, g[:, None]


def jlh2(variant: str) -> Problem:
    a = math.sqrt(10.0) - 5.0  # the constraint's boundary on x2 = 0 (spec 3.7)
    return Problem(
        "jlh2",
        _box([(-5.0, 0.0), (-5.0, 5.0)]),
        _jlh2_fn,
        1,
        variant=variant,
        optimum=math.cos(2.0 * a) + math.sin(a),
        optimum_x=[a, 0.0],
        reference="Jetton, Li & Hoyle 2023, problem 2; spec 3.7",
    )


def _keane_fn(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = X.shape[1]
    c2 = np.cos(X) ** 2
    num = np.abs(np.sum(c2**2, axis=1) - 2.0 * np.prod(c2, axis=1))
    den = np.sqrt(X**2 @ np.arange(1.0, d + 1.0))
    # B is undefined (0/0 in the limit sense, spec 3.8 quirk) only at x = 0, which the product
    # constraint makes infeasible; report B = 0 there so f stays finite for the surrogate.
    safe = den > 0.0
    bump = np.where(safe, num / np.where(safe, den, 1.0), 0.0)
    g = np.stack([0.75 - np.prod(X, axis=1), np.sum(X, axis=1) - 7.5 * d], axis=1)
    return -bump, g  # the bump is maximised; minimisation form f = -B


_KEANE_X18 = [
    3.1603256, 3.1221770, 3.0846764, 3.0472771, 3.0094368, 2.9705440, 2.9298155, 0.5137439,
    0.5053967, 0.4977646, 0.4907220, 0.4841758, 0.4780542, 0.4723008, 0.4668704, 0.4617261,
    0.4568371, 0.4521778,
]  # fmt: skip


def keane_bump_18d(variant: str) -> Problem:
    return Problem(
        "keane_bump_18d",
        _box([(0.0, 10.0)] * 18),
        _keane_fn,
        2,
        variant=variant,
        optimum=-0.7971138758,
        optimum_x=_KEANE_X18,
        optimum_tol=1e-4,  # best found by search, not proven optimal (spec 3.8)
        reference="Keane 1994, d = 18; spec 3.8",
    )


BUILDERS = {
    "ackley_2d": _ackley(2),
    "ackley_6d": _ackley(6),
    "ackley_10d": _ackley(10),
    "gkxwc1": gkxwc1,
    "gkxwc2": gkxwc2,
    "jlh1": jlh1,
    "jlh2": jlh2,
    "keane_bump_18d": keane_bump_18d,
}
