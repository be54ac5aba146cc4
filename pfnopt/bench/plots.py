"""The two figures of the benchmark report and of ``pfnopt plot`` (matplotlib, Agg backend).

* :func:`history_figure`: best feasible value vs evaluations. One line per method: the median over
  seeds and the interquartile band; a seed with no feasible point yet counts as +inf (so the median
  appears once half the seeds have one); the known optimum as a dashed line, the end of the initial
  design as a dotted one.
* :func:`feasibility_figure`: top, the running fraction of feasible evaluations (mean over seeds);
  bottom, the total constraint violation of each evaluation (median over seeds, symlog scale).

Arrays are ``seeds x n`` (``n`` evaluations); a single study is one row. NaN in ``best`` means
"no feasible point yet". :func:`study_arrays` makes these rows from any user study.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from pfnopt.bench.stats import column_quantiles

_COLORS = (
    "#1f77b4", "#17becf", "#9467bd", "#e377c2", "#d62728", "#ff7f0e", "#8c564b", "#2ca02c", "#bcbd22",
    "#7f7f7f", "#000000",
)  # fmt: skip


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def color(label: str, i: int) -> str:
    from pfnopt.bench.methods import ORDER

    return _COLORS[ORDER.index(label) % len(_COLORS)] if label in ORDER else _COLORS[i % len(_COLORS)]


def history_figure(
    curves: Mapping[str, np.ndarray],
    path: str | Path,
    title: str,
    optimum: float | None = None,
    init: int | None = None,
    points: Mapping[str, np.ndarray] | None = None,
    maximize: bool = False,
) -> Path:
    """Best feasible value vs evaluations (median and IQR over seeds per label); returns ``path``.

    ``points`` (optional, for one study): ``{"x", "y", "feasible"}`` arrays drawn as a scatter of
    every evaluation behind the curves.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=90)
    finite: list[float] = []
    if points is not None and len(points["x"]):
        feas = np.asarray(points["feasible"], dtype=bool)
        x, y = np.asarray(points["x"]), np.asarray(points["y"], dtype=float)
        ax.scatter(x[feas], y[feas], s=10, color="#2ca02c", alpha=0.6, label="feasible evaluation")
        ax.scatter(x[~feas], y[~feas], s=12, color="#d62728", marker="x", alpha=0.6, label="infeasible evaluation")
    for i, (label, A) in enumerate(curves.items()):
        A = np.asarray(A, dtype=float)
        if A.ndim != 2 or A.size == 0:
            continue
        sign = -1.0 if maximize else 1.0  # quantiles of the minimisation form
        lo, med, hi = (sign * q for q in column_quantiles(sign * A))
        x = np.arange(1, A.shape[1] + 1)
        c = color(label, i)
        never = int(np.isnan(A[:, -1]).sum())  # seeds without any feasible point
        notes = [f"{A.shape[0]} seeds"] if A.shape[0] > 1 else []
        notes += [f"{never} without a feasible point"] if never else []
        name = f"{label} ({', '.join(notes)})" if notes else label
        ax.plot(x, med, color=c, lw=1.6, label=name)
        if A.shape[0] > 1:
            ax.fill_between(x, lo, hi, color=c, alpha=0.15, lw=0)
        for band in (lo, med, hi):
            finite += list(band[np.isfinite(band)])
    if optimum is not None and math.isfinite(optimum):
        ax.axhline(optimum, color="k", ls="--", lw=1.0, label=f"known optimum {optimum:.6g}")
        finite.append(optimum)
    if init:
        ax.axvline(init + 0.5, color="0.5", ls=":", lw=1.0)
    _limits(ax, curves, finite, init, optimum, maximize)
    ax.set_xlabel("evaluations")
    ax.set_ylabel("best feasible value")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    return _save(fig, path)


def _limits(
    ax: Any,
    curves: Mapping[str, np.ndarray],
    finite: list[float],
    init: int | None,
    optimum: float | None,
    maximize: bool,
) -> None:
    """Zoom on the BO part: from the optimum to the worst median reached after the initial design."""
    if not finite:
        return
    after: list[float] = []
    start = max((init or 0) - 1, 0)
    for A in curves.values():
        A = np.asarray(A, dtype=float)
        if A.ndim == 2 and A.shape[1] > start:
            med = column_quantiles(A[:, start:], (0.5,))[0]
            after += list(med[np.isfinite(med)])
    lo, hi = min(finite), max(finite)
    if after:
        edge = min(after) if maximize else max(after)
        lo, hi = (edge, hi) if maximize else (lo, edge)
        if optimum is not None:
            lo, hi = min(lo, optimum), max(hi, optimum)
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
    ax.set_ylim(lo - pad, hi + pad)


def feasibility_figure(
    feasible: Mapping[str, np.ndarray],
    violation: Mapping[str, np.ndarray],
    path: str | Path,
    title: str,
    init: int | None = None,
) -> Path:
    """Running feasible fraction (top) and constraint violation per evaluation (bottom)."""
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 5.2), dpi=90, sharex=True)
    vmax = 0.0
    for i, label in enumerate(feasible):
        F = np.asarray(feasible[label], dtype=float)
        if F.ndim != 2 or F.size == 0:
            continue
        x = np.arange(1, F.shape[1] + 1)
        c = color(label, i)
        running = np.cumsum(F, axis=1) / x  # seeds x n
        top.plot(x, running.mean(axis=0), color=c, lw=1.5, label=label)
        V = np.asarray(violation[label], dtype=float)
        med = np.nanmedian(V, axis=0) if V.shape[0] > 1 else V[0]
        if V.shape[0] == 1:
            bottom.scatter(x, med, s=10, color=c, label=label)
        else:
            bottom.plot(x, med, color=c, lw=1.2, label=label)
        if np.isfinite(med).any():
            vmax = max(vmax, float(np.nanmax(med)))
    for ax in (top, bottom):
        if init:
            ax.axvline(init + 0.5, color="0.5", ls=":", lw=1.0)
        ax.grid(alpha=0.3)
    top.set_ylim(-0.03, 1.03)
    top.set_ylabel("feasible fraction so far")
    top.set_title(title, fontsize=10)
    top.legend(fontsize=7, loc="best")
    # a power of ten, so the linear part around 0 takes exactly one decade and ticks do not collide
    bottom.set_yscale("symlog", linthresh=10.0 ** math.floor(math.log10(max(vmax * 1e-3, 1e-12))))
    bottom.set_ylim(bottom=0.0)
    bottom.set_ylabel("constraint violation\n(sum of max(g, 0))")
    bottom.set_xlabel("evaluations")
    return _save(fig, path)


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})  # no version stamp: reruns give the same bytes
    _pyplot().close(fig)
    return path


def study_arrays(study: Any) -> dict[str, Any]:
    """Rows for the figures from one single-objective study: its complete trials in number order."""
    from pfnopt.records import StudyDirection, TrialState

    maximize = study.direction == StudyDirection.MAXIMIZE
    trials = sorted(study.get_trials(states=(TrialState.COMPLETE,)), key=lambda t: t.number)
    values = np.array([t.values[0] for t in trials], dtype=float)
    feas = np.array([t.feasible for t in trials], dtype=bool)
    best, incumbent = np.full(len(trials), np.nan), None
    for i, (v, f) in enumerate(zip(values, feas)):
        if f and math.isfinite(v) and (incumbent is None or (v > incumbent if maximize else v < incumbent)):
            incumbent = v
        best[i] = np.nan if incumbent is None else incumbent
    return {
        "best": best[None, :],
        "feasible": feas[None, :],
        "violation": np.array([t.violation for t in trials], dtype=float)[None, :],
        "points": {"x": np.arange(1, len(trials) + 1), "y": values, "feasible": feas},
        "maximize": maximize,
        "constrained": any(t.constraints for t in trials),
    }
