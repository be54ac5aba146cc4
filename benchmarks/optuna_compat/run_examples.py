"""Run public Optuna programs against Optuna and against pfnopt (``import pfnopt as optuna``).

The programs are read from a local git copy of github.com/optuna/optuna-examples (and, for the
tutorial files, of github.com/optuna/optuna), written to a scratch folder outside the repository
(never committed), once as they are and once with only the imports switched:
``import optuna`` -> ``import pfnopt as optuna``, ``from optuna.x import`` -> ``from pfnopt.x import``.
Each runs in its own empty folder with a time limit; the outcome table goes to
``benchmarks/results/optuna_compat.md``.

    python benchmarks/optuna_compat/run_examples.py --examples /work/.mirror/optuna+optuna-examples/repo \
        [--tutorials GITDIR] [--only basic/quadratic.py ...] [--resume] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# the optuna-examples programs that run offline with the packages of pfnopt's environment
EXAMPLES = [
    "basic/quadratic.py",
    "basic/pruning.py",
    "basic/quadratic_constraint.py",
    "basic/quadratic_multi_objective.py",
    "basic/artifact_store.py",
    "faq/enqueue_trial.py",
    "faq/max_trials_callback.py",
    "multi_objective/quadratic_simple.py",
    "pruners/wilcoxon_pruner_tsp_sa.py",
    "samplers/simulated_annealing_sampler.py",
    "samplers/warm_starting_cma.py",
    "sklearn/sklearn_simple.py",
    "sklearn/sklearn_additional_args.py",
    "terminator/terminator_simple.py",
    "terminator/terminator_improvement_plot.py",
    "visualization/plot_pareto_front.py",
]
# Optuna's tutorial scripts (github.com/optuna/optuna, tutorial/), offline ones
TUTORIALS = [
    "tutorial/20_recipes/001_rdb.py",
    "tutorial/20_recipes/003_attributes.py",
    "tutorial/20_recipes/006_user_defined_pruner.py",
    "tutorial/20_recipes/007_optuna_callback.py",
    "tutorial/20_recipes/009_ask_and_tell.py",
    "tutorial/20_recipes/010_reuse_best_trial.py",
]

_SWITCH = [
    (re.compile(r"^(\s*)import optuna\s*$", re.M), r"\1import pfnopt as optuna"),
    (re.compile(r"^(\s*)from optuna(\.[\w.]+)? import", re.M), r"\1from pfnopt\2 import"),
]


def switch_imports(code: str) -> str:
    for pattern, repl in _SWITCH:
        code = pattern.sub(repl, code)
    return code


def git_show(gitdir: str, path: str) -> str:
    return subprocess.run(["git", "--git-dir", gitdir, "show", f"HEAD:{path}"], check=True,
                          capture_output=True, text=True).stdout


def run_one(code: str, folder: Path, timeout: float, env: dict[str, str]) -> tuple[str, float, str]:
    shutil.rmtree(folder, ignore_errors=True)  # a fresh folder: programs write files (databases, figures)
    folder.mkdir(parents=True)
    script = folder / "program.py"
    script.write_text(code)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(script)], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - t0, f"no result within {timeout:.0f} s"
    elapsed = time.perf_counter() - t0
    if proc.returncode == 0:
        return "ok", elapsed, ""
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    return "error", elapsed, (lines[-1] if lines else f"exit code {proc.returncode}")[:200]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", required=True, help="git dir of optuna/optuna-examples")
    ap.add_argument("--tutorials", help="git dir of optuna/optuna (for its tutorial scripts)")
    ap.add_argument("--scratch", default="/tmp/optuna_compat_runs")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--only", nargs="*", help="run only these paths (their rows replace those of the last run)")
    ap.add_argument("--resume", action="store_true",
                    help="with --only: continue an interrupted full run (rows not marked as reruns)")
    ap.add_argument("--libs", nargs="+", choices=["optuna", "pfnopt"], default=["optuna", "pfnopt"],
                    help="run only these sides; the other side's stored result is kept (e.g. the Optuna side "
                         "of a long program, after a pfnopt fix)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/optuna_compat.md"))
    args = ap.parse_args()
    store = Path(args.out).with_suffix(".json")
    stored = {p: r for p, r in json.loads(store.read_text())["rows"]} if store.exists() else {}

    # headless: matplotlib draws to files; plotly's fig.show() serves the page once to a "browser" that is curl
    env = dict(os.environ, MPLBACKEND="Agg", PLOTLY_RENDERER="browser", BROWSER="sh -c 'curl -s -o /dev/null %s &'",
               PYTHONPATH=str(ROOT))
    jobs = [(args.examples, p) for p in EXAMPLES]
    if args.tutorials:
        jobs += [(args.tutorials, p) for p in TUTORIALS]
    if args.only:
        by_path = {p: g for g, p in jobs}
        jobs = [(by_path[p], p) for p in args.only if p in by_path]  # in the order given
    rows = []
    for gitdir, path in jobs:
        code = git_show(gitdir, path)
        tag = path.replace("/", "__")
        res = {}
        for lib, text in (("optuna", code), ("pfnopt", switch_imports(code))):
            if lib not in args.libs:
                if lib not in stored.get(path, {}):
                    raise SystemExit(f"--libs {' '.join(args.libs)}: no stored {lib} result for {path}")
                res[lib] = tuple(stored[path][lib])
                print(f"{path:50s} {lib:7s} {res[lib][0]:8s} {res[lib][1]:7.1f}s (stored, not rerun)", flush=True)
                continue
            res[lib] = run_one(text, Path(args.scratch) / lib / tag, args.timeout, env)
            print(f"{path:50s} {lib:7s} {res[lib][0]:8s} {res[lib][1]:7.1f}s {res[lib][2]}", flush=True)
        rows.append((path, res))
        write(args, rows, merge=bool(args.only), mark=not args.resume)  # after every program, so an interrupted run keeps its rows
    print(f"{sum(r['pfnopt'][0] == 'ok' for _, r in rows)}/{len(rows)} of this run ok on pfnopt; wrote {args.out}")


def write(args: argparse.Namespace, rows: list, merge: bool, mark: bool) -> None:
    """Merge ``rows`` into the stored run and rewrite the table; concurrent ``--only`` runs (e.g. a long
    program in a run of its own, with its own ``--timeout``) take turns on a lock in the scratch folder."""
    Path(args.scratch).mkdir(parents=True, exist_ok=True)
    with open(Path(args.scratch) / "write.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _write(args, rows, merge, mark)


def _write(args: argparse.Namespace, rows: list, merge: bool, mark: bool) -> None:
    store = Path(args.out).with_suffix(".json")
    rerun: list[str] = []
    timeouts = {p: args.timeout for p, _ in rows}
    if merge and store.exists():  # rerun of a few programs: keep the other rows of the last run
        saved = json.loads(store.read_text())
        saved = saved if isinstance(saved, dict) else {"rows": saved, "rerun": []}
        # rows stored before timeouts were recorded ran under the default, 600 s
        timeouts = {**{p: 600.0 for p, _ in saved["rows"]}, **saved.get("timeouts", {}), **timeouts}
        old = {p: {k: tuple(v) for k, v in r.items()} for p, r in saved["rows"]}
        # a resumed run never overwrites a row that a later --only rerun replaced
        old.update({p: v for p, v in rows if mark or p not in saved["rerun"]})
        rerun = sorted(set(saved["rerun"]) | ({p for p, _ in rows} if mark else set()))
        rows = [(p, old[p]) for p in EXAMPLES + TUTORIALS if p in old]
    timeouts = {p: t for p, t in timeouts.items() if any(p == q for q, _ in rows)}
    store.write_text(json.dumps({"rows": rows, "rerun": rerun, "timeouts": timeouts}, indent=1))
    common = max(set(timeouts.values()), key=list(timeouts.values()).count, default=args.timeout)
    others = ", ".join(f"{p}: {t:.0f} s" for p, t in timeouts.items() if t != common)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    n_ok = sum(r["pfnopt"][0] == "ok" for _, r in rows)
    n_opt = sum(r["optuna"][0] == "ok" for _, r in rows)
    out = [
        "# Optuna programs on pfnopt (imports switched only)",
        "",
        f"Command: `python benchmarks/optuna_compat/run_examples.py --examples <optuna-examples git dir>"
        f"{' --tutorials <optuna git dir>' if args.tutorials else ''}` (timeout {common:.0f} s per run"
        f"{f' ({others})' if others else ''}; "
        f"load average at the end {' '.join(load)} on a shared 2-core machine).",
        "",
        f"**{n_ok} of {len(rows)} run unchanged on pfnopt** (Optuna runs {n_opt} of {len(rows)}). The programs "
        "themselves are not in this repository; they are read from the public repositories at run time. "
        "Rows marked (rerun) were run again, after the full run, with `--only PATH ...`.",
        "",
        "| program | Optuna | s | pfnopt | s | pfnopt's error (last line) |",
        "|---|---|---|---|---|---|",
    ]
    for path, r in rows:
        (o, ot, _), (p, pt, err) = r["optuna"], r["pfnopt"]
        mark = " (rerun)" if path in rerun else ""
        out.append(f"| {path}{mark} | {o} | {ot:.1f} | {p} | {pt:.1f} | {err.replace('|', '/')} |")
    text = "\n".join(out) + "\n"
    if Path(args.out).exists():  # notes written by hand below the table ("Notes on ...") are kept
        old_text = Path(args.out).read_text()
        at = old_text.find("\nNotes on ")
        if at >= 0:
            text += old_text[at:]
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
