"""The curve prior, a tiny curve PFN trained for real, and CurvePFNPruner end to end on real storages."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import pfnopt
from pfnopt.pruners import CurvePFNPruner, create_pruner
from pfnopt.surrogate.curve import CurvePFN
from pfnopt.surrogate.priors import CurvePrior, make_prior


def test_curve_prior_prefix_and_targets():
    prior = make_prior({"name": "curves"})
    assert isinstance(prior, CurvePrior) and make_prior(prior.to_dict()).to_dict() == prior.to_dict()
    g = torch.Generator().manual_seed(0)
    b = prior.sample(256, 30, 2, g, n_ctx=12)
    t, h = b.extras["epoch"], b.extras["horizon"]
    assert b.x.shape == (256, 30, 2) and b.y.shape == (256, 30) and torch.isfinite(b.y).all()
    assert torch.equal(t[:, :12], torch.arange(1, 13).expand(256, 12))  # the context is the observed prefix
    assert (t[:, 12:] > 12).all() and (t[:, 12:] <= h).all()
    assert torch.allclose(b.x[..., 0], t / h)
    acc = b.extras["is_accuracy"]
    assert 0 < acc.sum() < 256  # both losses and accuracies
    assert ((b.y[acc] >= 0) & (b.y[acc] <= 1)).all() and (b.y[~acc] >= 0).all()
    # the majority of curves improve from the first epoch to the horizon
    finals = torch.gather(b.y, 1, (t == h).float().argmax(1, keepdim=True))[:, 0]
    improved = torch.where(acc, finals > b.y[:, 0], finals < b.y[:, 0])
    assert improved.float().mean() > 0.6
    again = prior.sample(256, 30, 2, torch.Generator().manual_seed(0), n_ctx=12)
    assert torch.equal(again.y, b.y)


@pytest.mark.parametrize("kwargs, words", [({"n_ctx": 0}, ["n_ctx=0"]), ({"n_ctx": 30}, ["n_ctx=30"])])
def test_curve_prior_bad_split(kwargs, words):
    with pytest.raises(ValueError, match=words[0]):
        CurvePrior().sample(4, 30, 2, torch.Generator(), **kwargs)


def test_shipped_checkpoint_forecasts_sensibly():
    pfn = CurvePFN.load()
    assert pfn.record["prior"]["name"] == "curves"
    t = torch.arange(1, 11, dtype=torch.float32)
    rising = 0.9 - 0.5 * t ** -1.0  # an accuracy curve still climbing
    flat = torch.full((10,), 0.3) + 0.001 * torch.sin(t)
    fc = pfn.forecast(torch.stack([rising, flat]), 52, [20, 52])
    med = fc.quantile(0.5)
    assert med[0, 1] > rising[-1]  # extrapolates the climb
    assert abs(float(med[1, 1]) - 0.3) < 0.05  # a flat curve stays flat
    assert fc.cdf(0.8)[1, 1] > 0.95  # the flat run will not reach 0.8


def _run_curve(study, values, first=0):
    """Report ``values`` step by step; return the step at which the trial was pruned (None if it finished)."""
    trial = study.ask()
    for i, v in enumerate(values):
        trial.report(float(v), first + i)
        if i < len(values) - 1 and trial.should_prune():
            study.tell(trial, state="pruned")
            return i
    study.tell(trial, float(values[-1]))
    return None


def good_curve(n=30):
    t = np.arange(1, n + 1)
    return 0.92 - 0.5 * t**-0.8


def test_curve_pruner_prunes_hopeless_trials_across_workers(tmp_path):
    """Two workers share one SQLite study; the second prunes against the first one's completed trials."""
    url = f"sqlite:///{tmp_path / 'mf.db'}"
    a = pfnopt.create_study(study_name="mf", storage=url, direction="maximize", pruner="none")
    b = pfnopt.load_study(study_name="mf", storage=url, pruner=create_pruner("curve-pfn", max_steps=30))
    bad = 0.3 + 0.02 * np.log(np.arange(1, 31))
    assert _run_curve(b, bad) is None  # nothing completed yet: no reference, no pruning
    assert _run_curve(a, good_curve()) is None  # worker A completes a good run
    step = _run_curve(b, bad)
    assert step is not None and step <= 5  # hopeless against A's 0.89: stopped within the first epochs
    assert _run_curve(b, good_curve() + 0.01) is None  # a better run is never pruned
    states = [t.state for t in b.get_trials()]
    assert states.count(pfnopt.TrialState.PRUNED) == 1


def test_curve_pruner_top_k_and_warmup(tmp_path):
    study = pfnopt.create_study(direction="maximize",
                                pruner=CurvePFNPruner(max_steps=30, top_k=2, n_warmup_steps=6))
    _run_curve(study, good_curve())
    # one complete trial < top_k = 2: no reference yet
    assert _run_curve(study, np.full(30, 0.2)) is None
    _run_curve(study, good_curve() - 0.3)
    step = _run_curve(study, np.full(30, 0.2) + 0.001 * np.arange(30))
    assert step == 6  # never before the warm-up step


def test_tiny_curve_pfn_trained_for_real_drives_the_pruner(tmp_path):
    """The default test command's end-to-end run: train a tiny curve PFN, load it without pickle, prune."""
    from pfnopt.surrogate.model import PFNConfig
    from pfnopt.surrogate.presets import preset
    from pfnopt.surrogate.train import train

    cfg = preset("curve", model=PFNConfig(d_max=2, n_max=32, emsize=16, n_layer=1, n_head=2, n_buckets=32,
                                          decoder_hidden=16),
                 steps=30, tokens_per_batch=512, n_targets=8, n_start=16, warmup=5, border_samples=5000,
                 val_per_n=4, checkpoint_every=10, eval_every=15, device="cpu")
    rec = train(cfg, tmp_path / "run", export_dir=tmp_path / "ckpt")
    assert rec["step"] == 30 and math.isfinite(rec["best_val_nll"])
    pruner = CurvePFNPruner(max_steps=20, threshold=0.5, checkpoint=tmp_path / "ckpt")
    study = pfnopt.create_study(direction="minimize", pruner=pruner)
    losses = 1.0 + 2.0 * np.arange(1, 21) ** -0.5
    _run_curve(study, losses)
    trial = study.ask()
    worse = losses + 1.0
    for i in range(6):
        trial.report(float(worse[i]), i)
    p = pruner.probability_of_beating([float(v) for v in worse[:6]], 20, float(losses[-1]),
                                      pfnopt.StudyDirection.MINIMIZE)
    assert 0.0 <= p <= 1.0
    assert trial.should_prune() == (p < 0.5)
    assert pruner._pfn().record["step"] == 30


def test_lcbench_pruned_search_end_to_end():
    pytest.importorskip("onnxruntime")
    from pfnopt.multifidelity import LCBench, default_lcbench_dir
    from pfnopt.multifidelity.compare import run_search

    if not (default_lcbench_dir() / "model.onnx").is_file():
        pytest.skip("no LCBench data (set PFNOPT_LCBENCH_DIR)")
    bench = LCBench()
    c = bench.curves("3945", LCBench.random_configs(3, np.random.default_rng(0)))
    assert c.shape == (3, 52) and (c > 0).all() and (c <= 100).all()
    none = run_search(bench, "3945", create_pruner("none"), "none", 0, 52 * 4)
    cur = run_search(bench, "3945", CurvePFNPruner(max_steps=52), "curve-pfn", 0, 52 * 4)
    assert none.n_trials == 4 and none.epochs_used == cur.epochs_used == 208
    assert cur.n_trials > none.n_trials  # it pruned some trials and spent the epochs on new ones
    with pytest.raises(pfnopt.ParameterError, match="task='nope'"):
        bench.curves("nope", [])
