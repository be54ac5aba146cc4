"""Symmetry ensemble (``research.posterior(pfn, ..., ensemble=k)``): NLL on the fidelity data sets for several ``k``.

The data sets are exactly those of ``fidelity.py`` (same prior, same seeds), so the ``k = 1`` column equals
its PFN column. Differences are paired over the data sets. Also records the cost per posterior call.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/ensemble.py
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from pfnopt.surrogate import load_pfn, research
from pfnopt.surrogate.priors import GPPrior


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--datasets", type=int, default=16)
    ap.add_argument("--test-points", type=int, default=50)
    ap.add_argument("--ds", default="1,2,5,10,20")
    ap.add_argument("--ns", default="5,20,50,100,200")
    ap.add_argument("--ks", default="1,4,8")
    ap.add_argument("--seed", type=int, default=12345)  # fidelity.py's default: the same data sets
    ap.add_argument("--out", default="benchmarks/pfn/results/ensemble.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    pfn = load_pfn(args.checkpoint)
    prior = GPPrior(p_clustered=0.0, samples_per_draw=1)
    ks = [int(v) for v in args.ks.split(",")]
    cells = []
    for d in [int(v) for v in args.ds.split(",")]:
        for n in [int(v) for v in args.ns.split(",")]:
            g = torch.Generator().manual_seed(args.seed + 1000 * d + n)
            batch = prior.sample(args.datasets, n + args.test_points, pfn.d_max, g, d=d)
            nll = {k: [] for k in ks}
            secs = {k: 0.0 for k in ks}
            for i in range(args.datasets):
                x, y = batch.x[i, :, :d].double(), batch.y[i].double()
                for k in ks:
                    t = time.perf_counter()
                    post = research.posterior(pfn, x[:n], y[:n, None], x[n:], ensemble=k)
                    secs[k] += time.perf_counter() - t
                    nll[k].append(-float(post.log_prob(y[n:, None]).mean()))
            base = torch.tensor(nll[ks[0]])
            cell = {"d": d, "n": n, "datasets": args.datasets}
            for k in ks:
                v = torch.tensor(nll[k])
                cell[f"nll_k{k}"] = round(float(v.mean()), 4)
                cell[f"ms_k{k}"] = round(1000 * secs[k] / args.datasets, 2)
                if k != ks[0]:
                    diff = v - base
                    cell[f"diff_k{k}"] = round(float(diff.mean()), 4)
                    cell[f"diff_k{k}_se"] = round(float(diff.std() / len(diff) ** 0.5), 4)
            cells.append(cell)
            print(json.dumps(cell), flush=True)
    out = {"checkpoint_step": pfn.record.get("step"), "args": vars(args), "ks": ks, "cells": cells}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
