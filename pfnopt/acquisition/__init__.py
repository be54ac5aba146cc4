"""Acquisition: scores from a predictive posterior (EI family, CEI, CEI+, penalty) and their
maximisation over a mixed search space.

The names are imported lazily: ``pfnopt.acquisition.choices`` (the option check) is torch-free, the
scoring and the optimiser load torch when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

from pfnopt.acquisition.choices import ACQUISITIONS, METHODS, check_combination

_LAZY = {
    "Acquisition": "pfnopt.acquisition.analytic",
    "LogCEI": "pfnopt.acquisition.analytic",
    "LogCEIPlus": "pfnopt.acquisition.analytic",
    "LogEI": "pfnopt.acquisition.analytic",
    "LogPI": "pfnopt.acquisition.analytic",
    "LogPoF": "pfnopt.acquisition.analytic",
    "UCB": "pfnopt.acquisition.analytic",
    "build_acquisition": "pfnopt.acquisition.analytic",
    "score": "pfnopt.acquisition.constrained",
    "AcqOptions": "pfnopt.acquisition.optimize",
    "AcqResult": "pfnopt.acquisition.optimize",
    "optimize_acquisition": "pfnopt.acquisition.optimize",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pfnopt.acquisition' has no attribute {name!r}")


__all__ = ["ACQUISITIONS", "METHODS", "check_combination", *_LAZY]
