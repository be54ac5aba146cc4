"""``pfnopt bench report``: ``<out>/report.md`` and ``<out>/figures/*.png`` from the result files.

The report states what was asked (every command recorded in ``run.json``), what exists (cells
found, cells still missing, methods not available and why), the machine and versions the cells
ran under, then: the targets with their measured values; a summary (problems won per method,
speed ratios); the tables (final gap to the known optimum, feasible fraction of the BO
suggestions, evaluations to the first feasible point, median seconds per iteration; best per row
in bold); the figures. Nothing in it is typed by hand: rerunning the command on the same files
gives the same report (bar the generation time).
"""

from __future__ import annotations

import datetime as _dt
import math
import statistics
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from pfnopt.bench.aggregate import Aggregate, Expected, aggregate, expected, metric, missing
from pfnopt.bench.env import fingerprint
from pfnopt.bench.plots import feasibility_figure, history_figure
from pfnopt.exceptions import InputFileNotFoundError

PFN_METHODS = ("pfn-cei", "pfn-cei+", "pfn-penalty", "pfn")
# (method, comparators, strict, at least this many problems) and (method, other, speed factor)
GAP_TARGETS = {"engineering": [("pfn-cei", ("gp-cei",), False, 12), ("pfn-cei", ("optuna-tpe", "random"), True, 15)]}
SPEED_TARGETS = {"engineering": [("pfn-cei", "gp-cei", 10.0), ("pfn-cei", "optuna-gp", 2.0)]}


def _num(v: float | None, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if math.isinf(v):
        return "inf"
    return f"{v:.{digits}g}"


def _cell(text: str, bold: bool) -> str:
    return f"**{text}**" if bold else text


def _table(agg: Aggregate, key: str, fmt: Any, rows: Sequence[str]) -> list[str]:
    lines = ["| problem | " + " | ".join(agg.methods) + " |", "|---" * (len(agg.methods) + 1) + "|"]
    for p in rows:
        best = agg.best_methods(p, key)
        cells = []
        for m in agg.methods:
            s = agg.get(p, m)
            cells.append("·" if s is None else _cell(fmt(s), m in best))
        lines.append(f"| {p} | " + " | ".join(cells) + " |")
    return lines


def _gap_text(s: Any, n_seeds: int) -> str:
    lo, med, hi = s.gap_q()
    text = f"{_num(med)} [{_num(lo, 3)}, {_num(hi, 3)}]"
    if s.n_infeasible:
        text += f" †{s.n_infeasible}"
    if len(s.seeds) != n_seeds:
        text += f" ({len(s.seeds)}/{n_seeds})"
    return text


def _environment(agg: Aggregate) -> list[str]:
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for env in agg.envs:
        groups.setdefault(fingerprint(env), []).append(env)
    lines = []
    for envs in sorted(groups.values(), key=len, reverse=True):
        e = envs[0]
        m, t, v = e["machine"], e["threads"], e["versions"]
        loads = [x["machine"]["load_average"][0] for x in envs if x["machine"].get("load_average")]
        commits = sorted({x.get("git_commit") or "?" for x in envs})
        lines += [
            f"- **{len(envs)} cell(s)** on `{m['platform']}`, {m['cpu'] or 'cpu ?'}, {m['cpus_usable']} usable of "
            f"{m['cpu_count']} CPUs; Python {e['python']}; " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
            f"  Threads: OMP_WAIT_POLICY={t.get('OMP_WAIT_POLICY')}, OPENBLAS_NUM_THREADS="
            f"{t.get('OPENBLAS_NUM_THREADS')}, torch threads {t.get('torch_threads')}, BLAS pools "
            f"{[b['threads'] for b in t.get('blas', [])]}. 1-min load average when cells finished: "
            + (f"{min(loads):.1f}–{max(loads):.1f}" if loads else "?")
            + f". Commits: {', '.join(commits)}.",
        ]
    for method, used in agg.checkpoints.items():
        what = "; ".join(f"`{path}` sha256 {sha} ({n} cells)" for (path, sha), n in used.items())
        warn = " **(different checkpoints across cells)**" if len(used) > 1 else ""
        lines.append(f"- {method} checkpoint: {what}{warn}")
    return lines or ["- no result files yet"]


def _targets(agg: Aggregate, suite: str) -> list[str]:
    lines = []
    n_prob = len(agg.expected.problems)
    for method, others, strict, need in GAP_TARGETS.get(suite, []):
        what = f"final gap {'better than' if strict else 'no worse than'} {' and '.join(others)}"
        absent = [m for m in (method, *others) if m not in agg.methods]
        if absent or n_prob < need:
            why = f"{', '.join(absent)} not in this run" if absent else f"the target is for >= {need} problems"
            lines.append(f"| {method} {what} | >= {need} of {n_prob} | — | not measured ({why}) |")
            continue
        verdicts = {p: [agg.beats(p, method, o, strict) for o in others] for p in agg.expected.problems}
        judged = {p: all(v) for p, v in verdicts.items() if None not in v}
        count, n_judged = sum(judged.values()), len(judged)
        if count >= need:
            status = "met"
        elif count + (n_prob - n_judged) < need:
            status = "**missed**"
        else:
            status = f"pending ({n_prob - n_judged} problems without results)"
        lost = sorted(p for p, ok in judged.items() if not ok)
        lost_txt = f"; not on: {', '.join(lost)}" if lost else ""
        lines.append(
            f"| {method} {what} | >= {need} of {n_prob} | {count} of {n_judged} problems with results"
            f"{lost_txt} | {status} |"
        )
    for method, other, factor in SPEED_TARGETS.get(suite, []):
        a, b = agg.pooled_secs(method, other), agg.pooled_secs(other, method)
        if a is None or b is None:
            lines.append(
                f"| {method} s/iteration {factor:g}x lower than {other} | >= {factor:g}x | "
                f"{'no results for ' + (method if a is None else other)} | not measured |"
            )
            continue
        ratio = b / a if a > 0 else math.inf
        lines.append(
            f"| {method} s/iteration {factor:g}x lower than {other} | >= {factor:g}x | "
            f"{ratio:.2f}x ({_num(a, 3)} s vs {_num(b, 3)} s) | {'met' if ratio >= factor else '**missed**'} |"
        )
    if not lines:
        return []
    return [
        "## Targets",
        "",
        "Measured on the result files below (median final gap over seeds per problem; "
        'median seconds per BO iteration pooled over the problems both methods have results on). "pending": not decided until the missing '
        "cells are in.",
        "",
        "| target | needed | measured | status |",
        "|---|---|---|---|",
        *lines,
        "",
    ]


def _summary(agg: Aggregate) -> list[str]:
    wins = Counter(m for p in agg.problems for m in agg.best_methods(p, "gap"))
    n_with = sum(1 for p in agg.problems if any(agg.get(p, m) for m in agg.methods))
    lines = [
        "## Summary",
        "",
        f"Problems on which each method has the best median final gap (ties count for each; "
        f"{n_with} problems with results):",
        "",
        "| method | problems best | median s/iteration (all cells) | machine load (median 1-min load average) |",
        "|---|---|---|---|",
    ]
    for m in agg.methods:
        load = statistics.median(agg.loads[m]) if agg.loads.get(m) else None
        lines.append(f"| {m} | {wins.get(m, 0)} | {_num(agg.pooled_secs(m), 3)} | {_num(load, 3)} |")
    ratios = []
    for pm in (m for m in PFN_METHODS if m in agg.methods):
        for other in ("gp-cei", "optuna-gp"):
            a, b = agg.pooled_secs(pm, other), agg.pooled_secs(other, pm)
            if a and b:
                ratios.append(f"- {pm} / {other}: {a / b:.3g} of the time per iteration ({b / a:.3g}x faster)")
    lines += [
        "",
        "The machine is shared (2 cores; the load column says how busy it was when each method's cells "
        "finished): compare timings taken under similar load.",
        "",
        "Speed ratios (median seconds per BO iteration, pooled):",
        "",
        *(ratios or ["- not measurable yet"]),
        "",
    ]
    return lines


def _status(out: Path, agg: Aggregate, exp: Expected) -> list[str]:
    miss = missing(out, exp)
    total = len(exp.cells())
    lines = [f"**Cells: {total - len(miss)} of {total} finished.**" + ("" if miss else " None missing."), ""]
    for m, reason in exp.unavailable.items():
        lines.append(f"- {m}: not available: {reason} (its cells are missing, not faked)")
    if miss:
        seeds: dict[tuple[str, str], list[int]] = {}
        for c in miss:
            seeds.setdefault((c.problem, c.method), []).append(c.seed)
        methods = [m for m in exp.methods if any(k[1] == m for k in seeds)]
        lines += [
            "",
            "Missing cells: the seeds still to run per problem and method (blank: complete).",
            "",
            "| problem | "
            + " | ".join(f"{m} ({sum(len(v) for k, v in seeds.items() if k[1] == m)})" for m in methods)
            + " |",
            "|---" * (len(methods) + 1) + "|",
        ]
        for p in exp.problems:
            row = [_seed_list(seeds.get((p, m), []), exp.seeds) for m in methods]
            if any(row):
                lines.append(f"| {p} | " + " | ".join(row) + " |")
    if agg.ignored:
        lines.append(f"\n{agg.ignored} result file(s) of another variant/budget/initial design were left out.")
    return lines + [""]


def _seed_list(seeds: list[int], n: int) -> str:
    if not seeds:
        return ""
    return "all" if len(seeds) == n else ",".join(str(k) for k in sorted(seeds))


def _figures(out: Path, agg: Aggregate, make: bool) -> list[str]:
    lines = [
        "## Figures",
        "",
        "Best feasible value vs evaluations: median over seeds, band = interquartile range, "
        "dashed = known optimum, dotted = end of the shared initial design. Feasibility: running fraction of "
        "feasible evaluations (mean over seeds) and constraint violation per evaluation (median).",
        "",
    ]
    fig_dir = out / "figures"
    for p in agg.problems:
        present = {m: s for m in agg.methods if (s := agg.get(p, m)) is not None}
        if not present:
            continue
        meta = agg.meta.get(p, {})
        title = f"{p} ({agg.expected.variant}, d={meta.get('dim')}, m={meta.get('n_constraints')})"
        if make:
            history_figure(
                {m: s.best for m, s in present.items()},
                fig_dir / f"{p}_history.png",
                title,
                optimum=meta.get("optimum"),
                init=agg.expected.init,
            )
        lines.append(f"### {p}\n\n![{p} history](figures/{p}_history.png)")
        if meta.get("n_constraints"):
            if make:
                feasibility_figure(
                    {m: s.feasible for m, s in present.items()},
                    {m: s.violation for m, s in present.items()},
                    fig_dir / f"{p}_feasibility.png",
                    title,
                    init=agg.expected.init,
                )
            lines.append(f"![{p} feasibility](figures/{p}_feasibility.png)")
        lines.append("")
    return lines


def write_report(
    out: Path, suite: str | None = None, methods: Sequence[str] | None = None, figures: bool = True
) -> Path:
    """Write ``<out>/report.md`` (and the figures); returns its path."""
    out = Path(out)
    exp = expected(out)
    if exp is None:
        raise InputFileNotFoundError(f"{out / 'run.json'} not found: run `pfnopt bench run --out {out}` first")
    suite = suite or exp.suite
    agg = aggregate(out, exp, methods)
    rows = agg.problems
    constrained = [p for p in rows if agg.meta.get(p, {}).get("n_constraints")]
    gap_word = "gap" if suite == "engineering" else "gap (regret for unconstrained problems)"
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# Benchmark report: {suite} suite ({exp.variant} variant)",
        "",
        f"Generated {now} by `pfnopt bench report --suite {suite} --out {out}` from the result files in "
        f"`{out / 'cells'}`. Each cell: {exp.budget} evaluations = {exp.init} shared scrambled-Sobol initial "
        f"points + {exp.budget - exp.init} BO suggestions; seeds 0..{exp.seeds - 1}.",
        "",
        "Command(s):",
        "",
        *[f"    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 {c}" for c in exp.commands],
        "",
        "Machine, versions and threads (from the cells' environment blocks):",
        "",
        *_environment(agg),
        "",
        *_status(out, agg, exp),
        *_targets(agg, suite),
        *_summary(agg),
        f"## Final {gap_word} after {exp.budget} evaluations",
        "",
        "Median [25%, 75%] over seeds of (best feasible value − known optimum); †k: k seeds found no feasible "
        "point (gap +inf); bold: best median per row; ·: no results yet; (k/n): only k of n seeds.",
        "",
        *_table(agg, "gap", lambda s: _gap_text(s, exp.seeds), rows),
        "",
    ]
    if constrained:
        lines += [
            "## Fraction of feasible BO suggestions",
            "",
            f"Mean over seeds of the share of the {exp.budget - exp.init} model-based suggestions that were feasible.",
            "",
            *_table(agg, "feasible", lambda s: _num(metric(s, "feasible"), 3), constrained),
            "",
            "## Evaluations to the first feasible point",
            "",
            "Median over seeds (1-based, initial design included); inf: the median seed never found one.",
            "",
            *_table(agg, "first", lambda s: _num(metric(s, "first"), 4), constrained),
            "",
        ]
    lines += [
        "## Median seconds per iteration",
        "",
        "Sampler wall time per BO suggestion (surrogate + acquisition; objective excluded), median over the "
        "iterations of all seeds.",
        "",
        *_table(agg, "secs", lambda s: _num(s.median_secs(), 3), rows),
        "",
        *_figures(out, agg, figures),
    ]
    path = out / "report.md"
    path.write_text("\n".join(lines).rstrip() + "\n")
    return path
