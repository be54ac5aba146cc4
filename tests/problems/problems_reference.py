"""Straightforward scalar re-implementations of every problem, written from engineering-problems.md.

One point at a time, plain ``math``, no numpy and nothing from ``pfnopt.problems``: the tests compare
the vectorised code against these. ``REFERENCE[(name, variant)](x) -> (f, [g_1, ..., g_m])``.
"""

from __future__ import annotations

import math

SQ2 = math.sqrt(2.0)


def ackley(x):  # 3.1-3.3
    d = len(x)
    s2 = sum(v * v for v in x)
    sc = sum(math.cos(2 * math.pi * v) for v in x)
    f = -20 * math.exp(-0.2 * math.sqrt(s2 / d)) - math.exp(sc / d) + 20 + math.e
    return f, [sum(x), math.sqrt(s2) - 5]


def gkxwc1(x):  # 3.4
    x1, x2 = x
    return math.cos(2 * x1) * math.cos(x2) + math.sin(x1), [
        math.cos(x1) * math.cos(x2) - math.sin(x1) * math.sin(x2) - 0.5
    ]


def gkxwc2(x):  # 3.5
    x1, x2 = x
    return math.sin(x1) + x2, [math.sin(x1) * math.sin(x2) + 0.95]


def jlh1(x):  # 3.6
    x1, x2 = x
    return (x1 - 0.5) ** 2 + (x2 - 0.5) ** 2, [x1 + x2 - 0.75]


def jlh2(x):  # 3.7
    x1, x2 = x
    return math.cos(2 * x1) * math.cos(x2) + math.sin(x1), [(x1 + 5) ** 2 / 4 + x2**2 / 100 - 2.5]


def keane(x):  # 3.8, f = -B
    d = len(x)
    s4 = sum(math.cos(v) ** 4 for v in x)
    p2 = 1.0
    for v in x:
        p2 *= math.cos(v) ** 2
    den = math.sqrt(sum((i + 1) * x[i] ** 2 for i in range(d)))
    prod = 1.0
    for v in x:
        prod *= v
    return -abs(s4 - 2 * p2) / den, [0.75 - prod, sum(x) - 7.5 * d]


def cantilever(x, paper):  # 3.9
    b1, b2, b3, b4, b5, h1, h2, h3, h4, h5 = x
    P, L = 50000.0, 100.0
    f = L * (b1 * h1 + b2 * h2 + b3 * h3 + b4 * h4 + b5 * h5)
    g1 = 6 * P * L / (b5 * h5**2) - 14000
    g2 = 6 * P * 2 * L / (b4 * h4**2) - 14000
    g3 = 6 * P * 3 * L / (b3 * h3**2) - 14000
    g4 = 6 * P * 4 * L / (b2 * h2**2) - 14000
    g5 = 6 * P * 5 * L / (b1 * h1**2) - 14000
    if paper:
        return f, [g1, g2, g3, g4, g1, g2, g3, g4, g4, g4, g4]
    E = 2e7
    I1, I2, I3, I4, I5 = (b * h**3 / 12 for b, h in ((b1, h1), (b2, h2), (b3, h3), (b4, h4), (b5, h5)))
    g6 = P * L**3 / (3 * E) * (1 / I5 + 7 / I4 + 19 / I3 + 37 / I2 + 61 / I1) - 2.7
    return f, [g1, g2, g3, g4, g5, g6, h5 / b5 - 20, h4 / b4 - 20, h3 / b3 - 20, h2 / b2 - 20, h1 / b1 - 20]


def car(x, paper):  # 3.10
    x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11 = x
    lim = 0.9 if paper else 0.32
    k = 0.061 if paper else 0.61
    f = 1.98 + 4.90 * x1 + 6.67 * x2 + 6.98 * x3 + 4.01 * x4 + 1.78 * x5 + 2.73 * x7
    g = [
        1.16 - 0.3717 * x2 * x4 - 0.00931 * x2 * x10 - 0.484 * x3 * x9 + 0.01343 * x6 * x10 - 1,
        0.261 - 0.0159 * x1 * x2 - 0.188 * x1 * x8 - 0.019 * x2 * x7 + 0.0144 * x3 * x5 + 0.0008757 * x5 * x10
        + 0.08045 * x6 * x9 + 0.00139 * x8 * x11 + 0.00001575 * x10 * x11 - lim,
        0.214 + 0.00817 * x5 - 0.131 * x1 * x8 - 0.0704 * x1 * x9 + 0.03099 * x2 * x6 - 0.018 * x2 * x7
        + 0.0208 * x3 * x8 + 0.121 * x3 * x9 - 0.00364 * x5 * x6 + 0.0007715 * x5 * x10 - 0.0005354 * x6 * x10
        + 0.00121 * x8 * x11 - lim,
        0.74 - k * x2 - 0.163 * x3 * x8 + 0.001232 * x3 * x10 - 0.166 * x7 * x9 + 0.227 * x2**2 - lim,
        28.98 + 3.818 * x3 - 4.2 * x1 * x2 + 0.0207 * x5 * x10 + 6.63 * x6 * x9 - 7.7 * x7 * x8 + 0.32 * x9 * x10 - 32,
        33.86 + 2.95 * x3 + 0.1792 * x10 - 5.057 * x1 * x2 - 11.0 * x2 * x8 - 0.0215 * x5 * x10 - 9.98 * x7 * x8
        + 22.0 * x8 * x9 - 32,
        46.36 - 9.9 * x2 - 12.9 * x1 * x8 + 0.1107 * x3 * x10 - 32,
        4.72 - 0.5 * x4 - 0.19 * x2 * x3 - 0.0122 * x4 * x10 + 0.009325 * x6 * x10 + 0.000191 * x11**2 - 4,
        10.58 - 0.674 * x1 * x2 - 1.95 * x2 * x8 + 0.02054 * x3 * x10 - 0.0198 * x4 * x10 + 0.028 * x6 * x10 - 9.9,
        16.45 - 0.489 * x3 * x7 - 0.843 * x5 * x6 + 0.0432 * x9 * x10 - 0.0556 * x9 * x11 - 0.000786 * x11**2 - 15.7,
    ]  # fmt: skip
    return f, g


def spring(x):  # 3.11
    d, D, N = x
    return (N + 2) * D * d**2, [
        1 - D**3 * N / (71785 * d**4),
        (4 * D**2 - d * D) / (12566 * (D * d**3 - d**4)) + 1 / (5108 * d**2) - 1,
        1 - 140.45 * d / (D**2 * N),
        (D + d) / 1.5 - 1,
    ]


def heat(x, paper):  # 3.12
    x1, x2, x3, x4, x5, x6, x7, x8 = x
    g1 = 0.0025 * (x4 + x6) - 1
    g2 = 0.0025 * (x5 + x7 - x4) - 1
    g3 = 0.01 * (x8 - x5) - 1
    g4 = 833.33252 * x4 + 100 * x1 - x1 * x6 - 83333.333
    if paper:
        return x1 + x2 + x3, [g1, g2, g3, g4, g1, g2]
    g5 = 1250 * x5 + x2 * x4 - x2 * x7 - 1250 * x4
    g6 = x3 * x5 - 2500 * x5 - x3 * x8 + 1250000
    return x1 + x2 + x3, [g1, g2, g3, g4, g5, g6]


def vessel(x):  # 3.13
    Ts, Th, R, L = x
    f = 0.6224 * Ts * R * L + 1.7781 * Th * R**2 + 3.1661 * Ts**2 * L + 19.84 * Ts**2 * R
    return f, [-Ts + 0.0193 * R, -Th + 0.00954 * R, -math.pi * R**2 * L - 4 / 3 * math.pi * R**3 + 1296000, L - 240]


def concrete(x, paper):  # 3.14
    x1, x2, x3 = x
    c = 7.35 if paper else 7.375
    return 29.4 * x1 + 0.6 * x2 * x3, [x2 / x3 - 4, 180 + c * x1**2 / x3 - x1 * x2]


def speed(x, paper):  # 3.15
    b, m, z, L1, L2, d1, d2 = x
    f = (
        0.7854 * b * m**2 * (3.3333 * z**2 + 14.9334 * z - 43.0934)
        - 1.508 * b * (d1**2 + d2**2)
        + 7.4777 * (d1**3 + d2**3)
        + 0.7854 * (L1 * d1**2 + L2 * d2**2)
    )
    g1 = 27 / (b * m**2 * z) - 1
    g2 = 397.5 / (b * m**2 * z**2) - 1
    g3 = 1.93 * L1**3 / (m * z * d1**4) - 1
    g4 = 1.93 * L2**3 / (m * z * d2**4) - 1
    if paper:
        return f, [g1, g2, g3, g4, g1, g2, g3, g4, g4]
    return f, [
        g1,
        g2,
        g3,
        g4,
        math.sqrt((745 * L1 / (m * z)) ** 2 + 16.9e6) / (110 * d1**3) - 1,
        math.sqrt((745 * L2 / (m * z)) ** 2 + 157.5e6) / (85 * d2**3) - 1,
        m * z / 40 - 1,
        5 * m / b - 1,
        b / (12 * m) - 1,
        (1.5 * d1 + 1.9) / L1 - 1,
        (1.1 * d2 + 1.9) / L2 - 1,
    ]


def truss(x):  # 3.16 (with the repository's clamp at 1e-5)
    x1, x2 = max(x[0], 1e-5), max(x[1], 1e-5)
    den = SQ2 * x1**2 + 2 * x1 * x2
    return (2 * SQ2 * x1 + x2) * 100, [
        2 * (SQ2 * x1 + x2) / den - 2,
        2 * x2 / den - 2,
        2 / (x1 + SQ2 * x2) - 2,
    ]


def welded(x, paper):  # 3.17
    h, lw, t, b = x  # lw: the weld length l
    f = 1.10471 * h**2 * lw + 0.04811 * t * b * (14 + lw)
    tau1 = 6000 / (SQ2 * h * lw)
    R = math.sqrt((lw**2 + (h + t) ** 2) / 4)
    if paper:
        J = 2 * 0.707 * h * lw * (lw**2 / 12 + (h + t) ** 2 / 4)
        Pc = 64746 * (1 - 0.0282346 * t) * t * b**3
    else:
        E, G = 30e6, 12e6
        J = 2 * SQ2 * h * lw * (lw**2 / 12 + (h + t) ** 2 / 4)
        Pc = 4.013 * E * math.sqrt(t**2 * b**6 / 36) / 14**2 * (1 - t / 28 * math.sqrt(E / (4 * G)))
    tau2 = 6000 * (14 + lw / 2) * R / J
    tau = math.sqrt(tau1**2 + tau2**2 + lw * tau1 * tau2 / R)
    return f, [tau - 13600, 504000 / (t**2 * b) - 30000, h - b, 6000 - Pc, 2.1952 / (t**3 * b) - 0.25]


# --- the synthetic suite (standard definitions) -----------------------------------------------
def branin(x):
    x1, x2 = x
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi**2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s, []


def hartmann6(x):
    alpha = [1.0, 1.2, 3.0, 3.2]
    A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
    P = [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
    total = 0.0
    for i in range(4):
        total += alpha[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j] * 1e-4) ** 2 for j in range(6)))
    return -total, []


def gramacy(x):
    x1, x2 = x
    return x1 + x2, [1.5 - x1 - 2 * x2 - 0.5 * math.sin(2 * math.pi * (x1**2 - 2 * x2)), x1**2 + x2**2 - 1.5]


REFERENCE = {}
for _variant in ("default", "paper"):
    _p = _variant == "paper"
    REFERENCE.update({
        ("ackley_2d", _variant): ackley,
        ("ackley_6d", _variant): ackley,
        ("ackley_10d", _variant): ackley,
        ("gkxwc1", _variant): gkxwc1,
        ("gkxwc2", _variant): gkxwc2,
        ("jlh1", _variant): jlh1,
        ("jlh2", _variant): jlh2,
        ("keane_bump_18d", _variant): keane,
        ("cantilever_beam", _variant): (lambda x, p=_p: cantilever(x, p)),
        ("car_side_impact", _variant): (lambda x, p=_p: car(x, p)),
        ("tension_compression_spring", _variant): spring,
        ("heat_exchanger", _variant): (lambda x, p=_p: heat(x, p)),
        ("pressure_vessel", _variant): vessel,
        ("reinforced_concrete_beam", _variant): (lambda x, p=_p: concrete(x, p)),
        ("speed_reducer", _variant): (lambda x, p=_p: speed(x, p)),
        ("three_bar_truss", _variant): truss,
        ("welded_beam", _variant): (lambda x, p=_p: welded(x, p)),
    })  # fmt: skip
REFERENCE.update({
    ("branin", "default"): branin,
    ("hartmann_6d", "default"): hartmann6,
    ("ackley_5d", "default"): (lambda x: (ackley(x)[0], [])),
    ("gramacy", "default"): gramacy,
})  # fmt: skip
