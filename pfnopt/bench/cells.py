"""Benchmark cells: what one (problem, method, seed) is, where its result lives, what it holds.

A run is a :class:`RunSpec` (suite, variant, problems, methods, seeds, budget, initial design size).
Each cell is one study in the SQL store, named by :func:`study_name`, and once it has ``budget``
complete trials, one JSON file ``<out>/cells/<problem>/<method>/seed<k>.json`` (:func:`result_path`).

A cell is done iff its result file exists, says ``"complete": true`` and matches the spec (same
variant, initial design and budget); a file of another variant or initial design is refused
rather than overwritten. Result files are written atomically (temporary file, then rename), so an
interrupted write never leaves a file that looks complete.

Result file (format ``pfnopt-bench-cell/1``), per trial in columns (evaluation order = trial
number order; ``init`` marks the shared initial design)::

    trials: {number, init, value, feasible, violation, sampler_seconds}
    best_feasible: best feasible value after each evaluation (null before the first feasible one)
    final_best, final_gap (final_best - optimum; null if no feasible point), first_feasible
    (1-based evaluation), feasible_fraction (of the BO suggestions), median_sampler_seconds (BO
    suggestions), wall_seconds (sum of the trials' durations), environment, command.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import statistics
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

FORMAT = "pfnopt-bench-cell/1"
INIT_ATTR = "bench_init"  # user attribute of an initial-design trial: its index in the design


@dataclass(frozen=True)
class Cell:
    problem: str
    method: str
    seed: int

    def label(self) -> str:
        return f"{self.problem} / {self.method} / seed {self.seed}"


@dataclass(frozen=True)
class RunSpec:
    """One benchmark run: every (problem, method, seed) of these lists, ``budget`` evaluations each."""

    suite: str
    problems: tuple[str, ...]
    methods: tuple[str, ...]
    seeds: int
    budget: int
    init: int
    variant: str = "default"
    unavailable: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from pfnopt.exceptions import ParameterError

        if self.seeds < 1:
            raise ParameterError(f"--seeds must be >= 1, got {self.seeds}")
        if self.init < 0 or self.budget < 1 or self.init > self.budget:
            raise ParameterError(
                f"need 0 <= --init <= --budget and --budget >= 1, got init={self.init}, budget={self.budget}"
            )

    def cells(self, methods: Sequence[str] | None = None) -> list[Cell]:
        """Seed-major order, so an interrupted run has every problem and method for the first seeds."""
        ms = self.methods if methods is None else methods
        return [Cell(p, m, s) for s in range(self.seeds) for p in self.problems for m in ms]

    def command(self) -> str:
        """The ``pfnopt bench run`` command line that reproduces this run (out/storage aside)."""
        return (
            f"pfnopt bench run --suite {self.suite} --variant {self.variant} --methods {','.join(self.methods)} "
            f"--seeds {self.seeds} --budget {self.budget} --init {self.init} --problems {','.join(self.problems)}"
        )

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["problems"], d["methods"] = list(self.problems), list(self.methods)
        return d


def default_out(suite: str, variant: str = "default") -> Path:
    name = suite if variant == "default" else f"{suite}-{variant}"
    return Path("benchmarks") / "results" / name


def default_storage(out: Path) -> str:
    return f"sqlite:///{out / '_studies.db'}"


def result_path(out: Path, cell: Cell) -> Path:
    return Path(out) / "cells" / cell.problem / cell.method / f"seed{cell.seed}.json"


def study_name(spec: RunSpec, cell: Cell, checkpoint: str | None = None) -> str:
    """The cell's study: budget is not in the name, so a larger budget later continues the study; a
    PFN checkpoint's hash is, so new weights start new studies instead of continuing old ones."""
    name = f"bench:{spec.suite}:{cell.problem}:{spec.variant}:{cell.method}:seed{cell.seed}:init{spec.init}"
    return name if checkpoint is None else f"{name}:ck{checkpoint}"


def read_result(path: Path) -> dict[str, Any] | None:
    """The result dict, or None when the file is missing, unreadable or not a complete result."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("complete") is not True:
        return None
    return data


def cell_done(out: Path, spec: RunSpec, cell: Cell, checkpoint: str | None = None) -> bool:
    """Whether the cell's result file is complete for ``spec`` (raises on a conflicting file).

    With ``checkpoint`` (the current PFN weights' hash), a result made with other weights is stale:
    not done, so the cell runs again (in a new study) and its file is replaced.
    """
    from pfnopt.exceptions import ParameterError

    path = result_path(out, cell)
    data = read_result(path)
    if data is None:
        return False
    theirs = (data.get("variant"), data.get("init"))
    if theirs != (spec.variant, spec.init) or data.get("budget", 0) > spec.budget:
        raise ParameterError(
            f"{path} holds variant={theirs[0]}, init={theirs[1]}, budget={data.get('budget')}, not variant="
            f"{spec.variant}, init={spec.init}, budget={spec.budget}; use another --out (or delete that folder)"
        )
    if checkpoint is not None and checkpoint_of(data.get("sampler", {})) != checkpoint:
        return False
    return data.get("budget") == spec.budget


def checkpoint_of(sampler_info: dict[str, Any]) -> str | None:
    """The key of a PFN sampler's behaviour: weights hash plus rule version (None for other samplers)."""
    sha = sampler_info.get("checkpoint", {}).get("sha256")
    version = sampler_info.get("rule_version")
    return sha if sha is None or version is None else f"{sha}r{version}"


def write_result(path: Path, data: dict[str, Any], workdir: Path | None = None) -> None:
    """Write atomically: a reader sees the old file or the complete new one, never half of it.

    The temporary file goes to ``workdir`` (same file system; default: next to ``path``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(workdir) if workdir is not None else path.parent
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f".{path.name}.{os.getpid()}.tmp"
    body = ",\n".join(f" {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in data.items())
    tmp.write_text("{\n" + body + "\n}\n")  # one line per key: small files, readable diffs
    os.replace(tmp, path)


def update_manifest(path: Path, update: Any) -> None:
    """Read-modify-write ``path`` (a run's JSON manifest) under an exclusive lock on ``<path>.lock``, replacing
    it atomically: several ``bench run`` processes started at once on one output folder (disjoint methods or
    problems) each add their entry, and none reads a half-written file. ``update(old) -> new``, ``old`` None when
    there is no file yet."""
    import fcntl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = json.loads(path.read_text()) if path.exists() else None
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(update(old), indent=1) + "\n")
        os.replace(tmp, path)


def shared_design(problem: Any, init: int, seed: int) -> list[dict[str, Any]]:
    """The cell's ``init`` scrambled-Sobol points (seeded by ``seed``), the same for every method."""
    from pfnopt.samplers.simple import sobol_points
    from pfnopt.space import SearchSpace

    if init == 0:
        return []
    ordinal = SearchSpace(dict(problem.space), encoding="ordinal")
    with warnings.catch_warnings():  # "balance properties need n = 2^k": known, and fine here
        warnings.simplefilter("ignore", UserWarning)
        U = sobol_points(ordinal.dim, 0, init, seed)
    return ordinal.decode(U)


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def summarise(trials: Sequence[Any], problem: Any, budget: int) -> dict[str, Any]:
    """The per-trial columns and the cell's summary numbers from its first ``budget`` complete trials."""
    from pfnopt.records import TrialState

    complete = sorted((t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: t.number)[:budget]
    last_number = complete[-1].number if complete else -1
    n_failed = sum(1 for t in trials if t.state == TrialState.FAIL and t.number <= last_number)
    cols: dict[str, list[Any]] = {
        k: [] for k in ("number", "init", "value", "feasible", "violation", "sampler_seconds")
    }
    best: list[float | None] = []
    incumbent: float | None = None
    first_feasible = None
    wall = 0.0
    for i, t in enumerate(complete):
        value, feasible = float(t.values[0]), bool(t.feasible)
        cols["number"].append(t.number)
        cols["init"].append(INIT_ATTR in t.user_attrs)
        cols["value"].append(_finite(value))
        cols["feasible"].append(feasible)
        cols["violation"].append(_finite(t.violation))
        secs = t.system_attrs.get("sampler_seconds")
        cols["sampler_seconds"].append(None if secs is None else round(float(secs), 6))
        if feasible and math.isfinite(value) and (incumbent is None or value < incumbent):
            incumbent = value
        if feasible and first_feasible is None:
            first_feasible = i + 1
        best.append(incumbent)
        if t.duration is not None:
            wall += t.duration.total_seconds()
    bo = [i for i, init in enumerate(cols["init"]) if not init]
    bo_secs = [cols["sampler_seconds"][i] for i in bo if cols["sampler_seconds"][i] is not None]
    optimum = problem.optimum
    return {
        "n_evaluations": len(complete),
        "n_failed": n_failed,
        "trials": cols,
        "best_feasible": best,
        "final_best": incumbent,
        "final_gap": None if incumbent is None or optimum is None else incumbent - optimum,
        "first_feasible": first_feasible,
        "feasible_fraction": (sum(cols["feasible"][i] for i in bo) / len(bo)) if bo else None,
        "median_sampler_seconds": statistics.median(bo_secs) if bo_secs else None,
        "wall_seconds": round(wall, 3),
    }


def build_result(
    spec: RunSpec,
    cell: Cell,
    problem: Any,
    trials: Sequence[Any],
    env: dict[str, Any],
    study: str,
    sampler: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The complete result dict of a finished cell (see the module docstring)."""
    return {
        "format": FORMAT,
        "complete": True,
        "suite": spec.suite,
        "problem": cell.problem,
        "variant": spec.variant,
        "method": cell.method,
        "seed": cell.seed,
        "budget": spec.budget,
        "init": spec.init,
        "dim": problem.dim,
        "n_constraints": problem.n_constraints,
        "optimum": problem.optimum,
        "study_name": study,
        "sampler": sampler or {},
        **summarise(trials, problem, spec.budget),
        "environment": env,
        "command": spec.command(),
        "finished_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
