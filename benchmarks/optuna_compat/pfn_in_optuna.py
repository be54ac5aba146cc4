"""The PFN sampler inside Optuna's loop vs pfnopt's own ``pfn`` sampler, same problems and seeds.

Each (problem, seed) runs both arms back to back (order alternating with the seed), ``--trials``
trials each, default PFN settings, both starting from the same enqueued initial design (the
benchmark's shared scrambled-Sobol points, ``--init`` of them, default ``min(max(5, 2d), 20)``), so
both see the same history when the model takes over; reported: the best feasible value at the end per arm and its
relative gap to the best known optimum, medians over seeds. Writes ``--out`` (markdown).

    python benchmarks/optuna_compat/pfn_in_optuna.py --problems three_bar_truss tension_compression_spring \
        welded_beam --seeds 0 1 2 --trials 25
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def best_feasible(pairs) -> float:
    vals = [f for f, cons in pairs if cons is not None and all(c <= 0 for c in cons)]
    return min(vals) if vals else math.inf


def design(problem, seed: int, init: int) -> list[dict]:
    from pfnopt.bench.cells import shared_design

    return shared_design(problem, init, seed)


def run_pfnopt(problem, seed: int, n: int, init: int) -> float:
    import pfnopt
    from pfnopt.samplers import get_sampler

    study = pfnopt.create_study(sampler=get_sampler("pfn", seed=seed, n_startup=init))
    for params in design(problem, seed, init):
        study.enqueue_trial(params)
    study.optimize(problem.objective, n_trials=n)
    return best_feasible((t.value, t.constraints) for t in study.trials if t.value is not None)


def run_optuna(problem, seed: int, n: int, init: int) -> float:
    import optuna

    from pfnopt.integrations.optuna import PFNSampler
    from pfnopt.space import Categorical, Float

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        params = {}
        for name, d in problem.space.items():
            if isinstance(d, Float):
                params[name] = trial.suggest_float(name, d.low, d.high, log=d.log, step=d.step)
            elif isinstance(d, Categorical):
                params[name] = trial.suggest_categorical(name, list(d.choices))
            else:
                params[name] = trial.suggest_int(name, d.low, d.high, log=d.log, step=d.step)
        f, g = problem.evaluate_params(params)
        for i, c in enumerate(g):
            trial.set_constraint(f"g{i}", float(c))
        return f

    study = optuna.create_study(sampler=PFNSampler(seed=seed, n_startup=init))
    for params in design(problem, seed, init):
        study.enqueue_trial(params)
    study.optimize(objective, n_trials=n)
    return best_feasible((t.value, list(t.constraints.values())) for t in study.trials if t.value is not None)


def gap(value: float, optimum: float | None) -> float:
    if optimum is None or not math.isfinite(value):
        return math.inf
    return abs(value - optimum) / (abs(optimum) if optimum else 1.0)


def main() -> None:
    from pfnopt import problems

    ap = argparse.ArgumentParser()
    ap.add_argument("--problems", nargs="+", default=["three_bar_truss", "tension_compression_spring", "welded_beam"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--trials", type=int, default=25)
    ap.add_argument("--init", type=int, default=None, help="initial design size (default min(max(5, 2d), 20))")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/pfn_in_optuna.md"))
    args = ap.parse_args()
    rows, load0 = [], os.getloadavg()
    t_start = time.time()
    for name in args.problems:
        res = {"pfnopt": [], "optuna": []}
        secs = {"pfnopt": 0.0, "optuna": 0.0}
        for seed in args.seeds:
            order = ("pfnopt", "optuna") if seed % 2 == 0 else ("optuna", "pfnopt")
            for arm in order:
                problem = problems.get(name)
                t0 = time.perf_counter()
                init = args.init or min(max(5, 2 * len(problem.space)), 20)
                best = (run_pfnopt if arm == "pfnopt" else run_optuna)(problem, seed, args.trials, init)
                secs[arm] += time.perf_counter() - t0
                res[arm].append(best)
                print(f"{name} seed {seed} {arm}: best feasible {best:.6g} gap {gap(best, problem.optimum):.4g}", flush=True)
        opt = problems.get(name).optimum
        rows.append((name, opt, res, secs))
    load1 = os.getloadavg()
    cmd = ("python benchmarks/optuna_compat/pfn_in_optuna.py --problems " + " ".join(args.problems)
           + " --seeds " + " ".join(map(str, args.seeds)) + f" --trials {args.trials}"
           + (f" --init {args.init}" if args.init else ""))
    lines = [
        "# The PFN sampler inside Optuna vs pfnopt's own `pfn` sampler",
        "",
        f"Command: `{cmd}` (OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1, CPU; {time.time() - t_start:.0f} s in all; "
        f"load average {load0[0]:.2f} at the start, {load1[0]:.2f} at the end, on a shared 2-core machine).",
        "",
        "Both arms: default PFN settings (`cei` constraints), the same seeds, the same enqueued initial design "
        "(min(max(5, 2d), 20) shared Sobol points), constraints as Optuna 5 named constraints in the Optuna arm; "
        "every later trial is the PFN sampler's. Gap: |best feasible - optimum| / |optimum| (inf: nothing feasible).",
        "",
        "| problem | optimum | median gap, pfnopt `pfn` | median gap, Optuna + `PFNSampler` | per-seed best (pfnopt) | per-seed best (Optuna) | s (pfnopt / Optuna) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, opt, res, secs in rows:
        g_p = statistics.median(gap(v, opt) for v in res["pfnopt"])
        g_o = statistics.median(gap(v, opt) for v in res["optuna"])
        lines.append(f"| {name} | {opt:.6g} | {g_p:.4g} | {g_o:.4g} | {', '.join(f'{v:.6g}' for v in res['pfnopt'])} | "
                     f"{', '.join(f'{v:.6g}' for v in res['optuna'])} | {secs['pfnopt']:.0f} / {secs['optuna']:.0f} |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
