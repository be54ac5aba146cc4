"""Trials on many machines: :class:`DaskExecutor` runs ``study.optimize`` trials as Dask tasks.

The division of work (the driver is the process that calls ``study.optimize``):

* the driver asks: it creates each trial in the study's SQL storage and draws its proposal with the
  study's sampler, so the sampler (and its model) lives in one process. Trials that are RUNNING on
  workers are RUNNING in the storage too, so the sampler treats them as pending points;
* a worker evaluates: it opens the study's storage by URL, runs the objective on the trial (a
  parameter outside the proposal, e.g. a new conditional one, is sampled by the driver over a Dask
  queue), beats the heartbeat, and tells the result to the storage itself, so a result is never
  lost with a driver that died;
* a worker that dies mid-trial: Dask runs the task again elsewhere; that second run sees the
  first one's mark, fails the trial ("the Dask worker ... was lost") and enqueues its retry per
  the study's ``max_retry`` (if Dask gives up first, the driver does the same). The FAIL is
  conditional on the trial still RUNNING, so nothing is told twice.

Importing this package does not import Dask; :class:`DaskExecutor` does.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DaskExecutor"]


def __getattr__(name: str) -> Any:
    if name == "DaskExecutor":
        from pfnopt.distributed.executor import DaskExecutor

        return DaskExecutor
    raise AttributeError(f"module 'pfnopt.distributed' has no attribute {name!r}")
