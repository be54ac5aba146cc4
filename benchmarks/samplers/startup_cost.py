"""Start-up cost of the default sampler: `pfnopt ask` in the start-up phase against `optuna ask`, and a
30-trial 2-d program against Optuna's TPE; wall time and peak memory of each process, in one run.

Every measurement is a fresh process (a user's cold start, files in the OS cache after the first
round), timed by ``/usr/bin/time`` (elapsed wall seconds, maximum resident set size). The variants
are interleaved round by round, so background load hits them alike:

* ``pfnopt-new``: this tree's code; ``pfnopt-old``: the tree given by ``--old`` (e.g. a worktree of
  main's commit 515b952, before this change); ``optuna``: Optuna's own CLI / TPE.

Usage (from the repository root)::

    git worktree add /tmp/old 515b952
    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 nice .venv/bin/python benchmarks/samplers/startup_cost.py \\
        --old /tmp/old --rounds 5 --out benchmarks/samplers/startup_cost.json

Writes the raw rows and the medians to ``--out`` (JSON) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SPACE = '{"x": {"type": "float", "low": -5, "high": 5}, "y": {"type": "float", "low": -5, "high": 5}}'
OPTUNA_SPACE = json.dumps({
    n: {"name": "FloatDistribution", "attributes": {"low": -5.0, "high": 5.0, "log": False, "step": None}}
    for n in ("x", "y")
})

PROGRAM_PFNOPT = """
import pfnopt
from pfnopt.space import Float

def objective(trial):
    x = trial.suggest("x", Float(-5.0, 5.0))
    y = trial.suggest("y", Float(-5.0, 5.0))
    return (x - 1.0) ** 2 + (y + 2.0) ** 2

study = pfnopt.create_study()  # the default sampler (pfn), in memory
study.optimize(objective, n_trials=30)
print(study.best_value)
"""

PROGRAM_OPTUNA = """
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)

def objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_float("y", -5.0, 5.0)
    return (x - 1.0) ** 2 + (y + 2.0) ** 2

study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
study.optimize(objective, n_trials=30)
print(study.best_value)
"""


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """``(wall seconds, peak RSS MB, stdout)`` of one fresh process."""
    out = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M", *cmd], env=env, cwd=cwd, capture_output=True,
                         text=True, check=False)
    line = [ln for ln in out.stderr.splitlines() if ln.startswith("TIME ")]
    if out.returncode != 0 or not line:
        raise RuntimeError(f"{cmd} failed ({out.returncode}): {out.stderr[-2000:]}")
    _, wall, kb = line[-1].split()
    return float(wall), float(kb) / 1024.0, out.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", type=Path, help="a checkout of the code to compare with (e.g. main's 515b952)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "samplers" / "startup_cost.json")
    args = ap.parse_args()
    trees = {"pfnopt-new": ROOT}
    if args.old:
        trees["pfnopt-old"] = args.old.resolve()
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PFNOPT_STORAGE")}
    base.update(OMP_WAIT_POLICY="PASSIVE", OPENBLAS_NUM_THREADS="1")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "p_pfnopt.py").write_text(PROGRAM_PFNOPT)
        (work / "p_optuna.py").write_text(PROGRAM_OPTUNA)
        envs = {name: {**base, "PYTHONPATH": str(tree)} for name, tree in trees.items()}
        envs["optuna"] = dict(base)
        for name in trees:  # one study per variant (start-up phase: nothing is ever told)
            url = f"sqlite:///{work}/{name}.db"
            subprocess.run([str(BIN / "pfnopt"), "study", "create", "s", "--storage", url], env=envs[name], cwd=work,
                           check=True, capture_output=True)
        subprocess.run([str(BIN / "optuna"), "create-study", "--study-name", "s", "--storage",
                        f"sqlite:///{work}/optuna.db"], env=envs["optuna"], cwd=work, check=True, capture_output=True)
        for r in range(args.rounds):
            for name in [*trees, "optuna"]:
                env = envs[name]
                if name == "optuna":
                    ask = [str(BIN / "optuna"), "ask", "--storage", f"sqlite:///{work}/optuna.db", "--study-name", "s",
                           "--search-space", OPTUNA_SPACE, "-f", "json"]
                    prog = [sys.executable, str(work / "p_optuna.py")]
                else:
                    ask = [str(BIN / "pfnopt"), "ask", "s", "--space", SPACE, "--storage", f"sqlite:///{work}/{name}.db"]
                    prog = [sys.executable, str(work / "p_pfnopt.py")]
                for task, cmd in (("ask", ask), ("program30", prog)):
                    wall, mb, out = timed(cmd, env, work)
                    rows.append({"round": r, "variant": name, "task": task, "wall_s": wall, "peak_mb": mb,
                                 "out": out[-200:]})
                    print(f"round {r} {name:11s} {task:9s} {wall:6.2f} s {mb:7.1f} MB", file=sys.stderr, flush=True)
    summary = {}
    for task in ("ask", "program30"):
        for name in [*trees, "optuna"]:
            sel = [x for x in rows if x["task"] == task and x["variant"] == name]
            summary[f"{task}/{name}"] = {"wall_s_median": statistics.median(x["wall_s"] for x in sel),
                                         "peak_mb_median": statistics.median(x["peak_mb"] for x in sel), "n": len(sel)}
    load = os.getloadavg()
    args.out.write_text(json.dumps({"command": " ".join(sys.argv), "loadavg": load, "summary": summary,
                                    "rows": rows}, indent=1) + "\n")
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print("| task | variant | median wall (s) | median peak RSS (MB) | runs |\n|---|---|---|---|---|")
    for key, v in summary.items():
        task, name = key.split("/")
        print(f"| {task} | {name} | {v['wall_s_median']:.2f} | {v['peak_mb_median']:.0f} | {v['n']} |")


if __name__ == "__main__":
    main()
