"""Optimization history: each trial's value by trial number, and the best feasible value so far."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from pfnopt.exceptions import ParameterError
from pfnopt.visualization._common import (
    BEST_COLOR,
    DEFAULT_TARGET_NAME,
    INFEASIBLE_COLOR,
    INFEASIBLE_NAME,
    Target,
    as_studies,
    check_target_name,
    complete_points,
    minimizes,
    plotly_go,
    resolve_target,
)

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


@dataclass(frozen=True)
class HistorySeries:
    """One study's history. ``best`` (one entry per complete trial, NaN before the first feasible one)
    is the best feasible value so far; None when a custom ``target`` leaves the direction unknown."""

    study_name: str
    numbers: list[int]
    values: list[float]
    feasible: list[bool]
    best: list[float] | None


def history_info(study: "Study | Sequence[Study]", target: Target | None) -> list[HistorySeries]:
    out = []
    for s in as_studies(study):
        points = complete_points(s, resolve_target(s, target))
        best = None
        if target is None:
            sign = 1.0 if minimizes(s) else -1.0
            best, run = [], math.inf
            for p in points:
                if p.feasible:
                    run = min(run, sign * p.value)
                best.append(sign * run if math.isfinite(run) else math.nan)
        out.append(HistorySeries(s.study_name, [p.number for p in points], [p.value for p in points],
                                 [p.feasible for p in points], best))
    return out


@dataclass(frozen=True)
class HistoryBand:
    """Mean and standard deviation over studies, per trial number (error-bar mode)."""

    numbers: list[int]
    value_mean: list[float]
    value_std: list[float]
    best_mean: list[float] | None
    best_std: list[float] | None


def history_band(series: list[HistorySeries]) -> HistoryBand:
    """Feasible values and best-so-far values averaged across studies at each trial number."""
    numbers = sorted({n for s in series for n in s.numbers})
    vals = np.full((len(series), len(numbers)), np.nan)
    bests = np.full_like(vals, np.nan)
    col = {n: i for i, n in enumerate(numbers)}
    for r, s in enumerate(series):
        for k, n in enumerate(s.numbers):
            if s.feasible[k]:
                vals[r, col[n]] = s.values[k]
            if s.best is not None:
                bests[r, col[n]] = s.best[k]

    def stats(a: np.ndarray) -> tuple[list[float], list[float]]:
        ok = ~np.isnan(a)
        cnt = ok.sum(0)
        mean = np.where(cnt > 0, np.nansum(a, 0) / np.maximum(cnt, 1), np.nan)
        var = np.where(cnt > 0, np.nansum((a - mean) ** 2, 0) / np.maximum(cnt, 1), np.nan)
        return mean.tolist(), np.sqrt(var).tolist()

    vm, vs = stats(vals)
    has_best = all(s.best is not None for s in series)
    bm, bs = stats(bests) if has_best else (None, None)
    return HistoryBand(numbers, vm, vs, bm, bs)


def plot_optimization_history(
    study: "Study | Sequence[Study]",
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    error_bar: bool = False,
):
    """Each complete trial's value by trial number, with the best feasible value so far.

    Infeasible trials (some constraint > 0) are grey markers named ``Infeasible Trial`` and never
    count as best. Several studies: one set of traces each, or with ``error_bar=True`` their mean
    and standard deviation per trial number. Returns a ``plotly.graph_objects.Figure``.
    """
    go = plotly_go()
    target_name = check_target_name(target_name)
    series = history_info(study, target)
    fig = go.Figure()
    if error_bar:
        if len(series) < 2:
            raise ParameterError(f"error_bar=True needs two or more studies, got {len(series)}")
        band = history_band(series)
        fig.add_trace(go.Scatter(x=band.numbers, y=band.value_mean, mode="markers", name=target_name,
                                 error_y={"type": "data", "array": band.value_std, "visible": True}))
        if band.best_mean is not None:
            fig.add_trace(go.Scatter(x=band.numbers, y=band.best_mean, mode="lines", name="Best Value",
                                     line={"color": BEST_COLOR},
                                     error_y={"type": "data", "array": band.best_std, "visible": True}))
    else:
        single = len(series) == 1
        for s in series:
            suffix = "" if single else f" of {s.study_name}"
            fx = [n for n, f in zip(s.numbers, s.feasible) if f]
            fy = [v for v, f in zip(s.values, s.feasible) if f]
            fig.add_trace(go.Scatter(x=fx, y=fy, mode="markers", name=target_name + suffix))
            if s.best is not None:
                fig.add_trace(go.Scatter(x=s.numbers, y=s.best, mode="lines", name="Best Value" + suffix,
                                         line={"color": BEST_COLOR} if single else None))
            if not all(s.feasible):
                ix = [n for n, f in zip(s.numbers, s.feasible) if not f]
                iy = [v for v, f in zip(s.values, s.feasible) if not f]
                fig.add_trace(go.Scatter(x=ix, y=iy, mode="markers", name=INFEASIBLE_NAME + suffix,
                                         marker={"color": INFEASIBLE_COLOR}))
    fig.update_layout(title="Optimization History Plot", xaxis_title="Trial", yaxis_title=target_name)
    return fig
