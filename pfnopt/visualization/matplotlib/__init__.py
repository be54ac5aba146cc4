"""The plots of :mod:`pfnopt.visualization` drawn with matplotlib; each returns its Axes (an array
of Axes for multi-panel slice, contour and rank plots), e.g. for ``ax.figure.savefig("plot.png")``."""

from __future__ import annotations

from pfnopt.visualization.matplotlib._params import plot_contour, plot_parallel_coordinate, plot_rank, plot_slice
from pfnopt.visualization.matplotlib._series import (
    plot_edf,
    plot_intermediate_values,
    plot_optimization_history,
    plot_param_importances,
    plot_pareto_front,
    plot_timeline,
)
from pfnopt.visualization.matplotlib._terminator import plot_terminator_improvement


def is_available() -> bool:
    """True when matplotlib can be imported (Optuna's name; matplotlib is a pfnopt dependency)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # pragma: no cover
        return False
    return True


__all__ = [
    "is_available",
    "plot_contour",
    "plot_edf",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_rank",
    "plot_slice",
    "plot_terminator_improvement",
    "plot_timeline",
]
