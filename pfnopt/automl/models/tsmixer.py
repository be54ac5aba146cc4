"""TSMixer (Chen et al., TMLR 2023, "TSMixer: An All-MLP Architecture for Time Series
Forecasting"): MLPs that mix along time and across the series' channels, in turn.

    RevIN -> depth x [time mixing; feature mixing] -> temporal projection L -> H -> RevIN^-1

on the whole window (b, L, c), no patches::

    time mixing:    x = x + dropout(relu(Linear_L->L(norm(x) along time)))      shared by channels
    feature mixing: x = x + dropout(Linear_ff->c(dropout(relu(Linear_c->ff(norm(x))))))

``norm`` normalises each sample's (L, c) block: BatchNorm over the L*c features (the paper's
default) or LayerNorm over them. ``width`` is the feature MLP's hidden size (the paper's
ff_dim); ``depth`` its number of blocks (n_block). The paper's ETTh1 model: lookback 512, 2
blocks, ff_dim 64, dropout 0.9. With one channel, feature mixing is an MLP 1 -> ff -> 1.
Its channel-independent patch sibling is :mod:`.patchtsmixer`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pfnopt.automl.models.config import ModelConfig
from pfnopt.automl.models.layers import RevIN


class WindowNorm(nn.Module):
    """Normalise the (L, c) block of each sample: BatchNorm over its L*c features or LayerNorm."""

    def __init__(self, kind: str, lookback: int, n_channels: int):
        super().__init__()
        self.batch = kind == "batch"
        self.norm = nn.BatchNorm1d(lookback * n_channels) if self.batch else nn.LayerNorm([lookback, n_channels])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, L, c) -> (b, L, c)
        if self.batch:
            return self.norm(x.flatten(1)).view_as(x)
        return self.norm(x)


class MixerBlock(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        L, c = cfg.lookback, cfg.n_channels
        self.norm_time = WindowNorm(cfg.norm, L, c)
        self.time = nn.Linear(L, L)
        self.norm_feat = WindowNorm(cfg.norm, L, c)
        self.feat_in = nn.Linear(c, cfg.width)
        self.feat_out = nn.Linear(cfg.width, c)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, L, c) -> (b, L, c)
        t = self.norm_time(x).transpose(1, 2)  # (b, c, L)
        x = x + self.drop(F.relu(self.time(t))).transpose(1, 2)
        f = self.drop(F.relu(self.feat_in(self.norm_feat(x))))  # (b, L, ff)
        return x + self.drop(self.feat_out(f))


class TSMixer(nn.Module):
    """Series (b, L, c) -> forecast (b, H, c), mixing across channels."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.revin = RevIN(cfg.n_channels) if cfg.revin else None
        self.blocks = nn.ModuleList(MixerBlock(cfg) for _ in range(cfg.depth))
        self.proj = nn.Linear(cfg.lookback, cfg.horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, L, c) -> (b, H, c)
        stats = None
        if self.revin is not None:
            x, stats = self.revin.norm(x)
        for blk in self.blocks:
            x = blk(x)
        y = self.proj(x.transpose(1, 2)).transpose(1, 2)  # (b, c, L) -> (b, c, H) -> (b, H, c)
        return self.revin.denorm(y, stats) if self.revin is not None else y


def build(cfg: ModelConfig) -> TSMixer:
    return TSMixer(cfg)
