"""Checkpoints: safetensors weights + a JSON record. Loading never unpickles.

A checkpoint is a directory holding

- ``model.safetensors``: the model's state dict (fp32, fp16 or bf16), bar borders included;
- ``config.json``: ``format``/``format_version``, the model config, the prior, the training config, steps,
  seed, data sets seen, validation NLL, a loss-curve summary, the code version, and the SHA-256 of the weights
  file (a corrupt or truncated weights file is refused);
- in a training run's ``latest/`` only: ``train_state.safetensors`` (optimizer moments, RNG states).

Files are written to a temporary name and renamed, the JSON last, so an interrupted save never leaves a
checkpoint that looks valid but is not.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from pfnopt.surrogate.errors import CheckpointError
from pfnopt.surrogate.model import PFNConfig, PFNTransformer

FORMAT = "pfnopt-pfn"
FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"
CONFIG = "config.json"
TRAIN_STATE = "train_state.safetensors"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def code_version() -> dict:
    """pfnopt version and git commit of the code that wrote a checkpoint (best effort)."""
    out = {"pfnopt": "unknown", "git": "unknown", "torch": torch.__version__}
    try:
        from importlib.metadata import version

        out["pfnopt"] = version("pfnopt")
    except Exception:  # noqa: BLE001 - not installed: keep 'unknown'
        pass
    try:
        repo = Path(__file__).resolve().parents[2]
        res = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        if res.returncode == 0:
            out["git"] = res.stdout.strip()
    except Exception:  # noqa: BLE001
        pass
    return out


def _atomic_json(path: Path, obj: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=False) + "\n")
    os.replace(tmp, path)


def save_checkpoint(
    directory: str | Path,
    model: PFNTransformer,
    meta: dict,
    dtype: torch.dtype | None = None,
    train_state: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write ``model`` (optionally cast to ``dtype``) and ``meta`` to ``directory``; returns it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    if dtype is not None:
        state = {
            k: (v.to(dtype) if v.is_floating_point() and not k.endswith("borders") else v) for k, v in state.items()
        }
    tmp = directory / (WEIGHTS + ".tmp")
    save_file(state, str(tmp), metadata={"format": FORMAT})
    os.replace(tmp, directory / WEIGHTS)
    if train_state is not None:
        tmp = directory / (TRAIN_STATE + ".tmp")
        save_file({k: v.detach().to("cpu").contiguous() for k, v in train_state.items()}, str(tmp))
        os.replace(tmp, directory / TRAIN_STATE)
    record = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": model.cfg.to_dict(),
        **meta,
        "weights_dtype": str(dtype or torch.float32).replace("torch.", ""),
        "weights_sha256": sha256(directory / WEIGHTS),
    }
    if train_state is not None:
        record["train_state_sha256"] = sha256(directory / TRAIN_STATE)
    _atomic_json(directory / CONFIG, record)
    return directory


def read_config(directory: str | Path) -> dict:
    """The JSON record of a checkpoint, validated (format, version, fields)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"checkpoint path={str(directory)!r} is not a directory holding {WEIGHTS} and {CONFIG}")
    cfg_path = directory / CONFIG
    if not cfg_path.is_file():
        raise CheckpointError(f"checkpoint {str(directory)!r} has no {CONFIG}")
    try:
        record = json.loads(cfg_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"checkpoint {str(cfg_path)!r} is not valid JSON ({e}); the file is corrupt") from e
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise CheckpointError(f"{str(cfg_path)!r} is not a pfnopt PFN checkpoint (format must be {FORMAT!r})")
    if record.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint format_version={record.get('format_version')!r} is not supported; allowed: {FORMAT_VERSION}"
        )
    if "model" not in record or "weights_sha256" not in record:
        raise CheckpointError(f"{str(cfg_path)!r} lacks the 'model' or 'weights_sha256' field")
    return record


def load_checkpoint(directory: str | Path, device: str | torch.device = "cpu") -> tuple[PFNTransformer, dict]:
    """Rebuild the model of a checkpoint (fp32, eval mode) and return it with its JSON record."""
    directory = Path(directory)
    record = read_config(directory)
    weights = directory / WEIGHTS
    if not weights.is_file():
        raise CheckpointError(f"checkpoint {str(directory)!r} has no {WEIGHTS}")
    if sha256(weights) != record["weights_sha256"]:
        raise CheckpointError(
            f"{str(weights)!r} does not match the SHA-256 in {CONFIG}: the file is corrupt, truncated or from another "
            "checkpoint"
        )
    try:
        cfg = PFNConfig.from_dict(record["model"])
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"checkpoint {str(directory)!r} has an invalid model config: {e}") from e
    try:
        state = load_file(str(weights), device=str(device))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{str(weights)!r} is not a readable safetensors file ({e})") from e
    model = PFNTransformer(cfg)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise CheckpointError(
            f"{str(weights)!r} does not match its config: missing tensors {missing[:5]}, unexpected {extra[:5]}"
        )
    for k, v in state.items():
        if tuple(v.shape) != tuple(expected[k].shape):
            raise CheckpointError(
                f"{str(weights)!r}: tensor {k!r} has shape {tuple(v.shape)}, the config needs {tuple(expected[k].shape)}"
            )
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model.to(device).eval(), record


def load_train_state(directory: str | Path) -> dict[str, torch.Tensor]:
    directory = Path(directory)
    record = read_config(directory)
    path = directory / TRAIN_STATE
    if not path.is_file():
        raise CheckpointError(f"checkpoint {str(directory)!r} has no {TRAIN_STATE}; it cannot be resumed")
    if record.get("train_state_sha256") and sha256(path) != record["train_state_sha256"]:
        raise CheckpointError(f"{str(path)!r} does not match the SHA-256 in {CONFIG}: corrupt or truncated")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{str(path)!r} is not a readable safetensors file ({e})") from e
