"""The paper-faithful families: parameter counts from the papers' layer formulas, the options
(norms, dropouts, stages, LayerScale) change what they should, and a few steps lower the loss."""

import pytest
import torch
import torch.nn.functional as F

from pfnopt.automl.measure import count_params
from pfnopt.automl.models import ModelConfig, build_model
from pfnopt.automl.models.poolformer import stage_plan


def _patchtst_params(L, P, S, d, d_ff, depth, H, c):
    n = (L + S - P) // S + 1  # patches after end padding by one stride (the paper's padding_patch="end")
    embed = P * d + d + n * d  # patch projection + learned positions
    layer = 4 * (d * d + d) + (d * d_ff + d_ff + d_ff * d + d) + 2 * (2 * d)  # attention, FFN, two norms
    return 2 * c + embed + depth * layer + n * d * H + H  # RevIN + layers + flatten head


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_patchtst_parameter_count_is_the_papers_etth1_model(norm):
    """Lookback 336, patch 16, stride 8, d_model 16, d_ff 128, 3 layers, 4 heads, 7 channels."""
    cfg = ModelConfig(
        "patchtst", lookback=336, horizon=96, n_channels=7, patch_len=16, stride=8, width=16, d_ff=128,
        depth=3, heads=4, norm=norm,
    )
    model = build_model(cfg)
    assert model.embed.n_patches == 42  # int((336 - 16) / 8 + 1) + 1 in the paper's code
    assert count_params(model) == _patchtst_params(336, 16, 8, 16, 128, 3, 96, 7)
    norms = [m for m in model.modules() if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.LayerNorm))]
    assert len(norms) == 6 and all(isinstance(m, torch.nn.BatchNorm1d) == (norm == "batch") for m in norms)


def test_attention_dropout_zero_draws_no_mask_and_positive_does():
    """In training mode with every dropout 0 the forward is deterministic; attention dropout alone
    makes it random (so the mask is applied only when asked for)."""
    base = dict(lookback=32, horizon=8, n_channels=2, patch_len=8, stride=4, width=16, heads=2, dropout=0.0)
    x = torch.randn(3, 32, 2)
    plain = build_model(ModelConfig("patchtst", attn_dropout=0.0, **base)).train()
    assert torch.equal(plain(x), plain(x))
    dropped = build_model(ModelConfig("patchtst", attn_dropout=0.5, **base)).train()
    assert not torch.equal(dropped(x), dropped(x))
    dropped.eval()
    assert torch.equal(dropped(x), dropped(x))


def test_head_dropout_acts_only_on_the_head():
    base = dict(lookback=32, horizon=8, patch_len=8, stride=4, width=16, heads=2, dropout=0.0)
    model = build_model(ModelConfig("patchtst", head_dropout=0.5, **base)).train()
    assert isinstance(model.head[-1], torch.nn.Dropout) and model.head[-1].p == 0.5
    x = torch.randn(2, 32, 1)
    assert not torch.equal(model(x), model(x))


def _tsmixer_params(L, H, c, ff, depth):
    block = 2 * (2 * L * c) + (L * L + L) + (c * ff + ff) + (ff * c + c)  # two norms, time MLP, feature MLP
    return 2 * c + depth * block + L * H + H


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_tsmixer_parameter_count_and_it_mixes_channels(norm):
    cfg = ModelConfig("tsmixer", lookback=48, horizon=12, n_channels=3, width=16, depth=2, norm=norm)
    model = build_model(cfg).eval()
    assert count_params(model) == _tsmixer_params(48, 12, 3, 16, 2)
    x = torch.randn(2, 48, 3)
    x2 = x.clone()
    x2[..., 0] = torch.randn(2, 48)  # a new shape (RevIN would undo a mere shift)
    with torch.no_grad():
        assert not torch.allclose(model(x)[..., 1], model(x2)[..., 1], atol=1e-4)  # channel 0 moves channel 1


def test_patchtsmixer_keeps_channels_independent():
    model = build_model(
        ModelConfig("patchtsmixer", lookback=32, horizon=8, n_channels=2, patch_len=8, stride=8, width=16)
    ).eval()
    x = torch.randn(1, 32, 2)
    x2 = x.clone()
    x2[..., 0] += 5.0
    with torch.no_grad():
        assert torch.allclose(model(x)[..., 1], model(x2)[..., 1], atol=1e-5)


def _poolformer_params(C, p, plan, ratio, k, ls):
    total, prev = C * p * p * plan[0][1] + plan[0][1], plan[0][1]
    for i, (depth, w) in enumerate(plan):
        if i:
            total += prev * w * 9 + w  # 3x3 stride-2 downsampling conv
        h = int(round(w * ratio))
        total += depth * (2 * (2 * w) + (w * h + h) + (h * w + w) + (2 * w if ls else 0))
        prev = w
    return total + 2 * prev + prev * k + k


@pytest.mark.parametrize("layer_scale", [0.0, 1e-5])
def test_poolformer_stages_and_layer_scale(layer_scale):
    cfg = ModelConfig(
        "poolformer", kind="classify", image_size=(16, 16), n_channels=1, patch_len=2, width=16, depth=1,
        stages=3, stage_depths=(1, 2, 1), mlp_ratio=4.0, layer_scale=layer_scale,
    )
    plan = stage_plan(cfg)
    assert plan == [(1, 16), (2, 32), (1, 64)]
    model = build_model(cfg)
    assert count_params(model) == _poolformer_params(1, 2, plan, 4.0, 10, layer_scale > 0)
    # the grid halves between stages: 8x8 -> 4x4 -> 2x2
    shapes = []
    hook = [m.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape[-2:])))
            for m in model.stages if isinstance(m, torch.nn.Conv2d)]
    assert model(torch.randn(2, 1, 16, 16)).shape == (2, 10)
    assert shapes == [(4, 4), (2, 2)]
    for h in hook:
        h.remove()
    if layer_scale:
        assert torch.allclose(model.stages[0].ls1, torch.full_like(model.stages[0].ls1, 1e-5))


def _lowers_loss(model, x, y, loss_fn, steps=30):
    torch.manual_seed(0)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


@pytest.mark.parametrize(
    "cfg",
    [
        ModelConfig("patchtst", lookback=32, horizon=8, n_channels=2, patch_len=8, stride=4, width=16, heads=2,
                    d_ff=32, norm="batch", dropout=0.1),
        ModelConfig("tsmixer", lookback=32, horizon=8, n_channels=2, width=16, depth=2, norm="batch", dropout=0.1),
    ],
    ids=["patchtst", "tsmixer"],
)
def test_forecasters_learn_a_sine(cfg):
    torch.manual_seed(0)
    t = torch.arange(40).float()
    phase = torch.rand(64, 1, 2) * 6.28
    series = torch.sin(t[None, :, None] * 0.4 + phase)  # (64, 40, 2)
    losses = _lowers_loss(build_model(cfg), series[:, :32], series[:, 32:], F.mse_loss)
    assert losses[-1] < 0.5 * losses[0]


def test_poolformer_learns_to_classify():
    torch.manual_seed(0)
    y = torch.randint(0, 2, (64,))
    x = torch.randn(64, 1, 8, 8) * 0.3 + y[:, None, None, None].float()  # class = brightness
    cfg = ModelConfig("poolformer", kind="classify", image_size=(8, 8), n_channels=1, n_classes=2, patch_len=2,
                      width=16, depth=1, stages=2, layer_scale=1e-5, dropout=0.0)
    losses = _lowers_loss(build_model(cfg), x, y, F.cross_entropy)
    assert losses[-1] < 0.5 * losses[0]
