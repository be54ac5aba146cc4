"""Benchmark methods: each is a sampler of :func:`pfnopt.samplers.get_sampler`, by the same name.

A method is *available* when its sampler can be built and makes one model-based suggestion on a
small constrained toy study (:func:`probe`): a PFN without its checkpoint, or an Optuna sampler
without Optuna, is reported as ``not available: <reason>`` and its cells are skipped, never faked.

Model-based samplers get ``n_startup = init``: the shared initial design of the cell (enqueued by the
runner) is the whole start-up phase, and the model takes over at evaluation ``init + 1``.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

ENGINEERING_METHODS = (
    "pfn-cei", "pfn-cei+", "pfn-penalty", "gp-cei", "optuna-gp", "optuna-tpe", "sobol", "random",
)  # fmt: skip
SYNTHETIC_METHODS = ("pfn-cei", "gp-ei", "gp-cei", "optuna-gp", "optuna-tpe", "sobol")
DEFAULT_METHODS = {"engineering": ENGINEERING_METHODS, "synthetic": SYNTHETIC_METHODS}
QUICK_METHODS = ("sobol", "random", "pfn-cei", "gp-cei")
# the order of columns in the report: PFN first, then GP, Optuna, model-free
ORDER = (
    "pfn-cei", "pfn-cei+", "pfn-penalty", "pfn", "gp-cei", "gp-ei", "gp-penalty", "optuna-gp", "optuna-tpe",
    "sobol", "random",
)  # fmt: skip


def parse_methods(text: str | None, suite: str) -> list[str]:
    """``"gp-cei,sobol"`` -> a list (unknown names refused, duplicates dropped); None -> the suite's."""
    from pfnopt.exceptions import ParameterError
    from pfnopt.samplers import sampler_names

    if text is None:
        return list(DEFAULT_METHODS.get(suite, ENGINEERING_METHODS))
    names = [m.strip() for m in text.split(",") if m.strip()]
    if not names:
        raise ParameterError("--methods is empty; give a comma-separated list such as gp-cei,sobol")
    known = set(sampler_names())
    unknown = [m for m in names if m not in known]
    if unknown:
        raise ParameterError(f"unknown method(s) {unknown!r}; allowed: {', '.join(sorted(known))}")
    return list(dict.fromkeys(names))


def sort_methods(methods: list[str]) -> list[str]:
    return sorted(methods, key=lambda m: (ORDER.index(m) if m in ORDER else len(ORDER), m))


def build_sampler(method: str, seed: int, init: int) -> Any:
    """The sampler of ``method`` for one cell (``n_startup = init`` where the sampler takes it)."""
    from pfnopt.samplers import get_sampler

    sampler = get_sampler(method, seed=seed)
    if init > 0 and "n_startup" in inspect.signature(type(sampler).__init__).parameters:
        sampler = get_sampler(method, seed=seed, n_startup=init)
    return sampler


def probe(method: str) -> str | None:
    """None when ``method`` builds and suggests on a toy study; else the reason, one line."""
    import pfnopt
    from pfnopt.space import Float

    try:
        sampler = build_sampler(method, seed=0, init=3)
        study = pfnopt.create_study(sampler=sampler)

        def toy(trial: Any) -> float:
            x = trial.suggest("x", Float(0.0, 1.0))
            y = trial.suggest("y", Float(0.0, 1.0))
            trial.set_constraints([0.5 - x - y])
            return (x - 0.3) ** 2 + (y - 0.6) ** 2

        for params in ({"x": 0.1, "y": 0.2}, {"x": 0.7, "y": 0.4}, {"x": 0.4, "y": 0.9}):
            study.enqueue_trial(params)
        study.optimize(toy, n_trials=4)
        last = study.trials[-1]
        if last.values is None or not math.isfinite(last.values[0]):
            return f"probe trial ended {last.state.name.lower()}"
    except Exception as e:  # any failure means: not available, with the reason
        text = " ".join(str(e).split()) or type(e).__name__
        return f"{type(e).__name__}: {text[:300]}"
    return None


def describe(sampler: Any) -> dict[str, Any]:
    """What identifies a sampler's behaviour in a result file: its repr, and for a PFN sampler the
    checkpoint it loads (path and a sha256 over the checkpoint's files), since weights change, and
    the version of its suggestion rule."""
    info: dict[str, Any] = {"repr": repr(sampler), "n_startup": getattr(sampler, "n_startup", None)}
    if getattr(sampler, "RULE_VERSION", None) is not None:
        info["rule_version"] = sampler.RULE_VERSION
    if hasattr(sampler, "checkpoint"):
        import hashlib
        from pathlib import Path

        path = sampler.checkpoint
        if path is None:
            from pfnopt.surrogate.pfn import DEFAULT_CHECKPOINT

            path = DEFAULT_CHECKPOINT
        path = Path(path)
        digest = hashlib.sha256()
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        try:
            for f in files:
                digest.update(f.name.encode())
                digest.update(f.read_bytes())
            info["checkpoint"] = {"path": _short(path), "sha256": digest.hexdigest()[:16]}
        except OSError as e:
            info["checkpoint"] = {"path": _short(path), "error": str(e)}
    return info


def _short(path: Any) -> str:
    """The path relative to the repository (or installation) root when it is inside it."""
    from pathlib import Path

    import pfnopt

    root = Path(pfnopt.__file__).resolve().parents[1]
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)
