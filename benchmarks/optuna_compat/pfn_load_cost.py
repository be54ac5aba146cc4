"""Cost of loading the shipped PFN in a fresh process, after ``import torch``: this tree against another.

Each round runs one fresh process per tree (interleaved, so background load hits both alike); each process
imports torch, then times ``load_pfn()`` with ``time.perf_counter`` and reports whether ``torch._dynamo`` and
``sympy`` got imported on the way (the meta-device shape check imported both).

    git worktree add /tmp/old <commit>
    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 nice .venv/bin/python benchmarks/optuna_compat/pfn_load_cost.py \\
        --old /tmp/old --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys, time
import torch
t0 = time.perf_counter()
from pfnopt.surrogate.pfn import load_pfn
load_pfn()
print(json.dumps({"load_s": time.perf_counter() - t0,
                  "dynamo": "torch._dynamo" in sys.modules, "sympy": "sympy" in sys.modules}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="a checkout of the code to compare with")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    trees = {"new": ROOT, "old": args.old.resolve()}
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    rows: dict[str, list[dict]] = {name: [] for name in trees}
    for r in range(args.rounds):
        for name, tree in trees.items():
            out = subprocess.run([sys.executable, "-c", PROBE], env={**base, "PYTHONPATH": str(tree)}, cwd="/tmp",
                                 capture_output=True, text=True, check=True)
            rows[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"round {r} {name}: {rows[name][-1]}", file=sys.stderr, flush=True)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print("| tree | median load_pfn() after import torch (s) | runs | imports torch._dynamo | imports sympy |")
    print("|---|---|---|---|---|")
    for name, rs in rows.items():
        print(f"| {name} | {statistics.median(x['load_s'] for x in rs):.2f} | {len(rs)} | "
              f"{'yes' if all(x['dynamo'] for x in rs) else 'no'} | {'yes' if all(x['sympy'] for x in rs) else 'no'} |")


if __name__ == "__main__":
    main()
