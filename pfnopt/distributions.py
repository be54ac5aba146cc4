"""Optuna's distribution names for pfnopt's distributions, and conversion from Optuna's objects.

``FloatDistribution(low, high, log=False, step=None)``, ``IntDistribution(low, high, log=False,
step=1)`` and ``CategoricalDistribution(choices)`` are pfnopt's :class:`~pfnopt.space.Float`,
:class:`~pfnopt.space.Int` and :class:`~pfnopt.space.Categorical` under Optuna's names (the
arguments are in the same order), so ``study.ask(fixed_distributions={...})`` and
``create_trial(distributions=...)`` written for Optuna take them unchanged. Objects of Optuna's
own classes are converted by :func:`to_pfnopt`; :func:`to_optuna` goes the other way.
:func:`json_to_distribution` reads Optuna's JSON form (``{"name": "FloatDistribution",
"attributes": {...}}``), as written by ``optuna.distributions.distribution_to_json`` and taken by
``optuna ask --search-space``.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from pfnopt.exceptions import ParameterError
from pfnopt.space import Categorical, Distribution, Float, Int

FloatDistribution = Float
IntDistribution = Int
CategoricalDistribution = Categorical
BaseDistribution = (Float, Int, Categorical)  # for isinstance checks, as Optuna programs write them

_OPTUNA_NAMES = ("FloatDistribution", "IntDistribution", "CategoricalDistribution",
                 "UniformDistribution", "LogUniformDistribution", "DiscreteUniformDistribution",
                 "IntUniformDistribution", "IntLogUniformDistribution")


def to_pfnopt(dist: Any) -> Distribution:
    """A pfnopt distribution from a pfnopt one (returned as is) or one of Optuna's objects.

    Optuna's objects are read by their attributes (``low``, ``high``, ``log``, ``step``,
    ``choices``), so this needs no Optuna import. Raises ParameterError for anything else.
    """
    if isinstance(dist, (Float, Int, Categorical)):
        return dist
    name = type(dist).__name__
    if name == "CategoricalDistribution":
        return Categorical(list(dist.choices))
    if name in ("FloatDistribution", "UniformDistribution", "LogUniformDistribution", "DiscreteUniformDistribution"):
        step = getattr(dist, "step", None) if name != "DiscreteUniformDistribution" else dist.q
        return Float(float(dist.low), float(dist.high), log=bool(getattr(dist, "log", name == "LogUniformDistribution")),
                     step=None if step is None else float(step))
    if name in ("IntDistribution", "IntUniformDistribution", "IntLogUniformDistribution"):
        return Int(int(dist.low), int(dist.high), log=bool(getattr(dist, "log", name == "IntLogUniformDistribution")),
                   step=int(getattr(dist, "step", 1) or 1))
    raise ParameterError(
        f"not a distribution: {dist!r} ({name}); use FloatDistribution, IntDistribution or CategoricalDistribution"
    )


def to_pfnopt_space(distributions: Mapping[str, Any]) -> dict[str, Distribution]:
    """``{name: distribution}`` with every value converted by :func:`to_pfnopt` (and validated)."""
    if not isinstance(distributions, Mapping):
        raise ParameterError(f"distributions must be a mapping of parameter name to distribution, got {distributions!r}")
    return {name: to_pfnopt(d).validate(name) for name, d in distributions.items()}


def to_optuna(dist: Distribution) -> Any:
    """The Optuna distribution object equal to a pfnopt distribution (needs the ``optuna`` extra)."""
    try:
        from optuna.distributions import CategoricalDistribution as OC
        from optuna.distributions import FloatDistribution as OF
        from optuna.distributions import IntDistribution as OI
    except ImportError:
        from pfnopt.exceptions import missing_extra

        raise missing_extra("optuna", "optuna") from None
    dist = to_pfnopt(dist)
    if isinstance(dist, Float):
        return OF(float(dist.low), float(dist.high), log=dist.log, step=None if dist.step is None else float(dist.step))
    if isinstance(dist, Int):
        return OI(int(dist.low), int(dist.high), log=dist.log, step=int(dist.step))
    return OC(list(dist.choices))


def distribution_to_json(dist: Distribution) -> str:
    """Optuna's JSON form of a distribution: ``{"name": "FloatDistribution", "attributes": {...}}``."""
    dist = to_pfnopt(dist)
    if isinstance(dist, Float):
        body = {"name": "FloatDistribution", "attributes": {"low": dist.low, "high": dist.high, "log": dist.log, "step": dist.step}}
    elif isinstance(dist, Int):
        body = {"name": "IntDistribution", "attributes": {"low": dist.low, "high": dist.high, "log": dist.log, "step": dist.step}}
    else:
        body = {"name": "CategoricalDistribution", "attributes": {"choices": list(dist.choices)}}
    return json.dumps(body)


def json_to_distribution(text: str | Mapping[str, Any]) -> Distribution:
    """Read Optuna's JSON form of a distribution (a string or the parsed dict)."""
    try:
        body = json.loads(text) if isinstance(text, str) else dict(text)
    except (json.JSONDecodeError, TypeError, ValueError) as e:
        raise ParameterError(f"Optuna distribution JSON is malformed ({e}): {text!r}") from None
    name, attrs = body.get("name"), body.get("attributes")
    if name not in _OPTUNA_NAMES or not isinstance(attrs, dict):
        raise ParameterError(
            f"not an Optuna distribution: {body!r}; expected {{\"name\": \"FloatDistribution\" | \"IntDistribution\" | "
            f"\"CategoricalDistribution\", \"attributes\": {{...}}}}"
        )
    try:
        if name == "CategoricalDistribution":
            return Categorical(attrs["choices"]).validate()
        if name in ("IntDistribution", "IntUniformDistribution", "IntLogUniformDistribution"):
            return Int(int(attrs["low"]), int(attrs["high"]), log=bool(attrs.get("log", name.endswith("LogUniformDistribution"))),
                       step=int(attrs.get("step", 1) or 1)).validate()
        step = attrs.get("q") if name == "DiscreteUniformDistribution" else attrs.get("step")
        return Float(float(attrs["low"]), float(attrs["high"]), log=bool(attrs.get("log", name == "LogUniformDistribution")),
                     step=None if step is None else float(step)).validate()
    except KeyError as e:
        raise ParameterError(f"Optuna distribution {body!r} lacks the attribute {e.args[0]!r}") from None


__all__ = [
    "BaseDistribution",
    "CategoricalDistribution",
    "FloatDistribution",
    "IntDistribution",
    "distribution_to_json",
    "json_to_distribution",
    "to_optuna",
    "to_pfnopt",
    "to_pfnopt_space",
]
