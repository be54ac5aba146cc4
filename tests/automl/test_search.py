"""search(): real tiny studies end to end (in memory), constraints, failures, export/load."""

import numpy as np
import pytest

import pfnopt
from pfnopt.automl import TrainConfig, export_best, load_model, save_model, search
from pfnopt.automl.space import default_space
from pfnopt.automl.tasks import digits_task, synthetic_task
from pfnopt.automl.train import model_config_for, train
from pfnopt.records import TrialState
from pfnopt.space import Categorical, Float, Int

TINY_TC = TrainConfig(epochs=2, steps_per_epoch=8, batch_size=32, latency_runs=2)


def _small(task):
    space = default_space(task)
    space.set("width", Categorical([16, 32])).set("depth", Categorical([1]))
    if task.kind == "forecast":
        space.fix("lookback", 48)
    return space


def test_synthetic_best_model_beats_the_naive_forecast():
    task = synthetic_task(length=900, n_channels=2, horizon=12, seed=0)
    space = _small(task).set("lr", Float(1e-3, 1e-2, log=True))
    tc = TrainConfig(epochs=3, steps_per_epoch=25, batch_size=32, latency_runs=2)
    study = search(task, n_trials=4, sampler="sobol", space=space, train_config=tc, seed=0)
    best = study.best_trial
    assert best.user_attrs["test_loss"] < task.naive_mse("test", 48)
    for key in ("n_params", "flops_per_sample", "wall_s", "samples_per_s", "peak_mem_mb", "latency_ms", "family"):
        assert key in best.user_attrs
    assert len(best.intermediate_values) == 3  # reported every epoch


def test_constraint_rejects_without_training_and_is_told_to_the_sampler():
    task = digits_task()
    space = _small(task)
    study = search(
        task,
        n_trials=4,
        sampler="random",
        space=space,
        train_config=TINY_TC,
        max_params=2000,
        max_latency_ms=1e6,
        seed=1,
    )
    rejected = [t for t in study.trials if "rejected" in t.user_attrs]
    assert rejected, "2,000 parameters is below every model of this space"
    for t in rejected:
        assert t.state == TrialState.COMPLETE and not t.feasible and t.constraints[0] > 0 > t.constraints[1]
        assert not t.intermediate_values and "samples_per_s" not in t.user_attrs  # never trained
        assert t.value == pytest.approx(np.log(10))
        assert t.user_attrs["latency_ms"] > 0  # measured, batch 1
    assert study.user_attrs["automl"]["constraint_names"] == ["params", "latency_ms"]


def test_nan_loss_fails_the_trial_with_a_reason_and_the_study_goes_on():
    task = synthetic_task(length=700, n_channels=1, horizon=8)
    space = _small(task).restrict(families=["dlinear"])
    space.set("lr", Float(1e25, 1e30, log=True)).fix("revin", False)
    tc = TrainConfig(epochs=1, steps_per_epoch=3, batch_size=16, grad_clip=0.0, latency_runs=0)
    study = search(task, n_trials=2, sampler="random", space=space, train_config=tc)
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.FAIL]
    assert "loss became" in study.trials[0].user_attrs["fail_reason"]


def test_pruner_acts_on_reported_epochs():
    task = synthetic_task(length=700, n_channels=1, horizon=8)
    space = _small(task).restrict(families=["dlinear", "resmlp"])
    pruner = pfnopt.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)
    study = search(
        task,
        n_trials=8,
        sampler="random",
        space=space,
        pruner=pruner,
        train_config=TrainConfig(epochs=3, steps_per_epoch=3, batch_size=16, latency_runs=0),
        seed=2,
    )
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in study.trials)
    assert all(len(t.intermediate_values) >= 1 for t in study.trials)


def test_export_load_round_trip_same_predictions(tmp_path):
    task = digits_task()
    cfg = model_config_for(task, dict(family="convmixer", patch_len=2, width=16, depth=1))
    res = train(cfg, TrainConfig(epochs=1, steps_per_epoch=3, latency_runs=0), task)
    save_model(tmp_path / "m", cfg, res.state_dict, task, extra={"trial": 0})
    loaded = load_model(tmp_path / "m")
    from pfnopt.automl.models import build_model

    ref = build_model(cfg)
    ref.load_state_dict(res.state_dict)
    ref.eval()
    import torch

    x = task.x["test"][:20]
    with torch.no_grad():
        expect = ref(torch.as_tensor(x)).softmax(-1).numpy()
    raw = x * task.std[None, :, None, None] + task.mean[None, :, None, None]  # predict takes raw pixels
    assert np.allclose(loaded.predict_proba(raw), expect, atol=1e-5)
    assert np.array_equal(loaded.predict(x, standardised=True), expect.argmax(-1))


def test_export_best_from_artifacts_and_by_retraining_agree(tmp_path):
    task = synthetic_task(length=700, n_channels=2, horizon=8)
    space = _small(task).restrict(families=["dlinear", "tsmixer"])
    study = search(task, n_trials=2, sampler="random", space=space, train_config=TINY_TC, artifact_dir=tmp_path / "art")
    a = export_best(study, tmp_path / "a", artifact_dir=tmp_path / "art")
    b = export_best(study, tmp_path / "b", retrain=True)
    assert not a.get("retrained") and b["retrained"] and a["trial"] == b["trial"] == study.best_trial.number
    x = np.random.default_rng(0).standard_normal((4, 48, 2))
    pa, pb = load_model(tmp_path / "a").predict(x), load_model(tmp_path / "b").predict(x)
    assert pa.shape == (4, 8, 2) and np.allclose(pa, pb, atol=1e-5)


def test_an_extended_space_with_invalid_architectures_gets_a_validity_constraint():
    task = synthetic_task(length=700, n_channels=1, horizon=8)
    space = _small(task).restrict(families=["patchtst"])
    space.set("width", Int(28, 40, step=4)).set("heads", Categorical([8]))  # 28, 36 are not divisible by 8
    study = search(task, n_trials=5, sampler="random", space=space, train_config=TINY_TC, seed=3)
    assert study.user_attrs["automl"]["constraint_names"] == ["valid"]
    for t in study.trials:
        valid = t.params["width"] % 8 == 0
        assert list(t.constraints) == [-1.0 if valid else 1.0]
        assert ("rejected" in t.user_attrs) == (not valid)
        if not valid:
            assert "not divisible by heads" in t.user_attrs["rejected"]


def test_a_lookback_longer_than_the_series_is_refused_before_any_trial():
    from pfnopt.exceptions import ParameterError

    task = synthetic_task(length=700, n_channels=1, horizon=8)
    with pytest.raises(ParameterError, match="lookback 5000 is too long"):
        search(task, n_trials=1, sampler="random", space={"fixed": {"lookback": 5000}})
