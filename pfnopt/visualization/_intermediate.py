"""Intermediate values: the learning curve each trial reported with ``trial.report``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pfnopt.visualization._common import INFEASIBLE_COLOR, check_study, plotly_go

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


@dataclass(frozen=True)
class Curve:
    """One trial's reported values; ``feasible`` is False only for a trial with a violated constraint."""

    number: int
    state: str
    steps: list[int]
    values: list[float]
    feasible: bool


def intermediate_info(study: "Study") -> list[Curve]:
    study = check_study(study)
    out = []
    for t in study.get_trials():
        if not t.intermediate_values:
            continue
        steps = sorted(t.intermediate_values)
        out.append(Curve(t.number, t.state.name, steps, [float(t.intermediate_values[s]) for s in steps],
                         t.feasible))
    return out


def plot_intermediate_values(study: "Study"):
    """One line per trial that reported values, by step; trials whose constraints were violated are
    grey and dashed, pruned trials end in an ``x``. Returns a ``plotly.graph_objects.Figure``."""
    go = plotly_go()
    fig = go.Figure()
    for c in intermediate_info(study):
        line = {} if c.feasible else {"color": INFEASIBLE_COLOR, "dash": "dash"}
        symbols = ["circle"] * len(c.steps)
        if c.state == "PRUNED":
            symbols[-1] = "x"
        fig.add_trace(go.Scatter(x=c.steps, y=c.values, mode="lines+markers", name=f"Trial{c.number}",
                                 line=line, marker={"symbol": symbols},
                                 legendgroup="infeasible" if not c.feasible else None))
    fig.update_layout(title="Intermediate Values Plot", xaxis_title="Step", yaxis_title="Intermediate Value",
                      showlegend=len(fig.data) <= 20)
    return fig
