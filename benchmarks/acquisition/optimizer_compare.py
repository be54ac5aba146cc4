"""The acquisition optimiser on the engineering suite's PFN acquisition surfaces: today's rule against more
gradient steps and against a multi-start L-BFGS-B (as Optuna's GPSampler / BoTorch's optimize_acqf do).

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 nice .venv/bin/python benchmarks/acquisition/optimizer_compare.py \\
        --out benchmarks/acquisition/optimizer_compare.json

Surfaces: for each problem, the PFN sampler (``pfn-cei``, seed 0) runs the shared 20-point design plus 10
suggestions; at that state the sampler's own acquisition (LogCEI on its context, in its trust region) is
rebuilt exactly as ``PFNSampler._suggest`` builds it. Optimisers, each timed on the same surface, interleaved
(the order rotates with the repetition):

* ``numpy-adam6`` -- the optimiser of commit ``--old`` (default 5ab77c4: numpy candidates, 512 Sobol via
  ``pfnopt.qmc`` + 512 perturbations of the 5 best points, snapped by ``SearchSpace.snap``; then the top 4
  refined by 6 Adam steps, lr 0.02, on the continuous columns), read from git and loaded as its own module;
* ``torch-adam6`` -- this tree's optimiser (candidates, snapping, scoring, refinement and the exclusion all
  in torch on the model's device) with the same numbers;
* ``torch-adam25x8`` -- this tree's, the top 8 refined by 25 Adam steps;
* ``lbfgsb10`` -- the top 10 of this tree's candidate set as starts of one batched L-BFGS-B (scipy, the sum of
  the starts' negated acquisitions, separable, so one run optimises every start), 50 iterations at most,
  discrete columns held.

Each optimiser draws its own candidates from the same seed; the two code paths draw different random streams
(numpy vs torch), so the comparison is of the value each reaches, not of identical points.

Reported: the best acquisition value reached (log scale; after snapping and re-scoring) relative to the best
of the four on that surface, and the wall time. Repeated over 3 candidate seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PROBLEMS = ("three_bar_truss", "pressure_vessel", "welded_beam", "speed_reducer", "tension_compression_spring")


def surface(name: str):
    """``(acq, space, obs, centres, bounds)`` of the PFN sampler after 30 trials of ``name``."""
    import logging

    import pfnopt
    from pfnopt import problems
    from pfnopt.acquisition.analytic import build_acquisition
    from pfnopt.bench.cells import shared_design
    from pfnopt.samplers.observations import collect
    from pfnopt.samplers.pfn import PFNSampler
    from pfnopt.samplers.trust_region import ranking

    logging.disable(logging.WARNING)
    p = problems.get(name)
    s = PFNSampler(seed=0, constraints="cei", n_startup=20)
    study = pfnopt.create_study(sampler=s)
    for params in shared_design(p, 20, 0):
        study.enqueue_trial(params)
    study.optimize(p.objective, n_trials=30)
    space = s._model_space(p.space)
    obs = collect(study, space)
    Y, best, m = s._targets(obs, 20)
    order = ranking(obs)
    region = s.region.choose(obs, space, int(order[0]), 20)
    inside = region.frame.contains(obs.X)
    ctx = s.pending.condition(s.pfn, s._frame(region), obs.X[inside], Y[inside], obs.X_running[:0], s.trend)
    acq = build_acquisition(ctx.posterior_unchecked, "cei", m, best)
    return acq, space, obs, obs.X[order[:5]], (region.search.lo, region.search.hi)


def old_module(ref: str):
    """The numpy-candidate optimiser of commit ``ref`` (``pfnopt/acquisition/optimize.py`` read from git), loaded
    as its own module so that both versions run in one process on the same surfaces."""
    import subprocess
    import types

    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:pfnopt/acquisition/optimize.py"],
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType("optimize_" + ref)
    module.__dict__["__name__"] = module.__name__
    sys.modules[module.__name__] = module  # dataclasses look their module up while the class is built
    exec(compile(source, f"{ref}:pfnopt/acquisition/optimize.py", "exec"), module.__dict__)
    return module


def adam(acq, space, obs, centres, bounds, seed, n_refine, steps, module=None, **extra):
    """One call of ``optimize_acquisition`` (this tree's, or ``module``'s) with ``n_refine`` starts of ``steps``
    Adam steps (``extra``: more ``AcqOptions`` fields, e.g. ``refine_patience``); the value it reports (the
    chosen point's, after snapping and re-scoring)."""
    if module is None:
        from pfnopt.acquisition import optimize as module

    options = module.AcqOptions(n_refine=n_refine, refine_steps=steps, **extra)
    res = module.optimize_acquisition(acq, space, X_observed=obs.X, centres=centres, rng=np.random.default_rng(seed),
                                      options=options, bounds=bounds)
    return res.value


def lbfgsb(acq, space, obs, centres, bounds, seed, n_starts=10, maxiter=50):
    """Multi-start L-BFGS-B from the best ``n_starts`` of this tree's candidate set."""
    import torch
    from scipy.optimize import minimize

    from pfnopt.acquisition.optimize import AcqOptions, SearchBox, score_all

    box = SearchBox(space, bounds=bounds, seed=int(np.random.default_rng(seed).integers(2**62)))
    U = box.candidates(box.tensor(centres), AcqOptions())
    v = score_all(acq, U, 2048)
    starts = U[torch.topk(v, n_starts).indices].double().numpy()
    cont = ~space.integer_columns()
    lo, hi = bounds
    box = [(lo[j % space.dim], hi[j % space.dim]) if cont[j % space.dim] else (float(starts.ravel()[j]),) * 2
           for j in range(starts.size)]  # discrete columns held at their start

    def fun(flat):
        X = torch.tensor(flat.reshape(starts.shape), dtype=torch.float32, requires_grad=True)
        val = acq(X)
        ok = torch.isfinite(val)
        loss = -(val[ok].sum())
        loss.backward()
        g = X.grad.detach().double().numpy().ravel()
        return float(loss), np.nan_to_num(g)

    out = minimize(fun, starts.ravel(), jac=True, method="L-BFGS-B", bounds=box, options={"maxiter": maxiter})
    Xs = space.snap(out.x.reshape(starts.shape))
    vals = score_all(acq, torch.as_tensor(np.vstack([Xs, starts]), dtype=torch.float32), 2048)
    return float(vals.max())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "acquisition" / "optimizer_compare.json")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--old", default="5ab77c4", help="commit whose numpy-candidate optimiser is the old row")
    ap.add_argument("--rule7", default="408d145", help="commit whose torch optimiser (rule 7: 25 steps, last iterate, "
                    "no early stop) is the rule7-adam25x8 row")
    ap.add_argument("--methods", default="numpy-adam6,torch-adam6,torch-adam25x8,lbfgsb10",
                    help="comma-separated subset of the rows")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = []
    wanted = args.methods.split(",")
    old = old_module(args.old) if "numpy-adam6" in wanted else None
    rule7 = old_module(args.rule7) if "rule7-adam25x8" in wanted else None
    methods = {
        "numpy-adam6": lambda *a: adam(*a, n_refine=4, steps=6, module=old),
        "torch-adam6": lambda *a: adam(*a, n_refine=4, steps=6),
        "torch-adam25x8": lambda *a: adam(*a, n_refine=8, steps=25, refine_patience=0),
        "rule7-adam25x8": lambda *a: adam(*a, n_refine=8, steps=25, module=rule7),
        "stop-adam25x8": lambda *a: adam(*a, n_refine=8, steps=25, refine_patience=3, refine_tol=1e-3),
        "stop2-adam25x8": lambda *a: adam(*a, n_refine=8, steps=25, refine_patience=2, refine_tol=1e-3),
        "stop-adam40x8": lambda *a: adam(*a, n_refine=8, steps=40, refine_patience=3, refine_tol=1e-3),
        "stop-lr05-adam25x8": lambda *a: adam(*a, n_refine=8, steps=25, refine_patience=3, refine_tol=1e-3,
                                             refine_lr=0.05),
        "stop-tol01-adam25x8": lambda *a: adam(*a, n_refine=8, steps=25, refine_patience=3, refine_tol=0.01),
        "lbfgsb10": lambda *a: lbfgsb(*a),
    }
    methods = {m: methods[m] for m in wanted}
    for name in PROBLEMS:
        acq, space, obs, centres, bounds = surface(name)
        for r in range(args.reps):
            order = list(methods)[r % len(methods):] + list(methods)[: r % len(methods)]
            for m in order:
                t0 = time.perf_counter()
                value = methods[m](acq, space, obs, centres, bounds, 100 + r)
                rows.append({"problem": name, "rep": r, "method": m, "value": value,
                             "seconds": time.perf_counter() - t0})
                print(rows[-1], file=sys.stderr, flush=True)
    summary = []
    for name in PROBLEMS:
        for r in range(args.reps):
            sel = [x for x in rows if x["problem"] == name and x["rep"] == r]
            top = max(x["value"] for x in sel)
            for x in sel:
                x["shortfall"] = top - x["value"]
    for m in methods:
        sel = [x for x in rows if x["method"] == m]
        summary.append({"method": m, "median_shortfall_nats": statistics.median(x["shortfall"] for x in sel),
                        "share_within_0.1": sum(x["shortfall"] <= 0.1 for x in sel) / len(sel),
                        "median_seconds": statistics.median(x["seconds"] for x in sel)})
    paired = None
    if {"numpy-adam6", "torch-adam6"} <= set(methods):
        value = {(x["problem"], x["rep"], x["method"]): x["value"] for x in rows}
        diffs = [value[(p, r, "torch-adam6")] - value[(p, r, "numpy-adam6")] for p in PROBLEMS for r in range(args.reps)]
        paired = {"median_torch_minus_numpy": statistics.median(diffs), "mean_torch_minus_numpy": statistics.mean(diffs),
                  "torch_higher": sum(v > 1e-9 for v in diffs), "numpy_higher": sum(v < -1e-9 for v in diffs),
                  "cases": len(diffs)}
    load = os.getloadavg()
    args.out.write_text(json.dumps({"command": " ".join(sys.argv), "loadavg": load, "summary": summary, "paired": paired,
                                    "rows": rows}, indent=1) + "\n")
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print("| optimiser | median shortfall vs the best (nats) | within 0.1 nats of the best | median seconds |")
    print("|---|---|---|---|")
    for s in summary:
        print(f"| {s['method']} | {s['median_shortfall_nats']:.3f} | {100 * s['share_within_0.1']:.0f}% | "
              f"{s['median_seconds']:.2f} |")
    if paired:
        print(f"\ntorch-adam6 minus numpy-adam6, paired by (problem, seed): median {paired['median_torch_minus_numpy']:+.4f}, "
              f"mean {paired['mean_torch_minus_numpy']:+.4f} nats; torch higher in {paired['torch_higher']}, numpy higher "
              f"in {paired['numpy_higher']} of {paired['cases']}")


if __name__ == "__main__":
    main()
