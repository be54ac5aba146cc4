"""Optuna programs' API calls, written as an Optuna program writes them (``import pfnopt as optuna``)."""

from __future__ import annotations

import logging

import pytest

import pfnopt as optuna
from pfnopt.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from pfnopt.exceptions import DuplicatedStudyError, ParameterError, PfnoptError
from pfnopt.study import MaxTrialsCallback, StudyDirection
from pfnopt.trial import FixedTrial, TrialState, create_trial


def quadratic(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -3, 3)
    return (x - 2) ** 2 + y**2


def test_module_paths_and_enums():
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    assert study.direction == StudyDirection.MAXIMIZE
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    assert len(done) == 4 and all(t.state == optuna.trial.TrialState.COMPLETE for t in done)
    assert len(study.get_trials(False, [TrialState.FAIL])) == 0
    assert study.get_trials((TrialState.COMPLETE,)) == done  # pfnopt's positional states still work


def test_ask_with_optuna_named_distributions_and_real_optuna_objects():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    t = study.ask(fixed_distributions={"x": FloatDistribution(0, 1), "n": IntDistribution(1, 8, log=True),
                                       "c": CategoricalDistribution(["a", "b"])})
    assert set(t.params) == {"x", "n", "c"} and 1 <= t.params["n"] <= 8
    study.tell(t, 1.0)
    real = pytest.importorskip("optuna")
    t2 = study.ask(fixed_distributions={"x": real.distributions.FloatDistribution(0, 1),
                                        "n": real.distributions.IntDistribution(1, 8, log=True),
                                        "c": real.distributions.CategoricalDistribution(["a", "b"])})
    assert t2.distributions == t.distributions
    with pytest.raises(ParameterError, match="not a distribution"):
        study.ask(fixed_distributions={"x": (0, 1)})


def test_logging_is_the_standard_logger():
    old = logging.getLogger("pfnopt").level
    try:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        assert logging.getLogger("pfnopt").level == logging.WARNING
        assert optuna.logging.get_verbosity() == optuna.logging.WARNING
        optuna.logging.enable_default_handler()
        assert any(isinstance(h, logging.StreamHandler) for h in logging.getLogger("pfnopt").handlers)
        optuna.logging.disable_default_handler()
        with pytest.raises(ParameterError, match="verbosity"):
            optuna.logging.set_verbosity("loud")
    finally:
        logging.getLogger("pfnopt").setLevel(old)


def test_stop_and_max_trials_callback():
    study = optuna.create_study(sampler="random")

    def objective(trial):
        if trial.number == 2:
            trial.study.stop()
        return quadratic(trial)

    study.optimize(objective, n_trials=20)
    assert len(study.trials) == 3
    study.optimize(quadratic, n_trials=50, callbacks=[MaxTrialsCallback(6, states=(TrialState.COMPLETE,))])
    assert len(study.trials) == 6
    with pytest.raises(RuntimeError, match="inside optimize"):
        study.stop()


def test_add_trial_create_trial_and_fixed_trial(tmp_path):
    study = optuna.create_study(storage=f"sqlite:///{tmp_path}/a.db", study_name="s")
    t = create_trial(params={"x": 2.0, "y": 0}, distributions={"x": FloatDistribution(-10, 10), "y": IntDistribution(-3, 3)},
                     value=0.0, intermediate_values={0: 3.0, 1: 1.5}, user_attrs={"src": "grid"},
                     constraints={"weight": -1.0, "cost": 0.5})
    study.add_trial(t)
    study.add_trials([create_trial(state=TrialState.FAIL, params={}, distributions={})])
    stored = study.trials
    assert [s.state for s in stored] == [TrialState.COMPLETE, TrialState.FAIL]
    assert stored[0].params == {"x": 2.0, "y": 0} and stored[0].intermediate_values == {0: 3.0, 1: 1.5}
    assert stored[0].constraints == (-1.0, 0.5) or list(stored[0].constraints) == [-1.0, 0.5]
    assert stored[0].system_attrs["constraint_names"] == ["weight", "cost"]
    assert stored[0].datetime_start == t.datetime_start and stored[0].datetime_complete == t.datetime_complete
    assert not stored[0].feasible
    with pytest.raises(PfnoptError, match="needs 1 value"):
        study.add_trial(create_trial(state=TrialState.COMPLETE, values=[1.0, 2.0], params={}, distributions={}))
    assert len(study.trials) == 2  # nothing stored by the refused one
    assert quadratic(FixedTrial({"x": 2.0, "y": 1})) == 1.0
    with pytest.raises(ParameterError, match="no value for parameter 'y'"):
        quadratic(FixedTrial({"x": 2.0}))


def test_enqueue_skip_if_exists():
    study = optuna.create_study(sampler="random")
    study.enqueue_trial({"x": 1.0, "y": 0})
    study.enqueue_trial({"x": 1.0, "y": 0}, skip_if_exists=True)
    assert len(study.trials) == 1
    study.optimize(quadratic, n_trials=1)
    study.enqueue_trial({"x": 1.0, "y": 0}, skip_if_exists=True)
    study.enqueue_trial({"x": 3.0, "y": 0}, skip_if_exists=True)
    assert len(study.trials) == 2 and study.trials[0].params == {"x": 1.0, "y": 0}


def test_trials_dataframe_attrs_multi_index_and_metric_names():
    study = optuna.create_study(directions=["minimize", "maximize"], sampler="random")
    study.set_metric_names(["loss", "acc"])
    assert study.metric_names == ["loss", "acc"]
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=3)
    df = study.trials_dataframe(attrs=("number", "value", "params", "state", "duration"))
    assert list(df.columns) == ["number", "values_loss", "values_acc", "params_x", "state", "duration"]
    assert (df["state"] == "COMPLETE").all() and df["duration"].dt.total_seconds().ge(0).all()
    multi = study.trials_dataframe(multi_index=True)
    assert ("params", "x") in multi.columns and ("values", "acc") in multi.columns
    with pytest.raises(ParameterError, match="unknown attrs"):
        study.trials_dataframe(attrs=("bogus",))
    with pytest.raises(ParameterError, match="2 non-empty"):
        study.set_metric_names(["only-one"])


def test_study_names_summaries_copy_and_duplicate_error(tmp_path):
    a, b = f"sqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/b.db"
    study = optuna.create_study(study_name="src", storage=a, sampler="random")
    study.set_user_attr("owner", "me")
    study.optimize(quadratic, n_trials=3)
    assert optuna.get_all_study_names(a) == ["src"]
    summary = optuna.get_all_study_summaries(a)[0]
    assert summary.study_name == "src" and summary.n_trials == 3 and summary.direction == StudyDirection.MINIMIZE
    assert summary.datetime_start is not None
    optuna.copy_study(from_study_name="src", from_storage=a, to_storage=b)
    copy = optuna.load_study(study_name="src", storage=b)
    assert [t.params for t in copy.trials] == [t.params for t in study.trials]
    assert [t.datetime_complete for t in copy.trials] == [t.datetime_complete for t in study.trials]
    assert copy.user_attrs == {"owner": "me"}
    with pytest.raises(DuplicatedStudyError):
        optuna.create_study(study_name="src", storage=a)
    assert issubclass(optuna.exceptions.DuplicatedStudyError, optuna.exceptions.OptunaError)


def test_named_constraints_and_constraints_func():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))  # seeded: some x <= 0.5

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.set_constraint("x_below_half", x - 0.5)
        trial.set_constraint("x_below_half", 99.0)  # a second value for a name is ignored, as in Optuna
        return x

    study.optimize(objective, n_trials=6)
    for t in study.trials:
        assert list(t.constraints) == [pytest.approx(t.params["x"] - 0.5)]
        assert t.system_attrs["constraint_names"] == ["x_below_half"]
    assert study.best_trial.params["x"] <= 0.5


def test_optuna_style_user_defined_sampler():
    class MySampler(optuna.samplers.BaseSampler):
        """An Optuna tutorial-style sampler: relative over the intersection, one value independent."""

        def __init__(self):
            super().__init__()
            self.relative_calls = 0

        def infer_relative_search_space(self, study, trial):
            done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            return dict(done[0].distributions) if done else {}

        def sample_relative(self, study, trial, search_space):
            self.relative_calls += 1
            return {n: (d.low + d.high) / 2 for n, d in search_space.items() if isinstance(d, FloatDistribution)}

        def sample_independent(self, study, trial, param_name, param_distribution):
            return param_distribution.low

    sampler = MySampler()
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 4) + t.suggest_float("z", 0, 2), n_trials=3)
    assert [t.params for t in study.trials] == [{"x": 0.0, "z": 0.0}, {"x": 2.0, "z": 1.0}, {"x": 2.0, "z": 1.0}]
    assert sampler.relative_calls == 2


def test_grid_brute_force_partial_fixed_qmc():
    grid = optuna.samplers.GridSampler({"x": [0.0, 1.0, 2.0], "y": [-1, 1]}, seed=0)
    study = optuna.create_study(sampler=grid)
    study.optimize(quadratic, n_trials=100)
    assert sorted((t.params["x"], t.params["y"]) for t in study.trials) == [
        (x, y) for x in (0.0, 1.0, 2.0) for y in (-1, 1)]
    with pytest.raises(ParameterError, match="not in the grid"):
        optuna.create_study(sampler=grid).optimize(lambda t: t.suggest_float("z", 0, 1), n_trials=1)

    def finite(trial):
        a = trial.suggest_categorical("a", ["p", "q"])
        b = trial.suggest_int("b", 0, 2) if a == "p" else 0
        return float(b)

    brute = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(seed=0))
    brute.optimize(finite, n_trials=100)
    combos = [tuple(t.params.items()) for t in brute.trials]
    assert set(combos) == {(("a", "p"), ("b", 0)), (("a", "p"), ("b", 1)), (("a", "p"), ("b", 2)), (("a", "q"),)}
    assert len(combos) <= 5  # every combination once, then at most one repeat before it stops

    fixed = optuna.create_study(sampler=optuna.samplers.PartialFixedSampler({"y": 2}, optuna.samplers.RandomSampler(seed=0)))
    fixed.optimize(quadratic, n_trials=4)
    assert {t.params["y"] for t in fixed.trials} == {2}
    qmc = optuna.create_study(sampler=optuna.samplers.QMCSampler(seed=0))
    qmc.optimize(quadratic, n_trials=4)
    assert len({t.params["x"] for t in qmc.trials}) == 4
    with pytest.raises(ParameterError, match="qmc_type"):
        optuna.samplers.QMCSampler(qmc_type="halton")


def test_optuna_tutorial_sampler_without_super_init_and_search_space_module():
    """The optuna-examples simulated-annealing sampler's shape: no super().__init__(), a pfnopt
    RandomSampler as its independent sampler, optuna.search_space.intersection_search_space."""

    class Walk(optuna.samplers.BaseSampler):
        def __init__(self, seed=None):
            self._independent = optuna.samplers.RandomSampler(seed=seed)

        def infer_relative_search_space(self, study, trial):
            return optuna.search_space.intersection_search_space(study.trials)

        def sample_relative(self, study, trial, search_space):
            if not search_space:
                return {}
            last = study.get_trials(deepcopy=False, states=[TrialState.COMPLETE])[-1]
            return {n: min(d.high, last.params[n] + 0.1) for n, d in search_space.items()}

        def sample_independent(self, study, trial, param_name, param_distribution):
            return self._independent.sample_independent(study, trial, param_name, param_distribution)

    study = optuna.create_study(sampler=Walk(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    xs = [t.params["x"] for t in study.trials]
    assert xs[1:] == pytest.approx([min(1.0, xs[0] + 0.1 * k) for k in (1, 2, 3)])
    assert optuna.search_space.intersection_search_space(study.trials) == {"x": FloatDistribution(0, 1)}


def test_optuna_samplers_through_the_adapter():
    real = pytest.importorskip("optuna")
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=3))
    study.optimize(quadratic, n_trials=8)
    assert len(study.trials) == 8 and study.best_value < 30
    # a real Optuna sampler object (also a user's Optuna subclass) is wrapped as it is given
    study = optuna.create_study(sampler=real.samplers.RandomSampler(seed=0))
    study.optimize(quadratic, n_trials=3)
    assert type(study.sampler).__name__ == "OptunaSamplerAdapter" and len(study.trials) == 3
    # Optuna's constraints_func reaches pfnopt's stored constraints too
    tpe = optuna.samplers.TPESampler(seed=0, n_startup_trials=2, constraints_func=lambda t: [t.params["x"] - 1.0])
    study = optuna.create_study(sampler=tpe)
    study.optimize(quadratic, n_trials=4)
    assert all(list(t.constraints) == [pytest.approx(t.params["x"] - 1.0)] for t in study.trials)
    assert all(t.system_attrs["constraints"] == list(t.constraints) for t in study.trials)
    # NSGA-II on two objectives, CMA-ES warm-started from a pfnopt study's trials
    nsga = optuna.create_study(directions=["minimize", "minimize"], sampler=optuna.samplers.NSGAIISampler(seed=0, population_size=4))
    nsga.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("y", 0, 1)), n_trials=8)
    assert len(nsga.best_trials) >= 1
    pytest.importorskip("cmaes")
    source = optuna.create_study(sampler="random")
    source.optimize(quadratic, n_trials=12)
    cma = optuna.create_study(sampler=optuna.samplers.CmaEsSampler(source_trials=source.trials, seed=0))
    cma.optimize(lambda t: t.suggest_float("x", -10, 10) ** 2 + t.suggest_int("y", -3, 3) ** 2, n_trials=4)
    assert len(cma.trials) == 4


def test_rdb_storage_name_and_artifacts(tmp_path):
    from pfnopt.artifacts import FileSystemArtifactStore, download_artifact, get_all_artifact_meta, upload_artifact

    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path}/art.db")
    store = FileSystemArtifactStore(base_path=tmp_path / "artifacts")
    data = tmp_path / "data.csv"
    data.write_text("x,y\n1,2\n")
    study = optuna.create_study(study_name="demo", storage=storage, load_if_exists=True, sampler="random")
    upload_artifact(artifact_store=store, file_path=str(data), study_or_trial=study)

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        out = tmp_path / f"fig{trial.number}.txt"
        out.write_text(f"x={x}")
        upload_artifact(artifact_store=store, file_path=str(out), study_or_trial=trial)
        return x

    study.optimize(objective, n_trials=3)
    meta = get_all_artifact_meta(study.best_trial, storage=storage)
    assert len(meta) == 1 and meta[0].filename == f"fig{study.best_trial.number}.txt" and meta[0].mimetype == "text/plain"
    download_artifact(artifact_store=store, artifact_id=meta[0].artifact_id, file_path=str(tmp_path / "best.txt"))
    assert (tmp_path / "best.txt").read_text() == f"x={study.best_trial.params['x']}"
    assert get_all_artifact_meta(study)[0].filename == "data.csv"
    with pytest.raises(ParameterError, match="exists already"):
        download_artifact(artifact_store=store, artifact_id=meta[0].artifact_id, file_path=str(tmp_path / "best.txt"))
    with pytest.raises(FileNotFoundError, match="no artifact"):
        store.open_reader("missing")


def test_objective_rerun_on_the_best_frozen_trial_and_experimental_warning():
    import warnings

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    study = optuna.create_study(sampler="random")
    study.optimize(quadratic, n_trials=5)
    assert quadratic(study.best_trial) == study.best_value
    with pytest.raises(ParameterError, match="has no parameter 'z'"):
        study.best_trial.suggest_float("z", 0, 1)
    with pytest.raises(ParameterError, match="out of its distribution"):
        study.best_trial.suggest_float("x", 100, 200)


@pytest.mark.slow  # ten GP fits by Optuna's terminator: ~30 s on a loaded CI core
def test_terminator_callback_stops_optimize():
    pytest.importorskip("optuna")
    from pfnopt.terminator import TerminatorCallback, report_cross_validation_scores

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        # a flat objective with noisy cross-validation folds: nothing left to gain, the terminator stops
        report_cross_validation_scores(trial, [0.5 + 0.1 * x, 0.3, 0.7, 0.5])
        return 0.5 + 1e-3 * x

    study = optuna.create_study(direction="maximize", sampler="random")
    study.optimize(objective, n_trials=30, callbacks=[TerminatorCallback()])
    assert 20 <= len(study.trials) < 30  # Optuna's terminator needs 20 trials before it judges
    assert study.trials[0].system_attrs["terminator:cv_scores"][1] == 0.3
    with pytest.raises(PfnoptError, match="at least two"):
        report_cross_validation_scores(study.ask(), [1.0])


def test_lazy_optuna_modules_as_attributes():
    import subprocess
    import sys

    code = ("import sys, pfnopt as optuna; assert 'pfnopt.visualization' not in sys.modules; "
            "assert callable(optuna.visualization.plot_pareto_front); assert callable(optuna.importance.get_param_importances); "
            "assert callable(optuna.artifacts.upload_artifact); print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        getattr(optuna, "nonexistent")  # noqa: B009


def test_tutorial_import_paths_and_numpy_steps():
    """``from optuna.trial._state import TrialState`` (Optuna's user-defined pruner tutorial) and
    ``trial.report(value, np.int64 step)`` (the Wilcoxon example reports instance ids of a permutation)."""
    import numpy as np

    from pfnopt.trial._state import TrialState as StateFromPrivatePath

    assert StateFromPrivatePath is TrialState
    study = optuna.create_study(sampler="random")
    t = study.ask()
    for i in np.random.default_rng(0).permutation(3):
        t.report(float(i), i)
    study.tell(t, 0.0)
    assert study.trials[0].intermediate_values == {0: 0.0, 1: 1.0, 2: 2.0}
    assert all(type(k) is int for k in study.trials[0].intermediate_values)
    t = study.ask()
    for bad in (np.float64(1.0), -1, True):
        with pytest.raises(ParameterError, match="report step must be a non-negative integer"):
            t.report(1.0, bad)
