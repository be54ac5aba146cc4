"""plot_terminator_improvement (plotly and matplotlib): hand-checked values, the same curve as Optuna's own
plot on the same trials, and the errors for what it cannot draw."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import optuna
import pytest

import pfnopt
from pfnopt.exceptions import ParameterError
from pfnopt.terminator import BestValueStagnationEvaluator, report_cross_validation_scores
from pfnopt.visualization import PlotError, plot_terminator_improvement
from pfnopt.visualization import matplotlib as pmpl

matplotlib.use("Agg")
optuna.logging.set_verbosity(optuna.logging.WARNING)
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")

# trial values in order; "pruned" / "fail" mark trials that did not complete
SCHEDULE = [5.0, 4.0, "pruned", 4.5, 3.0, 3.5, "fail", 3.2, 3.1, 2.0, 2.5, 2.6, 2.7]


def build(storage=None, name="term") -> pfnopt.Study:
    study = pfnopt.create_study(study_name=name, storage=storage, sampler="random")
    rng = np.random.default_rng(0)
    for v in SCHEDULE:
        t = study.ask({"x": pfnopt.Float(-1.0, 1.0), "y": pfnopt.Float(0.0, 2.0)})
        if v == "pruned":
            t.report(9.0, 0)
            study.tell(t, state="pruned")
        elif v == "fail":
            study.tell(t, state="fail")
        else:
            report_cross_validation_scores(t, list(v + rng.normal(0, 0.2, 5)))
            study.tell(t, v)
    return study


def stagnation_by_hand(max_stagnation: int) -> list[float]:
    """Optuna's rule: max_stagnation - (complete trials since the best one), after every trial."""
    out, best, best_at, n_done = [], None, 0, 0
    for v in SCHEDULE:
        if not isinstance(v, str):
            if best is None or v < best:
                best, best_at = v, n_done
            n_done += 1
        out.append(float(max_stagnation - (n_done - 1 - best_at)))
    return out


def test_stagnation_values_by_hand_and_pruned_trials_repeat_the_last_value():
    study = build()
    fig = plot_terminator_improvement(study, improvement_evaluator=BestValueStagnationEvaluator(4), min_n_trials=5)
    ys = [y for tr in fig.data for y in tr.y]
    xs = [x for tr in fig.data for x in tr.x]
    # the start-up part (translucent) holds the first min_n_trials + 1 points, the solid part the rest from
    # index min_n_trials: the joint point is drawn by both
    assert xs == list(range(6)) + list(range(5, 13))
    expected = stagnation_by_hand(4)
    assert ys == expected[:6] + expected[5:]
    assert expected[2] == expected[1] and expected[6] == expected[5]  # pruned/failed trials add no information
    assert "0.25" in fig.data[0].line.color and "0.25" not in fig.data[1].line.color
    assert [tr.showlegend for tr in fig.data] == [False, None]


def test_same_curve_and_error_as_optuna_on_the_same_trials():
    """Optuna's default evaluators (GP regret bound, here seeded; cross-validation error): the pfnopt plot
    equals Optuna's plot of an Optuna copy of the same study."""
    from pfnopt.terminator import RegretBoundEvaluator

    study = build()
    ours = plot_terminator_improvement(study, plot_error=True, min_n_trials=5,
                                       improvement_evaluator=RegretBoundEvaluator(seed=0))
    copy = optuna.create_study()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pfnopt.samplers.compat import to_optuna_trial

        for t in study.get_trials():
            copy.add_trial(to_optuna_trial(t))
        theirs = optuna.visualization.plot_terminator_improvement(
            copy, plot_error=True, min_n_trials=5,
            improvement_evaluator=optuna.terminator.RegretBoundEvaluator(seed=0))
    ours_traces = [tr for tr in ours.data if tr.y is not None]
    theirs_traces = [tr for tr in theirs.data if tr.y is not None]
    assert [tr.name for tr in ours_traces] == [tr.name for tr in theirs_traces]
    for a, b in zip(ours_traces, theirs_traces):
        assert list(a.x) == list(b.x)
        np.testing.assert_allclose(np.asarray(a.y, float), np.asarray(b.y, float), rtol=1e-9)
    np.testing.assert_allclose(ours.layout.yaxis.range, theirs.layout.yaxis.range, rtol=1e-9)
    errors = [tr for tr in ours_traces if tr.name == "Error"][0]
    assert len(errors.y) == len(SCHEDULE) and all(e > 0 for e in errors.y)


def test_matplotlib_twin_draws_the_same_points(tmp_path):
    study = build(storage=f"sqlite:///{tmp_path}/t.db")
    ev = BestValueStagnationEvaluator(4)
    fig = plot_terminator_improvement(study, improvement_evaluator=ev, min_n_trials=5)
    ax = pmpl.plot_terminator_improvement(study, improvement_evaluator=ev, min_n_trials=5)
    lines = ax.get_lines()
    assert [list(ln.get_xdata()) for ln in lines] == [list(tr.x) for tr in fig.data]
    assert [list(ln.get_ydata()) for ln in lines] == [list(tr.y) for tr in fig.data]
    assert lines[0].get_alpha() == 0.25 and lines[1].get_alpha() is None
    ax.figure.savefig(tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 0


def test_fewer_trials_than_min_n_trials_is_one_translucent_curve_with_legend():
    study = build()
    fig = plot_terminator_improvement(study, improvement_evaluator=BestValueStagnationEvaluator(4))
    assert len(fig.data) == 1 and fig.data[0].showlegend is True and len(fig.data[0].x) == len(SCHEDULE)


def test_empty_study_gives_an_empty_figure():
    study = pfnopt.create_study(sampler="random")
    study.tell(study.ask(), state="fail")
    assert len(plot_terminator_improvement(study).data) == 0
    assert len(pmpl.plot_terminator_improvement(study).get_lines()) == 0


@pytest.mark.parametrize("kwargs, match", [
    ({"min_n_trials": 0}, "min_n_trials"),
    ({"min_n_trials": 2.5}, "min_n_trials"),
    ({"plot_error": "yes"}, "plot_error"),
    ({"improvement_evaluator": "regret"}, "improvement_evaluator"),
    ({"error_evaluator": 3}, "error_evaluator"),
])
def test_bad_arguments(kwargs, match):
    study = build()
    for plot in (plot_terminator_improvement, pmpl.plot_terminator_improvement):
        with pytest.raises(ParameterError, match=match):
            plot(study, **kwargs)


def test_multi_objective_and_optuna_study_refused():
    mo = pfnopt.create_study(directions=["minimize", "minimize"], sampler="random")
    mo.tell(mo.ask(), [1.0, 2.0])
    with pytest.raises(PlotError, match="2 objectives"):
        plot_terminator_improvement(mo)
    with pytest.raises(ParameterError, match="optuna.visualization"):
        plot_terminator_improvement(optuna.create_study())


def test_optuna_style_program():
    """The calls of optuna-examples' terminator_improvement_plot.py, with ``import pfnopt as optuna``."""
    import pfnopt as optuna_like
    from pfnopt.terminator.erroreval import report_cross_validation_scores as report
    from pfnopt.visualization import plot_terminator_improvement as plot

    def objective(trial):
        x = trial.suggest_float("x", -2, 2)
        scores = [(x - 0.5) ** 2 + d for d in (-0.1, 0.0, 0.05, 0.1)]
        report(trial, scores)
        return float(np.mean(scores))

    study = optuna_like.create_study(sampler=optuna_like.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=8)
    fig = plot(study, plot_error=True, min_n_trials=3)
    assert [tr.name for tr in fig.data] == ["Terminator Improvement", "Terminator Improvement", "Error"]
    assert len(fig.data[2].y) == 8
