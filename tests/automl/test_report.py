"""AutoML report: Pareto fronts by hand, and the figures of a real tiny digits search with pruned
trials (the pruned curves marked, the fronts made of completed trials that nothing dominates)."""

import json

from typer.testing import CliRunner

from pfnopt.automl import TrainConfig, search
from pfnopt.automl.report import best_so_far, pareto_front, report_data, write_report
from pfnopt.automl.space import default_space
from pfnopt.automl.tasks import digits_task
from pfnopt.commands.automl import app
from pfnopt.pruners import BasePruner
from pfnopt.space import Categorical


def test_pareto_front_by_hand():
    cost = [4.0, 1.0, 2.0, 3.0, 5.0]
    acc = [0.9, 0.5, 0.4, 0.7, 0.9]
    assert pareto_front(cost, acc, maximize=True) == [1, 3, 0]  # 2 is beaten by 1; 4 ties 0 at a higher cost
    loss = [0.1, 0.5, 0.6, 0.3, 0.05]
    assert pareto_front(cost, loss, maximize=False) == [1, 3, 0, 4]
    assert best_so_far([3.0, 4.0, 1.0, 2.0]) == [3.0, 3.0, 1.0, 1.0]


class _PruneOddTrialsAfterOneEpoch(BasePruner):
    """A real pruner with a fixed rule, so the test knows which trials end pruned."""

    def prune(self, study, trial):
        return trial.number % 2 == 1 and trial.last_step is not None and trial.last_step >= 1


def test_report_of_a_real_search_marks_pruned_curves_and_draws_the_fronts(tmp_path):
    task = digits_task()
    space = default_space(task).restrict(families=["mixer", "poolformer"])
    space.set("width", Categorical([16, 32])).set("depth", Categorical([1])).fix("stages", 1)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    tc = TrainConfig(epochs=3, steps_per_epoch=3, batch_size=32, latency_runs=0)
    study = search(task, n_trials=4, sampler="random", space=space, train_config=tc, study_name="r", storage=url,
                   pruner=_PruneOddTrialsAfterOneEpoch())
    data = report_data(study)
    states = {r["number"]: r["state"] for r in data["trials"]}
    assert states == {0: "complete", 1: "pruned", 2: "complete", 3: "pruned"}
    assert all(len(r["curve"]) == (2 if r["state"] == "pruned" else 3) for r in data["trials"])
    assert data["quality"]["label"] == "validation accuracy"
    quality = {int(k): v for k, v in data["quality"]["by_trial"].items()}
    assert set(quality) == {0, 2}
    for key in ("n_params", "flops"):
        front = data["pareto"][key]
        assert front and set(front) <= {0, 2}
        cost = {r["number"]: r[key] for r in data["trials"]}
        for n in front:  # nothing cheaper is at least as accurate
            assert not any(cost[m] < cost[n] and quality[m] >= quality[n] for m in quality if m != n)
    assert len(data["best_vs_time"]["best"]) == 2

    paths = write_report(study, tmp_path / "out")
    for p in paths[:3]:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000
    assert json.loads(paths[3].read_text())["pareto"] == json.loads(json.dumps(data["pareto"]))

    res = CliRunner().invoke(app, ["report", "r", "--out", str(tmp_path / "cli"), "--storage", url])
    assert res.exit_code == 0 and "curves.png" in res.output, res.output
    res = CliRunner().invoke(app, ["report", "nope", "--out", str(tmp_path / "x"), "--storage", url])
    assert res.exit_code == 1 and "nope" in res.output
