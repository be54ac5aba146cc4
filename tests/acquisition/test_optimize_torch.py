"""The torch acquisition optimiser: its snap agrees with the space's numpy rule, its candidates stay on the
device and in the box, and a seeded run repeats itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pfnopt.acquisition import AcqOptions, optimize_acquisition
from pfnopt.acquisition.optimize import SearchBox, score_all
from pfnopt.acquisition.snap import TorchSnap
from pfnopt.space import Categorical, Float, Int, SearchSpace

MIXED = {
    "x": Float(0, 1), "lr": Float(1e-4, 1.0, log=True), "g": Float(0.0, 1.0, step=0.25), "one": Float(2.0, 2.0),
    "n": Int(1, 5), "k": Int(2, 64, log=True), "s": Int(0, 10, step=5), "c": Categorical(["a", "b", "c"]),
    "solo": Categorical(["only"]),
}


@pytest.mark.parametrize("encoding", ["onehot", "ordinal"])
def test_torch_snap_equals_the_space_snap(encoding, dtype, device):
    space = SearchSpace(MIXED, encoding=encoding)
    U = np.random.default_rng(0).uniform(-0.1, 1.1, size=(2000, space.dim))
    want = space.snap(U)
    got = TorchSnap(space)(torch.as_tensor(U, dtype=dtype, device=device))
    assert got.device.type == torch.device(device).type and got.dtype == dtype
    tol = 1e-12 if dtype == torch.float64 else 1e-6
    np.testing.assert_allclose(got.cpu().double().numpy(), want, atol=tol, rtol=0)
    # and every snapped row decodes to the same discrete parameters as the numpy rule's
    discrete = [name for name, d in MIXED.items() if not (isinstance(d, Float) and d.step is None)]
    mine, theirs = space.decode(got.cpu().double().numpy()), space.decode(want)
    assert [[p[k] for k in discrete] for p in mine] == [[p[k] for k in discrete] for p in theirs]


def test_candidates_are_on_the_device_inside_the_box_and_admissible(dtype, device):
    space = SearchSpace(MIXED)
    lo, hi = np.full(space.dim, 0.2), np.full(space.dim, 0.6)
    box = SearchBox(space, dtype=dtype, device=device, bounds=(lo, hi), seed=4)
    centres = box.tensor(space.snap(np.full((2, space.dim), 0.4)))
    U = box.candidates(centres, AcqOptions(n_sobol=128, n_local=128))
    assert U.shape == (256, space.dim) and U.dtype == dtype and U.device.type == torch.device(device).type
    Un = U.cpu().double().numpy()
    np.testing.assert_allclose(space.snap(Un), Un, atol=1e-6)  # already admissible
    cont = ~space.integer_columns()
    assert np.all(Un[:, cont] >= 0.2 - 1e-6) and np.all(Un[:, cont] <= 0.6 + 1e-6)
    # the perturbations stay near their centres on continuous columns (scales up to 0.15 of the box width)
    local = Un[128:, cont]
    assert np.median(np.abs(local - 0.4)) < 0.05


def test_score_all_chunks_and_maps_nan_to_minus_inf(device):
    U = torch.rand(10, 2, device=device)
    values = score_all(lambda X: torch.where(X[:, 0] > 0.5, torch.nan, X.sum(-1)), U, chunk=3)
    assert values.shape == (10,)
    assert torch.equal(torch.isneginf(values), U[:, 0] > 0.5)


def test_a_seeded_run_repeats_and_another_seed_differs(device):
    space = SearchSpace({"x": Float(0, 1), "y": Float(0, 1), "n": Int(1, 9)})
    target = torch.tensor([0.3, 0.8, 0.5])

    def fn(U):
        return -((U - target.to(U)) ** 2).sum(-1)

    def run(seed):
        return optimize_acquisition(fn, space, X_observed=np.zeros((0, 3)), centres=np.full((1, 3), 0.5),
                                    options=AcqOptions(n_sobol=64, n_local=64), rng=np.random.default_rng(seed),
                                    device=device)

    a, b, c = run(5), run(5), run(6)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.value == b.value and not np.array_equal(a.x, c.x)
    assert space.decode(a.x[None])[0]["n"] == 5  # cell centre 0.5 of 9 integers


def test_an_unknown_refine_rule_is_refused():
    from pfnopt.exceptions import PfnoptError

    with pytest.raises(PfnoptError, match="unknown refine rule 'magic'"):
        optimize_acquisition(lambda U: U.sum(-1), SearchSpace({"x": Float(0, 1)}), X_observed=np.zeros((0, 1)),
                             centres=np.zeros((0, 1)), options=AcqOptions(refine="magic"))


def _counting(fn):
    calls = []

    def counted(U):
        calls.append(U.shape[0])
        return fn(U)

    return counted, calls


def test_gradient_refinement_stops_once_no_start_gains_and_keeps_each_starts_best(device):
    """On a smooth bowl the ascent settles and the patience rule ends it before the step budget; without the
    rule every step runs. The returned points hold each start's best iterate next to its last one, so a step
    that overshoots cannot lose the best value seen."""
    from pfnopt.acquisition.optimize import refine_gradient

    space = SearchSpace({"x": Float(0, 1), "y": Float(0, 1)})
    box = SearchBox(space, device=device, seed=0)
    target = torch.tensor([0.31, 0.64], device=device)

    def bowl(U):
        return -((U - target) ** 2).sum(-1) * 100.0

    U0 = torch.tensor([[0.25, 0.60], [0.40, 0.70]], device=device)
    fn, calls = _counting(bowl)
    out = refine_gradient(fn, U0, box, AcqOptions(refine_steps=200, refine_lr=0.02, refine_patience=3,
                                                  refine_tol=1e-3))
    assert out.shape == (4, 2)  # best iterate and last iterate per start
    assert 3 < len(calls) < 200
    assert float(bowl(out).max()) > float(bowl(U0).max()) + 0.1  # it climbed
    assert float(torch.linalg.vector_norm(out[:2] - target, dim=-1).max()) < 0.02

    fn, calls = _counting(bowl)
    refine_gradient(fn, U0, box, AcqOptions(refine_steps=40, refine_patience=0))
    assert len(calls) == 40


def test_gradient_refinement_returns_the_best_iterate_when_a_step_overshoots(device):
    """A large step size makes Adam jump past a narrow peak; the best iterate seen is still returned."""
    from pfnopt.acquisition.optimize import refine_gradient

    space = SearchSpace({"x": Float(0, 1)})
    box = SearchBox(space, device=device, seed=0)

    def peak(U):
        return -((U[:, 0] - 0.5) ** 2) * 1e4

    U0 = torch.tensor([[0.45]], device=device)
    out = refine_gradient(peak, U0, box, AcqOptions(refine_steps=6, refine_lr=0.3, refine_patience=0))
    best, last = float(peak(out[:1])), float(peak(out[1:]))
    assert best >= float(peak(U0)) and best >= last
