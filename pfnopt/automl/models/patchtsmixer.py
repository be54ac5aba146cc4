"""PatchTSMixer (Ekambaram et al., KDD 2023): channel-independent patches as in PatchTST, an MLP
across patches (optionally gated) mixes tokens and the channel MLP mixes within a patch. No
attention, and no mixing across the series' channels (for that, see :mod:`.tsmixer`)."""

from __future__ import annotations

from pfnopt.automl.models.config import ModelConfig
from pfnopt.automl.models.layers import PatchForecaster, TokenMlp


def build(cfg: ModelConfig) -> PatchForecaster:
    return PatchForecaster(
        cfg,
        mixer=lambda n_tokens: TokenMlp(n_tokens, cfg.width, cfg.mlp_ratio, cfg.dropout, gated=cfg.gated),
        patch_len=cfg.patch_len,
        stride=cfg.stride,
    )
