"""MLP-Mixer (Tolstikhin et al., NeurIPS 2021): an MLP across patches mixes tokens."""

from __future__ import annotations

from pfnopt.automl.models.config import ModelConfig
from pfnopt.automl.models.layers import PatchClassifier, TokenMlp


def build(cfg: ModelConfig) -> PatchClassifier:
    return PatchClassifier(cfg, mixer=lambda n_tokens, grid: TokenMlp(n_tokens, cfg.width, cfg.mlp_ratio, cfg.dropout))
