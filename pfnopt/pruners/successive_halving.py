"""Asynchronous successive halving (ASHA, Li et al. 2020) and Hyperband (Li et al. 2018), Optuna's rules.

Rung ``r`` sits at step ``min_resource * reduction_factor ** (min_early_stopping_rate + r)``. A trial that
reaches a rung is promoted if its value there is in the top ``1 / reduction_factor`` of all values recorded
at that rung so far, else pruned. Optuna records each trial's rung values as system attributes; here they
are derived from the intermediate values (a trial's value at a rung is its first report at or after the
rung's step), so the pruner writes nothing and every worker reads the same rungs from the storage. The two
agree whenever ``should_prune`` is called after every report (tests/pruners compare them step by step),
with one deliberate difference: with ``min_resource="auto"`` (or Hyperband's ``max_resource="auto"``) Optuna
records no rung values until the resource is resolved at the first completed trial, so the trials that ran
before it never compete; here their reports count like everyone else's.
"""

from __future__ import annotations

import binascii
import math
from typing import TYPE_CHECKING

from pfnopt.exceptions import ParameterError
from pfnopt.pruners.base import BasePruner, check_int
from pfnopt.records import FrozenTrial, StudyDirection, TrialState

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


def _rung_values(t: FrozenTrial, rung_steps: list[int]) -> list[float]:
    """The values trial ``t`` recorded at the rungs ``rung_steps`` (ascending), the rungs it reached.

    A pruned trial was stopped at its last report: it recorded the rungs its earlier reports passed and the
    first rung its last report reached (where it lost), not the ones beyond.
    """
    steps = sorted(t.intermediate_values)
    if not steps:
        return []
    prev = steps[-2] if len(steps) > 1 else -1
    out: list[float] = []
    stopped_here = False
    for rs in rung_steps:
        first = next((s for s in steps if s >= rs), None)
        if first is None:
            break
        if t.state == TrialState.PRUNED and rs > prev:
            if stopped_here:
                break
            stopped_here = True
        v = t.intermediate_values[first]
        if math.isnan(v):
            break
        out.append(v)
    return out


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving.

    Args:
        min_resource: the step of the first rung, or ``"auto"``: 1 % of the longest completed trial's last
            step (at least 1), fixed once a trial has completed; no pruning before that.
        reduction_factor: ``>= 2``; the top ``1 / reduction_factor`` of a rung is promoted.
        min_early_stopping_rate: ``>= 0``; the first rung is at ``min_resource * reduction_factor ** rate``.
        bootstrap_count: prune while a rung holds at most this many values (Optuna's semantics).
    """

    def __init__(self, min_resource: int | str = "auto", reduction_factor: int = 4, min_early_stopping_rate: int = 0,
                 bootstrap_count: int = 0):
        if min_resource != "auto":
            check_int("SuccessiveHalvingPruner", "min_resource (or 'auto')", min_resource, 1)
        self.min_resource = min_resource if min_resource == "auto" else int(min_resource)
        self.reduction_factor = check_int("SuccessiveHalvingPruner", "reduction_factor", reduction_factor, 2)
        self.min_early_stopping_rate = check_int(
            "SuccessiveHalvingPruner", "min_early_stopping_rate", min_early_stopping_rate, 0
        )
        self.bootstrap_count = check_int("SuccessiveHalvingPruner", "bootstrap_count", bootstrap_count, 0)
        if self.bootstrap_count > 0 and self.min_resource == "auto":
            raise ParameterError("SuccessiveHalvingPruner: bootstrap_count > 0 needs an integer min_resource, not 'auto'")
        self._resolved: int | None = None if self.min_resource == "auto" else self.min_resource

    def _min_resource(self, trials: list[FrozenTrial]) -> int | None:
        if self._resolved is None:
            steps = [t.last_step for t in trials if t.state == TrialState.COMPLETE and t.last_step is not None]
            if steps:
                self._resolved = max(max(steps) // 100, 1)
        return self._resolved

    def prune(self, study: "Study", trial: FrozenTrial) -> bool:
        if trial.last_step is None:
            return False
        trials = study.get_trials()
        min_resource = self._min_resource(trials)
        if min_resource is None:
            return False
        others = [t for t in trials if t.number != trial.number]
        return self.decide(trial, others, study.direction, min_resource)

    def rung_step(self, min_resource: int, rung: int) -> int:
        return min_resource * self.reduction_factor ** (self.min_early_stopping_rate + rung)

    def decide(self, trial: FrozenTrial, others: list[FrozenTrial], direction: StudyDirection, min_resource: int) -> bool:
        """The decision for ``trial`` against the rung values of ``others`` (the trial itself excluded)."""
        steps = sorted(trial.intermediate_values)
        step, prev = steps[-1], (steps[-2] if len(steps) > 1 else -1)
        value = trial.intermediate_values[step]
        rung = 0
        while self.rung_step(min_resource, rung) <= prev:  # rungs the earlier reports already passed
            rung += 1
        n_rungs = rung + 1
        while self.rung_step(min_resource, n_rungs) <= step:
            n_rungs += 1
        rung_steps = [self.rung_step(min_resource, r) for r in range(n_rungs)]
        recorded = [_rung_values(t, rung_steps) for t in others]
        while True:
            top = self.rung_step(min_resource, rung)
            if step < top:
                return False
            if math.isnan(value):
                return True
            competing = sorted([v[rung] for v in recorded if len(v) > rung] + [value])
            if len(competing) <= self.bootstrap_count:
                return True
            k = max(len(competing) // self.reduction_factor - 1, 0)
            if direction == StudyDirection.MAXIMIZE:
                promoted = value >= competing[-(k + 1)]
            else:
                promoted = value <= competing[k]
            if not promoted:
                return True
            rung += 1


class HyperbandPruner(BasePruner):
    """Hyperband: several successive-halving brackets with staggered first rungs; each trial belongs to one
    bracket (by a hash of the study name and trial number, weighted by the brackets' budgets, as Optuna
    does) and competes only with that bracket's trials.

    Args:
        min_resource: the step of the most aggressive bracket's first rung (``>= 1``).
        max_resource: the steps of a full run, or ``"auto"``: the longest completed trial's last step + 1.
        reduction_factor: ``>= 2``.
        bootstrap_count: as for :class:`SuccessiveHalvingPruner` (needs an integer ``max_resource``).
    """

    def __init__(self, min_resource: int = 1, max_resource: int | str = "auto", reduction_factor: int = 3,
                 bootstrap_count: int = 0):
        self.min_resource = check_int("HyperbandPruner", "min_resource", min_resource, 1)
        if max_resource != "auto":
            check_int("HyperbandPruner", "max_resource (or 'auto')", max_resource, 1)
        self.max_resource = max_resource
        self.reduction_factor = check_int("HyperbandPruner", "reduction_factor", reduction_factor, 2)
        self.bootstrap_count = check_int("HyperbandPruner", "bootstrap_count", bootstrap_count, 0)
        if self.bootstrap_count > 0 and max_resource == "auto":
            raise ParameterError("HyperbandPruner: bootstrap_count > 0 needs an integer max_resource, not 'auto'")
        self._brackets: list[SuccessiveHalvingPruner] = []
        self._budgets: list[int] = []

    def _initialise(self, study: "Study") -> bool:
        if self._brackets:
            return True
        max_resource = self.max_resource
        if max_resource == "auto":
            steps = [t.last_step for t in study.get_trials(states=(TrialState.COMPLETE,)) if t.last_step is not None]
            if not steps:
                return False
            max_resource = max(steps) + 1
        n = math.floor(math.log(max_resource / self.min_resource, self.reduction_factor)) + 1
        n = max(n, 1)
        for b in range(n):
            s = n - 1 - b
            self._budgets.append(math.ceil(n * self.reduction_factor**s / (s + 1)))
            self._brackets.append(
                SuccessiveHalvingPruner(self.min_resource, self.reduction_factor, b, self.bootstrap_count)
            )
        return True

    @property
    def n_brackets(self) -> int:
        return len(self._brackets)

    def bracket_of(self, study_name: str, number: int) -> int:
        """The bracket of trial ``number`` (after initialisation)."""
        n = binascii.crc32(f"{study_name}_{number}".encode()) % sum(self._budgets)
        for b, budget in enumerate(self._budgets):
            n -= budget
            if n < 0:
                return b
        raise AssertionError("unreachable: the budgets sum to the modulus")

    def prune(self, study: "Study", trial: FrozenTrial) -> bool:
        if trial.last_step is None or not self._initialise(study):
            return False
        b = self.bracket_of(study.study_name, trial.number)
        others = [
            t for t in study.get_trials() if t.number != trial.number and self.bracket_of(study.study_name, t.number) == b
        ]
        return self._brackets[b].decide(trial, others, study.direction, self.min_resource)
