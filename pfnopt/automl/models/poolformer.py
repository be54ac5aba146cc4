"""PoolFormer (Yu et al., CVPR 2022, "MetaFormer is actually what you need"): average pooling
over the patch grid is the whole token mixer."""

from __future__ import annotations

from pfnopt.automl.models.config import ModelConfig
from pfnopt.automl.models.layers import PatchClassifier, Pooling


def build(cfg: ModelConfig) -> PatchClassifier:
    return PatchClassifier(cfg, mixer=lambda n_tokens, grid: Pooling(grid, cfg.pool_size))
