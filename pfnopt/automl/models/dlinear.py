"""DLinear (Zeng et al., AAAI 2023), the floor baseline: a moving average splits each series into
trend and remainder, and one linear map over time for each (shared by the channels) forecasts."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pfnopt.automl.models.config import ModelConfig
from pfnopt.automl.models.layers import RevIN


class DLinear(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.kernel = cfg.ma_kernel
        self.revin = RevIN(cfg.n_channels) if cfg.revin else None
        self.trend = nn.Linear(cfg.lookback, cfg.horizon)
        self.season = nn.Linear(cfg.lookback, cfg.horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, L, c) -> (b, H, c)
        stats = None
        if self.revin is not None:
            x, stats = self.revin.norm(x)
        s = x.transpose(1, 2)  # (b, c, L)
        k = self.kernel
        padded = torch.cat([s[..., :1].expand(-1, -1, (k - 1) // 2), s, s[..., -1:].expand(-1, -1, k // 2)], dim=-1)
        trend = F.avg_pool1d(padded, kernel_size=k, stride=1)  # (b, c, L)
        y = (self.trend(trend) + self.season(s - trend)).transpose(1, 2)  # (b, H, c)
        return self.revin.denorm(y, stats) if self.revin is not None else y


def build(cfg: ModelConfig) -> DLinear:
    return DLinear(cfg)
