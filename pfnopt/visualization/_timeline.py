"""Timeline: when each trial ran, one bar per trial coloured by its state (infeasible apart)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pfnopt.exceptions import ParameterError
from pfnopt.records import TrialState, utcnow
from pfnopt.visualization._common import INFEASIBLE_COLOR, check_study, plotly_go

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study

STATE_COLORS = {
    "COMPLETE": "#1f77b4",
    "INFEASIBLE": INFEASIBLE_COLOR,
    "PRUNED": "#ff7f0e",
    "FAIL": "#d62728",
    "RUNNING": "#2ca02c",
}


@dataclass(frozen=True)
class Bar:
    """One trial: its number, label (a state name, or INFEASIBLE for a complete trial with a violated
    constraint), start and end (now for a running trial)."""

    number: int
    label: str
    start: _dt.datetime
    end: _dt.datetime


def timeline_info(study: "Study", n_recent_trials: int | None = None) -> list[Bar]:
    study = check_study(study)
    if n_recent_trials is not None and (isinstance(n_recent_trials, bool) or not isinstance(n_recent_trials, int)
                                        or n_recent_trials < 1):
        raise ParameterError(f"n_recent_trials must be a positive integer or None, got {n_recent_trials!r}")
    now = utcnow()
    bars = []
    for t in study.get_trials():
        if t.datetime_start is None:  # WAITING: never started
            continue
        label = t.state.name
        if t.state == TrialState.COMPLETE and not t.feasible:
            label = "INFEASIBLE"
        end = t.datetime_complete or (now if t.state == TrialState.RUNNING else t.datetime_start)
        bars.append(Bar(t.number, label, t.datetime_start, end))
    return bars[-n_recent_trials:] if n_recent_trials else bars


def plot_timeline(study: "Study", n_recent_trials: int | None = None):
    """Each started trial as a horizontal bar from its start to its end, one trace per state (complete,
    infeasible, pruned, fail, running). Returns a ``plotly.graph_objects.Figure``."""
    go = plotly_go()
    bars = timeline_info(study, n_recent_trials)
    fig = go.Figure()
    for label, color in STATE_COLORS.items():
        group = [b for b in bars if b.label == label]
        if not group:
            continue
        fig.add_trace(go.Bar(
            name=label.capitalize(), orientation="h", marker_color=color,
            y=[b.number for b in group],
            x=[max((b.end - b.start).total_seconds() * 1000.0, 1.0) for b in group],  # ms; >= 1 so it shows
            base=[b.start.isoformat() for b in group],
        ))
    fig.update_layout(title="Timeline Plot", xaxis={"type": "date", "title": "Datetime"},
                      yaxis_title="Trial", barmode="overlay")
    return fig
