"""Per-suggestion overhead of the PFN sampler, this tree against an older one, interleaved in one run; and a
check that both propose the same points.

    git worktree add /tmp/old 515b952
    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 nice .venv/bin/python benchmarks/samplers/overhead_old_new.py \\
        --old /tmp/old --rounds 3 --out benchmarks/samplers/overhead_old_new.json

Two versions of one package cannot share a process, so each measurement is a subprocess running this
file with ``--inner`` under ``PYTHONPATH=<tree>``; rounds alternate the order (old, new), (new, old), ...
Inside, for each cell (``d`` parameters, ``n`` finished trials, 2 constraints, method ``pfn-cei`` or
``pfn-penalty``) a fresh in-memory study gets the same ``n`` uniform points (numpy seed 7) through
``enqueue_trial``, then ``steps`` model-based suggestions are timed one by one (``sampler_seconds``, the
sampler's own wall time as the study records it), each told before the next. The first suggestion of a
process loads torch and the checkpoint; an untimed warm-up on a small study takes that cost first.

The suggested parameters of both trees are compared exactly (same seed, same trials, same numbers).
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
CELLS = [(2, 20, "pfn-cei"), (2, 60, "pfn-penalty"), (6, 30, "pfn-cei"), (6, 80, "pfn-cei")]


def objective(x: list[float]) -> tuple[float, list[float]]:
    """Styblinski-Tang on ``10 x - 5`` with a ball and a linear constraint (feasible iff <= 0)."""
    z = [10.0 * v - 5.0 for v in x]
    f = 0.5 * sum(t**4 - 16 * t**2 + 5 * t for t in z)
    d = len(x)
    return f, [sum((v - 0.5) ** 2 for v in x) - 0.1 * d, sum(x) - 0.58 * d]


def inner(steps: int) -> None:
    import logging

    import numpy as np

    import pfnopt
    from pfnopt.samplers import get_sampler
    from pfnopt.space import Float

    logging.disable(logging.WARNING)
    out = []
    sampler_by = {m: get_sampler(m, seed=3, n_startup=5) for m in {c[2] for c in CELLS}}
    for (d, n, method) in [(2, 8, "pfn-cei"), *CELLS]:
        warm = (d, n) == (2, 8)
        space = {f"x{i}": Float(0.0, 1.0) for i in range(d)}
        study = pfnopt.create_study(sampler=sampler_by[method])
        for row in np.random.default_rng(7).random((n, d)):
            study.enqueue_trial({f"x{i}": float(v) for i, v in enumerate(row)})
        for _ in range(n):
            t = study.ask(space)
            f, c = objective([t.params[f"x{i}"] for i in range(d)])
            study.tell(t, f, constraints=c)
        for _ in range(1 if warm else steps):
            t = study.ask(space)
            x = [t.params[f"x{i}"] for i in range(d)]
            f, c = objective(x)
            study.tell(t, f, constraints=c)
            secs = study.trials[-1].system_attrs.get("sampler_seconds")
            if not warm:
                out.append({"d": d, "n": n, "method": method, "params": x, "sampler_seconds": secs})
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inner", action="store_true")
    ap.add_argument("--old", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "samplers" / "overhead_old_new.json")
    args = ap.parse_args()
    if args.inner:
        inner(args.steps)
        return
    trees = {"new": ROOT, "old": args.old.resolve()}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(OMP_WAIT_POLICY="PASSIVE", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    runs: list[dict] = []
    for r in range(args.rounds):
        for name in (("old", "new") if r % 2 == 0 else ("new", "old")):
            proc = subprocess.run([sys.executable, __file__, "--inner", "--steps", str(args.steps)],
                                  env={**env, "PYTHONPATH": str(trees[name])}, capture_output=True, text=True,
                                  check=False)
            if proc.returncode != 0:
                raise RuntimeError(f"{name} failed: {proc.stderr[-3000:]}")
            rows = json.loads(proc.stdout.strip().splitlines()[-1])
            runs.append({"round": r, "tree": name, "rows": rows})
            print(f"round {r} {name}: {sum(x['sampler_seconds'] for x in rows):.2f} s", file=sys.stderr, flush=True)
    # same points? every run of either tree must agree with the first old run
    ref = [x["params"] for x in next(run for run in runs if run["tree"] == "old")["rows"]]
    identical = {f"{run['tree']}/round{run['round']}": [x["params"] for x in run["rows"]] == ref for run in runs}
    summary = []
    for (d, n, method) in CELLS:
        cell = {"d": d, "n": n, "method": method}
        for name in trees:
            secs = [x["sampler_seconds"] for run in runs if run["tree"] == name for x in run["rows"]
                    if (x["d"], x["n"], x["method"]) == (d, n, method)]
            cell[f"{name}_median_s"] = statistics.median(secs)
        cell["new_over_old"] = cell["new_median_s"] / cell["old_median_s"]
        summary.append(cell)
    load = os.getloadavg()
    args.out.write_text(json.dumps({"command": " ".join(sys.argv), "loadavg": load, "identical_points": identical,
                                    "summary": summary, "runs": runs}, indent=1) + "\n")
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"identical points (vs the first old run): {identical}\n")
    print("| d | n | method | old median s/suggestion | new median s/suggestion | new / old |\n|---|---|---|---|---|---|")
    for c in summary:
        print(f"| {c['d']} | {c['n']} | {c['method']} | {c['old_median_s']:.3f} | {c['new_median_s']:.3f} | "
              f"{c['new_over_old']:.2f} |")


if __name__ == "__main__":
    main()
