"""Pruners: stop unpromising trials early from their reported intermediate values (Optuna's semantics).

``MedianPruner`` is the default (as in Optuna). ``create_pruner(name, **kwargs)`` builds one by name:
``none``, ``median``, ``percentile``, ``asha``, ``hyperband``, ``threshold``, ``patient``, ``curve-pfn``, ``wilcoxon``.
The contract is in :mod:`pfnopt.pruners.base`.
"""

from __future__ import annotations

import inspect

from pfnopt.exceptions import ParameterError
from pfnopt.pruners.base import BasePruner, NopPruner
from pfnopt.pruners.curve_pfn import CurvePFNPruner
from pfnopt.pruners.percentile import MedianPruner, PercentilePruner
from pfnopt.pruners.successive_halving import HyperbandPruner, SuccessiveHalvingPruner
from pfnopt.pruners.threshold import PatientPruner, ThresholdPruner
from pfnopt.pruners.wilcoxon import WilcoxonPruner

__all__ = [
    "BasePruner",
    "CurvePFNPruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
    "WilcoxonPruner",
    "PRUNERS",
    "create_pruner",
    "get_pruner",
]

PRUNERS: dict[str, type[BasePruner]] = {
    "none": NopPruner,
    "median": MedianPruner,
    "percentile": PercentilePruner,
    "asha": SuccessiveHalvingPruner,
    "hyperband": HyperbandPruner,
    "threshold": ThresholdPruner,
    "patient": PatientPruner,
    "curve-pfn": CurvePFNPruner,
    "wilcoxon": WilcoxonPruner,
}
_DEFAULT_KWARGS = {"percentile": {"percentile": 25.0}, "patient": {"wrapped_pruner": None}}


def create_pruner(name: str, **kwargs) -> BasePruner:
    """The pruner called ``name`` built with ``kwargs`` (the class's arguments; see ``PRUNERS``).

    ``percentile`` defaults to 25 and ``patient``'s ``wrapped_pruner`` to None; ``threshold`` needs
    ``lower`` and/or ``upper``, ``patient`` needs ``patience``.
    """
    if not isinstance(name, str) or name not in PRUNERS:
        raise ParameterError(f"unknown pruner {name!r}; allowed: {', '.join(PRUNERS)}")
    cls = PRUNERS[name]
    params = {
        p: spec for p, spec in inspect.signature(cls.__init__).parameters.items()
        if p != "self" and spec.kind not in (spec.VAR_POSITIONAL, spec.VAR_KEYWORD)
    }
    allowed = list(params)
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ParameterError(
            f"pruner {name!r} takes no argument(s) {unknown}; allowed: {', '.join(allowed) or '(none)'}"
        )
    args = {**_DEFAULT_KWARGS.get(name, {}), **kwargs}
    missing = [p for p, spec in params.items() if spec.default is inspect.Parameter.empty and p not in args]
    if missing:
        raise ParameterError(f"pruner {name!r} needs the argument(s) {missing}")
    return cls(**args)


def get_pruner(name: str | BasePruner | None) -> BasePruner:
    """A pruner instance from an instance, a name (see ``create_pruner``; ``"nop"`` = ``"none"``) or None
    (the default, :class:`MedianPruner` as in Optuna)."""
    if isinstance(name, BasePruner):
        return name
    if name is None:
        return MedianPruner()
    if name == "nop":
        name = "none"
    return create_pruner(name)
