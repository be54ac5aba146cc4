"""Parameter distributions: what a parameter may take, and its one internal float form.

Each distribution stores a value internally as one float (Optuna's habit): floats and ints as
themselves, a categorical as the index of its choice. The store only ever sees that float plus
the distribution's JSON, so it never needs to know the types.

Every distribution also knows its place on the unit interval (``to_unit`` / ``from_unit``): the
whole search space is the product of these, in ``pfnopt.space.space``.

A distribution is checked when it is CONSTRUCTED (as Optuna does): ``Float(1.0, 0.0)``,
``Float(0.0, 1.0, log=True)``, ``Int(0, 2**60)`` or a categorical with a NaN choice raise
:class:`ParameterError` at once, not when first used. Because the internal form is a float, Int
bounds are limited to ``|v| <= 2**53`` (:data:`MAX_EXACT_INT`), where every integer is exact.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Sequence, Union

from pfnopt.exceptions import ParameterError

CategoricalChoice = Union[None, bool, int, float, str]

MAX_EXACT_INT = 2**53
"""The largest magnitude of an Int bound: beyond it a float (the internal form) skips integers."""


def _finite(name: str, what: str, value: Any) -> float:
    if value is None or isinstance(value, (str, bytes, bool)):
        raise ParameterError(f"{what} of {name} must be a number, got {value!r} ({type(value).__name__})")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{what} of {name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ParameterError(f"{what} of {name} must be finite, got {value!r}")
    return v


def _integer(name: str, what: str, value: Any) -> int:
    """An integer bound or step: an int (or an integral float / numpy integer), |v| <= 2**53."""
    if value is None or isinstance(value, (str, bytes, bool)):
        raise ParameterError(f"{what} of {name} must be an integer, got {value!r} ({type(value).__name__})")
    if isinstance(value, float):
        if not value.is_integer():
            raise ParameterError(f"{what} of {name} must be an integer, got {value!r}")
        v = int(value)
    elif hasattr(value, "__index__"):
        v = int(value.__index__())
    else:
        raise ParameterError(f"{what} of {name} must be an integer, got {value!r} ({type(value).__name__})")
    if abs(v) > MAX_EXACT_INT:
        raise ParameterError(
            f"{what} of {name} is {v}, beyond +-2**53 = {MAX_EXACT_INT}: integers are stored as floats, "
            "which cannot hold every integer that large exactly"
        )
    return v


def _check_grid(low: float, high: float, step: float, label: str) -> int:
    """Number of grid points low, low+step, ..., high; raises if step does not divide the range."""
    if step <= 0:
        raise ParameterError(f"step of {label} must be > 0, got {step!r}")
    k = (high - low) / step
    n = round(k)
    if abs(k - n) > 1e-8 * max(1.0, abs(k)):
        raise ParameterError(
            f"step {step!r} of {label} does not divide the range [{low!r}, {high!r}] "
            f"((high - low) / step = {k:.6g}, must be a whole number)"
        )
    return int(n) + 1


@dataclass(frozen=True)
class Float:
    """A real parameter in [low, high]; ``log=True`` samples on a log scale; ``step`` makes a grid.

    Example: ``Float(1e-5, 1e-1, log=True)``, ``Float(0.0, 1.0, step=0.25)``.
    """

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        self.validate(f"Float(low={self.low!r}, high={self.high!r}, log={self.log!r}, step={self.step!r})")

    def validate(self, name: str = "parameter") -> "Float":
        low = _finite(name, "low", self.low)
        high = _finite(name, "high", self.high)
        if not isinstance(self.log, bool):
            raise ParameterError(f"{name}: log must be True or False, got {self.log!r}")
        if low > high:
            raise ParameterError(f"{name}: low must be <= high, got low={self.low!r}, high={self.high!r}")
        if self.log and low <= 0:
            raise ParameterError(f"{name}: a log-scale parameter needs low > 0, got low={self.low!r}")
        if self.step is not None:
            if self.log:
                raise ParameterError(f"{name}: step and log=True cannot be combined (step={self.step!r})")
            _check_grid(low, high, _finite(name, "step", self.step), name)
        return self

    def single(self) -> bool:
        return self.low == self.high

    def contains(self, value: float) -> bool:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            return False
        if not (self.low <= value <= self.high):
            return False
        if self.step is not None:
            k = (value - self.low) / self.step
            return abs(k - round(k)) < 1e-6
        return True

    def to_internal(self, value: Any) -> float:
        return float(value)

    def to_external(self, internal: float) -> float:
        return float(internal)

    # unit-interval mapping ------------------------------------------------------------------
    def to_unit(self, internal: float) -> float:
        if self.single():
            return 0.5
        if self.step is not None:
            n = _check_grid(self.low, self.high, self.step, "parameter")
            k = round((internal - self.low) / self.step)
            return (k + 0.5) / n
        if self.log:
            return (math.log(internal) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (internal - self.low) / (self.high - self.low)

    def from_unit(self, u: float) -> float:
        u = min(max(float(u), 0.0), 1.0)
        if self.single():
            return float(self.low)
        if self.step is not None:
            n = _check_grid(self.low, self.high, self.step, "parameter")
            k = min(int(u * n), n - 1)
            return min(self.low + k * self.step, self.high)
        if self.log:
            v = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            v = self.low + u * (self.high - self.low)
        return min(max(v, self.low), self.high)


@dataclass(frozen=True)
class Int:
    """An integer parameter in [low, high] (both included), with ``step`` or ``log`` spacing.

    On the unit interval every admissible integer owns a cell of equal width (on the log scale
    when ``log=True``), so uniform unit samples give every value its fair share.
    """

    low: int
    high: int
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        self.validate(f"Int(low={self.low!r}, high={self.high!r}, log={self.log!r}, step={self.step!r})")

    def validate(self, name: str = "parameter") -> "Int":
        for what, v in (("low", self.low), ("high", self.high), ("step", self.step)):
            _integer(name, what, v)
        if not isinstance(self.log, bool):
            raise ParameterError(f"{name}: log must be True or False, got {self.log!r}")
        if self.low > self.high:
            raise ParameterError(f"{name}: low must be <= high, got low={self.low!r}, high={self.high!r}")
        if self.log and self.low < 1:
            raise ParameterError(f"{name}: a log-scale integer needs low >= 1, got low={self.low!r}")
        if self.log and self.step != 1:
            raise ParameterError(f"{name}: log=True needs step=1, got step={self.step!r}")
        _check_grid(self.low, self.high, self.step, name)
        return self

    def single(self) -> bool:
        return self.low == self.high

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, float):
            if not value.is_integer():
                return False
        elif not isinstance(value, int):
            return False
        return self.low <= value <= self.high and (int(value) - self.low) % self.step == 0

    def to_internal(self, value: Any) -> float:
        return float(value)

    def to_external(self, internal: float) -> int:
        return int(round(internal))

    def _n(self) -> int:
        return (self.high - self.low) // self.step + 1

    def to_unit(self, internal: float) -> float:
        if self.single():
            return 0.5
        if self.log:
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            return (math.log(internal) - lo) / (hi - lo)
        k = round((internal - self.low) / self.step)
        return (k + 0.5) / self._n()

    def from_unit(self, u: float) -> int:
        u = min(max(float(u), 0.0), 1.0)
        if self.single():
            return int(self.low)
        if self.log:
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            v = int(round(math.exp(lo + u * (hi - lo))))
            return min(max(v, self.low), self.high)
        k = min(int(u * self._n()), self._n() - 1)
        return int(self.low + k * self.step)


@dataclass(frozen=True)
class Categorical:
    """A choice among ``choices`` (None, bool, int, float or str); stored as the choice's index."""

    choices: tuple[CategoricalChoice, ...]

    def __init__(self, choices: Sequence[CategoricalChoice]):
        if isinstance(choices, (str, bytes)) or not hasattr(choices, "__iter__"):
            raise ParameterError(
                f"Categorical: choices must be a list of values, got {choices!r} ({type(choices).__name__}); "
                f"write [{choices!r}] for a single choice"
            )
        object.__setattr__(self, "choices", tuple(choices))
        self.validate("Categorical")

    def validate(self, name: str = "parameter") -> "Categorical":
        if len(self.choices) == 0:
            raise ParameterError(f"{name}: a categorical needs at least one choice, got an empty list")
        for c in self.choices:
            if c is not None and not isinstance(c, (bool, int, float, str)):
                raise ParameterError(
                    f"{name}: choices must be None, bool, int, float or str, got {c!r} ({type(c).__name__})"
                )
            if isinstance(c, float) and not math.isfinite(c):
                raise ParameterError(f"{name}: choices must be finite, got {c!r} in {list(self.choices)!r}")
        if len(set(map(repr, self.choices))) != len(self.choices):
            raise ParameterError(f"{name}: choices must be distinct, got {list(self.choices)!r}")
        return self

    def single(self) -> bool:
        return len(self.choices) == 1

    def index(self, value: Any) -> int:
        for i, c in enumerate(self.choices):
            if c == value and type(c) is type(value) or (c is None and value is None):
                return i
        for i, c in enumerate(self.choices):  # 1 == 1.0 style matches, after exact-type ones
            if c == value:
                return i
        raise ParameterError(f"{value!r} is not one of the choices {list(self.choices)!r}")

    def contains(self, value: Any) -> bool:
        try:
            self.index(value)
            return True
        except ParameterError:
            return False

    def to_internal(self, value: Any) -> float:
        return float(self.index(value))

    def to_external(self, internal: float) -> CategoricalChoice:
        return self.choices[int(round(internal))]

    # ordinal unit mapping (one-hot lives in SearchSpace)
    def to_unit(self, internal: float) -> float:
        return (int(round(internal)) + 0.5) / len(self.choices)

    def from_unit(self, u: float) -> CategoricalChoice:
        k = min(int(min(max(float(u), 0.0), 1.0) * len(self.choices)), len(self.choices) - 1)
        return self.choices[k]


Distribution = Union[Float, Int, Categorical]


def distribution_to_json(dist: Distribution) -> str:
    """The stored JSON form, e.g. ``{"type": "float", "low": 0.0, "high": 1.0, "log": false, "step": null}``."""
    if isinstance(dist, Float):
        body = {"type": "float", "low": dist.low, "high": dist.high, "log": dist.log, "step": dist.step}
    elif isinstance(dist, Int):
        body = {"type": "int", "low": dist.low, "high": dist.high, "log": dist.log, "step": dist.step}
    elif isinstance(dist, Categorical):
        body = {"type": "categorical", "choices": list(dist.choices)}
    else:
        raise ParameterError(f"not a pfnopt distribution: {dist!r}")
    return json.dumps(body, sort_keys=True)


_FIELDS = {"float": ("low", "high", "log", "step"), "int": ("low", "high", "log", "step"), "categorical": ("choices",)}
_REQUIRED = {"float": ("low", "high"), "int": ("low", "high"), "categorical": ("choices",)}


def distribution_from_json(text: str | dict, strict: bool = True) -> Distribution:
    """Inverse of :func:`distribution_to_json`; also accepts the dict (as in ``--space`` JSON).

    Nothing is coerced: ``low``/``high``/``step`` must be JSON numbers (integers for ``int``),
    ``log`` a JSON boolean, ``choices`` a JSON list; unknown fields are refused (``strict``), and
    every error names the field, the value and what is allowed."""
    try:
        body = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as e:
        raise ParameterError(f"distribution JSON is malformed ({e.msg} at char {e.pos}): {text!r}") from None
    if not isinstance(body, dict):
        raise ParameterError(f"a distribution must be a JSON object with a 'type' field, got {body!r}")
    kind = body.get("type")
    if kind not in _FIELDS:
        raise ParameterError(f"unknown distribution type {kind!r} in {body!r}; allowed: float, int, categorical")
    for key in _REQUIRED[kind]:
        if key not in body:
            raise ParameterError(f"{kind} distribution {body!r} lacks the field {key!r}")
    unknown = sorted(set(body) - {"type", *_FIELDS[kind]})
    if strict and unknown:
        raise ParameterError(f"{kind} distribution {body!r}: unknown field(s) {unknown}; allowed: {list(_FIELDS[kind])}")
    log = body.get("log", False)
    if not isinstance(log, bool):
        raise ParameterError(f"{kind} distribution: 'log' must be true or false, got {log!r} ({type(log).__name__})")
    if kind == "categorical":
        choices = body["choices"]
        if not isinstance(choices, list):
            raise ParameterError(f"categorical distribution: 'choices' must be a list, got {choices!r}")
        return Categorical(choices)
    for key in ("low", "high", "step"):
        v = body.get(key)
        if key == "step" and v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ParameterError(f"{kind} distribution: {key!r} must be a number, got {v!r} ({type(v).__name__})")
        if kind == "int" and not (isinstance(v, int) or float(v).is_integer()):
            raise ParameterError(f"int distribution: {key!r} must be an integer, got {v!r}")
    if kind == "float":
        return Float(body["low"], body["high"], log, body.get("step"))
    step = body.get("step")
    return Int(int(body["low"]), int(body["high"]), log, 1 if step is None else int(step))


def check_value(name: str, dist: Distribution, value: Any) -> None:
    """Raise a ParameterError naming the parameter if ``value`` is not admissible for ``dist``."""
    if not dist.contains(value):
        if isinstance(dist, Categorical):
            allowed = f"one of {list(dist.choices)!r}"
        else:
            allowed = f"in [{dist.low!r}, {dist.high!r}]" + (f" on the grid of step {dist.step!r}" if dist.step not in (None, 1) else "")
            if isinstance(dist, Int):
                allowed = "an integer " + allowed
        raise ParameterError(f"value {value!r} of parameter {name!r} is out of its distribution: allowed {allowed}")
