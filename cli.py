"""The ``pfnopt`` command: studies, trials, optimisation, benchmarks, AutoML, PFN pre-training.

Exit codes: 0 ok, 2 usage error, 1 failure (one line; the traceback with --debug).
"""

from __future__ import annotations

import os

import typer

from pfnopt.commands import automl as _automl
from pfnopt.commands import bench as _bench
from pfnopt.commands import demo as _demo
from pfnopt.commands import interop as _interop
from pfnopt.commands import plot as _plot
from pfnopt.commands import pretrain as _pretrain
from pfnopt.commands import serve as _serve
from pfnopt.commands import studies as _studies
from pfnopt.commands import trials as _trials
from pfnopt.commands import worker as _worker

app = typer.Typer(
    name="pfnopt",
    help="Bayesian optimisation with a pre-trained transformer surrogate. "
    "Storage: --storage URL, $PFNOPT_STORAGE, else sqlite:///store/pfnopt.db.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from pfnopt import __version__

        typer.echo(f"pfnopt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
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
app.command("worker")(_worker.worker)
app.command("demo")(_demo.demo)
app.command("pretrain")(_pretrain.pretrain)
app.add_typer(_bench.app, name="bench")
app.add_typer(_plot.app, name="plot")
app.add_typer(_automl.app, name="automl")
app.add_typer(_interop.export_app, name="export")
app.add_typer(_interop.import_app, name="import")
app.command("serve")(_serve.serve)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
