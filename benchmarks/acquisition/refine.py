"""Refinement rules of the acquisition optimiser, measured on PFN acquisition problems.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/acquisition/refine.py

``pfnopt.acquisition.optimize_acquisition`` scores Sobol + local candidates, then refines the top
``n_refine`` by ``AcqOptions(refine="local")`` (batched perturbation rounds) or
``refine="gradient"`` (Adam through the model). This script compares, on the same problems and
random seeds, interleaved:

================  =====================================================================
``none``          no refinement: ``n_refine=0`` (with ``refine="gradient", refine_steps=0``:
                  ``n_refine=0`` with ``refine="local"`` raises, and ``"gradient"`` with its
                  12 steps still runs 12 empty forward/backward passes; see the report)
``local``         the default ``AcqOptions()`` (512 Sobol + 512 local candidates, 2 rounds)
``local-r4``      ``refine="local", refine_rounds=4``
``gradient``      ``AcqOptions(refine="gradient")`` (12 Adam steps, lr 0.02)
``gradient-s6``   ``refine="gradient", refine_steps=6``
``gradient-s3``   ``refine="gradient", refine_steps=3``
``big-none``      ``n_sobol = n_local = 1024``, no refinement
``big-local``     ``n_sobol = n_local = 1024``, ``refine="local"``
``big-gradient``  ``n_sobol = n_local = 1024``, ``refine="gradient"``
================  =====================================================================

Problems: for d in (2, 6, 10) and n in (20, 60), ``--contexts`` independent draws each: an
objective and 1 or 2 constraints (alternating), every one a smooth random function (random
Fourier features of an RBF Gaussian process, 512 features, lengthscale ``0.25 sqrt(d)`` times a
random factor in [0.7, 1.4]); each constraint is shifted so that 60 % of the cube is feasible
for it. ``n`` uniform random observations. The score is the PFN sampler's
(``PFNSampler._suggest``): ``pfn.condition(X, [f, c_1, ...])`` once, then
``acquisition.score(post, "cei", m, best_feasible, "log_ei")`` (log scale, higher is better),
with the 5 best feasible observations as centres. Each (problem, seed) runs every config with
``rng = default_rng(seed)``; the config order rotates from one (problem, seed) to the next.

Reported per config: the gap ``value - best`` in log units (nats), ``best`` the highest value any
config reached on that problem (any seed); local vs gradient head to head; wall time of
``optimize_acquisition`` (the context encoding, shared, is excluded). Writes ``refine.md`` and
``refine.json`` next to this file.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import pfnopt  # noqa: E402
from pfnopt.acquisition import AcqOptions, optimize_acquisition, score  # noqa: E402
from pfnopt.surrogate import load_pfn  # noqa: E402

BIG = {"n_sobol": 1024, "n_local": 1024}
NONE = {"n_refine": 0, "refine": "gradient", "refine_steps": 0}
CONFIGS = {
    "none": AcqOptions(**NONE),
    "local": AcqOptions(),
    "local-r4": AcqOptions(refine_rounds=4),
    "gradient": AcqOptions(refine="gradient"),
    "gradient-s6": AcqOptions(refine="gradient", refine_steps=6),
    "gradient-s3": AcqOptions(refine="gradient", refine_steps=3),
    "big-none": AcqOptions(**BIG, **NONE),
    "big-local": AcqOptions(**BIG),
    "big-gradient": AcqOptions(**BIG, refine="gradient"),
}
TIE = 1e-6  # nats: values closer than this count as equal
ENV_VARS = ("OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class RandomFunction:
    """A GP-like smooth function on ``[0, 1]^d`` by random Fourier features (RBF kernel)."""

    def __init__(self, d: int, rng: np.random.Generator, features: int = 512):
        ell = 0.25 * np.sqrt(d) * rng.uniform(0.7, 1.4)
        self.W = rng.normal(size=(d, features)) / ell
        self.b = rng.uniform(0.0, 2.0 * np.pi, size=features)
        self.a = rng.normal(size=features) * np.sqrt(2.0 / features)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return np.cos(X @ self.W + self.b) @ self.a


def make_problem(d: int, n: int, m: int, seed: int) -> dict:
    """Observations ``X`` (``n x d``), ``Y`` (``n x (1 + m)``: objective, constraints)."""
    rng = np.random.default_rng([d, n, seed])
    fns = [RandomFunction(d, rng) for _ in range(1 + m)]
    probe = rng.random((4096, d))
    shifts = [0.0] + [float(np.quantile(g(probe), 0.6)) for g in fns[1:]]
    X = rng.random((n, d))
    Y = np.column_stack([g(X) - s for g, s in zip(fns, shifts)])
    return {"d": d, "n": n, "m": m, "seed": seed, "X": X, "Y": Y}


def scorer(pfn, prob: dict):
    """The PFN sampler's score function for this problem, and its centres (best feasible first)."""
    X, Y, m = prob["X"], prob["Y"], prob["m"]
    feasible = np.all(Y[:, 1:] <= 0.0, axis=1)
    best = float(Y[feasible, 0].min()) if feasible.any() else None
    ctx = pfn.condition(X, Y)

    def score_fn(U: torch.Tensor) -> torch.Tensor:
        return score(ctx.posterior(U), "cei", m, best, "log_ei", 2.0, 0.5)

    order = np.argsort(np.where(feasible, Y[:, 0], np.inf))
    return score_fn, X[order[:5]], int(feasible.sum())


def load_pfn_retrying(tries: int = 10):
    """The shipped PFN (it is replaced now and then by a training job: a read caught mid-replacement
    fails its SHA-256 check, so wait and retry). Loaded once, the model is fixed for the run."""
    from pfnopt.surrogate import CheckpointError

    for _ in range(tries):
        try:
            return load_pfn()
        except (CheckpointError, OSError) as e:
            print(f"checkpoint not readable ({e}); retrying in 30 s", flush=True)
            time.sleep(30)
    raise RuntimeError("the PFN checkpoint could not be read")


def environment(pfn) -> dict:
    rec = pfn.record
    return {
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} logical cores",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "env": {k: os.environ.get(k) for k in ENV_VARS},
        "torch_threads": torch.get_num_threads(),
        "pfn": repr(pfn),
        "pfn_step": rec.get("step"),
        "pfn_sha256": rec.get("weights_sha256"),
    }


def q(xs, p):
    return float(np.quantile(np.asarray(xs, dtype=float), p)) if len(xs) else float("nan")


def summarise(runs: list[dict], configs: list[str]) -> dict:
    """Gaps to the best value per problem, head-to-head local vs gradient, times."""
    best: dict[int, float] = {}
    for r in runs:
        best[r["problem"]] = max(best.get(r["problem"], -np.inf), r["value"])
    out: dict = {"configs": {}, "by_d": {}}
    for c in configs:
        rs = [r for r in runs if r["config"] == c]
        gaps = [r["value"] - best[r["problem"]] for r in rs]
        out["configs"][c] = {
            "median_gap": q(gaps, 0.5), "mean_gap": float(np.mean(gaps)), "p10_gap": q(gaps, 0.1),
            "worst_gap": float(min(gaps)), "within_0.01": float(np.mean([g >= -0.01 for g in gaps])),
            "within_0.1": float(np.mean([g >= -0.1 for g in gaps])),
            "median_seconds": q([r["seconds"] for r in rs], 0.5), "n_scored": int(np.median([r["n_scored"] for r in rs])),
        }
        for d in sorted({r["d"] for r in rs}):
            rd = [r for r in rs if r["d"] == d]
            out["by_d"].setdefault(str(d), {})[c] = {
                "mean_gap": float(np.mean([r["value"] - best[r["problem"]] for r in rd])),
                "median_seconds": q([r["seconds"] for r in rd], 0.5),
            }
    pairs = {}
    for r in runs:
        pairs.setdefault((r["problem"], r["seed"]), {})[r["config"]] = r["value"]
    h2h = {}
    for a, b in (("local", "gradient"), ("local-r4", "gradient-s6"), ("local", "gradient-s3"), ("big-local", "big-gradient"),
                 ("local", "none"), ("gradient", "none"), ("local", "big-none"), ("gradient", "big-local")):
        diffs = [p[a] - p[b] for p in pairs.values() if a in p and b in p]
        if diffs:
            h2h[f"{a} vs {b}"] = {
                "wins": int(sum(x > TIE for x in diffs)), "ties": int(sum(abs(x) <= TIE for x in diffs)),
                "losses": int(sum(x < -TIE for x in diffs)), "median_diff": q(diffs, 0.5),
                "mean_diff": float(np.mean(diffs)),
                # "the difference from the better one": a's loss to max(a, b), in nats
                "mean_shortfall_a": float(np.mean([min(x, 0.0) for x in diffs])),
                "mean_shortfall_b": float(np.mean([min(-x, 0.0) for x in diffs])),
            }
    out["head_to_head"] = h2h
    return out


def report(res: dict, out_md: Path) -> None:
    env, s, configs = res["environment"], res["summary"], res["configs"]
    lines = [
        "# Acquisition refinement: local rounds vs gradient steps (PFN acquisition problems)",
        "",
        f"Written by `benchmarks/acquisition/refine.py` ({res['finished']}). Command:",
        "",
        f"    {res['command']}",
        "",
        f"{res['n_problems']} problems (d in {res['dims']}, n in {res['sizes']}, {res['contexts']} random smooth problems",
        f"each, 1 or 2 constraints) x {res['seeds']} optimiser seeds, every config on each (problem, seed),",
        "interleaved with a rotating order. Score: the PFN sampler's log CEI. Gap = value - (best value any",
        "config reached on the problem), in nats (log units; 0 is best, more negative is worse).",
        "",
        f"- Machine: {env['machine']}; SHARED with other jobs (PFN pre-training, benchmarks, tests): times are",
        "  inflated; compare configs within this run only.",
        f"- Load average (1, 5, 15 min): start {', '.join(f'{x:.2f}' for x in res['loadavg_start'])}, "
        f"end {', '.join(f'{x:.2f}' for x in res['loadavg_end'])}.",
        f"- Python {env['python']}, torch {env['torch']}, numpy {env['numpy']}; "
        + ", ".join(f"`{k}={v}`" for k, v in env["env"].items() if v is not None)
        + f"; `torch.get_num_threads()` = {env['torch_threads']}; CPU only (no GPU in this session).",
        f"- PFN: `{env['pfn']}`, weights sha256 {str(env['pfn_sha256'])[:12]}.",
        "",
        "## Per config (all problems)",
        "",
        "| config | candidates scored | median s | mean gap | median gap | 10th pct gap | worst gap | within 0.01 | within 0.1 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in configs:
        r = s["configs"][c]
        lines.append(
            f"| {c} | {r['n_scored']} | {r['median_seconds']:.3f} | {r['mean_gap']:.4f} | {r['median_gap']:.4f} | "
            f"{r['p10_gap']:.4f} | {r['worst_gap']:.3f} | {100 * r['within_0.01']:.0f} % | {100 * r['within_0.1']:.0f} % |"
        )
    dims = sorted(s["by_d"], key=int)
    lines += [
        "",
        "## By dimension: mean gap (nats) / median seconds",
        "",
        "| config | " + " | ".join(f"d = {d}" for d in dims) + " |",
        "|---|" + "---|" * len(dims),
    ]
    for c in configs:
        lines.append(f"| {c} | " + " | ".join(
            f"{s['by_d'][d][c]['mean_gap']:.4f} / {s['by_d'][d][c]['median_seconds']:.3f}" for d in dims) + " |")
    lines += [
        "",
        "## Head to head (same problem, same seed)",
        "",
        f"Wins/ties/losses of the first (tie: within {TIE:g} nats); mean shortfall = mean of each one's",
        "difference from the better of the two (nats, <= 0).",
        "",
        "| pair | wins | ties | losses | median diff | mean diff | mean shortfall first | mean shortfall second |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k, r in s["head_to_head"].items():
        lines.append(f"| {k} | {r['wins']} | {r['ties']} | {r['losses']} | {r['median_diff']:.4f} | {r['mean_diff']:.4f} | "
                     f"{r['mean_shortfall_a']:.4f} | {r['mean_shortfall_b']:.4f} |")
    lines += ["", "## Conclusion", "", *res.get("conclusion", []), "", "Raw values and times: `refine.json`.", ""]
    out_md.write_text("\n".join(lines))


def interpolate(curve: list[tuple[float, float]], t: float) -> float | None:
    """Mean gap of a rule's (time, gap) curve at time ``t`` (linear; None outside the curve)."""
    pts = sorted(curve)
    for (t0, g0), (t1, g1) in zip(pts, pts[1:]):
        if t0 <= t <= t1:
            return g0 + (g1 - g0) * (t - t0) / max(t1 - t0, 1e-12)
    return None


def conclusion(s: dict) -> list[str]:
    """The default rule by quality per second, stated from the numbers of this run."""
    c = s["configs"]
    loc, grad, none = c["local"], c["gradient"], c["none"]
    h = s["head_to_head"]["local vs gradient"]
    lines = [
        f"- Quality: mean gap local {loc['mean_gap']:.4f} vs gradient {grad['mean_gap']:.4f} nats "
        f"(no refinement {none['mean_gap']:.4f}); head to head local wins {h['wins']}, ties {h['ties']}, "
        f"loses {h['losses']}; mean shortfall from the better of the two: local {h['mean_shortfall_a']:.4f}, "
        f"gradient {h['mean_shortfall_b']:.4f} nats.",
        "- By d (mean gap local / gradient): " + ", ".join(
            f"d = {d}: {s['by_d'][d]['local']['mean_gap']:.4f} / {s['by_d'][d]['gradient']['mean_gap']:.4f}"
            for d in sorted(s["by_d"], key=int)) + ".",
        f"- Cost: median {loc['median_seconds']:.3f} s (local), {grad['median_seconds']:.3f} s (gradient), "
        f"{none['median_seconds']:.3f} s (none).",
    ]
    for name in ("local", "gradient-s3", "gradient-s6", "gradient"):
        dt = c[name]["median_seconds"] - none["median_seconds"]
        gain = c[name]["mean_gap"] - none["mean_gap"]
        lines.append(f"- {name}: +{gain:.4f} nats over no refinement for {1000 * dt:+.0f} ms "
                     f"({gain / max(dt, 0.005):.2f} nats per second, time floored at 5 ms).")
    front, best_gap = [], -np.inf
    for name in sorted(c, key=lambda k: c[k]["median_seconds"]):
        if c[name]["mean_gap"] > best_gap:
            best_gap = c[name]["mean_gap"]
            front.append(f"{name} ({c[name]['median_seconds']:.3f} s, {c[name]['mean_gap']:.4f})")
    lines.append("- Time/quality front (each better than every faster config): " + ", ".join(front) + ".")
    # equal-time comparison: each rule's (time, gap) curve from no refinement up, read at the other's time
    pt = lambda k: (c[k]["median_seconds"], c[k]["mean_gap"])  # noqa: E731
    grad_curve = [pt(k) for k in ("none", "gradient-s3", "gradient-s6", "gradient")]
    local_curve = [pt(k) for k in ("none", "local", "local-r4")]
    g_at_local = interpolate(grad_curve, loc["median_seconds"])
    l_at_grad = interpolate(local_curve, grad["median_seconds"])
    if g_at_local is not None:
        lines.append(f"- At local's time ({loc['median_seconds']:.3f} s) the gradient rule (steps 0/3/6/12, "
                     f"interpolated) reaches a mean gap of {g_at_local:.4f} vs local {loc['mean_gap']:.4f}.")
    if l_at_grad is None:
        lines.append(f"- Local refinement does not reach gradient's time ({grad['median_seconds']:.3f} s) even with "
                     f"4 rounds ({c['local-r4']['median_seconds']:.3f} s, gap {c['local-r4']['mean_gap']:.4f}).")
    else:
        lines.append(f"- At gradient's time the local rule reaches {l_at_grad:.4f} vs gradient {grad['mean_gap']:.4f}.")
    better_per_second = "gradient" if g_at_local is not None and g_at_local > loc["mean_gap"] else "local"
    lines.append(f"- By this run, per second spent: `{better_per_second}` is the better rule at equal time.")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 6, 10])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 60])
    ap.add_argument("--contexts", type=int, default=4, help="random problems per (d, n)")
    ap.add_argument("--seeds", type=int, default=3, help="optimiser seeds per problem")
    ap.add_argument("--out", type=Path, default=HERE / "refine", help="output path without suffix")
    args = ap.parse_args()

    torch.set_num_threads(1)
    la_start = list(os.getloadavg())
    pfn = load_pfn_retrying()
    configs = list(CONFIGS)
    problems = [make_problem(d, n, 1 + i % 2, i) for d in args.dims for n in args.sizes for i in range(args.contexts)]
    runs = []
    k = 0
    for pi, prob in enumerate(problems):
        space = pfnopt.SearchSpace({f"x{j + 1}": pfnopt.Float(0.0, 1.0) for j in range(prob["d"])})
        score_fn, centres, n_feasible = scorer(pfn, prob)
        if pi == 0:  # warm-up (first-call costs), untimed
            for c in configs:
                optimize_acquisition(score_fn, space, X_observed=prob["X"], centres=centres, options=CONFIGS[c],
                                     rng=np.random.default_rng(10**6))
        for seed in range(args.seeds):
            order = configs[k % len(configs):] + configs[: k % len(configs)]
            k += 1
            for c in order:
                gc.collect()
                t0 = time.perf_counter()
                r = optimize_acquisition(score_fn, space, X_observed=prob["X"], centres=centres, options=CONFIGS[c],
                                         rng=np.random.default_rng(seed))
                dt = time.perf_counter() - t0
                runs.append({"problem": pi, "d": prob["d"], "n": prob["n"], "m": prob["m"], "n_feasible": n_feasible,
                             "seed": seed, "config": c, "value": r.value, "seconds": dt, "n_scored": r.n_scored})
        print(f"problem {pi + 1}/{len(problems)} d={prob['d']} n={prob['n']} m={prob['m']} feasible={n_feasible}: "
              + ", ".join(f"{r['config']} {r['value']:.3f}" for r in runs[-len(configs):]), flush=True)
    summary = summarise(runs, configs)
    res = {
        "command": "OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python "
        + shlex.join(["benchmarks/acquisition/refine.py", *sys.argv[1:]]),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        "dims": args.dims, "sizes": args.sizes, "contexts": args.contexts, "seeds": args.seeds,
        "n_problems": len(problems),
        "configs": configs,
        "options": {c: vars(o) for c, o in CONFIGS.items()},
        "environment": environment(pfn),
        "loadavg_start": la_start,
        "loadavg_end": list(os.getloadavg()),
        "summary": summary,
        "conclusion": conclusion(summary),
        "runs": runs,
    }
    args.out.with_suffix(".json").write_text(json.dumps(res, indent=1))
    report(res, args.out.with_suffix(".md"))
    print(args.out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
