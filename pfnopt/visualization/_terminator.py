"""Terminator improvement: after each trial, how much better the terminator thinks the study could still get
(and, with ``plot_error``, the objective's own error), i.e. the two quantities the terminator compares.

The numbers come from Optuna's terminator evaluators (the ``optuna`` extra, as in
:mod:`pfnopt.terminator`), evaluated on Optuna copies of the study's complete trials, so the curve is the
one ``TerminatorCallback`` acts on.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pfnopt.exceptions import ParameterError
from pfnopt.records import TrialState
from pfnopt.visualization._common import PlotError, check_study, plotly_go

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study

logger = logging.getLogger("pfnopt")

DEFAULT_MIN_N_TRIALS = 20  # Optuna's: the regret bound is not trusted before this many trials
IMPROVEMENT_COLOR = (99, 110, 250)  # one hue for the curve; the start-up part is drawn translucent
STARTUP_OPACITY = 0.25
ERROR_COLOR = "rgb(239, 85, 59)"
Y_PADDING = 0.05


@dataclass(frozen=True)
class ImprovementInfo:
    """One entry per trial from the first complete one on: its number, the improvement evaluated on the
    complete trials up to it, and (``plot_error``) the error evaluated on the same trials."""

    trial_numbers: list[int]
    improvements: list[float]
    errors: list[float] | None


def _evaluators(improvement_evaluator: Any, error_evaluator: Any) -> tuple[Any, Any]:
    """The evaluators given, or Optuna's defaults (regret bound; cross-validation error, or zero error for a
    best-value-stagnation evaluator, whose threshold is its own)."""
    from pfnopt.terminator.callback import _optuna

    _optuna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's ExperimentalWarning for each evaluator class
        from optuna.terminator import (
            BestValueStagnationEvaluator,
            CrossValidationErrorEvaluator,
            RegretBoundEvaluator,
            StaticErrorEvaluator,
        )

        improvement = RegretBoundEvaluator() if improvement_evaluator is None else improvement_evaluator
        if error_evaluator is not None:
            error = error_evaluator
        elif isinstance(improvement, BestValueStagnationEvaluator):
            error = StaticErrorEvaluator(constant=0)
        else:
            error = CrossValidationErrorEvaluator()
    for name, ev in (("improvement_evaluator", improvement), ("error_evaluator", error)):
        if not callable(getattr(ev, "evaluate", None)):
            raise ParameterError(
                f"{name} must have an evaluate(trials, study_direction) method (e.g. "
                f"pfnopt.terminator.RegretBoundEvaluator()), got {ev!r}"
            )
    return improvement, error


def terminator_improvement_info(study: "Study", plot_error: bool = False, improvement_evaluator: Any = None,
                                error_evaluator: Any = None) -> ImprovementInfo:
    study = check_study(study)
    if not isinstance(plot_error, bool):
        raise ParameterError(f"plot_error must be True or False, got {plot_error!r}")
    if len(study.directions) != 1:
        raise PlotError(f"study {study.study_name!r} has {len(study.directions)} objectives; the terminator "
                        "improvement plot takes a single-objective study")
    improvement, error = _evaluators(improvement_evaluator, error_evaluator)

    import optuna

    from pfnopt.samplers.compat import to_optuna_trial

    direction = getattr(optuna.study.StudyDirection, study.direction.name)
    numbers: list[int] = []
    improvements: list[float] = []
    errors: list[float] = []
    complete: list[Any] = []  # Optuna FrozenTrials, the evaluators' input
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in study.get_trials():
            if t.state == TrialState.COMPLETE:
                complete.append(to_optuna_trial(t))
            if not complete:
                continue  # nothing to evaluate before the first complete trial
            numbers.append(t.number)
            improvements.append(float(improvement.evaluate(trials=list(complete), study_direction=direction)))
            if plot_error:
                errors.append(float(error.evaluate(trials=list(complete), study_direction=direction)))
    return ImprovementInfo(numbers, improvements, errors if plot_error else None)


def check_min_n_trials(min_n_trials: Any) -> int:
    if isinstance(min_n_trials, bool) or not isinstance(min_n_trials, int) or min_n_trials < 1:
        raise ParameterError(f"min_n_trials must be an integer >= 1, got {min_n_trials!r}")
    return min_n_trials


def y_range(info: ImprovementInfo, min_n_trials: int) -> tuple[float, float] | None:
    """The value range to show: the top follows the trials after the start-up (the start-up's regret
    bounds are typically huge and would flatten the rest), unless there are none yet."""
    shown = [v for v in info.improvements + (info.errors or []) if math.isfinite(v)]
    if not shown:
        return None
    after = [v for v in info.improvements[min_n_trials:] if math.isfinite(v)] or \
        [v for v in info.improvements if math.isfinite(v)] or shown
    low = min(shown)
    high = max(after + [v for v in (info.errors or []) if math.isfinite(v)])
    pad = (high - low) * Y_PADDING
    return low - pad, high + pad


def plot_terminator_improvement(study: "Study", plot_error: bool = False, improvement_evaluator: Any = None,
                                error_evaluator: Any = None, min_n_trials: int = DEFAULT_MIN_N_TRIALS):
    """The terminator's improvement estimate after each trial (Optuna's arguments), translucent for the
    first ``min_n_trials`` trials, where the terminator never stops a study; with ``plot_error=True`` also
    the error it is compared with (from ``report_cross_validation_scores`` by default). Evaluating the
    default regret bound fits a Gaussian process per trial: expect seconds per trial. Returns a
    ``plotly.graph_objects.Figure``."""
    min_n_trials = check_min_n_trials(min_n_trials)
    info = terminator_improvement_info(study, plot_error, improvement_evaluator, error_evaluator)
    go = plotly_go()
    fig = go.Figure()
    fig.update_layout(title="Terminator Improvement Plot", xaxis_title="Trial", yaxis_title="Terminator Improvement")
    if not info.trial_numbers:
        logger.warning("study %r has no complete trial: the terminator improvement plot is empty", study.study_name)
        return fig
    r, g, b = IMPROVEMENT_COLOR
    n_start = min(min_n_trials + 1, len(info.trial_numbers))  # the start-up part ends where the solid part starts
    fig.add_trace(go.Scatter(
        x=info.trial_numbers[:n_start], y=info.improvements[:n_start], mode="markers+lines",
        name="Terminator Improvement", legendgroup="improvement",
        showlegend=len(info.trial_numbers) <= min_n_trials,
        marker={"color": f"rgba({r}, {g}, {b}, {STARTUP_OPACITY})"},
        line={"color": f"rgba({r}, {g}, {b}, {STARTUP_OPACITY})"},
    ))
    if len(info.trial_numbers) > min_n_trials:
        fig.add_trace(go.Scatter(
            x=info.trial_numbers[min_n_trials:], y=info.improvements[min_n_trials:], mode="markers+lines",
            name="Terminator Improvement", legendgroup="improvement",
            marker={"color": f"rgb({r}, {g}, {b})"}, line={"color": f"rgb({r}, {g}, {b})"},
        ))
    if info.errors is not None:
        fig.add_trace(go.Scatter(x=info.trial_numbers, y=info.errors, mode="markers+lines", name="Error",
                                 marker={"color": ERROR_COLOR}, line={"color": ERROR_COLOR}))
    rng = y_range(info, min_n_trials)
    if rng is not None:
        fig.update_yaxes(range=list(rng))
    return fig
