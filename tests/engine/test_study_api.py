"""The public study API on every backend: ask/tell, optimize, enqueue, pruning, bad input."""

from __future__ import annotations

import math

import pytest

import pfnopt
from pfnopt import Categorical, Float, Int, TrialState
from pfnopt.exceptions import (
    DuplicateStudyError,
    InvalidValueError,
    NoFeasibleTrialError,
    ParameterError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialNotFoundError,
)
from pfnopt.pruners import MedianPruner


def beam(trial):
    x = trial.suggest_float("x", 0.1, 2.0, log=True)
    n = trial.suggest_int("n", 1, 8)
    kind = trial.suggest_categorical("kind", ["steel", "alu"])
    trial.set_constraints([x - 1.5, 0.3 - x])
    return (x - 1.0) ** 2 + 0.1 * n + (0.5 if kind == "alu" else 0.0)


def test_define_by_run_optimize_and_best_feasible(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="sobol", direction="minimize")
    study.optimize(beam, n_trials=16)
    trials = study.trials
    assert [t.number for t in trials] == list(range(16))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    best = study.best_trial
    assert best.feasible and 0.3 <= best.params["x"] <= 1.5
    feasible_values = [t.value for t in trials if t.feasible]
    assert best.value == min(feasible_values)
    assert isinstance(best.params["n"], int) and best.params["kind"] in ("steel", "alu")
    # reopened from the storage, everything is still there
    again = pfnopt.load_study(study_name=study_name, storage=storage)
    assert again.best_trial.number == best.number
    assert list(again.trials[3].constraints) == list(trials[3].constraints)


def test_ask_with_space_and_tell_by_object_or_number(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random")
    space = {"x": Float(0, 1), "k": Int(1, 5), "c": Categorical(["a", "b"])}
    t1 = study.ask(space)
    assert set(t1.params) == {"x", "k", "c"}
    study.tell(t1, 1.25, constraints=[-0.1, 0.3])
    t2 = study.ask(space)
    study.tell(t2.number, 0.5, constraints=[-1.0, -2.0])
    t3 = study.ask(space)
    study.tell(t3, state="fail")
    frozen = study.trials
    assert [t.state for t in frozen] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL]
    assert list(frozen[0].constraints) == [-0.1, 0.3] and not frozen[0].feasible
    assert study.best_trial.number == 1
    batch = study.ask(space, n=3)
    assert [t.number for t in batch] == [3, 4, 5]
    assert all(t.state == TrialState.RUNNING for t in study.get_trials(states=[TrialState.RUNNING]))


def test_tell_errors_lose_nothing(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random")
    t = study.ask({"x": Float(0, 1)})
    with pytest.raises(InvalidValueError, match="1 objective"):
        study.tell(t, [1.0, 2.0])
    with pytest.raises(InvalidValueError, match="must return a number"):
        study.tell(t, "abc")
    assert study.trials[0].state == TrialState.RUNNING  # refused, still RUNNING
    study.tell(t, 3.0)
    with pytest.raises(TrialFinishedError, match="already finished"):
        study.tell(t, 4.0)
    assert list(study.trials[0].values) == [3.0]
    with pytest.raises(TrialNotFoundError, match="no trial number 99"):
        study.tell(99, 1.0)
    t2 = study.ask()
    for bad_state in ("exploded", "running", "waiting", TrialState.RUNNING):
        # the message lists exactly the states tell takes
        with pytest.raises(ParameterError, match="tell takes state complete, fail or pruned"):
            study.tell(t2, state=bad_state)
    with pytest.raises(InvalidValueError, match="objective value '1' is not a number"):
        study.tell(t2, ["1"])  # strings are refused inside a list as they are alone
    with pytest.raises(InvalidValueError, match="is not a number"):
        study.tell(t2, [True])
    with pytest.raises(InvalidValueError, match="constraint value '0.5' is not a number"):
        study.tell(t2, 1.0, constraints=["0.5"])
    assert study.trials[t2.number].state == TrialState.RUNNING  # refused, still RUNNING
    assert study.tell(t2, 1.0).state == TrialState.COMPLETE


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_values_store_fail_with_reason(storage, study_name, bad):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random")
    t = study.ask({"x": Float(0, 1)})
    frozen = study.tell(t, bad)
    assert frozen.state == TrialState.FAIL
    assert "not finite" in frozen.system_attrs["fail_reason"]
    t2 = study.ask({"x": Float(0, 1)})
    frozen2 = study.tell(t2, 1.0, constraints=[bad])
    assert frozen2.state == TrialState.FAIL and "constraint" in frozen2.system_attrs["fail_reason"]


def test_objective_exceptions_fail_the_trial_and_reraise_unless_caught(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random")

    def broken(trial):
        trial.suggest_float("x", 0, 1)
        raise RuntimeError("solver diverged")

    with pytest.raises(RuntimeError, match="solver diverged"):
        study.optimize(broken, n_trials=3)
    assert len(study.trials) == 1 and study.trials[0].state == TrialState.FAIL
    assert "solver diverged" in study.trials[0].system_attrs["fail_reason"]
    assert "Traceback" in study.trials[0].system_attrs["fail_reason"]
    study.optimize(broken, n_trials=3, catch=(RuntimeError,))
    assert len(study.trials) == 4
    with pytest.raises(NoFeasibleTrialError, match="no complete trial"):
        _ = study.best_trial


def test_no_feasible_trial_error_names_least_violation(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random")

    def infeasible(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.set_constraints([1.0 + x])
        return x

    study.optimize(infeasible, n_trials=3)
    with pytest.raises(NoFeasibleTrialError, match="none of the 3 complete trials .* least violating"):
        _ = study.best_trial


def test_callbacks_timeout_and_threads(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random")
    seen = []
    study.optimize(beam, n_trials=12, n_jobs=3, callbacks=[lambda s, t: seen.append(t.number)])
    assert sorted(seen) == list(range(12))
    assert sorted(t.number for t in study.trials) == list(range(12))
    study.optimize(beam, timeout=0.5, n_trials=1000)
    assert 12 < len(study.trials) < 1012


def test_enqueue_trial_runs_first_with_fixed_params(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random")
    study.enqueue_trial({"x": 1.0, "n": 3, "kind": "alu"})
    assert study.trials[0].state == TrialState.WAITING
    study.optimize(beam, n_trials=2)
    first = study.trials[0]
    assert first.params == {"x": 1.0, "n": 3, "kind": "alu"} and first.state == TrialState.COMPLETE
    study.enqueue_trial({"x": 50.0})  # out of range: the trial fails with a clear reason
    with pytest.raises(ParameterError, match="value 50.0 of parameter 'x'"):
        study.optimize(beam, n_trials=1)


def test_suggest_conflicts_and_bad_distributions(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random")
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    assert trial.suggest_float("x", 0, 1) == x  # same distribution: same value
    with pytest.raises(ParameterError, match="suggested with .* before"):
        trial.suggest_float("x", 0, 2)
    with pytest.raises(ParameterError, match="low must be <= high"):
        trial.suggest_float("y", 1, 0)
    with pytest.raises(ParameterError, match="log-scale"):
        trial.suggest_float("y", 0, 1, log=True)
    with pytest.raises(ParameterError, match="does not divide"):
        trial.suggest_int("k", 0, 10, step=3)
    with pytest.raises(ParameterError, match="at least one choice"):
        trial.suggest_categorical("c", [])
    study.tell(trial, 1.0)
    assert study.trials[0].params == {"x": x}


def test_report_median_pruner_and_user_attrs(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random",
                                pruner=MedianPruner(n_startup_trials=2))

    def curve(trial):
        offset = trial.suggest_float("offset", 0, 1)
        trial.set_user_attr("note", {"offset": offset})
        for step in range(5):
            trial.report(offset + 1.0 / (step + 1), step)
            if trial.should_prune():
                raise pfnopt.TrialPruned()
        return offset

    study.enqueue_trial({"offset": 0.1})
    study.enqueue_trial({"offset": 0.2})
    study.enqueue_trial({"offset": 0.9})  # worse than the median at step 0: pruned there
    study.optimize(curve, n_trials=3)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.PRUNED]
    pruned = study.trials[2]
    assert list(pruned.intermediate_values) == [0]
    assert pruned.user_attrs["note"] == {"offset": 0.9}
    with pytest.raises(ParameterError, match="step must be a non-negative integer"):
        study.ask().report(1.0, -1)


def test_multi_objective_values_are_stored(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="random",
                                directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("x", 0, 1) ** 2), n_trials=5)
    assert all(len(t.values) == 2 for t in study.trials)
    front = study.best_trials
    assert front and all(t.state == TrialState.COMPLETE for t in front)
    with pytest.raises(InvalidValueError, match="2 objective"):
        study.tell(study.ask(), 1.0)
    with pytest.raises(ValueError, match="2 objectives"):
        _ = study.best_trial
    df = study.trials_dataframe()
    assert {"values_0", "values_1"} <= set(df.columns)


def test_study_lifecycle_errors(storage, study_name):
    pfnopt.create_study(study_name=study_name, storage=storage)
    with pytest.raises(DuplicateStudyError, match=study_name):
        pfnopt.create_study(study_name=study_name, storage=storage)
    same = pfnopt.create_study(study_name=study_name, storage=storage, load_if_exists=True)
    assert same.study_name == study_name
    with pytest.raises(ParameterError, match="exists with directions"):
        pfnopt.create_study(study_name=study_name, storage=storage, direction="maximize", load_if_exists=True)
    with pytest.raises(StudyNotFoundError, match="no-such-study"):
        pfnopt.load_study(study_name="no-such-study", storage=storage)
    with pytest.raises(ParameterError, match="unknown direction"):
        pfnopt.create_study(storage=storage, direction="sideways")
    with pytest.raises(ParameterError, match="unknown sampler 'nope'"):
        pfnopt.create_study(storage=storage, sampler="nope")
    pfnopt.delete_study(study_name, storage)
    with pytest.raises(StudyNotFoundError):
        pfnopt.load_study(study_name=study_name, storage=storage)


def test_trials_dataframe_has_one_row_per_trial(storage, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=storage, sampler="sobol")
    study.optimize(beam, n_trials=5)
    df = study.trials_dataframe()
    assert len(df) == 5
    assert {"number", "state", "value", "params_x", "params_n", "params_kind", "constraint_0", "feasible"} <= set(df.columns)
    assert df["value"].tolist() == [t.value for t in study.trials]


def test_samplers_are_deterministic_for_a_seed(study_name):
    for name in ("random", "sobol"):
        runs = []
        for _ in range(2):
            study = pfnopt.create_study(sampler=pfnopt.samplers.get_sampler(name, seed=7))
            study.optimize(beam, n_trials=6)
            runs.append([t.params for t in study.trials])
        assert runs[0] == runs[1]
        other = pfnopt.create_study(sampler=pfnopt.samplers.get_sampler(name, seed=8))
        other.optimize(beam, n_trials=6)
        assert [t.params for t in other.trials] != runs[0]
