"""Matplotlib twins of the per-trial plots: history, intermediate values, EDF, timeline,
importances and Pareto front. Each draws the same data as its plotly function."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

from pfnopt.exceptions import ParameterError
from pfnopt.visualization._common import (
    BEST_COLOR,
    DEFAULT_TARGET_NAME,
    INFEASIBLE_COLOR,
    INFEASIBLE_NAME,
    Target,
    check_target_name,
)
from pfnopt.visualization._edf import edf_info, edf_label
from pfnopt.visualization._history import history_band, history_info
from pfnopt.visualization._importances import importance_info
from pfnopt.visualization._intermediate import intermediate_info
from pfnopt.visualization._pareto import pareto_info
from pfnopt.visualization._timeline import STATE_COLORS, timeline_info

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from pfnopt.importance import BaseImportanceEvaluator
    from pfnopt.records import FrozenTrial
    from pfnopt.study import Study


def pyplot():
    import matplotlib.pyplot as plt

    return plt


def new_axes(title: str, figsize: tuple[float, float] = (7.0, 4.5)) -> "Axes":
    _, ax = pyplot().subplots(figsize=figsize)
    ax.set_title(title)
    return ax


def plot_optimization_history(
    study: "Study | Sequence[Study]",
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    error_bar: bool = False,
) -> "Axes":
    """Matplotlib twin of :func:`pfnopt.visualization.plot_optimization_history`."""
    target_name = check_target_name(target_name)
    series = history_info(study, target)
    ax = new_axes("Optimization History Plot")
    if error_bar:
        if len(series) < 2:
            raise ParameterError(f"error_bar=True needs two or more studies, got {len(series)}")
        band = history_band(series)
        ax.errorbar(band.numbers, band.value_mean, yerr=band.value_std, fmt="o", label=target_name, ms=4)
        if band.best_mean is not None:
            ax.errorbar(band.numbers, band.best_mean, yerr=band.best_std, color=BEST_COLOR, label="Best Value")
    else:
        single = len(series) == 1
        for s in series:
            suffix = "" if single else f" of {s.study_name}"
            fx = [n for n, f in zip(s.numbers, s.feasible) if f]
            fy = [v for v, f in zip(s.values, s.feasible) if f]
            ax.scatter(fx, fy, s=18, label=target_name + suffix)
            if s.best is not None:
                ax.plot(s.numbers, s.best, drawstyle="steps-post", label="Best Value" + suffix,
                        color=BEST_COLOR if single else None)
            if not all(s.feasible):
                ix = [n for n, f in zip(s.numbers, s.feasible) if not f]
                iy = [v for v, f in zip(s.values, s.feasible) if not f]
                ax.scatter(ix, iy, s=18, color=INFEASIBLE_COLOR, label=INFEASIBLE_NAME + suffix)
    ax.set_xlabel("Trial")
    ax.set_ylabel(target_name)
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    return ax


def plot_intermediate_values(study: "Study") -> "Axes":
    """Matplotlib twin of :func:`pfnopt.visualization.plot_intermediate_values`."""
    ax = new_axes("Intermediate Values Plot")
    curves = intermediate_info(study)
    for c in curves:
        style = {} if c.feasible else {"color": INFEASIBLE_COLOR, "linestyle": "--"}
        (line,) = ax.plot(c.steps, c.values, marker="o", ms=3, label=f"Trial{c.number}", **style)
        if c.state == "PRUNED":
            ax.plot(c.steps[-1:], c.values[-1:], marker="x", ms=8, color=line.get_color())
    ax.set_xlabel("Step")
    ax.set_ylabel("Intermediate Value")
    if 0 < len(curves) <= 20:
        ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def plot_edf(
    study: "Study | Sequence[Study]",
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> "Axes":
    """Matplotlib twin of :func:`pfnopt.visualization.plot_edf`."""
    target_name = check_target_name(target_name)
    ax = new_axes("Empirical Distribution Function Plot")
    for line in edf_info(study, target):
        ax.plot(line.x, line.y, drawstyle="steps-post", label=edf_label(line))
    ax.set_xlabel(target_name)
    ax.set_ylabel("Cumulative Probability")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    return ax


def plot_timeline(study: "Study", n_recent_trials: int | None = None) -> "Axes":
    """Matplotlib twin of :func:`pfnopt.visualization.plot_timeline`."""
    import matplotlib.dates as mdates

    bars = timeline_info(study, n_recent_trials)
    ax = new_axes("Timeline Plot")
    for label, color in STATE_COLORS.items():
        group = [b for b in bars if b.label == label]
        if group:
            starts = mdates.date2num([b.start for b in group])
            widths = [max((b.end - b.start).total_seconds(), 1e-3) / 86400.0 for b in group]  # days
            ax.barh([b.number for b in group], widths, left=starts, color=color, label=label.capitalize())
    ax.xaxis_date()
    ax.set_xlabel("Datetime")
    ax.set_ylabel("Trial")
    if bars:
        ax.legend(loc="best")
    return ax


def plot_param_importances(
    study: "Study",
    evaluator: "BaseImportanceEvaluator | None" = None,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> "Axes":
    """Matplotlib twin of :func:`pfnopt.visualization.plot_param_importances`."""
    bars = importance_info(study, evaluator, params, target, target_name)
    order = list(reversed(list(bars[0].importances)))
    ax = new_axes("Hyperparameter Importances")
    height = 0.8 / len(bars)
    for k, b in enumerate(bars):
        xs = [b.importances.get(p, 0.0) for p in order]
        ys = [i + (k - (len(bars) - 1) / 2) * height for i in range(len(order))]
        rects = ax.barh(ys, xs, height=height, label=b.name)
        ax.bar_label(rects, labels=[f"{x:.2f}" for x in xs], padding=2, fontsize="small")
    ax.set_yticks(range(len(order)), order)
    ax.set_xlabel(f"Importance for {target_name}")
    ax.set_ylabel("Hyperparameter")
    if len(bars) > 1:
        ax.legend(loc="best")
    return ax


def plot_pareto_front(
    study: "Study",
    *,
    target_names: Sequence[str] | None = None,
    include_dominated_trials: bool = True,
    axis_order: Sequence[int] | None = None,
    targets: "Callable[[FrozenTrial], Sequence[float]] | None" = None,
) -> "Axes":
    """Matplotlib twin of :func:`pfnopt.visualization.plot_pareto_front` (3-d axes for 3 objectives)."""
    info = pareto_info(study, target_names, axis_order, targets)
    three = len(info.names) == 3
    fig = pyplot().figure(figsize=(7.0, 5.0))
    ax: Any = fig.add_subplot(projection="3d") if three else fig.add_subplot()
    ax.set_title("Pareto-front Plot")
    groups = [("Trial", info.dominated, "#1f77b4"), ("Best Trial", info.best, "#d62728"),
              (INFEASIBLE_NAME, info.infeasible, INFEASIBLE_COLOR)]
    if not include_dominated_trials:
        groups = groups[1:2]
    for name, g, color in groups:
        if g.numbers:
            ax.scatter(*zip(*g.points), color=color, label=name, s=20)
    ax.set_xlabel(info.names[0])
    ax.set_ylabel(info.names[1])
    if three:
        ax.set_zlabel(info.names[2])
    ax.legend(loc="best")
    return ax
