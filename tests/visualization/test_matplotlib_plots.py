"""The matplotlib twins draw the same data as the plotly functions, on real studies."""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import pfnopt  # noqa: E402
import pfnopt.visualization as pv  # noqa: E402
import pfnopt.visualization.matplotlib as mv  # noqa: E402
from pfnopt.exceptions import PfnoptError  # noqa: E402
from pfnopt.importance import FanovaImportanceEvaluator  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def complete(study):
    return study.get_trials(states=(pfnopt.TrialState.COMPLETE,))


def scatter_by_label(ax):
    return {c.get_label(): c for c in ax.collections}


def renders(ax) -> bool:
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=40)
    return buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_history(constrained_study):
    ax = mv.plot_optimization_history(constrained_study)
    pts = scatter_by_label(ax)
    trials = complete(constrained_study)
    bad = np.asarray(pts["Infeasible Trial"].get_offsets())
    assert bad[:, 0].tolist() == [t.number for t in trials if not t.feasible]
    assert bad[:, 1].tolist() == pytest.approx([t.value for t in trials if not t.feasible])
    (best,) = [ln for ln in ax.get_lines() if ln.get_label() == "Best Value"]
    plotly_best = [tr for tr in pv.plot_optimization_history(constrained_study).data if tr.name == "Best Value"][0]
    np.testing.assert_allclose(best.get_ydata(), plotly_best.y)
    assert ax.get_ylabel() == "Objective Value" and renders(ax)


def test_intermediate_values(constrained_study):
    ax = mv.plot_intermediate_values(constrained_study)
    lines = {ln.get_label(): ln for ln in ax.get_lines() if ln.get_label().startswith("Trial")}
    reporting = [t for t in constrained_study.trials if t.intermediate_values]
    assert sorted(lines) == sorted(f"Trial{t.number}" for t in reporting)
    for t in reporting:
        infeasible = t.state == pfnopt.TrialState.COMPLETE and not t.feasible
        assert (lines[f"Trial{t.number}"].get_linestyle() == "--") == infeasible
    assert renders(ax)


def test_parallel_coordinate(constrained_study):
    ax = mv.plot_parallel_coordinate(constrained_study)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Objective Value", "kind", "lr", "n", "x", "Feasible"]
    trial_lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 6]
    trials = complete(constrained_study)
    assert len(trial_lines) == len(trials)
    assert sum(ln.get_linestyle() == "--" for ln in trial_lines) == sum(not t.feasible for t in trials)
    # every coordinate is scaled into [0, 1]
    assert all(0.0 <= y <= 1.0 for ln in trial_lines for y in ln.get_ydata())
    assert renders(ax)


def test_slice(constrained_study):
    axs = mv.plot_slice(constrained_study, params=["kind", "lr", "x"])
    assert isinstance(axs, np.ndarray) and axs.shape == (3,)
    assert axs[1].get_xscale() == "log" and axs[0].get_xscale() == "linear"
    assert [t.get_text() for t in axs[0].get_xticklabels()] == ["a", "b", "c"]
    bad = np.asarray(scatter_by_label(axs[2])["Infeasible Trial"].get_offsets())
    assert sorted(bad[:, 0]) == pytest.approx(sorted(t.params["x"] for t in complete(constrained_study)
                                                     if not t.feasible))
    single = mv.plot_slice(constrained_study, params=["x"])
    assert not isinstance(single, np.ndarray) and single.get_xlabel() == "x"
    assert renders(axs[0])


def test_contour(constrained_study):
    ax = mv.plot_contour(constrained_study, params=["x", "lr"])
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "lr"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.0001", "0.001", "0.01", "0.1", "1"]
    assert ax.get_ylim() == pytest.approx((-4.16, 0.16))  # log10 coordinates, padded by 4 %
    bad = np.asarray(scatter_by_label(ax)["Infeasible Trial"].get_offsets())
    trials = [t for t in complete(constrained_study) if not t.feasible]
    assert sorted(bad[:, 1]) == pytest.approx(sorted(math.log10(t.params["lr"]) for t in trials))
    grid = mv.plot_contour(constrained_study, params=["x", "lr", "kind"])
    assert grid.shape == (3, 3) and not grid[0][0].axison and grid[0][1].axison
    assert renders(ax)


def test_rank(constrained_study):
    ax = mv.plot_rank(constrained_study, params=["x", "n"])
    plotly_ranks = [tr for tr in pv.plot_rank(constrained_study, params=["x", "n"]).data
                    if tr.name == "Feasible Trial"][0].marker.color
    colours = [c for c in ax.collections if c.get_array() is not None][0].get_array()
    np.testing.assert_allclose(np.asarray(colours), plotly_ranks)
    assert renders(ax)


def test_param_importances(constrained_study):
    ev = FanovaImportanceEvaluator(seed=0)
    ax = mv.plot_param_importances(constrained_study, evaluator=ev)
    from pfnopt.importance import get_param_importances

    expected = get_param_importances(constrained_study, evaluator=FanovaImportanceEvaluator(seed=0))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == list(reversed(list(expected)))
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([expected[p] for p in labels])
    assert renders(ax)


def test_pareto_front(multi_study, multi_factory):
    ax = mv.plot_pareto_front(multi_study)
    pts = scatter_by_label(ax)
    plotly = {tr.name: tr for tr in pv.plot_pareto_front(multi_study).data}
    best = np.asarray(pts["Best Trial"].get_offsets())
    assert sorted(best[:, 0]) == pytest.approx(sorted(plotly["Best Trial"].x))
    assert len(pts["Infeasible Trial"].get_offsets()) == len(plotly["Infeasible Trial"].x)
    ax3 = mv.plot_pareto_front(multi_factory(3, 12))
    assert ax3.name == "3d" and ax3.get_zlabel() == "Objective 2"
    with pytest.raises(PfnoptError, match="2 or 3 objectives"):
        mv.plot_pareto_front(pfnopt.create_study(sampler="random"))
    assert renders(ax)


def test_edf(constrained_study, plain_study):
    ax = mv.plot_edf([constrained_study, plain_study])
    lines = ax.get_lines()
    assert len(lines) == 2 and lines[1].get_label() == plain_study.study_name
    feasible = sorted(t.value for t in complete(constrained_study) if t.feasible)
    x, y = lines[0].get_xdata(), lines[0].get_ydata()
    assert y[-1] <= 1.0
    assert [sum(v <= xx for v in feasible) / len(feasible) for xx in x] == pytest.approx(list(y))
    assert renders(ax)


def test_timeline(constrained_study):
    ax = mv.plot_timeline(constrained_study)
    started = [t for t in constrained_study.trials if t.datetime_start is not None]
    assert len(ax.patches) == len(started)
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["Complete", "Fail", "Infeasible", "Pruned"]
    assert renders(ax)


def test_errors_match_plotly(constrained_study, multi_study):
    with pytest.raises(PfnoptError, match="'depth'"):
        mv.plot_slice(constrained_study, params=["depth"])
    with pytest.raises(PfnoptError, match="2 objectives"):
        mv.plot_optimization_history(multi_study)
    with pytest.raises(PfnoptError, match="at least 2 parameter"):
        mv.plot_contour(constrained_study, params=["x"])


@pytest.mark.parametrize("name", [n for n in mv.__all__ if n.startswith("plot_") and n != "plot_pareto_front"])
def test_a_study_without_complete_trials_draws_empty_or_says_why(name):
    study = pfnopt.create_study(sampler="random")
    study.tell(study.ask({"x": pfnopt.Float(0, 1)}), state="fail")
    try:
        out = getattr(mv, name)(study)
    except PfnoptError as e:
        assert "study" in str(e)
        return
    ax = out.flat[0] if isinstance(out, np.ndarray) else out
    assert renders(ax)


def test_rank_of_one_parameter(constrained_study):
    ax = mv.plot_rank(constrained_study, params=["n"])
    assert ax.get_xlabel() == "n" and ax.get_ylabel() == "Objective Value"
    assert renders(ax)
