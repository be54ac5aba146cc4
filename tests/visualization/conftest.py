"""Small real studies for the plot tests: SQLite and in-memory, with constraints, several objectives,
intermediate values, log / int / categorical parameters, and pruned and failed trials.

Parameters come from a seeded generator and are enqueued, so every test can recompute what a plot
must show from the trials themselves."""

from __future__ import annotations

import math

import numpy as np
import pytest

import pfnopt

SPACE = {
    "x": pfnopt.Float(-3.0, 3.0),
    "lr": pfnopt.Float(1e-4, 1.0, log=True),
    "n": pfnopt.Int(1, 8),
    "kind": pfnopt.Categorical(["a", "b", "c"]),
}
KIND_COST = {"a": 0.0, "b": 1.0, "c": 3.0}


def random_params(rng: np.random.Generator) -> dict:
    return {
        "x": float(rng.uniform(-3, 3)),
        "lr": float(10 ** rng.uniform(-4, 0)),
        "n": int(rng.integers(1, 9)),
        "kind": ["a", "b", "c"][int(rng.integers(0, 3))],
    }


def objective(p: dict) -> float:
    return p["x"] ** 2 + 0.5 * p["n"] + KIND_COST[p["kind"]] - 0.3 * math.log10(p["lr"])


def build_constrained(storage, name: str, n: int = 24, direction: str = "minimize") -> pfnopt.Study:
    """``n`` complete trials with constraint ``x - 1 <= 0`` and 3 reported steps each (trial 0 is
    infeasible), then one pruned trial and one failed trial."""
    study = pfnopt.create_study(study_name=name, storage=storage, sampler="random", direction=direction)
    rng = np.random.default_rng(0)
    for k in range(n):
        p = random_params(rng)
        if k == 0:
            p["x"] = 2.5  # the first trial is infeasible: the best-so-far line starts undefined
        study.enqueue_trial(p)
        t = study.ask(SPACE)
        for step in range(3):
            t.report(objective(p) + 2.0 / (step + 1), step)
        t.set_constraints([p["x"] - 1.0])
        study.tell(t, objective(p))
    p = random_params(rng)
    study.enqueue_trial(p)
    t = study.ask(SPACE)
    t.report(50.0, 0)
    t.report(40.0, 1)
    study.tell(t, state="pruned")
    study.enqueue_trial(random_params(rng))
    study.tell(study.ask(SPACE), state="fail")
    return study


@pytest.fixture(scope="module")
def constrained_study(tmp_path_factory) -> pfnopt.Study:
    """On SQLite (the real file storage)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('viz') / 'viz.db'}"
    return build_constrained(url, "constrained")


@pytest.fixture(scope="module")
def plain_study() -> pfnopt.Study:
    """In memory, unconstrained, maximised."""
    study = pfnopt.create_study(sampler="random", direction="maximize")
    rng = np.random.default_rng(1)
    for _ in range(15):
        p = random_params(rng)
        study.enqueue_trial(p)
        study.tell(study.ask(SPACE), -objective(p))
    return study


def build_multi(n_obj: int = 2, n: int = 30) -> pfnopt.Study:
    """Objectives ``x^2`` (min), ``n - |x|`` (max) and, with 3, ``lr`` (min); constraint ``x <= 2``."""
    dirs = ["minimize", "maximize", "minimize"][:n_obj]
    study = pfnopt.create_study(sampler="random", directions=dirs)
    rng = np.random.default_rng(2)
    for _ in range(n):
        p = random_params(rng)
        study.enqueue_trial(p)
        t = study.ask(SPACE)
        t.set_constraints([p["x"] - 2.0])
        study.tell(t, [p["x"] ** 2, p["n"] - abs(p["x"]), p["lr"]][:n_obj])
    return study


@pytest.fixture(scope="module")
def multi_study() -> pfnopt.Study:
    return build_multi(2)


@pytest.fixture(scope="module")
def constrained_factory():
    """``build_constrained(storage, name, n, direction)`` for tests that need fresh studies."""
    return build_constrained


@pytest.fixture(scope="module")
def multi_factory():
    """``build_multi(n_obj, n)`` for tests that need another objective count."""
    return build_multi
