"""Plots of a study, with Optuna's function names and signatures (plotly figures).

Example::

    from pfnopt.visualization import plot_optimization_history, plot_contour
    plot_optimization_history(study).show()
    plot_contour(study, params=["lr", "depth"]).write_html("contour.html")

Wherever a study has constraints, infeasible trials (some constraint > 0) are drawn apart
(grey, named ``Infeasible Trial``) and never count as best. ``pfnopt.visualization.matplotlib``
has the same functions returning matplotlib Axes. plotly (the ``viz`` extra) is imported only when
a plot is drawn.
"""

from __future__ import annotations

from pfnopt.visualization._common import PlotError
from pfnopt.visualization._contour import plot_contour, plot_rank
from pfnopt.visualization._edf import plot_edf
from pfnopt.visualization._history import plot_optimization_history
from pfnopt.visualization._importances import plot_param_importances
from pfnopt.visualization._intermediate import plot_intermediate_values
from pfnopt.visualization._parallel import plot_parallel_coordinate
from pfnopt.visualization._pareto import plot_pareto_front
from pfnopt.visualization._slice import plot_slice
from pfnopt.visualization._terminator import plot_terminator_improvement
from pfnopt.visualization._timeline import plot_timeline


def is_available() -> bool:
    """True when plotly can be imported (Optuna's name)."""
    try:
        import plotly  # noqa: F401
    except ImportError:  # pragma: no cover
        return False
    return True


__all__ = [
    "PlotError",
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
