"""Freeze-thaw AutoML: the curve PFN decides which candidate gets the next epochs.

``search(..., scheduler="freeze-thaw")`` hands the study to :class:`pfnopt.multifidelity.FreezeThaw`
and supplies its ``train(trial, start, stop)`` with :class:`ChunkTrainer`: a fresh trial (``start``
0) is suggested, measured and constrained as in the per-trial loop and trained for its first epochs;
a paused one is rebuilt from the training state saved after its last chunk
(:mod:`pfnopt.automl.train_state`, in ``ARTIFACTS/trials/<number>/epoch-<e>``) and trained on. Each
chunk follows the schedule of the whole run (``epochs`` of the train config), so a trial that is
paused and continued gets the numbers of one that was never paused.

Values: the trial's value in the per-trial loop is its best validation loss over the epochs, and
FreezeThaw tells a completed trial the last value of its curve, so the curve it reports and forecasts
is the *best so far* per epoch (the raw per-epoch losses are the user attribute ``val_history``). A
completed trial gets the measurements and, when it is the best so far, the test metrics and saved
weights of the per-trial loop (:meth:`_Objective.record`); its state folder is removed then, and
the folders of pruned or failed trials at the start and end of each run.

A killed search resumes when rerun: the trials stay RUNNING with ``freeze_thaw = "paused"`` (or
``"running"`` for the one that was training), and each continues from the state of its last
reported epoch. Each state is kept until the next chunk's state exists (a kill between saving a
state and reporting its epochs leaves the earlier one to continue from); a paused trial whose state
is missing is replayed from scratch to its last reported epoch. ``timeout``: the chunk that is
training is dropped at the deadline and its trial stays paused.
"""

from __future__ import annotations

import logging
import math
import shutil
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pfnopt.exceptions import ParameterError, PfnoptError
from pfnopt.records import TrialState

log = logging.getLogger(__name__)

SCHEDULERS = ("per-trial", "freeze-thaw")
# FreezeThaw's arguments a search may set, and the epochs it may spend per run (default n_trials x epochs)
OPTIONS = ("epoch_budget", "first_epochs", "chunk_epochs", "stop_below", "n_startup", "fresh_estimate", "checkpoint")


class _OutOfTime(PfnoptError):
    """The search's hard time budget ran out inside a chunk (caught by :func:`run_freeze_thaw`)."""


def check_scheduler(scheduler: Any, options: Mapping[str, Any] | None, *, pruner: Any, n_jobs: int,
                    heartbeat_interval: Any, artifact_dir: Any, epochs: int, n_trials: int | None,
                    timeout: Any) -> dict[str, Any]:
    """Refuse a scheduler name, option or combination that does not work; returns the options."""
    from pfnopt.pruners import NopPruner

    if scheduler not in SCHEDULERS:
        raise ParameterError(f"scheduler={scheduler!r} is not known; allowed: {', '.join(SCHEDULERS)}")
    opts = dict(options or {})
    if scheduler == "per-trial":
        if opts:
            raise ParameterError(f"scheduler options {sorted(opts)} are for scheduler='freeze-thaw' only")
        return opts
    unknown = sorted(set(opts) - set(OPTIONS))
    if unknown:
        raise ParameterError(f"scheduler 'freeze-thaw' takes no option(s) {unknown}; allowed: {', '.join(OPTIONS)}")
    if opts.get("epoch_budget") is not None:
        from pfnopt.pruners.base import check_int

        opts["epoch_budget"] = check_int("scheduler 'freeze-thaw'", "epoch_budget", opts["epoch_budget"], 1)
    refusals = []
    if pruner not in (None, "none", "nop") and not isinstance(pruner, NopPruner):
        refusals.append(f"a pruner ({pruner!r}): the curve PFN prunes paused trials itself; use pruner 'none'")
    if n_jobs != 1:
        refusals.append(f"n_jobs={n_jobs}: one decision at a time; use n_jobs=1")
    if heartbeat_interval is not None:
        refusals.append(f"heartbeats (interval {heartbeat_interval}): paused trials would be failed as stale")
    if artifact_dir is None:
        refusals.append("no artifact_dir: the paused trials' training state is kept there")
    if epochs < 3:
        refusals.append(f"epochs={epochs}: it needs at least 3 (a first chunk of 2 and one continued epoch)")
    if n_trials is None and opts.get("epoch_budget") is None and timeout is None:
        refusals.append("no n_trials, epoch_budget or timeout: the search would never end")
    if refusals:
        raise ParameterError("scheduler 'freeze-thaw' cannot run with " + "; ".join(refusals))
    return opts


def _best_so_far(history: list[float], start: int, stop: int) -> list[float]:
    """The best (lowest) validation loss up to each epoch ``start+1 .. stop``."""
    return [min(history[: e + 1]) for e in range(start, stop)]


class ChunkTrainer:
    """``train(trial, start, stop)`` for :meth:`FreezeThaw.run`, backed by saved training state.

    ``objective``: the search's ``_Objective`` (task, space, budget, constraints, monitor, best-model
    recording); ``root``: the folder of the trials' states.
    """

    def __init__(self, objective: Any, root: Path):
        self.obj, self.root = objective, Path(root)
        self.live: dict[int, int] = {}  # number -> id of trials trained here that FreezeThaw has not finished

    def folder(self, number: int) -> Path:
        return self.root / str(number)

    def notify_finished(self) -> None:
        """Tell the monitor about live trials FreezeThaw has completed, pruned or failed since."""
        study = self.obj.study
        for number, trial_id in sorted(self.live.items()):
            frozen = study.storage.get_trial(trial_id)
            if frozen.state.is_finished():
                del self.live[number]
                self.obj.monitor.trial_finished(study, frozen)

    def sweep(self) -> None:
        """Remove the state folders of trials that are no longer running (pruned, failed, completed)."""
        if not self.root.is_dir():
            return
        running = {t.number for t in self.obj.study.get_trials(states=(TrialState.RUNNING,))}
        for folder in self.root.iterdir():
            if folder.is_dir() and not (folder.name.isdigit() and int(folder.name) in running):
                shutil.rmtree(folder, ignore_errors=True)

    def __call__(self, trial: Any, start: int, stop: int) -> list[float]:
        import torch

        from pfnopt.automl.searcher import trivial_loss
        from pfnopt.automl.train import TrainingFailed

        self.notify_finished()
        self.live[trial.number] = trial._trial_id
        obj = self.obj
        frozen = obj.study.storage.get_trial(trial._trial_id)
        if start > 0 and obj.names:  # a new handle: FreezeThaw tells the trial with it, and constraints live on it
            trial.set_constraints(frozen.user_attrs["constraint_values"])
        if "rejected" in frozen.user_attrs:  # not trained (as in the per-trial loop): the trivial loss per epoch
            lookback = {**obj.space.fixed, **frozen.params}.get("lookback", 1)
            return [trivial_loss(obj.task, lookback)] * (stop - start)
        cand = obj.prepare(trial, measure=start == 0)
        if start == 0 and obj.names:
            trial.set_user_attr("constraint_values", cand.constraints)
        if cand.reasons:
            trial.set_user_attr("rejected", "; ".join(cand.reasons))
            return [trivial_loss(obj.task, cand.params.get("lookback", 1))] * (stop - start)
        try:
            return self._train(trial, cand, start, stop)
        except (TrainingFailed, MemoryError, torch.OutOfMemoryError) as e:
            # a failed training fails the trial (FreezeThaw fails a trial with non-finite values), not the search
            reason = getattr(e, "reason", None) or f"out of memory: {(str(e).splitlines() or [type(e).__name__])[0]}"
            trial.set_user_attr("fail_reason", reason)
            shutil.rmtree(self.folder(trial.number), ignore_errors=True)
            return [math.nan] * (stop - start)

    def _session(self, trial: Any, cand: Any, start: int) -> Any:
        """A session at epoch ``start``: new (0), loaded from its saved state, or replayed from scratch."""
        from pfnopt.automl.session import TrainSession
        from pfnopt.automl.train_state import load_state, state_dir

        tc = replace(cand.tc, eval_test=False)
        if start == 0:
            return TrainSession.start(cand.model_cfg, tc, self.obj.task, model=cand.model)
        session = TrainSession.start(cand.model_cfg, replace(tc, latency_runs=0), self.obj.task, model=cand.model)
        path = state_dir(self.folder(trial.number), start)
        if path.is_dir():
            return load_state(session, path)
        log.warning("trial %d has no saved state at epoch %d (%s): replaying its first %d epochs",
                    trial.number, start, path, start)
        for _ in range(start):
            session.run_epoch(self.obj.out_of_time)
        return session

    def _train(self, trial: Any, cand: Any, start: int, stop: int) -> list[float]:
        from pfnopt.automl.train import TrainingStopped
        from pfnopt.automl.train_state import save_state

        folder = self.folder(trial.number)
        try:
            session = self._session(trial, cand, start)
            for epoch in range(start, stop):
                value = session.run_epoch(self.obj.out_of_time)
                self.obj.monitor.epoch_done(trial.number, epoch, value)
        except TrainingStopped as e:
            trial.set_user_attr("stopped_in_epoch", e.epoch)
            self.obj.monitor.trial_stopped(trial.number, "timeout; paused")
            raise _OutOfTime(f"the search's timeout ran out in epoch {e.epoch} of trial {trial.number}") from None
        trial.set_user_attr("val_history", list(session.history))
        values = _best_so_far(session.history, start, stop)
        if stop >= session.cfg.epochs:
            self.obj.record(trial, cand, session.result())
            shutil.rmtree(folder, ignore_errors=True)
            return values
        kept = save_state(session, folder)
        for old in folder.iterdir():  # keep the state FreezeThaw's stored reports end at, and the new one
            if old != kept and old.name != f"epoch-{start:04d}":
                shutil.rmtree(old, ignore_errors=True)
        return values


def make_freeze_thaw(study: Any, epochs: int, n_trials: int | None, options: Mapping[str, Any]) -> tuple[Any, int]:
    """The FreezeThaw of ``study`` (its own checks of the options) and the epochs one run may spend."""
    from pfnopt.multifidelity.freeze_thaw import FreezeThaw

    opts = dict(options)
    budget = opts.pop("epoch_budget", None)
    if budget is None:
        budget = n_trials * epochs if n_trials is not None else 2**62  # 2**62: until the timeout
    return FreezeThaw(study, None, max_epochs=epochs, **opts), budget


def run_freeze_thaw(ft: Any, budget: int, objective: Any, n_trials: int | None, root: Path) -> Any:
    """Spend one run's epoch ``budget`` with ``ft``; returns its ``FreezeThawResult`` (None when the
    timeout ended it). Paused trials stay paused for the next run."""
    from pfnopt.multifidelity.freeze_thaw import ATTR

    trainer = ChunkTrainer(objective, root)
    trainer.sweep()
    try:
        return ft.run(trainer, budget, max_trials=n_trials)
    except _OutOfTime:
        for t in ft.paused_trials():  # the dropped chunk's trial: paused at its last reported epoch
            if t.system_attrs.get(ATTR) == "running":
                objective.study.storage.set_trial_attr(t.trial_id, ATTR, "paused", system=True)
        return None
    finally:
        trainer.notify_finished()
        trainer.sweep()
