"""What every plot shares: the studies, the target, the parameters, feasibility, axis scales.

The plot modules compute plain data here (no plotly, no matplotlib), so the plotly functions and
their matplotlib twins draw the same points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from pfnopt.exceptions import ParameterError
from pfnopt.records import FrozenTrial, StudyDirection, TrialState
from pfnopt.space import Categorical, Distribution

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study

Target = Callable[[FrozenTrial], float]

FEASIBLE_NAME = "Feasible Trial"
INFEASIBLE_NAME = "Infeasible Trial"
INFEASIBLE_COLOR = "#cccccc"
BEST_COLOR = "#d62728"
DEFAULT_TARGET_NAME = "Objective Value"
LEGEND_ABOVE = {"orientation": "h", "x": 1.0, "xanchor": "right", "y": 1.02, "yanchor": "bottom"}  # clear of colorbars


class PlotError(ParameterError):
    """A study that a plot cannot draw (e.g. a Pareto front of one objective); names the study and why."""


def as_studies(study: "Study | Sequence[Study]") -> list["Study"]:
    """One study or a non-empty sequence of them, each a pfnopt Study."""
    studies = list(study) if isinstance(study, (list, tuple)) else [study]
    if not studies:
        raise ParameterError("study must be a pfnopt Study or a non-empty list of them, got an empty list")
    from pfnopt.study import Study

    for s in studies:
        if not isinstance(s, Study):
            hint = " (an Optuna study: use optuna.visualization)" if type(s).__module__.startswith("optuna") else ""
            raise ParameterError(
                f"expected a pfnopt Study (from pfnopt.create_study / load_study), got {s!r}{hint}"
            )
    return studies


def check_study(study: Any) -> "Study":
    studies = as_studies(study)
    if len(studies) != 1 or isinstance(study, (list, tuple)):
        raise ParameterError(f"this plot takes one study, got a list of {len(studies)}")
    return studies[0]


def resolve_target(study: "Study", target: Target | None, what: str = "plot") -> Target:
    """``target`` checked, or the single objective; a multi-objective study needs ``target``."""
    if target is not None:
        if not callable(target):
            raise ParameterError(f"target must be a callable FrozenTrial -> float, got {target!r}")
        return target
    n_obj = len(study.directions)
    if n_obj != 1:
        raise ParameterError(
            f"study {study.study_name!r} has {n_obj} objectives: pass target= (e.g. target=lambda t: t.values[0]) "
            f"and target_name= to choose the value to {what}"
        )
    return lambda t: t.values[0]


def check_target_name(target_name: Any) -> str:
    if not isinstance(target_name, str):
        raise ParameterError(f"target_name must be a string, got {target_name!r}")
    return target_name


def target_value(target: Target, trial: FrozenTrial) -> float:
    v = target(trial)
    try:
        return float(v)
    except (TypeError, ValueError):
        raise ParameterError(f"target returned {v!r} for trial {trial.number}; it must return a number") from None


def has_constraints(trials: Sequence[FrozenTrial]) -> bool:
    return any(t.constraints is not None for t in trials)


@dataclass(frozen=True)
class Point:
    """A complete trial with its target value and feasibility."""

    trial: FrozenTrial
    value: float
    feasible: bool

    @property
    def number(self) -> int:
        return self.trial.number


def complete_points(study: "Study", target: Target) -> list[Point]:
    """The COMPLETE trials with a finite target, in trial order."""
    out = []
    for t in study.get_trials(states=(TrialState.COMPLETE,)):
        v = target_value(target, t)
        if math.isfinite(v):
            out.append(Point(t, v, t.feasible))
    return out


def minimizes(study: "Study") -> bool:
    return study.directions[0] == StudyDirection.MINIMIZE


def param_space(trials: Sequence[FrozenTrial]) -> dict[str, Distribution]:
    """Each parameter any trial has, with the distribution of its first trial; sorted by name."""
    space: dict[str, Distribution] = {}
    for t in trials:
        for n, d in t.distributions.items():
            space.setdefault(n, d)
    return dict(sorted(space.items()))


def check_params(params: Any, space: dict[str, Distribution], study_name: str) -> list[str]:
    """``params`` checked against the study's parameters, or all of them (sorted)."""
    if params is None:
        return list(space)
    if isinstance(params, str) or not all(isinstance(p, str) for p in params):
        raise ParameterError(f"params must be a list of parameter names, got {params!r}")
    params = list(params)
    for p in params:
        if p not in space:
            raise ParameterError(
                f"parameter {p!r} is not in study {study_name!r}; its complete trials have: {sorted(space)}"
            )
    if len(set(params)) != len(params):
        raise ParameterError(f"params lists a name twice: {params!r}")
    return params


@dataclass(frozen=True)
class Axis:
    """How one parameter is drawn: a numeric axis (``log`` or linear) or a categorical one."""

    name: str
    distribution: Distribution

    @property
    def categorical(self) -> bool:
        return isinstance(self.distribution, Categorical)

    @property
    def log(self) -> bool:
        return not self.categorical and bool(self.distribution.log)

    @property
    def categories(self) -> list[str]:
        return [str(c) for c in self.distribution.choices] if self.categorical else []

    def display(self, value: Any) -> Any:
        """The value as placed on the axis: a category's label, or the number."""
        return str(value) if self.categorical else value

    def numeric(self, value: Any) -> float:
        """A plain coordinate (category index, log10 for a log axis), e.g. for interpolation."""
        if self.categorical:
            return float(self.distribution.index(value))
        return math.log10(value) if self.log else float(value)

    def ticks(self) -> tuple[list[float], list[str]] | None:
        """Labelled positions on the numeric coordinate: categories, or the powers of ten of a log axis."""
        if self.categorical:
            return [float(i) for i in range(len(self.categories))], self.categories
        if self.log:
            lo, hi = self.numeric_range()
            ks = list(range(math.ceil(lo - 1e-9), math.floor(hi + 1e-9) + 1))
            return [float(k) for k in ks], [f"{10.0 ** k:g}" for k in ks]
        return None

    def numeric_range(self) -> tuple[float, float]:
        if self.categorical:
            return -0.5, len(self.distribution.choices) - 0.5
        lo, hi = float(self.distribution.low), float(self.distribution.high)
        return (math.log10(lo), math.log10(hi)) if self.log else (lo, hi)

    def padded_range(self, pad: float = 0.04) -> tuple[float, float]:
        """The numeric range widened a little, so markers on the bounds are drawn whole."""
        lo, hi = self.numeric_range()
        if self.categorical:
            return lo, hi
        margin = pad * (hi - lo) if hi > lo else 0.5
        return lo - margin, hi + margin


def axes_for(params: Sequence[str], space: dict[str, Distribution]) -> list[Axis]:
    return [Axis(n, space[n]) for n in params]


def with_params(points: Sequence[Point], names: Sequence[str]) -> list[Point]:
    """The points whose trial has every one of ``names`` (conditional spaces leave some out)."""
    return [p for p in points if all(n in p.trial.params for n in names)]


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """``a`` Pareto-dominates ``b`` (both already signed so that smaller is better)."""
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def plotly_go():
    """``plotly.graph_objects``, imported on first use (the ``viz`` extra)."""
    try:
        import plotly.graph_objects as go
    except ImportError:  # pragma: no cover - depends on the environment
        from pfnopt.exceptions import missing_extra

        raise missing_extra("plotly", "viz") from None
    return go


def plotly_subplots(rows: int, cols: int, **kwargs: Any):
    plotly_go()
    from plotly.subplots import make_subplots

    return make_subplots(rows=rows, cols=cols, **kwargs)
