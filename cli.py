"""The ``pfnopt`` command: studies, trials, optimisation, benchmarks, AutoML, PFN pre-training.

Exit codes: 0 ok, 2 usage error, 1 failure (one line; the traceback with --debug).
"""

from __future__ import annotations

import os

import typer

from pfnopt.commands import demo as _demo
from pfnopt.commands import studies as _studies
from pfnopt.commands import trials as _trials

app = typer.Typer(
    name="pfnopt",
    help="Bayesian optimisation with a pre-trained transformer surrogate. "
    "Storage: --storage URL, $PFNOPT_STORAGE, else sqlite:///store/pfnopt.db.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
) -> None:
    if debug:
        os.environ["PFNOPT_DEBUG"] = "1"


app.add_typer(_studies.study_app, name="study")
app.add_typer(_studies.db_app, name="db")
app.command("ask")(_trials.ask)
app.command("tell")(_trials.tell)
app.command("optimize")(_trials.optimize)
app.command("trials")(_trials.trials)
app.command("best")(_trials.best)
app.command("demo")(_demo.demo)


def _mount_optional() -> None:
    """Command groups owned by the heavier parts; each imports its dependencies lazily."""
    import importlib

    for module, attr, name, is_group in (
        ("pfnopt.commands.pretrain", "pretrain", "pretrain", False),
        ("pfnopt.commands.automl", "app", "automl", True),
        ("pfnopt.commands.bench", "app", "bench", True),
        ("pfnopt.commands.plot", "app", "plot", True),
    ):
        try:
            obj = getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as e:
            if e.name == module:
                continue
            raise
        if is_group:
            app.add_typer(obj, name=name)
        else:
            app.command(name)(obj)


_mount_optional()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
