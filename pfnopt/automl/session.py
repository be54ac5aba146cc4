"""One model's training as an object that runs epoch by epoch, so that it can pause and continue.

:func:`pfnopt.automl.train.train` runs a :class:`TrainSession` for all its epochs in one go; the
freeze-thaw scheduler (:mod:`pfnopt.automl.freeze_thaw`) runs a few epochs, saves the session with
:func:`pfnopt.automl.train_state.save_state`, and later builds a new session and loads that state to
continue. Everything that decides the next epoch's numbers lives here: the model and its compiled
forward, AdamW (its moments and step counts), the warm-up + cosine LR schedule over ``cfg.epochs``
(the whole run, not one chunk, so a paused run follows the same schedule), the data-order generator,
the dropout stream (torch's global generator, seeded ``cfg.seed + 1``), the history and the best epoch.

Shapes: a batch is ``bs`` rows of the train split; ``steps`` optimizer steps per epoch.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from pfnopt.automl.measure import count_flops, count_params, measure_latency, peak_memory_mb
from pfnopt.automl.models import ModelConfig, build_model
from pfnopt.automl.train import (
    PEAK_BF16_FLOPS,
    TrainConfig,
    TrainingFailed,
    TrainingStopped,
    TrainResult,
    _Data,
    _raise_compile_cache,
    evaluate,
    resolve_device,
    seed_everything,
    setup_device,
)
from pfnopt.exceptions import ParameterError


def _param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Weight decay on matrices except positional embeddings; none on vectors (biases, norms)."""
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and not n.endswith("pos")]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and not n.endswith("pos"))]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


class TrainSession:
    """The state of one training run between epochs (see the module docstring).

    Build it with :meth:`start` (validates, seeds, builds the model) or directly with a device already
    set up. ``holder``: a dict that gets the device data (``"data"``) and the best weights
    (``"best"``), so that :func:`~pfnopt.automl.train.train` can free them after an out-of-memory error.
    """

    def __init__(self, model_cfg: ModelConfig, cfg: TrainConfig, task: Any, device: torch.device,
                 model: nn.Module | None = None, holder: dict[str, Any] | None = None):
        self.model_cfg, self.cfg, self.task, self.device = model_cfg, cfg, task, device
        self.holder = holder if holder is not None else {}
        self.t_start = time.perf_counter()
        self.wall_before = 0.0  # wall seconds of earlier chunks (a continued session)
        model = build_model(model_cfg) if model is None else model
        self.n_params = count_params(model)
        self.flops = count_flops(model, model_cfg)
        self.model = model.to(device)
        self.latency = measure_latency(model, model_cfg, device, cfg.latency_runs) if cfg.latency_runs else None
        self.data = _Data(task, model_cfg, device)
        self.holder["data"] = self.data
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)

        self.n_train = self.data.size("train")
        self.bs = min(cfg.batch_size, self.n_train)
        steps = self.n_train // self.bs
        self.steps = min(steps, cfg.steps_per_epoch) if cfg.steps_per_epoch else steps
        total = self.steps * cfg.epochs
        self.amp = (device.type == "cuda") if cfg.amp == "auto" else bool(cfg.amp)
        self.compiled = (
            (device.type == "cuda" and total >= cfg.min_compile_steps) if cfg.compile == "auto" else bool(cfg.compile)
        )
        self.fwd: Callable[[torch.Tensor], torch.Tensor] = model
        if self.compiled:
            _raise_compile_cache()
            self.fwd = torch.compile(model, dynamic=False)
        self.opt = torch.optim.AdamW(_param_groups(model, cfg.weight_decay), lr=cfg.lr, fused=device.type == "cuda")
        warm = max(1, int(cfg.warmup_frac * total))
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.opt,
            lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, total - warm))),
        )
        self.gen = torch.Generator(device=device)  # the data order
        self.gen.manual_seed(cfg.seed)
        torch.manual_seed(cfg.seed + 1)  # dropout stream: the same whether the model was built here or passed in

        self.history: list[float] = []  # validation metric per finished epoch
        self.epoch_s: list[float] = []  # training seconds per finished epoch
        self.best, self.best_epoch = math.inf, -1
        self.best_state: dict[str, torch.Tensor] | None = None
        self.best_val_metrics: dict[str, float] = {}
        self.seen = 0  # training samples so far

    @classmethod
    def start(cls, model_cfg: ModelConfig, cfg: TrainConfig, task: Any, model: nn.Module | None = None,
              holder: dict[str, Any] | None = None) -> "TrainSession":
        """Validate, set the device up, seed everything with ``cfg.seed`` and build the session."""
        cfg.validate()
        model_cfg.validate()
        if model_cfg.kind != task.kind:
            raise ParameterError(f"a {model_cfg.kind} model cannot train on the {task.kind} task {task.name!r}")
        device = resolve_device(cfg.device)
        setup_device(device, cfg.threads, cfg.tf32)
        seed_everything(cfg.seed)
        return cls(model_cfg, cfg, task, device, model, holder)

    @property
    def epoch(self) -> int:
        """Epochs finished so far."""
        return len(self.history)

    def _loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.task.kind == "forecast":
            return F.mse_loss(out.float(), y)
        return F.cross_entropy(out.float(), y, label_smoothing=self.cfg.label_smoothing)

    def run_epoch(self, should_stop: Callable[[], bool] | None = None) -> float:
        """Train one epoch and validate; returns the validation metric (also appended to ``history``).

        Raises :class:`TrainingStopped` when ``should_stop()`` says so before a step, and
        :class:`TrainingFailed` on a non-finite training or validation loss.
        """
        cfg, data, epoch = self.cfg, self.data, self.epoch
        if epoch >= cfg.epochs:
            raise ParameterError(f"TrainSession: all {cfg.epochs} epochs are done; the schedule has no epoch {epoch}")
        self.model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(self.n_train, device=self.device, generator=self.gen)
        loss_sum = torch.zeros((), device=self.device)
        bs = self.bs
        for i in range(self.steps):
            if should_stop is not None and should_stop():
                raise TrainingStopped(epoch, self.history)
            x, y = data.batch("train", perm[i * bs : (i + 1) * bs])
            with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.amp):
                out = self.fwd(x)
            loss = self._loss(out, y)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
            self.opt.step()
            self.sched.step()
            loss_sum += loss.detach()
        train_loss = float(loss_sum) / max(self.steps, 1)  # the one host sync of the epoch
        self.epoch_s.append(time.perf_counter() - t0)
        self.seen += self.steps * bs
        if not math.isfinite(train_loss):
            raise TrainingFailed(f"training loss became {train_loss} in epoch {epoch} (lr {cfg.lr:.3g}); stopped")
        val_metrics = evaluate(self.fwd, data, "val", self.task.kind, cfg, self.amp, cap=cfg.eval_windows)
        val = val_metrics["loss"]
        if not math.isfinite(val):
            raise TrainingFailed(f"validation loss became {val} in epoch {epoch} (lr {cfg.lr:.3g}); stopped")
        self.history.append(val)
        if val < self.best:
            self.best, self.best_epoch, self.best_val_metrics = val, epoch, val_metrics
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            self.holder["best"] = self.best_state
        return val

    def result(self) -> TrainResult:
        """Load the best epoch's weights, score them on test (``cfg.eval_test``) and summarise the run."""
        cfg, device = self.cfg, self.device
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        metrics: dict[str, float] = {f"val_{k}": v for k, v in self.best_val_metrics.items() if k != "loss"}
        if cfg.eval_test:
            test = evaluate(self.fwd, self.data, "test", self.task.kind, cfg, self.amp)
            metrics.update({f"test_{k}": v for k, v in test.items()})
        train_s = sum(self.epoch_s)
        sps = self.seen / train_s if train_s > 0 else 0.0
        es = self.epoch_s
        steady = self.steps * self.bs * (len(es) - 1) / sum(es[1:]) if len(es) > 1 else sps
        mfu = None
        if device.type == "cuda":
            name = torch.cuda.get_device_name(device)
            peak = next((v for k, v in PEAK_BF16_FLOPS.items() if k in name), None)
            mfu = 3 * self.flops * steady / peak if peak else None
        return TrainResult(
            best_val=self.best,
            best_epoch=self.best_epoch,
            history=list(self.history),
            metrics=metrics,
            n_params=self.n_params,
            flops_per_sample=self.flops,
            latency_ms=self.latency,
            wall_s=self.wall_before + time.perf_counter() - self.t_start,
            train_s=train_s,
            samples_per_s=sps,
            steady_samples_per_s=steady,
            peak_mem_mb=peak_memory_mb(device),
            device=str(device),
            compiled=self.compiled,
            amp=self.amp,
            mfu=mfu,
            state_dict={k: v.detach().to("cpu") for k, v in self.model.state_dict().items()},
        )
