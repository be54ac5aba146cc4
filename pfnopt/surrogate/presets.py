"""The pre-training config (one dataclass) and its named presets, with the priors they train on.

``preset(name, **overrides)`` returns a copy; ``pfnopt pretrain --preset NAME`` and the tests build from here, and
a run directory's ``config.json`` records the whole :class:`TrainConfig` (``to_dict``/``from_dict``), so a resumed
run checks it is continuing the same configuration. The loop that consumes it is :mod:`pfnopt.surrogate.train`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from pfnopt.surrogate.model import PFNConfig
from pfnopt.surrogate.priors import CurvePrior, GPPrior, GPPriorConfig

DEFAULT_BAG = {
    "name": "bag",
    "components": [
        GPPrior().to_dict(),
        {"name": "mlp", "p_clustered": 0.3, "p_irrelevant": 0.3},
        {"name": "steps", "p_clustered": 0.3, "p_irrelevant": 0.3},
    ],
    "weights": [0.8, 0.1, 0.1],
}

# Prior v2 (issue: beat a fitted GP on noiseless engineering functions). Each component and why: see
# priors/gp.py (deterministic noise, long lengthscales, linear/quadratic means, stepped inputs),
# priors/engineering.py (posynomials and their ratios) and priors/nongp.py (deterministic share).
PRIOR_V2 = {
    "name": "bag",
    "components": [
        GPPrior(
            GPPriorConfig(
                p_deterministic=0.5,
                p_long_lengthscale=0.25,
                p_linear_mean=0.25,
                p_quadratic_mean=0.2,
                p_quantized=0.15,
            )
        ).to_dict(),
        {"name": "posynomial"},
        {"name": "mlp", "p_clustered": 0.3, "p_irrelevant": 0.3, "p_deterministic": 0.5},
        {"name": "steps", "p_clustered": 0.3, "p_irrelevant": 0.3, "p_deterministic": 0.5},
    ],
    "weights": [0.65, 0.15, 0.1, 0.1],
}


@dataclass
class TrainConfig:
    preset: str = "small"
    model: PFNConfig = field(default_factory=PFNConfig)
    prior: dict = field(default_factory=lambda: dict(DEFAULT_BAG))  # the prior's JSON record (make_prior)
    steps: int = 20_000  # optimizer steps
    tokens_per_batch: int = 3072  # points per batch (context + targets over all data sets)
    n_targets: int = 64  # target points per data set
    min_batch: int = 8
    max_batch: int = 128
    n_min: int = 3  # smallest context trained for (1-2 points destabilise training; the wrapper warns below it)
    n_start: int = 30  # largest context at step 0 (curriculum)
    curriculum_frac: float = 0.3  # share of the steps over which the largest context grows to n_max
    lr: float = 1e-3
    min_lr_frac: float = 0.05
    warmup: int = 500
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    border_samples: int = 400_000  # prior target values for the equal-mass bucket borders
    val_per_n: int = 24  # held-out GP data sets per context size in the validation set
    checkpoint_every: int = 200
    eval_every: int = 500
    seed: int = 0
    device: str = "auto"
    compile: bool = False  # torch.compile on CUDA
    threads: int = 1  # torch CPU threads
    exact_targets: bool = False  # cross-entropy against the exact predictive where the prior has one
    val_prior: dict | None = None  # prior of the validation set (None: the v1 GP prior, as before v2)
    init_from: str | None = None  # warm start: a checkpoint dir, or the name of a packaged one ("v1", "default")
    refine_pieces: tuple[int, int] = (1, 1)  # warm start: pieces per interior bucket, |mid| <= 1.5 / beyond

    def to_dict(self) -> dict:
        d = asdict(self)
        d["model"] = self.model.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        d = dict(d)
        d["model"] = PFNConfig.from_dict(d["model"])
        if "refine_pieces" in d:
            d["refine_pieces"] = tuple(d["refine_pieces"])
        return cls(**d)


PRESETS: dict[str, TrainConfig] = {
    # The shipped CPU default: ~0.18M parameters, 2,048 candidates x 4 outputs at n = 200 in ~0.05 s on 2 cores.
    "small": TrainConfig(
        preset="small",
        model=PFNConfig(emsize=64, n_layer=4, n_head=2, mlp_ratio=2, n_buckets=256, decoder_hidden=128),
        steps=50_000,
        tokens_per_batch=4096,
        warmup=1000,
        checkpoint_every=250,
        eval_every=1000,
    ),
    # For smoke tests: a few seconds end to end.
    "tiny": TrainConfig(
        preset="tiny",
        model=PFNConfig(d_max=4, n_max=32, emsize=32, n_layer=2, n_head=2, n_buckets=32, decoder_hidden=32),
        steps=50,
        tokens_per_batch=1024,
        n_targets=16,
        n_start=8,
        warmup=10,
        border_samples=20_000,
        val_per_n=4,
        checkpoint_every=10,
        eval_every=25,
    ),
    # Prior v2 on the small architecture, warm-started from v1 (checkpoints/v1) with each bucket split in two (in
    # four beyond |y| = 1.5, where a minimisation's incumbent lives): 592 buckets. Exact targets; no curriculum
    # (the warm start has seen every context size); validated on the v2 prior.
    "small-v2": TrainConfig(
        preset="small-v2",
        model=PFNConfig(emsize=64, n_layer=4, n_head=2, mlp_ratio=2, n_buckets=592, decoder_hidden=128),
        prior=PRIOR_V2,
        steps=60_000,
        tokens_per_batch=4096,
        lr=5e-4,
        warmup=300,
        curriculum_frac=0.0,
        checkpoint_every=250,
        eval_every=1000,
        exact_targets=True,
        val_prior=PRIOR_V2,
        init_from="v1",
        refine_pieces=(2, 4),
    ),
    # For a GPU: ~1M parameters and 16x the data per step; too slow for the CPU target, shipped as `base`.
    "base": TrainConfig(
        preset="base",
        model=PFNConfig(emsize=128, n_layer=6, n_head=4, mlp_ratio=2, n_buckets=512, decoder_hidden=256),
        steps=100_000,
        tokens_per_batch=65_536,
        max_batch=1024,
        lr=5e-4,
        warmup=2000,
        border_samples=2_000_000,
        checkpoint_every=1000,
        eval_every=2000,
        compile=True,
        threads=4,
    ),
    # The learning-curve PFN (pfnopt/surrogate/checkpoints/curve): one curve per data set, see priors/curves.py.
    "curve": TrainConfig(
        preset="curve",
        model=PFNConfig(d_max=2, n_max=64, emsize=64, n_layer=3, n_head=2, n_buckets=256, decoder_hidden=128),
        prior=CurvePrior().to_dict(),
        val_prior=CurvePrior().to_dict(),  # held-out curves, not GP data
        steps=6000,
        tokens_per_batch=2048,
        n_targets=16,
        n_start=64,
        warmup=300,
        border_samples=200_000,
        val_per_n=64,
        checkpoint_every=100,
        eval_every=250,
    ),
}


# Phase 4 of the v2 campaign (capacity): small-v2 with six blocks instead of four, warm-started exactly from the
# packaged v2 (the two added blocks start as the identity, see warm_start); same prior, head and exact targets.
PRESETS["small-v2-deep"] = replace(
    PRESETS["small-v2"],
    preset="small-v2-deep",
    model=replace(PRESETS["small-v2"].model, n_layer=6),
    steps=40_000,
    lr=3e-4,
    init_from="v2",
    refine_pieces=(1, 1),
)


def preset(name: str, **overrides) -> TrainConfig:
    if name not in PRESETS:
        raise ValueError(f"preset={name!r} is not known; allowed: {sorted(PRESETS)}")
    return replace(PRESETS[name], **overrides)


def _near_context(prior: dict, p: float) -> dict:
    """``prior`` (a bag's JSON record) with every component's ``p_near_context`` set to ``p``."""
    return prior | {"components": [c | {"p_near_context": p} for c in prior["components"]]}


# Phase 5 of the v2 campaign (nearest-context features): the six-block model told each target's 4 nearest
# context values and distances (PFNConfig.nn_features, model.NeighbourEncoder), and trained with half of the
# data sets' targets half next to context points (priors.base.place_near_context; needs the context/target
# split, i.e. exact_targets). Warm-started exactly from the deep run's best export (step 75,000, validation NLL 0.8103); validated on
# the unchanged v2 prior (uniform targets), so its validation NLL reads like the earlier runs'.
PRESETS["small-v2-nn"] = replace(
    PRESETS["small-v2-deep"],
    preset="small-v2-nn",
    model=replace(PRESETS["small-v2-deep"].model, nn_features=4),
    prior=_near_context(PRIOR_V2, 0.5),
    steps=20_000,  # ~75 min on one core: evaluated in the session that trains it
    init_from="benchmarks/pfn/runs/small-v2-deep/snapshots/s75000",
)
