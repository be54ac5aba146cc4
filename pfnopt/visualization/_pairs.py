"""Pairwise panels: contour plots and rank plots, over every pair of the chosen parameters.

Points are placed on numeric coordinates (log10 for a log parameter, the choice index for a
categorical; :meth:`Axis.numeric`), so the interpolated contour and the markers share one frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from pfnopt.space import Float
from pfnopt.visualization._common import (
    Axis,
    PlotError,
    Target,
    axes_for,
    check_params,
    check_study,
    complete_points,
    minimizes,
    param_space,
    resolve_target,
    with_params,
)

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study

GRID = 60


@dataclass(frozen=True)
class PairPanel:
    """Complete trials that have both parameters: coordinates ``x``, ``y``, target ``values``,
    ``rank`` in [0, 1] (0 = best), and for contour plots an interpolated ``grid_z`` (ny x nx)."""

    x_axis: Axis
    y_axis: Axis
    numbers: list[int]
    x: list[float]
    y: list[float]
    values: list[float]
    feasible: list[bool]
    rank: list[float]
    grid_x: list[float] | None = None
    grid_y: list[float] | None = None
    grid_z: list[list[float]] | None = None


def _ranks(values: list[float], minimize: bool) -> list[float]:
    """Each value's rank as a fraction (0 = best, 1 = worst); ties share the lower rank."""
    if not values:
        return []
    v = np.asarray(values) * (1.0 if minimize else -1.0)
    ranks = np.searchsorted(np.sort(v), v, side="left")
    return (ranks / max(len(v) - 1, 1)).tolist()


def _grid(axis: Axis, coords: list[float]) -> np.ndarray:
    if axis.categorical:
        return np.arange(len(axis.categories), dtype=float)
    lo, hi = axis.numeric_range()
    return np.linspace(lo, hi, GRID)


def interpolate(x: list[float], y: list[float], z: list[float], gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """``len(gy) x len(gx)`` surface through the points: linear inside their hull, nearest outside."""
    from scipy.interpolate import griddata

    pts = np.column_stack([x, y])
    # scale to the unit square so that neither coordinate dominates the triangulation
    span = np.array([max(np.ptp(gx), 1e-12), max(np.ptp(gy), 1e-12)])
    origin = np.array([gx.min(), gy.min()])
    unit = (pts - origin) / span
    GX, GY = np.meshgrid(gx, gy)
    query = (np.column_stack([GX.ravel(), GY.ravel()]) - origin) / span
    near = griddata(unit, np.asarray(z), query, method="nearest")
    try:
        lin = griddata(unit, np.asarray(z), query, method="linear")
        out = np.where(np.isnan(lin), near, lin)
    except Exception:  # too few or collinear points: Qhull cannot triangulate
        out = near
    return out.reshape(len(gy), len(gx))


def pair_info(
    study: "Study", params: Sequence[str] | None, target: Target | None, contour: bool,
    target_name: str = "Objective Value",
) -> tuple[list[Axis], dict[tuple[int, int], PairPanel]]:
    """The axes, and a panel for each ordered pair ``(i, j)`` (x = axes[j], y = axes[i]), i != j.

    A rank plot of one parameter has the single panel ``(0, 0)``: the parameter against the target.
    """
    study = check_study(study)
    points = complete_points(study, resolve_target(study, target))
    space = param_space([p.trial for p in points])
    names = check_params(params, space, study.study_name)
    minimize = target is not None or minimizes(study)
    if len(names) == 1 and not contour:
        xa = axes_for(names, space)[0]
        pts = with_params(points, names)
        vals = [p.value for p in pts]
        ya = Axis(target_name, Float(min(vals), max(vals)) if vals else Float(0.0, 1.0))
        panel = PairPanel(xa, ya, [p.number for p in pts], [xa.numeric(p.trial.params[xa.name]) for p in pts],
                          vals, vals, [p.feasible for p in pts], _ranks(vals, minimize))
        return [xa], {(0, 0): panel}
    if len(names) < 2:
        raise PlotError(
            f"this plot needs at least {1 if not contour else 2} parameter(s), got {names!r} from the complete "
            f"trials of study {study.study_name!r}" + ("; use plot_slice for one" if contour else "")
        )
    axes = axes_for(names, space)
    panels = {}
    for i, ya in enumerate(axes):
        for j, xa in enumerate(axes):
            if i == j:
                continue
            pts = with_params(points, [xa.name, ya.name])
            x = [xa.numeric(p.trial.params[xa.name]) for p in pts]
            y = [ya.numeric(p.trial.params[ya.name]) for p in pts]
            vals = [p.value for p in pts]
            panel = PairPanel(xa, ya, [p.number for p in pts], x, y, vals, [p.feasible for p in pts],
                              _ranks(vals, minimize))
            if contour and len(pts) >= 1:
                gx, gy = _grid(xa, x), _grid(ya, y)
                z = interpolate(x, y, vals, gx, gy)
                panel = PairPanel(**{**panel.__dict__, "grid_x": gx.tolist(), "grid_y": gy.tolist(),
                                     "grid_z": z.tolist()})
            panels[(i, j)] = panel
    return axes, panels
