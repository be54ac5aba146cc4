"""Space-filling samplers with no model: uniform random and scrambled Sobol.

Both draw on the ordinal unit cube (one column per parameter, categoricals by cell) and decode
through :class:`~pfnopt.space.SearchSpace`, so ints, grids and categoricals get their fair share.
Both are deterministic for a seed: a trial's point depends only on the seed and its number, so
several processes on one study draw distinct, reproducible points.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from pfnopt.records import FrozenTrial
from pfnopt.samplers.base import BaseSampler
from pfnopt.space import SearchSpace
from pfnopt.study_view import StudyView


def _rng(seed: int | None, number: int, space: SearchSpace) -> np.random.Generator:
    if seed is None:
        return np.random.default_rng()
    # The names enter the seed so that a parameter sampled alone does not copy another's value.
    salt = zlib.crc32("|".join(space).encode())
    return np.random.default_rng([seed, number, salt])


class RandomSampler(BaseSampler):
    """Independent uniform samples on the unit cube (log parameters uniform on the log scale)."""

    def sample(self, study: StudyView, trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        ordinal = SearchSpace(dict(space), encoding="ordinal")
        u = _rng(self.seed, trial.number, space).random(ordinal.dim)
        return ordinal.decode(u[None, :])[0]


class SobolSampler(BaseSampler):
    """Scrambled Sobol points: trial number k gets point k of the sequence for the space.

    One-parameter spaces (define-by-run parameters seen for the first time) fall back to a seeded
    uniform draw, since a one-dimensional Sobol sequence per name would correlate parameters.
    """

    def sample(self, study: StudyView, trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        ordinal = SearchSpace(dict(space), encoding="ordinal")
        if ordinal.dim <= 1:
            u = _rng(self.seed, trial.number, space).random(ordinal.dim)
            return ordinal.decode(u[None, :])[0]
        return ordinal.decode(sobol_points(ordinal.dim, trial.number, 1, self.seed))[0]


def sobol_points(dim: int, start: int, n: int, seed: int | None) -> np.ndarray:
    """Points ``start .. start+n-1`` of a scrambled Sobol sequence in ``[0, 1]^dim`` (``n x dim``): scipy's
    ``qmc.Sobol`` numbers, computed by :mod:`pfnopt.qmc` without importing ``scipy.stats``."""
    from pfnopt.qmc import sobol

    return sobol(dim, start, n, seed)
