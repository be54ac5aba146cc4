"""``pfnopt bench run``: every (problem, method, seed) cell as a resumable study.

Resume, in three layers:

1. A cell whose result file is complete (:func:`~pfnopt.bench.cells.cell_done`) is never run again.
2. Otherwise its study is opened (created on first use) in the SQL store. Trials left RUNNING by an
   interrupted process are marked FAIL (one process owns a cell, see 3), the shared initial design
   is enqueued for the design points that are neither complete nor waiting, and ``optimize`` runs
   until the study has ``budget`` complete trials. So a cell interrupted at trial 57 restarts at 57.
3. A cell is claimed with a lock file (``<out>/_studies.db.run/<cell>.lock``, created exclusively,
   holding the process id); a second ``bench run`` on the same folder skips cells whose lock
   belongs to a live process, and takes over the lock of a dead one.
4. For a PFN method the hash of the checkpoint it loads is part of the study name and of the result
   file; a result made with other weights than the current ones counts as not done, so new
   weights recompute the PFN cells (in new studies) instead of mixing old and new numbers.

All methods of a cell share its initial design: ``init`` scrambled-Sobol points of the cell's seed
(:func:`~pfnopt.bench.cells.shared_design`), enqueued in every method's study before the first
suggestion; the samplers' own start-up phase is set to the same ``init`` points.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable

from pfnopt.bench.cells import (
    INIT_ATTR,
    Cell,
    RunSpec,
    build_result,
    cell_done,
    checkpoint_of,
    result_path,
    shared_design,
    study_name,
    write_result,
)

RUN_DIR = "_studies.db.run"  # under the results folder; matched by the .gitignore rule for _studies.db*
MANIFEST = "run.json"


# one cell ------------------------------------------------------------------------------------
def _lock_path(out: Path, cell: Cell) -> Path:
    return Path(out) / RUN_DIR / f"{cell.problem}__{cell.method}__seed{cell.seed}.lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire(out: Path, cell: Cell) -> Path | None:
    """Claim the cell for this process; None when a live process holds it."""
    path = _lock_path(out, cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(path.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and _pid_alive(pid):
                return None
            path.unlink(missing_ok=True)  # a dead process's lock
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return path
    return None


def _prepare(study: Any, spec: RunSpec, problem: Any, seed: int) -> None:
    """Fail trials an interrupted run left RUNNING; enqueue the design points not yet there."""
    from pfnopt.records import TrialState

    for t in study.get_trials(states=(TrialState.RUNNING,)):
        study.tell(t.number, state="fail")
    present = {
        t.user_attrs[INIT_ATTR]
        for t in study.get_trials(states=(TrialState.COMPLETE, TrialState.WAITING))
        if INIT_ATTR in t.user_attrs
    }
    for i, params in enumerate(shared_design(problem, spec.init, seed)):
        if i not in present:
            study.enqueue_trial(params, user_attrs={INIT_ATTR: i})


def run_cell(
    spec: RunSpec,
    cell: Cell,
    storage: str,
    out: Path,
    on_trial: Callable[[Cell, int, int, float | None], None] | None = None,
) -> dict[str, Any]:
    """Run (or finish) one cell and write its result file. Returns an outcome dict (status done)."""
    import pfnopt
    from pfnopt import problems
    from pfnopt.bench.env import environment
    from pfnopt.bench.methods import build_sampler, describe
    from pfnopt.records import TrialState

    t0 = time.perf_counter()
    problem = problems.get(cell.problem, spec.variant)
    sampler = build_sampler(cell.method, cell.seed, spec.init)
    sampler_info = describe(sampler)  # before the first suggestion loads any checkpoint
    name = study_name(spec, cell, checkpoint_of(sampler_info))
    study = pfnopt.create_study(
        name,
        storage=storage,
        sampler=sampler,
        direction="minimize",
        load_if_exists=True,
    )
    _prepare(study, spec, problem, cell.seed)
    best: list[float | None] = [None]

    def callback(_study: Any, frozen: Any) -> None:
        if frozen.state == TrialState.COMPLETE and frozen.feasible:
            v = frozen.values[0]
            best[0] = v if best[0] is None or v < best[0] else best[0]
        if on_trial is not None:
            n = len(_study.get_trials(states=(TrialState.COMPLETE,)))
            on_trial(cell, n, spec.budget, best[0])

    while True:
        trials = study.trials
        n_complete = sum(t.state == TrialState.COMPLETE for t in trials)
        if n_complete >= spec.budget:
            break
        n_failed = sum(t.state == TrialState.FAIL for t in trials)
        if n_failed > spec.budget:
            from pfnopt.exceptions import BenchmarkError

            raise BenchmarkError(f"{n_failed} failed trials in study {name!r}; giving up on this cell")
        study.optimize(
            problem.objective, n_trials=spec.budget - n_complete, callbacks=[callback], show_progress_bar=False
        )
    data = build_result(spec, cell, problem, study.trials, environment(), name, sampler_info)
    write_result(result_path(out, cell), data, Path(out) / RUN_DIR)
    keys = ("final_best", "final_gap", "median_sampler_seconds", "wall_seconds", "n_evaluations")
    return {"status": "done", "elapsed": time.perf_counter() - t0, **{k: data[k] for k in keys}}


def current_checkpoint(method: str) -> str | None:
    """The hash of the weights ``method`` would load now (None for samplers without a checkpoint)."""
    from pfnopt.bench.methods import build_sampler, describe

    return checkpoint_of(describe(build_sampler(method, 0, 0)))


def _run_claimed(spec: RunSpec, cell: Cell, storage: str, out: Path, on_trial: Any = None) -> dict[str, Any]:
    """run_cell under the cell's lock; errors become a "failed" outcome with the reason."""
    lock = acquire(out, cell)
    if lock is None:
        return {"status": "busy", "elapsed": 0.0}
    t0 = time.perf_counter()
    try:
        return run_cell(spec, cell, storage, out, on_trial)
    except KeyboardInterrupt:
        raise
    except Exception as e:
        text = " ".join(str(e).split())[:300] or type(e).__name__
        return {"status": "failed", "elapsed": time.perf_counter() - t0, "error": f"{type(e).__name__}: {text}"}
    finally:
        lock.unlink(missing_ok=True)


def _worker_init(threads: int) -> None:
    from pfnopt.bench.env import apply_thread_settings

    apply_thread_settings(threads)


# the run -------------------------------------------------------------------------------------
def record_run(out: Path, spec: RunSpec, storage: str) -> None:
    """Append this run to ``<out>/run.json`` (the report's list of expected cells is their union)."""
    from pfnopt.bench.cells import update_manifest
    from pfnopt.storage import mask_url

    entry = {
        **spec.to_json(),
        "command": spec.command(),
        "storage": mask_url(storage),
        "started_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    update_manifest(Path(out) / MANIFEST, lambda old: {**(old or {}), "runs": [*(old or {}).get("runs", []), entry]})


def run_benchmark(
    spec: RunSpec,
    out: Path,
    storage: str,
    workers: int = 1,
    threads: int = 1,
    console: Any = None,
) -> dict[str, Any]:
    """Run every pending cell of ``spec`` (methods in ``spec.unavailable`` are skipped).

    Returns counts: ``done`` (this run), ``skipped`` (already done), ``failed``, ``busy`` (held by
    another live process), ``unavailable`` (cells of methods that could not be built).
    """
    from rich.console import Console

    from pfnopt.bench.progress import RunProgress
    from pfnopt.exceptions import ParameterError

    if workers < 1:
        raise ParameterError(f"--workers must be >= 1, got {workers}")
    console = console or Console()
    out = Path(out)
    (out / RUN_DIR).mkdir(parents=True, exist_ok=True)
    record_run(out, spec, storage)
    runnable = [m for m in spec.methods if m not in spec.unavailable]
    cells = spec.cells(runnable)
    checkpoints = {m: current_checkpoint(m) for m in runnable}
    pending = [c for c in cells if not cell_done(out, spec, c, checkpoints[c.method])]
    counts = {
        "done": 0,
        "skipped": len(cells) - len(pending),
        "failed": 0,
        "busy": 0,
        "unavailable": len(spec.cells()) - len(cells),
    }
    with RunProgress(console, pending, counts["skipped"]) as progress:
        if workers == 1:
            for cell in pending:
                progress.cell_started(cell)
                outcome = _run_claimed(spec, cell, storage, out, progress.trial_done)
                counts[outcome["status"]] += 1
                progress.cell_finished(cell, outcome)
        else:
            import multiprocessing

            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init, initargs=(threads,)) as pool:
                futures: dict[Future, Cell] = {}
                queue = list(pending)
                while queue or futures:
                    while queue and len(futures) < workers:
                        cell = queue.pop(0)
                        progress.cell_started(cell)
                        futures[pool.submit(_run_claimed, spec, cell, storage, out)] = cell
                    finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        cell = futures.pop(fut)
                        outcome = fut.result()
                        counts[outcome["status"]] += 1
                        progress.cell_finished(cell, outcome)
    return counts
