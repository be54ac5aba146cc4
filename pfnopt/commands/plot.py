"""``pfnopt plot history|feasibility STUDY``: the benchmark report's figures for any study."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from pfnopt.commands._common import StorageOption, cli_errors, console, storage_url

app = typer.Typer(help="Figures of a study (PNG, matplotlib).", no_args_is_help=True)


def _load(study: str, storage: str | None):
    import pfnopt
    from pfnopt.bench.plots import study_arrays

    st = pfnopt.load_study(study, storage_url(storage), sampler="random")  # no model needed to read it
    arrays = study_arrays(st)
    if not arrays["points"]["x"].size:
        from pfnopt.exceptions import NoFeasibleTrialError

        raise NoFeasibleTrialError(f"study {study!r} has no complete trial to plot")
    return st, arrays


def _default_out(study: str, kind: str) -> Path:
    return Path(f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', study)}_{kind}.png")


@app.command("history")
@cli_errors
def history(
    study: str = typer.Argument(..., help="Study name."),
    storage: str | None = StorageOption,
    out: Path | None = typer.Option(None, "--out", help="PNG file (default ./<study>_history.png)."),
    optimum: float | None = typer.Option(None, "--optimum", help="Draw this known optimum as a line."),
) -> None:
    """Best feasible value vs trials, over every evaluation (feasible and infeasible marked).

    Example: pfnopt plot history beam --storage sqlite:///store/pfnopt.db --out beam.png
    """
    from pfnopt.bench.plots import history_figure

    st, a = _load(study, storage)
    path = history_figure(
        {study: a["best"]},
        out or _default_out(study, "history"),
        f"study {study}",
        optimum=optimum,
        points=a["points"],
        maximize=a["maximize"],
    )
    console.print(f"wrote {path}", highlight=False)


@app.command("feasibility")
@cli_errors
def feasibility(
    study: str = typer.Argument(..., help="Study name."),
    storage: str | None = StorageOption,
    out: Path | None = typer.Option(None, "--out", help="PNG file (default ./<study>_feasibility.png)."),
) -> None:
    """Running fraction of feasible trials and each trial's constraint violation.

    Example: pfnopt plot feasibility beam --storage sqlite:///store/pfnopt.db
    """
    from pfnopt.bench.plots import feasibility_figure

    st, a = _load(study, storage)
    if not a["constrained"]:
        console.print(f"[yellow]study {study!r} has no constraints: every trial is feasible[/]")
    path = feasibility_figure(
        {study: a["feasible"]}, {study: a["violation"]}, out or _default_out(study, "feasibility"), f"study {study}"
    )
    console.print(f"wrote {path}", highlight=False)
