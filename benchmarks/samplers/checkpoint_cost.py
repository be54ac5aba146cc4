"""What a checkpoint costs per suggestion: PFNSampler's seconds per ``ask`` with each checkpoint, interleaved.

The question it answers: how much slower does a larger model (``checkpoints/v2-deep``: six blocks against the
default's four) make one BO iteration, everything else equal? For each engineering problem one history is
built first (the shared 20-point design, then PFN suggestions up to ``--trials`` trials); every checkpoint's
sampler then sees exactly that history (trials copied into its own in-memory study), and the suggestions are
timed in interleaved rounds (one ``ask`` per checkpoint per round; each asked trial is failed again so that the
history stays the same). The first round is a warm-up (loading, first-call work) and is not counted. The
record says the 1-minute load average at the start and the end: on a shared 2-core machine that moves every
figure, but not the ratios of an interleaved run much.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python \\
        benchmarks/samplers/checkpoint_cost.py --checkpoints default,/tmp/v2-deep-snap --out benchmarks/samplers/checkpoint_cost

(``/tmp/v2-deep-snap``: a copy of ``checkpoints/v2-deep`` taken first, because the training run rewrites that
folder whenever its validation improves.)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ROOT / "pfnopt" / "surrogate" / "checkpoints"


def _folder(name: str) -> str:
    return str(PACKAGED / name) if (PACKAGED / name).is_dir() and "/" not in name else name


def measure(problems: list[str], checkpoints: list[str], trials: int, rounds: int) -> list[dict]:
    import pfnopt
    from pfnopt import TrialState
    from pfnopt import problems as registry
    from pfnopt.bench.cells import shared_design
    from pfnopt.samplers.pfn import PFNSampler
    from pfnopt.surrogate.checkpoint import read_config

    rows = []
    for name in problems:
        p = registry.get(name)
        history = pfnopt.create_study(sampler=PFNSampler(seed=0, n_startup=20))
        for params in shared_design(p, 20, 0):
            history.enqueue_trial(params)
        history.optimize(p.objective, n_trials=trials)
        studies = {}
        for ck in checkpoints:
            study = pfnopt.create_study(sampler=PFNSampler(seed=0, n_startup=20, checkpoint=_folder(ck)))
            for t in history.trials:
                study.add_trial(t)
            studies[ck] = study
        seconds: dict[str, list[float]] = {ck: [] for ck in checkpoints}
        for r in range(rounds + 1):
            for ck, study in studies.items():
                t0 = time.perf_counter()
                trial = study.ask(dict(p.space))
                if r:
                    seconds[ck].append(time.perf_counter() - t0)
                study.tell(trial, state=TrialState.FAIL)
        for ck in checkpoints:
            cfg = read_config(Path(_folder(ck)))
            rows.append({"problem": name, "d": p.dim, "m": p.n_constraints, "n": trials, "checkpoint": ck,
                         "n_layer": cfg["train"]["model"]["n_layer"], "step": cfg.get("step"),
                         "median_s": round(statistics.median(seconds[ck]), 4), "seconds": seconds[ck]})
        print(name, {r["checkpoint"]: r["median_s"] for r in rows if r["problem"] == name}, flush=True)
    return rows


def _label(rows: list[dict], ck: str) -> str:
    """``name (step S, L blocks)`` of a checkpoint folder (a snapshot copy keeps its folder's last name; a run's
    frozen snapshot, ``runs/<run>/snapshots/<name>``, is named ``<run>/<name>``)."""
    r = next(r for r in rows if r["checkpoint"] == ck)
    path = Path(ck)
    name = f"{path.parent.parent.name}/{path.name}" if path.parent.name == "snapshots" else path.name.removesuffix("-snap")
    return f"{name} (step {r['step']}, {r['n_layer']} blocks)"


def report(rows: list[dict], checkpoints: list[str], meta: dict) -> str:
    names = {c: _label(rows, c) for c in checkpoints}
    ref = checkpoints[0]
    lines = ["# Seconds per suggestion by checkpoint (interleaved)", "",
             "Written by `benchmarks/samplers/checkpoint_cost.py` (command in its docstring). Median seconds per",
             f"`ask` over {meta['rounds']} interleaved rounds after a warm-up, on one history per problem "
             f"(n = {meta['trials']} trials); ratio against `{names[ref]}`. 1-minute load average at start / end: "
             f"{meta['load_start']:.2f} / {meta['load_end']:.2f} (2 cores).", "",
             "| problem | d | constraints | " + " | ".join(f"{names[c]} (s)" for c in checkpoints)
             + " | " + " | ".join(f"ratio {names[c].split(' ')[0]}" for c in checkpoints[1:]) + " |",
             "|---|---|---|" + "---|" * (2 * len(checkpoints) - 1)]
    ratios: dict[str, list[float]] = {c: [] for c in checkpoints[1:]}
    for problem in dict.fromkeys(r["problem"] for r in rows):
        by = {r["checkpoint"]: r for r in rows if r["problem"] == problem}
        cells = [f"{by[c]['median_s']:.3f}" for c in checkpoints]
        for c in checkpoints[1:]:
            ratios[c].append(by[c]["median_s"] / by[ref]["median_s"])
        first = by[ref]
        lines.append(f"| {problem} | {first['d']} | {first['m']} | " + " | ".join(cells) + " | "
                     + " | ".join(f"{ratios[c][-1]:.2f}" for c in checkpoints[1:]) + " |")
    lines.append("")
    for c in checkpoints[1:]:
        lines.append(f"Median ratio `{names[c]}` / `{names[ref]}` over the problems: {statistics.median(ratios[c]):.2f}.")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoints", default="default,v2-deep", help="packaged names or folders; the first is the reference")
    ap.add_argument("--problems", default="cantilever_beam,car_side_impact,heat_exchanger,pressure_vessel,speed_reducer,welded_beam")
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", default="benchmarks/samplers/checkpoint_cost")
    ap.add_argument("--report-only", action="store_true", help="rewrite the .md from the .json of an earlier run")
    args = ap.parse_args()
    out = Path(args.out)
    if args.report_only:
        rec = json.loads(out.with_suffix(".json").read_text())
        checkpoints = list(dict.fromkeys(r["checkpoint"] for r in rec["rows"]))
        out.with_suffix(".md").write_text(report(rec["rows"], checkpoints, rec["meta"]))
        print(out.with_suffix(".md").read_text())
        return
    logging.disable(logging.WARNING)
    import torch

    torch.set_num_threads(1)
    checkpoints = args.checkpoints.split(",")
    meta = {"trials": args.trials, "rounds": args.rounds, "load_start": os.getloadavg()[0]}
    rows = measure(args.problems.split(","), checkpoints, args.trials, args.rounds)
    meta["load_end"] = os.getloadavg()[0]
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    out.with_suffix(".md").write_text(report(rows, checkpoints, meta))
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
