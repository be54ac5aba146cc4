"""ViT (Dosovitskiy et al., ICLR 2021) at patch scale: self-attention across image patches,
mean-pooled head (no class token)."""

from __future__ import annotations

from pfnopt.automl.models.config import ModelConfig
from pfnopt.automl.models.layers import Attention, PatchClassifier


def build(cfg: ModelConfig) -> PatchClassifier:
    return PatchClassifier(cfg, mixer=lambda n_tokens, grid: Attention(cfg.width, cfg.heads, cfg.attn_dropout))
