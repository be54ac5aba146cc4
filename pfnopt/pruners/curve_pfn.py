"""Learning-curve PFN pruning: stop a trial once its final value is unlikely to beat the best so far.

At each check the trial's reports so far (step order; step ``first_step`` is epoch 1) go to the curve PFN
(``pfnopt.surrogate.curve``), which returns the distribution of the value at the final epoch ``max_steps``.
The reference is the ``top_k``-th best value of the completed trials, read from the storage at every check,
so several workers on one study prune against the same, current reference. Prune when
``P(final value better than the reference) < threshold`` (LC-PFN's rule, Adriaensen et al. 2023).

Freeze-thaw scheduling (resuming paused trials) is not implemented: a pruned trial stays pruned.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from pfnopt.exceptions import ParameterError
from pfnopt.pruners.base import BasePruner, check_float, check_int, is_check_step
from pfnopt.records import FrozenTrial, StudyDirection, TrialState

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


class CurvePFNPruner(BasePruner):
    """Prune when the curve PFN gives the trial's final value a probability below ``threshold`` of beating
    the ``top_k``-th best completed trial.

    Args:
        max_steps: steps of a full run (the horizon the curve is extrapolated to), or ``"auto"``: the most
            reports any completed trial made; no pruning until it is known.
        threshold: in ``(0, 1)``; smaller prunes less.
        top_k: compare with the k-th best completed value (1: the best).
        n_startup_trials: no pruning until this many trials have completed (at least ``top_k``).
        n_warmup_steps: no pruning before this step.
        min_reports: no pruning before the trial has made this many reports (at least 2: the curve PFN
            standardises the prefix, which needs two values).
        interval_steps: check every this many steps after the warm-up.
        first_step: the step of the first epoch (0 for ``for step in range(epochs)``).
        checkpoint: a curve-PFN checkpoint directory (default: the packaged one).
    """

    def __init__(
        self,
        max_steps: int | str = "auto",
        threshold: float = 0.05,
        top_k: int = 1,
        n_startup_trials: int = 1,
        n_warmup_steps: int = 2,
        interval_steps: int = 1,
        first_step: int = 0,
        checkpoint: str | Path | None = None,
        min_reports: int = 3,
    ):
        owner = "CurvePFNPruner"
        if max_steps != "auto":
            check_int(owner, "max_steps (or 'auto')", max_steps, 2)
        self.max_steps = max_steps
        self.threshold = check_float(owner, "threshold", threshold, 0.0, 1.0)
        if not 0.0 < self.threshold < 1.0:
            raise ParameterError(f"{owner}: threshold must be in (0, 1), got {threshold!r}")
        self.top_k = check_int(owner, "top_k", top_k, 1)
        self.n_startup_trials = max(check_int(owner, "n_startup_trials", n_startup_trials, 0), self.top_k)
        self.n_warmup_steps = check_int(owner, "n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = check_int(owner, "interval_steps", interval_steps, 1)
        self.first_step = check_int(owner, "first_step", first_step, 0)
        self.min_reports = check_int(owner, "min_reports", min_reports, 2)
        if checkpoint is not None and not Path(checkpoint).is_dir():
            raise ParameterError(f"{owner}: checkpoint={str(checkpoint)!r} is not a checkpoint directory")
        self.checkpoint = checkpoint
        self._model = None

    def _pfn(self):
        if self._model is None:
            from pfnopt.surrogate.curve import CurvePFN  # torch comes in only when a trial is checked

            self._model = CurvePFN.load(self.checkpoint)
        return self._model

    def probability_of_beating(self, values: list[float], horizon: int, reference: float,
                               direction: StudyDirection) -> float:
        """``P(value at epoch horizon better than reference)`` given ``values`` at epochs ``1..n``."""
        forecast = self._pfn().forecast(values, horizon, [horizon])
        below = float(forecast.cdf(reference)[0, 0])
        return below if direction == StudyDirection.MINIMIZE else 1.0 - below

    def prune(self, study: "Study", trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or step < self.n_warmup_steps:
            return False
        if not is_check_step(step, trial.intermediate_values, self.n_warmup_steps, self.interval_steps):
            return False
        steps = sorted(s for s in trial.intermediate_values if s >= self.first_step)
        values = [trial.intermediate_values[s] for s in steps]
        if any(math.isnan(v) for v in values):
            return True
        if len(values) < self.min_reports:
            return False
        done = [t for t in study.get_trials(states=(TrialState.COMPLETE,)) if t.value is not None]
        if len(done) < self.n_startup_trials:
            return False
        horizon = self.max_steps
        if horizon == "auto":
            horizon = max((len(t.intermediate_values) for t in done), default=0)
        horizon = int(horizon)
        n = step - self.first_step + 1  # the epoch of the latest report
        if n >= horizon or horizon < 2:
            return False
        direction = study.direction
        finals = sorted((t.value for t in done), reverse=direction == StudyDirection.MAXIMIZE)
        reference = finals[self.top_k - 1]
        # the prefix as epochs 1..n (a trial that skipped steps is read as if its reports were consecutive)
        return self.probability_of_beating(values, horizon, reference, direction) < self.threshold
