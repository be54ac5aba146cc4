"""Pruners on LCBench at equal total epochs: no pruning, Median, Hyperband, ASHA, CurvePFN (random sampling).

For every task and seed, each method runs a random search (the same configurations in the same order) until
``--budget-trials x 52`` epochs are spent; results go to a JSON-lines file one run at a time (``--resume``
skips runs already there), methods interleaved within each (task, seed). ``report.py`` turns the file into
the committed report and figure.

    nice -n 19 python benchmarks/multifidelity/lcbench_pruners.py --seeds 0,1 \
        --out benchmarks/results/multifidelity/runs.jsonl --resume
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict
from pathlib import Path

import torch

from pfnopt.multifidelity import LCBench
from pfnopt.multifidelity.compare import oracle, run_search
from pfnopt.pruners import CurvePFNPruner, HyperbandPruner, MedianPruner, NopPruner, SuccessiveHalvingPruner

METHODS = {
    "none": lambda: NopPruner(),
    "median": lambda: MedianPruner(),  # Optuna's defaults: 5 startup trials, no warm-up
    "hyperband": lambda: HyperbandPruner(min_resource=1, max_resource=52, reduction_factor=3),
    "asha": lambda: SuccessiveHalvingPruner(min_resource=1, reduction_factor=4),
    "curve-pfn": lambda: CurvePFNPruner(max_steps=52, threshold=0.05),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="all", help="comma-separated OpenML task ids, or 'all' (34)")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--budget-trials", type=int, default=30, help="epoch budget in full runs (x 52 epochs)")
    ap.add_argument("--oracle-n", type=int, default=1000, help="random configurations behind the regret's zero")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    bench = LCBench()
    tasks = bench.tasks if args.tasks == "all" else args.tasks.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    methods = args.methods.split(",")
    done = set()
    if args.resume and args.out.is_file():
        for line in args.out.read_text().splitlines():
            r = json.loads(line)
            done.add((r["task"], r["seed"], r["method"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    budget = args.budget_trials * 52
    with open(args.out, "a") as f:
        for task in tasks:
            best = None
            for seed in seeds:
                for m in methods:
                    if (task, seed, m) in done:
                        continue
                    if best is None:
                        best = oracle(bench, task, n=args.oracle_n)
                    r = run_search(bench, task, METHODS[m](), m, seed, budget)
                    rec = asdict(r) | {"oracle": best, "oracle_n": args.oracle_n, "load": os.getloadavg()[0], "time": time.time()}
                    f.write(json.dumps(rec) + "\n")
                    f.flush()
                    print(f"{task} seed {seed} {m}: regret {best - r.incumbent:.4f} trials {r.n_trials} "
                          f"({r.seconds:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
