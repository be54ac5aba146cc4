"""PFN checkpoints vs a fitted GP on low-noise GP data (the deterministic regime of engineering simulations).

Per cell d x n: held-out data sets from a Matern-5/2 GP with the v1 hyperprior on lengthscales and
outputscale and a noise variance log-uniform in 1e-6..1e-3 of the outputscale (uniform designs, every input
relevant); mean test NLL (nats per test point, data units; lower is better) of each PFN checkpoint (one
forward pass, no trend), BoTorch's SingleTaskGP fitted by maximum likelihood (``references.fitted_gp``), and
the oracle GP with the true hyperparameters; the paired difference PFN - fitted GP with its standard error.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/low_noise.py \\
        --checkpoints default,pfnopt/surrogate/checkpoints/v2 --out benchmarks/pfn/low_noise.md
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from references import fitted_gp, gauss_logpdf, oracle_logpdf  # noqa: E402

from pfnopt.surrogate import load_pfn  # noqa: E402
from pfnopt.surrogate.priors import GPPrior, GPPriorConfig  # noqa: E402

LOW_NOISE = GPPriorConfig(
    kernels=("matern52",),
    p_clustered=0.0,
    p_irrelevant=0.0,
    p_warp=0.0,
    samples_per_draw=1,
    p_deterministic=1.0,
    det_log10_noise=(-6.0, -3.0),
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoints", default="default", help="comma-separated; 'default' is the packaged one")
    ap.add_argument("--datasets", type=int, default=12)
    ap.add_argument("--test-points", type=int, default=50)
    ap.add_argument("--ds", default="1,2,5,10")
    ap.add_argument("--ns", default="8,16,32,64")
    ap.add_argument("--seed", type=int, default=777)
    ap.add_argument("--out", default="benchmarks/pfn/low_noise.md")
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = args.checkpoints.split(",")
    pfns = {c: load_pfn(None if c == "default" else c) for c in names}
    d_max = min(p.d_max for p in pfns.values())
    prior = GPPrior(LOW_NOISE)
    rows, t0 = [], time.time()
    for d in [int(v) for v in args.ds.split(",")]:
        for n in [int(v) for v in args.ns.split(",")]:
            g = torch.Generator().manual_seed(args.seed + 1000 * d + n)
            batch = prior.sample(args.datasets, n + args.test_points, d_max, g, d=d)
            res: dict[str, list[float]] = {c: [] for c in names} | {"fitted_gp": [], "oracle": []}
            for i in range(args.datasets):
                x, y = batch.x[i].double(), batch.y[i].double()
                h = {k: v[i] for k, v in batch.extras["hypers"].items()}
                xc, yc, xt, yt = x[:n, :d], y[:n], x[n:, :d], y[n:]
                for c, pfn in pfns.items():
                    post = pfn.posterior(xc, yc[:, None], xt, trend="none")
                    res[c].append(-float(post.log_prob(yt[:, None]).mean()))
                m, v = fitted_gp(xc, yc, xt)
                res["fitted_gp"].append(-float(gauss_logpdf(yt, m, v).mean()))
                res["oracle"].append(-float(oracle_logpdf(x[:n], yc, x[n:], yt, h).mean()))
            row = {"d": d, "n": n}
            gp = torch.tensor(res["fitted_gp"])
            for k, v in res.items():
                row[k] = float(torch.tensor(v).mean())
                if k in names:
                    diff = torch.tensor(v) - gp
                    row[k + "_minus_gp"] = float(diff.mean())
                    row[k + "_minus_gp_se"] = float(diff.std() / len(diff) ** 0.5)
            rows.append(row)
            print(json.dumps(row), f"[{time.time() - t0:.0f}s]", flush=True)
    lines = [
        "# PFN vs fitted GP on low-noise GP data",
        "",
        f"Command: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/low_noise.py --checkpoints {args.checkpoints} "
        f"--datasets {args.datasets} --ds {args.ds} --ns {args.ns} --out {args.out}`",
        f"Machine: {os.cpu_count()} cores, shared (load average at the end {os.getloadavg()[0]:.2f}); {time.time() - t0:.0f} s.",
        "Data: Matern-5/2 GP, v1 hyperprior on lengthscales and outputscale, noise variance log-uniform in",
        f"1e-6..1e-3 of the outputscale, {args.datasets} data sets per cell, {args.test_points} test points each.",
        "Mean test NLL in data units (lower is better); 'PFN - GP' is the paired mean difference +- its standard error.",
        "",
        "| d | n | " + " | ".join(f"{c} NLL | {c} - GP" for c in names) + " | fitted GP NLL | oracle NLL |",
        "|---:|---:|" + "---:|---:|" * len(names) + "---:|---:|",
    ]
    for r in rows:
        cols = " | ".join(f"{r[c]:.3f} | {r[c + '_minus_gp']:+.3f} +- {r[c + '_minus_gp_se']:.3f}" for c in names)
        lines.append(f"| {r['d']} | {r['n']} | {cols} | {r['fitted_gp']:.3f} | {r['oracle']:.3f} |")
    lines.append("")
    for c in names:
        wins = sum(r[c + "_minus_gp"] < 0 for r in rows)
        lines.append(f"- `{c}` better than the fitted GP in {wins} of {len(rows)} cells.")
    for c in names[1:]:  # each later checkpoint against the first, cell by cell
        lower = sum(r[c] < r[names[0]] for r in rows)
        lines.append(f"- `{c}` lower NLL than `{names[0]}` in {lower} of {len(rows)} cells.")
    Path(args.out).write_text("\n".join(lines) + "\n")
    Path(args.out).with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
