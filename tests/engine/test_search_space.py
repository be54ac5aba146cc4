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
    "dist, msg",
    [
        (Float(2.0, 1.0), "low must be <= high"),
        (Float(0.0, 1.0, log=True), "log-scale parameter needs low > 0"),
        (Float(0.0, 1.0, step=0.3), "does not divide the range"),
        (Float(0.0, float("nan")), "must be finite"),
        (Int(5, 1), "low must be <= high"),
        (Int(0, 10, log=True), "needs low >= 1"),
        (Int(0, 10, step=3), "does not divide the range"),
        (Int(0, 10, step=0), "step of p must be > 0"),
        (Int(0.5, 3), "must be an integer"),
        (Categorical([]), "at least one choice"),
        (Categorical([1, 1]), "must be distinct"),
        (Categorical([[1]]), "choices must be None, bool, int, float or str"),
    ],
)
def test_invalid_distributions_name_the_problem(dist, msg):
    with pytest.raises(ParameterError, match=msg):
        dist.validate("p")


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
