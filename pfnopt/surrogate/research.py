"""Research variants of the PFN's context encoding, kept out of the inference core (:mod:`pfnopt.surrogate.pfn`).

Two options were measured by the benchmarks and not adopted by any sampler:

* ``y_transform="power"``: standardise each output, apply a Yeo-Johnson transform fitted per output by maximum
  likelihood, standardise again; the posterior's bars are mapped back through the inverse, so an output with
  heavy tails or a huge range is modelled on a compressed scale (``benchmarks/pfn/out_of_prior.py``,
  ``benchmarks/pfn/engineering_fidelity.py``);
* ``ensemble=k``: a test-time mixture over ``k`` input permutations and reflections
  (:mod:`pfnopt.surrogate.symmetry`, ``benchmarks/pfn/ensemble.py``), at ``k`` times the cost.

Both reuse the core's validation and normalisation (:meth:`PFN.prepare`), its encoding (:meth:`PFN.encode`) and
its :class:`~pfnopt.surrogate.pfn.Context`, overriding only how logits are produced and read::

    from pfnopt.surrogate import research
    ctx = research.condition(pfn, X_ctx, Y_ctx, y_transform="power", ensemble=4)
    post = ctx.posterior(X_new)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from pfnopt.surrogate.errors import InputValueError
from pfnopt.surrogate.model import standardize
from pfnopt.surrogate.pfn import PFN, Context, Frame
from pfnopt.surrogate.posterior import Posterior
from pfnopt.surrogate.symmetry import input_symmetries, mixture_logits, transform_inputs

Y_TRANSFORMS = ("standardize", "power")
LAMBDA_RANGE = (0.05, 1.95)  # Yeo-Johnson exponents for which the transform is a bijection of R


def yeo_johnson(z: Tensor, lam: Tensor) -> Tensor:
    """Yeo-Johnson transform, ``lam`` (``m``) broadcast over the last dim of ``z`` (``... x m``), 0 < lam < 2."""
    pos = z >= 0
    zp, zn = z.clamp_min(0.0), z.clamp_max(0.0)
    a = ((zp + 1.0) ** lam - 1.0) / lam
    b = -((1.0 - zn) ** (2.0 - lam) - 1.0) / (2.0 - lam)
    return torch.where(pos, a, b)


def yeo_johnson_inverse(t: Tensor, lam: Tensor) -> Tensor:
    """Inverse of ``yeo_johnson`` (same broadcasting)."""
    pos = t >= 0
    tp, tn = t.clamp_min(0.0), t.clamp_max(0.0)
    a = (lam * tp + 1.0) ** (1.0 / lam) - 1.0
    b = 1.0 - (1.0 - (2.0 - lam) * tn) ** (1.0 / (2.0 - lam))
    return torch.where(pos, a, b)


def fit_yeo_johnson(z: Tensor) -> Tensor:
    """Maximum-likelihood Yeo-Johnson exponent per column of standardised ``z`` (``n x m``), clipped to
    ``LAMBDA_RANGE``; 1 (the identity) for columns with fewer than 3 distinct values."""
    from scipy.stats import yeojohnson_normmax

    lams = []
    for j in range(z.shape[1]):
        col = z[:, j].cpu().numpy()
        if len(set(col.round(12).tolist())) < 3:
            lams.append(1.0)
            continue
        try:
            lam = float(yeojohnson_normmax(col))
        except (ValueError, RuntimeError, FloatingPointError):
            lam = 1.0
        lams.append(min(max(lam, LAMBDA_RANGE[0]), LAMBDA_RANGE[1]))
    return torch.tensor(lams, dtype=torch.float64)


class ResearchContext(Context):
    """A :class:`Context` whose logits are a symmetry-ensemble mixture (``members``) and / or whose bars are
    per-output borders already in user units (``user_borders``, ``m x K+1``, from the power transform)."""

    def __init__(self, *args: Any, members: tuple[Tensor, Tensor] | None = None,
                 user_borders: Tensor | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.members = members  # (perms, flips): the cache then holds k * m contexts, member-major
        self.user_borders = user_borders

    def extend(self, X_add, Y_add) -> Context:
        raise InputValueError("a research context (power transform or ensemble) cannot be extended; condition "
                              "again on the union with pfnopt.surrogate.research.condition")

    def _logits(self, chunk: Tensor, d_t: Tensor) -> Tensor:
        if self.members is None:
            return super()._logits(chunk, d_t)
        xk = transform_inputs(chunk, *self.members).repeat_interleave(self.m, dim=0)  # k*m x c x d
        logits = self.pfn.model.predict(self.cache, xk, d_t)  # k*m x c x K
        k = self.members[0].shape[0]
        return mixture_logits(logits.view(k, self.m, *logits.shape[1:]))  # m x c x K

    def _bars(self) -> tuple[Tensor, Any, Any]:
        if self.user_borders is None:
            return super()._bars()
        one = torch.ones(self.m, dtype=torch.float64)
        return self.user_borders, 0.0 * one, one


def condition(pfn: PFN, X_ctx, Y_ctx, *, y_transform: str = "standardize", ensemble: int = 1, best_column: int = 0,
              trend: str | None = None, frame: Frame | None = None) -> Context:
    """``pfn.condition`` with the research options (see the module docstring); the other arguments are
    :meth:`PFN.condition`'s. ``y_transform="standardize"`` with ``ensemble=1`` is the plain context."""
    if y_transform not in Y_TRANSFORMS:
        raise InputValueError(f"y_transform={y_transform!r} is not allowed; allowed: {Y_TRANSFORMS}")
    if isinstance(ensemble, bool) or not isinstance(ensemble, int) or ensemble < 1:
        raise InputValueError(f"ensemble={ensemble!r} must be an integer >= 1 (members of the ensemble)")
    prep = pfn.prepare(X_ctx, Y_ctx, best_column=best_column, trend=trend, frame=frame)
    user_borders = None
    if y_transform == "power":
        z0 = ((prep.y - prep.loc) / prep.scale).t()  # n x m
        lam = fit_yeo_johnson(z0)  # m
        t = yeo_johnson(z0, lam).t()  # m x n
        loc1, scale1 = standardize(t)
        b = pfn.model.borders.double().cpu()  # K + 1
        tb = loc1 + scale1 * b[None, :]  # m x K+1, transformed units
        user_borders = prep.loc + prep.scale * yeo_johnson_inverse(tb.t(), lam).t()  # m x K+1
        yn = ((t - loc1) / scale1).float()
    else:
        yn = prep.standardized()
    x = prep.x.unsqueeze(0)  # 1 x n x d
    members = None
    if ensemble > 1:
        members = input_symmetries(prep.d, ensemble)
        m = yn.shape[0]
        x = transform_inputs(prep.x.float(), *members).repeat_interleave(m, dim=0)  # k*m x n x d
        yn = yn.repeat(ensemble, 1)  # k*m x n, member-major like x
    cache = pfn.encode(x, yn, prep.d)
    return ResearchContext(pfn, cache, prep.loc.squeeze(-1), prep.scale.squeeze(-1), prep.d, prep.indices,
                           prep.plane, frame, members=members, user_borders=user_borders)


def posterior(pfn: PFN, X_ctx, Y_ctx, X_new, **options: Any) -> Posterior:
    """``pfn.posterior`` with the research options of :func:`condition`."""
    return condition(pfn, X_ctx, Y_ctx, **options).posterior(X_new)
