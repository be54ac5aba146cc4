"""A paused training run on disk: safetensors for the tensors, JSON for the rest; no pickle.

A state folder (one per epoch reached, e.g. ``epoch-0002``) holds

* ``state.safetensors``: ``model/<name>`` (the weights now), ``best/<name>`` (the best epoch's weights),
  ``optim/<param index>/<name>`` (AdamW's ``exp_avg``, ``exp_avg_sq`` and ``step`` of each parameter),
  ``rng/torch`` (the dropout stream: torch's global CPU generator), ``rng/cuda`` (on CUDA) and
  ``rng/data`` (the data-order generator);
* ``state.json``: the format, the epoch, the model config and training budget it belongs to, AdamW's
  param groups (learning rates, betas, ...), the LR scheduler's position, the history, the best value,
  epoch and metrics, the samples seen, the seconds per epoch and the wall seconds so far.

Python's and numpy's generators are not saved: the training loop draws only from torch's. A folder is
written under a temporary name and renamed, so a process killed while saving leaves no half state.
:func:`load_state` refuses a state of another model, budget or device type (its numbers would not
continue the same run).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from pfnopt.automl.resume import BUDGET_FIELDS
from pfnopt.automl.session import TrainSession
from pfnopt.exceptions import InputFileNotFoundError, ParameterError

FORMAT = "pfnopt-train-state/1"
TENSORS, META = "state.safetensors", "state.json"


def state_dir(root: str | Path, epoch: int) -> Path:
    """The folder of the state after ``epoch`` epochs under ``root`` (one trial's folder)."""
    return Path(root) / f"epoch-{epoch:04d}"


def _budget(session: TrainSession) -> dict[str, Any]:
    tc = asdict(session.cfg)
    return {k: tc[k] for k in BUDGET_FIELDS}


def save_state(session: TrainSession, root: str | Path) -> Path:
    """Write the session's state after its last finished epoch to ``state_dir(root, epoch)``; returns it."""
    from safetensors.torch import save_file

    opt = session.opt.state_dict()
    tensors: dict[str, torch.Tensor] = {f"model/{k}": v for k, v in session.model.state_dict().items()}
    for k, v in (session.best_state or {}).items():
        tensors[f"best/{k}"] = v
    extra: dict[str, dict[str, Any]] = {}  # non-tensor optimizer state entries, kept in the JSON
    for idx, entry in opt["state"].items():
        for name, value in entry.items():
            if torch.is_tensor(value):
                tensors[f"optim/{idx}/{name}"] = value
            else:
                extra.setdefault(str(idx), {})[name] = value
    tensors["rng/torch"] = torch.get_rng_state()
    tensors["rng/data"] = session.gen.get_state()
    if session.device.type == "cuda":
        tensors["rng/cuda"] = torch.cuda.get_rng_state(session.device)
    sched = {k: v for k, v in session.sched.state_dict().items() if k != "lr_lambdas"}
    meta = {
        "format": FORMAT,
        "epoch": session.epoch,
        "model": session.model_cfg.to_dict(),
        "budget": _budget(session),
        "device_type": session.device.type,
        "optimizer": {"param_groups": opt["param_groups"], "state_extra": extra},
        "scheduler": sched,
        "history": session.history,
        "best": session.best if math.isfinite(session.best) else None,
        "best_epoch": session.best_epoch,
        "best_val_metrics": session.best_val_metrics,
        "seen": session.seen,
        "epoch_s": session.epoch_s,
        "wall_s": session.wall_before + _elapsed(session),
        "latency_ms": session.latency,
    }
    out = state_dir(root, session.epoch)
    tmp = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file({k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}, str(tmp / TENSORS),
              metadata={"format": FORMAT})
    (tmp / META).write_text(json.dumps(meta, indent=1))
    shutil.rmtree(out, ignore_errors=True)  # a replayed epoch overwrites its older state
    tmp.rename(out)
    return out


def _elapsed(session: TrainSession) -> float:
    return time.perf_counter() - session.t_start


def read_meta(path: str | Path) -> dict[str, Any]:
    """The JSON half of a state folder."""
    p = Path(path)
    if not (p / META).is_file() or not (p / TENSORS).is_file():
        raise InputFileNotFoundError(f"{str(p)!r} is not a training state folder (needs {META} and {TENSORS})")
    meta = json.loads((p / META).read_text())
    if meta.get("format") != FORMAT:
        raise ParameterError(f"{str(p)!r} has format {meta.get('format')!r}; expected {FORMAT!r}")
    return meta


def _part(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors whose names start with ``prefix``, named without it."""
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def load_state(session: TrainSession, path: str | Path) -> TrainSession:
    """Continue ``session`` (freshly built for the same model config and budget) from the state folder
    ``path``: weights, AdamW, LR schedule, generators, history and best epoch. Returns ``session``."""
    from safetensors.torch import load_file

    meta = read_meta(path)
    mine = {"model": session.model_cfg.to_dict(), "budget": _budget(session), "device_type": session.device.type}
    for key, value in mine.items():
        if json.loads(json.dumps(value)) != meta[key]:
            raise ParameterError(
                f"training state {str(path)!r} belongs to another run: its {key} is {meta[key]}, this run's is {value}"
            )
    tensors = load_file(str(Path(path) / TENSORS))
    session.model.load_state_dict(_part(tensors, "model/"))
    best = _part(tensors, "best/")
    session.best_state = {k: v.to(session.device) for k, v in best.items()} if best else None
    if session.best_state is not None:
        session.holder["best"] = session.best_state
    state: dict[int, dict[str, Any]] = {}
    for key, value in _part(tensors, "optim/").items():
        idx, name = key.split("/", 1)
        state.setdefault(int(idx), {})[name] = value
    for idx, entry in meta["optimizer"]["state_extra"].items():
        state.setdefault(int(idx), {}).update(entry)
    groups = [{**g, "betas": tuple(g["betas"])} if "betas" in g else g for g in meta["optimizer"]["param_groups"]]
    session.opt.load_state_dict({"state": state, "param_groups": groups})
    session.sched.load_state_dict({**meta["scheduler"], "lr_lambdas": [None] * len(session.opt.param_groups)})
    session.gen.set_state(tensors["rng/data"])
    torch.set_rng_state(tensors["rng/torch"])
    if "rng/cuda" in tensors:
        torch.cuda.set_rng_state(tensors["rng/cuda"], session.device)
    session.history = [float(v) for v in meta["history"]]
    session.epoch_s = [float(v) for v in meta["epoch_s"]]
    session.best = math.inf if meta["best"] is None else float(meta["best"])
    session.best_epoch = int(meta["best_epoch"])
    session.best_val_metrics = dict(meta["best_val_metrics"])
    session.seen = int(meta["seen"])
    session.wall_before = float(meta["wall_s"])
    session.t_start = time.perf_counter()
    if meta.get("latency_ms") is not None:
        session.latency = float(meta["latency_ms"])
    return session
