"""Fidelity of the curve PFN: forecast the final epoch (52) from the first n epochs, on held-out prior curves
and on LCBench surrogate curves, against the "last value" baseline.

    nice -n 19 python benchmarks/multifidelity/curve_fidelity.py --out benchmarks/results/multifidelity/curve_fidelity.md

Metrics per cutoff n: MAE of the PFN's median and of the last observed value (in the curve's units:
accuracy fractions for LCBench), coverage of the PFN's central 80 % / 90 % intervals, and (LCBench) the mean
over tasks of the Spearman rank correlation between forecast and true final value across configurations --
what a pruner needs.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from pfnopt.multifidelity import LCBench
from pfnopt.surrogate.curve import CURVE_CHECKPOINT, CurvePFN
from pfnopt.surrogate.priors.curves import CurvePrior

CUTOFFS = (3, 5, 10, 20, 40)
T = 52


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def evaluate(pfn: CurvePFN, curves: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Per curve: PFN median, 5/10/90/95 % quantiles, last value, truth (curves ``b x 52``)."""
    fc = pfn.forecast(torch.as_tensor(curves[:, :n], dtype=torch.float32), T, [T])
    out = {"median": fc.quantile(0.5)[:, 0].numpy(), "truth": curves[:, -1], "last": curves[:, n - 1]}
    for q in (0.05, 0.1, 0.9, 0.95):
        out[q] = fc.quantile(q)[:, 0].numpy()
    return out


def summarise(r: dict) -> dict[str, float]:
    t = r["truth"]
    return {
        "mae_pfn": float(np.mean(np.abs(r["median"] - t))),
        "mae_last": float(np.mean(np.abs(r["last"] - t))),
        "cov80": float(np.mean((t >= r[0.1]) & (t <= r[0.9]))),
        "cov90": float(np.mean((t >= r[0.05]) & (t <= r[0.95]))),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, default=CURVE_CHECKPOINT)
    ap.add_argument("--n-prior", type=int, default=2000, help="held-out prior curves")
    ap.add_argument("--configs-per-task", type=int, default=40)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    load0 = os.getloadavg()[0]
    pfn = CurvePFN.load(args.checkpoint)
    prior = CurvePrior()
    gen = torch.Generator().manual_seed(987_654)  # training drew from seed 0; these curves are held out
    t = torch.arange(1, T + 1).expand(args.n_prior, T)
    y, is_acc = prior.curves(t, torch.full((args.n_prior, 1), T), gen)
    prior_curves = y.numpy().astype(np.float64)

    bench = LCBench()
    rng = np.random.default_rng(2024)
    lc = {task: bench.curves(task, LCBench.random_configs(args.configs_per_task, rng)) / 100.0 for task in bench.tasks}

    rows = []
    for n in CUTOFFS:
        p = summarise(evaluate(pfn, prior_curves, n))
        per_task = [evaluate(pfn, c, n) for c in lc.values()]
        allr = {k: np.concatenate([r[k] for r in per_task]) for k in per_task[0]}
        s = summarise(allr)
        rho_pfn = np.nanmean([spearman(r["median"], r["truth"]) for r in per_task])
        rho_last = np.nanmean([spearman(r["last"], r["truth"]) for r in per_task])
        rows.append((n, p, s, rho_pfn, rho_last))

    rec = pfn.record
    lines = [
        "# Curve PFN fidelity: final-epoch forecasts from the first n epochs",
        "",
        f"Checkpoint `{args.checkpoint.relative_to(Path.cwd()) if args.checkpoint.is_relative_to(Path.cwd()) else args.checkpoint}`"
        f" (step {rec.get('step')}, {rec.get('datasets_seen')} curves seen, {rec.get('train_seconds')} s of CPU training).",
        f"Held-out prior: {args.n_prior} curves of the training prior (seed 987654, horizon 52). LCBench: "
        f"{args.configs_per_task} random configurations on each of the {len(lc)} tasks (validation accuracy as a "
        "fraction, the YAHPO surrogate's curves). Forecast = the PFN's median at epoch 52; baseline = the last "
        "observed value.",
        "",
        "| n | prior MAE PFN | prior MAE last | prior cov 80/90 % | LCBench MAE PFN | LCBench MAE last | "
        "LCBench cov 80/90 % | LCBench rank corr PFN | LCBench rank corr last |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n, p, s, rp, rl in rows:
        lines.append(
            f"| {n} | {p['mae_pfn']:.4f} | {p['mae_last']:.4f} | {p['cov80']:.2f} / {p['cov90']:.2f} | "
            f"{s['mae_pfn']:.4f} | {s['mae_last']:.4f} | {s['cov80']:.2f} / {s['cov90']:.2f} | {rp:.3f} | {rl:.3f} |"
        )
    lines += [
        "",
        f"Command: `nice -n 19 python benchmarks/multifidelity/curve_fidelity.py --out {args.out}` "
        f"({time.time() - t0:.0f} s; load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
        "2 cores shared with other jobs).",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
