"""Where one PFN suggestion spends its time (for the lead: hot spots in acquisition/optimize.py, samplers/pfn.py).

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/samplers/profile_pfn.py

Same problem and prefilled studies as ``overhead.py`` (6-d / 10-d, 3 constraints). Four measurements:

1. Stages, timed directly (no profiler): the steps of ``PFNSampler._suggest`` with the default
   ``AcqOptions()``, re-run here one by one (``collect``, ``pfn.condition``, ``candidate_points``,
   initial ``_score_all``, ``_refine_local``, ``_banned``), next to the whole ``study.ask(space)``.
2. ``_banned`` as written (every candidate against every observed point: a ``N x n x D`` array)
   against a lazy version that checks candidates in descending score, 64 at a time, and stops at
   the first admissible one; both must pick the same candidate (checked).
3. The cost of one score call against the number of candidates (no gradient, and forward +
   backward as in the gradient refinement): the fixed cost per call and per candidate.
4. cProfile of ``--profile-cell`` suggestions (cumulative time; the profiler inflates Python-heavy
   code, so its shares are indicative, the direct timings above are the figures).

Writes ``profile_pfn.md`` and ``profile_pfn.json`` next to this file.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import pstats  # noqa: E402
import shlex  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from overhead import ROOT, environment, prefilled, snapshot_checkpoint, space_of  # noqa: E402

sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from pfnopt.acquisition import constrained  # noqa: E402
from pfnopt.acquisition.optimize import AcqOptions, SearchBox, refine_local, score_all  # noqa: E402
from pfnopt.samplers import get_sampler  # noqa: E402
from pfnopt.samplers.observations import collect  # noqa: E402

STAGES = ("collect", "condition", "candidates", "score initial", "refine local", "_banned", "sum of stages",
          "study.ask (whole)")


def _banned(U: np.ndarray, X_observed: np.ndarray, X_avoid: np.ndarray | None, radius: float) -> np.ndarray:
    """The exclusion as the numpy optimiser wrote it (the torch one is ``optimize._first_admissible``): mask of
    candidates that repeat a finished trial or lie within ``radius`` (L-inf) of a point to avoid."""
    banned = np.zeros(len(U), dtype=bool)
    if len(X_observed):
        banned |= (np.abs(U[:, None, :] - X_observed[None, :, :]).max(axis=2) < 1e-9).any(axis=1)
    if X_avoid is not None and len(X_avoid):
        banned |= (np.abs(U[:, None, :] - X_avoid[None, :, :]).max(axis=2) < radius).any(axis=1)
    return banned


def banned_lazy(U, values, X_observed, X_avoid, radius, block=64):
    """The index ``optimize_acquisition`` picks (argmax of values over non-banned), checking lazily."""
    order = np.argsort(-values, kind="stable")
    order = order[np.isfinite(values[order])]
    for s in range(0, len(order), block):
        idx = order[s : s + block]
        ok = ~_banned(U[idx], X_observed, X_avoid, radius)
        if ok.any():
            return int(idx[np.argmax(ok)])
    return None


def banned_eager(U, values, X_observed, X_avoid, radius):
    v = values.copy()
    v[_banned(U, X_observed, X_avoid, radius)] = -np.inf
    return int(np.argmax(v)) if np.isfinite(v).any() else None


def stages(sampler, d: int, n: int, rep: int) -> dict:
    """One suggestion's stages timed directly, then the whole ask on an identical study."""
    space = space_of(d)
    study = prefilled(sampler, d, n)
    pfn, opts = sampler.pfn, AcqOptions()
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    obs = collect(study, space, exclude_number=n)
    t["collect"] = time.perf_counter() - t0
    Y = np.concatenate([obs.y[:, None], obs.C], axis=1)
    best = obs.best_feasible()
    t0 = time.perf_counter()
    ctx = pfn.condition(obs.X, Y)
    t["condition"] = time.perf_counter() - t0

    def score_fn(U):
        return constrained.score(ctx.posterior(U), "cei", obs.m, best, "log_ei", 2.0, 0.5)

    centres = obs.X[np.argsort(np.where(obs.feasible, obs.y, np.inf))[:5]]
    box = SearchBox(space, seed=int(np.random.default_rng([rep, n]).integers(2**62)))
    t0 = time.perf_counter()
    U = box.candidates(box.tensor(centres), opts)
    t["candidates"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    values = score_all(score_fn, U, opts.chunk)
    t["score initial"] = time.perf_counter() - t0
    top = torch.topk(values, opts.n_refine).indices
    t0 = time.perf_counter()
    refined, rv = refine_local(score_fn, U[top], values[top], box, opts)
    t["refine local"] = time.perf_counter() - t0
    U_all = torch.cat([U, refined]).double().numpy()
    v_all = torch.cat([values, rv]).double().numpy()
    t0 = time.perf_counter()
    _banned(U_all, obs.X, obs.X_failed, opts.avoid_radius)
    t["_banned"] = time.perf_counter() - t0
    t["sum of stages"] = sum(t.values())
    # _banned as written vs lazy, on these very candidates (same pick required)
    eager, lazy = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        a = banned_eager(U_all, v_all, obs.X, obs.X_failed, opts.avoid_radius)
        eager.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = banned_lazy(U_all, v_all, obs.X, obs.X_failed, opts.avoid_radius)
        lazy.append(time.perf_counter() - t0)
    study2 = prefilled(sampler, d, n)
    t0 = time.perf_counter()
    study2.ask(space)
    t["study.ask (whole)"] = time.perf_counter() - t0
    return {"stages": t, "n_candidates": int(len(U_all)), "banned_eager": statistics.median(eager),
            "banned_lazy": statistics.median(lazy), "same_pick": a == b}


def score_scaling(sampler, d: int, n: int, sizes: list[int], reps: int = 15) -> list[dict]:
    """ms per score call vs number of candidates (no grad; forward + backward)."""
    study = prefilled(sampler, d, n)
    obs = collect(study, space_of(d), exclude_number=n)
    Y = np.concatenate([obs.y[:, None], obs.C], axis=1)
    ctx = sampler.pfn.condition(obs.X, Y)
    best = obs.best_feasible()
    rng = np.random.default_rng(0)
    Us = {q: torch.as_tensor(rng.random((q, d)), dtype=torch.float32) for q in sizes}
    ng: dict[int, list[float]] = {q: [] for q in sizes}
    fb: dict[int, list[float]] = {q: [] for q in sizes}
    for i in range(reps + 1):  # sizes interleaved within each repetition; repetition 0 is a warm-up
        for q in sizes:
            with torch.no_grad():
                t0 = time.perf_counter()
                constrained.score(ctx.posterior(Us[q]), "cei", obs.m, best)
                if i:
                    ng[q].append(time.perf_counter() - t0)
            Ug = Us[q].clone().requires_grad_(True)
            t0 = time.perf_counter()
            constrained.score(ctx.posterior(Ug), "cei", obs.m, best).sum().backward()
            if i:
                fb[q].append(time.perf_counter() - t0)
    return [{"q": q, "nograd_ms": 1000 * statistics.median(ng[q]), "fwd_bwd_ms": 1000 * statistics.median(fb[q])}
            for q in sizes]


def profile(sampler, d: int, n: int, k: int = 8, top: int = 22) -> str:
    space = space_of(d)
    studies = [prefilled(sampler, d, n) for _ in range(k)]
    pr = cProfile.Profile()
    pr.enable()
    for s in studies:
        s.ask(space)
    pr.disable()
    buf = io.StringIO()
    st = pstats.Stats(pr, stream=buf)
    st.sort_stats("cumulative").print_stats(top)
    text = buf.getvalue()
    root = str(ROOT) + "/"
    return text.replace(root, "").replace(str(Path(sys.prefix)) + "/lib/", "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--cells", nargs="+", default=["6x20", "6x50", "10x100", "10x200"], help="DxN")
    ap.add_argument("--profile-cell", default="10x200")
    ap.add_argument("--out", type=Path, default=HERE / "profile_pfn")
    args = ap.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    logging.getLogger("pfnopt").setLevel(logging.ERROR)
    la_start = list(os.getloadavg())
    checkpoint = snapshot_checkpoint()
    env = environment(1, checkpoint)
    sampler = get_sampler("pfn-cei", seed=0, checkpoint=checkpoint)
    prefilled(sampler, 6, 20).ask(space_of(6))  # warm-up: checkpoint load, first calls
    cells = [tuple(int(v) for v in c.split("x")) for c in args.cells]
    res_cells = []
    for d, n in cells:
        runs = [stages(sampler, d, n, rep) for rep in range(args.reps)]
        res_cells.append({"d": d, "n": n, "runs": runs})
        print(d, n, {k: round(1000 * statistics.median(r["stages"][k] for r in runs), 1) for k in STAGES}, flush=True)
    scaling = score_scaling(sampler, 10, 100, [1, 4, 64, 256, 512, 1024, 2048])
    pd, pn = (int(v) for v in args.profile_cell.split("x"))
    prof = profile(sampler, pd, pn)
    try:
        from pfnopt.acquisition import optimize_acquisition

        X = np.random.default_rng(0).random((10, 2))
        optimize_acquisition(lambda U: -U.sum(-1), space_of(2), X_observed=X, centres=X[:2],
                             options=AcqOptions(n_refine=0), rng=np.random.default_rng(0))
        nrefine0 = "runs"
    except Exception as e:  # noqa: BLE001
        nrefine0 = f"raises {type(e).__name__}: {e}"
    res = {
        "command": "OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python "
        + shlex.join(["benchmarks/samplers/profile_pfn.py", *sys.argv[1:]]),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        "environment": env, "loadavg_start": la_start, "loadavg_end": list(os.getloadavg()),
        "reps": args.reps, "cells": res_cells, "score_scaling": scaling, "profile_cell": args.profile_cell,
        "cprofile": prof, "n_refine_0_local": nrefine0,
    }
    args.out.with_suffix(".json").write_text(json.dumps(res, indent=1))
    write_md(res, args.out.with_suffix(".md"))
    print(args.out.with_suffix(".md").read_text())


def write_md(res: dict, path: Path) -> None:
    env = res["environment"]
    ms = lambda x: f"{1000 * x:.1f}"  # noqa: E731
    lines = [
        "# Profile of one PFN suggestion (pfn-cei, default AcqOptions)",
        "",
        f"Written by `benchmarks/samplers/profile_pfn.py` ({res['finished']}). Command:",
        "",
        f"    {res['command']}",
        "",
        f"- Machine: {env['machine']}, SHARED with other jobs (absolute times inflated). Load average start "
        f"{', '.join(f'{x:.2f}' for x in res['loadavg_start'])}, end {', '.join(f'{x:.2f}' for x in res['loadavg_end'])}.",
        "- " + ", ".join(f"`{k}={v}`" for k, v in env["env"].items() if v is not None)
        + f"; torch threads {env['torch_threads']}; torch {env['versions']['torch']}; PFN `{env['pfn']}`; CPU only.",
        f"- Problem and studies as in `overhead.py` (3 constraints); medians of {res['reps']} suggestions per cell.",
        "",
        "## 1. Stages of `PFNSampler._suggest`, milliseconds (median)",
        "",
        "| d | n | candidates | " + " | ".join(STAGES) + " | `_banned` share of ask |",
        "|---|---|---|" + "---|" * (len(STAGES) + 1),
    ]
    for c in res["cells"]:
        med = {k: statistics.median(r["stages"][k] for r in c["runs"]) for k in STAGES}
        lines.append(f"| {c['d']} | {c['n']} | {c['runs'][0]['n_candidates']} | " + " | ".join(ms(med[k]) for k in STAGES)
                     + f" | {100 * med['_banned'] / med['study.ask (whole)']:.0f} % |")
    lines += [
        "",
        "## 2. `_banned` as written vs a lazy check (same candidates, same pick)",
        "",
        "`_banned` builds an `N x n x D` float64 array of |U - X_observed| (N ~ 1534 candidates) to find exact",
        "duplicates; the lazy version walks the candidates in descending score, 64 at a time, and stops at the",
        "first admissible one (what `optimize_acquisition` returns).",
        "",
        "| d | n | eager ms | lazy ms | speed-up | same pick in all reps |",
        "|---|---|---|---|---|---|",
    ]
    for c in res["cells"]:
        e = statistics.median(r["banned_eager"] for r in c["runs"])
        lz = statistics.median(r["banned_lazy"] for r in c["runs"])
        lines.append(f"| {c['d']} | {c['n']} | {ms(e)} | {ms(lz)} | {e / lz:.0f}x | "
                     f"{'yes' if all(r['same_pick'] for r in c['runs']) else 'NO'} |")
    lines += [
        "",
        "## 3. One score call vs candidates (d = 10, n = 100, 3 constraints), milliseconds",
        "",
        "| candidates | no grad | forward + backward |",
        "|---|---|---|",
    ]
    lines += [f"| {r['q']} | {r['nograd_ms']:.2f} | {r['fwd_bwd_ms']:.2f} |" for r in res["score_scaling"]]
    lines += [
        "",
        f"`AcqOptions(n_refine=0)` with the default `refine=\"local\"`: {res['n_refine_0_local']}.",
        "",
        f"## 4. cProfile, {res['profile_cell']} (d x n), 8 suggestions, cumulative",
        "",
        "```",
        res["cprofile"].strip(),
        "```",
        "",
    ]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
