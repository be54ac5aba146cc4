"""``pfnopt automl run|best|export``: search the patch-model family from the shell."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from pfnopt.commands._common import StorageOption, cli_errors, console, fmt, storage_url

app = typer.Typer(
    help="AutoML over patch models (PatchTST, TSMixer, ViT, MLP-Mixer, ...): every candidate a trial, trained for real.",
    no_args_is_help=True,
)

# Idle OpenMP threads must sleep, not spin: small models on a shared CPU run several times faster.
# (Only effective before torch is first imported, which this module does lazily.)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ARTIFACTS_HELP = "Folder for the best model's weights as the search finds it (export then needs no retraining)."


class _RichMonitor:
    """A live line per search: trial, family, epoch, validation loss, best so far."""

    def __init__(self, n_trials: int | None, epochs: int):
        from rich.live import Live

        self.n_trials, self.epochs = n_trials, epochs
        self.trial, self.family, self.epoch, self.value = None, "", None, None
        self.best = "none yet"
        self.done = 0
        self.t0 = time.perf_counter()
        self.live = Live(self._render(), console=console, refresh_per_second=4, transient=False)

    def _render(self) -> Table:
        t = Table(show_header=True, header_style="bold", box=None)
        for col in ("trial", "family", "epoch", "val loss", "best so far", "elapsed"):
            t.add_column(col)
        total = f"/{self.n_trials}" if self.n_trials else ""
        t.add_row(
            f"{self.trial if self.trial is not None else '-'} ({self.done}{total} done)",
            self.family,
            f"{self.epoch + 1}/{self.epochs}" if self.epoch is not None else "-",
            fmt(self.value) if self.value is not None else "-",
            self.best,
            f"{time.perf_counter() - self.t0:.0f}s",
        )
        return t

    def trial_started(self, number: int, params: dict[str, Any]) -> None:
        self.trial, self.family, self.epoch, self.value = number, params["family"], None, None
        self.live.update(self._render())

    def epoch_done(self, number: int, epoch: int, value: float) -> None:
        self.epoch, self.value = epoch, value
        self.live.update(self._render())

    def trial_finished(self, study: Any, frozen: Any) -> None:
        from pfnopt.exceptions import NoFeasibleTrialError

        self.done += 1
        try:
            bt = study.best_trial
            self.best = f"{bt.value:.4g} (trial {bt.number}, {bt.params.get('family')})"
        except NoFeasibleTrialError:
            pass
        self.live.update(self._render())


@app.command("run")
@cli_errors
def run(
    task: str = typer.Option(..., "--task", help="etth1, etth2, csv, synthetic, digits, mnist or npy."),
    data: str | None = typer.Option(None, "--data", help="Data file or folder (ETT csv, your csv, a folder of .npy)."),
    target: str | None = typer.Option(None, "--target", help="Target column of a --task csv."),
    horizon: int | None = typer.Option(None, "--horizon", help="Forecast horizon (default 96; 24 for synthetic)."),
    n_trials: int = typer.Option(20, "--n-trials", help="Number of trials."),
    sampler: str | None = typer.Option(
        None, "--sampler", help="pfn, tpe, random or sobol (default: pfn when available, else tpe)."
    ),
    pruner: str = typer.Option("none", "--pruner", help="median or none."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    epochs: int = typer.Option(10, "--epochs", help="Epochs per trial."),
    steps_per_epoch: int | None = typer.Option(None, "--steps-per-epoch", help="Cap on optimizer steps per epoch."),
    eval_windows: int | None = typer.Option(None, "--eval-windows", help="Cap on validation samples per epoch."),
    space: str | None = typer.Option(None, "--space", help="JSON or YAML file that restricts or extends the space."),
    max_params: float | None = typer.Option(None, "--max-params", help="Constraint: parameter count."),
    max_flops: float | None = typer.Option(None, "--max-flops", help="Constraint: forward FLOPs per sample."),
    max_latency_ms: float | None = typer.Option(
        None, "--max-latency-ms", help="Constraint: measured latency, batch 1."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the sampler and of every training run."),
    timeout: float | None = typer.Option(None, "--timeout", help="Stop starting trials after this many seconds."),
    study: str | None = typer.Option(
        None, "--study", help="Study name (default: automl-TASK-<random>); an existing one is continued."
    ),
    artifacts: str = typer.Option("store/automl", "--artifacts", help=ARTIFACTS_HELP),
    storage: str | None = StorageOption,
) -> None:
    """Search architectures and training hyperparameters of patch models on a task.

    Example: pfnopt automl run --task digits --n-trials 20 --sampler tpe --epochs 5 --pruner median

    Example: pfnopt automl run --task etth1 --data ../shared/data/ett/ETTh1.csv --n-trials 30 --space space.yaml
    """
    from pfnopt.automl.searcher import search
    from pfnopt.automl.tasks import get_task
    from pfnopt.automl.train import TrainConfig
    from pfnopt.samplers import sampler_names

    if sampler is None:
        sampler = "pfn" if "pfn" in sampler_names() else "tpe"
    name = study or f"automl-{task.lower()}-{uuid.uuid4().hex[:6]}"
    task_obj = get_task(task, data=data, target=target, horizon=horizon)  # bad input fails before the display
    tc = TrainConfig(epochs=epochs, steps_per_epoch=steps_per_epoch, eval_windows=eval_windows, device=device)
    monitor = _RichMonitor(n_trials, epochs)
    console.print(
        f"study [bold]{name}[/] on task {task}: {n_trials} trials, sampler {sampler}, storage {storage_url(storage)}"
    )
    with monitor.live:
        st = search(
            task_obj,
            n_trials=n_trials,
            sampler=sampler,
            pruner=pruner,
            space=space,
            train_config=tc,
            max_params=max_params,
            max_flops=max_flops,
            max_latency_ms=max_latency_ms,
            study_name=name,
            storage=storage_url(storage),
            load_if_exists=True,
            seed=seed,
            device=device,
            timeout=timeout,
            artifact_dir=Path(artifacts) / name,
            monitor=monitor,
        )
    _print_best(st)
    console.print(f"next: pfnopt automl export {name} --out DIR")


def _print_best(st: Any) -> None:
    from pfnopt.exceptions import NoFeasibleTrialError

    try:
        bt = st.best_trial
    except NoFeasibleTrialError as e:
        console.print(f"[yellow]{e}[/]")
        return
    table = Table(title=f"best architecture of {st.study_name}: trial {bt.number}, validation loss {bt.value:.5g}")
    table.add_column("parameter")
    table.add_column("value")
    meta = st.user_attrs.get("automl", {})
    fixed = meta.get("space", {}).get("fixed", {})
    for k, v in {**bt.params, **fixed}.items():
        table.add_row(k + (" (fixed)" if k in fixed else ""), fmt(v))
    ua = bt.user_attrs
    for k in (
        "n_params",
        "flops_per_sample",
        "latency_ms",
        "samples_per_s",
        "wall_s",
        "test_loss",
        "test_mae",
        "test_acc",
        "device",
    ):
        if ua.get(k) is not None:
            table.add_row(f"[dim]{k}[/]", fmt(ua[k]))
    console.print(table)


@app.command("best")
@cli_errors
def best(
    study: str = typer.Argument(..., help="Study name."),
    storage: str | None = StorageOption,
) -> None:
    """Print the best architecture of an AutoML study as a table.

    Example: pfnopt automl best automl-digits-1a2b3c
    """
    import pfnopt

    _print_best(pfnopt.load_study(study, storage_url(storage), sampler="random"))


@app.command("export")
@cli_errors
def export(
    study: str = typer.Argument(..., help="Study name."),
    out: str = typer.Option(..., "--out", help="Folder to write model.safetensors and config.json into."),
    retrain: bool = typer.Option(
        False, "--retrain", help="Retrain the best configuration even if its weights were saved."
    ),
    artifacts: str = typer.Option("store/automl", "--artifacts", help=ARTIFACTS_HELP),
    storage: str | None = StorageOption,
) -> None:
    """Save the best model's weights (safetensors) and JSON config; load with pfnopt.automl.load_model(DIR).

    Example: pfnopt automl export automl-digits-1a2b3c --out models/digits
    """
    import pfnopt
    from pfnopt.automl.export import export_best

    st = pfnopt.load_study(study, storage_url(storage), sampler="random")
    info = export_best(st, out, artifact_dir=Path(artifacts) / study, retrain=retrain)
    how = "retrained" if info.get("retrained") else "saved during the search"
    console.print(f"exported trial {info['trial']} ({info['model']['family']}, {how}) to {out}")
