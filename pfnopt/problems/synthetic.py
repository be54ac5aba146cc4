"""The small synthetic suite of the sampler regret benchmark: Branin, Hartmann-6, Ackley-5 (unconstrained,
``g`` of shape ``(n, 0)``) and Gramacy et al. (2016)'s constrained toy.

These are standard test functions (not part of the engineering specification); constants are the
usual ones (as in BoTorch's ``test_functions.synthetic``). One formulation each: only the
``"default"`` variant exists. Parameters are named ``x1..xd``.
"""

from __future__ import annotations

import math

import numpy as np

from pfnopt.problems.base import Problem
from pfnopt.problems.toy import ackley_value
from pfnopt.space import Float


def _box(bounds: list[tuple[float, float]]) -> dict[str, Float]:
    return {f"x{i + 1}": Float(lo, hi) for i, (lo, hi) in enumerate(bounds)}


def _no_constraints(X: np.ndarray) -> np.ndarray:
    return np.zeros((X.shape[0], 0))


def _branin_fn(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x1, x2 = X[:, 0], X[:, 1]
    b, c, t = 5.1 / (4.0 * math.pi**2), 5.0 / math.pi, 1.0 / (8.0 * math.pi)
    f = (x2 - b * x1**2 + c * x1 - 6.0) ** 2 + 10.0 * (1.0 - t) * np.cos(x1) + 10.0
    return f, _no_constraints(X)


def branin(variant: str) -> Problem:
    # three global minimisers: (-pi, 12.275), (pi, 2.275), (9.42478, 2.475); f* = 5 / (4 pi)
    return Problem(
        "branin", _box([(-5.0, 10.0), (0.0, 15.0)]), _branin_fn, 0, variant=variant, suite="synthetic",
        optimum=5.0 / (4.0 * math.pi), optimum_x=[-math.pi, 12.275], reference="Branin 1972 (Dixon & Szego 1978)",
    )  # fmt: skip


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array([
    [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
    [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
    [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
    [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
])  # fmt: skip
_H6_P = 1e-4 * np.array([
    [1312.0, 1696.0, 5569.0, 124.0, 8283.0, 5886.0],
    [2329.0, 4135.0, 8307.0, 3736.0, 1004.0, 9991.0],
    [2348.0, 1451.0, 3522.0, 2883.0, 3047.0, 6650.0],
    [4047.0, 8828.0, 8732.0, 5743.0, 1091.0, 381.0],
])  # fmt: skip


def _hartmann6_fn(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inner = np.sum(_H6_A[None, :, :] * (X[:, None, :] - _H6_P[None, :, :]) ** 2, axis=2)  # n x 4
    return -np.exp(-inner) @ _H6_ALPHA, _no_constraints(X)


def hartmann_6d(variant: str) -> Problem:
    return Problem(
        "hartmann_6d", _box([(0.0, 1.0)] * 6), _hartmann6_fn, 0, variant=variant, suite="synthetic",
        optimum=-3.32236801141551,
        optimum_x=[0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054],
        reference="Hartmann 1973 (Dixon & Szego 1978)",
    )  # fmt: skip


def _ackley5_fn(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return ackley_value(X), _no_constraints(X)


def ackley_5d(variant: str) -> Problem:
    # The box of the engineering suite's Ackley, [-5, 10]^d: the minimiser sits at u = 1/3 of each
    # axis, not at the centre of the box (which Sobol's first point would hit exactly).
    return Problem(
        "ackley_5d", _box([(-5.0, 10.0)] * 5), _ackley5_fn, 0, variant=variant, suite="synthetic",
        optimum=0.0, optimum_x=np.zeros(5), optimum_tol=1e-9, reference="Ackley 1987, unconstrained",
    )  # fmt: skip


def _gramacy_fn(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x1, x2 = X[:, 0], X[:, 1]
    g1 = 1.5 - x1 - 2.0 * x2 - 0.5 * np.sin(2.0 * math.pi * (x1**2 - 2.0 * x2))
    g2 = x1**2 + x2**2 - 1.5
    return x1 + x2, np.stack([g1, g2], axis=1)


def gramacy(variant: str) -> Problem:
    # Gramacy et al. (2016) quote f* ~ 0.5998; the digits below are from a solve for this module
    # (multi-start SLSQP, then a 1-D search along the active g1 boundary).
    return Problem(
        "gramacy", _box([(0.0, 1.0)] * 2), _gramacy_fn, 2, variant=variant, suite="synthetic",
        optimum=0.599788052010, optimum_x=[0.195122683488, 0.404665368522],
        reference="Gramacy et al. 2016, 'Modeling an augmented Lagrangian for blackbox constrained optimization'",
    )  # fmt: skip


BUILDERS = {
    "branin": branin,
    "hartmann_6d": hartmann_6d,
    "ackley_5d": ackley_5d,
    "gramacy": gramacy,
}
