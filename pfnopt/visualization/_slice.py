"""Slice plot: the target against each parameter on its own, one panel per parameter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from pfnopt.visualization._common import (
    DEFAULT_TARGET_NAME,
    INFEASIBLE_NAME,
    LEGEND_ABOVE,
    Axis,
    Target,
    axes_for,
    check_params,
    check_study,
    check_target_name,
    complete_points,
    param_space,
    plotly_go,
    plotly_subplots,
    resolve_target,
    with_params,
)

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


@dataclass(frozen=True)
class SlicePanel:
    """Feasible and infeasible points of one parameter (``x`` as drawn: category labels or numbers)."""

    axis: Axis
    x: list[Any]
    y: list[float]
    numbers: list[int]
    infeasible_x: list[Any]
    infeasible_y: list[float]
    infeasible_numbers: list[int]


def slice_info(study: "Study", params: Sequence[str] | None, target: Target | None) -> list[SlicePanel]:
    study = check_study(study)
    points = complete_points(study, resolve_target(study, target))
    space = param_space([p.trial for p in points])
    names = check_params(params, space, study.study_name)
    panels = []
    for axis in axes_for(names, space):
        pts = with_params(points, [axis.name])
        good = [p for p in pts if p.feasible]
        bad = [p for p in pts if not p.feasible]
        panels.append(SlicePanel(
            axis,
            [axis.display(p.trial.params[axis.name]) for p in good], [p.value for p in good], [p.number for p in good],
            [axis.display(p.trial.params[axis.name]) for p in bad], [p.value for p in bad], [p.number for p in bad],
        ))
    return panels


def apply_axis(fig: Any, axis: Axis, row: int, col: int, which: str = "x") -> None:
    """Log or categorical scale for a subplot axis, with the parameter name as its title."""
    update = fig.update_xaxes if which == "x" else fig.update_yaxes
    kwargs: dict[str, Any] = {"title_text": axis.name, "row": row, "col": col}
    if axis.log:
        kwargs["type"] = "log"
    elif axis.categorical:
        kwargs.update(type="category", categoryorder="array", categoryarray=axis.categories)
    update(**kwargs)


def plot_slice(
    study: "Study",
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
):
    """The target against each parameter (one panel each), coloured by trial number; infeasible
    trials grey. Log parameters on a log axis, categoricals on a category axis.
    Returns a ``plotly.graph_objects.Figure``."""
    go = plotly_go()
    target_name = check_target_name(target_name)
    panels = slice_info(study, params, target)
    fig = plotly_subplots(1, max(len(panels), 1), shared_yaxes=True)
    for k, panel in enumerate(panels, start=1):
        fig.add_trace(go.Scatter(
            x=panel.x, y=panel.y, mode="markers", name="Trial", showlegend=False,
            marker={"color": panel.numbers, "colorscale": "Blues", "showscale": k == 1,
                    "colorbar": {"title": {"text": "Trial"}}, "line": {"width": 0.5, "color": "Grey"}},
        ), row=1, col=k)
        if panel.infeasible_x:
            fig.add_trace(go.Scatter(x=panel.infeasible_x, y=panel.infeasible_y, mode="markers",
                                     name=INFEASIBLE_NAME, showlegend=k == 1,
                                     marker={"color": "grey", "symbol": "x"}), row=1, col=k)
        apply_axis(fig, panel.axis, 1, k)
    fig.update_yaxes(title_text=target_name, row=1, col=1)
    fig.update_layout(title="Slice Plot", legend=LEGEND_ABOVE)
    return fig
