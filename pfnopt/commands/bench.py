"""``pfnopt bench run|report|problems``: the benchmark suites (see pfnopt/bench and benchmarks/README.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.table import Table

from pfnopt.commands._common import cli_errors, console, fmt

app = typer.Typer(help="Run the benchmark suites, write their reports, list their problems.", no_args_is_help=True)

QUICK_PROBLEMS = {
    "engineering": ("three_bar_truss", "gkxwc1", "pressure_vessel"),
    "synthetic": ("branin", "gramacy", "hartmann_6d"),
}
QUICK = {"seeds": 2, "budget": 12, "init": 6}
# the issues' protocols: engineering (issue 6) 5 seeds x 100 = 20 + 80; synthetic (issue 5) 10 seeds x 50
FULL = {"engineering": {"seeds": 5, "budget": 100, "init": 20}, "synthetic": {"seeds": 10, "budget": 50, "init": 10}}


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [x.strip() for x in text.split(",") if x.strip()]


@app.command("run")
@cli_errors
def run(
    suite: str = typer.Option("engineering", "--suite", help="engineering, synthetic, all or multiobjective."),
    methods: str | None = typer.Option(
        None, "--methods", help="Comma-separated sampler names (default: the suite's list, see the README)."
    ),
    seeds: int | None = typer.Option(
        None, "--seeds", help="Seeds 0..N-1 per (problem, method) [engineering 5, synthetic 10; quick 2]."
    ),
    budget: int | None = typer.Option(
        None,
        "--budget",
        help="Evaluations per cell, initial design included [engineering 100, synthetic 50; quick 12].",
    ),
    init: int | None = typer.Option(
        None, "--init", help="Shared scrambled-Sobol initial points [engineering 20, synthetic 10; quick 6]."
    ),
    problems_: str | None = typer.Option(
        None, "--problems", help="Comma-separated problem names (default: the suite)."
    ),
    variant: str = typer.Option("default", "--variant", help="Problem formulation: default or paper."),
    out: Path | None = typer.Option(
        None, "--out", help="Results folder (default benchmarks/results/<suite>[-paper]; quick: a new temp folder)."
    ),
    storage: str | None = typer.Option(
        None,
        "--storage",
        help="Storage URL of the cells' studies (default sqlite:///<out>/_studies.db).",
        show_default=False,
    ),
    workers: int = typer.Option(1, "--workers", help="Worker processes (one cell each)."),
    threads: int = typer.Option(1, "--threads", help="torch threads per process."),
    quick: bool = typer.Option(
        False, "--quick", help="3 problems, 2 seeds, budget 12, init 6, cheap methods + pfn-cei, gp-cei."
    ),
    report: bool | None = typer.Option(None, "--report/--no-report", help="Write the report afterwards [quick: yes]."),
) -> None:
    """Run every (problem, method, seed) cell not yet done; resumes where a previous run stopped.

    Example: pfnopt bench run --suite engineering --methods gp-cei,sobol --seeds 5 --budget 100 --init 20
    """
    from pfnopt import problems
    from pfnopt.bench import RunSpec, default_out, default_storage
    from pfnopt.bench.env import apply_thread_settings
    from pfnopt.bench.methods import QUICK_METHODS, parse_methods, probe
    from pfnopt.bench.runner import run_benchmark

    apply_thread_settings(threads)
    if suite == "multiobjective":
        _run_multiobjective(methods, seeds, budget, init, problems_, out, quick, report)
        return
    base = QUICK if quick else FULL.get(suite, FULL["engineering"])
    names = _split(problems_) or (list(QUICK_PROBLEMS.get(suite, ())) if quick else None) or problems.names(suite)
    for name in names:
        problems.get(name, variant)  # unknown names or variants fail here, before any work
    wanted = parse_methods(methods if methods is not None else (",".join(QUICK_METHODS) if quick else None), suite)
    unavailable = {}
    for m in wanted:
        reason = probe(m)
        if reason is not None:
            unavailable[m] = reason
            console.print(f"[yellow]{m}: not available: {reason}[/] (its cells are skipped)", highlight=False)
    if quick and out is None:
        out = Path(tempfile.mkdtemp(prefix="pfnopt-bench-quick-"))
    out = out or default_out(suite, variant)
    spec = RunSpec(
        suite=suite,
        problems=tuple(names),
        methods=tuple(wanted),
        seeds=seeds or base["seeds"],
        budget=budget or base["budget"],
        init=base["init"] if init is None else init,
        variant=variant,
        unavailable=unavailable,
    )
    url = storage or default_storage(out)
    console.print(f"results: {out}   studies: {url}\ncommand: {spec.command()}", highlight=False)
    counts = run_benchmark(spec, out, url, workers=workers, threads=threads, console=console)
    console.print(
        f"cells: {counts['done']} run now, {counts['skipped']} already done, {counts['failed']} failed, "
        f"{counts['busy']} held by another process, {counts['unavailable']} of unavailable methods",
        highlight=False,
    )
    if report if report is not None else quick:
        from pfnopt.bench.report import write_report

        console.print(f"report: {write_report(out, suite)}", highlight=False)
    if counts["failed"]:
        raise typer.Exit(1)


def _run_multiobjective(methods: str | None, seeds: int | None, budget: int | None, init: int | None,
                        problems_: str | None, out: Path | None, quick: bool, report: bool | None) -> None:
    """The multi-objective suite (pfnopt/bench/multiobjective.py): its own cells, hypervolume regret."""
    from pfnopt.bench import multiobjective as mo
    from pfnopt.bench.methods import parse_methods
    from pfnopt.problems.multiobjective import QUICK as QUICK_MO
    from pfnopt.problems.multiobjective import get, names

    base = mo.QUICK if quick else mo.FULL
    chosen = _split(problems_) or (list(QUICK_MO) if quick else names())
    for name in chosen:
        get(name)  # unknown names fail here, before any work
    wanted = parse_methods(methods or ",".join(mo.QUICK_METHODS if quick else mo.METHODS), "multiobjective")
    if quick and out is None:
        out = Path(tempfile.mkdtemp(prefix="pfnopt-bench-mo-quick-"))
    out = out or Path("benchmarks") / "multiobjective" / "results"
    counts = mo.run_suite(out, chosen, wanted, seeds or base["seeds"], budget or base["budget"],
                          base["init"] if init is None else init,
                          log=lambda text: console.print(text, highlight=False))
    console.print(f"cells: {counts['done']} run now, {counts['skipped']} already done, {counts['failed']} failed",
                  highlight=False)
    if report if report is not None else True:
        console.print(f"report: {mo.write_report(out)}", highlight=False)
    if counts["failed"]:
        raise typer.Exit(1)


@app.command("report")
@cli_errors
def report_(
    suite: str = typer.Option("engineering", "--suite", help="engineering, synthetic or all."),
    variant: str = typer.Option("default", "--variant", help="default or paper (picks the default folder)."),
    out: Path | None = typer.Option(None, "--out", help="Results folder (default benchmarks/results/<suite>[-paper])."),
    methods: str | None = typer.Option(None, "--methods", help="Only these methods, in this order."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Also (re)draw the PNG figures."),
) -> None:
    """Write <out>/report.md and <out>/figures/*.png from the result files.

    Example: pfnopt bench report --suite engineering
    """
    from pfnopt.bench import default_out
    from pfnopt.bench.report import write_report

    if suite == "multiobjective":
        from pfnopt.bench.multiobjective import write_report as write_mo_report

        path = write_mo_report(out or Path("benchmarks") / "multiobjective" / "results", figures)
        console.print(f"report: {path}", highlight=False)
        return
    path = write_report(out or default_out(suite, variant), suite, _split(methods), figures)
    console.print(f"report: {path}", highlight=False)


@app.command("problems")
@cli_errors
def problems_cmd(
    suite: str = typer.Option("engineering", "--suite", help="engineering, synthetic or all."),
    variant: str = typer.Option("default", "--variant", help="default or paper."),
) -> None:
    """List a suite's problems: dimension, constraints, known optimum.

    Example: pfnopt bench problems --suite synthetic
    """
    from pfnopt import problems

    table = Table(title=f"{suite} suite ({variant} variant)")
    for col in ("problem", "dim", "m", "optimum", "reference"):
        table.add_column(col)
    for name in problems.names(suite):
        v = variant if variant in problems.variants(name) else "default"
        p = problems.get(name, v)
        table.add_row(name, str(p.dim), str(p.n_constraints), fmt(p.optimum) or "unknown", p.reference)
    console.print(table)
