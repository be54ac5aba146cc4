"""Parameter importance: the functional ANOVA decomposition checked exactly on hand-made trees,
evaluators on functions of known importance, and rank agreement with Optuna's own evaluators."""

from __future__ import annotations

import math

import numpy as np
import pytest

import pfnopt
from pfnopt.exceptions import NoFeasibleTrialError, PfnoptError
from pfnopt.importance import (
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
)
from pfnopt.importance._fanova import leaf_boxes, main_effect_variances

KIND = {"a": 0.0, "b": 1.0, "c": 2.0}
SPACE = {
    "x1": pfnopt.Float(0.0, 1.0),
    "x2": pfnopt.Float(0.0, 1.0),
    "lr": pfnopt.Float(1e-4, 1.0, log=True),
    "kind": pfnopt.Categorical(["a", "b", "c"]),
    "n": pfnopt.Int(1, 8),
}


def draw(rng: np.random.Generator) -> dict:
    return {"x1": float(rng.random()), "x2": float(rng.random()), "lr": float(10 ** rng.uniform(-4, 0)),
            "kind": "abc"[int(rng.integers(3))], "n": int(rng.integers(1, 9))}


def make_study(fn, n: int = 80, seed: int = 0, storage=None, constraint=None) -> pfnopt.Study:
    study = pfnopt.create_study(storage=storage, sampler="random")
    rng = np.random.default_rng(seed)
    for _ in range(n):
        p = draw(rng)
        study.enqueue_trial(p)
        t = study.ask(SPACE)
        if constraint is not None:
            t.set_constraints([constraint(p)])
        study.tell(t, fn(p))
    return study


# the decomposition, exactly -------------------------------------------------------------------
def boxes(*cells):
    """Leaves as (lo, hi, value) with lo, hi tuples."""
    lo = np.array([c[0] for c in cells], dtype=float)
    hi = np.array([c[1] for c in cells], dtype=float)
    return lo, hi, np.array([c[2] for c in cells], dtype=float)


def test_main_effects_of_a_step_in_one_coordinate():
    v_j, v = main_effect_variances(*boxes(((0, 0), (0.5, 1), 0.0), ((0.5, 0), (1, 1), 10.0)))
    assert v == pytest.approx(25.0)
    assert v_j == pytest.approx([25.0, 0.0])


def test_main_effects_of_an_additive_function_split_by_variance():
    # f = a(x1) + b(x2) with a in {0, 2} (x1 < .5 / >= .5) and b in {0, 1} (x2 < .25 / >= .25)
    cells = []
    for (l1, h1, a) in ((0, 0.5, 0.0), (0.5, 1, 2.0)):
        for (l2, h2, b) in ((0, 0.25, 0.0), (0.25, 1, 1.0)):
            cells.append(((l1, l2), (h1, h2), a + b))
    v_j, v = main_effect_variances(*boxes(*cells))
    var_a, var_b = 0.25 * 4, 0.25 * 0.75 * 1  # Bernoulli(1/2) * 2^2, Bernoulli(3/4) * 1^2
    assert v_j == pytest.approx([var_a, var_b])
    assert v == pytest.approx(var_a + var_b)  # additive: the main effects explain everything


def test_a_pure_interaction_has_no_main_effect():
    # xor on the four quadrants: each coordinate alone says nothing
    v_j, v = main_effect_variances(*boxes(((0, 0), (.5, .5), 1.0), ((.5, .5), (1, 1), 1.0),
                                          ((0, .5), (.5, 1), -1.0), ((.5, 0), (1, .5), -1.0)))
    assert v == pytest.approx(1.0)
    assert v_j == pytest.approx([0.0, 0.0])


def test_leaf_boxes_partition_the_cube():
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(0)
    X = rng.random((200, 3))
    tree = DecisionTreeRegressor(max_depth=6, random_state=0).fit(X, np.sin(6 * X[:, 0]) + X[:, 1])
    lo, hi, val = leaf_boxes(tree, 3)
    assert np.prod(hi - lo, axis=1).sum() == pytest.approx(1.0)
    # each sample lies in exactly one box, whose value is the tree's prediction
    inside = np.all((lo[None] <= X[:, None]) & (X[:, None] <= hi[None]), axis=2)
    pred = tree.predict(X)
    for k in range(len(X)):
        assert val[inside[k]] == pytest.approx(pred[k])


def test_decomposition_of_a_fitted_tree_matches_enumeration():
    """V and each V_j of a real scikit-learn tree, against the tree evaluated on every cell of the grid its
    own thresholds make (the tree is constant on each cell, so volume-weighted sums are exact)."""
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(1)
    X = rng.random((300, 3))
    y = np.sin(5 * X[:, 0]) + 2 * X[:, 1] * X[:, 2] + 0.5 * X[:, 2]
    tree = DecisionTreeRegressor(max_depth=6, random_state=0).fit(X, y)
    v_j, v = main_effect_variances(*leaf_boxes(tree, 3))
    t = tree.tree_
    cuts = [np.unique(np.r_[0.0, t.threshold[(t.feature == j) & (t.children_left >= 0)], 1.0]) for j in range(3)]
    mids = [0.5 * (c[1:] + c[:-1]) for c in cuts]
    widths = [np.diff(c) for c in cuts]
    G = np.stack(np.meshgrid(*mids, indexing="ij"), axis=-1).reshape(-1, 3)
    F = tree.predict(G).reshape(*(len(m) for m in mids))
    W = widths[0][:, None, None] * widths[1][None, :, None] * widths[2][None, None, :]
    mean = (W * F).sum()
    assert v == pytest.approx((W * (F - mean) ** 2).sum(), rel=1e-9)
    for j in range(3):
        others = tuple(k for k in range(3) if k != j)
        marginal = (W * F).sum(axis=others) / widths[j]
        assert v_j[j] == pytest.approx((widths[j] * (marginal - mean) ** 2).sum(), rel=1e-9)
    assert v_j.sum() < v  # the x1 * x2 interaction is left out of the main effects


# known importance ------------------------------------------------------------------------------
@pytest.mark.parametrize("evaluator", [FanovaImportanceEvaluator(seed=0), MeanDecreaseImpurityImportanceEvaluator(seed=0),
                                       PedAnovaImportanceEvaluator()], ids=["fanova", "mdi", "ped-anova"])
def test_linear_function_x1_dominates_and_unused_is_zero(evaluator, tmp_path):
    study = make_study(lambda p: 10 * p["x1"] + 0.1 * p["x2"], storage=f"sqlite:///{tmp_path / 'imp.db'}")
    imp = get_param_importances(study, evaluator=evaluator)
    assert list(imp)[0] == "x1"
    assert imp["x1"] > 0.8
    assert sum(imp.values()) == pytest.approx(1.0)
    for unused in ("lr", "kind", "n"):
        assert imp[unused] < 0.06


def test_fanova_recovers_variance_shares():
    # 10 x1 (var 100/12), 3 * kind index (var 6), 1.5 log10(lr) (var 3): shares .48, .35, .17
    study = make_study(lambda p: 10 * p["x1"] + 3 * KIND[p["kind"]] + 1.5 * math.log10(p["lr"]), n=150)
    imp = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    total = 100 / 12 + 6 + 3
    assert list(imp)[:3] == ["x1", "kind", "lr"]
    assert imp["x1"] == pytest.approx(100 / 12 / total, abs=0.08)
    assert imp["kind"] == pytest.approx(6 / total, abs=0.08)
    assert imp["lr"] == pytest.approx(3 / total, abs=0.08)
    raw = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0), normalize=False)
    assert 0.8 < sum(raw.values()) <= 1.0 + 1e-9  # additive: main effects explain nearly all variance


def test_params_target_and_constraints():
    study = make_study(lambda p: p["n"] + 5 * p["x2"], n=50, constraint=lambda p: p["x1"] - 0.5)
    imp = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0), params=["x2", "x1"])
    assert set(imp) == {"x1", "x2"} and list(imp)[0] == "x2"
    by_n = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0),
                                 target=lambda t: float(t.params["n"]))
    assert list(by_n)[0] == "n" and by_n["n"] > 0.9


def test_ped_anova_follows_the_direction_and_its_own_rule():
    fn = lambda p: 10 * p["x1"] + 3 * KIND[p["kind"]]  # noqa: E731
    low = make_study(fn, n=120)
    high = pfnopt.create_study(sampler="random", direction="maximize")
    for t in low.trials:
        high.enqueue_trial(dict(t.params))
        high.tell(high.ask(SPACE), -t.value)
    a = get_param_importances(low, evaluator=PedAnovaImportanceEvaluator())
    b = get_param_importances(high, evaluator=PedAnovaImportanceEvaluator())
    assert a == pytest.approx(b)  # the same best trials, whichever way the objective points
    assert set(list(a)[:2]) == {"x1", "kind"}
    # a custom target counts lower as better, as in Optuna: negating it picks the worst trials instead
    worst = get_param_importances(low, evaluator=PedAnovaImportanceEvaluator(), target=lambda t: -t.value)
    assert set(list(worst)[:2]) == {"x1", "kind"}
    # by hand, for x1: the best 12 of 120 trials against all of them
    from pfnopt.importance._ped_anova import GRID, numeric_density

    x1 = np.array([t.params["x1"] for t in low.trials])
    y = np.array([t.value for t in low.trials])
    top = x1[np.argsort(y)[:12]]
    grid = (np.arange(GRID) + 0.5) / GRID
    p_top, p_all = numeric_density(top, grid), numeric_density(x1, grid)
    raw = get_param_importances(low, evaluator=PedAnovaImportanceEvaluator(), normalize=False)
    assert raw["x1"] == pytest.approx(np.mean(p_top ** 2 / p_all) - 1.0, rel=1e-6)
    with pytest.raises(PfnoptError, match="region_quantile must be in"):
        PedAnovaImportanceEvaluator(target_quantile=0.5, region_quantile=0.4)


# against Optuna --------------------------------------------------------------------------------
def optuna_copy(study):
    optuna = pytest.importorskip("optuna")
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {"x1": FloatDistribution(0, 1), "x2": FloatDistribution(0, 1),
             "lr": FloatDistribution(1e-4, 1, log=True), "kind": CategoricalDistribution(["a", "b", "c"]),
             "n": IntDistribution(1, 8)}
    copy = optuna.create_study()
    for t in study.get_trials(states=(pfnopt.TrialState.COMPLETE,)):
        copy.add_trial(optuna.trial.create_trial(params=dict(t.params), distributions=dists, value=t.value))
    return optuna, copy


def test_ped_anova_rank_agreement_with_optuna():
    study = make_study(lambda p: 10 * p["x1"] + 3 * KIND[p["kind"]] + 1.5 * math.log10(p["lr"]), n=200, seed=2)
    optuna, copy = optuna_copy(study)
    mine = get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())
    their = optuna.importance.get_param_importances(copy, evaluator=optuna.importance.PedAnovaImportanceEvaluator())
    # PED-ANOVA looks at 20 trials only, so only the coarse ranking is stable (seeds 0-5 checked): the
    # same three that matter and the two unused parameters last in both; x1 leads Optuna's in all six and
    # ours in five (our smoothed category frequencies weigh `kind` more than Optuna's categorical kernel)
    assert set(list(mine)[:3]) == set(list(their)[:3]) == {"x1", "kind", "lr"}
    assert list(their)[0] == "x1" and "x1" in list(mine)[:2]


@pytest.mark.parametrize("ours, theirs", [("fanova", "FanovaImportanceEvaluator"),
                                          ("mdi", "MeanDecreaseImpurityImportanceEvaluator")])
def test_rank_agreement_with_optuna(ours, theirs):
    study = make_study(lambda p: 10 * p["x1"] + 3 * KIND[p["kind"]] + 1.5 * math.log10(p["lr"]), n=100, seed=4)
    optuna, copy = optuna_copy(study)
    evaluator = {"fanova": FanovaImportanceEvaluator, "mdi": MeanDecreaseImpurityImportanceEvaluator}[ours]
    mine = get_param_importances(study, evaluator=evaluator(seed=0))
    their = optuna.importance.get_param_importances(copy, evaluator=getattr(optuna.importance, theirs)(seed=0))
    # the three parameters that matter come in the same order, with similar shares; the two unused
    # ones trail in both (their order among themselves is noise)
    assert list(mine)[:3] == list(their)[:3] == ["x1", "kind", "lr"]
    assert set(list(mine)[3:]) == set(list(their)[3:]) == {"x2", "n"}
    for p in mine:
        assert mine[p] == pytest.approx(float(their[p]), abs=0.1)


# errors ----------------------------------------------------------------------------------------
def test_bad_input_is_named():
    study = make_study(lambda p: p["x1"], n=5)
    with pytest.raises(PfnoptError, match="'depth' is not in the search space.*available"):
        get_param_importances(study, params=["x1", "depth"])
    with pytest.raises(PfnoptError, match="list of parameter names"):
        get_param_importances(study, params="x1")
    with pytest.raises(PfnoptError, match="evaluator must be"):
        get_param_importances(study, evaluator="fanova")
    with pytest.raises(PfnoptError, match="n_trees must be a positive integer, got 0"):
        FanovaImportanceEvaluator(n_trees=0)
    with pytest.raises(PfnoptError, match="target must be a callable"):
        get_param_importances(study, target=3)
    multi = pfnopt.create_study(directions=["minimize", "minimize"], sampler="random")
    with pytest.raises(PfnoptError, match="2 objectives: pass target="):
        get_param_importances(multi)
    empty = pfnopt.create_study(sampler="random")
    empty.tell(empty.ask(SPACE), state="fail")
    with pytest.raises(NoFeasibleTrialError, match="0 complete trial"):
        get_param_importances(empty)


def test_constant_objective_gives_zero_importances():
    study = make_study(lambda p: 1.0, n=10)
    for evaluator in (FanovaImportanceEvaluator(seed=0), MeanDecreaseImpurityImportanceEvaluator(seed=0),
                      PedAnovaImportanceEvaluator()):
        imp = get_param_importances(study, evaluator=evaluator)
        assert set(imp) == set(SPACE) and all(v == 0.0 for v in imp.values())
