"""The CLI end to end: a tiny 3-trial search stored in SQLite, best, export, load."""

import json

import numpy as np
from typer.testing import CliRunner

import pfnopt
from pfnopt.automl import load_model
from pfnopt.commands.automl import app

runner = CliRunner()


def test_run_best_export_through_the_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"params": {"width": [16], "depth": [1]}, "fixed": {"lookback": 48}}))
    res = runner.invoke(
        app,
        [
            "run",
            "--task",
            "synthetic",
            "--horizon",
            "12",
            "--n-trials",
            "3",
            "--sampler",
            "random",
            "--epochs",
            "1",
            "--steps-per-epoch",
            "4",
            "--device",
            "cpu",
            "--space",
            str(space),
            "--storage",
            url,
            "--study",
            "cli-test",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "best architecture of cli-test" in res.output
    study = pfnopt.load_study("cli-test", url, sampler="random")
    assert len(study.trials) == 3 and all(t.state.name in ("COMPLETE", "FAIL") for t in study.trials)
    assert {t.params["family"] for t in study.trials} <= {"patchtst", "tsmixer", "patchtsmixer", "resmlp", "dlinear"}

    res = runner.invoke(app, ["best", "cli-test", "--storage", url])
    assert res.exit_code == 0 and "family" in res.output

    res = runner.invoke(app, ["export", "cli-test", "--out", str(tmp_path / "model"), "--storage", url])
    assert res.exit_code == 0, res.output
    assert "saved during the search" in res.output  # the artifacts of the run, not a retrain
    model = load_model(tmp_path / "model")
    assert model.predict(np.zeros((2, 48, 3))).shape == (2, 12, 3)


def test_errors_are_one_line_with_exit_code_1(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    res = runner.invoke(
        app,
        [
            "run",
            "--task",
            "csv",
            "--data",
            str(tmp_path / "none.csv"),
            "--target",
            "y",
            "--n-trials",
            "1",
            "--storage",
            url,
        ],
    )
    assert res.exit_code == 1 and "none.csv" in res.output and "--data" in res.output
    res = runner.invoke(app, ["best", "missing", "--storage", url])
    assert res.exit_code == 1


def test_help_has_an_example():
    res = runner.invoke(app, ["run", "--help"])
    assert res.exit_code == 0 and "pfnopt automl run --task" in res.output
