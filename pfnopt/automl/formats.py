"""Exported model files for other runtimes: TorchScript (``model.pt``) and ONNX (``model.onnx``).

Both graphs are standalone: they take inputs on the RAW scale and return raw-scale forecasts
(b, L, c) -> (b, H, c), or class logits (n, C, H, W) -> (n, classes), because the stored train
statistics are baked in (:class:`RawScaleModel`). The batch dimension is free. The safetensors
weights and ``config.json`` are always written next to them (``pfnopt.automl.load_model`` reads
those); ``config.json`` gains an ``exported`` entry naming the file, its input and output.

    import onnxruntime as ort
    sess = ort.InferenceSession("out/model.onnx")
    y = sess.run(None, {"x": x.astype("float32")})[0]

    m = torch.jit.load("out/model.pt"); y = m(torch.as_tensor(x, dtype=torch.float32))
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from pfnopt.exceptions import ParameterError

FORMATS = ("safetensors", "torchscript", "onnx")
FILES = {"torchscript": "model.pt", "onnx": "model.onnx"}


class RawScaleModel(nn.Module):
    """Standardise raw inputs with the train statistics, run the model, map forecasts back."""

    def __init__(self, module: nn.Module, kind: str, mean: Any, std: Any):
        super().__init__()
        self.module, self.kind = module, kind
        shape = (1, 1, -1) if kind == "forecast" else (1, -1, 1, 1)  # channels last vs first
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).reshape(shape))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).reshape(shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.module((x - self.mean) / self.std)
        return y * self.std + self.mean if self.kind == "forecast" else y


def write_format(model_dir: str | Path, fmt: str) -> dict[str, Any]:
    """Add the ``fmt`` file to an exported model directory; returns the updated config.json."""
    from pfnopt.automl.export import CONFIG, load_model
    from pfnopt.automl.measure import example_input

    if fmt not in FORMATS:
        raise ParameterError(f"unknown export format {fmt!r}; allowed: {', '.join(FORMATS)}")
    d = Path(model_dir)
    loaded = load_model(d)
    info = loaded.info
    if fmt == "safetensors":
        return info
    cfg = loaded.config
    wrapped = RawScaleModel(loaded.module, cfg.kind, loaded.mean, loaded.std).eval()
    x = example_input(cfg, batch=2) + 1.0  # nonzero, so std-normalised inputs are not degenerate
    path = d / FILES[fmt]
    with torch.no_grad():
        if fmt == "torchscript":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecation notices; the file loads in any libtorch
                traced = torch.jit.trace(wrapped, (x,), check_trace=False)
            traced.save(str(path))
        else:
            _export_onnx(wrapped, x, path)
    shape = ["batch", cfg.lookback, cfg.n_channels] if cfg.kind == "forecast" else ["batch", cfg.n_channels, *cfg.image_size]
    out = ["batch", cfg.horizon, cfg.n_channels] if cfg.kind == "forecast" else ["batch", cfg.n_classes]
    info["exported"] = {
        "format": fmt,
        "file": path.name,
        "input": {"name": "x", "shape": shape, "scale": "raw"},
        "output": {"name": "y", "shape": out, "meaning": "forecast, raw scale" if cfg.kind == "forecast" else "logits"},
    }
    (d / CONFIG).write_text(json.dumps(info, indent=2))
    return info


def _export_onnx(model: nn.Module, x: torch.Tensor, path: Path) -> None:
    import warnings

    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
    except ImportError:
        raise ParameterError("ONNX export needs the onnx package: pip install 'pfnopt[automl]'") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter is deprecated but dependable
        torch.onnx.export(
            model,
            (x,),
            str(path),
            dynamo=False,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
            opset_version=17,
        )
