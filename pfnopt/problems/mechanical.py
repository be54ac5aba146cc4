"""Mechanical and process design problems: car side impact, heat exchanger (HS106), speed reducer.

Formulas, bounds and optima: ``engineering-problems.md`` sections 3.10, 3.12, 3.15. ``"default"``
is the corrected engineering formulation (discrete variables declared), ``"paper"`` the paper-era
repository code (every variable a continuous Float on the repository's box).
"""

from __future__ import annotations

import numpy as np

from pfnopt.problems.base import Problem
from pfnopt.space import Categorical, Float, Int


# --- car side impact (3.10) ------------------------------------------------------------------
def _car_fn(paper: bool):
    # The repo's viscous-criterion limits 0.9 with g4's x2 coefficient 0.061 are replaced by the
    # literature's 0.32 with 0.61: each pair is self-consistent, 0.061 with 0.32 is infeasible
    # everywhere (spec 3.10). The other coefficients the spec could not settle keep the repo values.
    limit, c4 = (0.9, 0.061) if paper else (0.32, 0.61)

    def fn(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11 = X.T
        f = 1.98 + 4.90 * x1 + 6.67 * x2 + 6.98 * x3 + 4.01 * x4 + 1.78 * x5 + 2.73 * x7
        g1 = 1.16 - 0.3717 * x2 * x4 - 0.00931 * x2 * x10 - 0.484 * x3 * x9 + 0.01343 * x6 * x10 - 1.0
        g2 = (
            0.261 - 0.0159 * x1 * x2 - 0.188 * x1 * x8 - 0.019 * x2 * x7 + 0.0144 * x3 * x5
            + 0.0008757 * x5 * x10 + 0.08045 * x6 * x9 + 0.00139 * x8 * x11 + 0.00001575 * x10 * x11 - limit
        )  # fmt: skip
        g3 = (
            0.214 + 0.00817 * x5 - 0.131 * x1 * x8 - 0.0704 * x1 * x9 + 0.03099 * x2 * x6 - 0.018 * x2 * x7
            + 0.0208 * x3 * x8 + 0.121 * x3 * x9 - 0.00364 * x5 * x6 + 0.0007715 * x5 * x10
            - 0.0005354 * x6 * x10 + 0.00121 * x8 * x11 - limit
        )  # fmt: skip
        g4 = 0.74 - c4 * x2 - 0.163 * x3 * x8 + 0.001232 * x3 * x10 - 0.166 * x7 * x9 + 0.227 * x2**2 - limit
        g5 = (
            28.98
            + 3.818 * x3
            - 4.2 * x1 * x2
            + 0.0207 * x5 * x10
            + 6.63 * x6 * x9
            - 7.7 * x7 * x8
            + 0.32 * x9 * x10
            - 32.0
        )
        g6 = (
            33.86 + 2.95 * x3 + 0.1792 * x10 - 5.057 * x1 * x2 - 11.0 * x2 * x8 - 0.0215 * x5 * x10
            - 9.98 * x7 * x8 + 22.0 * x8 * x9 - 32.0
        )  # fmt: skip
        g7 = 46.36 - 9.9 * x2 - 12.9 * x1 * x8 + 0.1107 * x3 * x10 - 32.0
        g8 = 4.72 - 0.5 * x4 - 0.19 * x2 * x3 - 0.0122 * x4 * x10 + 0.009325 * x6 * x10 + 0.000191 * x11**2 - 4.0
        g9 = 10.58 - 0.674 * x1 * x2 - 1.95 * x2 * x8 + 0.02054 * x3 * x10 - 0.0198 * x4 * x10 + 0.028 * x6 * x10 - 9.9
        g10 = (
            16.45 - 0.489 * x3 * x7 - 0.843 * x5 * x6 + 0.0432 * x9 * x10 - 0.0556 * x9 * x11 - 0.000786 * x11**2 - 15.7
        )
        return f, np.stack([g1, g2, g3, g4, g5, g6, g7, g8, g9, g10], axis=1)

    return fn


def car_side_impact(variant: str) -> Problem:
    paper = variant == "paper"
    # x8, x9 are materials, discrete {0.192, 0.345} in the literature; x10, x11 keep the repo's
    # [-20, 0] (the literature's [-30, 30] is unverified and does not move the optimum, spec 3.10)
    material = Float(0.192, 0.345) if paper else Categorical([0.192, 0.345])
    bounds = [(0.5, 1.5), (0.45, 1.35)] + [(0.5, 1.5)] * 5
    space = {f"x{i + 1}": Float(lo, hi) for i, (lo, hi) in enumerate(bounds)}
    space.update({"x8": material, "x9": material, "x10": Float(-20.0, 0.0), "x11": Float(-20.0, 0.0)})
    return Problem(
        "car_side_impact", space, _car_fn(paper), 10, variant=variant, optimum=22.8429692,
        optimum_x=[0.5, 1.1163656, 0.5, 1.3021972, 0.5, 1.5, 0.5, 0.345, 0.192, -19.5615291, 0.0],
        reference="Gu et al. 2001 / Youn et al. 2004 via Gandomi et al. 2011; spec 3.10",
    )  # fmt: skip


# --- heat exchanger, Hock-Schittkowski 106 (3.12) --------------------------------------------
def _heat_fn(paper: bool):
    def fn(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x1, x2, x3, x4, x5, x6, x7, x8 = X.T
        g1 = 0.0025 * (x4 + x6) - 1.0
        g2 = 0.0025 * (x5 + x7 - x4) - 1.0
        g3 = 0.01 * (x8 - x5) - 1.0
        g4 = 833.33252 * x4 + 100.0 * x1 - x1 * x6 - 83333.333
        f = x1 + x2 + x3
        if paper:
            # paper-era assembly [g1, g2, g3, g4, g1, g2]: g5 and g6 never reach the optimiser (spec 3.12)
            return f, np.stack([g1, g2, g3, g4, g1, g2], axis=1)
        g5 = 1250.0 * x5 + x2 * x4 - x2 * x7 - 1250.0 * x4  # HS106's 1250 x4; the repo's 125 x4 is a typo
        g6 = x3 * x5 - 2500.0 * x5 - x3 * x8 + 1250000.0
        return f, np.stack([g1, g2, g3, g4, g5, g6], axis=1)

    return fn


def heat_exchanger(variant: str) -> Problem:
    paper = variant == "paper"
    # x2, x3 in [1000, 10000] in both: the literature's and the paper-era box (HEAD's 10900 is a
    # later scaling bug, spec 3.12)
    bounds = [(100.0, 10000.0), (1000.0, 10000.0), (1000.0, 10000.0)] + [(10.0, 1000.0)] * 5
    space = {f"x{i + 1}": Float(lo, hi) for i, (lo, hi) in enumerate(bounds)}
    if paper:
        opt, opt_x = 2100.0, [100.0, 1000.0, 1000.0, 10.0, 10.0, 10.0, 10.0, 10.0]
    else:
        opt = 7049.248021
        opt_x = [579.306678, 1359.970650, 5109.970692, 182.017699, 295.601172, 217.982301, 286.416527, 395.601172]
    return Problem(
        "heat_exchanger", space, _heat_fn(paper), 6, variant=variant, optimum=opt, optimum_x=opt_x,
        reference="Hock & Schittkowski 1981, no. 106; spec 3.12",
    )  # fmt: skip


# --- speed reducer, Golinski (3.15) ----------------------------------------------------------
def _speed_fn(paper: bool):
    def fn(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b, m, z, L1, L2, d1, d2 = X.T
        f = (
            0.7854 * b * m**2 * (3.3333 * z**2 + 14.9334 * z - 43.0934) - 1.508 * b * (d1**2 + d2**2)
            + 7.4777 * (d1**3 + d2**3) + 0.7854 * (L1 * d1**2 + L2 * d2**2)
        )  # fmt: skip
        g1 = 27.0 / (b * m**2 * z) - 1.0
        g2 = 397.5 / (b * m**2 * z**2) - 1.0
        g3 = 1.93 * L1**3 / (m * z * d1**4) - 1.0
        g4 = 1.93 * L2**3 / (m * z * d2**4) - 1.0
        if paper:
            # paper-era assembly [g1..g4, g1..g4, g4]: only the first four are enforced (spec 3.15)
            return f, np.stack([g1, g2, g3, g4, g1, g2, g3, g4, g4], axis=1)
        # 16.9e6 (the repo's 1.69e6 is a typo) and the two shaft-design constraints g10, g11 the
        # repo omits (spec 3.15)
        g5 = np.sqrt((745.0 * L1 / (m * z)) ** 2 + 16.9e6) / (110.0 * d1**3) - 1.0
        g6 = np.sqrt((745.0 * L2 / (m * z)) ** 2 + 157.5e6) / (85.0 * d2**3) - 1.0
        g7 = m * z / 40.0 - 1.0
        g8 = 5.0 * m / b - 1.0
        g9 = b / (12.0 * m) - 1.0
        g10 = (1.5 * d1 + 1.9) / L1 - 1.0
        g11 = (1.1 * d2 + 1.9) / L2 - 1.0
        return f, np.stack([g1, g2, g3, g4, g5, g6, g7, g8, g9, g10, g11], axis=1)

    return fn


def speed_reducer(variant: str) -> Problem:
    paper = variant == "paper"
    space = {
        "b": Float(2.6, 3.6),
        "m": Float(0.7, 0.8),
        "z": Float(17.0, 28.0) if paper else Int(17, 28),  # number of teeth: an integer in the literature
        "L1": Float(7.3, 8.3),
        "L2": Float(7.3, 8.3),
        "d1": Float(2.9, 3.9),
        "d2": Float(5.0, 5.5),
    }
    if paper:
        m, opt, opt_x = 9, 2609.905749, [27.0 / (0.49 * 17.0), 0.7, 17.0, 7.3, 7.3, 2.9, 5.0]
    else:
        m, opt, opt_x = 11, 2994.471066, [3.5, 0.7, 17.0, 7.3, 7.7153199, 3.3502147, 5.2866545]
    return Problem(
        "speed_reducer", space, _speed_fn(paper), m, variant=variant, optimum=opt, optimum_x=opt_x,
        reference="Golinski 1973 via Yang & Gandomi 2012; spec 3.15",
    )  # fmt: skip


BUILDERS = {
    "car_side_impact": car_side_impact,
    "heat_exchanger": heat_exchanger,
    "speed_reducer": speed_reducer,
}
