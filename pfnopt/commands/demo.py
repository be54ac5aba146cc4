"""``pfnopt demo``: the main job on the embedded default, a constrained engineering problem."""

from __future__ import annotations

import datetime as _dt

import typer

from pfnopt.commands._common import SAMPLER_HELP, StorageOption, cli_errors, console, fmt, storage_url


@cli_errors
def demo(
    problem: str = typer.Option(
        "welded_beam", "--problem", help="A problem of pfnopt.problems (see `pfnopt bench problems`)."
    ),
    n_trials: int = typer.Option(40, "--n-trials", "-n", min=1, help="Number of evaluations."),
    sampler: str | None = typer.Option(None, "--sampler", help=SAMPLER_HELP),
    seed: int = typer.Option(0, "--seed", help="Sampler seed."),
    storage: str | None = StorageOption,
) -> None:
    """Optimise a constrained engineering problem and show the best feasible trials.

    The study is stored (SQLite by default, store/pfnopt.db) under a new name, so
    `pfnopt trials NAME` shows it afterwards.

    Example: pfnopt demo --problem pressure_vessel --n-trials 60
    """
    import pfnopt
    from pfnopt import problems
    from pfnopt.commands.trials import print_best_table
    from pfnopt.samplers import get_sampler

    p = problems.get(problem)
    chosen = get_sampler(sampler, seed=seed)
    name = f"demo-{problem}-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S-%f')}"
    study = pfnopt.create_study(study_name=name, storage=storage_url(storage), sampler=chosen)
    console.print(
        f"[bold]{problem}[/]: {p.dim} variables, {p.n_constraints} constraints (feasible when every g <= 0); "
        f"sampler {type(chosen).__name__}; study [bold]{name}[/] in {study.storage.describe()}"
    )
    study.optimize(p.objective, n_trials=n_trials, show_progress_bar=True)
    print_best_table(study)
    if p.optimum is not None:
        console.print(f"best known optimum: {fmt(p.optimum)}")
