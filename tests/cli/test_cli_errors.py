"""The CLI's one-line errors come from pfnopt's error tree (PfnoptError), not from catching ValueError."""

from __future__ import annotations

from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def test_bad_space_and_objective_are_one_line_pfnopt_errors(tmp_path):
    url = f"sqlite:///{tmp_path / 'e.db'}"
    assert runner.invoke(app, ["study", "create", "s", "--storage", url]).exit_code == 0
    r = runner.invoke(app, ["ask", "s", "--space", "{not json", "--storage", url])
    assert r.exit_code == 1 and "--space is not valid JSON" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["optimize", "s", "--objective", "nofunction", "--n-trials", "1", "--storage", url])
    assert r.exit_code == 1 and "--objective must look like path/to/file.py:function" in r.output
    r = runner.invoke(app, ["optimize", "s", "--objective", f"{tmp_path / 'missing.py'}:f", "--n-trials", "1",
                            "--storage", url])
    assert r.exit_code == 1 and "does not exist" in r.output


def test_multi_objective_study_with_a_single_objective_sampler_is_refused_in_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    r = runner.invoke(app, ["study", "create", "mo", "-d", "minimize", "-d", "maximize", "--storage", url])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["ask", "mo", "--space", '{"x": {"type": "float", "low": 0, "high": 1}}', "--sampler",
                            "gp-cei", "--storage", url])
    assert r.exit_code == 1 and "optimises one objective" in r.output and "NotSupportedError" not in r.output
    r = runner.invoke(app, ["ask", "mo", "--space", '{"x": {"type": "float", "low": 0, "high": 1}}', "--sampler",
                            "sobol", "--storage", url])
    assert r.exit_code == 0, r.output
