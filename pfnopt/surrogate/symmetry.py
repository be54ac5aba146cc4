"""Test-time ensembling over the symmetries of the prior's inputs.

The GP prior the PFN is trained on is invariant under permuting the input columns (the lengthscale of each
column is drawn independently from the same hyperprior) and under reflecting any column, ``x_j -> 1 - x_j``
(the kernels are stationary, the designs symmetric; only the Kumaraswamy-warped share is not exactly
reflection-invariant). The Bayes-optimal predictor is therefore (nearly) invariant too, while a trained
network is only approximately so. Averaging the network's predictive distributions over ``k`` such
transforms of (context, candidates) has, by Jensen's inequality, an expected log loss no worse than the
average member's, which by the symmetry equals the single model's. TabPFN ensembles over feature orders for
the same reason. ``benchmarks/pfn/ensemble.py`` measures the gain; it costs ``k`` forward passes.

A mixture of bar distributions on the same borders is a bar distribution: its bucket masses are the mean of
the members' masses, so the ensemble is returned as ordinary logits (``log mean softmax``) and every
statistic of ``Posterior`` stays exact.

Shapes: ``k`` members, ``d`` inputs; member 0 is always the identity.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from pfnopt.surrogate.errors import InputValueError


def input_symmetries(d: int, k: int, seed: int = 0) -> tuple[Tensor, Tensor]:
    """``k`` transforms of ``d`` inputs: ``perms`` (``k x d`` long, column orders) and ``flips`` (``k x d``
    bool, reflected columns). Member 0 is the identity; the others are drawn with a fixed ``seed`` so that
    the same call always gives the same ensemble."""
    if k < 1:
        raise InputValueError(f"an ensemble needs k >= 1 members, got {k}")
    g = torch.Generator().manual_seed(seed)
    perms = torch.stack([torch.arange(d)] + [torch.randperm(d, generator=g) for _ in range(k - 1)])
    flips = torch.rand((k, d), generator=g) < 0.5
    flips[0] = False
    return perms, flips


def transform_inputs(x: Tensor, perms: Tensor, flips: Tensor) -> Tensor:
    """Apply each member's transform to ``x`` (``n x d``): returns ``k x n x d``."""
    flipped = torch.where(flips.to(x.device)[:, None, :], 1.0 - x[None], x[None])  # k x n x d (original order)
    index = perms.to(x.device)[:, None, :].expand(-1, x.shape[0], -1)
    return torch.gather(flipped, 2, index)


def mixture_logits(logits: Tensor) -> Tensor:
    """``k x ... x K`` member logits -> ``... x K`` logits of their equal-weight mixture."""
    k = logits.shape[0]
    return torch.logsumexp(torch.log_softmax(logits.float(), dim=-1), dim=0) - math.log(k)
