"""Nearest-context features (``PFNConfig.nn_features``, ``model.NeighbourEncoder``) and the prior option that
places targets next to context points (``priors.base.place_near_context``)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from pfnopt.surrogate.checkpoint import load_checkpoint, read_config, validate_model_config
from pfnopt.surrogate.errors import CheckpointError
from pfnopt.surrogate.model import NeighbourEncoder, PFNConfig, PFNTransformer, state_shapes
from pfnopt.surrogate.pfn import DEFAULT_CHECKPOINT
from pfnopt.surrogate.presets import PRIOR_V2, preset
from pfnopt.surrogate.priors import GPPrior, MLPPrior, PosynomialPrior, StepPrior, make_prior
from pfnopt.surrogate.priors.base import place_near_context
from pfnopt.surrogate.train import exact_batch, train, warm_start

CFG = PFNConfig(d_max=4, n_max=32, emsize=32, n_layer=2, n_head=2, n_buckets=32, decoder_hidden=32, nn_features=3)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _context(b: int, n: int, q: int, d: int, seed: int = 0):
    g = _gen(seed)
    x = torch.rand(b, n + q, CFG.d_max, generator=g)
    x[..., d:] = 0.0
    return x, torch.randn(b, n, generator=g), torch.full((b,), d)


def test_features_by_hand():
    """Two context points in d = 2: a target on the first reads (y0, g = 0) then (y1, g of its distance), and
    a missing third neighbour reads (0, 1); columns beyond d are ignored."""
    enc = NeighbourEncoder(CFG)
    seen = {}
    enc.lin1.register_forward_hook(lambda m, inp, out: seen.update(f=inp[0].detach()))
    x_ctx = torch.tensor([[[0.2, 0.4, 0.9, 0.0], [0.5, 0.8, 0.1, 0.0]]])  # column 2 is beyond d
    y_ctx = torch.tensor([[1.5, -0.7]])
    x_tgt = torch.tensor([[[0.2, 0.4, 0.0, 0.0]]])
    enc(x_tgt, x_ctx, y_ctx, torch.tensor([2]))
    f = seen["f"][0, 0]
    rho = math.sqrt((0.3**2 + 0.4**2) / 2)
    g0 = 1 + math.log(1e-5 + 1e-5) / math.log(1e5)  # rho = sqrt(1e-10) at the point itself
    g1 = 1 + math.log(rho + 1e-5) / math.log(1e5)
    torch.testing.assert_close(f, torch.tensor([1.5, g0, -0.7, g1, 0.0, 1.0]), atol=1e-5, rtol=0)
    assert abs(g0) < 0.07  # "at a context point" reads ~0, "far" ~1


def test_state_shapes_and_config_range():
    with torch.device("meta"):
        built = {k: tuple(v.shape) for k, v in PFNTransformer(CFG).state_dict().items()}
    assert state_shapes(CFG) == built and built["neighbours.lin1.weight"] == (32, 6)
    assert validate_model_config(CFG.to_dict()).nn_features == 3
    with pytest.raises(CheckpointError, match=r"nn_features=-1 is outside \[0, 64\]"):
        validate_model_config({**CFG.to_dict(), "nn_features": -1})
    # a model without the features keeps the record it had before the option existed
    old = read_config(DEFAULT_CHECKPOINT)["model"]
    assert "nn_features" not in old and validate_model_config(old).to_dict() == old


def test_predict_from_the_cache_equals_forward(perturbed_model):
    """encode_context + predict (the inference path) equals the training forward with neighbour features on,
    for a shared target set (``b' = 1``) and for per-data-set targets, and with fewer context points than k."""
    model = perturbed_model(CFG)
    for n in (9, 2):
        x, y_ctx, d = _context(3, n, 5, 3, seed=n)
        with torch.no_grad():
            full = model(x, y_ctx, d)
            cache = model.encode_context(x[:, :n], y_ctx, d)
            torch.testing.assert_close(model.predict(cache, x[:, n:], d), full, atol=1e-5, rtol=1e-5)
            shared = x[:1, n:]
            ref = model(torch.cat([x[:, :n], shared.expand(3, -1, -1)], 1), y_ctx, d)
            torch.testing.assert_close(model.predict(cache, shared, d), ref, atol=1e-5, rtol=1e-5)


def test_the_features_change_the_prediction_and_extend_context_keeps_them(perturbed_model):
    model = perturbed_model(CFG)
    plain = perturbed_model(replace(CFG, nn_features=0))
    x, y_ctx, d = _context(2, 8, 4, 3, seed=3)
    with torch.no_grad():
        assert not torch.allclose(model(x, y_ctx, d), plain(x, y_ctx, d), atol=1e-3)
        cache = model.encode_context(x[:, :6], y_ctx[:, :6], d)
        ext = model.extend_context(cache, x[:, 6:8], y_ctx[:, 6:8], d)
        assert torch.equal(ext.x, x[:, :8]) and torch.equal(ext.y, y_ctx) and ext.n == 8
        # the targets' neighbour features read the appended points: a target on an appended point equals
        # a target on the same point of a context encoded with it (the keys differ, so compare the features)
        tgt = x[:, 7:8]
        f_ext = model.neighbours(tgt, ext.x, ext.y, d)
        f_ref = model.neighbours(tgt, x[:, :8], y_ctx, d)
        assert torch.equal(f_ext, f_ref)
        assert not torch.allclose(f_ext, model.neighbours(tgt, cache.x, cache.y, d))


def test_gradient_is_finite_at_a_context_point(perturbed_model):
    model = perturbed_model(CFG)
    x, y_ctx, d = _context(1, 6, 1, 3, seed=4)
    cache = model.encode_context(x[:, :6], y_ctx, d)
    x_new = x[:, 2:3].clone().requires_grad_(True)  # exactly on context point 2
    model.predict(cache, x_new, d).logsumexp(-1).sum().backward()
    assert torch.isfinite(x_new.grad).all()


def test_warm_start_adds_the_encoder_exactly_and_it_trains(tmp_path):
    plain_cfg = replace(CFG, nn_features=0)
    base = replace(preset("tiny"), model=plain_cfg, prior=PRIOR_V2, val_prior=PRIOR_V2, steps=4, eval_every=4,
                   exact_targets=True)
    train(base, tmp_path / "src")
    src, _ = load_checkpoint(tmp_path / "src" / "best")
    warm = replace(base, model=CFG, init_from=str(tmp_path / "src" / "best"),
                   prior={**PRIOR_V2, "components": [c | {"p_near_context": 0.5} for c in PRIOR_V2["components"]]})
    model = PFNTransformer(CFG)
    warm_start(model, warm, "cpu")
    assert model.neighbours.lin2.weight.abs().max() == 0 and model.neighbours.lin1.weight.abs().max() > 0
    x, y_ctx, _, d, _, _ = exact_batch(make_prior(PRIOR_V2), 4, 8, 5, 4, _gen(5), "cpu")
    with torch.no_grad():
        torch.testing.assert_close(model(x, y_ctx, d), src(x, y_ctx, d), atol=1e-5, rtol=1e-5)
    rec = train(replace(warm, steps=3), tmp_path / "nn")
    assert rec["step"] == 3 and math.isfinite(rec["loss"])
    trained, _ = load_checkpoint(tmp_path / "nn" / "latest")  # saved and loaded without pickle, features on
    assert trained.cfg.nn_features == 3 and trained.neighbours.lin2.weight.abs().max() > 0
    # a source WITH features cannot start a model with a different number of them
    with pytest.raises(CheckpointError, match="neighbour features"):
        other = replace(CFG, nn_features=2)
        warm_start(PFNTransformer(other), replace(warm, model=other, init_from=str(tmp_path / "nn" / "latest")),
                   "cpu")


def test_the_campaign_preset_starts_from_its_snapshot_exactly():
    cfg = preset("small-v2-nn")
    assert cfg.model.nn_features == 4 and cfg.exact_targets
    model = PFNTransformer(cfg.model)
    warm_start(model, cfg, "cpu")
    old, _ = load_checkpoint(cfg.init_from)
    x, y_ctx, _, d, _, _ = exact_batch(make_prior(PRIOR_V2), 2, 30, 7, 6, _gen(6), "cpu")
    with torch.no_grad():
        torch.testing.assert_close(model(x, y_ctx, d), old(x, y_ctx, d), atol=1e-5, rtol=1e-5)


def test_place_near_context():
    x = torch.rand(400, 30, 5, generator=_gen(7))
    d = torch.randint(1, 6, (400,), generator=_gen(8))
    x = x * (torch.arange(5)[None, :] < d[:, None])[:, None, :]
    n_ctx = 10
    for n in (None, 0, 30):  # no context/target split: nothing moves
        assert torch.equal(place_near_context(x, d, n, 0.5, _gen()), x)
    assert torch.equal(place_near_context(x, d, n_ctx, 0.0, _gen()), x)
    out = place_near_context(x, d, n_ctx, 0.5, _gen(9))
    assert torch.equal(out[:, :n_ctx], x[:, :n_ctx])  # the context is untouched
    assert float(out.min()) >= 0 and float(out.max()) <= 1
    assert (out * (torch.arange(5)[None, :] >= d[:, None])[:, None, :]).abs().max() == 0  # zero beyond d
    moved = (out[:, n_ctx:] != x[:, n_ctx:]).any(-1)  # b x q
    nearest = torch.cdist(out[:, n_ctx:], x[:, :n_ctx]).min(-1).values  # b x q
    assert float(nearest[moved].max()) < 0.1 * math.sqrt(5) * 4  # within a few sigma (sigma <= 0.1 per coordinate)
    share_sets = float(moved.any(-1).float().mean())
    share_in_set = float(moved[moved.any(-1)].float().mean())
    assert 0.4 < share_sets < 0.6 and 0.4 < share_in_set < 0.6
    # uniform targets are seldom that near: the option is what puts them there
    assert float((nearest < 0.05).float().mean()) > 2 * float((torch.cdist(x[:, n_ctx:], x[:, :n_ctx]).min(-1).values
                                                                < 0.05).float().mean())


@pytest.mark.parametrize("prior", [
    GPPrior(p_near_context=0.5), PosynomialPrior(p_near_context=0.5), MLPPrior(p_near_context=0.5),
    StepPrior(p_near_context=0.5),
])
def test_each_prior_places_targets_and_round_trips(prior):
    rec = prior.to_dict()
    assert rec["p_near_context"] == 0.5 and make_prior(rec).to_dict() == rec
    batch = prior.sample(64, 40, 3, _gen(10), n_ctx=20)
    nearest = torch.cdist(batch.x[:, 20:], batch.x[:, :20]).min(-1).values
    assert float((nearest < 0.02).float().mean()) > 0.1
    assert torch.isfinite(batch.y).all()
    # without the option the record has no such key (older records compare equal on --resume)
    assert "p_near_context" not in type(prior)().to_dict()
