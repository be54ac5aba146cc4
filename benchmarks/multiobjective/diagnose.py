"""Why the PFN multi-objective sampler lost (issue 14): variants of it on a few problems and seeds.

Each variant is a set of ``PFNSampler`` arguments plus two knobs of :mod:`pfnopt.acquisition.multiobjective`
read here only: ``norm`` (the objectives' normalisation rule, :func:`~pfnopt.acquisition.multiobjective.normalisation`)
and ``ref`` (the reference point in normalised units). A cell is the suite's cell (the shared Sobol design,
``budget`` evaluations); the line printed is its final normalised hypervolume regret and its wall seconds.

    export PYTHONPATH=$PWD OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
    V='{"ehvi32":{"norm":"observed"},"parego":{"mo_acquisition":"parego"},"ehvi128":{"norm":"observed","n_mc":128},
        "ehvi-notrend":{"norm":"observed","trend":"none"}}'
    nice python benchmarks/multiobjective/diagnose.py "$V" branin_currin,constrained_branin_currin,c2dtlz2_4d 0
    V='{"ehvi-front":{},"parego-front":{"mo_acquisition":"parego","parego_norm":"front"}}'
    nice python benchmarks/multiobjective/diagnose.py "$V" branin_currin,constrained_branin_currin,c2dtlz2_4d 0

The logs behind ``results/notes.md`` are in ``diagnosis/`` (the trailing number is the seed). They were written
by an earlier form of this script: D* at the code before commit 7e76771 (its variants had no ``norm`` key: the
observed range was then the only rule); F* at 7e76771 with ParEGO normalised by the FEASIBLE front (the
sampler's own code at that commit; here ``parego_norm="front"`` uses every row's front, the same on
unconstrained problems); Z* at 859c679 (``norm="observed"``, the default again). The pfn cells of the suite
run with the front rule as the default (commit fb20f3e) are kept in ``diagnosis/front-normalisation-cells/``.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

import pfnopt
import pfnopt.acquisition.multiobjective as mo
from pfnopt.bench.cells import shared_design
from pfnopt.bench.multiobjective import hv_history
from pfnopt.problems.multiobjective import get
from pfnopt.records import TrialState
from pfnopt.samplers.pfn import PFNSampler

_normalisation, _parego = mo.normalisation, mo.parego_scalarise


def run(problem: str, seed: int, budget: int = 30, init: int = 10, ref: float = 1.1, norm: str = "front",
        parego_norm: str = "observed", **kw) -> tuple[float, float]:
    """``(final normalised HV regret, wall seconds)`` of one cell of the variant."""
    mo.REF = ref
    mo.normalisation = lambda Y, feasible=None, rule=norm: _normalisation(Y, feasible, rule=rule)
    if parego_norm == "front":
        mo.parego_scalarise = lambda Y, w, rho=mo.PAREGO_RHO, bounds=None: _parego(Y, w, rho, _normalisation(Y))
    try:
        p = get(problem)
        study = pfnopt.create_study(directions=p.directions, sampler=PFNSampler(seed=seed, n_startup=init, **kw))
        for params in shared_design(p, init, seed):
            study.enqueue_trial(params)
        t0 = time.perf_counter()
        study.optimize(p.objective, n_trials=budget)
        wall = time.perf_counter() - t0
    finally:
        mo.REF, mo.normalisation, mo.parego_scalarise = 1.1, _normalisation, _parego
    tr = study.trials
    F = np.array([t.values if t.state == TrialState.COMPLETE else [np.nan] * p.n_objectives for t in tr])
    G = np.array([list(t.constraints or [0.0] * p.n_constraints) for t in tr]).reshape(len(tr), p.n_constraints)
    return (p.max_hv - hv_history(F, G, p.ref_point)[-1]) / p.max_hv, wall


if __name__ == "__main__":
    variants, problems, seeds = json.loads(sys.argv[1]), sys.argv[2].split(","), [int(s) for s in sys.argv[3].split(",")]
    for problem in problems:
        for seed in seeds:
            for name, kw in variants.items():
                regret, wall = run(problem, seed, **kw)
                print(f"{problem} seed{seed} {name}: regret {regret:.4f} ({wall:.0f}s)", flush=True)
