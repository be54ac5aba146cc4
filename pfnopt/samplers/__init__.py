"""Samplers: where the next trial's parameters come from.

``get_sampler(name, seed)`` builds one by name (as in ``--sampler NAME``). Heavy samplers (PFN,
BoTorch GP baselines, Optuna's) are imported only when asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from pfnopt.exceptions import ParameterError
from pfnopt.samplers.base import BaseSampler
from pfnopt.samplers.base import BaseSampler as _ContractBase
from pfnopt.samplers.simple import RandomSampler, SobolSampler

# name -> ("module:Class", fixed keyword arguments)
_REGISTRY: dict[str, tuple[str, dict[str, Any]]] = {
    "random": ("pfnopt.samplers.simple:RandomSampler", {}),
    "sobol": ("pfnopt.samplers.simple:SobolSampler", {}),
    # the PFN sampler, pfnopt's default (pfnopt/samplers/pfn.py)
    "pfn": ("pfnopt.samplers.pfn:PFNSampler", {}),
    "pfn-cei": ("pfnopt.samplers.pfn:PFNSampler", {"constraints": "cei"}),
    "pfn-cei+": ("pfnopt.samplers.pfn:PFNSampler", {"constraints": "cei+"}),
    "pfn-penalty": ("pfnopt.samplers.pfn:PFNSampler", {"constraints": "penalty"}),
    # BoTorch / GPyTorch baselines (pfnopt/samplers/gp.py)
    "gp-ei": ("pfnopt.samplers.gp:GPSampler", {"method": "ei"}),
    "gp-cei": ("pfnopt.samplers.gp:GPSampler", {"method": "cei"}),
    "gp-penalty": ("pfnopt.samplers.gp:GPSampler", {"method": "penalty"}),
    # Optuna's samplers through its own API (the `optuna` extra; pfnopt/samplers/optuna_samplers.py)
    "optuna-tpe": ("pfnopt.samplers.optuna_samplers:OptunaSampler", {"kind": "tpe"}),
    "tpe": ("pfnopt.samplers.optuna_samplers:OptunaSampler", {"kind": "tpe"}),
    "optuna-gp": ("pfnopt.samplers.optuna_samplers:OptunaSampler", {"kind": "gp"}),
    "nsga2": ("pfnopt.samplers.optuna_samplers:OptunaSampler", {"kind": "nsga2", "population_size": 10}),
    # multi-objective PFN variants and the BoTorch qLogNEHVI baseline (pfnopt/samplers/gp_mo.py)
    "pfn-ehvi": ("pfnopt.samplers.pfn:PFNSampler", {"mo_acquisition": "ehvi"}),
    "pfn-parego": ("pfnopt.samplers.pfn:PFNSampler", {"mo_acquisition": "parego"}),
    "gp-ehvi": ("pfnopt.samplers.gp_mo:GPEHVISampler", {}),
}


def register_sampler(name: str, target: str, **kwargs: Any) -> None:
    """Make ``get_sampler(name)`` build ``target`` ("module:Class") with ``kwargs``."""
    _REGISTRY[name] = (target, kwargs)


def sampler_names() -> list[str]:
    return sorted(_REGISTRY)


def get_sampler(name: str | BaseSampler | None, seed: int | None = None, **kwargs: Any) -> BaseSampler:
    """A sampler by name (``random``, ``sobol``, ...); a BaseSampler instance is returned as is."""
    if isinstance(name, _ContractBase):  # pfnopt's base (BaseSampler below is Optuna-contract aware)
        return name
    if name is None:
        name = default_sampler_name()
    if name not in _REGISTRY:
        raise ParameterError(f"unknown sampler {name!r}; allowed: {', '.join(sampler_names())}")
    target, fixed = _REGISTRY[name]
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)(seed=seed, **{**fixed, **kwargs})


def default_sampler_name() -> str:
    return "pfn" if "pfn" in _REGISTRY else "sobol"


__all__ = ["BaseSampler", "RandomSampler", "SobolSampler", "get_sampler", "register_sampler", "sampler_names"]

# Optuna's sampler names (pfnopt/samplers/compat.py); BaseSampler becomes the base that also takes
# Optuna's infer_relative_search_space / sample_relative / sample_independent contract.
from pfnopt.samplers.compat import (  # noqa: E402
    BaseSampler,  # noqa: F811  (the base that also takes Optuna's contract)
    BruteForceSampler,
    CmaEsSampler,
    GPSampler,
    GridSampler,
    NSGAIIISampler,
    NSGAIISampler,
    OptunaSamplerAdapter,
    PartialFixedSampler,
    QMCSampler,
    RandomSampler,  # noqa: F811  (pfnopt's, with Optuna's sample_independent)
    TPESampler,
)

__all__ += ["BruteForceSampler", "CmaEsSampler", "GPSampler", "GridSampler", "NSGAIIISampler", "NSGAIISampler",
            "OptunaSamplerAdapter", "PartialFixedSampler", "QMCSampler", "TPESampler"]
