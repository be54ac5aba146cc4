"""How often the PFN sampler's linear trend is fitted, by the local box's minimum context (a diagnostic).

The trend (:mod:`pfnopt.surrogate.trend`) is fitted only when the context holds at least ``2 (d + 1)`` points;
the local box (:mod:`pfnopt.samplers.trust_region`) holds at least ``min_points_per_dim * d + 1``. One pfn-cei run
per setting (the suite's shared 20-point design, seed 0, 100 evaluations, the shipped default) records each
model-based suggestion's context size and whether the plane was fitted:

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/trend_usage.py \\
        --problem cantilever_beam --per-dim 1,3
"""

from __future__ import annotations

import argparse
import logging

import numpy as np


def run(problem: str, per_dim: int) -> dict:
    import pfnopt
    import pfnopt.surrogate.pfn as pfn_module
    from pfnopt import problems as registry
    from pfnopt.bench.cells import shared_design
    from pfnopt.samplers.pfn import PFNSampler
    from pfnopt.samplers.trust_region import TrustRegion

    seen: list[tuple[int, bool]] = []
    fit = pfn_module.fit_linear_trend

    def recording(x, y):  # the real fit, with its context size and outcome noted
        plane = fit(x, y)
        seen.append((int(x.shape[0]), plane is not None))
        return plane

    pfn_module.fit_linear_trend = recording
    try:
        p = registry.get(problem)
        study = pfnopt.create_study(sampler=PFNSampler(seed=0, n_startup=20, region=TrustRegion(min_points_per_dim=per_dim)))
        for params in shared_design(p, 20, 0):
            study.enqueue_trial(params)
        study.optimize(p.objective, n_trials=100)
    finally:
        pfn_module.fit_linear_trend = fit
    sizes = np.array([n for n, _ in seen])
    return {"problem": problem, "d": p.dim, "per_dim": per_dim, "suggestions": len(seen),
            "context_median": float(np.median(sizes)), "context_min": int(sizes.min()), "context_max": int(sizes.max()),
            "trend_fitted": int(sum(on for _, on in seen)), "trend_needs": 2 * (p.dim + 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--problem", default="cantilever_beam")
    ap.add_argument("--per-dim", default="1,3")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    for k in args.per_dim.split(","):
        print(run(args.problem, int(k)), flush=True)


if __name__ == "__main__":
    main()
