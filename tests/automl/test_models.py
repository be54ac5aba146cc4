"""Every family builds and trains one step on CPU, for every task kind; shapes checked."""

import pytest
import torch

from pfnopt.automl.models import CLASSIFY_FAMILIES, FORECAST_FAMILIES, ModelConfig, build_model
from pfnopt.exceptions import ParameterError

DEVICE = torch.device("cpu")  # the suite reruns on CUDA by changing this


def _one_step(model: torch.nn.Module, x: torch.Tensor, target: torch.Tensor, loss_fn) -> None:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    before = [p.detach().clone() for p in model.parameters()]
    loss = loss_fn(model(x), target)
    loss.backward()
    opt.step()
    assert torch.isfinite(loss)
    assert any(not torch.equal(b, p) for b, p in zip(before, model.parameters()))


@pytest.mark.parametrize("family", FORECAST_FAMILIES)
@pytest.mark.parametrize("revin", [True, False])
def test_forecaster_shapes_and_step(family, revin):
    cfg = ModelConfig(
        family,
        lookback=48,
        horizon=12,
        n_channels=3,
        patch_len=8,
        stride=4,
        width=16,
        depth=2,
        heads=2,
        revin=revin,
        gated=True,
        ma_kernel=7,
    )
    model = build_model(cfg).to(DEVICE)
    x = torch.randn(4, 48, 3, device=DEVICE)  # (b, L, c)
    y = model(x)
    assert y.shape == (4, 12, 3)  # (b, H, c)
    _one_step(model, x, torch.randn(4, 12, 3, device=DEVICE), torch.nn.functional.mse_loss)


def test_forecaster_channels_are_independent():
    """Channel-independent patches: changing channel 0 never moves the forecast of channel 1."""
    model = build_model(
        ModelConfig(
            "patchtst", lookback=32, horizon=8, n_channels=2, patch_len=8, stride=8, width=16, heads=2, revin=True
        )
    ).eval()
    x = torch.randn(1, 32, 2)
    x2 = x.clone()
    x2[..., 0] += 5.0
    with torch.no_grad():
        assert torch.allclose(model(x)[..., 1], model(x2)[..., 1], atol=1e-5)


@pytest.mark.parametrize("family", CLASSIFY_FAMILIES)
@pytest.mark.parametrize("size,patch,chans", [((8, 8), 2, 1), ((12, 10), 4, 3)])
def test_classifier_shapes_and_step(family, size, patch, chans):
    cfg = ModelConfig(
        family,
        kind="classify",
        image_size=size,
        n_channels=chans,
        n_classes=5,
        patch_len=patch,
        width=16,
        depth=2,
        heads=4,
        pool_size=3,
        kernel_size=3,
    )
    model = build_model(cfg).to(DEVICE)
    x = torch.randn(4, chans, *size, device=DEVICE)
    assert model(x).shape == (4, 5)
    _one_step(model, x, torch.tensor([0, 1, 2, 4], device=DEVICE), torch.nn.functional.cross_entropy)


def test_bad_configs_are_refused():
    with pytest.raises(ParameterError, match="not a forecast family"):
        build_model(ModelConfig("vit", kind="forecast"))
    with pytest.raises(ParameterError, match="not divisible by heads"):
        build_model(ModelConfig("patchtst", width=48, heads=5))
    with pytest.raises(ParameterError, match="longer than the lookback"):
        build_model(ModelConfig("patchtsmixer", lookback=8, patch_len=16))
    with pytest.raises(ParameterError, match="norm must be 'layer' or 'batch'"):
        build_model(ModelConfig("patchtst", norm="group"))
    with pytest.raises(ParameterError, match="attn_dropout must be in"):
        build_model(ModelConfig("patchtst", attn_dropout=1.5))
    with pytest.raises(ParameterError, match="stage_depths must be empty or 2"):
        build_model(ModelConfig("poolformer", kind="classify", stages=2, stage_depths=(1, 1, 1)))
    with pytest.raises(ParameterError, match="unknown model config field"):
        build_model({"family": "patchtst", "colour": "red"})


def test_config_dict_round_trip():
    cfg = ModelConfig("vit", kind="classify", image_size=(28, 28), patch_len=7, heads=2)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
