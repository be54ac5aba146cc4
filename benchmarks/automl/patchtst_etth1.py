"""One fixed PatchTST on ETTh1 (horizon 96): attention dropout on (the old behaviour: a dropout
mask on the attention weights, which sends CPU attention down the math path) vs off (the paper's
attn_dropout 0: no mask, the fused kernel). Same architecture, data, seed and trainer otherwise.

Two phases in one process, so the timings share the machine's load:

1. speed: ``--reps`` rounds, each arm in turn (interleaved), ``--steps`` optimizer steps of
   training each; seconds per step (wall and process CPU) and the share of profiled CPU time in
   dropout kernels, from torch.profiler on a few extra steps;
2. quality: each arm trained for ``--epochs`` epochs (full ones unless ``--steps-per-epoch``
   caps them); test MSE / MAE of the best validation
   epoch (the standard protocol, standardised scale, every test window), and CPU seconds per epoch.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/automl/patchtst_etth1.py \
        --data ../shared/data/ett/ETTh1.csv --out benchmarks/results/automl/patchtst_etth1.json
    .venv/bin/python benchmarks/automl/patchtst_etth1.py --render benchmarks/results/automl/patchtst_etth1.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from pfnopt.automl.models import build_model  # noqa: E402
from pfnopt.automl.tasks import get_task  # noqa: E402
from pfnopt.automl.train import TrainConfig, _Data, model_config_for, train  # noqa: E402

# the fixed model (lookback 336, patch 16, stride 8, width 16, 3 layers, 4 heads) with
# the paper's ETTh1 settings for the rest (d_ff 128, dropout 0.3, head dropout 0, BatchNorm)
ARCH = dict(family="patchtst", lookback=336, patch_len=16, stride=8, width=16, depth=3, heads=4, d_ff=128,
            dropout=0.3, head_dropout=0.0, norm="batch", revin=True)
ARMS = {"attn_dropout=0.3 (mask)": 0.3, "attn_dropout=0 (fused)": 0.0}


def steps_timing(task, cfg, batch: int, steps: int, seed: int) -> dict[str, float]:
    torch.manual_seed(seed)
    model = build_model(cfg).train()
    data = _Data(task, cfg, torch.device("cpu"))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(data.size("train"), generator=gen)

    def step(i: int) -> None:
        x, y = data.batch("train", perm[i * batch : (i + 1) * batch])
        loss = F.mse_loss(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step(0)  # warm-up
    w0, c0 = time.perf_counter(), time.process_time()
    for i in range(1, steps + 1):
        step(i)
    return {"wall_s_per_step": (time.perf_counter() - w0) / steps, "cpu_s_per_step": (time.process_time() - c0) / steps}


def dropout_share(task, cfg, batch: int, steps: int = 3) -> float:
    """Fraction of profiled self CPU time spent in dropout / bernoulli kernels."""
    from torch.profiler import ProfilerActivity, profile

    torch.manual_seed(0)
    model = build_model(cfg).train()
    data = _Data(task, cfg, torch.device("cpu"))
    x, y = data.batch("train", torch.arange(batch))
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            F.mse_loss(model(x), y).backward()
    total = sum(e.self_cpu_time_total for e in prof.key_averages())
    drop = sum(e.self_cpu_time_total for e in prof.key_averages()
               if any(k in e.key.lower() for k in ("dropout", "bernoulli")))
    return drop / total if total else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/ett/ETTh1.csv")
    ap.add_argument("--out", default="benchmarks/results/automl/patchtst_etth1.json")
    ap.add_argument("--epochs", type=int, default=7)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--steps-per-epoch", type=int, default=None, help="cap (None: full epochs, the protocol)")
    ap.add_argument("--eval-windows", type=int, default=None, help="cap on validation windows (test: all)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    task = get_task("etth1", data=args.data, horizon=96)
    cfgs = {name: model_config_for(task, {**ARCH, "attn_dropout": p}) for name, p in ARMS.items()}
    load_before = os.getloadavg()

    speed: dict[str, list[dict[str, float]]] = {name: [] for name in ARMS}
    for rep in range(args.reps):
        for name, cfg in cfgs.items():  # interleaved
            speed[name].append(steps_timing(task, cfg, args.batch, args.steps, seed=rep))
    shares = {name: dropout_share(task, cfg, args.batch) for name, cfg in cfgs.items()}

    quality = {}
    for name, cfg in cfgs.items():
        tc = TrainConfig(epochs=args.epochs, batch_size=args.batch, lr=args.lr, weight_decay=1e-4, device="cpu",
                         seed=0, latency_runs=0, threads=args.threads, steps_per_epoch=args.steps_per_epoch,
                         eval_windows=args.eval_windows)
        c0 = time.process_time()
        res = train(cfg, tc, task)
        cpu = time.process_time() - c0
        quality[name] = {
            "test_mse": res.metrics["test_loss"],
            "test_mae": res.metrics["test_mae"],
            "best_epoch": res.best_epoch,
            "val_history": res.history,
            "train_wall_s_per_epoch": res.train_s / args.epochs,
            "process_cpu_s_per_epoch_incl_eval": cpu / args.epochs,
            "n_params": res.n_params,
        }
        print(name, quality[name], flush=True)

    def median(v: list[float]) -> float:
        return sorted(v)[len(v) // 2]

    summary = {}
    for name in ARMS:
        summary[name] = {
            "median_wall_s_per_step": median([r["wall_s_per_step"] for r in speed[name]]),
            "median_cpu_s_per_step": median([r["cpu_s_per_step"] for r in speed[name]]),
            "dropout_share_of_profiled_cpu": shares[name],
        }
    a, b = list(ARMS)
    out = {
        "command": "benchmarks/automl/patchtst_etth1.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v is not None),
        "arch": ARCH,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "speed_runs": speed,
        "summary": summary,
        "step_speedup_wall": summary[a]["median_wall_s_per_step"] / summary[b]["median_wall_s_per_step"],
        "quality": quality,
    }
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(summary, indent=1), "speedup", out["step_speedup_wall"])


def render(json_path: str) -> str:
    """The markdown report of a result file (written next to it as .md)."""
    import re

    r = json.load(open(json_path))
    arms = list(r["summary"])
    command = re.sub(r"--(\w+)", lambda m: "--" + m.group(1).replace("_", "-"), r["command"])
    lines = [
        "# PatchTST on ETTh1 (horizon 96): attention dropout mask vs none",
        "",
        f"Command: `{command}` (torch {r['torch']}, {r['threads']} threads, {r['machine']}).",
        "With --steps-per-epoch an epoch is that many batches (not a pass over the ~8.2k training windows)"
        " and --eval-windows caps the validation windows; the test MSE/MAE are over every test window"
        " (standardised scale), at the best validation epoch. Both arms keep the residual/FFN dropout"
        " (0.3), which is most of the remaining dropout share.",
        f"Machine load (1/5/15-min averages) before {r['load_before']}, after {r['load_after']}: "
        "the machine was shared, so only the ratio within this run means anything.",
        "",
        f"Model: {json.dumps(r['arch'])}; the arms differ only in `attn_dropout`.",
        "",
        "| arm | wall s / step (median) | CPU s / step | dropout share of profiled CPU | test MSE | test MAE |"
        " best epoch | train wall s / epoch | process CPU s / epoch |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for a in arms:
        s, q = r["summary"][a], r["quality"][a]
        lines.append(
            f"| {a} | {s['median_wall_s_per_step']:.3f} | {s['median_cpu_s_per_step']:.3f} | "
            f"{100 * s['dropout_share_of_profiled_cpu']:.1f}% | {q['test_mse']:.4f} | {q['test_mae']:.4f} | "
            f"{q['best_epoch'] + 1} | {q['train_wall_s_per_epoch']:.1f} | {q['process_cpu_s_per_epoch_incl_eval']:.1f} |"
        )
    lines += ["", f"Training step speed-up of no mask over the mask (wall, median of interleaved rounds): "
              f"{r['step_speedup_wall']:.2f}x.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--render":
        md = render(sys.argv[2])
        with open(sys.argv[2].removesuffix(".json") + ".md", "w") as f:
            f.write(md)
        print(md)
    else:
        main()
