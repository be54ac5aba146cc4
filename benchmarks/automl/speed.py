"""Trainer speed per family: training samples/s with the pfnopt trainer itself.

CPU: float32 eager (the CPU policy). CUDA (when present): the fast path (bf16 autocast +
SDPA + TF32 + torch.compile + fused AdamW) against float32 eager without TF32, same batch, same
run; the ratio and the model FLOP utilisation (3 x forward FLOPs per sample x samples/s / peak
bf16 FLOP/s) are reported. Throughput is steady state: epochs after the first (which holds the
warm-up and the compilation) on a fixed number of steps.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/automl/speed.py \
        --out benchmarks/automl/results/speed_cpu.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402

from pfnopt.automl.models import CLASSIFY_FAMILIES, FORECAST_FAMILIES  # noqa: E402
from pfnopt.automl.tasks import ImageTask, synthetic_task  # noqa: E402
from pfnopt.automl.train import TrainConfig, model_config_for, train  # noqa: E402

ARCH = dict(width=128, depth=3, heads=4, mlp_ratio=2.0, dropout=0.1, pool_size=3, kernel_size=5)


def image_task(size: int, n: int = 4096) -> ImageTask:
    """Random images of the MNIST / digits shape (throughput does not depend on pixel values)."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = {s: rng.standard_normal((n, 1, size, size)).astype("float32") for s in ("train", "val", "test")}
    y = {s: rng.integers(0, 10, n) for s in x}
    return ImageTask(f"images{size}", x, y, 10, np.zeros(1), np.ones(1), {"task": "random"})


def measure(task, arch, tc) -> dict:
    cfg = model_config_for(task, arch)
    r = train(cfg, tc, task)
    return {
        "samples_per_s": r.steady_samples_per_s,
        "flops_per_sample": r.flops_per_sample,
        "n_params": r.n_params,
        "mfu": r.mfu,
        "compiled": r.compiled,
        "amp": r.amp,
        "peak_mem_mb": r.peak_mem_mb,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--lookback", type=int, default=None, help="default: 336 on CUDA, 96 on CPU")
    ap.add_argument("--batch", type=int, default=None, help="default: 256 on CUDA, 64 on CPU")
    ap.add_argument("--steps", type=int, default=None, help="steps per epoch (default: 50 on CUDA, 8 on CPU)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--families", nargs="*", default=None)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    lookback = args.lookback or (336 if cuda else 96)
    batch = args.batch or (256 if cuda else 64)
    steps = args.steps or (50 if cuda else 8)
    series = synthetic_task(length=14400, n_channels=7, horizon=96, seed=0)  # the ETTh1 shape
    image_size = 28 if cuda else 8
    images = image_task(image_size)
    modes = {"fp32-eager": dict(amp=False, compile=False, tf32=False)}
    if cuda:
        modes["fast"] = dict(amp=True, compile=True, tf32=True)
    rows = []
    fams = args.families or list(FORECAST_FAMILIES + CLASSIFY_FAMILIES)
    for fam in fams:
        if fam in FORECAST_FAMILIES:
            task, arch = series, dict(ARCH, family=fam, lookback=lookback, patch_len=16, stride=8)
        else:
            task, arch = images, dict(ARCH, family=fam, patch_len=4 if image_size == 28 else 2)
        for mode, opts in modes.items():
            tc = TrainConfig(
                epochs=3,
                batch_size=batch,
                steps_per_epoch=steps,
                eval_windows=batch,
                eval_test=False,
                latency_runs=0,
                device="cuda" if cuda else "cpu",
                threads=args.threads,
                min_compile_steps=0,
                **opts,
            )
            t0 = time.perf_counter()
            row = {
                "family": fam,
                "task": task.name,
                "mode": mode,
                **measure(task, arch, tc),
                "wall_s": time.perf_counter() - t0,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    for fam in fams:
        r = {x["mode"]: x for x in rows if x["family"] == fam}
        if "fast" in r:
            r["fast"]["speedup_vs_fp32_eager"] = r["fast"]["samples_per_s"] / r["fp32-eager"]["samples_per_s"]
    meta = {
        "device": torch.cuda.get_device_name(0) if cuda else platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "lookback": lookback,
        "batch": batch,
        "steps_per_epoch": steps,
        "image_size": image_size,
        "arch": ARCH,
        "command": " ".join(sys.argv),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
