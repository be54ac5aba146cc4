"""Model-based samplers under ``optimize(n_jobs=2)``: every sampling sees the other worker's trial as a pending point.

Before pfnopt._in_flight both threads sampled at the same time, each seeing the other's trial RUNNING without
params (measured: 27 of 33 model-based samplings of six 10-trial GP studies, 2 of the 6 with two trials on
the same point; 28 of 33 for the PFN).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import pfnopt
from pfnopt import Float, TrialState
from pfnopt.acquisition import AcqOptions
from pfnopt.samplers.pfn import PFNSampler


def _watched(base: type, **kw):
    """An instance of sampler class ``base`` that records, per sampling, the params of the other RUNNING trials
    whose sampling had started before (those blocked waiting for their turn have not chosen anything yet)."""

    class Watched(base):
        def __init__(self):
            super().__init__(**kw)
            self.views: list[dict[int, dict]] = []
            self._started: set[int] = set()
            self._views_lock = threading.Lock()

        def sample(self, study, trial, space):
            with self._views_lock:
                started = set(self._started)
                self._started.add(trial.number)
            others = {t.number: dict(t.params) for t in study.get_trials(states=(TrialState.RUNNING,))
                      if t.number != trial.number and t.number in started}
            with self._views_lock:
                self.views.append(others)
            return super().sample(study, trial, space)

    return Watched()


def objective(trial):
    x, y = trial.suggest("x", Float(0.0, 1.0)), trial.suggest("y", Float(0.0, 1.0))
    trial.set_constraints([0.3 - x])
    return (x - 0.5) ** 2 + (y - 0.2) ** 2


def _gp_class():
    pytest.importorskip("botorch")
    from pfnopt.samplers.gp import GPSampler

    return GPSampler


@pytest.mark.parametrize("kind", ["pfn", "gp-cei"])
def test_two_workers_see_each_others_points_and_never_repeat_one(kind):
    if kind == "pfn":
        sampler = _watched(PFNSampler, seed=3, n_startup=4, optimizer=AcqOptions(n_sobol=128, n_local=128))
    else:
        sampler = _watched(_gp_class(), seed=3, n_startup=4, num_restarts=4, raw_samples=64)
    study = pfnopt.create_study(sampler=sampler)
    study.optimize(objective, n_trials=10, n_jobs=2)
    trials = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(trials) == 10
    assert len(sampler.views) >= 10
    assert all(params for view in sampler.views for params in view.values()), sampler.views
    P = np.array([[t.params["x"], t.params["y"]] for t in trials])
    d = np.abs(P[:, None, :] - P[None, :, :]).max(axis=2)
    np.fill_diagonal(d, np.inf)
    assert d.min() > 1e-6
