"""AutoML search: every candidate architecture is a trial of a pfnopt study, trained for real.

``search(task, n_trials, sampler)`` builds the task and its conditional space, creates (or
loads) a study and runs ``study.optimize`` with an objective that

1. suggests the family and only its parameters (:meth:`AutoMLSpace.suggest`);
2. checks the constraints known before training: the architecture's validity, and the user's
   ``max_params``, ``max_flops`` (forward FLOPs per sample) and ``max_latency_ms`` (measured,
   batch 1, on the training device). Each is told as a constraint value ``value / limit - 1``
   (feasible iff <= 0; the validity constraint is -1 or +1) through ``trial.set_constraints``,
   the same machinery as engineering BO. A candidate that breaks one is NOT trained: the trial
   completes at once with the loss of the trivial predictor (the last-value forecast's validation
   MSE, or ``log(n_classes)``), so it is never the best, it is on the scale of real losses (a
   surrogate is not thrown off by a 1e9), and constraint-aware samplers learn where the boundary
   is from the constraint values;
3. otherwise trains with :func:`pfnopt.automl.train.train`, reporting the validation metric
   every epoch (``trial.report``) so that pruners act, and records n_params, FLOPs, wall time,
   samples/s, peak memory and latency as trial attributes, and the test metrics (``test_loss``,
   ``test_mae`` / ``test_acc``, every test window) of each trial that improves on the best so
   far, so the best trial always has them and the others cost no test pass;
4. turns a NaN loss or an out-of-memory error into a FAILED trial whose user attribute
   ``fail_reason`` says why (``TrainingFailed`` is passed in ``catch``), and the study goes on.

Running it unattended: ``timeout`` is a hard budget (the running trial is stopped mid-epoch
and stored PRUNED with its last reported value, user attribute ``stopped`` = "timeout");
``n_jobs`` trials train in parallel threads of this process, sharing the CPU cores
(``threads`` per trial, default cores / n_jobs); with ``heartbeat_interval`` every running trial
beats, and a resumed search fails a trial whose process died (no beat for ``grace_period``) and
retries its parameters up to ``max_retry`` times; a resumed search whose space, training budget
or constraints differ from the stored ones is refused unless ``allow_changes``
(:mod:`pfnopt.automl.resume`). With ``n_jobs`` > 1 the trials' random streams interleave, so a
search is reproducible only with ``n_jobs=1``.

``scheduler="freeze-thaw"`` replaces the per-trial loop: the curve PFN gives the next epochs to a
paused trial or a fresh one, and paused trials continue from their saved training state
(:mod:`pfnopt.automl.freeze_thaw`).

The study keeps what is needed to rebuild the task and retrain any trial in its user attribute
``automl`` (task spec, space, train config, constraints, seed), so ``pfnopt automl export`` works
from the storage alone. With ``artifact_dir``, the weights of the best trial so far are saved
there as they appear (safetensors + JSON), so export needs no retraining.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from pfnopt.automl.space import (
    AutoMLSpace,
    apply_overrides,
    architecture_violations,
    default_space,
    load_space_file,
    to_configs,
)
from pfnopt.automl.tasks import ForecastTask, ImageTask, get_task
from pfnopt.exceptions import NoFeasibleTrialError, ParameterError, TrialPruned


class SearchMonitor:
    """Hooks for a progress display; the default does nothing. Called from the optimize thread."""

    def trial_started(self, number: int, params: Mapping[str, Any]) -> None:
        pass

    def epoch_done(self, number: int, epoch: int, value: float) -> None:
        pass

    def trial_stopped(self, number: int, why: str) -> None:
        pass

    def trial_finished(self, study: Any, frozen: Any) -> None:
        pass


def _resolve_task(task: Any, data: Any, target: str | None, horizon: int | None) -> "ForecastTask | ImageTask":
    if isinstance(task, (ForecastTask, ImageTask)):
        return task
    if not isinstance(task, str):
        raise ParameterError(f"task must be a task name or a ForecastTask/ImageTask, got {task!r}")
    return get_task(task, data=data, target=target, horizon=horizon)


def _resolve_space(task: Any, space: Any) -> AutoMLSpace:
    if isinstance(space, AutoMLSpace):
        if space.kind != task.kind:
            raise ParameterError(f"a {space.kind} space cannot search the {task.kind} task {task.name!r}")
        return space
    base = default_space(task)
    if space is None:
        return base
    if isinstance(space, (str, Path)):
        return load_space_file(space, base)
    if isinstance(space, Mapping):
        return apply_overrides(base, space)
    raise ParameterError(f"space must be an AutoMLSpace, a mapping of overrides or a file path, got {space!r}")


def check_space(space: AutoMLSpace, task: Any) -> None:
    """Refuse, before any trial, a space whose lookbacks do not fit the series."""
    if task.kind != "forecast":
        return
    if "lookback" in space.fixed:
        task.check_lookback(int(space.fixed["lookback"]))
        return
    dist = space.params["lookback"]
    for value in getattr(dist, "choices", None) or [dist.high]:  # type: ignore[union-attr]
        task.check_lookback(int(value))


def can_be_invalid(space: AutoMLSpace, task: Any) -> bool:
    """Whether some point of ``space`` is an architecture that cannot be built (then a validity
    constraint is told with every trial). False for the default spaces."""
    from pfnopt.space import Categorical, Int

    def values(name: str) -> list[Any]:
        if name in space.fixed:
            return [space.fixed[name]]
        d = space.params.get(name)
        if isinstance(d, Categorical):
            return list(d.choices)
        if isinstance(d, Int) and (d.high - d.low) // d.step < 10_000:
            return list(range(d.low, d.high + 1, d.step))
        return []

    fams = set(space.families)
    if fams & {"patchtst", "vit"} and any(w % h for w in values("width") for h in values("heads")):
        return True
    if task.kind == "forecast" and fams & {"patchtst", "patchtsmixer"}:
        lbs = values("lookback") or [task.max_lookback]
        if max(values("patch_len") or [0]) > min(lbs):
            return True
    if task.kind == "classify" and max(values("patch_size") or [0]) > max(task.image_size):
        return True
    return False


def trivial_loss(task: Any, lookback: int) -> float:
    """The validation loss of a model that learned nothing (the rejected trial's value)."""
    if task.kind == "forecast":
        return task.naive_mse("val", min(max(int(lookback), 1), task.max_lookback))
    return math.log(task.n_classes)


def search(
    task: "str | ForecastTask | ImageTask",
    n_trials: int | None = 20,
    sampler: Any = "tpe",
    *,
    pruner: Any = None,
    space: Any = None,
    train_config: Any = None,
    max_params: float | None = None,
    max_flops: float | None = None,
    max_latency_ms: float | None = None,
    study_name: str | None = None,
    storage: Any = None,
    load_if_exists: bool = False,
    seed: int = 0,
    device: str = "auto",
    timeout: float | None = None,
    artifact_dir: str | Path | None = None,
    monitor: SearchMonitor | None = None,
    data: Any = None,
    target: str | None = None,
    horizon: int | None = None,
    n_jobs: int = 1,
    threads: int | None = None,
    heartbeat_interval: float | None = None,
    grace_period: float | None = None,
    max_retry: int = 0,
    allow_changes: bool = False,
    scheduler: str = "per-trial",
    scheduler_options: Mapping[str, Any] | None = None,
):  # -> pfnopt.Study
    """Search the patch-model family on ``task``; returns the study.

    Example::

        import pfnopt.automl as automl
        study = automl.search("digits", n_trials=20, sampler="tpe",
                              train_config=automl.TrainConfig(epochs=5), max_params=50_000)
        study.best_trial.params, study.best_trial.user_attrs["test_acc"]

    ``task``: a name (etth1, etth2, csv, synthetic, digits, mnist, npy; ``data``/``target``/
    ``horizon`` as for :func:`pfnopt.automl.tasks.get_task`) or a task object. ``space``: None
    (the default space), an :class:`AutoMLSpace`, a dict of overrides or a JSON/YAML file.
    ``train_config``: a :class:`TrainConfig` (epochs, steps per epoch, ...); lr, weight decay,
    batch size and label smoothing come from the space. ``sampler``/``pruner``: names
    (``"pfn"``, ``"tpe"``, ``"random"``, ``"sobol"``; :func:`pfnopt.pruners.create_pruner`'s
    names such as ``"median"``, ``"asha"``, ``"curve-pfn"``) or instances.
    ``timeout``: seconds, a hard budget (see the module docstring), with ``n_jobs``, ``threads``,
    ``heartbeat_interval``/``grace_period``/``max_retry`` and ``allow_changes``.
    ``scheduler``: ``"per-trial"`` (each trial trains all its epochs in one go) or ``"freeze-thaw"``
    (the curve PFN gives the next epochs to a paused trial or a fresh one; needs ``artifact_dir``, no
    pruner, ``n_jobs=1``, no heartbeats; ``scheduler_options``: ``epoch_budget`` per run, default
    ``n_trials x epochs``, and :class:`pfnopt.multifidelity.FreezeThaw`'s ``first_epochs``,
    ``chunk_epochs``, ``stop_below``, ``n_startup``, ``fresh_estimate``, ``checkpoint``; see
    :mod:`pfnopt.automl.freeze_thaw`).
    """
    import pfnopt
    from pfnopt.automl.freeze_thaw import check_scheduler, make_freeze_thaw, run_freeze_thaw
    from pfnopt.automl.resume import check_resume
    from pfnopt.automl.train import TrainConfig, TrainingFailed, cpu_threads
    from pfnopt.pruners import create_pruner
    from pfnopt.samplers import get_sampler

    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ParameterError(f"n_jobs must be a positive integer, got {n_jobs!r}")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ParameterError(f"threads must be a positive integer, got {threads!r}")
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ParameterError(f"timeout must be a positive number of seconds, got {timeout!r}")
    t_start = time.monotonic()

    task = _resolve_task(task, data, target, horizon)
    space = _resolve_space(task, space)
    check_space(space, task)
    base_tc = train_config if train_config is not None else TrainConfig()
    if threads is None and base_tc.threads is None and n_jobs > 1:
        threads = max(1, cpu_threads() // n_jobs)  # parallel trials share the cores
    base_tc = replace(
        base_tc,
        device=device if device != "auto" else base_tc.device,
        seed=seed,
        threads=threads if threads is not None else base_tc.threads,
    ).validate()
    limits = {"params": max_params, "flops": max_flops, "latency_ms": max_latency_ms}
    for k, v in limits.items():
        if v is not None and not (isinstance(v, (int, float)) and v > 0):
            raise ParameterError(f"max_{k} must be a positive number, got {v!r}")
    names = [k for k, v in limits.items() if v is not None]
    if can_be_invalid(space, task):
        names.append("valid")
    ft_options = check_scheduler(scheduler, scheduler_options, pruner=pruner, n_jobs=n_jobs,
                                 heartbeat_interval=heartbeat_interval, artifact_dir=artifact_dir,
                                 epochs=base_tc.epochs, n_trials=n_trials, timeout=timeout)
    if pruner is None:
        pruner = "none"  # search() prunes only when asked; a study's own default is now MedianPruner
    if isinstance(pruner, str):
        pruner = create_pruner(pruner)
    study = pfnopt.create_study(
        study_name=study_name or f"automl-{task.name}-{uuid.uuid4().hex[:8]}",
        storage=storage,
        sampler=get_sampler(sampler, seed=seed) if isinstance(sampler, str) or sampler is None else sampler,
        pruner=pruner,
        direction="minimize",
        load_if_exists=load_if_exists,
        heartbeat_interval=heartbeat_interval,
        grace_period=grace_period,
        max_retry=max_retry,
    )
    if scheduler == "freeze-thaw":
        ft, epoch_budget = make_freeze_thaw(study, base_tc.epochs, n_trials, ft_options)
    meta = {
        "task": task.spec,
        "kind": task.kind,
        "space": space.to_json(),
        "train_config": asdict(base_tc),
        "limits": {k: v for k, v in limits.items() if v is not None},
        "constraint_names": names,
        "seed": seed,
        "sampler": sampler if isinstance(sampler, str) else type(sampler).__name__,
        "scheduler": scheduler,
    }
    old = study.user_attrs.get("automl")
    changes = check_resume(study.study_name, old, meta, allow_changes)
    if changes:
        meta["changes"] = [*old.get("changes", []), {"trial": len(study.trials), "changes": changes}]
    study.set_user_attr("automl", meta)
    deadline = None if timeout is None else t_start + timeout
    objective = _Objective(
        task, space, base_tc, limits, names, monitor or SearchMonitor(), artifact_dir, study, deadline
    )
    if scheduler == "freeze-thaw":
        run_freeze_thaw(ft, epoch_budget, objective, n_trials, Path(artifact_dir) / "trials")
        return study
    callbacks = [lambda s, f: objective.monitor.trial_finished(s, f)]
    study.optimize(
        objective,
        n_trials=n_trials,
        # optimize's own clock starts a moment after ours: end it 50 ms early, so that no trial
        # starts after a trial was stopped at the deadline
        timeout=None if deadline is None else max(deadline - time.monotonic() - 0.05, 1e-3),
        n_jobs=n_jobs,
        catch=(TrainingFailed,),
        callbacks=callbacks,
        show_progress_bar=False,
    )
    return study


@dataclass
class Candidate:
    """One trial's candidate: its parameters, configs, built model (None when it cannot be built),
    why it must not train (empty: it may) and its constraint values (in ``names`` order)."""

    params: dict[str, Any]
    model_cfg: Any
    tc: Any
    model: Any
    reasons: list[str]
    constraints: list[float] = field(default_factory=list)


class _Objective:
    def __init__(self, task, space, base_tc, limits, names, monitor, artifact_dir, study, deadline=None):
        self.task, self.space, self.base_tc = task, space, base_tc
        self.limits, self.names, self.monitor = limits, names, monitor
        self.artifact_dir = Path(artifact_dir) if artifact_dir is not None else None
        self.study = study
        self.deadline = deadline  # time.monotonic() value of the hard budget's end, or None
        self._build_lock = threading.Lock()  # seeding + building read the global RNG (n_jobs > 1)
        self._best_lock = threading.Lock()  # "is it the best so far" + saving its weights, atomically
        self._best_seen = math.inf  # best value this process has recorded (told or not yet told)

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def __call__(self, trial: Any) -> float:
        from pfnopt.automl.train import TrainingFailed, TrainingStopped, train

        if self.study.heartbeat_interval is not None:
            # the first beat now, not one interval later: a process killed before it would leave
            # a RUNNING trial that no grace period ever fails
            self.study.storage.record_heartbeat(trial._trial_id)
        cand = self.prepare(trial)
        if cand.reasons:
            trial.set_user_attr("rejected", "; ".join(cand.reasons))
            return trivial_loss(self.task, cand.params.get("lookback", 1))

        def on_epoch(epoch: int, value: float) -> None:
            trial.report(value, epoch)
            self.monitor.epoch_done(trial.number, epoch, value)
            if trial.should_prune():
                trial.set_user_attr("pruned_at_epoch", epoch)
                raise TrialPruned(f"pruned after epoch {epoch} with validation loss {value:.4g}")

        try:
            res = train(
                cand.model_cfg,
                replace(cand.tc, eval_test=False),
                self.task,
                on_epoch=on_epoch,
                model=cand.model,
                should_stop=self.out_of_time,
            )
        except TrainingFailed as e:
            trial.set_user_attr("fail_reason", e.reason)
            raise
        except TrainingStopped as e:
            # the hard budget ran out: PRUNED, keeping the last reported value (Study.tell)
            trial.set_user_attr("stopped", "timeout")
            trial.set_user_attr("stopped_in_epoch", e.epoch)
            self.monitor.trial_stopped(trial.number, "timeout")
            raise TrialPruned(f"the search's timeout ran out in epoch {e.epoch}") from None
        self.record(trial, cand, res)
        return res.best_val

    def prepare(self, trial: Any, measure: bool = True) -> Candidate:
        """Suggest the candidate, build its model (seeded as a retrain by export_best) and, with
        ``measure``, measure it and set its constraint values; ``reasons``: why it must not train."""
        from pfnopt.automl.measure import count_flops, count_params, measure_latency
        from pfnopt.automl.models import build_model
        from pfnopt.automl.train import resolve_device, seed_everything, setup_device

        params = self.space.suggest(trial)
        self.monitor.trial_started(trial.number, params)
        if measure:
            trial.set_user_attr("family", params["family"])
        model_cfg, train_over = to_configs(self.task, params)
        tc = replace(self.base_tc, **train_over)
        if measure:
            trial.set_user_attr("model_config", model_cfg.to_dict())
        reasons = architecture_violations(model_cfg)
        cand = Candidate(params, model_cfg, tc, None, reasons)
        if not reasons:
            with self._build_lock:
                seed_everything(tc.seed)  # the same initial weights as a retrain by export_best
                cand.model = build_model(model_cfg)
        if not measure:
            return cand
        measured: dict[str, float] = {}
        if cand.model is not None:
            measured["params"] = count_params(cand.model)
            measured["flops"] = count_flops(cand.model, model_cfg)
            if self.limits["latency_ms"] is not None:
                device = resolve_device(tc.device)
                setup_device(device, tc.threads)
                measured["latency_ms"] = measure_latency(cand.model.to(device), model_cfg, device,
                                                         max(tc.latency_runs, 5))
                cand.model.to("cpu")
            for k in ("params", "flops", "latency_ms"):
                if k in measured:
                    trial.set_user_attr({"params": "n_params", "flops": "flops_per_sample"}.get(k, k), measured[k])
        invalid = bool(reasons)
        for k in self.names:
            if k == "valid":
                cand.constraints.append(1.0 if invalid else -1.0)
            elif invalid:
                cand.constraints.append(0.0)  # unknown: the model cannot be built
            else:
                cand.constraints.append(measured[k] / self.limits[k] - 1.0)
                if cand.constraints[-1] > 0:
                    reasons.append(f"{k} {measured[k]:.4g} exceeds max_{k} {self.limits[k]:.4g}")
        if self.names:
            trial.set_constraints(cand.constraints)
        return cand

    def record(self, trial: Any, cand: Candidate, res: Any) -> None:
        """Store a trained candidate's measurements; test-score and save it if it is the best so far."""
        for k, v in res.attrs().items():
            if k not in ("history", "best_val", "metrics"):
                trial.set_user_attr(k, v)
        for k, v in res.metrics.items():
            if k.startswith("val_"):  # val_acc / val_mae of every trial: the reports' accuracy axis
                trial.set_user_attr(k, v)
        with self._best_lock:
            self._record_if_best(trial, cand.params, cand.model_cfg, res, cand.tc)

    def _record_if_best(self, trial, params, model_cfg, res, tc) -> None:
        from pfnopt.automl.train import score

        if self._is_new_best(res.best_val):
            metrics = score(model_cfg, res.state_dict, self.task, "test", tc) if tc.eval_test else {}
            for k, v in metrics.items():
                trial.set_user_attr(f"test_{k}", v)
            if self.artifact_dir is not None:
                from pfnopt.automl.export import save_model

                save_model(
                    self.artifact_dir / "best",
                    model_cfg,
                    res.state_dict,
                    self.task,
                    extra={
                        "study": self.study.study_name,
                        "trial": trial.number,
                        "params": params,
                        "value": res.best_val,
                        "metrics": {f"test_{k}": v for k, v in metrics.items()},
                    },
                )

    def _is_new_best(self, value: float) -> bool:
        """Better than every stored trial and every trial of this process not yet told (n_jobs > 1)."""
        try:
            stored = self.study.best_value
        except NoFeasibleTrialError:
            stored = math.inf
        if value < min(stored, self._best_seen):
            self._best_seen = value
            return True
        return False
