"""Median final gap per problem of a suite's committed cells at a git revision vs the working tree.

For a change of a sampler's rule: the runner redoes the affected cells in place, so the cells before the
change live in git history. This prints, per method, the median final gap over the seeds of each problem at
``--base`` and now, and on how many problems the current cells are better:

    .venv/bin/python benchmarks/samplers/compare_cells.py --base dda0c06 --methods pfn-cei,pfn-cei+,pfn-penalty
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def final_gap(text: str) -> float:
    gap = json.loads(text)["final_gap"]
    return math.inf if gap is None else float(gap)


def medians(suite_dir: str, problem: str, method: str, seeds: list[int], base: str) -> tuple[float, float]:
    old, new = [], []
    for s in seeds:
        rel = f"{suite_dir}/cells/{problem}/{method}/seed{s}.json"
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{base}:{rel}"], capture_output=True, text=True)
        if shown.returncode != 0 or not (ROOT / rel).is_file():
            continue
        old.append(final_gap(shown.stdout))
        new.append(final_gap((ROOT / rel).read_text()))
    return (float(np.median(old)), float(np.median(new))) if old else (math.nan, math.nan)


def main() -> None:
    from pfnopt import problems as registry

    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="git revision holding the earlier cells")
    ap.add_argument("--suite", default="engineering")
    ap.add_argument("--methods", default="pfn-cei,pfn-cei+,pfn-penalty")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    args = ap.parse_args()
    suite_dir = f"benchmarks/results/{args.suite}"
    seeds = [int(s) for s in args.seeds.split(",")]
    for method in args.methods.split(","):
        rows, better, n = [], 0, 0
        for problem in registry.names(args.suite):
            a, b = medians(suite_dir, problem, method, seeds, args.base)
            if math.isnan(a):
                continue
            n += 1
            better += b < a
            rows.append(f"{problem} {a:.3g} -> {b:.3g}")
        print(f"{method}: now better on {better} of {n} problems; " + "; ".join(rows))


if __name__ == "__main__":
    main()
