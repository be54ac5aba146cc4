"""Parallel coordinates: one line per complete trial across the target and every parameter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from pfnopt.visualization._common import (
    DEFAULT_TARGET_NAME,
    Axis,
    Target,
    axes_for,
    check_params,
    check_study,
    check_target_name,
    complete_points,
    has_constraints,
    minimizes,
    param_space,
    plotly_go,
    resolve_target,
    with_params,
)

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


@dataclass(frozen=True)
class Dimension:
    """One vertical axis: ``values`` are numeric coordinates (log10 for a log parameter, the index of a
    category); ``ticks``, when set, pairs coordinates with labels."""

    label: str
    values: list[float]
    ticks: tuple[list[float], list[str]] | None = None


@dataclass(frozen=True)
class ParallelInfo:
    numbers: list[int]
    target: list[float]
    feasible: list[bool]
    dimensions: list[Dimension]  # target first, then the params, then "Feasible" when constrained
    low_is_best: bool  # colour the best lines darkest: low values when minimising (or for a custom target)


def _param_dimension(axis: Axis, raw: list) -> Dimension:
    return Dimension(axis.name, [axis.numeric(v) for v in raw], axis.ticks())


def parallel_info(study: "Study", params: Sequence[str] | None, target: Target | None,
                  target_name: str) -> ParallelInfo:
    study = check_study(study)
    points = complete_points(study, resolve_target(study, target))
    space = param_space([p.trial for p in points])
    names = check_params(params, space, study.study_name)
    points = with_params(points, names)
    dims = [Dimension(target_name, [p.value for p in points])]
    for axis in axes_for(names, space):
        dims.append(_param_dimension(axis, [p.trial.params[axis.name] for p in points]))
    feasible = [p.feasible for p in points]
    if has_constraints([p.trial for p in points]):
        dims.append(Dimension("Feasible", [1.0 if f else 0.0 for f in feasible], ([0.0, 1.0], ["no", "yes"])))
    low_is_best = target is not None or minimizes(study)
    return ParallelInfo([p.number for p in points], [p.value for p in points], feasible, dims, low_is_best)


def plot_parallel_coordinate(
    study: "Study",
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
):
    """Parallel coordinates of the complete trials, coloured by the target. In a study with
    constraints a last axis ``Feasible`` (no / yes) separates infeasible trials.
    Returns a ``plotly.graph_objects.Figure``."""
    go = plotly_go()
    info = parallel_info(study, params, target, check_target_name(target_name))
    dims = []
    for d in info.dimensions:
        spec = {"label": d.label, "values": d.values}
        if d.values:
            lo, hi = min(d.values), max(d.values)
            if d.ticks is not None:
                lo, hi = min(lo, min(d.ticks[0])), max(hi, max(d.ticks[0]))
            spec["range"] = [lo, hi]
        if d.ticks is not None:
            spec["tickvals"], spec["ticktext"] = d.ticks
        dims.append(spec)
    line = {"color": info.target, "colorscale": "Blues", "reversescale": info.low_is_best, "showscale": True,
            "colorbar": {"title": {"text": target_name}}}
    fig = go.Figure(go.Parcoords(dimensions=dims, line=line))
    fig.update_layout(title="Parallel Coordinate Plot")
    return fig
