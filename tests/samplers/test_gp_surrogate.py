"""FittedGP behind the PFN sampler's surrogate seam (``PFNSampler(model=...)``), with real BoTorch fits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pfnopt
from pfnopt.acquisition import AcqOptions
from pfnopt.exceptions import NotSupportedError, ParameterError
from pfnopt.samplers.gp_surrogate import FittedGP
from pfnopt.samplers.pfn import PFNSampler
from pfnopt.surrogate.pfn import Frame

FAST = AcqOptions(n_sobol=128, n_local=128, refine_per_round=16)


def data(n=12, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    Y = np.column_stack([np.sin(6 * X[:, 0]) + X[:, 1] ** 2, X.sum(1) - 1.0])  # n x 2: objective, constraint
    return X, Y


def test_noiseless_context_is_interpolated_and_shapes_are_q_by_m():
    X, Y = data()
    ctx = FittedGP().condition(X, Y)
    post = ctx.posterior(X)
    assert tuple(post.mean.shape) == (12, 2) and tuple(post.variance.shape) == (12, 2)
    scale = Y.std(0)
    assert np.all(np.abs(post.mean.numpy() - Y) < 0.05 * scale)  # a deterministic function: near-interpolation
    far = ctx.posterior(np.array([[0.5, 0.5]]) + 0.0)
    assert float(post.stddev.max()) < float(FittedGP().condition(X[:3], Y[:3]).posterior(X[3:]).stddev.max())
    assert far.cdf(0.0).shape == (1, 2)


def test_posterior_unchecked_is_differentiable_in_the_callers_dtype():
    X, Y = data()
    ctx = FittedGP().condition(X, Y)
    U = torch.rand(5, 2, dtype=torch.float32, requires_grad=True)
    post = ctx.posterior_unchecked(U)
    assert post.mean.dtype == torch.float32 and tuple(post.mean.shape) == (5, 2)
    post.log_ei(float(Y[:, 0].min()))[:, 0].sum().backward()
    assert U.grad is not None and torch.isfinite(U.grad).all() and U.grad.abs().sum() > 0


def test_frame_reads_the_context_in_the_box_coordinates():
    X, Y = data(seed=1)
    X = 0.25 + 0.5 * X  # all inside the box [0.25, 0.75]^2
    frame = Frame(np.full(2, 0.25), np.full(2, 0.75))
    boxed = FittedGP().condition(X, Y, frame=frame)
    plain = FittedGP().condition((X - 0.25) / 0.5, Y)
    Q = 0.25 + 0.5 * np.random.default_rng(2).random((7, 2))
    assert np.allclose(boxed.posterior(Q).mean.numpy(), plain.posterior((Q - 0.25) / 0.5).mean.numpy(), atol=1e-6)


def test_bad_input_is_refused_with_the_offending_value():
    X, Y = data()
    with pytest.raises(ParameterError, match="d_max must be a positive integer, got 0"):
        FittedGP(d_max=0)
    with pytest.raises(ParameterError, match="same n"):
        FittedGP().condition(X, Y[:5])
    Y_bad = Y.copy()
    Y_bad[3, 1] = np.nan
    with pytest.raises(ParameterError, match="finite"):
        FittedGP().condition(X, Y_bad)
    with pytest.raises(ParameterError, match=r"\.\.\. x q x 2"):
        FittedGP().condition(X, Y).posterior(np.zeros((4, 3)))


def test_sampler_seam_refusals():
    with pytest.raises(ParameterError, match="not both"):
        PFNSampler(model=FittedGP(), checkpoint="pfnopt/surrogate/checkpoints/v2")
    with pytest.raises(ParameterError, match="is not a surrogate"):
        PFNSampler(model=object())
    with pytest.raises(NotSupportedError, match="device='cuda'"):
        PFNSampler(model=FittedGP(), device="cuda")


def disk(trial):
    x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
    trial.set_constraints([(x - 0.7) ** 2 + (y - 0.3) ** 2 - 0.25**2])
    return x + y


def test_pfn_rule_runs_on_the_gp_and_is_reproducible():
    def run():
        study = pfnopt.create_study(sampler=PFNSampler(seed=3, n_startup=6, options=FAST, model=FittedGP()))
        study.optimize(disk, n_trials=14)
        return study

    a, b = run(), run()
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    model_based = a.trials[6:]
    assert all("sampler:acq_value" in t.system_attrs and "sampler:prob_feasible" in t.system_attrs for t in model_based)
    feasible = [t.value for t in a.trials if t.constraints[0] <= 0]
    # the constrained minimum of x + y on the disk is 1 - 0.25 * sqrt(2) = 0.646; a start-up design alone is far off
    assert feasible and min(feasible) < 0.8
