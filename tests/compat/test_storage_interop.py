"""Studies between pfnopt's storage and Optuna's RDB storage (what optuna-dashboard reads), both ways,
through the library functions and the `pfnopt export/import optuna` commands."""

from __future__ import annotations

import json

import pytest

optuna = pytest.importorskip("optuna")

from typer.testing import CliRunner  # noqa: E402

import pfnopt  # noqa: E402
from cli import app  # noqa: E402
from pfnopt.integrations.optuna_storage import export_to_optuna, import_from_optuna  # noqa: E402
from pfnopt.trial import TrialState  # noqa: E402

runner = CliRunner()


def make_study(url: str) -> pfnopt.Study:
    study = pfnopt.create_study(study_name="beam", storage=url, sampler="random", direction="minimize")
    study.set_user_attr("owner", "lab")
    study.set_metric_names(["mass"])

    def objective(trial):
        x = trial.suggest_float("x", 1e-3, 10, log=True)
        k = trial.suggest_int("k", 0, 8, step=2)
        trial.suggest_categorical("c", ["steel", "alu", None])
        trial.set_user_attr("note", f"trial {trial.number}")
        trial.set_constraint("stress", x - 5.0)
        trial.set_constraint("cost", k - 6.0)
        for step in range(3):
            trial.report(x + k - step, step)
        if trial.number == 3:
            raise pfnopt.TrialPruned()
        if trial.number == 4:
            raise RuntimeError("solver diverged")
        return x + k

    study.optimize(objective, n_trials=6, catch=(RuntimeError,))
    study.ask()  # one RUNNING
    study.enqueue_trial({"x": 1.0, "k": 2, "c": "alu"})  # one WAITING
    return study


def same(a, b) -> None:
    assert a.state.name == b.state.name and a.params == b.params
    assert (list(a.values) if a.values is not None else None) == (list(b.values) if b.values is not None else None)
    assert dict(a.intermediate_values) == dict(b.intermediate_values)
    assert dict(a.user_attrs) == dict(b.user_attrs)
    assert a.datetime_start == b.datetime_start and a.datetime_complete == b.datetime_complete


def test_round_trip_pfnopt_optuna_pfnopt(tmp_path):
    src, dst, back = (f"sqlite:///{tmp_path}/{n}.db" for n in ("pfnopt", "optuna", "back"))
    study = make_study(src)
    export_to_optuna("beam", src, dst)

    # Optuna reads it with its own API (as optuna-dashboard does)
    ost = optuna.load_study(study_name="beam", storage=dst)
    assert ost.metric_names == ["mass"] and ost.user_attrs == {"owner": "lab"}
    ot = ost.get_trials()
    assert [t.state.name for t in ot] == [t.state.name for t in study.trials]
    assert ot[0].constraints == {"stress": pytest.approx(study.trials[0].constraints[0]),
                                 "cost": pytest.approx(study.trials[0].constraints[1])}
    assert ot[0].distributions["x"] == optuna.distributions.FloatDistribution(1e-3, 10, log=True)
    assert ot[0].distributions["c"] == optuna.distributions.CategoricalDistribution(["steel", "alu", None])
    assert ot[0].datetime_start == study.trials[0].datetime_start
    assert ost.best_trial.number == min((t for t in study.trials if t.state == TrialState.COMPLETE and t.feasible),
                                        key=lambda t: t.value).number

    copy = import_from_optuna("beam", dst, back)
    assert copy.user_attrs == {"owner": "lab"} and copy.metric_names == ["mass"]
    assert len(copy.trials) == len(study.trials)
    for a, b in zip(study.trials, copy.trials):
        same(a, b)
        if a.constraints is not None:
            assert list(a.constraints) == list(b.constraints)
            assert b.system_attrs["constraint_names"] == ["stress", "cost"]
        assert b.system_attrs.get("fail_reason") == a.system_attrs.get("fail_reason")
    assert copy.trials[-1].system_attrs["fixed_params"] == {"x": 1.0, "k": 2, "c": "alu"}


def test_optuna_study_continued_with_pfnopt(tmp_path):
    dst, mine = f"sqlite:///{tmp_path}/optuna.db", f"sqlite:///{tmp_path}/pfnopt.db"
    ost = optuna.create_study(study_name="q", storage=dst, sampler=optuna.samplers.RandomSampler(seed=0))
    ost.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=5)
    study = import_from_optuna("q", dst, mine)
    study.sampler = pfnopt.samplers.get_sampler("sobol", seed=0)
    study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=2)
    assert len(study.trials) == 7 and study.best_value <= ost.best_value
    for a, b in zip(ost.trials, study.trials):
        same(a, b)


def test_cli_export_import_and_errors(tmp_path):
    src, dst = f"sqlite:///{tmp_path}/p.db", f"sqlite:///{tmp_path}/o.db"
    make_study(src)
    r = runner.invoke(app, ["export", "optuna", "beam", "--to", dst, "--storage", src])
    assert r.exit_code == 0, r.output
    assert "exported 8 trial(s)" in r.output
    r = runner.invoke(app, ["export", "optuna", "beam", "--to", dst, "--storage", src])
    assert r.exit_code == 1 and "already has a study named 'beam'" in r.output
    r = runner.invoke(app, ["import", "optuna", "beam", "--from", dst, "--name", "beam2", "--storage", src])
    assert r.exit_code == 0 and "imported 8 trial(s)" in r.output, r.output
    r = runner.invoke(app, ["import", "optuna", "nope", "--from", dst, "--storage", src])
    assert r.exit_code == 1 and "has no study 'nope'" in r.output and "beam" in r.output
    assert len(pfnopt.load_study("beam2", src).trials) == 8


def test_cli_version_help_and_optuna_search_space(tmp_path):
    url = f"sqlite:///{tmp_path}/a.db"
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.strip() == f"pfnopt {pfnopt.__version__}"
    r = runner.invoke(app, ["-h"])
    assert r.exit_code == 0 and "Usage" in r.output and "export" in r.output
    pfnopt.create_study(study_name="s", storage=url)
    space = {"x": {"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0, "log": False, "step": None}},
             "n": {"name": "IntDistribution", "attributes": {"low": 1, "high": 8, "log": False, "step": 1}},
             "c": {"name": "CategoricalDistribution", "attributes": {"choices": ["a", "b"]}}}
    assert json.loads(optuna.distributions.distribution_to_json(optuna.distributions.FloatDistribution(0.0, 1.0))) \
        == space["x"]  # the format is Optuna's own
    r = runner.invoke(app, ["ask", "s", "--search-space", json.dumps(space), "--sampler", "random", "--storage", url])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert set(out["params"]) == {"x", "n", "c"} and out["params"]["c"] in ("a", "b")
    bad = {"x": {"name": "UniformishDistribution", "attributes": {}}}
    r = runner.invoke(app, ["ask", "s", "--search-space", json.dumps(bad), "--storage", url])
    assert r.exit_code == 1 and "not an Optuna distribution" in r.output
    r = runner.invoke(app, ["ask", "s", "--storage", url])
    assert r.exit_code == 1 and "exactly one" in r.output
    assert len(pfnopt.load_study("s", url).trials) == 1  # the refused asks stored nothing
