"""Out of prior: the engineering problems' objectives and constraints, PFN vs a fitted GP.

For each problem of ``pfnopt.problems`` (engineering suite), random designs of 20 and 60 points (uniform on
the unit cube, mapped through the search space, so integer/categorical inputs are snapped), 200 held-out
test points, 3 seeds; the PFN with its default y normalisation and with ``y_transform="power"``. Per output (objective and every constraint): test NLL in units of the context's
standard deviation (so problems are comparable) and Spearman rank correlation of the predictive mean.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/out_of_prior.py \
        --out benchmarks/pfn/results/out_of_prior.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from references import fitted_gp, gauss_logpdf  # noqa: E402

from pfnopt.surrogate import load_pfn, research  # noqa: E402


def design(problem, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points: unit-cube coordinates (after snapping) and natural values."""
    u = rng.random((n, problem.dim))
    unit = np.empty_like(u)
    nat = np.empty_like(u)
    for j, dist in enumerate(problem.space.values()):
        for i in range(n):
            internal = dist.from_unit(float(u[i, j]))
            nat[i, j] = float(dist.to_external(internal))
            unit[i, j] = float(dist.to_unit(internal))
    return np.clip(unit, 0.0, 1.0), nat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--ns", default="20,60")
    ap.add_argument("--test-points", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="benchmarks/pfn/results/out_of_prior.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from pfnopt import problems

    pfn = load_pfn(args.checkpoint)
    rows = []
    t0 = time.time()
    names = [n for n in problems.names() if problems.get(n).suite == "engineering"]
    for name in names:
        prob = problems.get(name)
        if prob.dim > pfn.d_max:
            continue
        for n in [int(v) for v in args.ns.split(",")]:
            for seed in range(args.seeds):
                rng = np.random.default_rng(1000 * seed + n)
                u, nat = design(prob, n + args.test_points, rng)
                f, g = prob.evaluate(nat)
                y = np.c_[f, g]
                ok = np.isfinite(y).all(1)
                u, y = u[ok], y[ok]
                uc, yc, ut, yt = u[:n], y[:n], u[n:], y[n:]
                post = pfn.posterior(uc, yc, ut)
                lp = post.log_prob(yt)
                mean = post.mean
                post_pw = research.posterior(pfn, uc, yc, ut, y_transform="power")
                lp_pw = post_pw.log_prob(yt)
                mean_pw = post_pw.mean
                for j in range(y.shape[1]):
                    s = yc[:, j].std()
                    if not np.isfinite(s) or s <= 1e-12 or np.std(yt[:, j]) <= 1e-12:
                        continue  # a constant output in this design: nothing to predict
                    m_gp, v_gp = fitted_gp(torch.tensor(uc), torch.tensor(yc[:, j]), torch.tensor(ut))
                    lp_gp = gauss_logpdf(torch.tensor(yt[:, j]), m_gp, v_gp).numpy()
                    rows.append(
                        {
                            "problem": name,
                            "output": "f" if j == 0 else f"g{j}",
                            "n": n,
                            "seed": seed,
                            "pfn_nll": float(-(lp[:, j]).mean() + np.log(s)),
                            "pfn_power_nll": float(-(lp_pw[:, j]).mean() + np.log(s)),
                            "gp_nll": float(-(lp_gp).mean() + np.log(s)),
                            "pfn_spearman": float(spearmanr(mean[:, j], yt[:, j]).statistic),
                            "pfn_power_spearman": float(spearmanr(mean_pw[:, j], yt[:, j]).statistic),
                            "gp_spearman": float(spearmanr(m_gp.numpy(), yt[:, j]).statistic),
                        }
                    )
        print(name, f"[{time.time() - t0:.0f}s]", flush=True)
    out = {
        "checkpoint_step": pfn.record.get("step"),
        "args": vars(args),
        "seconds": round(time.time() - t0, 1),
        "rows": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
