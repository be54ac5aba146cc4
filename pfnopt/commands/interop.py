"""``pfnopt export optuna STUDY --to URL`` / ``pfnopt import optuna STUDY --from URL``: studies
between pfnopt's storage and Optuna's (so optuna-dashboard can show a pfnopt study, and an Optuna
study can be continued with pfnopt's samplers). Also Optuna's ``--search-space`` JSON for ``ask``."""

from __future__ import annotations

import json

import typer

from pfnopt.commands._common import StorageOption, cli_errors, storage_url

export_app = typer.Typer(help="Copy a pfnopt study to another library's storage.", no_args_is_help=True)
import_app = typer.Typer(help="Copy a study from another library's storage into pfnopt's.", no_args_is_help=True)


@export_app.command("optuna")
@cli_errors
def export_optuna(
    study: str = typer.Argument(..., help="Name of the pfnopt study."),
    to: str = typer.Option(..., "--to", help="Optuna storage URL, e.g. sqlite:///optuna.db (what optuna-dashboard opens)."),
    name: str | None = typer.Option(None, "--name", help="Study name in the Optuna storage (default: the same)."),
    storage: str | None = StorageOption,
) -> None:
    """Copy STUDY with every trial (params, values, constraints, intermediate values, attrs, states, datetimes) to Optuna."""
    from pfnopt.integrations.optuna_storage import export_to_optuna

    target = export_to_optuna(study, storage_url(storage), to, name)
    typer.echo(f"exported {len(target.trials)} trial(s) of {study!r} to {to} as {target.study_name!r}")


@import_app.command("optuna")
@cli_errors
def import_optuna(
    study: str = typer.Argument(..., help="Name of the Optuna study."),
    from_url: str = typer.Option(..., "--from", help="Optuna storage URL, e.g. sqlite:///optuna.db."),
    name: str | None = typer.Option(None, "--name", help="Study name in pfnopt's storage (default: the same)."),
    storage: str | None = StorageOption,
) -> None:
    """Copy an Optuna study with every trial into pfnopt's storage."""
    from pfnopt.integrations.optuna_storage import import_from_optuna

    target = import_from_optuna(study, from_url, storage_url(storage), name)
    typer.echo(f"imported {len(target.trials)} trial(s) of {study!r} from {from_url} as {target.study_name!r}")


def parse_optuna_search_space(text: str):
    """Optuna's ``--search-space`` JSON (``{"x": {"name": "FloatDistribution", "attributes": {...}}}``)
    -> SearchSpace."""
    from pfnopt.distributions import json_to_distribution
    from pfnopt.space import SearchSpace

    try:
        body = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"--search-space is not valid JSON ({e.msg} at char {e.pos}): {text!r}") from None
    if not isinstance(body, dict) or not body:
        raise ValueError('--search-space must be a JSON object of parameters, e.g. '
                         '{"x": {"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0}}}')
    return SearchSpace({name: json_to_distribution(spec) for name, spec in body.items()})
