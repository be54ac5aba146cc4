"""Contour and rank plots (plotly), drawn from the pairwise panels of ``_pairs``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from pfnopt.visualization._common import (
    DEFAULT_TARGET_NAME,
    INFEASIBLE_NAME,
    LEGEND_ABOVE,
    Axis,
    Target,
    check_target_name,
    plotly_go,
    plotly_subplots,
)
from pfnopt.visualization._pairs import PairPanel, pair_info

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


def layout_cells(n: int) -> list[tuple[int, int, int, int]]:
    """``(i, j, row, col)`` for each drawn panel: one panel for two parameters (x = first,
    y = second), else an n x n matrix without its diagonal."""
    if n == 1:  # a rank plot of one parameter
        return [(0, 0, 1, 1)]
    if n == 2:
        return [(1, 0, 1, 1)]
    return [(i, j, i + 1, j + 1) for i in range(n) for j in range(n) if i != j]


def _numeric_axis(fig: Any, axis: Axis, row: int, col: int, which: str) -> None:
    update = fig.update_xaxes if which == "x" else fig.update_yaxes
    kwargs: dict[str, Any] = {"title_text": axis.name, "row": row, "col": col, "range": list(axis.padded_range())}
    ticks = axis.ticks()
    if ticks is not None:
        kwargs["tickvals"], kwargs["ticktext"] = ticks
    update(**kwargs)


def _markers(go: Any, panel: PairPanel, feasible: bool, color: Any, first: bool) -> Any:
    keep = [k for k, f in enumerate(panel.feasible) if f == feasible]
    marker = ({"color": color(keep), "line": {"width": 1, "color": "Grey"}} if feasible
              else {"color": "grey", "symbol": "x"})
    return go.Scatter(x=[panel.x[k] for k in keep], y=[panel.y[k] for k in keep], mode="markers",
                      name="Feasible Trial" if feasible else INFEASIBLE_NAME, marker=marker,
                      text=[f"Trial {panel.numbers[k]}" for k in keep], showlegend=first and not feasible)


def _figure(n: int):
    side = n if n > 2 else 1
    return plotly_subplots(side, side)


def plot_contour(
    study: "Study",
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
):
    """The target interpolated over each pair of parameters (linear inside the trials' hull, nearest
    outside), with the trials as markers; infeasible trials grey. Log parameters on log10 coordinates,
    categoricals at their choice index, both labelled. Returns a ``plotly.graph_objects.Figure``."""
    go = plotly_go()
    target_name = check_target_name(target_name)
    axes, panels = pair_info(study, params, target, contour=True)
    fig = _figure(len(axes))
    # one colour scale and one set of levels for every panel, so equal colours mean equal values
    zs = [z for p in panels.values() if p.grid_z is not None for r in p.grid_z for z in r]
    zmin, zmax = (min(zs), max(zs)) if zs else (0.0, 1.0)
    levels = {"start": zmin, "end": zmax, "size": (zmax - zmin) / 15 or 1.0, "coloring": "heatmap"}
    for k, (i, j, row, col) in enumerate(layout_cells(len(axes))):
        p = panels[(i, j)]
        if p.grid_z is not None:
            fig.add_trace(go.Contour(x=p.grid_x, y=p.grid_y, z=p.grid_z, colorscale="Blues", reversescale=True,
                                     zmin=zmin, zmax=zmax, autocontour=False, contours=levels,
                                     line={"width": 0.3}, connectgaps=True, showscale=k == 0,
                                     colorbar={"title": {"text": target_name}}),
                          row=row, col=col)
        fig.add_trace(_markers(go, p, True, lambda keep: "black", False), row=row, col=col)
        if not all(p.feasible):
            fig.add_trace(_markers(go, p, False, None, k == 0), row=row, col=col)
        _numeric_axis(fig, p.x_axis, row, col, "x")
        _numeric_axis(fig, p.y_axis, row, col, "y")
    fig.update_layout(title="Contour Plot", legend=LEGEND_ABOVE)
    return fig


def plot_rank(
    study: "Study",
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
):
    """Each pair of parameters as a scatter coloured by the trial's rank (0 = best, 1 = worst, over
    all complete trials; one parameter: against the target); infeasible trials are grey crosses. Returns a ``plotly.graph_objects.Figure``."""
    go = plotly_go()
    target_name = check_target_name(target_name)
    axes, panels = pair_info(study, params, target, contour=False, target_name=target_name)
    fig = _figure(len(axes))
    for k, (i, j, row, col) in enumerate(layout_cells(len(axes))):
        p = panels[(i, j)]
        marker = _markers(go, p, True, lambda keep, p=p: [p.rank[q] for q in keep], False)
        marker.marker.update(colorscale="RdYlBu_r", cmin=0.0, cmax=1.0, showscale=k == 0,
                             colorbar={"title": {"text": f"Rank of {target_name}"}})
        fig.add_trace(marker, row=row, col=col)
        if not all(p.feasible):
            fig.add_trace(_markers(go, p, False, None, k == 0), row=row, col=col)
        _numeric_axis(fig, p.x_axis, row, col, "x")
        _numeric_axis(fig, p.y_axis, row, col, "y")
    fig.update_layout(title="Rank Plot", legend=LEGEND_ABOVE)
    return fig
