"""Training: a tiny PFN learns a 1-d GP prior; runs resume exactly; the pretrain command works."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from pfnopt.surrogate import bar, load_pfn
from pfnopt.surrogate.checkpoint import load_checkpoint
from pfnopt.surrogate.errors import CheckpointError
from pfnopt.surrogate.model import PFNConfig
from pfnopt.surrogate.presets import preset
from pfnopt.surrogate.priors import GPPrior
from pfnopt.surrogate.train import normalized_batch, train

GP_1D = {**GPPrior(p_clustered=0.0).to_dict()}


def _tiny(**kw):
    model = PFNConfig(d_max=1, n_max=20, emsize=32, n_layer=2, n_head=2, n_buckets=32, decoder_hidden=64)
    return replace(preset("tiny"), model=model, prior=GP_1D, **kw)


def test_tiny_model_beats_constant_predictor(tmp_path):
    torch.manual_seed(0)
    cfg = _tiny(steps=400, lr=3e-3, warmup=20, eval_every=400, checkpoint_every=400, n_start=20)
    train(cfg, tmp_path / "run")
    model, record = load_checkpoint(tmp_path / "run" / "latest")
    g = torch.Generator().manual_seed(123)
    x, y_ctx, y_tgt, d = normalized_batch(GPPrior(p_clustered=0.0), 256, 10, 20, 1, g, "cpu")
    with torch.no_grad():
        logits = model(x, y_ctx, d)
    nll_pfn = float(bar.nll(logits, model.borders, y_tgt).mean())
    nll_const = float(bar.nll(torch.zeros_like(logits), model.borders, y_tgt).mean())  # the marginal
    assert nll_pfn < nll_const - 0.2, (nll_pfn, nll_const)
    assert record["step"] == 400


def test_same_seed_same_weights(tmp_path):
    cfg = _tiny(steps=12, checkpoint_every=5, eval_every=10)
    train(cfg, tmp_path / "a")
    train(cfg, tmp_path / "b")
    a, _ = load_checkpoint(tmp_path / "a" / "latest")
    b, _ = load_checkpoint(tmp_path / "b" / "latest")
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k


def test_interrupt_and_resume_matches_uninterrupted(tmp_path):
    cfg = _tiny(steps=16, checkpoint_every=4, eval_every=8)
    train(cfg, tmp_path / "full")

    class Stop(Exception):
        pass

    def stop_at_8(info):
        if info["step"] == 8:
            raise Stop

    with pytest.raises(Stop):
        train(cfg, tmp_path / "cut", on_step=stop_at_8)
    rec = json.loads((tmp_path / "cut" / "latest" / "config.json").read_text())
    assert rec["step"] == 8
    train(cfg, tmp_path / "cut", resume=True)
    a, ra = load_checkpoint(tmp_path / "full" / "latest")
    b, rb = load_checkpoint(tmp_path / "cut" / "latest")
    assert ra["step"] == rb["step"] == 16
    for k, v in a.state_dict().items():
        assert torch.allclose(v, b.state_dict()[k], atol=1e-6), k


def test_resume_refuses_another_preset(tmp_path):
    train(_tiny(steps=4, checkpoint_every=2, eval_every=4), tmp_path / "r")
    other = preset("tiny", steps=4)
    with pytest.raises(CheckpointError, match="different model or prior"):
        train(other, tmp_path / "r", resume=True)


def test_pretrain_command(tmp_path):
    typer = pytest.importorskip("typer")
    from typer.testing import CliRunner

    from pfnopt.commands.pretrain import pretrain

    app = typer.Typer()
    app.command()(pretrain)
    runner = CliRunner()
    out = tmp_path / "run"
    res = runner.invoke(app, ["--preset", "tiny", "--out", str(out), "--steps", "6", "--export", str(tmp_path / "exp")])
    assert res.exit_code == 0, res.output
    assert (out / "latest" / "model.safetensors").is_file() and (out / "best" / "config.json").is_file()
    res = runner.invoke(app, ["--preset", "tiny", "--out", str(out), "--steps", "10", "--resume"])
    assert res.exit_code == 0, res.output
    assert json.loads((out / "latest" / "config.json").read_text())["step"] == 10
    pfn = load_pfn(tmp_path / "exp")
    assert pfn.d_max == 4
    res = runner.invoke(app, ["--preset", "nope", "--out", str(out)])
    assert res.exit_code != 0 and "not a preset" in res.output
    assert "Example" in runner.invoke(app, ["--help"]).output
