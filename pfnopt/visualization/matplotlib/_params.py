"""Matplotlib twins of the per-parameter plots: parallel coordinates, slice, contour and rank."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from pfnopt.visualization._common import (
    DEFAULT_TARGET_NAME,
    INFEASIBLE_COLOR,
    INFEASIBLE_NAME,
    Axis,
    Target,
    check_target_name,
)
from pfnopt.visualization._contour import layout_cells
from pfnopt.visualization._pairs import PairPanel, pair_info
from pfnopt.visualization._parallel import parallel_info
from pfnopt.visualization._slice import slice_info
from pfnopt.visualization.matplotlib._series import new_axes, pyplot

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from pfnopt.study import Study


def plot_parallel_coordinate(
    study: "Study",
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> "Axes":
    """Matplotlib twin of :func:`pfnopt.visualization.plot_parallel_coordinate`: every axis scaled to
    [0, 1] between its own extremes and labelled with them; lines coloured by the target."""
    from matplotlib import colormaps

    info = parallel_info(study, params, target, check_target_name(target_name))
    ax = new_axes("Parallel Coordinate Plot", figsize=(max(6.0, 1.6 * len(info.dimensions)), 4.5))
    scaled = []
    for d in info.dimensions:
        lo, hi = (min(d.values), max(d.values)) if d.values else (0.0, 1.0)
        if d.ticks is not None:
            lo, hi = min(lo, min(d.ticks[0])), max(hi, max(d.ticks[0]))
        span = hi - lo if hi > lo else 1.0
        scaled.append(((np.asarray(d.values) - lo) / span, lo, span))
    cmap = colormaps["Blues"]
    t = np.asarray(info.target)
    norm = (t - t.min()) / (np.ptp(t) or 1.0) if t.size else t
    if info.low_is_best:
        norm = 1.0 - norm  # the best trials darkest
    xs = np.arange(len(info.dimensions))
    for k in range(len(info.numbers)):
        style = {"color": cmap(0.25 + 0.75 * norm[k])} if info.feasible[k] else {"color": INFEASIBLE_COLOR, "ls": "--"}
        ax.plot(xs, [s[0][k] for s in scaled], alpha=0.8, lw=1, **style)
    for x, d, (_, lo, span) in zip(xs, info.dimensions, scaled):
        ax.axvline(x, color="black", lw=0.8)
        if d.ticks is not None:
            for v, label in zip(*d.ticks):
                ax.text(x + 0.03, (v - lo) / span, label, fontsize="x-small", va="center")
        elif d.values:
            ax.text(x + 0.03, 0.0, f"{lo:.3g}", fontsize="x-small", va="center")
            ax.text(x + 0.03, 1.0, f"{lo + span:.3g}", fontsize="x-small", va="center")
    ax.set_xticks(xs, [d.label for d in info.dimensions])
    ax.set_yticks([])
    ax.set_xlim(-0.2, len(xs) - 0.6)
    return ax


def _set_scale(ax: "Axes", axis: Axis, which: str) -> None:
    if axis.log:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    (ax.set_xlabel if which == "x" else ax.set_ylabel)(axis.name)


def plot_slice(
    study: "Study",
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> "Axes | np.ndarray":
    """Matplotlib twin of :func:`pfnopt.visualization.plot_slice` (an array of Axes for several params)."""
    target_name = check_target_name(target_name)
    panels = slice_info(study, params, target)
    n = max(len(panels), 1)
    fig, axs = pyplot().subplots(1, n, figsize=(3.5 * n, 4.0), sharey=True, squeeze=False)
    fig.suptitle("Slice Plot")
    for ax, panel in zip(axs[0], panels):
        a = panel.axis
        # categories at their index, labelled, so every choice keeps its place even if never sampled
        pos = (lambda xs, a=a: [a.categories.index(x) for x in xs]) if a.categorical else (lambda xs: xs)
        sc = ax.scatter(pos(panel.x), panel.y, c=panel.numbers, cmap="Blues", edgecolors="grey", s=22)
        if panel.infeasible_x:
            ax.scatter(pos(panel.infeasible_x), panel.infeasible_y, color="grey", marker="x", s=22,
                       label=INFEASIBLE_NAME)
            ax.legend(loc="best", fontsize="small")
        if a.categorical:
            ax.set_xticks(range(len(a.categories)), a.categories)
        _set_scale(ax, a, "x")
    axs[0][0].set_ylabel(target_name)
    if panels:
        fig.colorbar(sc, ax=axs[0].tolist(), label="Trial")
    return axs[0][0] if len(panels) == 1 else axs[0]


def _numeric_axes(ax: "Axes", p: PairPanel) -> None:
    for axis, which in ((p.x_axis, "x"), (p.y_axis, "y")):
        lo, hi = axis.padded_range()
        (ax.set_xlim if which == "x" else ax.set_ylim)(lo, hi)
        ticks = axis.ticks()
        if ticks is not None:
            (ax.set_xticks if which == "x" else ax.set_yticks)(*ticks)
        (ax.set_xlabel if which == "x" else ax.set_ylabel)(axis.name)


def _pair_grid(n: int, title: str) -> tuple[Any, np.ndarray]:
    side = n if n > 2 else 1
    fig, axs = pyplot().subplots(side, side, figsize=(4.2 * side + 1, 3.8 * side), squeeze=False)
    fig.suptitle(title)
    if side > 1:
        for k in range(side):
            axs[k][k].axis("off")
    return fig, axs


def _infeasible(ax: "Axes", p: PairPanel) -> None:
    bad = [k for k, f in enumerate(p.feasible) if not f]
    if bad:
        ax.scatter([p.x[k] for k in bad], [p.y[k] for k in bad], color="grey", marker="x", s=22,
                   label=INFEASIBLE_NAME)
        ax.legend(loc="best", fontsize="small")


def plot_contour(
    study: "Study",
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> "Axes | np.ndarray":
    """Matplotlib twin of :func:`pfnopt.visualization.plot_contour` (an n x n array of Axes for n > 2)."""
    target_name = check_target_name(target_name)
    axes, panels = pair_info(study, params, target, contour=True)
    fig, axs = _pair_grid(len(axes), "Contour Plot")
    # one colour scale for every panel, so that equal colours mean equal values across the matrix
    zs = [z for p in panels.values() if p.grid_z is not None for row in p.grid_z for z in row]
    levels = np.linspace(min(zs), max(zs) + 1e-12, 16) if zs else 15
    cs = None
    for i, j, row, col in layout_cells(len(axes)):
        p, ax = panels[(i, j)], axs[row - 1][col - 1]
        if p.grid_z is not None:
            cs = ax.contourf(p.grid_x, p.grid_y, p.grid_z, levels=levels, cmap="Blues_r")
        good = [k for k, f in enumerate(p.feasible) if f]
        ax.scatter([p.x[k] for k in good], [p.y[k] for k in good], color="black", s=12)
        _infeasible(ax, p)
        _numeric_axes(ax, p)
    if cs is not None:
        fig.colorbar(cs, ax=axs.ravel().tolist(), label=target_name)
    return axs[0][0] if len(axes) == 2 else axs


def plot_rank(
    study: "Study",
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> "Axes | np.ndarray":
    """Matplotlib twin of :func:`pfnopt.visualization.plot_rank`."""
    target_name = check_target_name(target_name)
    axes, panels = pair_info(study, params, target, contour=False, target_name=target_name)
    fig, axs = _pair_grid(len(axes), "Rank Plot")
    for i, j, row, col in layout_cells(len(axes)):
        p, ax = panels[(i, j)], axs[row - 1][col - 1]
        good = [k for k, f in enumerate(p.feasible) if f]
        sc = ax.scatter([p.x[k] for k in good], [p.y[k] for k in good], c=[p.rank[k] for k in good],
                        cmap="RdYlBu_r", vmin=0.0, vmax=1.0, edgecolors="grey", s=22)
        _infeasible(ax, p)
        _numeric_axes(ax, p)
    fig.colorbar(sc, ax=axs.ravel().tolist(), label=f"Rank of {target_name}")
    return axs[0][0] if len(axes) <= 2 else axs
