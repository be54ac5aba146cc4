"""Every `pfnopt` command through typer's runner, plus real subprocess runs of the installed entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

runner = CliRunner()

OBJECTIVE = '''
def objective(trial):
    x = trial.suggest_float("x", 0.0, 2.0)
    k = trial.suggest_int("k", 1, 4)
    trial.set_constraints([0.2 - x])
    return (x - 1.0) ** 2 + k

def not_a_function_but_a_value():
    pass
'''


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def invoke(*args: str, env: dict | None = None):
    return runner.invoke(app, list(args), env=env)


def test_study_create_list_delete(url):
    r = invoke("study", "create", "beam", "--direction", "minimize", "--storage", url)
    assert r.exit_code == 0, r.output
    assert "created study beam" in r.output
    r = invoke("study", "create", "beam", "--storage", url)
    assert r.exit_code == 1 and "beam" in r.output and "already exists" in r.output
    r = invoke("study", "list", "--storage", url)
    assert r.exit_code == 0 and "beam" in r.output
    r = invoke("study", "delete", "beam", "--yes", "--storage", url)
    assert r.exit_code == 0 and "deleted" in r.output
    r = invoke("study", "delete", "beam", "--yes", "--storage", url)
    assert r.exit_code == 1 and "beam" in r.output


def test_ask_tell_trials_best(url):
    invoke("study", "create", "s", "--storage", url)
    space = json.dumps({"x": {"type": "float", "low": 0, "high": 1}, "c": {"type": "categorical", "choices": ["a", "b"]}})
    r = invoke("ask", "s", "--space", space, "--sampler", "sobol", "--seed", "1", "--storage", url)
    assert r.exit_code == 0, r.output
    asked = json.loads(r.output)
    assert asked["number"] == 0 and 0 <= asked["params"]["x"] <= 1 and asked["params"]["c"] in ("a", "b")
    r = invoke("tell", "s", "0", "--value", "1.5", "--constraint", "-0.5", "--storage", url)
    assert r.exit_code == 0 and "COMPLETE" in r.output
    invoke("ask", "s", "--space", space, "--storage", url)
    r = invoke("tell", "s", "1", "--state", "fail", "--storage", url)
    assert r.exit_code == 0 and "FAIL" in r.output
    invoke("ask", "s", "--space", space, "--storage", url)
    r = invoke("tell", "s", "2", "--value", "nan", "--storage", url)
    assert r.exit_code == 0 and "FAIL" in r.output and "not finite" in r.output
    r = invoke("trials", "s", "--format", "json", "--storage", url)
    rows = json.loads(r.output)
    assert [row["state"] for row in rows] == ["COMPLETE", "FAIL", "FAIL"] and rows[0]["value"] == 1.5
    r = invoke("trials", "s", "--format", "csv", "--storage", url)
    assert r.output.splitlines()[0].startswith("number,state,value") and len(r.output.splitlines()) == 4
    r = invoke("trials", "s", "--format", "table", "--storage", url)
    assert r.exit_code == 0 and "COMPLETE" in r.output
    r = invoke("best", "s", "--storage", url)
    assert r.exit_code == 0 and "1.5" in r.output
    r = invoke("tell", "s", "0", "--value", "2", "--storage", url)
    assert r.exit_code == 1 and "already finished" in r.output


def test_optimize_with_objective_file(url, tmp_path):
    f = tmp_path / "obj.py"
    f.write_text(OBJECTIVE)
    r = invoke("optimize", "opt", "--objective", f"{f}:objective", "--n-trials", "6", "--sampler", "sobol",
               "--seed", "0", "--storage", url)
    assert r.exit_code == 0, r.output
    assert "best feasible trials of opt" in r.output
    r = invoke("optimize", "opt", "--objective", f"{f}:objective", "--n-trials", "2", "--verbose", "--storage", url)
    assert r.exit_code == 0 and "trial    6" in r.output
    r = invoke("trials", "opt", "--format", "json", "--storage", url)
    assert len(json.loads(r.output)) == 8


def test_readme_example_objective(url):
    """The objective file the README's command line points at runs through the CLI."""
    example = Path(__file__).resolve().parents[2] / "examples" / "beam.py"
    r = invoke("optimize", "beam", "--objective", f"{example}:objective", "--n-trials", "8", "--sampler", "sobol",
               "--seed", "0", "--storage", url)
    assert r.exit_code == 0, r.output
    r = invoke("trials", "beam", "--format", "json", "--storage", url)
    rows = json.loads(r.output)
    assert len(rows) == 8 and {"params_x", "params_n", "params_kind", "feasible"} <= set(rows[0])


@pytest.mark.parametrize(
    "args, message",
    [
        (["optimize", "o", "--objective", "missing.py:f", "--n-trials", "1"], "objective file 'missing.py' does not exist"),
        (["optimize", "o", "--objective", "OBJ:nope", "--n-trials", "1"], "has no function 'nope'"),
        (["optimize", "o", "--objective", "no_colon", "--n-trials", "1"], "path/to/file.py:function"),
        (["ask", "s", "--space", "{not json"], "--space is not valid JSON"),
        (["ask", "s", "--space", '{"x": {"type": "float", "low": 2, "high": 1}}'], "low must be <= high"),
        (["ask", "s", "--space", "[]"], "--space must be a JSON object"),
        (["tell", "nosuch", "0", "--value", "1"], "nosuch"),
        (["trials", "s", "--format", "xml"], "--format must be table, csv or json"),
        (["best", "s"], "no complete trial"),
    ],
)
def test_bad_input_gives_one_line_and_exit_1(url, tmp_path, args, message):
    (tmp_path / "obj.py").write_text(OBJECTIVE)
    invoke("study", "create", "s", "--storage", url)
    args = [a.replace("OBJ", str(tmp_path / "obj.py")) for a in args]
    r = invoke(*args, "--storage", url)
    assert r.exit_code == 1, r.output
    assert message in r.output
    assert "Traceback" not in r.output


def test_usage_errors_exit_2(url):
    assert invoke("tell", "s").exit_code == 2
    assert invoke("optimize", "s", "--objective", "a.py:f", "--storage", url).exit_code == 2  # --n-trials missing
    assert invoke("no-such-command").exit_code == 2


def test_malformed_and_unreachable_storage_urls_never_print_passwords():
    r = invoke("study", "list", "--storage", "postgresql+psycopg://alice:hunter2@127.0.0.1:1/nodb")
    assert r.exit_code == 1
    assert "hunter2" not in r.output and "alice:***@" in r.output
    r = invoke("study", "list", "--storage", "notadb://bob:pw123@x/y")
    assert r.exit_code == 1 and "pw123" not in r.output
    r = invoke("study", "list", "--storage", "::::")
    assert r.exit_code == 1 and "::::" in r.output


def test_storage_from_environment_and_db_upgrade(url):
    r = invoke("study", "create", "envstudy", env={"PFNOPT_STORAGE": url})
    assert r.exit_code == 0, r.output
    r = invoke("study", "list", "--storage", url)
    assert "envstudy" in r.output
    r = invoke("db", "upgrade", "--storage", url)
    assert r.exit_code == 0, r.output


def test_help_everywhere_has_examples():
    for args in (["--help"], ["study", "--help"], ["ask", "--help"], ["tell", "--help"], ["optimize", "--help"],
                 ["trials", "--help"], ["best", "--help"], ["demo", "--help"], ["db", "upgrade", "--help"]):
        r = invoke(*args)
        assert r.exit_code == 0, args
    assert "Example" in invoke("optimize", "--help").output


def test_demo_runs_on_sqlite(url):
    r = invoke("demo", "--n-trials", "8", "--sampler", "sobol", "--storage", url)
    assert r.exit_code == 0, r.output
    assert "best feasible trials" in r.output or "no feasible complete trial" in r.output
    r = invoke("study", "list", "--storage", url)
    assert "demo-welded_beam" in r.output


def _pfnopt_exe() -> list[str]:
    exe = Path(sys.executable).parent / "pfnopt"
    return [str(exe)] if exe.exists() else [sys.executable, str(Path(__file__).parents[2] / "cli.py")]


def test_real_subprocess_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'sub.db'}"
    env = {**os.environ, "PFNOPT_STORAGE": url}
    (tmp_path / "obj.py").write_text(OBJECTIVE)
    out = subprocess.run([*_pfnopt_exe(), "optimize", "sub", "--objective", f"{tmp_path / 'obj.py'}:objective",
                          "--n-trials", "4", "--sampler", "random", "--seed", "3"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "best feasible trials of sub" in out.stdout
    bad = subprocess.run([*_pfnopt_exe(), "best", "missing-study"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 1
    assert "missing-study" in bad.stderr and "Traceback" not in bad.stderr
    dbg = subprocess.run([*_pfnopt_exe(), "--debug", "best", "missing-study"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert dbg.returncode == 1 and "Traceback" in dbg.stderr
