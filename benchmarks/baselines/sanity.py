"""Sanity run of the baselines: best feasible value and seconds per suggestion, per method.

Also runs Optuna's samplers natively (``optuna.create_study`` + ``study.optimize``, constraints
by ``trial.set_constraint``, Optuna's own random startup of the same size) next to pfnopt's
``optuna-*`` wrappers, to check that the wrappers (stateless mirror, shared Sobol design)
perform like Optuna itself. Small on purpose: a check, not the benchmark.

Run (from the repository root):
    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/baselines/sanity.py \
        --problems three_bar_truss pressure_vessel --seeds 3 --n-trials 40
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pfnopt  # noqa: E402
from pfnopt import problems  # noqa: E402
from pfnopt.samplers import get_sampler  # noqa: E402
from pfnopt.samplers.gp import default_n_startup  # noqa: E402
from pfnopt.space import Categorical, Float, Int  # noqa: E402

METHODS = ["sobol", "gp-ei", "gp-cei", "gp-penalty", "optuna-tpe", "optuna-gp", "native-tpe", "native-gp"]
# also available: "native-gp-fresh", Optuna's own loop with a new GPSampler per trial (no kernel
# warm start between trials, like pfnopt's stateless optuna-gp), to isolate that one difference


def run_pfnopt(problem, method: str, seed: int, n_trials: int) -> tuple[float, float]:
    study = pfnopt.create_study(sampler=get_sampler(method, seed=seed))
    study.optimize(problem.objective, n_trials=n_trials)
    trials = study.get_trials()
    secs = statistics.mean(t.system_attrs.get("sampler_seconds", 0.0) for t in trials)
    feas = [t.values[0] for t in trials if t.values and t.feasible]
    return (min(feas) if feas else float("nan")), secs


def run_native(problem, kind: str, seed: int, n_trials: int) -> tuple[float, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    n0 = default_n_startup(problem.dim)
    fresh = kind == "gp-fresh"
    kind = "gp" if fresh else kind
    sampler = (
        optuna.samplers.TPESampler(seed=seed, n_startup_trials=n0)
        if kind == "tpe"
        else optuna.samplers.GPSampler(seed=seed, n_startup_trials=n0)
    )
    study = optuna.create_study(sampler=sampler)
    times: list[float] = []

    def objective(trial):
        t0 = time.perf_counter()
        params = {}
        for name, d in problem.space.items():
            if isinstance(d, Float):
                params[name] = trial.suggest_float(name, d.low, d.high, log=d.log, step=d.step)
            elif isinstance(d, Int):
                params[name] = trial.suggest_int(name, d.low, d.high, log=d.log, step=d.step)
            elif isinstance(d, Categorical):
                params[name] = trial.suggest_categorical(name, list(d.choices))
        times.append(time.perf_counter() - t0)
        f, g = problem.evaluate_params(params)
        for i, v in enumerate(g):
            trial.set_constraint(str(i), float(v))
        return f

    def renew(study, trial) -> None:  # a new sampler per trial: no state carried between trials
        study.sampler = optuna.samplers.GPSampler(seed=seed * 100_003 + trial.number + 1, n_startup_trials=n0)

    study.optimize(objective, n_trials=n_trials, callbacks=[renew] if fresh else None)
    feas = [t.value for t in study.trials if t.value is not None and all(v <= 0 for v in t.constraints.values())]
    return (min(feas) if feas else float("nan")), statistics.mean(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--problems", nargs="+", default=["three_bar_truss", "pressure_vessel"])
    ap.add_argument("--methods", nargs="+", default=METHODS)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--n-trials", type=int, default=40)
    ap.add_argument("--json", type=str, default=None)
    args = ap.parse_args()
    logging.getLogger("pfnopt").setLevel(logging.ERROR)
    out = []
    for pname in args.problems:
        problem = problems.get(pname)
        print(f"{pname}: d={problem.dim}, m={problem.n_constraints}, optimum={problem.optimum}", flush=True)
        for method in args.methods:
            bests, secs = [], []
            for seed in range(args.seeds):
                if method.startswith("native-"):
                    b, s = run_native(problem, method.split("-", 1)[1], seed, args.n_trials)
                else:
                    b, s = run_pfnopt(problem, method, seed, args.n_trials)
                bests.append(b)
                secs.append(s)
            med = float(np.nanmedian(bests)) if not all(np.isnan(bests)) else float("nan")
            out.append({"problem": pname, "method": method, "best": bests, "s_per_suggestion": secs})
            print(
                f"  {method:11s} median best {med:12.6g}  bests {[round(b, 4) for b in bests]}"
                f"  s/suggestion {statistics.mean(secs):.3f}",
                flush=True,
            )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
