"""The PFN surrogate: a pre-trained transformer that returns posterior predictive distributions in one pass.

    from pfnopt.surrogate import load_pfn
    pfn = load_pfn()
    post = pfn.posterior(X_ctx, Y_ctx, X_new)   # n x d, n x m, q x d  ->  q x m statistics
    post.mean, post.variance, post.cdf(0.0), post.log_ei(best)

Sits at the bottom of pfnopt's dependency graph: imports nothing else from pfnopt. See README.md here.
"""

from __future__ import annotations

from pfnopt.surrogate.errors import (
    CheckpointError,
    InputShapeError,
    InputTypeError,
    InputValueError,
    SurrogateError,
)
from pfnopt.surrogate.pfn import PFN, Context, load_pfn
from pfnopt.surrogate.posterior import Posterior

__all__ = [
    "PFN",
    "Context",
    "Posterior",
    "load_pfn",
    "CheckpointError",
    "InputShapeError",
    "InputTypeError",
    "InputValueError",
    "SurrogateError",
]
