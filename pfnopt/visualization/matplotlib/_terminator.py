"""Matplotlib twin of :func:`pfnopt.visualization.plot_terminator_improvement` (same data, same colours)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pfnopt.visualization._terminator import (
    DEFAULT_MIN_N_TRIALS,
    ERROR_COLOR,
    IMPROVEMENT_COLOR,
    STARTUP_OPACITY,
    check_min_n_trials,
    logger,
    terminator_improvement_info,
    y_range,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from pfnopt.study import Study


def plot_terminator_improvement(study: "Study", plot_error: bool = False, improvement_evaluator: Any = None,
                                error_evaluator: Any = None, min_n_trials: int = DEFAULT_MIN_N_TRIALS) -> "Axes":
    """Matplotlib twin of :func:`pfnopt.visualization.plot_terminator_improvement`; returns the Axes."""
    from pfnopt.visualization.matplotlib._series import new_axes

    min_n_trials = check_min_n_trials(min_n_trials)
    info = terminator_improvement_info(study, plot_error, improvement_evaluator, error_evaluator)
    ax = new_axes("Terminator Improvement Plot")
    ax.set_xlabel("Trial")
    ax.set_ylabel("Terminator Improvement")
    if not info.trial_numbers:
        logger.warning("study %r has no complete trial: the terminator improvement plot is empty", study.study_name)
        return ax
    color = tuple(c / 255 for c in IMPROVEMENT_COLOR)
    n_start = min(min_n_trials + 1, len(info.trial_numbers))
    ax.plot(info.trial_numbers[:n_start], info.improvements[:n_start], marker="o", ms=4, color=color,
            alpha=STARTUP_OPACITY, label="Terminator Improvement" if len(info.trial_numbers) <= min_n_trials else None)
    if len(info.trial_numbers) > min_n_trials:
        ax.plot(info.trial_numbers[min_n_trials:], info.improvements[min_n_trials:], marker="o", ms=4, color=color,
                label="Terminator Improvement")
    if info.errors is not None:
        r, g, b = (int(v) for v in ERROR_COLOR[4:-1].split(","))
        ax.plot(info.trial_numbers, info.errors, marker="o", ms=4, color=(r / 255, g / 255, b / 255), label="Error")
    rng = y_range(info, min_n_trials)
    if rng is not None and rng[0] < rng[1]:
        ax.set_ylim(*rng)
    ax.legend(loc="best")
    return ax
