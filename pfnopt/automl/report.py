"""Figures of an AutoML study: what a search found and what it cost.

* ``pareto.png``: validation quality vs parameters and vs forward FLOPs per sample, every trained
  trial a point, the Pareto front (fewer parameters / FLOPs, better quality) drawn as a step line.
  Quality is the validation accuracy for image tasks and the validation MSE for forecasting.
* ``curves.png``: the validation curve (loss per epoch) of every trial; pruned trials dashed and
  ended by an x, trials stopped by the time budget ended by a square.
* ``best_vs_time.png``: the best validation loss so far vs wall time since the first trial.

``report_data(study)`` gathers the numbers (also written as ``report.json``), ``write_report``
draws them. Rejected candidates (a constraint broken, never trained) and failed trials are left
out of the figures and counted in the JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

from pfnopt.exceptions import ParameterError
from pfnopt.records import TrialState


def pareto_front(cost: Sequence[float], quality: Sequence[float], maximize: bool) -> list[int]:
    """Indices of the points no other point beats in both lower ``cost`` and better ``quality``,
    ordered by cost."""
    order = sorted(range(len(cost)), key=lambda i: (cost[i], -quality[i] if maximize else quality[i]))
    front: list[int] = []
    best = -math.inf if maximize else math.inf
    for i in order:
        q = quality[i]
        if (q > best) if maximize else (q < best):
            front.append(i)
            best = q
    return front


def best_so_far(values: Sequence[float]) -> list[float]:
    out, best = [], math.inf
    for v in values:
        best = min(best, v)
        out.append(best)
    return out


def report_data(study: Any) -> dict[str, Any]:
    """The numbers behind the figures, JSON-serialisable."""
    meta = study.user_attrs.get("automl")
    if meta is None:
        raise ParameterError(f"study {study.study_name!r} was not made by pfnopt automl (no 'automl' attribute)")
    classify = meta.get("kind") == "classify"
    trials = study.get_trials()
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    t0 = min(starts) if starts else None
    rows, counts = [], {"rejected": 0, "failed": 0, "running": 0}
    for t in trials:
        if t.state == TrialState.FAIL:
            counts["failed"] += 1
            continue
        if t.state not in (TrialState.COMPLETE, TrialState.PRUNED):
            counts["running"] += 1
            continue
        ua = t.user_attrs
        if "rejected" in ua:
            counts["rejected"] += 1
            continue
        end = t.datetime_complete
        rows.append(
            {
                "number": t.number,
                "state": "complete" if t.state == TrialState.COMPLETE else "pruned",
                "stopped": ua.get("stopped"),
                "family": ua.get("family", t.params.get("family")),
                "value": t.value,
                "val_acc": ua.get("val_acc"),
                "n_params": ua.get("n_params"),
                "flops": ua.get("flops_per_sample"),
                "curve": [[int(s), float(v)] for s, v in sorted(t.intermediate_values.items())],
                "end_s": (end - t0).total_seconds() if end is not None and t0 is not None else None,
            }
        )
    done = [r for r in rows if r["state"] == "complete" and r["value"] is not None]
    if classify and done and all(r["val_acc"] is not None for r in done):
        quality, label, maximize = [r["val_acc"] for r in done], "validation accuracy", True
    else:
        quality, label, maximize = [r["value"] for r in done], "validation loss", False
    fronts = {}
    for key in ("n_params", "flops"):
        idx = [i for i, r in enumerate(done) if r[key] is not None]
        front = pareto_front([done[i][key] for i in idx], [quality[i] for i in idx], maximize)
        fronts[key] = [done[idx[j]]["number"] for j in front]
    timed = sorted((r for r in done if r["end_s"] is not None), key=lambda r: r["end_s"])
    return {
        "study": study.study_name,
        "kind": meta.get("kind"),
        "quality": {"label": label, "maximize": maximize, "by_trial": {r["number"]: q for r, q in zip(done, quality)}},
        "pareto": fronts,
        "trials": rows,
        "best_vs_time": {
            "seconds": [r["end_s"] for r in timed],
            "best": best_so_far([r["value"] for r in timed]),
        },
        "left_out": counts,
    }


def write_report(study: Any, out: str | Path) -> list[Path]:
    """Write pareto.png, curves.png, best_vs_time.png and report.json into ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = report_data(study)
    if not data["trials"]:
        raise ParameterError(f"study {study.study_name!r} has no trained trial to report on")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    by_number = {r["number"]: r for r in data["trials"]}
    quality = {int(k): v for k, v in data["quality"]["by_trial"].items()}
    paths = [out / "pareto.png", out / "curves.png", out / "best_vs_time.png", out / "report.json"]

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, xlabel in zip(axes, ("n_params", "flops"), ("parameters", "forward FLOPs per sample")):
        pts = [(by_number[n][key], q) for n, q in quality.items() if by_number[n][key] is not None]
        if pts:
            ax.scatter(*zip(*pts), s=18, alpha=0.6, label="trials")
        front = [(by_number[n][key], quality[n]) for n in data["pareto"][key]]
        if front:
            ax.step(*zip(*front), where="post", color="C3", lw=1.5, label="Pareto front")
            ax.scatter(*zip(*front), s=30, color="C3")
        ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(data["quality"]["label"])
        ax.legend(fontsize=8)
    fig.suptitle(f"{data['study']}: quality vs cost")
    fig.tight_layout()
    fig.savefig(paths[0], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for r in data["trials"]:
        if not r["curve"]:
            continue
        steps, vals = zip(*r["curve"])
        steps = [s + 1 for s in steps]  # epochs counted from 1
        pruned = r["state"] == "pruned"
        ax.plot(steps, vals, ls="--" if pruned else "-", lw=1, alpha=0.8, color="C1" if pruned else "C0")
        if pruned:
            ax.plot(steps[-1], vals[-1], marker="s" if r["stopped"] == "timeout" else "x", color="C1")
    ax.plot([], [], color="C0", label="completed")
    ax.plot([], [], color="C1", ls="--", marker="x", label="pruned (square: stopped by the time budget)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title(f"{data['study']}: learning curves of {len(data['trials'])} trials")
    fig.tight_layout()
    fig.savefig(paths[1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.2))
    bt = data["best_vs_time"]
    if bt["seconds"]:
        ax.step(bt["seconds"], bt["best"], where="post")
        ax.scatter(bt["seconds"], bt["best"], s=10)
    ax.set_xlabel("wall time since the first trial started (s)")
    ax.set_ylabel("best validation loss so far")
    ax.set_title(f"{data['study']}: best so far vs wall time")
    fig.tight_layout()
    fig.savefig(paths[2], dpi=110)
    plt.close(fig)

    paths[3].write_text(json.dumps(data, indent=1))
    return paths
