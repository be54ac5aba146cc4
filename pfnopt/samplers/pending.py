"""What the PFN sampler does with pending points: RUNNING trials of other workers and earlier asks of a batch.

A strategy object (``PFNSampler(pending=...)``) with one method, ``condition``, that returns the context
the acquisition is built on:

* :class:`KrigingBeliever` (default): each pending point enters the context with the posterior mean as its
  value (the "kriging believer" flavour of constant liar), so parallel workers are pushed apart without
  waiting for results. The PFN reads its context jointly (every point attends to every other), so the
  context is encoded again with the believed points rather than appended to the first encoding. The append
  (:meth:`pfnopt.surrogate.pfn.Context.extend`: the believed points attend to the cached context, the cached
  keys/values unchanged) was measured against this re-encode on the engineering functions
  (``benchmarks/samplers/pending_append.md``) and is not used: its posterior moved 2-3x further from the
  re-encoded one than the pending points move it at all, and its test NLL was worse by 0.8-4.9 nats on average
  (up to 70 on a linear constraint), for a saving of hundredths of a second.
* :class:`IgnorePending`: the context holds finished trials only (workers may then propose close points).

Both read only the pending points inside the region's frame; the ones outside cannot be resolved by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class KrigingBeliever:
    def condition(self, pfn: Any, frame: Any, X: np.ndarray, Y: np.ndarray, X_running: np.ndarray,
                  trend: str) -> Any:
        """A context on ``X`` (``n x D``, global unit cube), ``Y`` (``n x m``) and the believed ``X_running``."""
        ctx = pfn.condition(X, Y, trend=trend, frame=frame)
        if not len(X_running):
            return ctx
        believed = ctx.posterior(X_running).mean  # r x m, numpy float64
        return pfn.condition(np.concatenate([X, X_running]), np.concatenate([Y, believed]), trend=trend, frame=frame)


@dataclass(frozen=True)
class IgnorePending:
    def condition(self, pfn: Any, frame: Any, X: np.ndarray, Y: np.ndarray, X_running: np.ndarray,
                  trend: str) -> Any:
        return pfn.condition(X, Y, trend=trend, frame=frame)
