"""The small rules every model-based sampler (PFN, GP, Optuna's) follows, each written once.

* Start-up count: :func:`default_n_startup` -- the first ``min(max(5, 2 d), 20)`` trials (``d``
  parameters) are the seed's scrambled Sobol points, shared by every method of a benchmark cell.
* Start-up phase: :func:`in_startup` -- a sampler stays on the Sobol points while fewer than
  ``max(n_startup, 2)`` trials are complete (a model needs two points to see a slope).
* Seeding: :func:`call_seed` -- every random draw of one suggestion (GP restarts, raw samples,
  Optuna's sampler) is seeded from ``(seed, trial number, parameter names)``, so the same seed,
  stored trials and trial number give the same suggestion, and a parameter sampled alone does not
  copy another's draw. (The PFN sampler's acquisition optimiser still seeds a numpy generator
  from ``(seed, trial number)``: changing it would change every committed PFN result.)
* Failed points: :data:`FAILED_RADIUS` -- a candidate within this L-infinity distance (unit cube,
  i.e. 2% of each parameter's range) of a FAILED trial is treated like a duplicate and never
  proposed. Only the immediate neighbourhood is banned, since a failure may be a crash unrelated to
  the parameters; 2% is wide enough that rounding and a refinement step do not land back on the
  same point. (The GP baselines used 1e-3 before this rule was shared; no benchmark problem has
  failing trials, so no committed result depended on it.)
* Objectives: :func:`require_single_objective` -- a sampler that models one objective refuses a
  study with several (instead of silently optimising the first).
"""

from __future__ import annotations

import zlib
from typing import Any, Iterable

import numpy as np

from pfnopt.exceptions import NotSupportedError

FAILED_RADIUS = 0.02


def default_n_startup(n_params: int) -> int:
    """Sobol start-up trials before a model is used: ``min(max(5, 2 * n_params), 20)``."""
    return min(max(5, 2 * n_params), 20)


def in_startup(n_complete: int, n_startup: int) -> bool:
    """True while the sampler should still return Sobol points (see the module docstring)."""
    return n_complete < max(n_startup, 2)


def call_seed(seed: int | None, number: int, names: Iterable[str]) -> int | None:
    """A 31-bit seed for one suggestion, from the sampler seed, the trial number and the parameter names."""
    if seed is None:
        return None
    salt = zlib.crc32("|".join(names).encode())
    return int(np.random.SeedSequence([seed, number, salt]).generate_state(1)[0] & 0x7FFFFFFF)


def require_single_objective(study: Any, sampler: str) -> None:
    """Raise :class:`NotSupportedError` when ``study`` has several objectives."""
    n = len(study.directions)
    if n != 1:
        raise NotSupportedError(
            f"{sampler} optimises one objective, but study {study.study_name!r} has {n} "
            "(directions=[...]); use a sampler that handles several: 'pfn' (EHVI / ParEGO), 'gp-ehvi', "
            "'optuna-tpe', 'optuna-gp', 'nsga2', 'random' or 'sobol'"
        )
