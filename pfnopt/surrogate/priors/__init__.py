"""Priors for pre-training: one interface (``Prior.sample`` -> ``Batch``), a registry by name."""

from __future__ import annotations

from pfnopt.surrogate.priors.bag import PriorBag
from pfnopt.surrogate.priors.base import Batch, Prior
from pfnopt.surrogate.priors.curves import CurvePrior
from pfnopt.surrogate.priors.engineering import PosynomialPrior
from pfnopt.surrogate.priors.gp import GPPrior, GPPriorConfig
from pfnopt.surrogate.priors.nongp import MLPPrior, StepPrior

__all__ = ["Batch", "Prior", "GPPrior", "GPPriorConfig", "MLPPrior", "StepPrior", "PosynomialPrior", "PriorBag", "CurvePrior", "make_prior"]


def make_prior(spec: dict) -> Prior:
    """Build a prior from its JSON record (``Prior.to_dict()``)."""
    spec = dict(spec)
    name = spec.pop("name", None)
    if name == "gp":
        spec = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}  # JSON lists -> tuples
        return GPPrior(GPPriorConfig(**spec))
    if name == "posynomial":
        return PosynomialPrior(**spec)
    if name == "mlp":
        return MLPPrior(**spec)
    if name == "steps":
        return StepPrior(**{k: v for k, v in spec.items()})
    if name == "curves":
        return CurvePrior(**spec)
    if name == "bag":
        return PriorBag([make_prior(c) for c in spec["components"]], spec["weights"])
    raise ValueError(f"prior name={name!r} is not known; allowed: 'gp', 'mlp', 'steps', 'posynomial', 'bag', 'curves'")
