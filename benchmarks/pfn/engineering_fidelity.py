"""Why pfn-cei lags the GP baselines on the engineering suite: predictive quality on the problems' own functions.

For each engineering problem, ``n`` scrambled Sobol points of its unit cube (snapped to the space's grid, as
a sampler would propose them) are the context and 200 further Sobol points the test set; every output
(objective and each constraint) is predicted by

* the shipped PFN (one forward pass, all outputs together): as it is, with the power output transform, and
  with the linear trend of :mod:`pfnopt.surrogate.trend` (what the PFN sampler uses from rule 4), and
* a BoTorch ``SingleTaskGP`` per output, hyperparameters fitted by marginal likelihood (as ``gp-cei`` does).

Reported per problem: mean test NLL over outputs, in units of each output's context standard deviation
(so outputs in different units average fairly; lower is better), and two diagnostics of the noise each
model assumes, both in the same units: the GP's fitted noise standard deviation, and the PFN's predictive
standard deviation AT the context points themselves (a model that knows the function is noiseless
predicts ~0 there; the PFN's prior puts the noise variance at LogNormal(-4.63, 0.5), i.e. ~0.1 around an
outputscale of ~2, and cannot go below that floor).

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/pfn/engineering_fidelity.py

Writes ``benchmarks/pfn/results/engineering_fidelity.json`` and ``benchmarks/pfn/engineering_fidelity.md``.
``--compare A.json,B.json`` adds a row-by-row comparison with earlier runs; ``--report-only`` rewrites the report
from ``--out`` without running.
"""

from __future__ import annotations

import argparse
import json
import math
import warnings
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent


def sobol_design(space, n: int, seed: int) -> np.ndarray:
    """``n x D`` snapped unit-cube points (the encoding the samplers use)."""
    from scipy.stats import qmc

    with warnings.catch_warnings():  # n + test points is rarely a power of 2; balance is not needed here
        warnings.simplefilter("ignore")
        return space.snap(qmc.Sobol(space.dim, scramble=True, rng=seed).random(n))


def evaluate(problem, space, U: np.ndarray) -> np.ndarray:
    """``n x (1 + m)`` objective and constraint values at the encoded points ``U``."""
    rows = []
    for params in space.decode(U):
        f, c = problem.evaluate_params(params)
        rows.append([f, *np.atleast_1d(c)])
    return np.asarray(rows, dtype=float)


def pfn_scores(pfn, Xc, Yc, Xt, Yt, y_transform: str, trend: str = "none") -> tuple[np.ndarray, np.ndarray]:
    """(test NLL per output, median predictive std at the context points per output), both in context-std units."""
    from pfnopt.surrogate import research

    ctx = research.condition(pfn, Xc, Yc, y_transform=y_transform, trend=trend)
    sd = Yc.std(axis=0)
    with torch.no_grad():
        lp = ctx.posterior(torch.as_tensor(Xt, dtype=torch.float32)).log_prob(torch.as_tensor(Yt)).double().numpy()
        at_ctx = ctx.posterior(torch.as_tensor(Xc, dtype=torch.float32)).stddev.double().numpy()
    return -(lp + np.log(sd)).mean(axis=0), np.median(at_ctx, axis=0) / sd


def gp_scores(Xc, Yc, Xt, Yt) -> tuple[np.ndarray, np.ndarray]:
    """(test NLL per output, fitted noise std per output), both in context-std units."""
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms import Standardize
    from gpytorch.mlls import ExactMarginalLogLikelihood

    nll, noise = [], []
    X, T = torch.as_tensor(Xc), torch.as_tensor(Xt)
    for j in range(Yc.shape[1]):
        model = SingleTaskGP(X, torch.as_tensor(Yc[:, j : j + 1]), outcome_transform=Standardize(1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        with torch.no_grad():
            post = model.posterior(T, observation_noise=True)
            mu, var = post.mean.squeeze(-1).numpy(), post.variance.squeeze(-1).clamp_min(1e-300).numpy()
        sd = Yc[:, j].std()
        lp = -0.5 * np.log(2 * math.pi * var) - 0.5 * (Yt[:, j] - mu) ** 2 / var
        nll.append(-(lp + np.log(sd)).mean())
        # Standardize: the fitted noise is in standardised units already (context std 1, up to ddof)
        noise.append(float(model.likelihood.noise.detach().sqrt().item()))
    return np.asarray(nll), np.asarray(noise)


def run(args) -> dict:
    from pfnopt import problems as registry
    from pfnopt.space import SearchSpace
    from pfnopt.surrogate import load_pfn

    torch.set_num_threads(args.threads)
    pfn = load_pfn(args.checkpoint)
    rows = []
    for name in args.problems.split(","):
        p = registry.get(name)
        space = SearchSpace(dict(p.space))
        if space.dim > pfn.d_max:
            space = SearchSpace(dict(p.space), encoding="ordinal")
        for n in [int(v) for v in args.ns.split(",")]:
            U = sobol_design(space, n + args.test_points, args.seed)
            Y = evaluate(p, space, U)
            Xc, Yc, Xt, Yt = U[:n], Y[:n], U[n:], Y[n:]
            keep = Yc.std(axis=0) > 0  # an output constant on the context says nothing
            Yc, Yt = Yc[:, keep], Yt[:, keep]
            pfn_nll, pfn_floor = pfn_scores(pfn, Xc, Yc, Xt, Yt, "standardize")
            pow_nll, _ = pfn_scores(pfn, Xc, Yc, Xt, Yt, "power")
            trend_nll, trend_floor = pfn_scores(pfn, Xc, Yc, Xt, Yt, "standardize", "linear")
            gp_nll, gp_noise = gp_scores(Xc, Yc, Xt, Yt)
            row = dict(problem=name, n=n, d=space.dim, outputs=int(keep.sum()),
                       pfn_nll=float(pfn_nll.mean()), pfn_power_nll=float(pow_nll.mean()),
                       pfn_trend_nll=float(trend_nll.mean()), gp_nll=float(gp_nll.mean()),
                       gp_better_outputs=int((gp_nll < pfn_nll).sum()),
                       pfn_std_at_context=float(np.median(pfn_floor)),
                       pfn_trend_std_at_context=float(np.median(trend_floor)), gp_noise_std=float(np.median(gp_noise)))
            rows.append(row)
            print(json.dumps(row), flush=True)
    return {"checkpoint": args.checkpoint or "shipped default", "seed": args.seed, "test_points": args.test_points,
            "rows": rows}


def _counts(rows: list[dict]) -> tuple[int, float]:
    """PFN + trend at most the fitted GP's NLL (rows), and the median PFN spread at its own context points."""
    return (sum(r["pfn_trend_nll"] <= r["gp_nll"] for r in rows),
            float(np.median([r["pfn_std_at_context"] for r in rows])))


def compare_lines(res: dict, refs: dict[str, dict]) -> list[str]:
    """Row-by-row comparison of this run with earlier runs of the same script (``refs``: path -> result)."""
    mine = {(r["problem"], r["n"]): r for r in res["rows"]}
    out = []
    for path, ref in refs.items():
        theirs = {(r["problem"], r["n"]): r for r in ref["rows"]}
        keys = [k for k in mine if k in theirs]
        plain = sum(mine[k]["pfn_nll"] < theirs[k]["pfn_nll"] for k in keys)
        trend = sum(mine[k]["pfn_trend_nll"] < theirs[k]["pfn_trend_nll"] for k in keys)
        (t_me, s_me), (t_ref, s_ref) = _counts([mine[k] for k in keys]), _counts([theirs[k] for k in keys])
        out.append(f"- Against `{ref['checkpoint']}` (`{path}`), on the {len(keys)} rows both have: lower PFN NLL on "
                   f"{plain}, lower PFN trend NLL on {trend}; PFN + trend at most the GP's NLL on {t_me} here, {t_ref} "
                   f"there; median spread at context points {s_me:.3f} here, {s_ref:.3f} there.")
    return out


def write_report(res: dict, path: Path, refs: dict[str, dict] | None = None) -> None:
    rows = res["rows"]
    lines = [
        "# PFN vs fitted GP on the engineering functions (predictive NLL)",
        "",
        "Written by `benchmarks/pfn/engineering_fidelity.py` (command in its docstring). Context: `n` scrambled Sobol",
        f"points of each problem's unit cube; test: {res['test_points']} more. NLL and standard deviations in units of",
        "each output's context standard deviation, averaged (NLL) or medianed (std) over the problem's outputs.",
        "",
        "| problem | d | outputs | n | PFN NLL | PFN power NLL | PFN trend NLL | GP NLL | outputs GP better than PFN"
        " | PFN std at context pts | PFN trend std at context pts | GP fitted noise std |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['problem']} | {r['d']} | {r['outputs']} | {r['n']} | {r['pfn_nll']:.2f} | {r['pfn_power_nll']:.2f} | "
            f"{r['pfn_trend_nll']:.2f} | {r['gp_nll']:.2f} | {r['gp_better_outputs']} of {r['outputs']} | "
            f"{r['pfn_std_at_context']:.3f} | {r['pfn_trend_std_at_context']:.3f} | {r['gp_noise_std']:.2g} |")
    better = sum(r["gp_nll"] < r["pfn_nll"] for r in rows)
    trend_better = sum(r["pfn_trend_nll"] < r["pfn_nll"] for r in rows)
    floor = float(np.median([r["pfn_std_at_context"] for r in rows]))
    gpn = float(np.median([r["gp_noise_std"] for r in rows]))
    lines += [
        "",
        f"The fitted GP has the lower mean NLL than the PFN in {better} of {len(rows)} rows; the trend lowers the PFN's",
        f"in {trend_better} of {len(rows)}. Median over rows of the PFN's predictive",
        f"std at its own context points: {floor:.3f}; of the GP's fitted noise std: {gpn:.2g} (context-std units).",
        f"PFN + trend at most the fitted GP's NLL in {_counts(rows)[0]} of {len(rows)} rows.",
        "",
    ]
    if refs:
        lines += compare_lines(res, refs) + [""]
    path.write_text("\n".join(lines))


def main() -> None:
    from pfnopt import problems as registry

    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--problems", default=",".join(registry.names("engineering")))
    ap.add_argument("--ns", default="50")
    ap.add_argument("--test-points", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(HERE / "results" / "engineering_fidelity.json"))
    ap.add_argument("--report", default=str(HERE / "engineering_fidelity.md"))
    ap.add_argument("--compare", default="", help="comma-separated result JSONs of earlier runs to compare with")
    ap.add_argument("--report-only", action="store_true", help="rewrite the report from --out without running")
    args = ap.parse_args()
    if args.report_only:
        res = json.loads(Path(args.out).read_text())
    else:
        res = run(args)
        Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
    refs = {p: json.loads(Path(p).read_text()) for p in args.compare.split(",") if p}
    write_report(res, Path(args.report), refs)


if __name__ == "__main__":
    main()
