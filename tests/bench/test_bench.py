"""`pfnopt bench run|report|problems` and `pfnopt plot` end to end, resume, shared design, environment."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pfnopt.commands.bench import QUICK_PROBLEMS
from pfnopt.commands.bench import app as bench_app
from pfnopt.commands.plot import app as plot_app

runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n"


def bench(*args: str):
    return runner.invoke(bench_app, list(args))


def results(out: Path) -> dict[tuple[str, str, int], dict]:
    found = {}
    for path in (out / "cells").glob("*/*/seed*.json"):
        d = json.loads(path.read_text())
        found[(d["problem"], d["method"], d["seed"])] = d
    return found


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """The --quick run (budget cut to 8 = 6 shared initial points + 2 BO steps, to stay fast)."""
    out = tmp_path_factory.mktemp("quick")
    r = bench("run", "--quick", "--budget", "8", "--out", str(out))
    return out, r


def test_quick_run_end_to_end(quick):
    out, r = quick
    assert r.exit_code == 0, r.output
    manifest = json.loads((out / "run.json").read_text())["runs"][-1]
    assert manifest["problems"] == list(QUICK_PROBLEMS["engineering"]) and manifest["seeds"] == 2
    assert set(manifest["methods"]) == {"sobol", "random", "pfn-cei", "gp-cei"}
    available = [m for m in manifest["methods"] if m not in manifest["unavailable"]]
    assert {"sobol", "random"} <= set(available)
    for m, reason in manifest["unavailable"].items():
        assert f"{m}: not available" in r.output and reason
    found = results(out)
    assert set(found) == {(p, m, s) for p in manifest["problems"] for m in available for s in (0, 1)}
    for d in found.values():
        assert d["complete"] and d["n_evaluations"] == 8 and d["init"] == 6
        assert len(d["best_feasible"]) == 8 and d["trials"]["init"] == [True] * 6 + [False] * 2
        assert all(s is not None for s in d["trials"]["sampler_seconds"])
    # the report came with it: tables, summary, figures
    report = (out / "report.md").read_text()
    for text in (
        "## Final gap after 8 evaluations",
        "## Fraction of feasible BO suggestions",
        "## Evaluations to the first feasible point",
        "## Median seconds per iteration",
        "## Summary",
        "| problem | " + " | ".join(m for m in ("pfn-cei", "gp-cei", "sobol", "random") if m in available),
    ):
        assert text in report, text
    assert "**" in report  # best per row in bold
    for p in manifest["problems"]:
        for kind in ("history", "feasibility"):
            png = out / "figures" / f"{p}_{kind}.png"
            assert png.read_bytes()[:8] == PNG
            assert f"figures/{p}_{kind}.png" in report


def test_all_methods_share_the_initial_design(quick):
    import pfnopt

    out, _ = quick
    found = results(out)
    url = f"sqlite:///{out / '_studies.db'}"
    for p in QUICK_PROBLEMS["engineering"]:
        for seed in (0, 1):
            cells = [d for (pp, _, s), d in found.items() if pp == p and s == seed]
            assert len(cells) >= 2
            first = {tuple(d["trials"]["value"][:6]) for d in cells}
            assert len(first) == 1, (p, seed)
            params = {
                tuple(
                    tuple(sorted(t.params.items()))
                    for t in pfnopt.load_study(d["study_name"], url, sampler="random").trials[:6]
                )
                for d in cells
            }
            assert len(params) == 1
        # and another seed gives another design
        a = [d for (pp, _, s), d in found.items() if pp == p and s == 0][0]
        b = [d for (pp, _, s), d in found.items() if pp == p and s == 1][0]
        assert a["trials"]["value"][:6] != b["trials"]["value"][:6]


def test_environment_block_in_every_result(quick):
    out, _ = quick
    for d in results(out).values():
        env = d["environment"]
        assert env["machine"]["platform"] and env["machine"]["cpu_count"] >= 1
        for pkg in ("pfnopt", "torch", "botorch", "optuna"):
            assert env["versions"][pkg]
        assert env["threads"]["OMP_WAIT_POLICY"] and env["threads"]["OPENBLAS_NUM_THREADS"]
        assert env["threads"]["torch_threads"] == 1
        assert d["command"].startswith("pfnopt bench run --suite engineering")
        assert d["sampler"]["repr"]
        if d["method"].startswith("pfn"):  # which weights made these numbers
            assert len(d["sampler"]["checkpoint"]["sha256"]) == 16


def _mtimes(out: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (out / "cells").glob("*/*/seed*.json")}


def test_resume_recomputes_only_the_missing_cell(tmp_path):
    import pfnopt

    args = (
        "run",
        "--out",
        str(tmp_path),
        *"--methods sobol,random --problems gkxwc1,three_bar_truss".split(),
        *"--seeds 2 --budget 8 --init 5 --no-report".split(),
    )
    assert bench(*args).exit_code == 0
    before = _mtimes(tmp_path)
    assert len(before) == 8
    victim = tmp_path / "cells" / "gkxwc1" / "random" / "seed1.json"
    old = json.loads(victim.read_text())
    victim.unlink()
    r = bench(*args)
    assert r.exit_code == 0, r.output
    assert "1 run now, 7 already done" in " ".join(r.output.split())
    after = _mtimes(tmp_path)
    assert {p for p in after if after[p] != before.get(p)} == {victim}
    new = json.loads(victim.read_text())
    assert new["trials"] == old["trials"] and new["best_feasible"] == old["best_feasible"]
    # rebuilt from the stored study: no trial was evaluated again
    study = pfnopt.load_study(new["study_name"], f"sqlite:///{tmp_path / '_studies.db'}", sampler="random")
    assert len(study.trials) == 8
    # a third run has nothing to do
    r = bench(*args)
    assert "0 run now, 8 already done" in " ".join(r.output.split())
    assert _mtimes(tmp_path) == after


def test_resume_continues_an_interrupted_study(tmp_path):
    import pfnopt
    from pfnopt.records import TrialState

    common = ("--out", str(tmp_path), *"--methods sobol --problems gkxwc1 --seeds 1 --init 4 --no-report".split())
    assert bench("run", "--budget", "6", *common).exit_code == 0
    path = tmp_path / "cells" / "gkxwc1" / "sobol" / "seed0.json"
    first = json.loads(path.read_text())
    url = f"sqlite:///{tmp_path / '_studies.db'}"
    study = pfnopt.load_study(first["study_name"], url, sampler="random")
    study.ask()  # an interrupted process leaves a RUNNING trial behind
    r = bench("run", "--budget", "9", *common)
    assert r.exit_code == 0, r.output
    second = json.loads(path.read_text())
    assert second["n_evaluations"] == 9 and second["n_failed"] == 1
    assert second["trials"]["value"][:6] == first["trials"]["value"]
    states = [t.state for t in study.trials]
    assert states.count(TrialState.COMPLETE) == 9 and states.count(TrialState.FAIL) == 1
    assert TrialState.RUNNING not in states


def test_interrupted_initial_design_is_completed(tmp_path):
    """A run killed while it enqueued the design: the missing points are added, none twice."""
    import pfnopt
    from pfnopt import problems
    from pfnopt.bench.cells import INIT_ATTR, Cell, RunSpec, shared_design, study_name

    spec = RunSpec("engineering", ("gkxwc1",), ("sobol",), 1, 7, 5)
    url = f"sqlite:///{tmp_path / '_studies.db'}"
    design = shared_design(problems.get("gkxwc1"), 5, 0)
    st = pfnopt.create_study(study_name(spec, Cell("gkxwc1", "sobol", 0)), storage=url)
    for i in (0, 1):
        st.enqueue_trial(design[i], user_attrs={INIT_ATTR: i})
    r = bench("run", "--out", str(tmp_path), *"--methods sobol --problems gkxwc1 --seeds 1 --budget 7 --init 5".split())
    assert r.exit_code == 0, r.output
    trials = st.trials
    assert sorted(t.user_attrs[INIT_ATTR] for t in trials if INIT_ATTR in t.user_attrs) == [0, 1, 2, 3, 4]
    assert [dict(t.params) for t in trials[:5]] == design


def test_conflicting_results_are_refused(tmp_path):
    args = ("run", "--out", str(tmp_path), *"--methods sobol --problems gkxwc1 --seeds 1 --budget 6".split())
    assert bench(*args, "--init", "3").exit_code == 0
    r = bench(*args, "--init", "4")
    assert r.exit_code == 1 and "use another --out" in " ".join(r.output.split())


def test_unavailable_method_is_reported_and_skipped(tmp_path, monkeypatch):
    from pfnopt import samplers

    monkeypatch.setitem(samplers._REGISTRY, "broken-test", ("pfnopt.no_such_module:Nothing", {}))
    r = bench(
        "run",
        "--out",
        str(tmp_path),
        *"--methods sobol,broken-test --problems gkxwc1 --seeds 1".split(),
        *"--budget 5 --init 3 --report".split(),
    )
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "broken-test: not available: ModuleNotFoundError" in text
    assert not (tmp_path / "cells" / "gkxwc1" / "broken-test").exists()
    report = (tmp_path / "report.md").read_text()
    assert "broken-test: not available" in report and "| gkxwc1 | all |" in report
    assert "**Cells: 1 of 2 finished.**" in report


def test_report_lists_missing_cells(tmp_path):
    args = (
        "run",
        "--out",
        str(tmp_path),
        *"--methods sobol,random --problems gkxwc1 --seeds 2 --budget 6".split(),
        *"--init 3 --no-report".split(),
    )
    assert bench(*args).exit_code == 0
    (tmp_path / "cells" / "gkxwc1" / "sobol" / "seed1.json").unlink()
    r = bench("report", "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    report = (tmp_path / "report.md").read_text()
    assert "**Cells: 3 of 4 finished.**" in report
    assert "| problem | sobol (1) |" in report and "| gkxwc1 | 1 |" in report
    assert "(1/2)" in report


def test_report_without_a_run_fails_cleanly(tmp_path):
    r = bench("report", "--out", str(tmp_path))
    assert r.exit_code == 1 and "run.json" in r.output


def test_problems_lists_the_suites():
    r = bench("problems", "--suite", "synthetic")
    assert r.exit_code == 0
    for name in ("branin", "hartmann_6d", "ackley_5d", "gramacy"):
        assert name in r.output
    assert bench("problems", "--suite", "nope").exit_code == 1


def test_plot_commands_on_a_user_study(tmp_path):
    import pfnopt

    url = f"sqlite:///{tmp_path / 'user.db'}"
    st = pfnopt.create_study("mine", storage=url, sampler="sobol")

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 2.0)
        trial.set_constraints([0.5 - x])
        return (x - 1.2) ** 2

    st.optimize(objective, n_trials=10)
    for kind in ("history", "feasibility"):
        png = tmp_path / f"{kind}.png"
        extra = ["--optimum", "0"] if kind == "history" else []
        r = runner.invoke(plot_app, [kind, "mine", "--storage", url, "--out", str(png), *extra])
        assert r.exit_code == 0, r.output
        assert png.read_bytes()[:8] == PNG
    r = runner.invoke(plot_app, ["history", "nope", "--storage", url, "--out", str(tmp_path / "x.png")])
    assert r.exit_code == 1


def test_quantile_with_infeasible_seeds():
    from pfnopt.bench.stats import quantile

    assert quantile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert quantile([1.0, 2.0, math.inf], 0.5) == 2.0
    assert quantile([1.0, 2.0, math.inf], 0.75) == math.inf
    assert quantile([1.0, math.inf, math.inf], 0.5) == math.inf
    assert quantile([0.0, 4.0], 0.25) == 1.0


def test_results_of_other_pfn_weights_are_stale(tmp_path):
    from pfnopt.bench.cells import Cell, RunSpec, cell_done, result_path, study_name, write_result

    spec = RunSpec("engineering", ("gkxwc1",), ("pfn-cei",), 1, 6, 3)
    cell = Cell("gkxwc1", "pfn-cei", 0)
    data = {
        "format": "pfnopt-bench-cell/1",
        "complete": True,
        "variant": "default",
        "init": 3,
        "budget": 6,
        "sampler": {"checkpoint": {"sha256": "aaaa"}},
    }
    write_result(result_path(tmp_path, cell), data)
    assert cell_done(tmp_path, spec, cell, "aaaa") and cell_done(tmp_path, spec, cell)
    assert not cell_done(tmp_path, spec, cell, "bbbb")
    assert study_name(spec, cell, "aaaa") != study_name(spec, cell, "bbbb") != study_name(spec, cell)


def test_speed_ratio_pools_only_problems_both_methods_ran():
    """A partial run must not compare one method's cheap problems with another's expensive ones."""
    import numpy as np

    from pfnopt.bench.aggregate import Aggregate, Stat

    def stat(secs):
        z = np.zeros((1, 1))
        return Stat([0], [0.0], [1.0], [1.0], list(secs), z, z, z)

    stats = {("easy", "fast"): stat([1.0, 1.0]), ("easy", "slow"): stat([10.0, 10.0]),
             ("hard", "fast"): stat([5.0, 5.0, 5.0])}  # "slow" has no result on "hard" yet
    agg = Aggregate(expected=None, problems=["easy", "hard"], methods=["fast", "slow"], stats=stats,
                    meta={}, envs=[], ignored=0)
    assert agg.pooled_secs("fast") == 5.0  # all of its cells
    assert agg.pooled_secs("fast", "slow") == 1.0  # only "easy", where both ran
    assert agg.pooled_secs("slow", "fast") == 10.0
