"""Prior v2 and exact-target training: each new prior component, the exact predictive, bucket masses,
refined heads, and the exact-target loss's minimiser."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from pfnopt.surrogate import bar
from pfnopt.surrogate.checkpoint import load_checkpoint
from pfnopt.surrogate.errors import CheckpointError
from pfnopt.surrogate.model import PFNConfig, PFNTransformer
from pfnopt.surrogate.presets import PRIOR_V2, preset
from pfnopt.surrogate.priors import GPPrior, GPPriorConfig, MLPPrior, PosynomialPrior, PriorBag, StepPrior, make_prior
from pfnopt.surrogate.priors.gp import kernel_matrix
from pfnopt.surrogate.train import exact_batch, exact_target_loss, train, warm_start


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_v1_record_rebuilds_the_v1_prior_and_v2_round_trips():
    v1 = GPPrior()
    assert make_prior(v1.to_dict()).config == v1.config
    assert not make_prior(v1.to_dict())._is_v2()
    bag = make_prior(PRIOR_V2)
    assert bag.to_dict() == make_prior(bag.to_dict()).to_dict()
    gp = bag.priors[0]
    assert gp.config.p_deterministic == 0.5 and gp.config.det_log10_noise == (-8.0, -4.0)


def test_deterministic_share_has_noise_down_to_1e_8_of_the_outputscale():
    prior = GPPrior(p_deterministic=1.0, samples_per_draw=1)
    h = prior.sample(400, 8, 3, _gen(), n_ctx=4).extras["hypers"]
    ratio = h["noise"] / h["outputscale"]
    assert float(ratio.min()) >= 1e-8 * 0.999 and float(ratio.max()) <= 1e-4 * 1.001
    assert float(torch.log10(ratio).mean()) == pytest.approx(-6.0, abs=0.3)  # log-uniform in -8..-4
    mixed = GPPrior(p_deterministic=0.5, samples_per_draw=1).sample(2000, 4, 2, _gen(1)).extras["hypers"]
    share = float(((mixed["noise"] / mixed["outputscale"]) <= 1e-4).float().mean())
    assert 0.45 < share < 0.6  # v1's LogNormal(-4.63, 0.5) puts almost nothing below 1e-4


def test_exact_predictive_matches_an_independent_gp_posterior():
    """The Cholesky shortcut (L21 z1, diag L22 L22^T) equals the textbook GP posterior, mean function included."""
    cfg = GPPriorConfig(p_clustered=0.0, p_linear_mean=0.5, p_quadratic_mean=0.5, p_deterministic=0.3, samples_per_draw=1)
    prior = GPPrior(cfg)
    n_ctx, n = 12, 20
    batch = prior.sample(6, n, 3, _gen(2), n_ctx=n_ctx)
    h = batch.extras["hypers"]
    for i in range(6):
        hi = {k: v[i : i + 1].double() if v.is_floating_point() else v[i : i + 1] for k, v in h.items()}
        x = batch.x[i : i + 1].double()
        k = kernel_matrix(x, x, hi)[0] + (hi["noise"][0] + 1e-6 * hi["outputscale"][0]) * torch.eye(n, dtype=x.dtype)
        m = GPPrior.mean_function(x, hi)[0]
        y = batch.y[i].double()
        k11, k21 = k[:n_ctx, :n_ctx], k[n_ctx:, :n_ctx]
        sol = torch.linalg.solve(k11, y[:n_ctx] - m[:n_ctx])
        mean = m[n_ctx:] + k21 @ sol
        var = k.diagonal()[n_ctx:] - (k21 * torch.linalg.solve(k11, k21.T).T).sum(-1)
        scale = float(y.std())
        torch.testing.assert_close(batch.extras["target_mean"][i].double(), mean, atol=2e-3 * scale, rtol=2e-3)
        torch.testing.assert_close(batch.extras["target_std"][i].double(), var.clamp_min(0).sqrt(), atol=2e-3 * scale, rtol=2e-2)


def test_sampled_targets_are_calibrated_against_the_exact_predictive():
    prior = GPPrior(p_deterministic=0.5, p_long_lengthscale=0.3, p_linear_mean=0.3, p_quadratic_mean=0.3, p_quantized=0.3)
    batch = prior.sample(256, 40, 5, _gen(3), n_ctx=25)
    z = (batch.y[:, 25:] - batch.extras["target_mean"]) / batch.extras["target_std"]
    assert float(z.mean()) == pytest.approx(0.0, abs=0.05)
    assert float(z.std()) == pytest.approx(1.0, abs=0.08)


def test_mean_functions_dominate_at_large_amplitude():
    cfg = GPPriorConfig(p_clustered=0.0, p_linear_mean=1.0, mean_log10_amplitude=(2.0, 2.0), samples_per_draw=1)
    batch = GPPrior(cfg).sample(64, 50, 2, _gen(4))
    m = GPPrior.mean_function(batch.x, batch.extras["hypers"])
    corr = torch.stack([torch.corrcoef(torch.stack([batch.y[i], m[i]]))[0, 1] for i in range(64)])
    assert float(corr.median()) > 0.99
    bowl = GPPriorConfig(p_clustered=0.0, p_quadratic_mean=1.0, samples_per_draw=1)
    hb = GPPrior(bowl).sample(64, 10, 2, _gen(5)).extras["hypers"]
    assert bool((hb["mean_kind"] == 2).all())


def test_long_lengthscales_are_longer():
    short = GPPrior(samples_per_draw=1).sample(2000, 4, 1, _gen(6)).extras["hypers"]["lengthscale"][:, 0]
    long = GPPrior(p_long_lengthscale=1.0, samples_per_draw=1).sample(2000, 4, 1, _gen(6)).extras["hypers"]
    ratio = float(long["lengthscale"][:, 0].median() / short.median())
    assert 3.0 < ratio < 6.0  # the log-uniform 2..10 factor has median sqrt(20) = 4.5


def test_quantized_inputs_take_few_levels():
    batch = GPPrior(p_quantized=1.0, p_quantized_column=1.0).sample(32, 60, 4, _gen(7), d=4)
    for i in range(32):
        for j in range(4):
            assert torch.unique(batch.x[i, :, j]).numel() <= 10


def test_posynomial_prior_spans_decades_and_has_no_closed_form():
    batch = PosynomialPrior(p_ratio=0.0, p_negate=0.0, p_log=0.0, p_clustered=0.0, p_deterministic=1.0).sample(64, 60, 5, _gen(8), n_ctx=30)
    y = batch.y
    assert bool((y > -0.02 * y.std(-1, keepdim=True)).all())  # a posynomial is positive (up to its small noise)
    dyn = y.max(-1).values / y.min(-1).values
    assert float(dyn.median()) > 10.0
    assert bool(torch.isnan(batch.extras["target_mean"]).all())
    assert make_prior(PosynomialPrior().to_dict()).to_dict() == PosynomialPrior().to_dict()
    with pytest.raises(ValueError, match="max_terms=0"):
        PosynomialPrior(max_terms=0)


@pytest.mark.parametrize("prior", [MLPPrior(p_deterministic=1.0), StepPrior(p_deterministic=1.0), PosynomialPrior()])
def test_non_gp_priors_keep_the_batch_contract_with_n_ctx(prior):
    batch = prior.sample(8, 30, 6, _gen(9), n_ctx=10)
    assert batch.x.shape == (8, 30, 6) and batch.y.shape == (8, 30)
    assert batch.extras["target_mean"].shape == (8, 20)
    assert bool(torch.isfinite(batch.y).all())


def test_bag_merges_exact_predictives_and_nans():
    bag = PriorBag([GPPrior(), PosynomialPrior()], [0.5, 0.5])
    batch = bag.sample(64, 30, 4, _gen(10), n_ctx=20)
    finite = torch.isfinite(batch.extras["target_mean"]).all(-1)
    assert 10 < int(finite.sum()) < 54  # both kinds present, each row all-finite or all-NaN
    assert bool((torch.isnan(batch.extras["target_mean"]).all(-1) | finite).all())


def test_gaussian_bucket_masses_sum_to_one_and_match_the_cdf():
    borders = torch.linspace(-3.0, 3.0, 41)
    mu = torch.tensor([0.0, 1.3, -2.9, 0.05, 7.0])
    sd = torch.tensor([1.0, 0.2, 1e-7, 1e-3, 0.5])
    m = bar.gaussian_bucket_masses(mu, sd, borders)
    torch.testing.assert_close(m.sum(-1), torch.ones(5))
    cum = m.cumsum(-1)[:, :-1]  # P(y <= b_k), k = 1..K-1
    ref = torch.special.ndtr((borders[1:-1] - mu[:, None]) / sd[:, None])
    torch.testing.assert_close(cum, ref, atol=1e-6, rtol=0)
    assert float(m[2].max()) > 0.999 and float(m[4, -1]) > 0.999  # a spike; a mean beyond the borders


def test_exact_target_loss_minimiser_is_the_exact_predictive():
    """Free logits trained on the cross-entropy recover the Gaussian: mean, std and cdf of the bar fit."""
    borders = torch.linspace(-4.0, 4.0, 201)
    mu, sd = torch.tensor([[0.3, -1.2]]), torch.tensor([[0.5, 0.25]])
    logits = torch.zeros(1, 2, 200, requires_grad=True)
    opt = torch.optim.Adam([logits], lr=0.2)
    nan = torch.full_like(mu, float("nan"))
    for _ in range(1500):
        loss, _ = exact_target_loss(logits, borders, nan, mu, sd)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        masses = bar.gaussian_bucket_masses(mu, sd, borders)
        torch.testing.assert_close(torch.softmax(logits, -1), masses, atol=2e-4, rtol=0)
        torch.testing.assert_close(bar.mean(logits, borders), mu, atol=2e-3, rtol=0)
        # the bar's variance adds the within-bucket spread w^2 / 12 to the Gaussian's
        torch.testing.assert_close(bar.variance(logits, borders), sd**2 + 0.04**2 / 12, atol=2e-3, rtol=0)
        torch.testing.assert_close(bar.cdf(logits, borders, mu + sd), torch.full_like(mu, 0.8413), atol=3e-3, rtol=0)


def test_exact_target_loss_uses_samples_where_there_is_no_closed_form():
    borders = torch.linspace(-3.0, 3.0, 33)
    logits = torch.randn(2, 3, 32)
    y = torch.tensor([[0.1, -0.5, 2.0], [0.05, 0.3, -1.0]])  # none on a border
    nan = torch.full_like(y, float("nan"))
    loss, logged = exact_target_loss(logits, borders, y, nan, nan)
    torch.testing.assert_close(loss, bar.nll(logits, borders, y).mean())
    # an exact row with a tiny std is the sampled NLL of its mean
    loss_e, logged_e = exact_target_loss(logits, borders, y, y, torch.full_like(y, 1e-6))
    torch.testing.assert_close(logged_e, bar.nll(logits, borders, y).mean(), atol=1e-4, rtol=0)


def test_refined_borders_give_the_same_distribution():
    borders = torch.tensor([-5.0, -3.0, -1.5, -0.4, 0.0, 0.5, 1.7, 2.9, 6.0])
    pieces = torch.tensor([1, 4, 2, 2, 2, 2, 4, 1])
    new, parent, log_share = bar.refine_borders(borders, pieces)
    assert new.numel() - 1 == int(pieces.sum())
    logits = torch.randn(5, 8)
    refined = logits[:, parent] + log_share
    for v in (-6.0, -2.2, 0.1, 1.0, 3.5):
        torch.testing.assert_close(bar.cdf(refined, new, torch.tensor(v)), bar.cdf(logits, borders, torch.tensor(v)))
    torch.testing.assert_close(bar.mean(refined, new), bar.mean(logits, borders))
    torch.testing.assert_close(bar.expected_improvement(refined, new, 0.2), bar.expected_improvement(logits, borders, 0.2))
    with pytest.raises(ValueError, match="1 at both tails"):
        bar.refine_borders(borders, torch.tensor([2, 1, 1, 1, 1, 1, 1, 1]))


def _tiny_cfg(**kw):
    model = PFNConfig(d_max=2, n_max=16, emsize=32, n_layer=2, n_head=2, n_buckets=32, decoder_hidden=32)
    base = replace(preset("tiny"), model=model, prior=PRIOR_V2, val_prior=PRIOR_V2, steps=6, eval_every=6)
    return replace(base, **kw)


def test_exact_target_training_runs_and_warm_start_with_a_refined_head_is_exact(tmp_path):
    cfg = _tiny_cfg(exact_targets=True, checkpoint_every=3)
    rec = train(cfg, tmp_path / "src")
    assert rec["step"] == 6 and math.isfinite(rec["loss"])
    src, _ = load_checkpoint(tmp_path / "src" / "best")
    mids = 0.5 * (src.borders[1:] + src.borders[:-1])
    k_new = int(torch.where(mids.abs() <= 1.5, 2, 3)[1:-1].sum()) + 2
    new_model_cfg = replace(cfg.model, n_buckets=k_new)
    warm = replace(cfg, model=new_model_cfg, init_from=str(tmp_path / "src" / "best"), refine_pieces=(2, 3))
    model = PFNTransformer(new_model_cfg)
    warm_start(model, warm, "cpu")
    x, y_ctx, _, d, _, _ = exact_batch(make_prior(PRIOR_V2), 4, 8, 5, 2, _gen(11), "cpu")
    with torch.no_grad():
        a, b = src(x, y_ctx, d), model(x, y_ctx, d)
        torch.testing.assert_close(bar.mean(b, model.borders), bar.mean(a, src.borders), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(
            bar.cdf(b, model.borders, torch.tensor(0.3)), bar.cdf(a, src.borders, torch.tensor(0.3)), atol=1e-5, rtol=0
        )
    # the warm-started run trains from there
    assert train(replace(warm, steps=3), tmp_path / "warm")["step"] == 3
    with pytest.raises(CheckpointError, match="buckets"):
        warm_start(PFNTransformer(cfg.model), replace(warm, model=cfg.model), "cpu")
    with pytest.raises(CheckpointError, match="architecture"):  # emsize differs
        other = replace(new_model_cfg, emsize=16, n_head=2)
        warm_start(PFNTransformer(other), replace(warm, model=other), "cpu")


@pytest.mark.parametrize("name, source, prior", [("small-v2", "v1", None), ("small-v2-deep", "v2", PRIOR_V2)])
def test_campaign_presets_warm_start_from_their_packaged_source_exactly(name, source, prior):
    """small-v2 refines v1's head (256 -> 592 buckets); small-v2-deep adds two identity blocks to v2's four."""
    from pfnopt.surrogate.pfn import DEFAULT_CHECKPOINT

    cfg = preset(name)
    model = PFNTransformer(cfg.model)
    warm_start(model, cfg, "cpu")
    old, _ = load_checkpoint(DEFAULT_CHECKPOINT.parent / source)
    assert model.cfg.n_layer - old.cfg.n_layer == (2 if name == "small-v2-deep" else 0)
    x, y_ctx, _, d, _, _ = exact_batch(GPPrior() if prior is None else make_prior(prior), 3, 20, 7, 20, _gen(12), "cpu")
    with torch.no_grad():
        torch.testing.assert_close(
            bar.mean(model(x, y_ctx, d), model.borders), bar.mean(old(x, y_ctx, d), old.borders), atol=1e-5, rtol=1e-5
        )


def test_warm_start_into_a_deeper_model_is_exact_and_the_new_blocks_train(tmp_path):
    cfg = _tiny_cfg(exact_targets=True)
    train(cfg, tmp_path / "src")
    src, _ = load_checkpoint(tmp_path / "src" / "best")
    deep_cfg = replace(cfg.model, n_layer=cfg.model.n_layer + 2)
    warm = replace(cfg, model=deep_cfg, init_from=str(tmp_path / "src" / "best"))
    model = PFNTransformer(deep_cfg)
    warm_start(model, warm, "cpu")
    x, y_ctx, _, d, _, _ = exact_batch(make_prior(PRIOR_V2), 4, 8, 5, 2, _gen(13), "cpu")
    with torch.no_grad():
        torch.testing.assert_close(model(x, y_ctx, d), src(x, y_ctx, d), atol=1e-5, rtol=1e-5)
    added = model.blocks[cfg.model.n_layer]
    assert added.attn.proj.weight.abs().max() == 0 and added.mlp.proj.weight.abs().max() == 0
    assert added.attn.q.weight.abs().max() > 0  # only the output projections start at zero
    # training moves the added blocks away from the identity
    train(replace(warm, steps=3), tmp_path / "deep")
    trained, _ = load_checkpoint(tmp_path / "deep" / "latest")
    assert trained.blocks[cfg.model.n_layer].mlp.proj.weight.abs().max() > 0
    # a shallower target, or any other change of shape, is refused
    with pytest.raises(CheckpointError, match="added blocks"):
        shallow = replace(cfg.model, n_layer=1)
        warm_start(PFNTransformer(shallow), replace(warm, model=shallow), "cpu")
