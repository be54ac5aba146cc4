"""Freeze-thaw scheduling: the curve PFN decides which configuration gets the next epochs.

A search keeps a pool of *paused* trials (partial learning curves). At every decision each paused trial
with ``n`` epochs is scored by the curve PFN's probability that its value at the horizon ``T = max_epochs``
beats the incumbent (the best final value of the completed trials; before the first completion every
probability is 1), conditioned on its own partial
curve (FT-PFN / ifBO, Rakotoarison et al. 2024, with our single-curve PFN), per epoch still to spend:
``P / (T - n)``. A fresh configuration is scored by the same probability averaged over every trial's
forecast after its first chunk (the PFN's estimate of the chance that a new configuration from the sampler
beats the incumbent), over ``T`` epochs. Why per epoch: the shipped PFN's probabilities after 2-3 epochs
are high for most LCBench configurations (it over-extrapolates short prefixes, curve_fidelity.md), so the
plain probability starts fresh trials for ever and completes none; dividing by the epochs to go is the
cost-aware form and finishes the trials near the horizon first. The best candidate gets the next chunk of
epochs (a fresh one gets ``first_epochs``); a trial that reaches ``max_epochs`` is told COMPLETE; a paused
trial whose probability falls below ``stop_below`` is told PRUNED (with its last value), which keeps the
pool small.

Storage: a paused trial is a RUNNING trial with the system attribute ``freeze_thaw = "paused"`` (and
``"running"`` while it trains); its reports (step ``e - 1`` for epoch ``e``) are its partial curve. A new
:class:`FreezeThaw` on the same study picks up every such trial, so a killed search resumes where it
stopped (a trial killed mid-chunk continues from its last report). Studies with heartbeats are refused:
they would fail the paused trials as stale.

Shapes: ``b`` candidates, ``K`` bar buckets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pfnopt.exceptions import ParameterError
from pfnopt.pruners.base import check_float, check_int
from pfnopt.records import FrozenTrial, StudyDirection, TrialState

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study
    from pfnopt.trial import Trial

ATTR = "freeze_thaw"
# train(trial, start, stop) -> the values of epochs start+1..stop of trial.params (continuing from epoch start)
TrainFn = Callable[["Trial", int, int], Sequence[float]]


@dataclass
class FreezeThawResult:
    """What one :meth:`FreezeThaw.run` did. ``completions``: ``(epochs used, trial number, final value)``."""

    epochs_used: int = 0
    n_started: int = 0
    n_continued: int = 0
    completions: list[tuple[int, int, float]] = field(default_factory=list)


class FreezeThaw:
    """Freeze-thaw scheduling of a study's trials with the curve PFN (see the module docstring).

    Args:
        study: the study (its sampler proposes fresh configurations, its direction is the curve's).
        space: the search space of a fresh trial (as for ``study.ask``).
        max_epochs: epochs of a full run (the horizon).
        first_epochs: epochs a fresh trial gets before it is first scored (at least 2).
        chunk_epochs: epochs a continued trial gets per decision.
        stop_below: a paused trial whose probability of beating the incumbent falls below this is pruned.
        n_startup: fresh trials before any is continued (the estimate for a fresh one needs a few).
        fresh_estimate: ``"latest"`` (default): a fresh configuration's probability is the mean over every
            trial started so far of its probability under its latest forecast (1 or 0 for completed
            trials: whether their final value beats the incumbent); ``"first"``: the mean of the forecasts
            after each trial's first chunk (biased upwards by the PFN's wide short-prefix forecasts).
        checkpoint: a curve-PFN checkpoint directory (default: the packaged one).
    """

    def __init__(self, study: "Study", space: Any, max_epochs: int, first_epochs: int = 2, chunk_epochs: int = 1,
                 stop_below: float = 1e-3, n_startup: int = 5, checkpoint: str | Path | None = None,
                 fresh_estimate: str = "latest"):
        owner = "FreezeThaw"
        self.max_epochs = check_int(owner, "max_epochs", max_epochs, 3)
        self.first_epochs = check_int(owner, "first_epochs", first_epochs, 2)
        if self.first_epochs >= self.max_epochs:
            raise ParameterError(f"{owner}: first_epochs={first_epochs} must be below max_epochs={max_epochs}")
        self.chunk_epochs = check_int(owner, "chunk_epochs", chunk_epochs, 1)
        self.stop_below = check_float(owner, "stop_below", stop_below, 0.0, 1.0)
        self.n_startup = check_int(owner, "n_startup", n_startup, 1)
        if fresh_estimate not in ("latest", "first"):
            raise ParameterError(f"{owner}: fresh_estimate={fresh_estimate!r} is not known; allowed: latest, first")
        self.fresh_estimate = fresh_estimate
        if len(study.directions) != 1:
            raise ParameterError(f"{owner}: needs a single-objective study, got {len(study.directions)} objectives")
        if study.heartbeat_interval is not None:
            raise ParameterError(
                f"{owner}: study {study.study_name!r} has heartbeats (heartbeat_interval="
                f"{study.heartbeat_interval}); paused trials would be failed as stale: use a study without them"
            )
        if checkpoint is not None and not Path(checkpoint).is_dir():
            raise ParameterError(f"{owner}: checkpoint={str(checkpoint)!r} is not a checkpoint directory")
        self.study, self.space, self.checkpoint = study, space, checkpoint
        self._pfn = None
        self._final: dict[int, Any] = {}  # trial number -> forecast of its final value, given its curve so far
        self._first: dict[int, Any] = {}  # trial number -> forecast after its first chunk (the fresh estimate)
        self._latest: dict[int, Any] = {}  # unfinished or pruned trial -> its latest forecast
        self._done: dict[int, float] = {}  # completed trial -> final value
        self._p: dict[int, float] = {}  # trial -> P(beats the incumbent) under its latest forecast (cache)
        self._p_key: float | None = None  # the incumbent those probabilities are against (None: NaN)

    # the curve PFN ----------------------------------------------------------------------------
    def _model(self):
        if self._pfn is None:
            from pfnopt.surrogate.curve import CurvePFN  # torch only once a curve is scored

            self._pfn = CurvePFN.load(self.checkpoint)
        return self._pfn

    def _forecast(self, curve: Sequence[float]):
        return self._model().forecast(list(curve), self.max_epochs, [self.max_epochs])

    def _beats(self, forecasts: list, incumbent: float) -> list[float]:
        """``P(value at the horizon better than incumbent)`` for each forecast (``b`` floats)."""
        if not forecasts:
            return []
        if math.isnan(incumbent):
            return [1.0] * len(forecasts)
        import torch

        from pfnopt.surrogate import bar

        logits = torch.cat([f.logits for f in forecasts])  # b x 1 x K
        loc = torch.cat([f.loc for f in forecasts])[..., 0]  # b x 1
        scale = torch.cat([f.scale for f in forecasts])[..., 0]
        below = bar.cdf(logits, forecasts[0].borders, (incumbent - loc) / scale)[:, 0]
        p = below if self.study.direction == StudyDirection.MINIMIZE else 1.0 - below
        return [float(x) for x in p]

    def _prob(self, numbers: list[int], incumbent: float) -> list[float]:
        """:meth:`_beats` of the trials' latest forecasts, cached until the incumbent or a forecast changes
        (one decision then costs one forecast, not one per paused trial)."""
        key = None if math.isnan(incumbent) else incumbent
        if key != self._p_key:
            self._p, self._p_key = {}, key
        missing = [n for n in numbers if n not in self._p]
        self._p.update(zip(missing, self._beats([self._latest[n] for n in missing], incumbent)))
        return [self._p[n] for n in numbers]

    # storage ------------------------------------------------------------------------------------
    @staticmethod
    def curve(trial: FrozenTrial) -> list[float]:
        """The trial's partial curve: its reports in step order."""
        return [trial.intermediate_values[s] for s in sorted(trial.intermediate_values)]

    def paused_trials(self) -> list[FrozenTrial]:
        """The study's paused trials (also those a killed search left mid-chunk)."""
        return [t for t in self.study.get_trials(states=(TrialState.RUNNING,)) if t.system_attrs.get(ATTR)]

    def _incumbent(self) -> float:
        """The best final value of the completed trials (NaN before the first). Not the best value at any
        epoch: a trial that holds that value while its curve flattens would score ~0.5 against itself
        and never be finished."""
        better = min if self.study.direction == StudyDirection.MINIMIZE else max
        vals = [t.value for t in self.study.get_trials(states=(TrialState.COMPLETE,)) if t.value is not None]
        return better(vals) if vals else math.nan

    def _set(self, trial_id: int, state: str) -> None:
        self.study.storage.set_trial_attr(trial_id, ATTR, state, system=True)

    def _fresh(self, incumbent: float) -> float:
        """The probability that a fresh configuration beats ``incumbent`` (see ``fresh_estimate``)."""
        if self.fresh_estimate == "first":
            firsts = list(self._first.values())
            return sum(self._beats(firsts, incumbent)) / len(firsts) if firsts else 1.0
        n = len(self._latest) + len(self._done)
        if n == 0 or math.isnan(incumbent):
            return 1.0
        better = (lambda v: v < incumbent) if self.study.direction == StudyDirection.MINIMIZE else (lambda v: v > incumbent)
        return (sum(self._prob(list(self._latest), incumbent)) + sum(map(better, self._done.values()))) / n

    # one chunk --------------------------------------------------------------------------------
    def _train(self, train: TrainFn, handle: "Trial", start: int, stop: int) -> list[float]:
        self._set(handle._trial_id, "running")
        values = [float(v) for v in train(handle, start, stop)]
        if len(values) != stop - start:
            raise ParameterError(f"FreezeThaw: train(trial {handle.number}, {start}, {stop}) returned "
                                 f"{len(values)} values; it must return one per epoch ({stop - start})")
        for e, v in enumerate(values, start):
            handle.report(v, e)
        return values

    def _after_chunk(self, handle: "Trial", curve: list[float], res: FreezeThawResult) -> None:
        """Complete, fail or pause the trial that just trained; refresh its forecast."""
        n = len(curve)
        if any(not math.isfinite(v) for v in curve):
            self.study.tell(handle, state="fail")
            self._final.pop(handle.number, None)
            self._latest.pop(handle.number, None)
        elif n >= self.max_epochs:
            self.study.tell(handle, curve[-1])
            self._final.pop(handle.number, None)
            self._latest.pop(handle.number, None)
            self._done[handle.number] = curve[-1]
            res.completions.append((res.epochs_used, handle.number, curve[-1]))
        else:
            self._final[handle.number] = self._latest[handle.number] = fc = self._forecast(curve)
            self._p.pop(handle.number, None)
            if n == self.first_epochs:
                self._first[handle.number] = fc
            self._set(handle._trial_id, "paused")

    def run(self, train: TrainFn, epoch_budget: int, max_trials: int | None = None) -> FreezeThawResult:
        """Spend ``epoch_budget`` epochs (``max_trials``: at most this many fresh trials in this call).

        ``train(trial, start, stop)`` trains ``trial.params`` from epoch ``start`` (0: from scratch; else
        continuing its saved state) to epoch ``stop`` and returns the ``stop - start`` values of epochs
        ``start + 1 .. stop``. Paused trials stay paused at the end (call :meth:`close` to prune them).
        """
        from pfnopt.trial import Trial

        check_int("FreezeThaw.run", "epoch_budget", epoch_budget, 1)
        if max_trials is not None:
            check_int("FreezeThaw.run", "max_trials", max_trials, 1)
        res = FreezeThawResult()
        paused_now = {t.number for t in self.paused_trials()}
        for t in self.study.get_trials():  # a resumed search: rebuild the forecasts from the stored curves
            c = self.curve(t)
            if t.number in paused_now and len(c) >= self.max_epochs:  # killed between its last report and tell
                t = self.study.tell(t.number, c[self.max_epochs - 1])
                paused_now.discard(t.number)
            if t.state == TrialState.COMPLETE and t.value is not None:
                self._done.setdefault(t.number, t.value)
                continue
            if len(c) < 2 or t.state == TrialState.FAIL or (t.state == TrialState.RUNNING and t.number not in paused_now):
                continue
            if t.number not in self._latest:
                self._latest[t.number] = self._forecast(c)
                self._p.pop(t.number, None)
            if t.number in paused_now:
                self._final.setdefault(t.number, self._latest[t.number])
            if len(c) >= self.first_epochs:
                self._first.setdefault(t.number, self._forecast(c[: self.first_epochs]))
        while res.epochs_used < epoch_budget:
            paused = {t.number: t for t in self.paused_trials()}
            inc = self._incumbent()
            numbers = [n for n in paused if n in self._final]
            scores = dict(zip(numbers, self._prob(numbers, inc)))
            for n, p in list(scores.items()):
                if p < self.stop_below:
                    self.study.tell(n, state="pruned")
                    self._final.pop(n, None)
                    del scores[n], paused[n]
            for n in scores:  # per epoch still to spend (module docstring)
                scores[n] /= self.max_epochs - len(paused[n].intermediate_values)
            fresh = self._fresh(inc) / self.max_epochs
            may_start = max_trials is None or res.n_started < max_trials
            n_done = len(self._first)
            unscored = [n for n in paused if n not in self._final]  # paused with < 2 reports: continue them
            if unscored:
                pick = unscored[0]
            elif may_start and (n_done < self.n_startup or not scores or fresh >= max(scores.values())):
                pick = None
            elif scores:
                pick = max(scores, key=scores.get)
            else:
                break  # nothing to continue and no fresh trial allowed
            left = epoch_budget - res.epochs_used
            if pick is None:
                handle = self.study.ask(self.space)
                self._set(handle._trial_id, "running")
                start, res.n_started = 0, res.n_started + 1
                stop = min(self.first_epochs, left)
            else:
                frozen = paused[pick]
                handle = Trial(self.study, frozen)
                start = len(frozen.intermediate_values)
                stop = min(start + (self.first_epochs - start if start < self.first_epochs else self.chunk_epochs),
                           start + left, self.max_epochs)
                res.n_continued += 1
            values = self._train(train, handle, start, stop)
            res.epochs_used += stop - start
            prior = self.curve(frozen) if pick is not None else []
            self._after_chunk(handle, prior[:start] + values, res)
        return res

    def close(self) -> list[FrozenTrial]:
        """Prune every paused trial (each keeps its last reported value); returns them."""
        out = []
        for t in self.paused_trials():
            out.append(self.study.tell(t.number, state="pruned"))
            self._final.pop(t.number, None)
        return out


def lcbench_trainer(bench: Any, task: str) -> TrainFn:
    """A ``train`` function for :meth:`FreezeThaw.run` on the LCBench surrogate (validation accuracy as a
    fraction): continuing a configuration is reading further along its surrogate curve."""
    cache: dict[int, Any] = {}

    def train(trial: "Trial", start: int, stop: int) -> list[float]:
        if trial.number not in cache:
            cache[trial.number] = bench.curves(task, [trial.params])[0] / 100.0
        return [float(v) for v in cache[trial.number][start:stop]]

    return train
