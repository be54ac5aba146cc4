"""Speed: PFN posterior vs BoTorch (fit a SingleTaskGP per output, then predict), same machine, same run.

1 objective + 3 constraints, n context points, 2,048 candidates, d inputs. The PFN time covers validation,
normalisation, encoding the context once, scoring all candidates for all 4 outputs, and computing the mean,
variance and P(g <= 0); BoTorch's covers fitting 4 GPs (maximum likelihood, L-BFGS) and the same statistics.
The two are timed in interleaved rounds; the record says how many other processes were runnable at the
start and the end, since on a shared 2-core machine that moves both figures.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/speed.py \
        --threads 2 --out benchmarks/pfn/results/speed.json
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
import torch

from pfnopt.surrogate import load_pfn


def _data(n: int, d: int, q: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d))
    s = x.sum(1)
    y = np.c_[np.sin(3 * s) + x[:, 0] ** 2, s - d / 2, np.cos(4 * x[:, 0]) - 0.5, x[:, -1] - 0.7]
    y = y + 0.01 * rng.standard_normal(y.shape)
    return x, y, rng.random((q, d))


def _runnable_others() -> int | None:
    """Runnable processes on the machine besides this one, now (``/proc/loadavg``'s 4th field; Linux)."""
    try:
        running = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(0, running - 1)


def time_pfn(pfn, x, y, xn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats + 1):
        t = time.perf_counter()
        post = pfn.posterior(x, y, xn)
        _ = post.mean, post.variance, post.cdf(0.0)
        out.append(time.perf_counter() - t)
    return out[1:]  # the first call warms up


def time_botorch(x, y, xn, repeats: int) -> list[float]:
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms.outcome import Standardize
    from gpytorch.mlls import ExactMarginalLogLikelihood

    xt, yt, xnt = torch.tensor(x), torch.tensor(y), torch.tensor(xn)
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        for j in range(yt.shape[1]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = SingleTaskGP(xt, yt[:, j : j + 1], outcome_transform=Standardize(m=1))
                fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
            with torch.no_grad():
                post = model.posterior(xnt, observation_noise=True)
                m, v = post.mean, post.variance
                _ = torch.distributions.Normal(m, v.sqrt()).cdf(torch.zeros(()))
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--d", type=int, default=6)
    ap.add_argument("--q", type=int, default=2048)
    ap.add_argument("--ns", default="100,200,1000")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--gp-repeats", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/pfn/results/speed.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    pfn = load_pfn(args.checkpoint)
    rows = []
    runnable_start = _runnable_others()
    for n in [int(v) for v in args.ns.split(",")]:
        x, y, xn = _data(n, args.d, args.q, seed=n)
        tp, tg = [], []
        # interleaved rounds: a burst of PFN calls, then one BoTorch fit+predict, so both see the same machine
        per_round = max(1, -(-args.repeats // args.gp_repeats))
        for _ in range(args.gp_repeats):
            tp += time_pfn(pfn, x, y, xn, per_round)
            tg += time_botorch(x, y, xn, 1)
        row = {
            "n": n,
            "d": args.d,
            "q": args.q,
            "m": 4,
            "pfn_s": round(statistics.median(tp), 4),
            "pfn_min_s": round(min(tp), 4),
            "botorch_s": round(statistics.median(tg), 3),
            "ratio": round(statistics.median(tg) / statistics.median(tp), 1),
        }
        if n > pfn.n_max:
            row["note"] = f"PFN used its context-limit strategy ({pfn.n_max} of {n} points)"
        rows.append(row)
        print(json.dumps(row), flush=True)
    load = os.getloadavg()
    out = {
        "checkpoint_step": pfn.record.get("step"),
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "loadavg_at_end": [round(v, 2) for v in load],
        "runnable_others_at_start": runnable_start,
        "runnable_others_at_end": _runnable_others(),
        "repeats": {"pfn": len(tp), "botorch": len(tg)},
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "rows": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
