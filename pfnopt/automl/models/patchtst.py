"""PatchTST (Nie et al., ICLR 2023), as in the paper's supervised model.

    RevIN -> channel-independent patches (end padded by ``stride``) -> linear patch embedding
    + learned positions -> dropout -> depth x encoder layer -> flatten head -> head dropout

An encoder layer is post-norm, as the paper's code defaults to::

    x = norm(x + dropout(attention(x)))        attention weights dropped with attn_dropout
    x = norm(x + dropout(ffn(x)))               ffn: d -> d_ff -> d, GELU, dropout inside

with ``norm`` a BatchNorm over the width (the paper's choice: it copes with outliers in series)
or a LayerNorm. The paper's ETTh1 model: lookback 336, patch 16, stride 8, d_model 16 (``width``),
d_ff 128, 3 layers, 4 heads, dropout 0.3, head dropout 0, attention dropout 0. Left out: the
paper's "residual attention" (previous layer's scores added to the next layer's), which the fused
attention kernel cannot return.
"""

from __future__ import annotations

import torch
from torch import nn

from pfnopt.automl.models.config import ModelConfig
from pfnopt.automl.models.layers import Attention, RevIN, SeriesPatchEmbed


class TokenNorm(nn.Module):
    """LayerNorm over the width, or BatchNorm over the width with statistics over batch and
    tokens (``kind="batch"``). (B, n, d) -> (B, n, d)."""

    def __init__(self, kind: str, width: int):
        super().__init__()
        self.batch = kind == "batch"
        self.norm = nn.BatchNorm1d(width) if self.batch else nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.batch:
            return self.norm(x.transpose(1, 2)).transpose(1, 2)  # BatchNorm1d wants (B, d, n)
        return self.norm(x)


class EncoderLayer(nn.Module):
    """Post-norm transformer encoder layer with separate attention and residual dropout."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.width
        self.attn = Attention(d, cfg.heads, cfg.attn_dropout)
        self.drop_attn = nn.Dropout(cfg.dropout)
        self.norm_attn = TokenNorm(cfg.norm, d)
        self.ffn = nn.Sequential(
            nn.Linear(d, cfg.ff_width), nn.GELU(), nn.Dropout(cfg.dropout), nn.Linear(cfg.ff_width, d)
        )
        self.drop_ffn = nn.Dropout(cfg.dropout)
        self.norm_ffn = TokenNorm(cfg.norm, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, n, d) -> (B, n, d)
        x = self.norm_attn(x + self.drop_attn(self.attn(x)))
        return self.norm_ffn(x + self.drop_ffn(self.ffn(x)))


class PatchTST(nn.Module):
    """Series (b, L, c) -> forecast (b, H, c); every channel is an independent series."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.revin = RevIN(cfg.n_channels) if cfg.revin else None
        self.embed = SeriesPatchEmbed(cfg.lookback, cfg.patch_len, cfg.stride, cfg.width, cfg.dropout)
        self.layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.depth))
        n = self.embed.n_patches
        self.head = nn.Sequential(
            nn.Flatten(1), nn.Linear(n * cfg.width, cfg.horizon), nn.Dropout(cfg.head_dropout)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, L, c) -> (b, H, c)
        b, L, c = x.shape
        stats = None
        if self.revin is not None:
            x, stats = self.revin.norm(x)
        z = self.embed(x.transpose(1, 2).reshape(b * c, L))  # (b*c, n, d)
        for layer in self.layers:
            z = layer(z)
        y = self.head(z).view(b, c, -1).transpose(1, 2)  # (b*c, H) -> (b, H, c)
        return self.revin.denorm(y, stats) if self.revin is not None else y


def build(cfg: ModelConfig) -> PatchTST:
    return PatchTST(cfg)
