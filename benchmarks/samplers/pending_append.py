"""Pending points appended to the cached context (``Context.extend``) against encoding the union again
(``PFN.condition``), on PFN posteriors of the engineering functions.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 nice .venv/bin/python benchmarks/samplers/pending_append.py \\
        --out benchmarks/samplers/pending_append.json

For each problem and seed: a context of ``n`` snapped Sobol points of the problem's space with its objective and
constraint values (the PFN sampler's columns, ``trend="linear"`` as the sampler uses), ``p`` pending points
(1, 2, 4, 8) believed at the posterior mean (the kriging-believer rule of ``pfnopt.samplers.pending``), and
``T`` held-out test points with their true values. Pending points are drawn near the best context point
(Gaussian, 0.05 of the cube, snapped), where an acquisition optimiser puts them. Per output, in units of the
context's standard deviation of that output:

* ``mean_diff``: mean over test points of ``|mean_append - mean_reencode|``;
* ``std_ratio``: median over test points of ``std_append / std_reencode``;
* ``nll_append - nll_reencode``: the mean test NLL of the true values, append minus re-encode (negative: the
  append predicts better);
* ``shrink_*``: median over pending points of ``std_with / std_without`` the pending points, at the pending
  points themselves (what pushes the next candidate away), for both rules;
* ``pending_effect``: the mean test ``|mean_reencode - mean_without|``: how far the pending points move the
  posterior at all, the scale against which ``mean_diff`` is read.

Times: seconds of ``ctx.extend`` and of ``pfn.condition`` on the union (median over ``--timing-reps``), same
process, interleaved.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PROBLEMS = ("three_bar_truss", "pressure_vessel", "welded_beam", "speed_reducer", "tension_compression_spring")


def data(name: str, n: int, n_test: int, seed: int):
    """``(space, Xc, Yc, Xt, Yt)``: context and test points (snapped unit cube) with their values."""
    from scipy.stats import qmc

    from pfnopt import problems
    from pfnopt.space import SearchSpace

    p = problems.get(name)
    space = SearchSpace(dict(p.space))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        U = space.snap(qmc.Sobol(space.dim, scramble=True, rng=seed).random(n + n_test))
    Y = []
    for params in space.decode(U):
        f, c = p.evaluate_params(params)
        Y.append([f, *np.atleast_1d(c)])
    Y = np.asarray(Y, dtype=float)
    keep = Y[:n].std(axis=0) > 0
    return space, U[:n], Y[:n, keep], U[n:], Y[n:, keep]


def nll(post, Y: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Mean test NLL per output of the true values ``Y`` (``T x m``), in units of the context's std ``sd``."""
    return -(np.asarray(post.log_prob(Y)) + np.log(sd)).mean(axis=0)


def case(pfn, name: str, seed: int, n: int, n_test: int, ps: list[int], reps: int) -> list[dict]:
    space, Xc, Yc, Xt, Yt = data(name, n, n_test, seed)
    sd = Yc.std(axis=0)
    rng = np.random.default_rng(seed)
    ctx = pfn.condition(Xc, Yc, trend="linear")
    without = ctx.posterior(Xt)
    best = Xc[np.argmin(Yc[:, 0])]
    rows = []
    for p in ps:
        Xp = space.snap(np.clip(best + 0.05 * rng.standard_normal((p, space.dim)), 0, 1))
        believed = ctx.posterior(Xp).mean  # p x m, numpy
        full = pfn.condition(np.concatenate([Xc, Xp]), np.concatenate([Yc, believed]), trend="linear")
        app = ctx.extend(Xp, believed)
        pf, pa = full.posterior(Xt), app.posterior(Xt)
        at_p = {k: c.posterior(Xp).stddev for k, c in (("none", ctx), ("full", full), ("append", app))}
        t_app, t_full = [], []
        for _ in range(reps):
            t0 = time.perf_counter()
            ctx.extend(Xp, believed)
            t1 = time.perf_counter()
            pfn.condition(np.concatenate([Xc, Xp]), np.concatenate([Yc, believed]), trend="linear")
            t2 = time.perf_counter()
            t_app.append(t1 - t0)
            t_full.append(t2 - t1)
        rows.append({
            "problem": name, "seed": seed, "n": n, "p": p, "outputs": int(Yc.shape[1]),
            "mean_diff": float((np.abs(pa.mean - pf.mean) / sd).mean()),
            "pending_effect": float((np.abs(pf.mean - without.mean) / sd).mean()),
            "std_ratio": float(np.median(pa.stddev / pf.stddev)),
            "nll_diff": float((nll(pa, Yt, sd) - nll(pf, Yt, sd)).mean()),
            "nll_reencode": float(nll(pf, Yt, sd).mean()),
            "shrink_reencode": float(np.median(at_p["full"] / at_p["none"])),
            "shrink_append": float(np.median(at_p["append"] / at_p["none"])),
            "seconds_append": statistics.median(t_app), "seconds_reencode": statistics.median(t_full),
        })
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "samplers" / "pending_append.json")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--test-points", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--timing-reps", type=int, default=5)
    args = ap.parse_args()
    import logging

    import torch

    from pfnopt.surrogate import load_pfn

    logging.disable(logging.WARNING)
    torch.set_num_threads(1)
    pfn = load_pfn()
    ps = [1, 2, 4, 8]
    rows = [r for name in PROBLEMS for s in range(args.seeds)
            for r in case(pfn, name, s, args.n, args.test_points, ps, args.timing_reps)]
    summary = []
    for p in ps:
        sel = [r for r in rows if r["p"] == p]
        summary.append({
            "p": p, "cases": len(sel),
            "median_mean_diff": statistics.median(r["mean_diff"] for r in sel),
            "median_pending_effect": statistics.median(r["pending_effect"] for r in sel),
            "median_std_ratio": statistics.median(r["std_ratio"] for r in sel),
            "mean_nll_diff": statistics.mean(r["nll_diff"] for r in sel),
            "max_abs_nll_diff": max(abs(r["nll_diff"]) for r in sel),
            "median_shrink_reencode": statistics.median(r["shrink_reencode"] for r in sel),
            "median_shrink_append": statistics.median(r["shrink_append"] for r in sel),
            "median_seconds_append": statistics.median(r["seconds_append"] for r in sel),
            "median_seconds_reencode": statistics.median(r["seconds_reencode"] for r in sel),
        })
    load = os.getloadavg()
    args.out.write_text(json.dumps({"command": " ".join(sys.argv), "loadavg": load, "summary": summary,
                                    "rows": rows}, indent=1) + "\n")
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print("| p | cases | median mean diff | median pending effect | median std ratio | mean NLL diff (append - "
          "re-encode) | max abs NLL diff | std at pending, re-encode / none | append / none | s append | "
          "s re-encode |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for s in summary:
        print(f"| {s['p']} | {s['cases']} | {s['median_mean_diff']:.4f} | {s['median_pending_effect']:.4f} | "
              f"{s['median_std_ratio']:.3f} | {s['mean_nll_diff']:+.4f} | {s['max_abs_nll_diff']:.4f} | "
              f"{s['median_shrink_reencode']:.3f} | {s['median_shrink_append']:.3f} | "
              f"{s['median_seconds_append']:.4f} | {s['median_seconds_reencode']:.4f} |")


if __name__ == "__main__":
    main()
