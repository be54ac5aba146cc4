"""PoolFormer (Yu et al., CVPR 2022, "MetaFormer is actually what you need for vision"): average
pooling is the whole token mixer, in a hierarchy of stages, with LayerScale.

    patch stem (p x p conv) -> stage 1 -> [3x3 stride-2 conv] -> stage 2 -> ... -> norm -> mean -> linear

A stage is ``stage_depths[i]`` blocks (default ``depth``) of width ``stage_widths[i]`` (default
``width * 2**i``) on a grid that halves from stage to stage. A block, on the (b, d, h, w) grid::

    x = x + ls1 * (pool(norm(x)) - norm(x))      norm: GroupNorm with one group, as in the paper
    x = x + ls2 * mlp(norm(x))                   mlp: 1x1 convs d -> d_ff -> d, GELU

``ls1``/``ls2`` are LayerScale vectors initialised to ``layer_scale`` (the paper: 1e-5; 0 turns
them off). No position embedding. The paper's S12: patch stem 7x7 stride 4, stage_depths
(2, 2, 6, 2), stage_widths (64, 128, 320, 512), mlp_ratio 4, pool 3, layer_scale 1e-5; here the
stem is non-overlapping (``patch_len`` x ``patch_len``) since the images are small.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from pfnopt.automl.models.config import ModelConfig


def stage_plan(cfg: ModelConfig) -> list[tuple[int, int]]:
    """(depth, width) of every stage."""
    depths = cfg.stage_depths or (cfg.depth,) * cfg.stages
    widths = cfg.stage_widths or tuple(cfg.width * 2**i for i in range(cfg.stages))
    return list(zip(depths, widths))


class PoolFormerBlock(nn.Module):
    def __init__(self, dim: int, hidden: int, pool_size: int, dropout: float, layer_scale: float):
        super().__init__()
        self.norm1 = nn.GroupNorm(1, dim)
        self.pool = nn.AvgPool2d(pool_size, stride=1, padding=pool_size // 2, count_include_pad=False)
        self.norm2 = nn.GroupNorm(1, dim)
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, dim, 1)
        self.drop = nn.Dropout(dropout)
        if layer_scale > 0:
            self.ls1 = nn.Parameter(torch.full((dim, 1, 1), float(layer_scale)))
            self.ls2 = nn.Parameter(torch.full((dim, 1, 1), float(layer_scale)))
        else:
            self.ls1 = self.ls2 = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, d, h, w) -> (b, d, h, w)
        h, w = x.shape[-2:]
        y = self.norm1(x)
        mixed = self.pool(y)[..., :h, :w] - y  # an even pool size gives one extra row/col
        x = x + (mixed if self.ls1 is None else self.ls1 * mixed)
        m = self.drop(self.fc2(self.drop(F.gelu(self.fc1(self.norm2(x))))))
        return x + (m if self.ls2 is None else self.ls2 * m)


class PoolFormer(nn.Module):
    """Image (b, C, H, W) -> logits (b, classes)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        p = cfg.patch_len
        H, W = cfg.image_size
        self.pad = (0, math.ceil(W / p) * p - W, 0, math.ceil(H / p) * p - H)
        plan = stage_plan(cfg)
        self.stem = nn.Conv2d(cfg.n_channels, plan[0][1], kernel_size=p, stride=p)
        layers: list[nn.Module] = []
        prev = plan[0][1]
        for i, (depth, width) in enumerate(plan):
            if i > 0:
                layers.append(nn.Conv2d(prev, width, kernel_size=3, stride=2, padding=1))  # halve the grid
            hidden = max(4, int(round(width * cfg.mlp_ratio))) if not cfg.d_ff else cfg.d_ff
            layers.extend(
                PoolFormerBlock(width, hidden, cfg.pool_size, cfg.dropout, cfg.layer_scale) for _ in range(depth)
            )
            prev = width
        self.stages = nn.Sequential(*layers)
        self.norm = nn.GroupNorm(1, prev)
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(prev, cfg.n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, C, H, W) -> (b, classes)
        if any(self.pad):
            x = F.pad(x, self.pad)
        z = self.norm(self.stages(self.stem(x)))  # (b, d_last, h', w')
        return self.head(z.mean(dim=(2, 3)))


def build(cfg: ModelConfig) -> PoolFormer:
    return PoolFormer(cfg)
