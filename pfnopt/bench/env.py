"""Thread settings and the environment block written into every benchmark result file.

Timings of a benchmark mean little without the machine, the library versions and the thread
settings they were taken under, so :func:`environment` captures all of them (cheaply: versions come
from the installed distributions' metadata, nothing heavy is imported for them).

:func:`apply_thread_settings` is what ``pfnopt bench run`` calls first. ``OMP_WAIT_POLICY=PASSIVE``
and ``OPENBLAS_NUM_THREADS=1`` are set in ``os.environ`` when unset (they reach libraries loaded
later and worker processes); numpy is already loaded by then, so its BLAS pool is also limited
through ``threadpoolctl`` where installed, and torch gets ``torch.set_num_threads``. The record
says which values came from the caller's environment and which from the runner.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

THREAD_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_NUM_THREADS": "1"}
OTHER_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
PACKAGES = ("torch", "botorch", "gpytorch", "optuna", "numpy", "scipy", "matplotlib")

_APPLIED: dict[str, Any] = {}
_BLAS_LIMIT: Any = None  # the threadpoolctl limiter, kept alive for the process


def apply_thread_settings(torch_threads: int = 1) -> dict[str, Any]:
    """Set the benchmark's thread settings (idempotent) and return what was applied."""
    global _BLAS_LIMIT
    if torch_threads < 1:
        from pfnopt.exceptions import ParameterError

        raise ParameterError(f"torch threads must be >= 1, got {torch_threads!r}")
    set_by: dict[str, str] = {}
    for var, value in THREAD_DEFAULTS.items():
        if var in os.environ:
            set_by[var] = "environment"
        else:
            os.environ[var] = value
            set_by[var] = "runner"
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "1")
    try:
        from threadpoolctl import threadpool_limits

        _BLAS_LIMIT = threadpool_limits(limits=int(blas), user_api="blas")
    except (ImportError, ValueError):
        pass
    try:
        import torch

        torch.set_num_threads(torch_threads)
    except ImportError:
        pass
    _APPLIED.update({"torch_threads_requested": torch_threads, "set_by": set_by})
    return dict(_APPLIED)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _blas_threads() -> list[dict[str, Any]]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [
        {"api": i.get("internal_api"), "threads": i.get("num_threads")}
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]


def _torch_threads() -> int | None:
    import sys

    torch = sys.modules.get("torch")  # only report it when it is loaded (no import for this)
    return None if torch is None else int(torch.get_num_threads())


def machine() -> dict[str, Any]:
    """The machine: platform string, CPU model and counts, and the load at capture time."""
    cpu_model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "platform": platform.platform(),
        "cpu": cpu_model,
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "load_average": load,
    }


def environment() -> dict[str, Any]:
    """The environment block: machine, versions and thread settings of this process, now."""
    import pfnopt

    threads = {var: os.environ.get(var) for var in (*THREAD_DEFAULTS, *OTHER_THREAD_VARS)}
    threads["torch_threads"] = _torch_threads()
    threads["blas"] = _blas_threads()
    threads["set_by"] = dict(_APPLIED.get("set_by", {}))
    return {
        "machine": machine(),
        "python": platform.python_version(),
        "versions": {"pfnopt": pfnopt.__version__, **{p: _version(p) for p in PACKAGES}},
        "git_commit": _git_commit(),
        "threads": threads,
        "captured_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def fingerprint(env: dict[str, Any]) -> tuple:
    """What makes two environment blocks comparable for timings (machine, versions, threads)."""
    m, t = env.get("machine", {}), env.get("threads", {})
    return (
        m.get("platform"), m.get("cpu"), m.get("cpus_usable"), env.get("python"),
        tuple(sorted(env.get("versions", {}).items())),
        t.get("OMP_WAIT_POLICY"), t.get("OPENBLAS_NUM_THREADS"), t.get("torch_threads"),
    )  # fmt: skip
