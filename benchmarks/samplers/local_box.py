"""The PFN sampler's local box, measured: ``PFNSampler(local=True)`` (the default) vs ``local=False``.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/samplers/local_box.py

Per problem and seed, both rules start from the same 10 scrambled-Sobol points (the sampler's own
initial design for the seed) and make 40 model-based suggestions; runs are interleaved (the rule
order alternates by seed). Reported: median [25 %, 75 %] over seeds of the final gap (best feasible
value minus the known optimum; +inf when nothing feasible was found), and the number of seeds on
which the box was strictly better / worse. Writes ``local_box.md`` and ``local_box.json`` next to
this file.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import subprocess
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import pfnopt  # noqa: E402
from pfnopt import problems  # noqa: E402
from pfnopt.samplers.pfn import PFNSampler  # noqa: E402

HERE = Path(__file__).resolve().parent
PROBLEMS = ["branin", "hartmann_6d", "ackley_5d", "gramacy", "welded_beam", "pressure_vessel", "speed_reducer"]


def run(name: str, seed: int, local: bool, budget: int, init: int) -> float:
    p = problems.get(name)
    study = pfnopt.create_study(sampler=PFNSampler(seed=seed, n_startup=init, local=local))
    study.optimize(p.objective, n_trials=budget)
    feasible = [t.value for t in study.trials if t.feasible]
    return (min(feasible) - p.optimum) if feasible else math.inf


def quartiles(v: list[float]) -> tuple[float, float, float]:
    a = np.sort(np.asarray(v, float))
    q = [a[min(len(a) - 1, int(round(f * (len(a) - 1))))] for f in (0.25, 0.5, 0.75)]
    return float(q[0]), float(q[1]), float(q[2])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--budget", type=int, default=50)
    ap.add_argument("--init", type=int, default=10)
    ap.add_argument("--problems", default=",".join(PROBLEMS))
    args = ap.parse_args()
    rows = []
    for name in args.problems.split(","):
        gaps = {True: [], False: []}
        for seed in range(args.seeds):
            for local in ((True, False) if seed % 2 == 0 else (False, True)):
                gaps[local].append(run(name, seed, local, args.budget, args.init))
        better = sum(a < b for a, b in zip(gaps[True], gaps[False]))
        worse = sum(a > b for a, b in zip(gaps[True], gaps[False]))
        rows.append({"problem": name, "local": gaps[True], "global": gaps[False], "better": better, "worse": worse})
        print(name, {k: [round(x, 4) for x in v] for k, v in gaps.items()}, flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout
    load = os.getloadavg()
    meta = {
        "when": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/samplers/local_box.py",
        "args": vars(args), "commit": commit.strip(), "machine": platform.platform(), "load_average_end": load,
    }
    (HERE / "local_box.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")

    def fmt(v: list[float]) -> str:
        q = quartiles(v)
        return f"{q[1]:.4g} [{q[0]:.3g}, {q[2]:.3g}]"

    lines = [
        "# PFN sampler: local box vs whole cube",
        "",
        f"Written by `benchmarks/samplers/local_box.py` ({meta['when']}, commit {meta['commit']}). Command:",
        "",
        f"    {meta['command']}",
        "",
        f"{args.seeds} seeds, {args.budget} evaluations ({args.init} shared Sobol points + "
        f"{args.budget - args.init} suggestions), default `pfn-cei` otherwise. Final gap = best feasible value "
        "minus the known optimum: median [25 %, 75 %] over seeds. `box better / worse`: seeds on which "
        "`local=True` ended strictly lower / higher than `local=False` from the same initial design.",
        "",
        "| problem | local box (default) | whole cube | box better / worse |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['problem']} | {fmt(r['local'])} | {fmt(r['global'])} | {r['better']} / {r['worse']} |")
    lines += ["", f"Machine: {meta['machine']}; 1-min load average at the end {load[0]:.2f} (shared machine)."]
    (HERE / "local_box.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
