"""pfnopt's PFN sampler inside Optuna's own study loop (real Optuna, real SQLite RDB storage,
a real process pool)."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

optuna = pytest.importorskip("optuna")

import pfnopt  # noqa: E402
from pfnopt.acquisition import AcqOptions  # noqa: E402
from pfnopt.integrations.optuna import PFNSampler  # noqa: E402

FAST = AcqOptions(n_sobol=128, n_local=128, refine_per_round=16)
optuna.logging.set_verbosity(optuna.logging.WARNING)


def constrained(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    trial.set_constraint("sum", x + y - 1.0)
    return (x - 2.0) ** 2 + (y - 2.0) ** 2  # optimum on x + y = 1, at (0.5, 0.5)


def test_relative_sampling_in_optuna_loop_with_rdb_storage(tmp_path):
    url = f"sqlite:///{tmp_path}/optuna.db"
    study = optuna.create_study(storage=url, study_name="pfn", sampler=PFNSampler(seed=0, n_startup=4, options=FAST))
    study.optimize(constrained, n_trials=9)
    trials = study.get_trials()
    assert len(trials) == 9 and all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    feasible = [t for t in trials[5:] if all(c <= 0 for c in t.constraints.values())]
    assert feasible, "the PFN's constrained proposals should be feasible"
    # the constrained optimum is 4.5 at (0.5, 0.5); feasible points of the box are mostly far worse (up to 98)
    assert min(t.value for t in feasible) < 7.0
    reloaded = optuna.load_study(study_name="pfn", storage=url, sampler=PFNSampler(seed=0, n_startup=4, options=FAST))
    reloaded.optimize(constrained, n_trials=1)
    assert len(reloaded.trials) == 10


def test_same_proposal_as_pfnopts_own_pfn_sampler():
    """Same history, seed and trial number: the Optuna sampler proposes what pfnopt's proposes
    (names out of alphabetical order: the PFN's columns follow the suggestion order in both)."""
    history = [({"y": 3.0 - 1.1 * i, "x": -4.0 + 1.3 * i}) for i in range(6)]
    own = pfnopt.create_study(sampler=pfnopt.samplers.get_sampler("pfn", seed=3, n_startup=4, options=FAST))
    ost = optuna.create_study(sampler=PFNSampler(seed=3, n_startup=4, options=FAST))
    space = {"y": pfnopt.Float(-5, 5), "x": pfnopt.Float(-5, 5)}
    for p in history:
        value, cons = (p["x"] - 2) ** 2 + (p["y"] - 2) ** 2, [p["x"] + p["y"] - 1.0]
        own.add_trial(pfnopt.trial.create_trial(params=p, distributions=space, value=value, constraints=cons))
        ost.add_trial(optuna.trial.create_trial(
            params=p, distributions={n: pfnopt.distributions.to_optuna(d) for n, d in space.items()},
            value=value, constraints={"sum": cons[0]}))
    mine = own.ask(space).params
    theirs = ost.ask()
    got = {"y": theirs.suggest_float("y", -5, 5), "x": theirs.suggest_float("x", -5, 5)}
    assert got == pytest.approx(mine, abs=1e-6)


def test_running_trials_are_pending_points():
    study = optuna.create_study(sampler=PFNSampler(seed=1, n_startup=3, options=FAST))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1) - 0.3) ** 2, n_trials=5)
    a, b = study.ask(), study.ask()  # both RUNNING: b must see a as pending
    xa, xb = a.suggest_float("x", 0, 1), b.suggest_float("x", 0, 1)
    assert xa != xb


def test_independent_fallback_and_constraints_func():
    seen = []
    sampler = PFNSampler(seed=2, n_startup=3, options=FAST, constraints_func=lambda t: [t.user_attrs["c"]])
    study = optuna.create_study(sampler=sampler)

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 2:  # a conditional parameter: never in the intersection space
            seen.append(trial.suggest_int("k", 0, 3))
        trial.set_user_attr("c", x - 0.5)
        return x

    study.optimize(objective, n_trials=6)
    assert len(seen) == 3 and all(0 <= k <= 3 for k in seen)
    assert all(t.constraints == {"0": pytest.approx(t.params["x"] - 0.5)} for t in study.trials)


def _worker(args):
    url, seed = args
    study = optuna.load_study(study_name="pool", storage=url, sampler=PFNSampler(seed=seed, n_startup=3, options=FAST))
    study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2 + t.suggest_float("y", -2, 2) ** 2, n_trials=3)
    return seed


def test_process_pool_on_one_rdb_storage(tmp_path):
    url = f"sqlite:///{tmp_path}/pool.db"
    optuna.create_study(study_name="pool", storage=url)
    pickle.loads(pickle.dumps(PFNSampler(seed=0)))  # picklable, for pools that ship the sampler
    # spawn, not fork: earlier tests leave threads (e.g. heartbeats) whose locks a forked child inherits held
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert sorted(pool.map(_worker, [(url, 0), (url, 1)])) == [0, 1]
    trials = optuna.load_study(study_name="pool", storage=url).trials
    assert len(trials) == 6 and all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    # two processes, each with its own sampler: mostly distinct points (a trial asked while another process's
    # trial has no params yet cannot see it as pending, so a repeat, e.g. of a corner, can happen)
    assert len({(t.params["x"], t.params["y"]) for t in trials}) >= 5


def test_multi_objective_study_runs():
    import warnings

    sampler = PFNSampler(seed=0, n_startup=3, options=FAST)
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("y", 0, 1) ** 2), n_trials=5)
    assert len(study.trials) == 5 and len(study.best_trials) >= 1
    if not getattr(sampler._pfn, "multi_objective", False):  # a single-objective PFN: the independent sampler, said once
        assert sum("single-objective" in str(w.message) for w in caught) == 1
