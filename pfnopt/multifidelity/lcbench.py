"""The LCBench surrogate (YAHPO Gym, Pfisterer et al. 2022) through onnxruntime: learning curves on demand.

The ONNX model maps an OpenML task (integer-encoded, ``encoding.json``) and 8 raw inputs -- epoch, then the 7
hyperparameters in YAHPO's order -- to 6 metrics: time, val_accuracy (%), val_cross_entropy,
val_balanced_accuracy, test_cross_entropy, test_balanced_accuracy. Data stay in ``shared/data/lcbench``
(read by path: ``$PFNOPT_LCBENCH_DIR``, else the first ``shared/data/lcbench`` above the repository).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from pfnopt.exceptions import MissingDependencyError, ParameterError

METRICS = ("time", "val_accuracy", "val_cross_entropy", "val_balanced_accuracy", "test_cross_entropy",
           "test_balanced_accuracy")
MAXIMIZE = {"val_accuracy": True, "val_cross_entropy": False, "val_balanced_accuracy": True,
            "test_cross_entropy": False, "test_balanced_accuracy": True, "time": False}
# name: (low, high, log, integer), in the ONNX model's input order after the epoch
SPACE = {
    "batch_size": (16, 512, True, True),
    "learning_rate": (1e-4, 1e-1, True, False),
    "momentum": (0.1, 0.99, False, False),
    "weight_decay": (1e-5, 1e-1, False, False),
    "num_layers": (1, 5, False, True),
    "max_units": (64, 1024, True, True),
    "max_dropout": (0.0, 1.0, False, False),
}
EPOCHS = 52


def default_lcbench_dir() -> Path:
    env = os.environ.get("PFNOPT_LCBENCH_DIR")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        cand = parent / "shared" / "data" / "lcbench"
        if (cand / "model.onnx").is_file():
            return cand
    return Path(__file__).resolve().parents[2].parent / "shared" / "data" / "lcbench"


class LCBench:
    """Learning curves of the LCBench surrogate. ``tasks``: the 34 OpenML task ids (strings)."""

    def __init__(self, root: str | Path | None = None, threads: int = 1):
        self.root = Path(root) if root is not None else default_lcbench_dir()
        if not (self.root / "model.onnx").is_file():
            raise ParameterError(
                f"LCBench: no model.onnx in {str(self.root)!r}; set PFNOPT_LCBENCH_DIR to the lcbench data folder"
            )
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise MissingDependencyError("LCBench needs onnxruntime: pip install 'pfnopt[bench]'") from e
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(self.root / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        self._encoding = json.loads((self.root / "encoding.json").read_text())["OpenML_task_id"]
        space = json.loads((self.root / "config_space.json").read_text())
        self.tasks: list[str] = next(h["choices"] for h in space["hyperparameters"] if h["name"] == "OpenML_task_id")

    def curves(self, task: str, configs: list[dict], metric: str = "val_accuracy") -> np.ndarray:
        """``len(configs) x 52`` values of ``metric`` at epochs 1..52 (val_accuracy in %)."""
        if task not in self.tasks:
            raise ParameterError(f"LCBench: task={task!r} is not known; allowed: {', '.join(self.tasks)}")
        if metric not in METRICS:
            raise ParameterError(f"LCBench: metric={metric!r} is not known; allowed: {', '.join(METRICS)}")
        rows = []
        for c in configs:
            missing = sorted(set(SPACE) - set(c))
            if missing:
                raise ParameterError(f"LCBench: configuration lacks {missing}; it needs {list(SPACE)}")
            rows.append([float(c[k]) for k in SPACE])
        cfg = np.asarray(rows, dtype=np.float32)  # n x 7
        n = len(cfg)
        epochs = np.arange(1, EPOCHS + 1, dtype=np.float32)
        x_cont = np.concatenate([np.repeat(epochs[None, :, None], n, 0), np.repeat(cfg[:, None], EPOCHS, 1)], -1)
        x_cat = np.full((n * EPOCHS, 1), self._encoding[task], dtype=np.int32)
        out = self._session.run(None, {"x_cat": x_cat, "x_cont": x_cont.reshape(-1, 8)})[0]
        return out[:, METRICS.index(metric)].reshape(n, EPOCHS).astype(np.float64)

    @staticmethod
    def random_configs(n: int, rng: np.random.Generator) -> list[dict]:
        """``n`` configurations drawn uniformly (log-uniformly where the space is log-scaled)."""
        out = []
        for _ in range(n):
            c = {}
            for k, (lo, hi, log, integer) in SPACE.items():
                u = rng.uniform()
                v = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if log else lo + u * (hi - lo)
                c[k] = int(round(v)) if integer else v
            out.append(c)
        return out
