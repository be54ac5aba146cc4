"""Reference predictors for the PFN benchmarks: oracle GP, Bayes-optimal (importance sampling), fitted GP.

All return Gaussian or Gaussian-mixture predictive log densities of noisy test observations, in the
units of the data (the same units the PFN's ``Posterior.log_prob`` uses).
"""

from __future__ import annotations

import math
import warnings

import torch

from pfnopt.surrogate.priors.gp import GPPrior, kernel_matrix


def _take(hypers: dict, i) -> dict:
    return {k: v[i] for k, v in hypers.items()}


def gp_predict(x: torch.Tensor, y: torch.Tensor, xt: torch.Tensor, hypers: dict) -> tuple[torch.Tensor, ...]:
    """Exact GP predictive for S hyperparameter sets at once (float64).

    x: n x D, y: n, xt: q x D; hypers: tensors with leading dim S.
    Returns (mean S x q, var S x q (noisy), log marginal likelihood S).
    """
    s = hypers["outputscale"].shape[0]
    xb = x.double().expand(s, -1, -1)
    xtb = xt.double().expand(s, -1, -1)
    h = {k: (v.double() if v.is_floating_point() else v) for k, v in hypers.items()}
    n = x.shape[0]
    noise = h["noise"][:, None, None]
    k = kernel_matrix(xb, xb, h) + (noise + 1e-8 * h["outputscale"][:, None, None]) * torch.eye(n, dtype=torch.float64)
    ks = kernel_matrix(xtb, xb, h)  # S x q x n
    chol, info = torch.linalg.cholesky_ex(k)
    if (info > 0).any():
        k = k + 1e-5 * h["outputscale"][:, None, None] * torch.eye(n, dtype=torch.float64)
        chol = torch.linalg.cholesky(k)
    yy = y.double().expand(s, -1).unsqueeze(-1)  # S x n x 1
    alpha = torch.cholesky_solve(yy, chol)  # S x n x 1
    mean = (ks @ alpha).squeeze(-1)
    v = torch.linalg.solve_triangular(chol, ks.transpose(1, 2), upper=False)  # S x n x q
    var = h["outputscale"][:, None] + h["noise"][:, None] - (v**2).sum(1)
    var = var.clamp_min(1e-10)
    lml = (
        -0.5 * (yy.squeeze(-1) * alpha.squeeze(-1)).sum(-1)
        - torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(-1)
        - 0.5 * n * math.log(2 * math.pi)
    )
    return mean, var, lml


def gauss_logpdf(y: torch.Tensor, mean: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    return -0.5 * (math.log(2 * math.pi) + torch.log(var) + (y - mean) ** 2 / var)


def oracle_logpdf(x, y, xt, yt, hypers_one: dict) -> torch.Tensor:
    """Log predictive density (q) of the GP with the true hyperparameters."""
    h = {k: v[None] for k, v in hypers_one.items()}
    mean, var, _ = gp_predict(x, y, xt, h)
    return gauss_logpdf(yt.double(), mean[0], var[0])


def bayes_logpdf(x, y, xt, yt, d: int, d_max: int, n_samples: int, generator: torch.Generator, prior: GPPrior):
    """Bayes-optimal predictive of the GP prior: hyperparameters integrated out by self-normalised importance
    sampling with the hyperprior as proposal. Returns (log density q, effective sample size)."""
    dd = torch.full((n_samples,), d, dtype=torch.long)
    h = prior.sample_hypers(n_samples, dd, d_max, generator, "cpu")
    logs, lmls = [], []
    for i in range(0, n_samples, 256):
        sl = {k: v[i : i + 256] for k, v in h.items()}
        mean, var, lml = gp_predict(x, y, xt, sl)
        logs.append(gauss_logpdf(yt.double()[None, :], mean, var))
        lmls.append(lml)
    lp = torch.cat(logs)  # S x q
    lml = torch.cat(lmls)  # S
    logw = lml - torch.logsumexp(lml, 0)
    ess = float(1.0 / torch.exp(2 * logw).sum())
    return torch.logsumexp(logw[:, None] + lp, 0), ess


def fitted_gp(x, y, xt):
    """BoTorch SingleTaskGP fitted by maximum likelihood (default priors, Standardize outcome transform).

    x: n x d, y: n (float64), xt: q x d. Returns (mean q, noisy variance q)."""
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms.outcome import Standardize
    from gpytorch.mlls import ExactMarginalLogLikelihood

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SingleTaskGP(x.double(), y.double().unsqueeze(-1), outcome_transform=Standardize(m=1))
        mll = ExactMarginalLogLikelihood(model.likelihood, model)
        try:
            fit_gpytorch_mll(mll)
        except Exception:  # noqa: BLE001 - keep the unfitted defaults, as a user would get
            pass
        model.eval()
        with torch.no_grad():
            post = model.posterior(xt.double(), observation_noise=True)
            return post.mean.squeeze(-1), post.variance.squeeze(-1).clamp_min(1e-10)
