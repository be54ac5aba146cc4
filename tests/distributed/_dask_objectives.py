"""Objectives the Dask tests run on workers (which import this module by name)."""

from __future__ import annotations

import os
import time


def conditional(trial):
    """x in [-1, 1]; y exists only for x > 0 (a conditional parameter)."""
    x = trial.suggest_float("x", -1.0, 1.0)
    y = trial.suggest_int("y", 0, 5) if x > 0 else 0
    time.sleep(0.05)
    return x * x + y


def raises_for_positive(trial):
    x = trial.suggest_float("x", -1.0, 1.0)
    time.sleep(0.02)
    if x > 0:
        raise ValueError(f"objective refuses x={x}")
    return x


def hangs_first(trial):
    """Trial 0 records its process id and hangs (to be killed); the others are quick."""
    x = trial.suggest_float("x", -1.0, 1.0)
    if trial.number == 0:
        trial.set_user_attr("pid", os.getpid())
        time.sleep(60)
    time.sleep(0.05)
    return x * x


def slow(trial):
    x = trial.suggest_float("x", -1.0, 1.0)
    time.sleep(0.3)
    return x * x


def failed_by_another_process_first(trial):
    """Trial 0 is finished FAIL by someone else while it runs (as a stale-trial check would)."""
    from pfnopt.records import TrialState

    x = trial.suggest_float("x", -1.0, 1.0)
    if trial.number == 0:
        trial.study._storage.finish_trial(trial._trial_id, TrialState.FAIL, None, None, {"fail_reason": "stale"})
    return x * x
