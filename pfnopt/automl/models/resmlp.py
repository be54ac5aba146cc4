"""A residual-MLP forecaster in the spirit of TiDE (Das et al., 2023) and N-BEATS: the whole
lookback is one token, ``depth`` residual MLP blocks (no token mixer), a linear head, and TiDE's
linear lookback -> horizon skip. No attention, no patches."""

from __future__ import annotations

from pfnopt.automl.models.config import ModelConfig
from pfnopt.automl.models.layers import PatchForecaster


def build(cfg: ModelConfig) -> PatchForecaster:
    return PatchForecaster(cfg, mixer=lambda n_tokens: None, patch_len=cfg.lookback, stride=cfg.lookback, skip=True)
