"""The registry, shapes, input errors, search spaces and the ready-made objective."""

from __future__ import annotations

import numpy as np
import pytest

from pfnopt import problems
from pfnopt.space import Categorical, Float, Int

ENGINEERING_17 = [
    "ackley_2d", "ackley_6d", "ackley_10d", "gkxwc1", "gkxwc2", "jlh1", "jlh2", "keane_bump_18d",
    "cantilever_beam", "car_side_impact", "tension_compression_spring", "heat_exchanger",
    "pressure_vessel", "reinforced_concrete_beam", "speed_reducer", "three_bar_truss", "welded_beam",
]  # fmt: skip
SYNTHETIC = ["branin", "hartmann_6d", "ackley_5d", "gramacy"]
ALL_CASES = [(n, v) for n in ENGINEERING_17 for v in ("default", "paper")] + [(n, "default") for n in SYNTHETIC]

# (d, m) per name and variant, from the spec's sections 3.x (paper-era columns included)
DIMS = {
    "ackley_2d": (2, 2, 2), "ackley_6d": (6, 2, 2), "ackley_10d": (10, 2, 2), "gkxwc1": (2, 1, 1),
    "gkxwc2": (2, 1, 1), "jlh1": (2, 1, 1), "jlh2": (2, 1, 1), "keane_bump_18d": (18, 2, 2),
    "cantilever_beam": (10, 11, 11), "car_side_impact": (11, 10, 10), "tension_compression_spring": (3, 4, 4),
    "heat_exchanger": (8, 6, 6), "pressure_vessel": (4, 4, 4), "reinforced_concrete_beam": (3, 2, 2),
    "speed_reducer": (7, 11, 9), "three_bar_truss": (2, 3, 3), "welded_beam": (4, 5, 5),
    "branin": (2, 0, None), "hartmann_6d": (6, 0, None), "ackley_5d": (5, 0, None), "gramacy": (2, 2, None),
}  # fmt: skip


def test_names_lists_the_suites():
    assert problems.names() == ENGINEERING_17
    assert problems.names("engineering") == ENGINEERING_17
    assert problems.names("synthetic") == SYNTHETIC
    assert problems.names("all") == ENGINEERING_17 + SYNTHETIC


def test_unknown_names_variants_and_suites_raise_listing_the_allowed():
    with pytest.raises(ValueError, match="pressure_vessel"):
        problems.get("pressure_vesel")
    with pytest.raises(ValueError, match="'default', 'paper'"):
        problems.get("pressure_vessel", variant="literature")
    with pytest.raises(ValueError, match="'default'"):
        problems.get("branin", variant="paper")
    with pytest.raises(ValueError, match="synthetic"):
        problems.names("toy")


@pytest.mark.parametrize("name,variant", ALL_CASES)
def test_shapes_and_attributes(name, variant):
    p = problems.get(name, variant)
    d, m_default, m_paper = DIMS[name]
    m = m_paper if variant == "paper" else m_default
    assert (p.name, p.variant, p.dim, p.n_constraints) == (name, variant, d, m)
    assert p.bounds.shape == (d, 2) and p.bounds.dtype == np.float64
    assert np.all(p.bounds[:, 0] < p.bounds[:, 1])
    assert len(p.space) == d and p.param_names == list(p.space)
    assert p.optimum_x.shape == (d,)
    X = p.bounds[:, 0] + (p.bounds[:, 1] - p.bounds[:, 0]) * np.random.default_rng(0).random((5, d))
    f, g = p.evaluate(X)
    assert f.shape == (5,) and g.shape == (5, m) and f.dtype == np.float64
    f1, g1 = p.evaluate(X[2])  # one d-vector reads as 1 x d
    assert f1.shape == (1,) and g1.shape == (1, m) and f1[0] == f[2]
    f0, g0 = p.evaluate(np.zeros((0, d)))
    assert f0.shape == (0,) and g0.shape == (0, m)


@pytest.mark.parametrize("bad", [np.zeros((3, 5)), np.zeros((2, 4, 1)), np.zeros(3), 1.0, [[1.0, "a", 2.0, 3.0]]])
def test_evaluate_rejects_wrong_shapes_naming_the_expected_one(bad):
    p = problems.get("pressure_vessel")
    with pytest.raises(ValueError, match="n x 4"):
        p.evaluate(bad)


def test_evaluate_rejects_nan_and_inf():
    p = problems.get("jlh1")
    for v in (np.nan, np.inf):
        with pytest.raises(ValueError, match="n x 2"):
            p.evaluate(np.array([[0.5, v]]))


def test_problems_are_immutable_and_fresh():
    p = problems.get("welded_beam")
    with pytest.raises(ValueError):
        p.bounds[0, 0] = 1.0
    with pytest.raises(ValueError):
        p.optimum_x[0] = 1.0
    assert problems.get("welded_beam") is not p


# --- search spaces ---------------------------------------------------------------------------
def test_default_spaces_declare_the_literature_discrete_variables():
    pv = problems.get("pressure_vessel").space
    assert pv["Ts"] == Float(0.0625, 6.1875, step=0.0625) and pv["Th"] == pv["Ts"]
    assert pv["R"] == Float(10.0, 200.0) and pv["L"] == Float(10.0, 200.0)
    rc = problems.get("reinforced_concrete_beam")
    assert isinstance(rc.space["As"], Categorical) and len(rc.space["As"].choices) == 76
    assert rc.space["b"] == Int(28, 40)
    assert list(rc.bounds[0]) == [0.2, 15.0]  # categorical: min and max of its choices
    assert problems.get("speed_reducer").space["z"] == Int(17, 28)
    car = problems.get("car_side_impact")
    assert car.space["x8"] == Categorical([0.192, 0.345]) == car.space["x9"]
    assert list(car.bounds[7]) == [0.192, 0.345]


@pytest.mark.parametrize("name", ENGINEERING_17)
def test_paper_spaces_are_continuous_floats(name):
    p = problems.get(name, "paper")
    for dist in p.space.values():
        assert isinstance(dist, Float) and dist.step is None and not dist.log


def test_paper_boxes_follow_the_repository():
    assert list(problems.get("pressure_vessel", "paper").bounds[3]) == [0.0, 190.0]  # spec 3.13
    assert list(problems.get("heat_exchanger", "paper").bounds[1]) == [1000.0, 10000.0]  # spec 3.12


@pytest.mark.parametrize("name,variant", ALL_CASES)
def test_space_decoding_stays_within_bounds(name, variant):
    p = problems.get(name, variant)
    U = np.random.default_rng(5).random((64, p.space.dim))
    U[0], U[1] = 0.0, 1.0  # the corners
    X = np.array([p.params_to_x(params) for params in p.space.decode(U)])
    assert np.all(X >= p.bounds[:, 0]) and np.all(X <= p.bounds[:, 1])
    f, g = p.evaluate(X)
    assert np.all(np.isfinite(f)) and np.all(np.isfinite(g))


def test_params_round_trip_and_errors():
    p = problems.get("speed_reducer")
    params = p.x_to_params([3.5, 0.7, 17.4, 7.3, 7.7, 3.35, 5.28])
    assert params["z"] == 17 and isinstance(params["z"], int)
    f, g = p.evaluate_params(params)
    assert isinstance(f, float) and g.shape == (11,)
    with pytest.raises(ValueError, match="lack"):
        p.evaluate_params({"b": 3.0})
    with pytest.raises(ValueError):
        p.evaluate_params({**params, "z": 30})  # outside Int(17, 28)
    vessel = problems.get("pressure_vessel")
    assert vessel.x_to_params([0.8, 0.44, 42.0, 176.0])["Ts"] == 0.8125  # snapped to 13 * 0.0625


# --- the ready-made objective ----------------------------------------------------------------
class RecordingTrial:
    """Stand-in for pfnopt's Trial: suggests the midpoint of each unit cell and records the calls."""

    def __init__(self, u: float = 0.37):
        self.u = u
        self.suggested: list[str] = []
        self.constraints = None

    def suggest(self, name, dist):
        self.suggested.append(name)
        return dist.from_unit(self.u)

    def set_constraints(self, values):
        self.constraints = list(values)


@pytest.mark.parametrize(
    "name,variant",
    [("pressure_vessel", "default"), ("car_side_impact", "default"), ("speed_reducer", "paper"), ("branin", "default")],
)
def test_objective_suggests_every_variable_and_reports_constraints(name, variant):
    p = problems.get(name, variant)
    trial = RecordingTrial()
    value = p.objective(trial)
    assert trial.suggested == p.param_names
    params = {k: dist.from_unit(0.37) for k, dist in p.space.items()}
    f, g = p.evaluate_params(params)
    assert value == f
    if p.n_constraints:
        assert trial.constraints == [float(v) for v in g] and all(isinstance(v, float) for v in trial.constraints)
    else:
        assert trial.constraints is None  # set_constraints is not called for unconstrained problems


def test_objective_with_a_real_study():
    pfnopt = pytest.importorskip("pfnopt")
    if not hasattr(pfnopt, "create_study"):
        pytest.skip("pfnopt.create_study is not available yet")
    p = problems.get("jlh1")
    study = pfnopt.create_study(storage=None)
    study.optimize(p.objective, n_trials=5)
    assert len(study.trials) == 5
