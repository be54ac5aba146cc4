"""The multi-objective suite: ``pfnopt bench run --suite multiobjective`` (resumable) and its report.

A cell is (problem, method, seed): a fresh in-memory study with the problem's directions and the
method's sampler (``n_startup = init``), the cell's ``init`` shared scrambled-Sobol points enqueued
first (the same for every method, as in the single-objective suites), then ``budget - init``
suggestions. Recorded per evaluation: the hypervolume of the FEASIBLE Pareto front so far (BoTorch's
reference point), its regret ``max_hv - HV`` where BoTorch states ``max_hv``, and the sampler's own
seconds per suggestion. Each finished cell is one JSON file under ``<out>/cells/``; a rerun skips the
cells that exist, so an interrupted run resumes where it stopped, except a PFN cell made with other weights
or another suggestion rule (``sampler_info``, keyed as in the single-objective suites), which runs again.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

METHODS = ("pfn", "pfn-parego", "optuna-gp", "optuna-tpe", "nsga2", "random", "gp-ehvi")
QUICK_METHODS = ("pfn", "random")
FULL = {"seeds": 3, "budget": 40, "init": 10}
QUICK = {"seeds": 1, "budget": 8, "init": 4}


def cell_path(out: Path, problem: str, method: str, seed: int) -> Path:
    return out / "cells" / problem / method / f"seed{seed}.json"


def hv_history(F: np.ndarray, G: np.ndarray, ref: np.ndarray) -> list[float]:
    """Hypervolume of the feasible front of the first ``i`` evaluations, ``i = 1 .. n`` (``F``: ``n x k``,
    ``G``: ``n x m``; rows of failed trials are NaN)."""
    from pfnopt.acquisition.multiobjective import hypervolume

    ok = np.all(np.isfinite(F), axis=1) & (np.all(G <= 0.0, axis=1) if G.shape[1] else True)
    out, front = [], np.zeros((0, F.shape[1]))
    for i in range(len(F)):
        if ok[i]:
            front = np.vstack([front, F[i]])
        out.append(hypervolume(front, ref) if len(front) else 0.0)
    return out


def run_cell(problem_name: str, method: str, seed: int, budget: int, init: int) -> dict[str, Any]:
    """Run one cell; the record written to its JSON file."""
    import pfnopt
    from pfnopt.bench.cells import shared_design
    from pfnopt.bench.methods import build_sampler, describe
    from pfnopt.problems.multiobjective import get
    from pfnopt.records import TrialState

    p = get(problem_name)
    study = pfnopt.create_study(directions=p.directions, sampler=build_sampler(method, seed, init))
    for params in shared_design(p, init, seed):
        study.enqueue_trial(params)
    t0 = time.perf_counter()
    study.optimize(p.objective, n_trials=budget)  # a failing sampler fails the cell, loudly
    wall = time.perf_counter() - t0
    trials = study.trials
    F = np.array([t.values if t.state == TrialState.COMPLETE and t.values else [np.nan] * p.n_objectives
                  for t in trials], dtype=float)
    G = np.array([list(t.constraints or [0.0] * p.n_constraints) for t in trials], dtype=float).reshape(
        len(trials), p.n_constraints)
    hv = hv_history(F, G, p.ref_point)
    secs = [t.system_attrs.get("sampler_seconds") for t in trials[init:]]
    return {
        "format": "pfnopt-mo-cell/1", "problem": problem_name, "method": method, "seed": seed, "budget": budget,
        "init": init, "n_objectives": p.n_objectives, "n_constraints": p.n_constraints,
        "ref_point": p.ref_point.tolist(), "max_hv": p.max_hv, "hv": hv,
        "regret": [None if p.max_hv is None else max(p.max_hv - h, 0.0) for h in hv],
        "sampler_seconds": [s for s in secs if s is not None], "wall_seconds": wall,
        "n_failed": sum(t.state == TrialState.FAIL for t in trials),
        "sampler": repr(study.sampler), "sampler_info": describe(study.sampler), "loadavg": list(os.getloadavg()), "when": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def run_suite(out: Path, problems: list[str], methods: list[str], seeds: int, budget: int, init: int,
              log: Callable[[str], None] = print) -> dict[str, int]:
    """Every cell not yet on disk, problem by problem, methods interleaved within a seed."""
    logging.getLogger("pfnopt").setLevel(logging.ERROR)
    counts = {"done": 0, "skipped": 0, "failed": 0}
    out.mkdir(parents=True, exist_ok=True)
    _record_run(out / "run.json", problems, methods, seeds, budget, init)
    keys = {m: _behaviour(m, init) for m in methods}
    for name in problems:
        for seed in range(seeds):
            for method in methods:
                path = cell_path(out, name, method, seed)
                if path.exists() and _cell_key(path) == keys[method]:
                    counts["skipped"] += 1
                    continue
                try:
                    rec = run_cell(name, method, seed, budget, init)
                except Exception as e:  # one broken baseline does not stop the suite; the report says so
                    counts["failed"] += 1
                    log(f"{name} / {method} / seed {seed}: FAILED {type(e).__name__}: {e}")
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(rec) + "\n")
                tmp.replace(path)  # atomic: a killed run leaves no half cell
                counts["done"] += 1
                spi = statistics.median(rec["sampler_seconds"]) if rec["sampler_seconds"] else float("nan")
                log(f"{name} / {method} / seed {seed}: HV {rec['hv'][-1]:.4g}, {spi:.3f} s/it")
    return counts


def _behaviour(method: str, init: int) -> str | None:
    """The key of a method's behaviour: a PFN sampler's weights hash and rule version, else None."""
    from pfnopt.bench.cells import checkpoint_of
    from pfnopt.bench.methods import build_sampler, describe

    return checkpoint_of(describe(build_sampler(method, 0, init)))


def _cell_key(path: Path) -> str | None:
    """The behaviour key a cell file was made with (None for non-PFN cells and for cells older than the key)."""
    from pfnopt.bench.cells import checkpoint_of

    return checkpoint_of(json.loads(path.read_text()).get("sampler_info", {}))


def _record_run(path: Path, problems: list[str], methods: list[str], seeds: int, budget: int, init: int) -> None:
    """Write ``run.json``; several processes on disjoint parts of one run (same budget and init) merge into it:
    the union of problems and methods, the most seeds, and each start's load average."""
    from pfnopt.bench.cells import update_manifest

    def merge(old: dict[str, Any] | None) -> dict[str, Any]:
        run = {"problems": problems, "methods": methods, "seeds": seeds, "budget": budget, "init": init,
               "loadavg": list(os.getloadavg())}
        if old and old.get("budget") == budget and old.get("init") == init:
            run["problems"] = list(old["problems"]) + [p for p in problems if p not in old["problems"]]
            run["methods"] = list(old["methods"]) + [m for m in methods if m not in old["methods"]]
            run["seeds"] = max(seeds, old.get("seeds", 0))
            run["loadavg"] = old["loadavg"]
            run["starts"] = old.get("starts", []) + [{"methods": methods, "loadavg": list(os.getloadavg())}]
        return run

    update_manifest(path, merge)


def load_cells(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((out / "cells").glob("*/*/seed*.json"))]


def write_report(out: Path, figures: bool = True) -> Path:
    """``<out>/report.md`` (+ ``figures/*.png``): median final hypervolume regret and seconds per iteration."""
    cells = load_cells(out)
    run = json.loads((out / "run.json").read_text()) if (out / "run.json").exists() else {}
    problems = sorted({c["problem"] for c in cells}, key=lambda n: (run.get("problems") or []).index(n)
                      if n in (run.get("problems") or []) else 99)
    methods = [m for m in METHODS if any(c["method"] == m for c in cells)]
    methods += sorted({c["method"] for c in cells} - set(methods))

    def sel(p: str, m: str) -> list[dict]:
        return [c for c in cells if c["problem"] == p and c["method"] == m]

    def final(c: dict) -> float:
        return c["regret"][-1] / c["max_hv"] if c["max_hv"] else -c["hv"][-1]

    lines = [
        "# Multi-objective suite: hypervolume regret and seconds per iteration",
        "",
        f"Written by `pfnopt bench report --suite multiobjective --out {out}` from {len(cells)} cells "
        f"({_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC). Run: seeds {run.get('seeds')}, budget "
        f"{run.get('budget')} evaluations of which {run.get('init')} shared Sobol points; load average at the "
        f"start {', '.join(f'{x:.1f}' for x in run.get('loadavg', []))}" + _load_range(cells) + ".",
        "",
        "Median over seeds of the final hypervolume regret, normalised: `(max_hv - HV) / max_hv` of the feasible "
        "Pareto front (BoTorch's reference point and max_hv; lower is better; [n] = seeds). Then the median "
        "seconds the sampler spent per model-based suggestion.",
        "",
        "| problem (k obj, m con) | " + " | ".join(methods) + " |",
        "|---|" + "---|" * len(methods),
    ]
    for p in problems:
        c0 = next(c for c in cells if c["problem"] == p)
        row = []
        for m in methods:
            vals = [final(c) for c in sel(p, m)]
            row.append(f"{statistics.median(vals):.3g} [{len(vals)}]" if vals else "-")
        lines.append(f"| {p} ({c0['n_objectives']}, {c0['n_constraints']}) | " + " | ".join(row) + " |")
    lines += ["", "| problem: s / iteration | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for p in problems:
        row = []
        for m in methods:
            secs = [s for c in sel(p, m) for s in c["sampler_seconds"]]
            row.append(f"{statistics.median(secs):.3f}" if secs else "-")
        lines.append(f"| {p} | " + " | ".join(row) + " |")
    failed = [f"{c['problem']}/{c['method']}/seed{c['seed']} ({c['n_failed']})" for c in cells if c["n_failed"]]
    lines += ["", f"Cells with failed trials: {', '.join(failed) if failed else 'none'}."]
    if "pfn" in methods and "optuna-gp" in methods:
        wins, n = 0, 0
        for p in problems:
            a, b = [final(c) for c in sel(p, "pfn")], [final(c) for c in sel(p, "optuna-gp")]
            if a and b:
                n += 1
                wins += statistics.median(a) <= statistics.median(b)
        lines += ["", f"pfn's median final regret is no worse than optuna-gp's on {wins} of {n} problems."]
        ratios = []
        for p in problems:
            a = [x for c in sel(p, "pfn") for x in c["sampler_seconds"]]
            b = [x for c in sel(p, "optuna-gp") for x in c["sampler_seconds"]]
            if a and b:
                ratios.append(statistics.median(a) / statistics.median(b))
        if ratios:
            lines.append(f"pfn's median seconds per iteration are {100 * min(ratios):.0f}% to {100 * max(ratios):.0f}% "
                         "of optuna-gp's, problem by problem.")
    if figures:
        lines += ["", "Figures (median normalised regret vs evaluations, log scale):", ""]
        for p in problems:
            png = _figure(out, p, methods, sel)
            if png:
                lines.append(f"![{p}](figures/{png.name})")
    notes = out / "notes.md"  # what the run's author adds: sizing, what did not finish, why
    if notes.exists():
        lines += ["", notes.read_text().rstrip()]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _load_range(cells: list[dict[str, Any]]) -> str:
    """``"; 1-minute load average at the end of the cells a-b"`` (cells that recorded it), else empty."""
    loads = [c["loadavg"][0] for c in cells if c.get("loadavg")]
    return f"; 1-minute load average at the end of the cells {min(loads):.0f}-{max(loads):.0f}" if loads else ""


def _figure(out: Path, problem: str, methods: list[str], sel: Callable) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    drawn = False
    for m in methods:
        cs = [c for c in sel(problem, m) if c["max_hv"]]
        if not cs:
            continue
        R = np.array([[r / c["max_hv"] for r in c["regret"]] for c in cs if len(c["regret"]) == len(cs[0]["regret"])])
        ax.plot(np.arange(1, R.shape[1] + 1), np.maximum(np.median(R, axis=0), 1e-6), label=m)
        drawn = True
    if not drawn:
        plt.close(fig)
        return None
    ax.set_yscale("log")
    ax.set_xlabel("evaluations")
    ax.set_ylabel("normalised HV regret")
    ax.set_title(problem)
    ax.legend(fontsize=7)
    fig.tight_layout()
    (out / "figures").mkdir(exist_ok=True)
    path = out / "figures" / f"mo_{problem}.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
