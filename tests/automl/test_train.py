"""The trainer, for real at tiny scale: metrics, attributes, failures, the naive-forecast floor."""

import math

import pytest
import torch

from pfnopt.automl.tasks import digits_task, synthetic_task
from pfnopt.automl.train import TrainConfig, TrainingFailed, model_config_for, train

TINY = dict(width=16, depth=1, heads=2, patch_len=8, stride=8)


def test_forecaster_trains_and_beats_the_naive_forecast():
    task = synthetic_task(length=800, n_channels=2, horizon=12, seed=0)
    cfg = model_config_for(task, dict(family="patchtst", lookback=48, **TINY))
    res = train(cfg, TrainConfig(epochs=3, batch_size=32, lr=3e-3, steps_per_epoch=15), task)
    assert len(res.history) == 3 and res.best_val == min(res.history)
    assert res.metrics["test_loss"] < task.naive_mse("test", 48)
    assert res.n_params > 0 and res.flops_per_sample > 0 and res.samples_per_s > 0 and res.latency_ms > 0
    assert res.device == "cpu" and not res.compiled and not res.amp
    assert set(res.state_dict) and res.attrs()["n_params"] == res.n_params


def test_classifier_reports_every_epoch():
    task = digits_task()
    seen = []
    cfg = model_config_for(task, dict(family="mixer", patch_len=2, width=16, depth=1))
    res = train(
        cfg,
        TrainConfig(epochs=2, batch_size=64, steps_per_epoch=5, label_smoothing=0.1),
        task,
        on_epoch=lambda e, v: seen.append((e, v)),
    )
    assert [e for e, _ in seen] == [0, 1] and all(math.isfinite(v) for _, v in seen)
    assert 0.0 <= res.metrics["test_acc"] <= 1.0


def test_nan_loss_is_a_training_failure_with_the_reason():
    task = synthetic_task(length=600, n_channels=1, horizon=8)
    cfg = model_config_for(task, dict(family="dlinear", lookback=32, revin=False))
    with pytest.raises(TrainingFailed, match="loss became (nan|inf)"):
        train(cfg, TrainConfig(epochs=1, batch_size=16, lr=1e30, grad_clip=0.0, steps_per_epoch=5), task)


def test_same_seed_same_result():
    task = synthetic_task(length=600, n_channels=1, horizon=8)
    cfg = model_config_for(task, dict(family="tsmixer", lookback=32, **TINY))
    tc = TrainConfig(epochs=1, batch_size=16, steps_per_epoch=5, seed=7, latency_runs=0)
    assert train(cfg, tc, task).best_val == train(cfg, tc, task).best_val


class _RunsOutOfMemory(torch.nn.Module):
    """A real model whose training forward raises the error torch raises when CUDA memory runs out."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        if self.training:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return self.inner(x)


def test_out_of_memory_is_a_training_failure_with_the_reason():
    from pfnopt.automl.models import build_model

    task = synthetic_task(length=600, n_channels=1, horizon=8)
    cfg = model_config_for(task, dict(family="dlinear", lookback=32))
    with pytest.raises(TrainingFailed, match="out of host memory at batch size 16.*Tried to allocate"):
        train(
            cfg,
            TrainConfig(epochs=1, batch_size=16, steps_per_epoch=2, latency_runs=0),
            task,
            model=_RunsOutOfMemory(build_model(cfg)),
        )
