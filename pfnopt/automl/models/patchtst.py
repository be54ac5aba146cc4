"""PatchTST (Nie et al., ICLR 2023): channel-independent patches, self-attention across patches."""

from __future__ import annotations

from pfnopt.automl.models.config import ModelConfig
from pfnopt.automl.models.layers import Attention, PatchForecaster


def build(cfg: ModelConfig) -> PatchForecaster:
    return PatchForecaster(
        cfg,
        mixer=lambda n_tokens: Attention(cfg.width, cfg.heads, cfg.dropout),
        patch_len=cfg.patch_len,
        stride=cfg.stride,
    )
