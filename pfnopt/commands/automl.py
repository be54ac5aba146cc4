"""``pfnopt automl run|best|export|report``: search the patch-model family from the shell."""

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
    """A live table of the running trials (one row each: family, epoch, validation loss) and the
    best so far. Called from the optimize threads (several with --n-jobs), hence the lock."""

    def __init__(self, n_trials: int | None, epochs: int):
        import threading

        from rich.live import Live

        self.n_trials, self.epochs = n_trials, epochs
        self.running: dict[int, list[Any]] = {}  # trial number -> [family, epoch, value]
        self.best = "none yet"
        self.done = 0
        self.t0 = time.perf_counter()
        self.lock = threading.Lock()
        self.live = Live(self._render(), console=console, refresh_per_second=4, transient=False)

    def _render(self) -> Table:
        t = Table(show_header=True, header_style="bold", box=None)
        for col in ("trial", "family", "epoch", "val loss", "best so far", "elapsed"):
            t.add_column(col)
        total = f"/{self.n_trials}" if self.n_trials else ""
        rows = sorted(self.running.items()) or [(None, ["", None, None])]
        for number, (family, epoch, value) in rows:
            t.add_row(
                f"{number if number is not None else '-'} ({self.done}{total} done)",
                family,
                f"{epoch + 1}/{self.epochs}" if epoch is not None else "-",
                fmt(value) if value is not None else "-",
                self.best,
                f"{time.perf_counter() - self.t0:.0f}s",
            )
        return t

    def _update(self) -> None:
        self.live.update(self._render())

    def trial_started(self, number: int, params: dict[str, Any]) -> None:
        with self.lock:
            self.running[number] = [params["family"], None, None]
            self._update()

    def epoch_done(self, number: int, epoch: int, value: float) -> None:
        with self.lock:
            if number in self.running:
                self.running[number][1:] = [epoch, value]
            self._update()

    def trial_stopped(self, number: int, why: str) -> None:
        with self.lock:
            self.live.console.print(f"trial {number} stopped ({why}); stored as pruned with its last value")

    def trial_finished(self, study: Any, frozen: Any) -> None:
        from pfnopt.exceptions import NoFeasibleTrialError

        with self.lock:
            self.done += 1
            self.running.pop(frozen.number, None)
            try:
                bt = study.best_trial
                self.best = f"{bt.value:.4g} (trial {bt.number}, {bt.params.get('family')})"
            except NoFeasibleTrialError:
                pass
            self._update()


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
    pruner: str = typer.Option(
        "none",
        "--pruner",
        help="Early stopping inside a trial: none, median, percentile, asha, hyperband, threshold, patient or curve-pfn.",
    ),
    pruner_option: list[str] = typer.Option(
        [],
        "--pruner-option",
        help="KEY=VALUE passed to the pruner (repeatable; VALUE read as JSON), e.g. n_startup_trials=2.",
    ),
    scheduler: str = typer.Option(
        "per-trial",
        "--scheduler",
        help="per-trial (each trial trains all its epochs) or freeze-thaw (the curve PFN gives the next epochs "
        "to a paused trial or a fresh one; paused trials' training state is kept under --artifacts).",
    ),
    scheduler_option: list[str] = typer.Option(
        [],
        "--scheduler-option",
        help="KEY=VALUE for freeze-thaw (repeatable): epoch_budget (default n-trials x epochs), first_epochs, "
        "chunk_epochs, stop_below, n_startup, fresh_estimate, checkpoint.",
    ),
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
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        help="Hard budget in seconds: no trial starts after it, and the running ones are stopped and stored as pruned.",
    ),
    n_jobs: int = typer.Option(1, "--n-jobs", help="Trials trained in parallel on this machine (threads)."),
    threads: int | None = typer.Option(
        None, "--threads", help="CPU threads per trial (default: the cores divided by --n-jobs)."
    ),
    heartbeat: float | None = typer.Option(
        None,
        "--heartbeat",
        help="Seconds between heartbeats of a running trial (a killed search's trial is failed); "
        "default 30, none with --scheduler freeze-thaw.",
    ),
    grace: float | None = typer.Option(
        None, "--grace", help="Seconds without a heartbeat before a trial counts as dead (default 2 x --heartbeat)."
    ),
    max_retry: int = typer.Option(1, "--max-retry", help="Retries of a dead trial's parameters on resume."),
    allow_changes: bool = typer.Option(
        False, "--allow-changes", help="Continue a study although its space or training budget changed."
    ),
    study: str | None = typer.Option(
        None, "--study", help="Study name (default: automl-TASK-<random>); an existing one is continued."
    ),
    artifacts: str = typer.Option("store/automl", "--artifacts", help=ARTIFACTS_HELP),
    storage: str | None = StorageOption,
) -> None:
    """Search architectures and training hyperparameters of patch models on a task.

    Example: pfnopt automl run --task digits --n-trials 20 --sampler tpe --epochs 5 --pruner median

    Example: pfnopt automl run --task digits --study d1 --timeout 3600 --n-jobs 2 --pruner asha (rerun to resume)

    Example: pfnopt automl run --task etth1 --data ../shared/data/ett/ETTh1.csv --n-trials 30 --space space.yaml

    Example: pfnopt automl run --task digits --study d2 --epochs 10 --scheduler freeze-thaw (rerun to continue paused trials)
    """
    from pfnopt.automl.searcher import search
    from pfnopt.automl.tasks import get_task
    from pfnopt.automl.train import TrainConfig
    from pfnopt.pruners import create_pruner
    from pfnopt.samplers import sampler_names

    if sampler is None:
        sampler = "pfn" if "pfn" in sampler_names() else "tpe"
    name = study or f"automl-{task.lower()}-{uuid.uuid4().hex[:6]}"
    task_obj = get_task(task, data=data, target=target, horizon=horizon)  # bad input fails before the display
    tc = TrainConfig(
        epochs=epochs, steps_per_epoch=steps_per_epoch, eval_windows=eval_windows, device=device, threads=threads
    )
    monitor = _RichMonitor(n_trials, epochs)
    console.print(
        f"study [bold]{name}[/] on task {task}: {n_trials} trials, sampler {sampler}, storage {storage_url(storage)}"
    )
    if heartbeat is None and scheduler != "freeze-thaw":
        heartbeat = 30.0
    with monitor.live:
        st = search(
            task_obj,
            n_trials=n_trials,
            sampler=sampler,
            pruner=create_pruner(pruner, **_options("--pruner-option", pruner_option)),
            scheduler=scheduler,
            scheduler_options=_options("--scheduler-option", scheduler_option),
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
            n_jobs=n_jobs,
            threads=threads,
            heartbeat_interval=heartbeat,
            grace_period=grace,
            max_retry=max_retry,
            allow_changes=allow_changes,
        )
    _print_best(st)
    paused = [t for t in st.trials if t.state.name == "RUNNING" and t.system_attrs.get("freeze_thaw")]
    if paused:
        console.print(f"{len(paused)} trial(s) paused with their training state: rerun the command to continue them")
    console.print(f"next: pfnopt automl export {name} --out DIR")


def _options(flag: str, items: list[str]) -> dict[str, Any]:
    """``["n_startup_trials=2", "percentile=25.0"]`` -> keyword arguments (values read as JSON)."""
    import json

    from pfnopt.exceptions import ParameterError

    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"{flag} takes KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw  # a bare word: a string
    return out


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
    format: str = typer.Option(
        "safetensors",
        "--format",
        help="safetensors (weights + config.json), torchscript (adds model.pt) or onnx (adds model.onnx); "
        "the TorchScript and ONNX graphs take raw-scale inputs.",
    ),
    artifacts: str = typer.Option("store/automl", "--artifacts", help=ARTIFACTS_HELP),
    storage: str | None = StorageOption,
) -> None:
    """Save the best model's weights (safetensors) and JSON config; load with pfnopt.automl.load_model(DIR).

    Example: pfnopt automl export automl-digits-1a2b3c --out models/digits

    Example: pfnopt automl export automl-etth1-1a2b3c --out models/etth1 --format onnx
    """
    import pfnopt
    from pfnopt.automl.export import export_best

    st = pfnopt.load_study(study, storage_url(storage), sampler="random")
    info = export_best(st, out, artifact_dir=Path(artifacts) / study, retrain=retrain, format=format)
    how = "retrained" if info.get("retrained") else "saved during the search"
    extra = f" ({info['exported']['file']})" if "exported" in info else ""
    console.print(f"exported trial {info['trial']} ({info['model']['family']}, {how}) to {out}{extra}")


@app.command("report")
@cli_errors
def report(
    study: str = typer.Argument(..., help="Study name."),
    out: str = typer.Option(..., "--out", help="Folder for pareto.png, curves.png, best_vs_time.png, report.json."),
    storage: str | None = StorageOption,
) -> None:
    """Figures of a search: accuracy vs parameters and FLOPs (Pareto front), every trial's learning
    curve (pruned ones marked), best so far vs wall time.

    Example: pfnopt automl report automl-digits-1a2b3c --out reports/digits
    """
    import pfnopt
    from pfnopt.automl.report import write_report

    st = pfnopt.load_study(study, storage_url(storage), sampler="random")
    for path in write_report(st, out):
        console.print(f"wrote {path}")
