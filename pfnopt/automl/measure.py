"""What a candidate model costs: parameters, forward FLOPs per sample, latency, peak memory.

These feed the trial attributes and the ``max_params`` / ``max_flops`` / ``max_latency_ms``
constraints, which are checked before a candidate is trained.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from pfnopt.automl.models import ModelConfig


def example_input(model_cfg: ModelConfig, batch: int = 1, device: torch.device | str = "cpu") -> torch.Tensor:
    """A zero input of ``batch`` samples (zeros: measuring must not consume the random stream)."""
    if model_cfg.kind == "forecast":
        return torch.zeros(batch, model_cfg.lookback, model_cfg.n_channels, device=device)
    return torch.zeros(batch, model_cfg.n_channels, *model_cfg.image_size, device=device)


def count_params(model: nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def count_flops(model: nn.Module, model_cfg: ModelConfig) -> int:
    """Forward FLOPs of one sample (matmuls, convolutions, attention), by FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode

    was = model.training
    model.eval()
    x = example_input(model_cfg, 1, next(model.parameters()).device)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    model.train(was)
    return int(counter.get_total_flops())


def measure_latency(model: nn.Module, model_cfg: ModelConfig, device: torch.device, runs: int = 10) -> float:
    """Median wall time (ms) of an eager forward pass on one sample, after 3 warm-up passes."""
    was = model.training
    model.eval()
    x = example_input(model_cfg, 1, device)
    times = []
    with torch.no_grad():
        for i in range(runs + 3):
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            t0 = time.perf_counter()
            model(x)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if i >= 3:
                times.append((time.perf_counter() - t0) * 1e3)
    model.train(was)
    return float(np.median(times))


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process high-water mark (Linux: KiB)
