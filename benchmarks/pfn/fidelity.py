"""Fidelity and calibration of the PFN on held-out GP-prior data sets (hyperparameters known to the references).

Per cell d x n: mean test NLL (nats per test point, data units) of the PFN, the Bayes-optimal predictor of the
GP prior (importance sampling over the hyperprior; d <= 5), the oracle GP (true hyperparameters) and BoTorch's
SingleTaskGP fitted by maximum likelihood; plus the PFN's coverage of its 50% and 90% central intervals.
The held-out data sets use uniform designs (p_clustered = 0), so the GP references are exact.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/fidelity.py \
        --datasets 16 --out benchmarks/pfn/results/fidelity.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from references import bayes_logpdf, fitted_gp, gauss_logpdf, oracle_logpdf  # noqa: E402

from pfnopt.surrogate import load_pfn  # noqa: E402
from pfnopt.surrogate.priors import GPPrior  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--datasets", type=int, default=16)
    ap.add_argument("--test-points", type=int, default=50)
    ap.add_argument("--is-samples", type=int, default=2048)
    ap.add_argument("--ds", default="1,2,5,10,20")
    ap.add_argument("--ns", default="5,20,50,100,200")
    ap.add_argument("--no-fit", action="store_true", help="skip the fitted GP (fast runs)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--out", default="benchmarks/pfn/results/fidelity.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    pfn = load_pfn(args.checkpoint)
    prior = GPPrior(p_clustered=0.0, samples_per_draw=1)
    d_max = pfn.d_max
    cells = []
    t0 = time.time()

    def write(cells: list[dict], complete: bool) -> None:
        _write(args, pfn, t0, cells, complete)

    for d in [int(v) for v in args.ds.split(",")]:
        for n in [int(v) for v in args.ns.split(",")]:
            g = torch.Generator().manual_seed(args.seed + 1000 * d + n)
            batch = prior.sample(args.datasets, n + args.test_points, d_max, g, d=d)
            res = {"pfn": [], "oracle": [], "bayes": [], "fitted_gp": [], "cov50": [], "cov90": [], "ess": []}
            for i in range(args.datasets):
                x = batch.x[i, :, :d].double()
                y = batch.y[i].double()
                h = {k: v[i] for k, v in batch.extras["hypers"].items()}
                xc, yc, xt, yt = x[:n], y[:n], x[n:], y[n:]
                post = pfn.posterior(xc, yc[:, None], xt)
                res["pfn"].append(-float(post.log_prob(yt[:, None]).mean()))
                lo50, hi50 = post.quantile(0.25)[:, 0], post.quantile(0.75)[:, 0]
                lo90, hi90 = post.quantile(0.05)[:, 0], post.quantile(0.95)[:, 0]
                res["cov50"].append(float(((yt >= lo50) & (yt <= hi50)).double().mean()))
                res["cov90"].append(float(((yt >= lo90) & (yt <= hi90)).double().mean()))
                xpad = batch.x[i].double()
                res["oracle"].append(-float(oracle_logpdf(xpad[:n], yc, xpad[n:], yt, h).mean()))
                if d <= 5:
                    gi = torch.Generator().manual_seed(args.seed + i)
                    lp, ess = bayes_logpdf(xpad[:n], yc, xpad[n:], yt, d, d_max, args.is_samples, gi, prior)
                    res["bayes"].append(-float(lp.mean()))
                    res["ess"].append(ess)
                if not args.no_fit:
                    m, v = fitted_gp(xc, yc, xt)
                    res["fitted_gp"].append(-float(gauss_logpdf(yt, m, v).mean()))
            cell = {"d": d, "n": n, "datasets": args.datasets}
            for k, v in res.items():
                if v:
                    t = torch.tensor(v)
                    cell[k] = round(float(t.mean()), 4)
                    if k in ("pfn", "oracle", "bayes", "fitted_gp"):
                        cell[k + "_se"] = round(float(t.std() / len(v) ** 0.5), 4)
            # paired differences (the same data sets)
            p = torch.tensor(res["pfn"])
            for ref in ("bayes", "oracle", "fitted_gp"):
                if res[ref]:
                    diff = p - torch.tensor(res[ref])
                    cell[f"pfn_minus_{ref}"] = round(float(diff.mean()), 4)
                    cell[f"pfn_minus_{ref}_se"] = round(float(diff.std() / len(diff) ** 0.5), 4)
            cells.append(cell)
            print(json.dumps(cell), f"[{time.time() - t0:.0f}s]", flush=True)
            write(cells, complete=False)  # partial results survive an interruption
    write(cells, complete=True)


def _write(args, pfn, t0: float, cells: list[dict], complete: bool) -> None:
    out = {
        "checkpoint_step": pfn.record.get("step"),
        "checkpoint_datasets_seen": pfn.record.get("datasets_seen"),
        "checkpoint_val_nll": pfn.record.get("val_nll"),
        "args": vars(args),
        "seconds": round(time.time() - t0, 1),
        "complete": complete,
        "cells": cells,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
