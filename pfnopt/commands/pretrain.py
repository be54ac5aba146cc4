"""``pfnopt pretrain``: pre-train the PFN surrogate on its priors (resumable, CPU or CUDA)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

EXAMPLE = (
    "Example: pfnopt pretrain --preset small --out runs/pfn-small --export pfnopt/surrogate/checkpoints/default "
    "--resume"
)


def pretrain(
    preset: str = typer.Option("small", "--preset", help="Named training config: small (CPU default) or base (GPU)."),
    out: Path = typer.Option(..., "--out", help="Run directory (latest/ and best/ checkpoints are written there)."),
    steps: int | None = typer.Option(None, "--steps", help="Optimizer steps (default: the preset's).", min=1),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT/latest if it exists."),
    seed: int = typer.Option(0, "--seed", help="Random seed of prior sampling and initialisation."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N."),
    export: Path | None = typer.Option(
        None, "--export", help="Copy the best checkpoint here whenever it improves (e.g. the packaged default)."
    ),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for torch (default: the preset's).", min=1),
    max_minutes: float | None = typer.Option(None, "--max-minutes", help="Stop (and checkpoint) after this long."),
) -> None:
    """Pre-train the PFN surrogate; checkpoints are safetensors + JSON, resumable after interruption.

    Example: pfnopt pretrain --preset small --out runs/pfn-small --export pfnopt/surrogate/checkpoints/default --resume
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from pfnopt.exceptions import PfnoptError
    from pfnopt.surrogate.presets import PRESETS
    from pfnopt.surrogate.presets import preset as make_preset
    from pfnopt.surrogate.train import train

    if preset not in PRESETS:
        raise typer.BadParameter(
            f"{preset!r} is not a preset; allowed: {', '.join(sorted(PRESETS))}", param_hint="--preset"
        )
    overrides: dict = {"seed": seed, "device": device}
    if steps is not None:
        overrides["steps"] = steps
    if threads is not None:
        overrides["threads"] = threads
    cfg = make_preset(preset, **overrides)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[logging.FileHandler(Path(out) / "train.log") if _mkdir(out) else logging.StreamHandler()],
    )
    columns = (
        TextColumn("[bold]pretrain {task.fields[preset]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
        TextColumn("val {task.fields[val]}"),
        TextColumn("{task.fields[dps]:.0f} datasets/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, transient=False) as progress:
            task = progress.add_task("pretrain", total=cfg.steps, preset=preset, loss=float("nan"), val="-", dps=0.0)

            def on_step(info: dict) -> None:
                fields = {"loss": info["loss"], "dps": info.get("datasets_per_s", 0.0)}
                if "val" in info:
                    fields["val"] = f"{info['val']:.4f}"
                progress.update(task, completed=info["step"], **fields)

            result = train(
                cfg,
                out,
                resume=resume,
                export_dir=export,
                on_step=on_step,
                max_seconds=None if max_minutes is None else 60.0 * max_minutes,
            )
    except PfnoptError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    typer.echo(f"step {result['step']}  best val NLL {result['best_val_nll']:.4f}  ->  {out}/best")


def _mkdir(path: Path) -> bool:
    Path(path).mkdir(parents=True, exist_ok=True)
    return True


if __name__ == "__main__":  # python -m pfnopt.commands.pretrain ... (before the root CLI wires it)
    typer.run(pretrain)
