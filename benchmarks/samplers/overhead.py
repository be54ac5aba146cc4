"""Per-iteration sampler overhead: ``pfn`` vs ``gp-cei`` vs ``optuna-gp``, interleaved in one run.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/samplers/overhead.py

What is timed: ONE suggestion (surrogate + acquisition optimisation; the objective is excluded)
in a study that already holds ``n`` finished trials of a ``d``-dimensional problem with 3
constraints, for d in (6, 10) and n in (20, 50, 100, 200).

* Problem (defined here, smooth, on the unit cube; every method sees the same one):
  objective Styblinski-Tang on ``z = 10 x - 5`` (smooth, multimodal, any d); constraints
  (feasible iff <= 0) ``||x - 0.5||^2 - 0.1 d`` (ball), ``sum(x) - 0.58 d`` (linear) and
  ``sin(6 x_1) + cos(6 x_2) - 0.5`` (sinusoidal): the constraints of
  ``benchmarks/baselines/fit_layout.py`` scaled with d, so that about a third of the design is
  feasible in both dimensions (the table gives the count).
* Prefill: a fresh in-memory study with the method's sampler; the same ``n`` scrambled-Sobol
  points (scipy, seed 2024, identical for every method) go in by ``enqueue_trial`` +
  ``ask(space)`` + ``tell(values, constraints)``, so the sampler is never called for them.
* Timed: ``study.ask(space)`` of trial ``n`` (the sampler proposes all ``d`` parameters jointly),
  then ``tell``. Reported time = ``system_attrs["sampler_seconds"]`` of the told trial (the
  sampler's own wall time as the study records it); the wall time of the whole ``ask`` is kept too.
* PFN weights: the shipped checkpoint, copied to a private folder at the start (it is being
  retrained and replaced in the background), so the whole run uses one model.
* Samplers: one instance per method (``get_sampler("pfn-cei" | "gp-cei" | "optuna-gp")``), warmed
  up by one untimed suggestion on a 6-d, n = 20 study (PFN checkpoint load, imports, first-call
  costs), and reused for every study, as in a real run. Repetition ``r`` sets ``sampler.seed = r``
  (all three derive each call's random state from ``(seed, trial number)``).
* Interleaving: repetitions are the outer loop; within one, every (d, n) cell runs the three
  methods back to back, in an order rotated from repetition to repetition.

Threads: ``OMP_WAIT_POLICY=PASSIVE`` and ``OPENBLAS_NUM_THREADS=1`` are set (if not given) before
numpy/torch are imported, and ``torch.set_num_threads(--threads)`` (default 1); all are recorded.
Writes ``overhead.md`` and ``overhead.json`` (raw timings) next to this file (``--out`` to change).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import pfnopt  # noqa: E402
from pfnopt.samplers import get_sampler  # noqa: E402

METHODS = {"pfn": "pfn-cei", "gp-cei": "gp-cei", "optuna-gp": "optuna-gp"}
DESIGN_SEED = 2024
# issue 5 targets: pfn at least this many times faster than each baseline
TARGETS = {"gp-cei": 10.0, "optuna-gp": 2.0}
ENV_VARS = ("OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PFNOPT_DEVICE")


def problem(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Styblinski-Tang (minimise) and 3 constraints on ``[0, 1]^d``: ``n x d -> (n,), n x 3``."""
    d = X.shape[1]
    z = 10.0 * X - 5.0
    f = 0.5 * np.sum(z**4 - 16.0 * z**2 + 5.0 * z, axis=1) / d
    c1 = np.sum((X - 0.5) ** 2, axis=1) - 0.1 * d
    c2 = X.sum(axis=1) - 0.58 * d
    c3 = np.sin(6.0 * X[:, 0]) + np.cos(6.0 * X[:, 1]) - 0.5
    return f, np.column_stack([c1, c2, c3])


def space_of(d: int) -> pfnopt.SearchSpace:
    return pfnopt.SearchSpace({f"x{i + 1}": pfnopt.Float(0.0, 1.0) for i in range(d)})


def design(d: int, n: int) -> np.ndarray:
    from scipy.stats import qmc

    with warnings.catch_warnings():  # "balance properties ... power of 2": n is what it is
        warnings.simplefilter("ignore", UserWarning)
        return qmc.Sobol(d=d, scramble=True, rng=np.random.default_rng(DESIGN_SEED)).random(n)


def prefilled(sampler, d: int, n: int) -> pfnopt.Study:
    """A fresh in-memory study with ``n`` finished trials of the design (sampler never called)."""
    space = space_of(d)
    X = design(d, n)
    f, C = problem(X)
    study = pfnopt.create_study(sampler=sampler)
    for x, fi, ci in zip(X, f, C):
        study.enqueue_trial({f"x{j + 1}": float(v) for j, v in enumerate(x)})
        t = study.ask(space)
        study.tell(t, float(fi), constraints=[float(c) for c in ci])
    return study


def timed_suggestion(sampler, d: int, n: int) -> dict:
    """Prefill, then time one model-based suggestion; returns its timings and diagnostics."""
    study = prefilled(sampler, d, n)
    space = space_of(d)
    gc.collect()
    t0 = time.perf_counter()
    trial = study.ask(space)
    wall = time.perf_counter() - t0
    x = np.array([[trial.params[f"x{j + 1}"] for j in range(d)]])
    f, C = problem(x)
    frozen = study.tell(trial, float(f[0]), constraints=[float(c) for c in C[0]])
    diag = {k[len("sampler:"):]: v for k, v in frozen.system_attrs.items() if k.startswith("sampler:")}
    return {
        "sampler_seconds": float(frozen.system_attrs["sampler_seconds"]),
        "ask_seconds": wall,
        "feasible": bool(np.all(C[0] <= 0)),
        "f": float(f[0]),
        "diagnostics": diag,
    }


def snapshot_checkpoint(tries: int = 10) -> str:
    """Copy the shipped PFN checkpoint to a private folder and check that it loads.

    The shipped checkpoint is replaced now and then by a training job; the copy keeps one model
    for the whole run. A copy caught mid-replacement fails its SHA-256 check: wait and retry."""
    import atexit
    import shutil
    import tempfile

    from pfnopt.surrogate import CheckpointError, load_pfn
    from pfnopt.surrogate.pfn import DEFAULT_CHECKPOINT

    for _ in range(tries):
        tmp = tempfile.mkdtemp(prefix="pfnopt-ckpt-")
        try:
            for f in Path(DEFAULT_CHECKPOINT).iterdir():
                if f.is_file():
                    shutil.copy2(f, tmp)
            load_pfn(tmp)
            atexit.register(shutil.rmtree, tmp, True)
            return tmp
        except (CheckpointError, OSError) as e:
            print(f"checkpoint not readable ({e}); retrying in 30 s", flush=True)
            shutil.rmtree(tmp, ignore_errors=True)
            time.sleep(30)
    raise RuntimeError("the PFN checkpoint could not be read")


def environment(threads: int, checkpoint: str) -> dict:
    import botorch
    import gpytorch
    import optuna
    import scipy

    from pfnopt.surrogate import load_pfn

    pfn = load_pfn(checkpoint)
    rec = pfn.record
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        commit, dirty = "?", ""
    return {
        "machine": f"{platform.node()} {platform.machine()} {cpu}, {os.cpu_count()} logical cores",
        "python": platform.python_version(),
        "versions": {
            "pfnopt": pfnopt.__version__, "torch": torch.__version__, "botorch": botorch.__version__,
            "gpytorch": gpytorch.__version__, "optuna": optuna.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "git": commit + (" (tracked files modified)" if dirty else ""),
        "env": {k: os.environ.get(k) for k in ENV_VARS},
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "cuda": torch.cuda.is_available(),
        "pfn": repr(pfn),
        "pfn_checkpoint": {k: rec.get(k) for k in ("preset", "step", "datasets_seen", "train_seconds", "val_nll",
                                                   "weights_sha256")},
        "pfn_train_steps_planned": (rec.get("train") or {}).get("steps"),
    }


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def report(res: dict, out_md: Path) -> None:
    env, cells, methods = res["environment"], res["cells"], res["methods"]
    lines = [
        "# Sampler overhead per iteration: pfn vs gp-cei vs optuna-gp",
        "",
        f"Written by `benchmarks/samplers/overhead.py` ({res['finished']}). Command:",
        "",
        f"    {res['command']}",
        "",
        "One suggestion (surrogate + acquisition optimisation, objective excluded) in a study holding n finished",
        "trials of a d-dimensional smooth problem with 3 constraints (Styblinski-Tang; ball, linear and",
        "sinusoidal constraints; see the script's docstring), the same scrambled-Sobol design for every method.",
        "Time = the told trial's `system_attrs[\"sampler_seconds\"]`; methods interleaved (repetitions outer,",
        f"method order rotated per repetition), {res['reps']} repetitions per (method, d, n); medians.",
        "",
        "## Environment",
        "",
        f"- Machine: {env['machine']}; SHARED with other jobs (PFN pre-training, benchmark and test runs), so",
        "  absolute times are inflated and noisy: read the ratios (each from one interleaved run).",
        f"- Load average (1, 5, 15 min): start {fmt_load(res['loadavg_start'])}, end {fmt_load(res['loadavg_end'])}.",
        f"- Python {env['python']}; " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()) + f"; git {env['git']}.",
        "- Thread settings: " + ", ".join(f"`{k}={v}`" for k, v in env["env"].items() if v is not None)
        + f"; `torch.get_num_threads()` = {env['torch_threads']} (interop {env['torch_interop_threads']}).",
        f"- PFN: `{env['pfn']}`; checkpoint {json.dumps(env['pfn_checkpoint'])} "
        f"(its training schedule: {env['pfn_train_steps_planned']} steps; weights do not change the cost of a "
        "suggestion, the model's size does).",
        f"- Device: CPU only ({'CUDA available' if env['cuda'] else 'no GPU in this session: no GPU figures'}).",
        "",
        "## Median seconds per suggestion (sampler_seconds) and ratios",
        "",
        f"Targets (issue 5): gp-cei / pfn >= {TARGETS['gp-cei']:g}, optuna-gp / pfn >= {TARGETS['optuna-gp']:g}.",
        "",
        "| d | n | feasible in design | " + " | ".join(f"{m} (s)" for m in methods)
        + " | gp-cei / pfn | target met | optuna-gp / pfn | target met |",
        "|---|---|---|" + "---|" * len(methods) + "---|---|---|---|",
    ]
    for cell in cells:
        meds = {m: med(cell["sampler_seconds"][m]) for m in methods}
        row = [str(cell["d"]), str(cell["n"]), f"{cell['n_feasible']}/{cell['n']}"]
        row += [f"{meds[m]:.3f}" for m in methods]
        for other in ("gp-cei", "optuna-gp"):
            r = meds[other] / meds["pfn"]
            row += [f"{r:.1f}x", "yes" if r >= TARGETS[other] else "no"]
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "Range (min-max over repetitions) of sampler_seconds, and the median wall time of the whole `ask`:",
        "",
        "| d | n | " + " | ".join(f"{m} range" for m in methods) + " | " + " | ".join(f"{m} ask" for m in methods) + " |",
        "|---|---|" + "---|" * (2 * len(methods)),
    ]
    for cell in cells:
        row = [str(cell["d"]), str(cell["n"])]
        row += [f"{min(cell['sampler_seconds'][m]):.3f}-{max(cell['sampler_seconds'][m]):.3f}" for m in methods]
        row += [f"{med(cell['ask_seconds'][m]):.3f}" for m in methods]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Raw timings: `overhead.json` (every repetition, with the sampler's diagnostics).", ""]
    out_md.write_text("\n".join(lines))


def fmt_load(la: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in la)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--dims", type=int, nargs="+", default=[6, 10])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100, 200])
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--out", type=Path, default=HERE / "overhead", help="output path without suffix")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    logging.getLogger("pfnopt").setLevel(logging.ERROR)
    logging.getLogger("optuna").setLevel(logging.ERROR)
    la_start = list(os.getloadavg())
    checkpoint = snapshot_checkpoint()
    env = environment(args.threads, checkpoint)
    samplers = {m: get_sampler(name, seed=0, **({"checkpoint": checkpoint} if m == "pfn" else {}))
                for m, name in METHODS.items()}
    warm = {}
    for m, s in samplers.items():
        t0 = time.perf_counter()
        timed_suggestion(s, 6, 20)
        warm[m] = time.perf_counter() - t0
        print(f"warm-up {m}: {warm[m]:.2f} s", flush=True)
    methods = list(METHODS)
    cells = [
        {"d": d, "n": n, "n_feasible": int(np.all(problem(design(d, n))[1] <= 0, axis=1).sum()),
         "sampler_seconds": {m: [] for m in methods}, "ask_seconds": {m: [] for m in methods},
         "runs": []}
        for d in args.dims for n in args.sizes
    ]
    loads = []
    for rep in range(args.reps):
        order = methods[rep % len(methods):] + methods[: rep % len(methods)]
        for cell in cells:
            for m in order:
                samplers[m].seed = rep
                r = timed_suggestion(samplers[m], cell["d"], cell["n"])
                cell["sampler_seconds"][m].append(r["sampler_seconds"])
                cell["ask_seconds"][m].append(r["ask_seconds"])
                cell["runs"].append({"rep": rep, "method": m, **r})
            print(f"rep {rep} d={cell['d']} n={cell['n']}: "
                  + ", ".join(f"{m} {cell['sampler_seconds'][m][-1]:.3f}" for m in methods), flush=True)
        loads.append(list(os.getloadavg()))
    res = {
        "command": "OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python "
        + shlex.join(["benchmarks/samplers/overhead.py", *sys.argv[1:]]),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        "reps": args.reps,
        "methods": methods,
        "sampler_names": METHODS,
        "environment": env,
        "loadavg_start": la_start,
        "loadavg_end": list(os.getloadavg()),
        "loadavg_per_rep": loads,
        "warmup_seconds": warm,
        "cells": cells,
    }
    args.out.with_suffix(".json").write_text(json.dumps(res, indent=1))
    report(res, args.out.with_suffix(".md"))
    print(args.out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
