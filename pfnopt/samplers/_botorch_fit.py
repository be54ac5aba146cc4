"""BoTorch plumbing of the GP baselines: fit the GPs, build the acquisition, optimise it.

Kept apart from :mod:`pfnopt.samplers.gp` (which decides *what* to model and *which*
acquisition to use) so that the benchmark script of ``benchmarks/baselines/`` can time the very
same code. Every tensor is float64 on the CPU. Shapes: ``n`` observations, ``d`` unit-cube
columns, ``k`` model outputs (objective first, then constraints), ``b`` candidates, ``r``
pending points.

The model follows BoTorch's current recommendation: ``SingleTaskGP`` (its default kernel and
dimension-scaled priors), ``Normalize`` on the inputs with the bounds of the search space (the
unit cube, so the priors mean what they were calibrated for), ``Standardize`` on the outputs,
and ``fit_gpytorch_mll`` for the MAP hyperparameters.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator

import torch
from torch import Tensor

from pfnopt.exceptions import ParameterError

DTYPE = torch.float64
N_MC = 256  # QMC samples of the MC acquisitions used when points are pending (BoTorch's usual size)


@contextlib.contextmanager
def blas_single_thread() -> Iterator[None]:
    """Pin numpy/scipy's BLAS to one thread while the GP step runs (``threadpoolctl``).

    The fit (scipy's batched L-BFGS-B) and the acquisition optimisation do many tiny BLAS calls;
    with a multi-threaded OpenBLAS they ran 2-6x slower here (``benchmarks/baselines/README.md``),
    the same effect as running without ``OPENBLAS_NUM_THREADS=1``. Torch's own threads are left
    alone. A no-op when threadpoolctl (a scikit-learn dependency) is missing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def unit_bounds(d: int) -> Tensor:
    """``2 x d`` bounds of the unit cube."""
    return torch.stack([torch.zeros(d, dtype=DTYPE), torch.ones(d, dtype=DTYPE)])


def _single_task_gp(X: Tensor, Y: Tensor):
    from botorch.models import SingleTaskGP
    from botorch.models.transforms.input import Normalize
    from botorch.models.transforms.outcome import Standardize

    d, k = X.shape[-1], Y.shape[-1]
    return SingleTaskGP(X, Y, input_transform=Normalize(d=d, bounds=unit_bounds(d)), outcome_transform=Standardize(m=k))


def fit_model(X: Tensor, Y: Tensor, layout: str = "batched"):
    """GPs over the ``k`` columns of ``Y`` (``n x k``) at ``X`` (``n x d``), fitted by MAP.

    ``layout="batched"``: one multi-output ``SingleTaskGP`` (independent outputs as a batch of
    GPs; BoTorch fits the batch elements independently in one batched L-BFGS-B).
    ``layout="list"``: a ``ModelListGP`` of ``k`` single-output GPs, fitted one after another.
    Both are the same statistical model; ``benchmarks/baselines/fit_layout.py`` times them.
    Returns ``(model, fitted)``: ``fitted`` is False when every fit attempt failed and the model
    kept its prior-mode hyperparameters (BoTorch's ``ModelFittingError``).
    """
    from botorch.exceptions.errors import ModelFittingError
    from botorch.exceptions.warnings import InputDataWarning
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import ModelListGP
    from gpytorch.mlls import ExactMarginalLogLikelihood, SumMarginalLogLikelihood

    if layout not in ("batched", "list"):
        raise ParameterError(f"layout must be 'batched' or 'list', got {layout!r}")
    with warnings.catch_warnings():
        # a constant output (e.g. a constraint that is 0 everywhere so far): Standardize copes with it
        warnings.simplefilter("ignore", InputDataWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's L-BFGS-B line-search chatter
        if layout == "list" and Y.shape[-1] > 1:
            model = ModelListGP(*[_single_task_gp(X, Y[:, i : i + 1]) for i in range(Y.shape[-1])])
            mll = SumMarginalLogLikelihood(model.likelihood, model)
        else:
            model = _single_task_gp(X, Y)
            mll = ExactMarginalLogLikelihood(model.likelihood, model)
        try:
            fit_gpytorch_mll(mll)
            fitted = True
        except ModelFittingError:
            fitted = False
    model.eval()
    return model, fitted


def _output(i: int) -> Callable[..., Tensor]:
    """``samples (... x q x k) -> ... x q``: column ``i`` of the MC samples."""
    return lambda Z, X=None: Z[..., i]


def build_acquisition(
    model,
    kind: str,
    best_f: float | None,
    n_constraints: int,
    X_pending: Tensor | None,
    seed: int | None,
):
    """The acquisition (to maximise) for outputs ``[objective, c_1..c_m]`` in maximisation form.

    ``kind``: ``"logei"`` (a single-output model), ``"logcei"`` (log-EI over the best feasible
    ``best_f`` plus the log probability that every constraint output is <= 0) or ``"logpof"``
    (log probability of feasibility alone, while nothing is feasible). Without pending points
    the analytic forms are used (exact, no MC noise, the fastest); with pending points (``r x d``)
    the MC forms, which condition on them jointly (``X_pending``), with seeded QMC samples.
    """
    from botorch.acquisition import analytic, logei
    from botorch.acquisition.objective import GenericMCObjective
    from botorch.sampling import SobolQMCNormalSampler

    cons_analytic = {1 + i: (None, 0.0) for i in range(n_constraints)}
    cons_mc = [_output(1 + i) for i in range(n_constraints)]
    if X_pending is None or X_pending.shape[0] == 0:
        if kind == "logei":  # a single-output model
            return analytic.LogExpectedImprovement(model, best_f, maximize=True)
        if kind == "logcei":
            return analytic.LogConstrainedExpectedImprovement(model, best_f, 0, cons_analytic, maximize=True)
        if kind == "logpof":
            return analytic.LogProbabilityOfFeasibility(model, cons_analytic)
        raise ParameterError(f"unknown acquisition kind {kind!r}")
    sampler = SobolQMCNormalSampler(sample_shape=torch.Size([N_MC]), seed=seed)
    objective = GenericMCObjective(_output(0)) if model.num_outputs > 1 else None
    if kind == "logei":
        return logei.qLogExpectedImprovement(model, best_f, sampler, objective=objective, X_pending=X_pending)
    if kind == "logcei":
        return logei.qLogExpectedImprovement(
            model, best_f, sampler, objective=objective, X_pending=X_pending, constraints=cons_mc
        )
    if kind == "logpof":
        return logei.qLogProbabilityOfFeasibility(model, cons_mc, sampler, X_pending=X_pending)
    raise ParameterError(f"unknown acquisition kind {kind!r}")


def optimise(acq, d: int, num_restarts: int, raw_samples: int, seed: int | None) -> tuple[Tensor, Tensor]:
    """Multi-start L-BFGS-B over the unit cube with ``optimize_acqf`` (q = 1).

    Returns every restart's end point, best first: ``candidates`` (``num_restarts x d``) and their
    acquisition values (``num_restarts``), so the caller can skip a point that decodes to a
    duplicate.
    """
    from botorch.optim import optimize_acqf

    options = {"seed": seed} if seed is not None else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        X, values = optimize_acqf(
            acq,
            bounds=unit_bounds(d),
            q=1,
            num_restarts=num_restarts,
            raw_samples=raw_samples,
            options=options,
            return_best_only=False,
        )
    X, values = X.reshape(-1, d).detach(), values.reshape(-1).detach()
    order = torch.argsort(values, descending=True)
    return X[order], values[order]


@torch.no_grad()
def evaluate(acq, X: Tensor, batch: int = 512) -> Tensor:
    """Acquisition values (``b``) at ``X`` (``b x d``), evaluated in chunks."""
    return torch.cat([acq(X[i : i + batch].unsqueeze(-2)) for i in range(0, X.shape[0], batch)])


@torch.no_grad()
def prob_feasible(model, X: Tensor, n_constraints: int) -> float:
    """Posterior probability that every constraint output is <= 0 at one point ``X`` (``1 x d``)."""
    if n_constraints == 0:
        return 1.0
    post = model.posterior(X.unsqueeze(0))  # 1 x 1 x k
    mean = post.mean.reshape(-1)[1:]
    sd = post.variance.reshape(-1)[1:].clamp_min(1e-12).sqrt()
    return float(torch.distributions.Normal(0.0, 1.0).cdf(-mean / sd).prod())
