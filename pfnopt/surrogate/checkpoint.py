"""Checkpoints: safetensors weights + a JSON record. Loading never unpickles.

A checkpoint is a directory holding

- ``model.safetensors``: the model's state dict (fp32, fp16 or bf16), bar borders included;
- ``config.json``: ``format``/``format_version``, the model config, the prior, the training config, steps,
  seed, data sets seen, validation NLL, a loss-curve summary, the code version, the SHA-256 of the weights
  file (a corrupt or truncated weights file is refused) and ``config_sha256``, the SHA-256 of the record
  itself (canonical JSON without that field), so an edited or damaged config is refused too;
- in a training run's ``latest/`` only: ``train_state.safetensors`` (optimizer moments, RNG states).

Files are written to a temporary name and renamed, the JSON last, so an interrupted save never leaves a
checkpoint that looks valid but is not.

Loading checks, in this order and before any model is built: the record's hash, the model config's
types and ranges (:func:`validate_model_config`), the weights' hash, then every tensor's name and shape read
from the safetensors header against the shapes the config implies (:func:`pfnopt.surrogate.model.state_shapes`,
computed from the config, which allocates nothing). A bad config therefore costs milliseconds, not the model's
memory.

Checkpoints written before ``config_sha256`` existed (same ``format_version`` 1, e.g. older training runs)
have no such field: the rule is that a record WITHOUT ``config_sha256`` is accepted, its config still being
validated as above and its weights still covered by ``weights_sha256``; a record WITH it must match.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from pfnopt.surrogate.errors import CheckpointError
from pfnopt.surrogate.model import PFNConfig, PFNTransformer, state_shapes

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


CONFIG_HASH = "config_sha256"

# (min, max) of every model-config field: far beyond any trained model, small enough that a config can
# never ask for an absurd build (n_layer=2000, emsize=10**9)
CONFIG_RANGES = {
    "d_max": (1, 1024),
    "n_max": (1, 1_000_000),
    "emsize": (1, 8192),
    "n_layer": (1, 128),
    "n_head": (1, 256),
    "mlp_ratio": (1, 64),
    "n_buckets": (2, 65_536),
    "decoder_hidden": (1, 65_536),
    "y_features": (1, 4),
    "nn_features": (0, 64),
}


def record_sha256(record: dict) -> str:
    """SHA-256 of the record's canonical JSON (sorted keys, no whitespace), without ``config_sha256``."""
    body = {k: v for k, v in record.items() if k != CONFIG_HASH}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def seal(record: dict) -> dict:
    """``record`` with its ``config_sha256`` set (what :func:`save_checkpoint` writes)."""
    return {**record, CONFIG_HASH: record_sha256(record)}


def validate_model_config(model: object, where: str = "checkpoint") -> PFNConfig:
    """The PFNConfig of a record's ``model`` field, every field checked (an integer in its range of
    :data:`CONFIG_RANGES`; ``emsize`` divisible by ``n_head``) BEFORE anything is built."""
    if not isinstance(model, dict):
        raise CheckpointError(f"{where}: 'model' must be a JSON object of the model config, got {model!r}")
    unknown = sorted(set(model) - set(CONFIG_RANGES))
    if unknown:
        raise CheckpointError(f"{where} has an invalid model config: unknown fields {unknown}; allowed: "
                              f"{sorted(CONFIG_RANGES)}")
    for key, value in model.items():
        lo, hi = CONFIG_RANGES[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise CheckpointError(f"{where} has an invalid model config: {key}={value!r} must be an integer in [{lo}, {hi}]")
        if not lo <= value <= hi:
            raise CheckpointError(f"{where} has an invalid model config: {key}={value!r} is outside [{lo}, {hi}]")
    cfg = PFNConfig.from_dict(model)
    if cfg.emsize % cfg.n_head:
        raise CheckpointError(f"{where} has an invalid model config: emsize={cfg.emsize} is not divisible by "
                              f"n_head={cfg.n_head}")
    return cfg


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
    _atomic_json(directory / CONFIG, seal(record))
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
    if CONFIG_HASH in record and record[CONFIG_HASH] != record_sha256(record):
        raise CheckpointError(
            f"{str(cfg_path)!r} does not match its {CONFIG_HASH}: the record was edited or is corrupt"
        )
    validate_model_config(record["model"], f"checkpoint {str(directory)!r}")
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
    cfg = validate_model_config(record["model"], f"checkpoint {str(directory)!r}")
    try:
        with safe_open(str(weights), framework="pt") as f:
            shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{str(weights)!r} is not a readable safetensors file ({e})") from e
    expected = state_shapes(cfg)  # the shapes the config implies, without allocating the model
    missing = sorted(set(expected) - set(shapes))
    extra = sorted(set(shapes) - set(expected))
    if missing or extra:
        raise CheckpointError(
            f"{str(weights)!r} does not match its config: missing tensors {missing[:5]}, unexpected {extra[:5]}"
        )
    for k, shape in shapes.items():
        if shape != expected[k]:
            raise CheckpointError(f"{str(weights)!r}: tensor {k!r} has shape {shape}, the config needs {expected[k]}")
    try:
        state = load_file(str(weights), device=str(device))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{str(weights)!r} is not a readable safetensors file ({e})") from e
    model = PFNTransformer(cfg)
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
