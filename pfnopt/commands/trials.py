"""``pfnopt ask|tell|optimize|trials|best``: driving a study from the shell."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import typer
from rich.table import Table

from pfnopt.commands._common import (
    OBJECTIVE_HELP,
    SAMPLER_HELP,
    StorageOption,
    cli_errors,
    console,
    fmt,
    load_objective,
    parse_space,
    require_existing_database,
    storage_url,
)


def _study(name: str, storage: str | None, sampler: str | None = None, seed: int | None = None):
    import pfnopt
    from pfnopt.samplers import get_sampler

    url = require_existing_database(storage_url(storage))
    return pfnopt.load_study(name, url, sampler=get_sampler(sampler or "random", seed=seed))


@cli_errors
def ask(
    study: str = typer.Argument(..., help="Study name."),
    space: str | None = typer.Option(None, "--space", help='Search space as JSON, e.g. \'{"x": {"type": "float", "low": 0, "high": 1}}\'.'),
    search_space: str | None = typer.Option(
        None, "--search-space",
        help='Optuna\'s search-space JSON (as `optuna ask` takes it), e.g. '
        '\'{"x": {"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0}}}\'.'),
    sampler: str | None = typer.Option(None, "--sampler", help=SAMPLER_HELP),
    seed: int | None = typer.Option(None, "--seed", help="Sampler seed."),
    storage: str | None = StorageOption,
) -> None:
    """Start a trial and print its number and parameters as JSON (for shell scripts).

    Example: pfnopt ask beam --space '{"x": {"type": "float", "low": 0, "high": 1}, "n": {"type": "int", "low": 1, "high": 8}}'
    """
    import pfnopt
    from pfnopt.samplers import get_sampler

    if (space is None) == (search_space is None):
        raise ValueError("pfnopt ask needs --space (pfnopt's JSON) or --search-space (Optuna's JSON), exactly one")
    if space is not None:
        parsed = parse_space(space)
    else:
        from pfnopt.commands.interop import parse_optuna_search_space

        parsed = parse_optuna_search_space(search_space)
    st = pfnopt.load_study(study, require_existing_database(storage_url(storage)), sampler=get_sampler(sampler, seed=seed))
    trial = st.ask(parsed)
    typer.echo(json.dumps({"number": trial.number, "params": trial.params}))


@cli_errors
def tell(
    study: str = typer.Argument(..., help="Study name."),
    number: int = typer.Argument(..., help="Trial number (as printed by `pfnopt ask`)."),
    value: list[float] | None = typer.Option(None, "--value", "-v", help="Objective value; repeat for several objectives."),
    constraint: list[float] | None = typer.Option(None, "--constraint", "-c", help="Constraint value (feasible when <= 0); repeat."),
    state: str | None = typer.Option(None, "--state", help="complete (default with --value), fail or pruned."),
    storage: str | None = StorageOption,
) -> None:
    """Finish a trial with its value(s) and constraint values.

    Example: pfnopt tell beam 3 --value 1.25 --constraint -0.1 --constraint 0.3
    """
    st = _study(study, storage)
    frozen = st.tell(number, values=list(value) if value else None, state=state,
                     constraints=list(constraint) if constraint else None)
    reason = frozen.system_attrs.get("fail_reason")
    suffix = f" ({reason})" if reason else ""
    console.print(f"trial {frozen.number} of {study}: {frozen.state.name}{suffix}")


@cli_errors
def optimize(
    study: str = typer.Argument(..., help="Study name (created if it does not exist)."),
    objective: str = typer.Option(..., "--objective", help=OBJECTIVE_HELP),
    n_trials: int = typer.Option(..., "--n-trials", "-n", min=1, help="Number of trials to run."),
    sampler: str | None = typer.Option(None, "--sampler", help=SAMPLER_HELP),
    seed: int | None = typer.Option(None, "--seed", help="Sampler seed."),
    direction: str = typer.Option("minimize", "--direction", help="Direction if the study is created."),
    timeout: float | None = typer.Option(None, "--timeout", help="Stop after this many seconds."),
    n_jobs: int = typer.Option(1, "--n-jobs", help="Parallel threads."),
    verbose: bool = typer.Option(False, "--verbose", help="Print each trial with the sampler's diagnostics."),
    storage: str | None = StorageOption,
) -> None:
    """Run an objective for N trials with a progress bar, then show the best trials.

    Example: pfnopt optimize beam --objective examples/beam.py:objective --n-trials 40 --sampler sobol --seed 0
    """
    import pfnopt
    from pfnopt.samplers import get_sampler

    fn = load_objective(objective)
    st = pfnopt.create_study(study_name=study, storage=storage_url(storage), direction=direction,
                             load_if_exists=True, sampler=get_sampler(sampler, seed=seed))
    callbacks = [_print_trial] if verbose else []
    st.optimize(fn, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs, callbacks=callbacks,
                show_progress_bar=not verbose)
    print_best_table(st)


def _print_trial(study: Any, t: Any) -> None:
    diag = {k.split(":", 1)[1]: v for k, v in t.system_attrs.items() if k.startswith("sampler:")}
    value = fmt(t.values[0]) if t.values else "-"
    extras = "  ".join(f"{k}={fmt(v)}" for k, v in sorted(diag.items()))
    feas = "" if t.constraints is None else ("feasible" if t.feasible else "infeasible")
    console.print(f"trial {t.number:4d} {t.state.name:8s} value={value:>12s} {feas:10s} {extras}", highlight=False)


def print_best_table(st: Any, top: int = 5) -> None:
    """A table of the best feasible complete trials (up to ``top``)."""
    from pfnopt.records import StudyDirection, TrialState

    complete = [t for t in st.get_trials(states=(TrialState.COMPLETE,)) if t.feasible]
    if not complete:
        n = len(st.get_trials())
        console.print(f"[yellow]no feasible complete trial among {n} trial(s)[/]")
        return
    if len(st.directions) == 1:
        sign = 1 if st.directions[0] == StudyDirection.MINIMIZE else -1
        complete.sort(key=lambda t: sign * t.values[0])
    best = complete[:top]
    table = Table(title=f"best feasible trials of {st.study_name}")
    table.add_column("trial", justify="right")
    table.add_column("value" if len(st.directions) == 1 else "values", justify="right")
    names = list(dict.fromkeys(n for t in best for n in t.params))
    for n in names:
        table.add_column(n, justify="right")
    for t in best:
        table.add_row(str(t.number), ", ".join(fmt(v) for v in t.values), *(fmt(t.params.get(n)) for n in names))
    console.print(table)


@cli_errors
def trials(
    study: str = typer.Argument(..., help="Study name."),
    format: str = typer.Option("table", "--format", "-f", help="table, csv or json."),
    storage: str | None = StorageOption,
) -> None:
    """Print every trial of a study.

    Example: pfnopt trials beam --format csv > beam.csv
    """
    from pfnopt._dataframe import json_plain, trial_json_rows, trial_rows

    if format not in ("table", "csv", "json"):
        from pfnopt.exceptions import UsageError

        raise UsageError(f"--format must be table, csv or json, got {format!r}")
    if format == "json":
        typer.echo(json.dumps(trial_json_rows(_study(study, storage)), indent=1))
        return
    rows = trial_rows(_study(study, storage))
    cols = list(dict.fromkeys(k for r in rows for k in r))
    if format == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=cols)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: json_plain(r.get(k)) for k in cols})
        typer.echo(buf.getvalue().rstrip("\n"))
    else:
        shown = [c for c in cols if c not in ("datetime_start", "datetime_complete", "fail_reason")]
        table = Table(title=f"trials of {study}")
        for c in shown:
            table.add_column(c.replace("params_", ""), justify="right")
        for r in rows:
            table.add_row(*(fmt(r.get(c)) for c in shown))
        console.print(table)


@cli_errors
def best(study: str = typer.Argument(..., help="Study name."), storage: str | None = StorageOption) -> None:
    """Print the best feasible trial.

    Example: pfnopt best beam
    """
    st = _study(study, storage)
    t = st.best_trial
    table = Table(title=f"best feasible trial of {study}: trial {t.number}")
    table.add_column("")
    table.add_column("", justify="right")
    table.add_row("value", fmt(t.values[0]))
    for k, v in t.params.items():
        table.add_row(k, fmt(v))
    for i, c in enumerate(t.constraints or []):
        table.add_row(f"constraint {i}", fmt(c))
    console.print(table)
