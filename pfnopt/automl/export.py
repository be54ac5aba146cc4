"""Export and load a trained patch model: safetensors weights + a JSON config, no pickle.

A model directory holds ``model.safetensors`` (the state dict) and ``config.json``::

    {"format": "pfnopt-automl/1", "model": {ModelConfig fields}, "task": {task spec},
     "preprocessing": {"mean": [...], "std": [...], "channels": [...]}, "study": ..., "trial": ...,
     "params": {...}, "value": ..., "metrics": {...}}

:func:`load_model` rebuilds the exact architecture from ``model`` and returns a
:class:`LoadedModel` that predicts on the raw scale (standardising inputs with the stored train
statistics and mapping forecasts back).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from pfnopt.automl.models import ModelConfig, build_model
from pfnopt.exceptions import InputFileNotFoundError, ParameterError

FORMAT = "pfnopt-automl/1"
WEIGHTS, CONFIG = "model.safetensors", "config.json"


def save_model(out: str | Path, model_cfg: ModelConfig, state_dict: dict, task: Any, extra: dict | None = None) -> Path:
    """Write ``out/model.safetensors`` and ``out/config.json`` (overwriting); returns ``out``."""
    from safetensors.torch import save_file

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state_dict.items()}
    save_file(tensors, str(out / WEIGHTS), metadata={"format": FORMAT})
    body = {
        "format": FORMAT,
        "model": model_cfg.to_dict(),
        "task": task.spec,
        "preprocessing": {
            "mean": np.asarray(task.mean).tolist(),
            "std": np.asarray(task.std).tolist(),
            "channels": list(getattr(task, "channels", [])),
        },
        **(extra or {}),
    }
    (out / CONFIG).write_text(json.dumps(body, indent=2, default=_json_default))
    return out


def _json_default(v: Any) -> Any:
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    raise TypeError(f"not JSON serialisable: {v!r}")


class LoadedModel:
    """A loaded patch model. ``module`` is the torch model (eval mode, CPU); ``config`` its
    ModelConfig; ``info`` the whole config.json."""

    def __init__(self, module: Any, config: ModelConfig, info: dict[str, Any]):
        self.module, self.config, self.info = module, config, info
        pre = info["preprocessing"]
        self.mean = np.asarray(pre["mean"], dtype=np.float64)
        self.std = np.asarray(pre["std"], dtype=np.float64)

    @property
    def kind(self) -> str:
        return self.config.kind

    def _run(self, x: np.ndarray) -> np.ndarray:
        import torch

        from pfnopt.automl.train import predict

        t = torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32)
        return predict(self.module, t).numpy()

    def predict(self, x: np.ndarray, standardised: bool = False) -> np.ndarray:
        """Forecast: ``x`` (b, L, c) or (L, c) -> (b, H, c) or (H, c). Classify: ``x`` (n, C, H, W)
        or (n, H, W) -> class ids (n,). Inputs and forecasts on the raw scale unless ``standardised``."""
        x = np.asarray(x, dtype=np.float64)
        cfg = self.config
        if cfg.kind == "forecast":
            single = x.ndim == 2
            x = x[None] if single else x
            if x.ndim != 3 or x.shape[1:] != (cfg.lookback, cfg.n_channels):
                raise ParameterError(f"expected input (b, {cfg.lookback}, {cfg.n_channels}), got {x.shape}")
            z = x if standardised else (x - self.mean) / self.std
            y = self._run(z).astype(np.float64)
            y = y if standardised else y * self.std + self.mean
            return y[0] if single else y
        return self.predict_proba(x, standardised).argmax(axis=-1)

    def predict_proba(self, x: np.ndarray, standardised: bool = False) -> np.ndarray:
        """Classify: class probabilities (n, classes)."""
        cfg = self.config
        if cfg.kind != "classify":
            raise ParameterError("predict_proba is for image classifiers; use predict for a forecaster")
        x = np.asarray(x, dtype=np.float64)
        x = x[:, None] if x.ndim == 3 else x
        if x.shape[1:] != (cfg.n_channels, *cfg.image_size):
            raise ParameterError(
                f"expected input (n, {cfg.n_channels}, {cfg.image_size[0]}, {cfg.image_size[1]}), got {x.shape}"
            )
        z = x if standardised else (x - self.mean[None, :, None, None]) / self.std[None, :, None, None]
        logits = self._run(z).astype(np.float64)
        e = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def load_model(path: str | Path) -> LoadedModel:
    """Load a model directory written by :func:`save_model` / ``pfnopt automl export``."""
    from safetensors.torch import load_file

    p = Path(path)
    if not (p / CONFIG).is_file() or not (p / WEIGHTS).is_file():
        raise InputFileNotFoundError(f"{str(p)!r} is not an exported model directory (needs {CONFIG} and {WEIGHTS})")
    info = json.loads((p / CONFIG).read_text())
    if info.get("format") != FORMAT:
        raise ParameterError(f"{str(p / CONFIG)!r} has format {info.get('format')!r}; this pfnopt reads {FORMAT!r}")
    cfg = ModelConfig.from_dict(info["model"])
    module = build_model(cfg)
    module.load_state_dict(load_file(str(p / WEIGHTS)))
    module.eval()
    return LoadedModel(module, cfg, info)


def export_best(
    study: Any,
    out: str | Path,
    artifact_dir: str | Path | None = None,
    retrain: bool = False,
    format: str = "safetensors",
) -> dict[str, Any]:
    """Write the best trial's model to ``out``: copied from ``artifact_dir/best`` when it holds that
    very trial (and ``retrain`` is False), else retrained from the stored params, task spec, train
    config and seed. ``format``: safetensors (weights + config.json), torchscript (adds
    ``model.pt``) or onnx (adds ``model.onnx``); see :mod:`pfnopt.automl.formats`. Returns the
    config.json contents."""
    from pfnopt.automl.formats import FORMATS, write_format

    if format not in FORMATS:
        raise ParameterError(f"unknown export format {format!r}; allowed: {', '.join(FORMATS)}")
    info = _export_safetensors(study, out, artifact_dir, retrain)
    return write_format(out, format) if format != "safetensors" else info


def _export_safetensors(study: Any, out: str | Path, artifact_dir: str | Path | None, retrain: bool) -> dict[str, Any]:
    from pfnopt.automl.space import to_configs
    from pfnopt.automl.tasks import task_from_spec
    from pfnopt.automl.train import TrainConfig, train

    meta = study.user_attrs.get("automl")
    if meta is None:
        raise ParameterError(f"study {study.study_name!r} was not made by pfnopt automl (no 'automl' attribute)")
    best = study.best_trial
    out = Path(out)
    if artifact_dir is not None and not retrain:
        src = Path(artifact_dir) / "best"
        if (src / CONFIG).is_file():
            info = json.loads((src / CONFIG).read_text())
            if info.get("study") == study.study_name and info.get("trial") == best.number:
                out.mkdir(parents=True, exist_ok=True)
                for name in (WEIGHTS, CONFIG):
                    shutil.copyfile(src / name, out / name)
                return info
    task = task_from_spec(meta["task"])
    params = {**meta["space"].get("fixed", {}), **best.params}
    model_cfg, train_over = to_configs(task, params)
    tc = replace(TrainConfig(**meta["train_config"]), **train_over)
    res = train(model_cfg, tc, task)
    extra = {
        "study": study.study_name,
        "trial": best.number,
        "params": params,
        "value": res.best_val,
        "metrics": res.metrics,
        "retrained": True,
    }
    save_model(out, model_cfg, res.state_dict, task, extra)
    return json.loads((out / CONFIG).read_text())
