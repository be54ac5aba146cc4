"""`pfnopt bench run --suite multiobjective` in quick mode, resume, report; the problems; hypervolume history."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from pfnopt.bench.multiobjective import hv_history
from pfnopt.commands.bench import app as bench_app
from pfnopt.problems.multiobjective import get, names

runner = CliRunner()


def test_quick_run_resumes_and_reports(tmp_path):
    args = ["run", "--suite", "multiobjective", "--quick", "--methods", "pfn,random", "--problems",
            "constrained_branin_currin", "--budget", "6", "--out", str(tmp_path)]
    r = runner.invoke(bench_app, args)
    assert r.exit_code == 0, r.output
    cells = sorted((tmp_path / "cells").glob("*/*/seed*.json"))
    assert [c.parent.name for c in cells] == ["pfn", "random"]
    pfn = json.loads(cells[0].read_text())
    assert pfn["n_objectives"] == 2 and pfn["n_constraints"] == 1 and len(pfn["hv"]) == 6
    assert all(a <= b for a, b in zip(pfn["hv"], pfn["hv"][1:]))  # the front only grows
    assert pfn["regret"][-1] == pytest.approx(pfn["max_hv"] - pfn["hv"][-1])
    assert len(pfn["sampler_seconds"]) == 2  # the model-based suggestions after the 4 shared points
    report = (tmp_path / "report.md").read_text()
    assert "constrained_branin_currin (2, 1)" in report and "| pfn | random |" in report
    again = runner.invoke(bench_app, args)
    assert again.exit_code == 0 and "0 run now, 2 already done" in again.output
    # a PFN cell made by another suggestion rule (or other weights) is stale: the rerun redoes it, and only it
    assert pfn["sampler_info"]["rule_version"] >= 1 and pfn["sampler_info"]["checkpoint"]["sha256"]
    pfn["sampler_info"]["rule_version"] -= 1
    cells[0].write_text(json.dumps(pfn))
    redo = runner.invoke(bench_app, args)
    assert redo.exit_code == 0 and "1 run now, 1 already done" in redo.output, redo.output
    assert json.loads(cells[0].read_text())["sampler_info"]["rule_version"] == pfn["sampler_info"]["rule_version"] + 1


def test_unknown_problem_is_refused_before_any_work(tmp_path):
    r = runner.invoke(bench_app, ["run", "--suite", "multiobjective", "--problems", "nope", "--out", str(tmp_path)])
    assert r.exit_code == 1 and "unknown multi-objective problem 'nope'" in r.output
    assert not (tmp_path / "cells").exists()


def test_problems_evaluate_with_botorchs_reference_points():
    for name in names():
        p = get(name)
        lo = np.array([d.low for d in p.space.values()])
        hi = np.array([d.high for d in p.space.values()])
        F, G = p.evaluate(lo + (hi - lo) * np.random.default_rng(0).random((4, p.dim)))
        assert F.shape == (4, p.n_objectives) and G.shape == (4, p.n_constraints)
        assert p.ref_point.shape == (p.n_objectives,) and 2 <= p.n_objectives <= 4
    assert {get(n).n_constraints > 0 for n in names()} == {True, False}


def test_hv_history_ignores_infeasible_and_failed_points():
    F = np.array([[1.0, 1.0], [0.5, 0.5], [np.nan, np.nan], [0.2, 0.9]])
    G = np.array([[-1.0], [1.0], [0.0], [-0.5]])  # the second is infeasible
    assert hv_history(F, G, np.array([2.0, 2.0])) == pytest.approx([1.0, 1.0, 1.0, 1.98])


def test_parallel_starts_on_one_folder_merge_into_run_json(tmp_path):
    base = ["run", "--suite", "multiobjective", "--problems", "branin_currin", "--seeds", "1", "--budget", "5",
            "--init", "3", "--out", str(tmp_path)]
    assert runner.invoke(bench_app, [*base, "--methods", "random", "--no-report"]).exit_code == 0
    r = runner.invoke(bench_app, [*base, "--methods", "nsga2"])
    assert r.exit_code == 0, r.output
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["methods"] == ["random", "nsga2"] and [s["methods"] for s in run["starts"]] == [["nsga2"]]
    cell = json.loads((tmp_path / "cells" / "branin_currin" / "nsga2" / "seed0.json").read_text())
    assert len(cell["loadavg"]) == 3
    report = (tmp_path / "report.md").read_text()
    assert "| nsga2 | random |" in report and "1-minute load average at the end of the cells" in report
    other = runner.invoke(bench_app, [*base[:8], "6", *base[9:], "--methods", "random", "--no-report"])
    assert other.exit_code == 0
    assert json.loads((tmp_path / "run.json").read_text())["budget"] == 6  # another run's settings: not merged
