"""Distributions and the one unit-cube mapping."""

import json

import numpy as np
import pytest

from pfnopt.exceptions import ParameterError
from pfnopt.space import (
    Categorical,
    Float,
    Int,
    SearchSpace,
    distribution_from_json,
    distribution_to_json,
)

SPACE = SearchSpace(
    {
        "x": Float(0.1, 2.0, log=True),
        "y": Float(-1.0, 1.0),
        "g": Float(0.0, 1.0, step=0.25),
        "n": Int(1, 8),
        "s": Int(0, 10, step=2),
        "l": Int(1, 1000, log=True),
        "kind": Categorical(["steel", "alu", None]),
    }
)


@pytest.mark.parametrize(
    "make, msg",
    [
        (lambda: Float(2.0, 1.0), "low must be <= high"),
        (lambda: Float(0.0, 1.0, log=True), "log-scale parameter needs low > 0"),
        (lambda: Float(0.0, 1.0, step=0.3), "does not divide the range"),
        (lambda: Float(0.0, float("nan")), "must be finite"),
        (lambda: Float("0.5", 1.0), "low of .* must be a number, got '0.5'"),
        (lambda: Float(0.0, 1.0, log="false"), "log must be True or False"),
        (lambda: Int(5, 1), "low must be <= high"),
        (lambda: Int(0, 10, log=True), "needs low >= 1"),
        (lambda: Int(0, 10, step=3), "does not divide the range"),
        (lambda: Int(0, 10, step=0), "step of .* must be > 0"),
        (lambda: Int(0.5, 3), "must be an integer"),
        (lambda: Int(0, 2**53 + 1), "beyond \\+-2\\*\\*53"),
        (lambda: Categorical([]), "at least one choice"),
        (lambda: Categorical([1, 1]), "must be distinct"),
        (lambda: Categorical([[1]]), "choices must be None, bool, int, float or str"),
        (lambda: Categorical([0.5, float("nan")]), "choices must be finite"),
        (lambda: Categorical("abc"), "choices must be a list"),
    ],
)
def test_invalid_distributions_are_refused_at_construction(make, msg):
    """As in Optuna, a distribution that cannot be used cannot be built (the error names the problem)."""
    with pytest.raises(ParameterError, match=msg):
        make()


def test_suggest_names_the_parameter_of_a_bad_distribution():
    import pfnopt

    study = pfnopt.create_study(sampler="random")
    trial = study.ask()
    with pytest.raises(ParameterError, match="parameter 'x': low of .* must be a number, got '0.5'"):
        trial.suggest_float("x", "0.5", 1)
    with pytest.raises(ParameterError, match="parameter 'lr'.*log-scale"):
        trial.suggest_float("lr", 0.0, 1.0, log=True)
    assert trial.params == {}


def test_int_bounds_are_exact_up_to_2_53():
    """Integers are stored as floats: up to 2**53 they round-trip exactly; above, bounds are refused."""
    import pfnopt

    big = 2**53
    study = pfnopt.create_study(sampler="random")
    for _ in range(20):
        t = study.ask()
        v = t.suggest_int("n", big - 5, big)
        assert study.trials[-1].params["n"] == v and big - 5 <= v <= big
        study.tell(t, 0.0)
    with pytest.raises(ParameterError, match="2\\*\\*53"):
        study.ask().suggest_int("m", 9007199254740990, 9007199254740999)


def test_decode_is_always_inside_the_space_and_typed():
    U = np.random.default_rng(0).random((500, SPACE.dim))
    U[:5] = 0.0
    U[5:10] = 1.0
    for params in SPACE.decode(U):
        SPACE.check(params)
        assert isinstance(params["n"], int) and isinstance(params["l"], int)
        assert isinstance(params["x"], float)
        assert params["g"] in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert params["s"] % 2 == 0


def test_encode_decode_round_trip():
    U = np.random.default_rng(1).random((200, SPACE.dim))
    params = SPACE.decode(U)
    again = SPACE.decode(SPACE.encode(params))
    for a, b in zip(again, params):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k] == pytest.approx(b[k], rel=1e-12) if isinstance(a[k], float) else a[k] == b[k]
    assert np.all((SPACE.encode(params) >= 0) & (SPACE.encode(params) <= 1))


def test_every_integer_gets_an_equal_cell():
    d = SearchSpace({"n": Int(1, 4)})
    vals = [p["n"] for p in d.decode(np.linspace(0, 1, 4001)[:, None])]
    counts = np.bincount(vals)[1:]
    assert counts.min() >= 990 and counts.max() <= 1011


def test_log_float_is_uniform_on_log_scale():
    d = SearchSpace({"x": Float(1e-4, 1.0, log=True)})
    x = np.array([p["x"] for p in d.decode(np.random.default_rng(2).random((4000, 1)))])
    assert abs(np.mean(np.log10(x)) + 2.0) < 0.1


def test_onehot_columns_and_neutral_inactive_encoding():
    assert SPACE.columns()[-3:] == ["kind=steel", "kind=alu", "kind=None"]
    U = SPACE.encode([{"x": 1.0}])  # every other parameter inactive
    assert U[0, SPACE.columns().index("y")] == 0.5
    assert np.allclose(U[0, -3:], 1 / 3)
    mask = SPACE.integer_columns()
    assert mask.tolist() == [False, False, True, True, True, True, True, True, True]


def test_ordinal_encoding():
    s = SearchSpace({"c": Categorical(["a", "b", "c", "d"])}, encoding="ordinal")
    assert s.dim == 1
    assert [p["c"] for p in s.decode(np.array([[0.1], [0.3], [0.6], [0.99]]))] == ["a", "b", "c", "d"]


def test_decode_rejects_bad_arrays():
    with pytest.raises(ParameterError, match="n x 9"):
        SPACE.decode(np.zeros((2, 3)))
    with pytest.raises(ParameterError, match="NaN"):
        SPACE.decode(np.full((1, SPACE.dim), np.nan))


def test_check_names_parameter_and_allowed_values():
    with pytest.raises(ParameterError, match=r"'n'.*integer in \[1, 8\]"):
        SPACE.check({"n": 9})
    with pytest.raises(ParameterError, match=r"'kind'.*one of"):
        SPACE.check({"kind": "wood"})
    with pytest.raises(ParameterError, match="unknown parameter 'zz'"):
        SPACE.check({"zz": 1})


@pytest.mark.parametrize("dist", list(SPACE.values()))
def test_json_round_trip(dist):
    assert distribution_from_json(distribution_to_json(dist)) == dist
    assert distribution_from_json(json.loads(distribution_to_json(dist))) == dist


@pytest.mark.parametrize(
    "text, msg",
    [("{", "malformed"), ('{"type": "beta"}', "unknown distribution type"), ('{"type": "float"}', "lacks the field"),
     ("[1, 2]", "JSON object")],
)
def test_json_errors(text, msg):
    with pytest.raises(ParameterError, match=msg):
        distribution_from_json(text)


def test_snap_equals_round_trip():
    U = np.random.default_rng(3).random((300, SPACE.dim))
    assert np.allclose(SPACE.snap(U), SPACE.round_trip(U), atol=1e-12)
    ordinal = SearchSpace(dict(SPACE), encoding="ordinal")
    V = np.random.default_rng(4).random((300, ordinal.dim))
    assert np.allclose(ordinal.snap(V), ordinal.round_trip(V), atol=1e-12)
