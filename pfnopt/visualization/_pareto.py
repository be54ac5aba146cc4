"""Pareto front of a multi-objective study: best (non-dominated feasible), dominated and infeasible trials."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from pfnopt.exceptions import ParameterError
from pfnopt.records import StudyDirection, TrialState
from pfnopt.visualization._common import (
    INFEASIBLE_COLOR,
    INFEASIBLE_NAME,
    PlotError,
    check_study,
    dominates,
    plotly_go,
)

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.records import FrozenTrial
    from pfnopt.study import Study


@dataclass(frozen=True)
class ParetoGroup:
    numbers: list[int]
    points: list[list[float]]  # one row of target values per trial, in axis order


@dataclass(frozen=True)
class ParetoInfo:
    names: list[str]
    best: ParetoGroup
    dominated: ParetoGroup
    infeasible: ParetoGroup


def pareto_info(
    study: "Study",
    target_names: Sequence[str] | None = None,
    axis_order: Sequence[int] | None = None,
    targets: "Callable[[FrozenTrial], Sequence[float]] | None" = None,
) -> ParetoInfo:
    """Complete trials split into the feasible Pareto front, the dominated feasible ones and the infeasible.

    With ``targets``, its values are compared under the study's directions when their count equals
    the study's objectives, and as minimised otherwise.
    """
    study = check_study(study)
    n_obj = len(study.directions)
    if targets is None and n_obj < 2:
        raise PlotError(
            f"plot_pareto_front needs a study with 2 or 3 objectives; study {study.study_name!r} has {n_obj} "
            f"(or pass targets=lambda t: (..., ...) with 2 or 3 values)"
        )
    if targets is not None and not callable(targets):
        raise ParameterError(f"targets must be a callable FrozenTrial -> sequence of floats, got {targets!r}")
    fn = targets if targets is not None else (lambda t: t.values)
    rows = []
    for t in study.get_trials(states=(TrialState.COMPLETE,)):
        vals = [float(v) for v in fn(t)]
        if all(math.isfinite(v) for v in vals):
            rows.append((t, vals))
    n = len(rows[0][1]) if rows else (n_obj if targets is None else 2)
    if n not in (2, 3):
        raise PlotError(f"plot_pareto_front draws 2 or 3 objectives; study {study.study_name!r} gives {n}"
                        + ("" if targets is not None else ": pass targets= to choose 2 or 3"))
    if any(len(v) != n for _, v in rows):
        raise ParameterError(f"targets returned values of different lengths: {sorted({len(v) for _, v in rows})}")
    dirs = list(study.directions) if n == n_obj else [StudyDirection.MINIMIZE] * n
    order = list(range(n)) if axis_order is None else list(axis_order)
    if sorted(order) != list(range(n)):
        raise ParameterError(f"axis_order must be a permutation of {list(range(n))}, got {axis_order!r}")
    names = [f"Objective {k}" for k in range(n)] if target_names is None else list(target_names)
    if len(names) != n or not all(isinstance(x, str) for x in names):
        raise ParameterError(f"target_names must be {n} strings, got {target_names!r}")
    signs = [1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in dirs]
    feasible = [(t, v) for t, v in rows if t.feasible]
    signed = [[s * x for s, x in zip(signs, v)] for _, v in feasible]
    is_best = [not any(dominates(o, a) for o in signed) for a in signed]

    def group(items: list[tuple[Any, list[float]]]) -> ParetoGroup:
        return ParetoGroup([t.number for t, _ in items], [[v[k] for k in order] for _, v in items])

    return ParetoInfo(
        [names[k] for k in order],
        group([r for r, b in zip(feasible, is_best) if b]),
        group([r for r, b in zip(feasible, is_best) if not b]),
        group([(t, v) for t, v in rows if not t.feasible]),
    )


def plot_pareto_front(
    study: "Study",
    *,
    target_names: Sequence[str] | None = None,
    include_dominated_trials: bool = True,
    axis_order: Sequence[int] | None = None,
    targets: "Callable[[FrozenTrial], Sequence[float]] | None" = None,
):
    """The objectives of the complete trials in 2-d or 3-d: ``Best Trial`` (the feasible Pareto front),
    ``Trial`` (dominated) and grey ``Infeasible Trial``. Returns a ``plotly.graph_objects.Figure``."""
    go = plotly_go()
    info = pareto_info(study, target_names, axis_order, targets)
    three = len(info.names) == 3
    groups = [("Trial", info.dominated, {"color": "#1f77b4"}), ("Best Trial", info.best, {"color": "#d62728"}),
              (INFEASIBLE_NAME, info.infeasible, {"color": INFEASIBLE_COLOR})]
    if not include_dominated_trials:
        groups = groups[1:2]
    fig = go.Figure()
    for name, g, marker in groups:
        if not g.numbers:
            continue
        cols = list(zip(*g.points))
        text = [f"Trial {n}" for n in g.numbers]
        if three:
            fig.add_trace(go.Scatter3d(x=cols[0], y=cols[1], z=cols[2], mode="markers", name=name,
                                       marker=marker, text=text))
        else:
            fig.add_trace(go.Scatter(x=cols[0], y=cols[1], mode="markers", name=name, marker=marker, text=text))
    if three:
        fig.update_layout(scene={"xaxis_title": info.names[0], "yaxis_title": info.names[1],
                                 "zaxis_title": info.names[2]})
    else:
        fig.update_layout(xaxis_title=info.names[0], yaxis_title=info.names[1])
    fig.update_layout(title="Pareto-front Plot")
    return fig
