"""Empirical distribution function of the target over the feasible complete trials of one or more studies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from pfnopt.visualization._common import (
    DEFAULT_TARGET_NAME,
    Target,
    as_studies,
    check_target_name,
    complete_points,
    has_constraints,
    plotly_go,
    resolve_target,
)

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study

N_POINTS = 100


@dataclass(frozen=True)
class EdfLine:
    """``y[k]`` = fraction of the study's feasible values <= ``x[k]``; ``n_feasible`` of ``n_complete``."""

    study_name: str
    x: list[float]
    y: list[float]
    n_feasible: int
    n_complete: int
    constrained: bool


def edf_info(study: "Study | Sequence[Study]", target: Target | None) -> list[EdfLine]:
    """One line per study, all on one common x grid spanning every study's feasible values."""
    per_study = []
    for s in as_studies(study):
        points = complete_points(s, resolve_target(s, target))
        values = np.sort([p.value for p in points if p.feasible])
        per_study.append((s.study_name, values, len(points), has_constraints([p.trial for p in points])))
    every = np.concatenate([v for _, v, _, _ in per_study]) if per_study else np.array([])
    if every.size == 0:
        grid = np.array([])
    else:
        grid = np.linspace(every.min(), every.max(), N_POINTS)
    out = []
    for name, values, n, constrained in per_study:
        y = (np.searchsorted(values, grid, side="right") / len(values)) if len(values) else np.zeros_like(grid)
        out.append(EdfLine(name, grid.tolist(), y.tolist(), len(values), n, constrained))
    return out


def edf_label(line: EdfLine) -> str:
    if not line.constrained:
        return line.study_name
    return f"{line.study_name} ({line.n_feasible} feasible of {line.n_complete})"


def plot_edf(
    study: "Study | Sequence[Study]",
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
):
    """The share of trials whose value is at most x, one line per study; in a study with constraints
    only feasible trials count (the legend says how many). Returns a ``plotly.graph_objects.Figure``."""
    go = plotly_go()
    target_name = check_target_name(target_name)
    fig = go.Figure()
    for line in edf_info(study, target):
        fig.add_trace(go.Scatter(x=line.x, y=line.y, mode="lines", name=edf_label(line)))
    fig.update_layout(title="Empirical Distribution Function Plot", xaxis_title=target_name,
                      yaxis_title="Cumulative Probability", yaxis_range=[0, 1.02])
    return fig
