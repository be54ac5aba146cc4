"""Exact-target vs sampled-target training at equal CPU cost (prior v2's GP component, a small model).

Both arms train the same model from the same initialisation and seed on the same prior; the only difference
is the loss: the bar NLL of one sampled target per point, or the cross-entropy against the exact Gaussian
predictive's bucket masses (``TrainConfig.exact_targets``). Every ``--eval-every`` steps the model is scored
on one fixed held-out set (sampled-target NLL, the usual validation metric); the CPU seconds of the process
(``time.process_time``, not wall time: the machine is shared) at each evaluation are recorded, and the arms
are compared at equal CPU seconds by linear interpolation of their curves.

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 \\
        .venv/bin/python benchmarks/pfn/exact_targets.py --steps 3000 --seeds 0,1 --out benchmarks/pfn/exact_targets.md
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from pfnopt.surrogate.model import PFNConfig
from pfnopt.surrogate.presets import PRIOR_V2, preset
from pfnopt.surrogate.train import train


def config(steps: int, seed: int, exact: bool, eval_every: int):
    gp = PRIOR_V2["components"][0]
    model = PFNConfig(d_max=5, n_max=50, emsize=48, n_layer=3, n_head=2, n_buckets=128, decoder_hidden=64)
    return replace(
        preset("tiny"),
        preset="exact-ab",
        model=model,
        prior=gp,
        val_prior=gp,
        steps=steps,
        tokens_per_batch=2048,
        n_targets=32,
        n_start=50,
        curriculum_frac=0.0,
        lr=2e-3,
        warmup=100,
        border_samples=100_000,
        val_per_n=64,
        eval_every=eval_every,
        checkpoint_every=10**9,
        seed=seed,
        exact_targets=exact,
        threads=1,
    )


def run_arm(steps: int, seed: int, exact: bool, eval_every: int) -> list[tuple[float, float]]:
    cpu: dict[int, float] = {}
    t0 = time.process_time()

    def on_step(info: dict) -> None:
        cpu[info["step"]] = time.process_time() - t0

    with tempfile.TemporaryDirectory() as d:
        train(config(steps, seed, exact, eval_every), Path(d), on_step=on_step)
        rec = json.loads((Path(d) / "latest" / "config.json").read_text())
    return [(cpu[int(h[0])], float(h[2])) for h in rec["history"] if h[2] == h[2]]  # (cpu s, val NLL)


def at(curve: list[tuple[float, float]], t: float) -> float:
    xs, ys = zip(*curve)
    return float(np.interp(t, xs, ys))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--out", default="benchmarks/pfn/exact_targets.md")
    args = ap.parse_args()
    torch.set_num_threads(1)
    seeds = [int(s) for s in args.seeds.split(",")]
    curves: dict[tuple[int, bool], list] = {}
    for seed in seeds:  # interleaved: sampled, exact, sampled, exact, ...
        for exact in (False, True):
            curves[(seed, exact)] = run_arm(args.steps, seed, exact, args.eval_every)
            print(seed, exact, curves[(seed, exact)][-1], flush=True)
    lines = [
        "# Exact-target vs sampled-target training at equal CPU seconds",
        "",
        f"Command: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/exact_targets.py --steps {args.steps} "
        f"--seeds {args.seeds} --eval-every {args.eval_every} --out {args.out}`",
        f"Machine: {os.cpu_count()} cores, shared (load average at the end: {os.getloadavg()[0]:.2f}); one torch thread.",
        "Model: d_max 5, n_max 50, width 48, 3 layers, 128 buckets; prior: prior v2's GP component",
        "(deterministic share, long lengthscales, mean functions, stepped inputs); validation: held-out draws of the",
        "same prior, sampled-target NLL (nats, lower is better), 64 data sets per context size.",
        "",
        "| seed | CPU s | NLL sampled targets | NLL exact targets | exact - sampled |",
        "|---:|---:|---:|---:|---:|",
    ]
    diffs = []
    for seed in seeds:
        s, e = curves[(seed, False)], curves[(seed, True)]
        t_end = min(s[-1][0], e[-1][0])
        for frac in (0.25, 0.5, 0.75, 1.0):
            t = frac * t_end
            if t < max(s[0][0], e[0][0]):
                continue
            a, b = at(s, t), at(e, t)
            diffs.append(b - a)
            lines.append(f"| {seed} | {t:.0f} | {a:.4f} | {b:.4f} | {b - a:+.4f} |")
    steps_cpu = {k: v[-1][0] / args.steps for k, v in curves.items()}
    lines += [
        "",
        f"CPU seconds per step: sampled {np.mean([v for (s, e), v in steps_cpu.items() if not e]):.4f}, "
        f"exact {np.mean([v for (s, e), v in steps_cpu.items() if e]):.4f}.",
        f"Exact minus sampled at equal CPU seconds: mean {np.mean(diffs):+.4f} nats over {len(diffs)} comparisons "
        f"({sum(d < 0 for d in diffs)} of {len(diffs)} in favour of exact targets).",
        "",
        "Raw curves (CPU s, val NLL): " + json.dumps({f"{k[0]}-{'exact' if k[1] else 'sampled'}": v for k, v in curves.items()}),
    ]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
