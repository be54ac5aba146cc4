"""Issue 11 at the command line: strict --space JSON, read-only commands never create a database,
an objective file calling sys.exit is reported, and --objective says it executes the file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import app
from pfnopt.commands._common import parse_space
from pfnopt.exceptions import ParameterError
from pfnopt.space import Categorical, Float, Int

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.mark.parametrize(
    "spec, msg",
    [
        ({"type": "int", "low": 1.7, "high": 5}, "'n'.*'low' must be an integer, got 1.7"),
        ({"type": "float", "low": 0, "high": 1, "log": "false"}, "'n'.*'log' must be true or false, got 'false'"),
        ({"type": "float", "low": None, "high": 1}, "'n'.*'low' must be a number, got None"),
        ({"type": "float", "low": "a", "high": 1}, "'n'.*'low' must be a number, got 'a'"),
        ({"type": "categorical", "choices": "abc"}, "'n'.*'choices' must be a list, got 'abc'"),
        ({"type": "float", "low": 0, "high": 1, "lgo": True}, "'n'.*unknown field.*'lgo'"),
        ({"type": "float", "high": 1}, "'n'.*lacks the field 'low'"),
        ({"type": "float", "low": 1, "high": 0}, "'n'.*low must be <= high"),
        ({"type": "int", "low": 0, "high": 2**60}, "'n'.*2\\*\\*53"),
    ],
)
def test_space_json_is_parsed_strictly_naming_the_parameter(spec, msg):
    with pytest.raises(ParameterError, match=msg):
        parse_space(json.dumps({"n": spec}))


def test_space_json_accepts_the_stored_forms():
    space = parse_space(json.dumps({
        "x": {"type": "float", "low": 0, "high": 1, "log": False, "step": None},
        "n": {"type": "int", "low": 1, "high": 8, "step": 1.0},
        "c": {"type": "categorical", "choices": ["a", 1, None]},
    }))
    assert dict(space) == {"x": Float(0, 1), "n": Int(1, 8), "c": Categorical(["a", 1, None])}


def test_ask_with_a_bad_space_fails_in_one_line_and_creates_no_trial(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert invoke("study", "create", "s", "--storage", url).exit_code == 0
    r = invoke("ask", "s", "--space", '{"n": {"type": "int", "low": 1.7, "high": 5}}', "--storage", url)
    assert r.exit_code == 1 and "--space parameter 'n'" in r.output and "1.7" in r.output
    r = invoke("trials", "s", "--format", "json", "--storage", url)
    assert r.exit_code == 0 and json.loads(r.output) == []


@pytest.mark.parametrize("args", [("trials", "s"), ("best", "s"), ("study", "list"), ("tell", "s", "0", "--value", "1"),
                                  ("study", "delete", "s", "--yes")])
def test_commands_on_a_mistyped_sqlite_path_create_nothing(tmp_path, args):
    missing = tmp_path / "no" / "such" / "dir" / "pfnopt.db"
    r = invoke(*args, "--storage", f"sqlite:///{missing}")
    assert r.exit_code == 1 and "no such database" in r.output, r.output
    assert not (tmp_path / "no").exists()


def test_objective_file_calling_sys_exit_is_reported(tmp_path):
    url = f"sqlite:///{tmp_path / 'o.db'}"
    at_load = tmp_path / "exits.py"
    at_load.write_text("raise SystemExit(7)\ndef objective(trial):\n    return 1.0\n")
    r = invoke("optimize", "s", "--objective", f"{at_load}:objective", "--n-trials", "1", "--storage", url)
    assert r.exit_code == 1 and "called sys.exit(7) while being loaded" in r.output, r.output
    in_call = tmp_path / "exits_later.py"
    in_call.write_text("import sys\ndef objective(trial):\n    trial.suggest_float('x', 0, 1)\n    sys.exit(7)\n")
    r = invoke("optimize", "s", "--objective", f"{in_call}:objective", "--n-trials", "1", "--storage", url)
    assert r.exit_code == 1 and "sys.exit(7)" in r.output, r.output
    r = invoke("trials", "s", "--format", "json", "--storage", url)
    (trial,) = json.loads(r.output)
    assert trial["state"] == "FAIL"  # not left RUNNING


def test_objective_help_says_the_file_is_executed():
    r = invoke("optimize", "--help")
    text = " ".join(r.output.replace("│", " ").split())
    assert r.exit_code == 0 and "The WHOLE file is executed" in text, text
