"""The trainer: one code path for CPU and CUDA, for forecasters and image classifiers.

``train(model_cfg, train_cfg, task, on_epoch=...)`` trains one model and returns a
:class:`TrainResult` (best validation metric, per-epoch history, test metrics of the best epoch,
parameter count, FLOPs per sample, wall time, samples/s, peak memory, the best weights).

Device policy (``TrainConfig.device``: auto, cpu, cuda):

* CUDA: bf16 autocast, scaled-dot-product attention (fused flash / memory-efficient kernels),
  TF32 matmuls, fused AdamW, the whole data set resident on the GPU with batches gathered there,
  losses summed on the device and read once per epoch (no per-step host sync), and
  ``torch.compile`` when the run is long enough to repay compilation (``compile="auto"``: at least
  ``min_compile_steps`` optimizer steps; graphs are reused across trials of one shape through
  dynamo's cache and Inductor's FX-graph cache; training batches are full, evaluation batches are
  padded, so shapes stay static).
* CPU: float32, eager, ``torch.set_num_threads`` from the cores this process may use.

The validation metric is the MSE on the standardised scale for forecasting and the
cross-entropy (without label smoothing) for classification; lower is better for both.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pfnopt.automl.models import ModelConfig, build_model
from pfnopt.automl.tasks import ForecastTask, ImageTask
from pfnopt.exceptions import ParameterError, PfnoptError

# dense bf16 tensor-core peak (FLOP/s) for model FLOP utilisation, by device name fragment
PEAK_BF16_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L4": 121e12, "A10": 125e12}


class TrainingStopped(PfnoptError):
    """``should_stop()`` said stop (a search's hard time budget ran out) during epoch ``epoch``;
    ``history`` holds the validation metrics of the epochs that finished before."""

    def __init__(self, epoch: int, history: list[float]):
        super().__init__(f"training stopped in epoch {epoch} after {len(history)} finished epoch(s)")
        self.epoch, self.history = epoch, list(history)


class TrainingFailed(PfnoptError, RuntimeError):
    """Training could not finish (NaN loss, out of memory): the trial fails with ``reason``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.0  # classification only
    steps_per_epoch: int | None = None  # cap on optimizer steps per epoch (None: one pass over train)
    eval_windows: int | None = None  # cap on validation samples per epoch, evenly spaced (None: all)
    eval_batch_size: int = 512
    warmup_frac: float = 0.05  # linear warm-up, then cosine decay to 0
    grad_clip: float = 1.0
    device: str = "auto"  # auto | cpu | cuda
    compile: str | bool = "auto"  # auto: on CUDA when the run has >= min_compile_steps steps
    min_compile_steps: int = 300
    amp: str | bool = "auto"  # auto: bf16 autocast on CUDA, off on CPU
    tf32: bool = True  # CUDA: TF32 matmuls and convolutions for what stays float32
    threads: int | None = None  # CPU threads (None: the cores this process may use)
    seed: int = 0
    eval_test: bool = True  # score the best epoch on the test split
    latency_runs: int = 10  # forward passes of batch 1 timed for latency_ms (0: skip)

    def validate(self) -> "TrainConfig":
        for name in ("epochs", "batch_size", "eval_batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ParameterError(f"TrainConfig.{name} must be a positive integer, got {v!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ParameterError(f"TrainConfig.lr must be > 0, got {self.lr!r}")
        if self.device not in ("auto", "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise ParameterError(f"device must be auto, cpu or cuda, got {self.device!r}")
        if self.compile not in ("auto", True, False):
            raise ParameterError(f"compile must be 'auto', True or False, got {self.compile!r}")
        return self


@dataclass
class TrainResult:
    best_val: float  # best validation metric over the epochs (the objective)
    best_epoch: int
    history: list[float]  # validation metric per epoch
    metrics: dict[str, float]  # the best epoch's val_mae / val_acc, and its test metrics (eval_test)
    n_params: int
    flops_per_sample: int  # forward FLOPs for one sample (one window of all channels / one image)
    latency_ms: float | None  # median forward time for one sample on the training device, eager
    wall_s: float
    train_s: float
    samples_per_s: float  # training samples per second (forward + backward + step), all epochs
    steady_samples_per_s: float  # the same after the first epoch (no warm-up, no compilation)
    peak_mem_mb: float
    device: str
    compiled: bool
    amp: bool
    mfu: float | None  # model FLOP utilisation on a known GPU (3 x forward FLOPs per sample)
    state_dict: dict[str, torch.Tensor] = field(repr=False, default_factory=dict)

    def attrs(self) -> dict[str, Any]:
        """The JSON-serialisable summary stored as trial attributes."""
        d = asdict(self)
        d.pop("state_dict")
        return d


# device & determinism ----------------------------------------------------------------------
def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError("device 'cuda' was asked for but no CUDA GPU is available; use --device auto or cpu")
    return dev


def cpu_threads(requested: int | None = None) -> int:
    try:
        avail = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        avail = os.cpu_count() or 1
    return max(1, min(requested or avail, avail))


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def setup_device(device: torch.device, threads: int | None, tf32: bool = True) -> None:
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cudnn.benchmark = True
    else:
        n = cpu_threads(threads)
        if torch.get_num_threads() != n:
            torch.set_num_threads(n)


def _raise_compile_cache() -> None:
    """Trials of different shapes recompile the same forward: keep them all instead of silently
    falling back to eager after dynamo's default 8."""
    import torch._dynamo.config as dcfg

    for name in ("recompile_limit", "cache_size_limit"):
        if hasattr(dcfg, name) and getattr(dcfg, name) < 64:
            setattr(dcfg, name, 64)


def model_config_for(task: "ForecastTask | ImageTask", arch: dict[str, Any]) -> ModelConfig:
    """A ModelConfig with the task's data shape and the architecture fields of ``arch``."""
    base: dict[str, Any] = {"kind": task.kind, "n_channels": task.n_channels}
    if task.kind == "forecast":
        base["horizon"] = task.horizon
    else:
        base["image_size"] = task.image_size
        base["n_classes"] = task.n_classes
    return ModelConfig.from_dict({**base, **arch})


# data on the device ----------------------------------------------------------------------------
class _Data:
    """The task's tensors on the device, and batch gathering that never leaves it."""

    def __init__(self, task: "ForecastTask | ImageTask", model_cfg: ModelConfig, device: torch.device):
        self.kind = task.kind
        self.device = device
        if task.kind == "forecast":
            L, H = model_cfg.lookback, task.horizon
            if model_cfg.horizon != H:
                raise ParameterError(f"model horizon {model_cfg.horizon} differs from the task's {H}")
            self.series = torch.as_tensor(task.data, device=device)  # (T, c)
            self.offsets_in = torch.arange(-L, 0, device=device)  # (L,)
            self.offsets_out = torch.arange(H, device=device)  # (H,)
            self.index = {s: torch.as_tensor(task.starts(s, L), device=device) for s in ("train", "val", "test")}
        else:
            self.x = {s: torch.as_tensor(v, device=device) for s, v in task.x.items()}
            self.y = {s: torch.as_tensor(v, device=device) for s, v in task.y.items()}
            self.index = {s: torch.arange(len(v), device=device) for s, v in task.y.items()}

    def size(self, split: str) -> int:
        return int(self.index[split].shape[0])

    def batch(self, split: str, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``rows`` (b,) positions in the split -> inputs, targets."""
        ids = self.index[split][rows]
        if self.kind == "forecast":
            x = self.series[ids[:, None] + self.offsets_in[None, :]]  # (b, L, c)
            y = self.series[ids[:, None] + self.offsets_out[None, :]]  # (b, H, c)
            return x, y
        return self.x[split][ids], self.y[split][ids]  # (b, C, H, W), (b,)


# the loop ---------------------------------------------------------------------------------
EpochCallback = Callable[[int, float], None]  # (epoch, validation metric); may raise to stop


def train(
    model_cfg: ModelConfig,
    cfg: TrainConfig,
    task: "ForecastTask | ImageTask",
    on_epoch: EpochCallback | None = None,
    model: nn.Module | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainResult:
    """Train ``model_cfg`` on ``task``; ``on_epoch(epoch, val)`` after every epoch (pruning hook).

    ``should_stop()``: asked before every optimizer step; True raises :class:`TrainingStopped`
    at once (a hard time budget stops a trial mid-epoch, not at its end).

    ``model``: an already built model of ``model_cfg`` (built right after ``seed_everything(cfg.seed)``
    to get the same initial weights as when it is built here).

    Raises TrainingFailed on a non-finite loss or out of memory (with the reason), after freeing
    the GPU memory, so that a study can record it and go on.
    """
    from pfnopt.automl.session import TrainSession  # the loop; it imports this module

    state: dict[str, Any] = {}
    device = resolve_device(cfg.validate().device)
    try:
        session = TrainSession.start(model_cfg, cfg, task, model, holder=state)
        for epoch in range(cfg.epochs):
            val = session.run_epoch(should_stop)
            if on_epoch is not None:
                on_epoch(epoch, val)
        return session.result()
    except (torch.OutOfMemoryError, MemoryError) as e:
        message = (str(e).splitlines() or [type(e).__name__])[0]
    # outside the except block: the traceback (and the tensors its frames hold) is gone now
    state.clear()
    session = model = None
    _free(device)
    raise TrainingFailed(
        f"out of {'GPU' if device.type == 'cuda' else 'host'} memory at batch size {cfg.batch_size} "
        f"({model_cfg.family}, width {model_cfg.width}, depth {model_cfg.depth}): {message}"
    )


def _free(device: torch.device) -> None:
    import gc

    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


@torch.no_grad()
def evaluate(
    fwd: Callable[[torch.Tensor], torch.Tensor],
    data: _Data,
    split: str,
    kind: str,
    cfg: TrainConfig,
    amp: bool,
    cap: int | None = None,
) -> dict[str, float]:
    """Metrics over ``split`` (every sample, or ``cap`` evenly spaced ones): forecast ``loss``
    (= MSE) and ``mae`` on the standardised scale averaged over channels and windows; classify
    ``loss`` (= cross-entropy) and ``acc``. Batches are padded to a fixed size (static shapes)."""
    module = getattr(fwd, "_orig_mod", fwd)
    was = module.training
    module.eval()
    n = data.size(split)
    rows = torch.arange(n, device=data.device)
    if cap is not None and cap < n:
        rows = torch.linspace(0, n - 1, cap, device=data.device).round().long()
    m = int(rows.shape[0])
    eb = min(cfg.eval_batch_size, m)
    sums = torch.zeros(2, device=data.device)
    for i in range(0, m, eb):
        j = torch.arange(i, i + eb, device=data.device)
        valid = (j < m).float()  # (eb,) padding rows repeat the last sample and weigh 0
        x, y = data.batch(split, rows[j.clamp(max=m - 1)])
        with torch.autocast(device_type=data.device.type, dtype=torch.bfloat16, enabled=amp):
            out = fwd(x)
        out = out.float()
        if kind == "forecast":
            err = out - y  # (eb, H, c)
            per = torch.stack([err.pow(2).mean(dim=(1, 2)), err.abs().mean(dim=(1, 2))])  # (2, eb)
        else:
            per = torch.stack([F.cross_entropy(out, y, reduction="none"), (out.argmax(-1) == y).float()])
        sums += (per * valid).sum(dim=1)
    module.train(was)
    a, b = (sums / m).tolist()
    return {"loss": a, "mae": b} if kind == "forecast" else {"loss": a, "acc": b}


def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Eager inference in batches, no autocast: inputs on the model's device, float32 out."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, x.shape[0], batch_size):
            out.append(model(x[i : i + batch_size]).float())
    return torch.cat(out) if out else torch.empty(0)


def score(
    model_cfg: ModelConfig,
    state_dict: dict[str, torch.Tensor],
    task: "ForecastTask | ImageTask",
    split: str,
    cfg: TrainConfig,
) -> dict[str, float]:
    """Metrics of trained weights on ``split`` (every sample), eager, on ``cfg.device``."""
    device = resolve_device(cfg.device)
    model = build_model(model_cfg)
    model.load_state_dict(state_dict)
    model.to(device)
    amp = (device.type == "cuda") if cfg.amp == "auto" else bool(cfg.amp)
    return evaluate(model, _Data(task, model_cfg, device), split, task.kind, cfg, amp)
