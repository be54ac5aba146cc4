"""Export to safetensors, TorchScript and ONNX: each file, loaded back by its own runtime, gives the
outputs of the loaded pfnopt model (raw scale) within float32 tolerance, at another batch size."""

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from pfnopt.automl import TrainConfig, export_best, load_model, save_model, search
from pfnopt.automl.formats import write_format
from pfnopt.automl.space import default_space
from pfnopt.automl.tasks import digits_task, synthetic_task
from pfnopt.automl.train import model_config_for, train
from pfnopt.commands.automl import app
from pfnopt.exceptions import ParameterError

FORECAST = synthetic_task(length=600, n_channels=2, horizon=8)
DIGITS = digits_task()
TC = TrainConfig(epochs=1, steps_per_epoch=3, batch_size=16, latency_runs=0)
MODELS = {
    "patchtst": (FORECAST, dict(family="patchtst", lookback=32, patch_len=8, stride=4, width=16, heads=2,
                                norm="batch", depth=1)),
    "tsmixer": (FORECAST, dict(family="tsmixer", lookback=32, width=16, depth=1, norm="batch")),
    "poolformer": (DIGITS, dict(family="poolformer", patch_len=2, width=16, depth=1, stages=2, layer_scale=1e-5)),
    "vit": (DIGITS, dict(family="vit", patch_len=2, width=16, depth=1, heads=2)),
}


def _trained_dir(tmp_path, name):
    task, arch = MODELS[name]
    cfg = model_config_for(task, arch)
    res = train(cfg, TC, task)
    return save_model(tmp_path / name, cfg, res.state_dict, task, extra={"trial": 0}), task


def _raw_inputs(task, n=5):
    rng = np.random.default_rng(1)
    if task.kind == "forecast":
        z = rng.standard_normal((n, 32, task.n_channels))
        return z * task.std + task.mean
    x = task.x["test"][:n]
    return x * task.std[None, :, None, None] + task.mean[None, :, None, None]


def _reference(loaded, x):
    if loaded.kind == "forecast":
        return loaded.predict(x)
    return loaded.predict_proba(x)


def _as_reference(kind, y):
    if kind == "forecast":
        return y
    e = np.exp(y - y.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("name", list(MODELS))
def test_torchscript_round_trip(tmp_path, name):
    d, task = _trained_dir(tmp_path, name)
    info = write_format(d, "torchscript")
    assert info["exported"]["file"] == "model.pt" and json.loads((d / "config.json").read_text())["exported"]
    x = _raw_inputs(task)  # batch 5, traced at batch 2
    module = torch.jit.load(str(d / "model.pt"))
    with torch.no_grad():
        y = module(torch.as_tensor(x, dtype=torch.float32)).numpy()
    ref = _reference(load_model(d), x)
    assert np.allclose(_as_reference(task.kind, y), ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", list(MODELS))
def test_onnx_round_trip_with_onnxruntime(tmp_path, name):
    import onnxruntime as ort

    d, task = _trained_dir(tmp_path, name)
    write_format(d, "onnx")
    x = _raw_inputs(task)
    sess = ort.InferenceSession(str(d / "model.onnx"), providers=["CPUExecutionProvider"])
    y = sess.run(None, {"x": x.astype(np.float32)})[0]
    ref = _reference(load_model(d), x)
    assert y.shape[0] == 5 and np.allclose(_as_reference(task.kind, y), ref, rtol=1e-4, atol=1e-4)


def test_safetensors_round_trip_through_export_best_and_the_cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    space = default_space(FORECAST).restrict(families=["patchtst"]).fix("lookback", 32)
    space.fix("width", 16).fix("depth", 1)
    study = search(FORECAST, n_trials=1, sampler="random", space=space, train_config=TC, study_name="f", storage=url,
                   artifact_dir=tmp_path / "art")
    info = export_best(study, tmp_path / "st", artifact_dir=tmp_path / "art")
    assert "exported" not in info
    x = _raw_inputs(FORECAST)
    from safetensors.torch import load_file

    from pfnopt.automl.models import ModelConfig, build_model

    module = build_model(ModelConfig.from_dict(info["model"]))
    module.load_state_dict(load_file(str(tmp_path / "st" / "model.safetensors")))
    module.eval()
    z = (x - FORECAST.mean) / FORECAST.std
    with torch.no_grad():
        y = module(torch.as_tensor(z, dtype=torch.float32)).numpy() * FORECAST.std + FORECAST.mean
    assert np.allclose(y, load_model(tmp_path / "st").predict(x), atol=1e-4)

    runner = CliRunner()
    res = runner.invoke(app, ["export", "f", "--out", str(tmp_path / "cli"), "--format", "onnx", "--storage", url,
                              "--artifacts", str(tmp_path / "art")])
    assert res.exit_code == 0 and "model.onnx" in res.output, res.output
    assert (tmp_path / "cli" / "model.onnx").is_file()
    res = runner.invoke(app, ["export", "f", "--out", str(tmp_path / "bad"), "--format", "pickle", "--storage", url])
    assert res.exit_code == 1 and "unknown export format 'pickle'" in res.output
    assert not (tmp_path / "bad").exists()  # refused before anything was written
    with pytest.raises(ParameterError, match="allowed: safetensors, torchscript, onnx"):
        export_best(study, tmp_path / "bad", format="tflite")
