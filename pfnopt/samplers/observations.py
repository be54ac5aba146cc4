"""What model-based samplers learn from: the study's trials as unit-cube arrays.

One function, :func:`collect`, shared by the PFN sampler and the GP baselines, so that every
model sees the same data under the same rules:

* COMPLETE trials give ``X`` (``n x D``, encoded by the space's one mapping), ``y`` (``n``, in
  MINIMISATION form: a maximised objective is negated; ``Y``, ``n x k``, all ``k`` objectives so) and ``C`` (``n x m`` constraint values,
  feasible iff every entry <= 0; ``m = 0`` when the study has no constraints).
* FAIL trials are never fed as values. Their points are returned as ``X_failed`` so that a
  sampler can keep away from them (rule used by pfnopt's samplers: a candidate within a small
  radius of a failed point is treated like a duplicate).
* RUNNING trials (other workers, or earlier asks of one batch) are returned as ``X_running``
  when their parameters are known (stored, or proposed in this process: :mod:`pfnopt._in_flight`), for
  constant-liar or fantasy handling.
* PRUNED trials count as complete when they carry a value (their last intermediate value),
  otherwise they are ignored.
* Parameters a trial never suggested (conditional spaces) are encoded at the neutral value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pfnopt.records import FrozenTrial, StudyDirection, TrialState
from pfnopt.space import SearchSpace
from pfnopt.study_view import StudyView


@dataclass(frozen=True)
class Observations:
    X: np.ndarray  # n x D in [0, 1]
    y: np.ndarray  # n, minimisation form
    C: np.ndarray  # n x m, feasible iff all <= 0 (m may be 0)
    X_running: np.ndarray  # r x D
    X_failed: np.ndarray  # f x D
    numbers: np.ndarray  # n, trial numbers of the rows of X
    Y: np.ndarray | None = None  # n x k, every objective in minimisation form (column 0 is y)

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def m(self) -> int:
        return int(self.C.shape[1])

    @property
    def feasible(self) -> np.ndarray:
        """Boolean mask (n,) of feasible observations."""
        return np.all(self.C <= 0.0, axis=1) if self.m else np.ones(self.n, dtype=bool)

    def best_feasible(self) -> float | None:
        """The lowest feasible y (minimisation form), or None while nothing is feasible."""
        mask = self.feasible
        return float(self.y[mask].min()) if mask.any() else None


def _in_space(t: FrozenTrial, space: SearchSpace) -> bool:
    """A trial counts for this space if every parameter it has in common with it is admissible."""
    return all(space[n].contains(v) for n, v in t.params.items() if n in space)


def collect(study: StudyView, space: SearchSpace, exclude_number: int | None = None) -> Observations:
    """Trials of ``study`` as arrays over ``space`` (see the module docstring for the rules)."""
    trials = study.get_trials()
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions])
    done, running, failed = [], [], []
    for t in trials:
        if t.number == exclude_number or not _in_space(t, space):
            continue
        if t.state == TrialState.COMPLETE or (t.state == TrialState.PRUNED and t.values):
            done.append(t)
        elif t.state == TrialState.RUNNING and any(n in t.params for n in space):
            running.append(t)
        elif t.state == TrialState.FAIL and t.params:
            failed.append(t)
    m = max((len(t.constraints) for t in done if t.constraints is not None), default=0)
    C = np.zeros((len(done), m))
    for i, t in enumerate(done):
        if m:
            # a trial told without constraints in a constrained study is treated as unknown-feasible
            C[i] = t.constraints if t.constraints is not None and len(t.constraints) == m else 0.0
    X = space.encode([t.params for t in done]) if done else np.zeros((0, space.dim))
    k = len(signs)
    Y = np.array([signs * np.asarray(t.values[:k], dtype=float) for t in done], dtype=float).reshape(len(done), k)
    y = Y[:, 0].copy()
    return Observations(
        X=X,
        y=y,
        C=C,
        X_running=space.encode([t.params for t in running]) if running else np.zeros((0, space.dim)),
        X_failed=space.encode([t.params for t in failed]) if failed else np.zeros((0, space.dim)),
        numbers=np.array([t.number for t in done], dtype=int),
        Y=Y,
    )
