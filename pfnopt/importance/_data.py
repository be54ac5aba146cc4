"""What every importance evaluator starts from: complete trials as points of the unit cube.

A parameter's coordinate is its distribution's own unit-interval position (``to_unit``): log
parameters on the log scale, every integer and every categorical choice owning a cell of equal
width. The cube with the uniform measure is then exactly the search space with its uniform prior,
which is the measure the functional ANOVA decomposition integrates over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from pfnopt.exceptions import NoFeasibleTrialError, ParameterError
from pfnopt.records import FrozenTrial, StudyDirection, TrialState
from pfnopt.space import Distribution

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study

Target = Callable[[FrozenTrial], float]


@dataclass(frozen=True)
class ImportanceData:
    """``X``: n x d unit-cube coordinates of the ``params`` (columns in that order); ``y``: n target values;
    ``lower_is_better``: the study minimises (always True for a custom ``target``, as in Optuna)."""

    params: list[str]
    distributions: dict[str, Distribution]
    X: np.ndarray
    y: np.ndarray
    lower_is_better: bool = True


def resolve_target(study: "Study", target: Target | None) -> Target:
    """The value to explain: ``target(trial)``, or the single objective when ``target`` is None."""
    if target is not None:
        if not callable(target):
            raise ParameterError(f"target must be a callable FrozenTrial -> float, got {target!r}")
        return target
    n_obj = len(study.directions)
    if n_obj != 1:
        raise ParameterError(
            f"study {study.study_name!r} has {n_obj} objectives: pass target= (e.g. "
            f"target=lambda t: t.values[0]) to say which value to assess"
        )
    return lambda t: t.values[0]


def target_value(target: Target, trial: FrozenTrial) -> float:
    """``target(trial)`` as a float; a non-number is refused naming the trial and the value."""
    v = target(trial)
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ParameterError(f"target returned {v!r} for trial {trial.number}; it must return a number") from None
    return f


def common_space(trials: Sequence[FrozenTrial]) -> dict[str, Distribution]:
    """Parameters present in every trial with one and the same distribution, in first-seen order."""
    if not trials:
        return {}
    space = dict(trials[0].distributions)
    for t in trials[1:]:
        space = {n: d for n, d in space.items() if t.distributions.get(n) == d}
    return space


def check_params(params: Any, space: dict[str, Distribution], study_name: str, skip_single: bool = True) -> list[str]:
    """The names to assess: ``params`` checked against ``space``, or every non-constant parameter."""
    if params is None:
        return [n for n, d in space.items() if not (skip_single and d.single())]
    if isinstance(params, str) or not all(isinstance(p, str) for p in params):
        raise ParameterError(f"params must be a list of parameter names, got {params!r}")
    params = list(params)
    for p in params:
        if p not in space:
            raise ParameterError(
                f"parameter {p!r} is not in the search space shared by the complete trials of study "
                f"{study_name!r}; available: {sorted(space)}"
            )
    if len(set(params)) != len(params):
        raise ParameterError(f"params lists a name twice: {params!r}")
    return params


def importance_data(study: "Study", params: Sequence[str] | None, target: Target | None) -> ImportanceData:
    """The complete trials of ``study`` (with a finite target) as an :class:`ImportanceData`."""
    fn = resolve_target(study, target)
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    rows = [(t, target_value(fn, t)) for t in complete]
    rows = [(t, v) for t, v in rows if math.isfinite(v)]
    if len(rows) < 2:
        raise NoFeasibleTrialError(
            f"study {study.study_name!r} has {len(rows)} complete trial(s) with a finite target; "
            f"parameter importances need at least 2"
        )
    trials = [t for t, _ in rows]
    space = common_space(trials)
    names = check_params(params, space, study.study_name)
    X = np.array(
        [[space[n].to_unit(space[n].to_internal(t.params[n])) for n in names] for t in trials], dtype=float
    ).reshape(len(trials), len(names))
    y = np.array([v for _, v in rows], dtype=float)
    lower = target is not None or study.directions[0] == StudyDirection.MINIMIZE
    return ImportanceData(names, {n: space[n] for n in names}, X, y, lower)
