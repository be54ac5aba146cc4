"""Time gp-cei's model step: one batched multi-output SingleTaskGP vs a ModelListGP.

A 6-d problem with 3 black-box constraints (Hartmann-6 objective; a ball, a linear and a
sinusoidal constraint), n = 20, 50, 100 scrambled-Sobol observations, several repetitions.
Each repetition times, for both layouts on the same data: the fit (``fit_gpytorch_mll``) and
the acquisition step (``LogConstrainedExpectedImprovement`` + ``optimize_acqf`` with the
sampler's default restarts), i.e. exactly the code of ``pfnopt.samplers._botorch_fit`` that
``GPSampler(method="cei")`` runs. The layout order alternates between repetitions.

Run (from the repository root):
    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/baselines/fit_layout.py
Options: --reps 5 --sizes 20 50 100 --json out.json --no-blas-limit
(``--no-blas-limit`` drops the one-thread BLAS limit that GPSampler applies itself, to see what
a multi-threaded OpenBLAS costs when the variable is not set either).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402

from pfnopt.samplers import _botorch_fit as bf  # noqa: E402
from pfnopt.samplers.gp import GPSampler  # noqa: E402
from pfnopt.samplers.simple import sobol_points  # noqa: E402

_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
)
_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def problem(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hartmann-6 (minimise) and 3 constraints (feasible iff <= 0) on the unit cube: n, n x 3."""
    f = -np.sum(_ALPHA * np.exp(-np.sum(_A * (X[:, None, :] - _P) ** 2, axis=2)), axis=1)
    c1 = np.sum((X - 0.5) ** 2, axis=1) - 0.6
    c2 = X.sum(axis=1) - 3.5
    c3 = np.sin(6 * X[:, 0]) + np.cos(6 * X[:, 1]) - 0.5
    return f, np.column_stack([c1, c2, c3])


def one(
    X: torch.Tensor, Y: torch.Tensor, best_f: float, layout: str, seed: int, restarts: int, raw: int, blas_limit: bool
) -> dict:
    torch.manual_seed(seed)
    with bf.blas_single_thread() if blas_limit else contextlib.nullcontext():
        return _timed(X, Y, best_f, layout, seed, restarts, raw)


def _timed(X: torch.Tensor, Y: torch.Tensor, best_f: float, layout: str, seed: int, restarts: int, raw: int) -> dict:
    t0 = time.perf_counter()
    model, ok = bf.fit_model(X, Y, layout)
    t1 = time.perf_counter()
    acq = bf.build_acquisition(model, "logcei", best_f, Y.shape[1] - 1, None, seed)
    _, values = bf.optimise(acq, X.shape[1], restarts, raw, seed)
    t2 = time.perf_counter()
    return {"fit": t1 - t0, "acq": t2 - t1, "total": t2 - t0, "acq_value": float(values[0]), "fit_ok": ok}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100])
    ap.add_argument("--json", type=str, default=None)
    ap.add_argument(
        "--no-blas-limit",
        action="store_true",
        help="time without GPSampler's own one-thread BLAS limit (threadpoolctl)",
    )
    args = ap.parse_args()
    defaults = GPSampler()
    restarts, raw = defaults.num_restarts, defaults.raw_samples
    env = {k: os.environ.get(k, "") for k in ("OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS")}
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, env {env}, "
        f"in-library BLAS limit {'off' if args.no_blas_limit else 'on'}, "
        f"num_restarts {restarts}, raw_samples {raw}"
    )
    rows = []
    for n in args.sizes:
        res: dict[str, list[dict]] = {"batched": [], "list": []}
        for rep in range(args.reps):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # Sobol balance: n need not be a power of 2 here
                Xn = sobol_points(6, 0, n, seed=1000 + rep)
            f, C = problem(Xn)
            feas = np.all(C <= 0, axis=1)
            best_f = float((-f[feas]).max()) if feas.any() else float((-f).max())
            X = torch.as_tensor(Xn, dtype=bf.DTYPE)
            Y = torch.as_tensor(np.column_stack([-f, C]), dtype=bf.DTYPE)
            order = ("batched", "list") if rep % 2 == 0 else ("list", "batched")
            for layout in order:
                res[layout].append(one(X, Y, best_f, layout, rep, restarts, raw, not args.no_blas_limit))
        for layout, rs in res.items():
            med = {k: statistics.median(r[k] for r in rs) for k in ("fit", "acq", "total")}
            rows.append(
                {
                    "n": n,
                    "layout": layout,
                    **med,
                    "reps": len(rs),
                    "acq_values": [round(r["acq_value"], 3) for r in rs],
                    "fit_failures": sum(not r["fit_ok"] for r in rs),
                }
            )
            print(
                f"n={n:4d} {layout:8s} fit {med['fit']:.3f}s  acq {med['acq']:.3f}s  total {med['total']:.3f}s"
                f"  (median of {len(rs)}; log-CEI at optimum {rows[-1]['acq_values']})",
                flush=True,
            )
        b, m = (next(r for r in rows if r["n"] == n and r["layout"] == lay) for lay in ("batched", "list"))
        print(f"n={n:4d} list / batched total time: {m['total'] / b['total']:.2f}x", flush=True)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"env": env, "blas_limit": not args.no_blas_limit, "torch": torch.__version__, "rows": rows}, indent=1
            )
        )


if __name__ == "__main__":
    main()
