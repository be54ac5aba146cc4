"""The pruner contract and the helpers the standard pruners share.

Contract: ``prune(study, trial) -> bool`` is called by ``trial.should_prune()`` with a fresh snapshot of
the trial; it reads the other trials through ``study.get_trials`` (so several workers on one storage see
each other's reports) and never writes. State a pruner keeps (e.g. a resource estimate) is a cache of what
the storage says, so every worker derives the same decisions.
"""

from __future__ import annotations

import abc
import math
from typing import TYPE_CHECKING, Iterable

import numpy as np

from pfnopt.exceptions import ParameterError
from pfnopt.records import FrozenTrial, StudyDirection

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


class BasePruner(abc.ABC):
    @abc.abstractmethod
    def prune(self, study: "Study", trial: FrozenTrial) -> bool:
        """True if the trial should stop now."""


class NopPruner(BasePruner):
    """Never prunes."""

    def prune(self, study: "Study", trial: FrozenTrial) -> bool:
        return False


def check_int(owner: str, name: str, value, lo: int) -> int:
    """``value`` as an integer ``>= lo`` or a ParameterError naming ``owner.name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ParameterError(f"{owner}: {name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def check_float(owner: str, name: str, value, lo: float = -math.inf, hi: float = math.inf) -> float:
    """``value`` as a float in ``[lo, hi]`` or a ParameterError naming ``owner.name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not lo <= float(value) <= hi:
        raise ParameterError(f"{owner}: {name} must be a number in [{lo}, {hi}], got {value!r}")
    return float(value)


def is_check_step(step: int, steps: Iterable[int], n_warmup_steps: int, interval_steps: int) -> bool:
    """Whether ``step`` is the first report at or after the latest checkpoint ``n_warmup + k * interval``.

    A trial that skips steps is still checked once per interval: the check happens at the first step that
    reaches a checkpoint the previous report had not reached.
    """
    checkpoint = (step - n_warmup_steps) // interval_steps * interval_steps + n_warmup_steps
    previous = max((s for s in steps if s != step), default=-1)
    return previous < checkpoint


def best_so_far(trial: FrozenTrial, direction: StudyDirection) -> float:
    """The best of the trial's intermediate values (NaN if all are NaN)."""
    values = np.asarray(list(trial.intermediate_values.values()), dtype=float)
    if values.size == 0 or np.isnan(values).all():
        return math.nan
    return float(np.nanmax(values) if direction == StudyDirection.MAXIMIZE else np.nanmin(values))


def better(a: float, b: float, direction: StudyDirection) -> bool:
    """``a`` strictly better than ``b``."""
    return a > b if direction == StudyDirection.MAXIMIZE else a < b
