"""Each plotly plot on real small studies: the figure's data must be what the trials say."""

from __future__ import annotations

import math

import numpy as np
import pytest

import pfnopt
from pfnopt.exceptions import PfnoptError
from pfnopt.visualization import (
    PlotError,
    plot_contour,
    plot_edf,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_pareto_front,
    plot_rank,
    plot_slice,
    plot_timeline,
)

pytest.importorskip("plotly")


def complete(study):
    return study.get_trials(states=(pfnopt.TrialState.COMPLETE,))


def by_name(fig):
    out = {}
    for tr in fig.data:
        out.setdefault(tr.name, []).append(tr)
    return out


def infeasible_numbers(study):
    return [t.number for t in complete(study) if not t.feasible]


# optimization history --------------------------------------------------------------------------
def test_history_marks_infeasible_and_best_is_over_feasible_only(constrained_study):
    fig = plot_optimization_history(constrained_study)
    traces = by_name(fig)
    assert set(traces) == {"Objective Value", "Best Value", "Infeasible Trial"}
    trials = complete(constrained_study)
    feasible = [t for t in trials if t.feasible]
    assert list(traces["Objective Value"][0].x) == [t.number for t in feasible]
    assert list(traces["Infeasible Trial"][0].x) == infeasible_numbers(constrained_study)
    assert list(traces["Infeasible Trial"][0].y) == [t.value for t in trials if not t.feasible]
    best = traces["Best Value"][0]
    assert list(best.x) == [t.number for t in trials]
    assert math.isnan(best.y[0])  # trial 0 is infeasible: no best yet
    for number, y in zip(best.x[1:], best.y[1:]):
        expected = min(t.value for t in feasible if t.number <= number)
        assert y == pytest.approx(expected)
    # an infeasible trial better than every feasible one never becomes "best"
    assert min(best.y[1:]) == pytest.approx(min(t.value for t in feasible))


def test_history_maximize_and_several_studies(plain_study, constrained_study):
    fig = plot_optimization_history(plain_study)
    best = by_name(fig)["Best Value"][0]
    values = [t.value for t in complete(plain_study)]
    assert list(best.y) == pytest.approx(list(np.maximum.accumulate(values)))
    assert "Infeasible Trial" not in by_name(fig)
    both = plot_optimization_history([plain_study, constrained_study], target_name="Loss")
    names = {tr.name for tr in both.data}
    assert f"Loss of {plain_study.study_name}" in names
    assert f"Best Value of {constrained_study.study_name}" in names
    assert f"Infeasible Trial of {constrained_study.study_name}" in names
    assert both.layout.yaxis.title.text == "Loss"


def test_history_error_bar_is_mean_over_studies(constrained_factory, plain_study):
    a = constrained_factory(None, "a", n=8)
    fig = plot_optimization_history([a, plain_study], error_bar=True)
    best = by_name(fig)["Best Value"][0]
    own = [dict(zip(tr.x, tr.y)) for s in (a, plain_study)
           for tr in plot_optimization_history(s).data if tr.name == "Best Value"]
    for number, mean, std in zip(best.x, best.y, best.error_y.array):
        defined = [h[number] for h in own if number in h and not math.isnan(h[number])]
        assert mean == pytest.approx(np.mean(defined)) and std == pytest.approx(np.std(defined))
    assert len(best.x) == 15  # the union of both studies' trial numbers
    with pytest.raises(PfnoptError, match="two or more studies"):
        plot_optimization_history(a, error_bar=True)


def test_history_with_target_has_no_best_line(multi_study):
    fig = plot_optimization_history(multi_study, target=lambda t: t.values[1], target_name="n - |x|")
    traces = by_name(fig)
    assert "Best Value" not in traces
    feasible = [t for t in complete(multi_study) if t.feasible]
    assert list(traces["n - |x|"][0].y) == pytest.approx([t.values[1] for t in feasible])


# intermediate values ---------------------------------------------------------------------------
def test_intermediate_values_one_line_per_reporting_trial(constrained_study):
    fig = plot_intermediate_values(constrained_study)
    reporting = [t for t in constrained_study.trials if t.intermediate_values]
    assert [tr.name for tr in fig.data] == [f"Trial{t.number}" for t in reporting]
    for tr, t in zip(fig.data, reporting):
        assert list(tr.y) == [t.intermediate_values[s] for s in sorted(t.intermediate_values)]
        infeasible = t.state == pfnopt.TrialState.COMPLETE and not t.feasible
        assert (tr.line.dash == "dash") == infeasible
    pruned = [tr for tr, t in zip(fig.data, reporting) if t.state == pfnopt.TrialState.PRUNED]
    assert len(pruned) == 1 and pruned[0].marker.symbol[-1] == "x" and list(pruned[0].y) == [50.0, 40.0]


# parallel coordinate ---------------------------------------------------------------------------
def test_parallel_coordinate_dimensions(constrained_study):
    fig = plot_parallel_coordinate(constrained_study, target_name="Cost")
    (pc,) = fig.data
    dims = {d.label: d for d in pc.dimensions}
    assert [d.label for d in pc.dimensions] == ["Cost", "kind", "lr", "n", "x", "Feasible"]
    trials = complete(constrained_study)
    assert list(dims["Cost"].values) == pytest.approx([t.value for t in trials])
    assert list(dims["lr"].values) == pytest.approx([math.log10(t.params["lr"]) for t in trials])
    assert list(dims["kind"].ticktext) == ["a", "b", "c"]
    assert list(dims["kind"].values) == [["a", "b", "c"].index(t.params["kind"]) for t in trials]
    assert list(dims["Feasible"].values) == [1.0 if t.feasible else 0.0 for t in trials]
    assert pc.line.reversescale is True  # minimised: the lowest (best) values darkest
    sub = plot_parallel_coordinate(constrained_study, params=["x", "n"])
    assert [d.label for d in sub.data[0].dimensions] == ["Objective Value", "x", "n", "Feasible"]


def test_parallel_coordinate_without_constraints_has_no_feasible_axis(plain_study):
    pc = plot_parallel_coordinate(plain_study).data[0]
    assert "Feasible" not in [d.label for d in pc.dimensions]
    assert pc.line.reversescale is False  # maximised: the highest values darkest


# slice -----------------------------------------------------------------------------------------
def test_slice_panels_axes_and_infeasible(constrained_study):
    fig = plot_slice(constrained_study, params=["kind", "lr", "x"])
    trials = complete(constrained_study)
    feasible = [t for t in trials if t.feasible]
    trial_traces = [tr for tr in fig.data if tr.name == "Trial"]
    bad_traces = [tr for tr in fig.data if tr.name == "Infeasible Trial"]
    assert len(trial_traces) == 3 and len(bad_traces) == 3
    assert list(trial_traces[0].x) == [t.params["kind"] for t in feasible]
    assert list(trial_traces[1].x) == pytest.approx([t.params["lr"] for t in feasible])
    assert list(trial_traces[0].marker.color) == [t.number for t in feasible]
    assert list(bad_traces[2].x) == pytest.approx([t.params["x"] for t in trials if not t.feasible])
    assert all(x > 1.0 for x in bad_traces[2].x)
    assert bad_traces[2].marker.symbol == "x"
    assert fig.layout.xaxis.type == "category" and list(fig.layout.xaxis.categoryarray) == ["a", "b", "c"]
    assert fig.layout.xaxis2.type == "log"


# contour / rank --------------------------------------------------------------------------------
def test_contour_two_params_interpolates_through_the_trials(constrained_study):
    fig = plot_contour(constrained_study, params=["x", "n"])
    contours = [tr for tr in fig.data if tr.type == "contour"]
    assert len(contours) == 1
    z = np.asarray(contours[0].z)
    assert z.shape == (60, 60) and np.isfinite(z).all()
    trials = complete(constrained_study)
    vals = [t.value for t in trials]
    assert z.min() >= min(vals) - 1e-9 and z.max() <= max(vals) + 1e-9  # linear / nearest: no overshoot
    bad = by_name(fig)["Infeasible Trial"][0]
    assert sorted(bad.x) == pytest.approx(sorted(t.params["x"] for t in trials if not t.feasible))
    assert fig.layout.xaxis.title.text == "x" and fig.layout.yaxis.title.text == "n"


def test_contour_interpolation_is_exact_at_data_points():
    from pfnopt.visualization._pairs import interpolate

    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 1, 30), rng.uniform(0, 1, 30)
    z = 2 * x - y
    gx, gy = np.linspace(0, 1, 11), np.linspace(0, 1, 11)
    Z = interpolate(list(x), list(y), list(z), gx, gy)
    GX, GY = np.meshgrid(gx, gy)
    inside = (GX > 0.2) & (GX < 0.8) & (GY > 0.2) & (GY < 0.8)
    assert np.allclose(Z[inside], (2 * GX - GY)[inside], atol=1e-9)  # a plane is reproduced exactly


def test_contour_matrix_log_and_categorical_axes(constrained_study):
    fig = plot_contour(constrained_study, params=["x", "lr", "kind"])
    contours = [tr for tr in fig.data if tr.type == "contour"]
    assert len(contours) == 6  # 3 x 3 without the diagonal
    # the lr axis is on log10 coordinates, labelled with powers of ten; kind at its choice indices
    lr_axes = [ax for ax in fig.layout if ax.startswith("xaxis") and fig.layout[ax].title.text == "lr"]
    assert lr_axes and list(fig.layout[lr_axes[0]].ticktext) == ["0.0001", "0.001", "0.01", "0.1", "1"]
    kind_contours = [tr for tr in contours if len(tr.x) == 3]
    assert kind_contours and all(list(tr.x) == [0.0, 1.0, 2.0] for tr in kind_contours)


def test_rank_colours_are_ranks(constrained_study):
    fig = plot_rank(constrained_study, params=["x", "n"])
    good = by_name(fig)["Feasible Trial"][0]
    trials = complete(constrained_study)
    vals = np.array([t.value for t in trials])
    ranks = {t.number: float((vals < t.value).sum()) / (len(vals) - 1) for t in trials}
    feasible = [t for t in trials if t.feasible]
    assert list(good.marker.color) == pytest.approx([ranks[t.number] for t in feasible])
    assert min(good.marker.color) == pytest.approx(ranks[constrained_study.best_trial.number])
    assert by_name(fig)["Infeasible Trial"][0].marker.symbol == "x"


# importances -----------------------------------------------------------------------------------
def test_param_importances_bars(constrained_study):
    from pfnopt.importance import FanovaImportanceEvaluator, get_param_importances

    fig = plot_param_importances(constrained_study, evaluator=FanovaImportanceEvaluator(seed=0))
    (bar,) = fig.data
    expected = get_param_importances(constrained_study, evaluator=FanovaImportanceEvaluator(seed=0))
    assert list(bar.y) == list(reversed(list(expected)))  # most important at the top
    assert list(bar.x) == pytest.approx([expected[p] for p in bar.y])
    assert sum(bar.x) == pytest.approx(1.0)
    assert bar.y[-1] == "x"  # x^2 over [-3, 3] dominates this objective


def test_param_importances_one_bar_set_per_objective(multi_study):
    from pfnopt.importance import MeanDecreaseImpurityImportanceEvaluator

    fig = plot_param_importances(multi_study, evaluator=MeanDecreaseImpurityImportanceEvaluator(seed=0))
    assert [tr.name for tr in fig.data] == ["Objective Value 0", "Objective Value 1"]
    assert fig.data[0].y[-1] == "x"  # objective 0 is x^2
    assert fig.data[1].x[list(fig.data[1].y).index("n")] > 0.5  # objective 1 is n - |x|


# Pareto front ----------------------------------------------------------------------------------
def pareto_numbers(study, signs):
    pts = [(t.number, [s * v for s, v in zip(signs, t.values)]) for t in complete(study) if t.feasible]
    return sorted(n for n, a in pts if not any(
        all(x <= y for x, y in zip(b, a)) and any(x < y for x, y in zip(b, a)) for _, b in pts))


def test_pareto_front_groups(multi_study):
    fig = plot_pareto_front(multi_study, target_names=["x^2", "n-|x|"])
    traces = by_name(fig)
    best = traces["Best Trial"][0]
    expected = pareto_numbers(multi_study, [1.0, -1.0])
    numbers = sorted(int(s.split()[1]) for s in best.text)
    assert numbers == expected
    bad = traces["Infeasible Trial"][0]
    assert sorted(int(s.split()[1]) for s in bad.text) == infeasible_numbers(multi_study)
    n_complete = len(complete(multi_study))
    assert len(best.x) + len(traces["Trial"][0].x) + len(bad.x) == n_complete
    assert fig.layout.xaxis.title.text == "x^2"
    swapped = plot_pareto_front(multi_study, axis_order=[1, 0], include_dominated_trials=False)
    assert [tr.name for tr in swapped.data] == ["Best Trial"]
    assert sorted(swapped.data[0].x) == pytest.approx(sorted(best.y))


def test_pareto_front_three_objectives(multi_factory):
    study = multi_factory(3, 20)
    fig = plot_pareto_front(study)
    assert {tr.type for tr in fig.data} == {"scatter3d"}
    best = by_name(fig)["Best Trial"][0]
    assert sorted(int(s.split()[1]) for s in best.text) == pareto_numbers(study, [1.0, -1.0, 1.0])


def test_pareto_front_refuses_single_objective(constrained_study, multi_factory):
    with pytest.raises(PlotError, match="has 1") as e:
        plot_pareto_front(constrained_study)
    assert isinstance(e.value, PfnoptError) and "constrained" in str(e.value)
    # with targets= a single-objective study can still be drawn
    fig = plot_pareto_front(constrained_study, targets=lambda t: (t.value, t.params["n"]))
    assert "Best Trial" in by_name(fig)
    with pytest.raises(PfnoptError, match="permutation"):
        plot_pareto_front(multi_factory(2, 5), axis_order=[0, 0])


# EDF -------------------------------------------------------------------------------------------
def test_edf_counts_feasible_trials(constrained_study, plain_study):
    fig = plot_edf(constrained_study)
    (line,) = fig.data
    feasible = sorted(t.value for t in complete(constrained_study) if t.feasible)
    assert line.name == f"{constrained_study.study_name} ({len(feasible)} feasible of {len(complete(constrained_study))})"
    assert line.x[0] == pytest.approx(feasible[0]) and line.x[-1] == pytest.approx(feasible[-1])
    assert line.y[-1] == 1.0
    for x, y in zip(line.x, line.y):
        assert y == pytest.approx(sum(v <= x for v in feasible) / len(feasible))
    two = plot_edf([constrained_study, plain_study])
    assert [tr.name for tr in two.data][1] == plain_study.study_name
    assert list(two.data[0].x) == list(two.data[1].x)  # one shared grid


# timeline --------------------------------------------------------------------------------------
def test_timeline_states(constrained_study):
    fig = plot_timeline(constrained_study)
    traces = by_name(fig)
    assert set(traces) == {"Complete", "Infeasible", "Pruned", "Fail"}
    assert list(traces["Infeasible"][0].y) == infeasible_numbers(constrained_study)
    trials = constrained_study.trials
    assert list(traces["Pruned"][0].y) == [t.number for t in trials if t.state == pfnopt.TrialState.PRUNED]
    assert traces["Complete"][0].base[0] == trials[1].datetime_start.isoformat()
    recent = plot_timeline(constrained_study, n_recent_trials=2)
    assert sorted(n for tr in recent.data for n in tr.y) == [t.number for t in trials[-2:]]


# errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("plot", [plot_slice, plot_contour, plot_parallel_coordinate, plot_rank,
                                  plot_param_importances])
def test_unknown_param_is_named(plot, constrained_study):
    with pytest.raises(PfnoptError, match="'depth'.*available|'depth'.*have") as e:
        plot(constrained_study, params=["x", "depth"])
    assert "'depth'" in str(e.value)
    with pytest.raises(PfnoptError, match="list of parameter names"):
        plot(constrained_study, params="x")


@pytest.mark.parametrize("plot", [plot_optimization_history, plot_slice, plot_contour, plot_parallel_coordinate,
                                  plot_rank, plot_edf])
def test_multi_objective_needs_target(plot, multi_study):
    with pytest.raises(PfnoptError, match="2 objectives: pass target="):
        plot(multi_study)
    with pytest.raises(PfnoptError, match="target must be a callable"):
        plot(multi_study, target="values_0")


def test_other_bad_input(constrained_study):
    with pytest.raises(PlotError, match="at least 2 parameter"):
        plot_contour(constrained_study, params=["x"])
    with pytest.raises(PfnoptError, match="target_name must be a string"):
        plot_slice(constrained_study, target_name=3)
    with pytest.raises(PfnoptError, match="expected a pfnopt Study"):
        plot_slice("constrained")
    with pytest.raises(PfnoptError, match="n_recent_trials"):
        plot_timeline(constrained_study, n_recent_trials=0)
    with pytest.raises(PfnoptError, match="returned 'bad' for trial"):
        plot_slice(constrained_study, target=lambda t: "bad")


ALL_PLOTS = [plot_optimization_history, plot_intermediate_values, plot_parallel_coordinate, plot_contour,
             plot_slice, plot_param_importances, plot_edf, plot_timeline, plot_rank]


@pytest.mark.parametrize("plot", ALL_PLOTS, ids=lambda f: f.__name__)
def test_a_study_without_complete_trials_draws_empty_or_says_why(plot):
    import plotly.graph_objects as go

    study = pfnopt.create_study(sampler="random")
    study.tell(study.ask({"x": pfnopt.Float(0, 1)}), state="fail")
    try:
        fig = plot(study)
    except PfnoptError as e:  # contour / rank (no parameters) and importances (no complete trial)
        assert "study" in str(e)
        return
    assert isinstance(fig, go.Figure)
    assert all(len(getattr(tr, "x", None) or []) == 0 for tr in fig.data if tr.type == "scatter")


def test_rank_of_one_parameter_plots_it_against_the_target(constrained_study):
    fig = plot_rank(constrained_study, params=["x"], target_name="Cost")
    good = by_name(fig)["Feasible Trial"][0]
    feasible = [t for t in complete(constrained_study) if t.feasible]
    assert list(good.x) == pytest.approx([t.params["x"] for t in feasible])
    assert list(good.y) == pytest.approx([t.value for t in feasible])
    assert fig.layout.yaxis.title.text == "Cost"
