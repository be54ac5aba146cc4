"""From result files to numbers: expected cells, per-(problem, method) statistics, comparisons.

Everything here reads the committed result files only (never the SQL store), so a report can be
rebuilt from a fresh clone.

Conventions: a seed without any feasible point has final gap +inf (it ranks last; a median that
lands on it shows as "inf"); quantiles interpolate linearly and are +inf when a neighbour is. Two
medians count as tied when they differ by at most ``TIE_RTOL * max(1, |optimum|)``.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from pfnopt.bench.cells import Cell, checkpoint_of, read_result, result_path
from pfnopt.bench.methods import sort_methods
from pfnopt.bench.runner import MANIFEST
from pfnopt.bench.stats import quantile
from pfnopt.exceptions import ParameterError

TIE_RTOL = 1e-9


@dataclass
class Expected:
    """The cells the runs recorded in ``run.json`` asked for (union over runs of one configuration)."""

    suite: str
    variant: str
    budget: int
    init: int
    problems: list[str]
    methods: list[str]
    seeds: int
    unavailable: dict[str, str] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)

    def cells(self) -> list[Cell]:
        return [Cell(p, m, s) for s in range(self.seeds) for p in self.problems for m in self.methods]


def expected(out: Path) -> Expected | None:
    try:
        runs = json.loads((Path(out) / MANIFEST).read_text())["runs"]
    except (OSError, ValueError, KeyError):
        return None
    if not runs:
        return None
    last = runs[-1]
    same = [
        r for r in runs if (r["variant"], r["budget"], r["init"]) == (last["variant"], last["budget"], last["init"])
    ]
    problems = list(dict.fromkeys(p for r in same for p in r["problems"]))
    methods = sort_methods(list(dict.fromkeys(m for r in same for m in r["methods"])))
    unavailable: dict[str, str] = {}
    for r in same:  # the latest run's word on a method counts
        for m in r["methods"]:
            if m in r.get("unavailable", {}):
                unavailable[m] = r["unavailable"][m]
            else:
                unavailable.pop(m, None)
    return Expected(
        suite=last["suite"],
        variant=last["variant"],
        budget=last["budget"],
        init=last["init"],
        problems=problems,
        methods=methods,
        seeds=max(r["seeds"] for r in same),
        unavailable=unavailable,
        commands=list(dict.fromkeys(r["command"] for r in same)),
    )


def load_results(out: Path) -> list[dict[str, Any]]:
    """Every complete result file under ``<out>/cells``."""
    found = []
    for path in sorted((Path(out) / "cells").glob("*/*/seed*.json")):
        data = read_result(path)
        if data is not None:
            found.append(data)
    return found


@dataclass
class Stat:
    """One (problem, method): its seeds' numbers."""

    seeds: list[int]
    gaps: list[float]  # final gap per seed (+inf: no feasible point)
    first_feasible: list[float]  # per seed, +inf if never
    feasible_fraction: list[float]  # per seed, of the BO suggestions
    secs: list[float]  # every BO iteration's sampler seconds, pooled over seeds
    best: np.ndarray  # seeds x budget, NaN before the first feasible point
    feasible: np.ndarray  # seeds x budget
    violation: np.ndarray  # seeds x budget

    def gap_q(self) -> tuple[float, float, float]:
        return quantile(self.gaps, 0.25), quantile(self.gaps, 0.5), quantile(self.gaps, 0.75)

    @property
    def n_infeasible(self) -> int:
        return sum(math.isinf(g) for g in self.gaps)

    def median_secs(self) -> float | None:
        return statistics.median(self.secs) if self.secs else None

    def median_first_feasible(self) -> float:
        return quantile(self.first_feasible, 0.5)

    def mean_feasible_fraction(self) -> float | None:
        return statistics.fmean(self.feasible_fraction) if self.feasible_fraction else None


def _row(values: list[Any], budget: int, fill: float) -> list[float]:
    row = [fill if v is None else float(v) for v in values[:budget]]
    return row + [row[-1] if row else fill] * (budget - len(row))


@dataclass
class Aggregate:
    expected: Expected
    problems: list[str]
    methods: list[str]
    stats: dict[tuple[str, str], Stat]
    meta: dict[str, dict[str, Any]]  # problem -> dim, n_constraints, optimum
    envs: list[dict[str, Any]]
    ignored: int  # result files of another configuration
    checkpoints: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)  # method -> (path, sha) -> n
    loads: dict[str, list[float]] = field(default_factory=dict)  # method -> 1-min load average per cell

    def get(self, problem: str, method: str) -> Stat | None:
        return self.stats.get((problem, method))

    def tol(self, problem: str) -> float:
        opt = self.meta.get(problem, {}).get("optimum")
        return TIE_RTOL * max(1.0, abs(opt) if opt is not None else 1.0)

    def best_methods(self, problem: str, key: str) -> set[str]:
        """Methods tied for best on ``key``: "gap" (low), "secs" (low), "feasible" (high), "first" (low)."""
        vals = {m: metric(s, key) for m in self.methods if (s := self.get(problem, m)) is not None}
        vals = {m: v for m, v in vals.items() if v is not None and not math.isnan(v)}
        if not vals:
            return set()
        sign = -1.0 if key == "feasible" else 1.0
        top = min(sign * v for v in vals.values())
        if math.isinf(top):
            return set() if top > 0 else {m for m, v in vals.items() if sign * v == top}
        tol = self.tol(problem) if key == "gap" else 1e-12
        return {m for m, v in vals.items() if sign * v <= top + tol}

    def beats(self, problem: str, a: str, b: str, strict: bool) -> bool | None:
        """Whether ``a``'s median gap is <= (strict: <) ``b``'s on ``problem``; None without both results."""
        sa, sb = self.get(problem, a), self.get(problem, b)
        if sa is None or sb is None:
            return None
        ga, gb, tol = sa.gap_q()[1], sb.gap_q()[1], self.tol(problem)
        return bool(ga < gb - tol) if strict else bool(ga <= gb + tol)

    def pooled_secs(self, method: str, other: str | None = None) -> float | None:
        """Median seconds per BO iteration of ``method`` over all its cells; with ``other``, only over
        the problems where both have results (so a partial run compares like with like)."""
        problems = [p for p in self.problems if other is None or self.get(p, other) is not None]
        secs = [x for p in problems if (s := self.get(p, method)) is not None for x in s.secs]
        return statistics.median(secs) if secs else None


def metric(s: Stat, key: str) -> float | None:
    if key == "gap":
        return s.gap_q()[1]
    if key == "secs":
        return s.median_secs()
    if key == "feasible":
        return s.mean_feasible_fraction()
    if key == "first":
        return s.median_first_feasible()
    raise ParameterError(f"unknown metric {key!r}")


def aggregate(out: Path, exp: Expected, methods: Sequence[str] | None = None) -> Aggregate:
    results = load_results(out)
    keep = [r for r in results if (r["variant"], r["budget"], r["init"]) == (exp.variant, exp.budget, exp.init)]
    if methods is not None:
        keep = [r for r in keep if r["method"] in methods]
    found_problems = [p for p in dict.fromkeys(r["problem"] for r in keep) if p not in exp.problems]
    problems = list(exp.problems) + found_problems
    ms = (
        list(methods)
        if methods is not None
        else sort_methods(list(dict.fromkeys([*exp.methods, *(r["method"] for r in keep)])))
    )
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    meta: dict[str, dict[str, Any]] = {}
    for r in sorted(keep, key=lambda r: r["seed"]):
        groups.setdefault((r["problem"], r["method"]), []).append(r)
        meta.setdefault(r["problem"], {k: r.get(k) for k in ("dim", "n_constraints", "optimum")})
    B = exp.budget
    stats = {}
    for key, rs in groups.items():
        bo = [
            [s for s, init in zip(r["trials"]["sampler_seconds"], r["trials"]["init"]) if not init and s is not None]
            for r in rs
        ]
        stats[key] = Stat(
            seeds=[r["seed"] for r in rs],
            gaps=[
                math.inf
                if r["final_gap"] is None and r["final_best"] is None
                else (r["final_gap"] if r["final_gap"] is not None else r["final_best"])
                for r in rs
            ],
            first_feasible=[math.inf if r["first_feasible"] is None else r["first_feasible"] for r in rs],
            feasible_fraction=[r["feasible_fraction"] for r in rs if r["feasible_fraction"] is not None],
            secs=[x for b in bo for x in b],
            best=np.array([_row(r["best_feasible"], B, math.nan) for r in rs]),
            feasible=np.array([_row(r["trials"]["feasible"], B, 0.0) for r in rs]),
            violation=np.array([_row(r["trials"]["violation"], B, math.nan) for r in rs]),
        )
    checkpoints: dict[str, dict[tuple[str, str], int]] = {}
    for r in keep:
        ck = r.get("sampler", {}).get("checkpoint")
        if ck:  # weights hash + suggestion-rule version
            key = (ck.get("path", "?"), checkpoint_of(r["sampler"]) or ck.get("error", "?"))
            per = checkpoints.setdefault(r["method"], {})
            per[key] = per.get(key, 0) + 1
    loads: dict[str, list[float]] = {}
    for r in keep:
        load = r["environment"].get("machine", {}).get("load_average")
        if load:
            loads.setdefault(r["method"], []).append(load[0])
    envs = [r["environment"] for r in keep]
    return Aggregate(exp, problems, ms, stats, meta, envs, len(results) - len(keep), checkpoints, loads)


def missing(out: Path, exp: Expected) -> list[Cell]:
    """Expected cells without a complete result file of the expected variant, budget and initial design."""
    want = (exp.variant, exp.budget, exp.init)

    def ok(c: Cell) -> bool:
        r = read_result(result_path(out, c))
        return r is not None and (r["variant"], r["budget"], r["init"]) == want

    return [c for c in exp.cells() if not ok(c)]
