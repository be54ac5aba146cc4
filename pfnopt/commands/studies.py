"""``pfnopt study create|list|delete`` and ``pfnopt db upgrade``."""

from __future__ import annotations

import typer
from rich.table import Table

from pfnopt.commands._common import StorageOption, cli_errors, console, fmt, require_existing_database, storage_url

study_app = typer.Typer(help="Create, list and delete studies.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)


@study_app.command("create")
@cli_errors
def create(
    name: str = typer.Argument(..., help="Study name (unique in the storage)."),
    direction: list[str] | None = typer.Option(
        None, "--direction", "-d", help="minimize or maximize; repeat for several objectives."
    ),
    storage: str | None = StorageOption,
) -> None:
    """Create a study.

    Example: pfnopt study create beam --direction minimize
    """
    import pfnopt

    directions = direction or ["minimize"]
    study = pfnopt.create_study(study_name=name, storage=storage_url(storage), directions=directions)
    console.print(f"created study [bold]{study.study_name}[/] ({', '.join(directions)}) in {study.storage.describe()}")


@study_app.command("list")
@cli_errors
def list_(storage: str | None = StorageOption) -> None:
    """List the studies with their trial counts and best values.

    Example: pfnopt study list --storage sqlite:///store/pfnopt.db
    """
    import pfnopt
    from pfnopt.exceptions import NoFeasibleTrialError

    url = require_existing_database(storage_url(storage))
    infos = pfnopt.get_all_study_summaries(url)
    table = Table(title=f"studies in {pfnopt.study.get_storage(url).describe()}")
    for col in ("name", "directions", "trials", "best", "created"):
        table.add_column(col)
    for info in infos:
        best = ""
        if len(info.directions) == 1 and info.n_trials:
            try:
                best = fmt(pfnopt.load_study(info.name, url, sampler="random").best_value)
            except NoFeasibleTrialError:
                best = "none feasible"
        created = info.created.strftime("%Y-%m-%d %H:%M") if info.created else ""
        table.add_row(info.name, ",".join(d.name.lower() for d in info.directions), str(info.n_trials), best, created)
    console.print(table)


@study_app.command("delete")
@cli_errors
def delete(
    name: str = typer.Argument(..., help="Study to delete, with all its trials."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    storage: str | None = StorageOption,
) -> None:
    """Delete a study and its trials.

    Example: pfnopt study delete beam --yes
    """
    import pfnopt

    url = require_existing_database(storage_url(storage))
    pfnopt.load_study(name, url, sampler="random")  # unknown study -> clear error before asking
    if not yes and not typer.confirm(f"delete study {name!r} and all its trials?"):
        raise typer.Exit(1)
    pfnopt.delete_study(name, url)
    console.print(f"deleted study [bold]{name}[/]")


@db_app.command("upgrade")
@cli_errors
def upgrade(storage: str | None = StorageOption) -> None:
    """Bring the database schema to the version this pfnopt expects (Alembic migrations).

    Example: pfnopt db upgrade --storage postgresql+psycopg://user@host/db
    """
    from pfnopt.storage import upgrade as do_upgrade

    url = storage_url(storage)
    message = do_upgrade(url)
    console.print(message or "schema is up to date")
