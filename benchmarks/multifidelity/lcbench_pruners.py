"""Pruners on LCBench at equal total epochs: no pruning, Median, Hyperband, ASHA, CurvePFN, freeze-thaw.

For every task and seed, each method runs a search with ``--sampler`` (``random``: the same configurations
in the same order for every method; ``pfn``: pfnopt's PFN sampler, which sees the trials each method let
finish) until ``--budget-trials x 52`` epochs are spent; results go to a JSON-lines file one run at a time (``--resume``
skips runs already there), methods interleaved within each (task, seed). ``report.py`` turns the file into
the committed report and figure.

    nice -n 19 python benchmarks/multifidelity/lcbench_pruners.py --seeds 0,1 \
        --out benchmarks/results/multifidelity/runs.jsonl --resume

A CurvePFN variant is named ``curve-pfn/t=0.2/k=1/r=2/w=0`` (threshold, top_k, min_reports, n_warmup_steps;
omitted fields keep the defaults of ``METHODS['curve-pfn']``); ``freeze-thaw/f=first/c=2/s=0.01`` is
:class:`pfnopt.multifidelity.FreezeThaw` (fresh_estimate, chunk_epochs, stop_below; defaults otherwise).
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


CURVE_FIELDS = {"t": ("threshold", float), "k": ("top_k", int), "r": ("min_reports", int),
                "w": ("n_warmup_steps", int)}


def make_pruner(method: str):
    """The pruner of a method name (``METHODS`` or a ``curve-pfn/...`` variant)."""
    if method in METHODS:
        return METHODS[method]()
    name, *fields = method.split("/")
    if name != "curve-pfn" or not fields:
        raise SystemExit(f"unknown method {method!r}; allowed: {', '.join(METHODS)}, freeze-thaw, curve-pfn/t=../k=..")
    kwargs = {"max_steps": 52, "threshold": 0.05}
    for f in fields:
        key, _, val = f.partition("=")
        if key not in CURVE_FIELDS:
            raise SystemExit(f"unknown curve-pfn field {key!r} in {method!r}; allowed: {', '.join(CURVE_FIELDS)}")
        arg, cast = CURVE_FIELDS[key]
        kwargs[arg] = cast(val)
    return CurvePFNPruner(**kwargs)


FT_FIELDS = {"f": ("fresh_estimate", str), "c": ("chunk_epochs", int), "s": ("stop_below", float)}


def freeze_thaw_kwargs(method: str) -> dict:
    """``freeze-thaw/f=first/c=2`` -> FreezeThaw keyword arguments."""
    out = {}
    for f in method.split("/")[1:]:
        key, _, val = f.partition("=")
        if key not in FT_FIELDS:
            raise SystemExit(f"unknown freeze-thaw field {key!r} in {method!r}; allowed: {', '.join(FT_FIELDS)}")
        arg, cast = FT_FIELDS[key]
        out[arg] = cast(val)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="all", help="comma-separated OpenML task ids, or 'all' (34)")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--budget-trials", type=int, default=30, help="epoch budget in full runs (x 52 epochs)")
    ap.add_argument("--oracle-n", type=int, default=1000, help="random configurations behind the regret's zero")
    ap.add_argument("--sampler", default="random", choices=["random", "pfn"])
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
            done.add((r["task"], r["seed"], r["method"], r.get("sampler", "random")))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    budget = args.budget_trials * 52
    with open(args.out, "a") as f:
        for task in tasks:
            best = None
            for seed in seeds:
                for m in methods:
                    if (task, seed, m, args.sampler) in done:
                        continue
                    if best is None:
                        best = oracle(bench, task, n=args.oracle_n)
                    if m.startswith("freeze-thaw"):
                        from pfnopt.multifidelity.compare import run_freeze_thaw

                        r = run_freeze_thaw(bench, task, m, seed, budget, sampler=args.sampler, **freeze_thaw_kwargs(m))
                    else:
                        r = run_search(bench, task, make_pruner(m), m, seed, budget, sampler=args.sampler)
                    rec = asdict(r) | {"sampler": args.sampler, "oracle": best, "oracle_n": args.oracle_n,
                                       "load": os.getloadavg()[0], "time": time.time()}
                    f.write(json.dumps(rec) + "\n")
                    f.flush()
                    print(f"{task} seed {seed} {m} ({args.sampler}): regret {best - r.incumbent:.4f} trials {r.n_trials} "
                          f"({r.seconds:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
