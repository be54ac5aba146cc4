"""Shared pieces of the patch-model family, written once: the MetaFormer view.

    patchify -> depth x [norm -> token mixer -> residual; norm -> channel MLP -> residual] -> head

Only the token mixer differs between families (attention, token MLP, pooling, depthwise conv, or
none), so a family file is a choice of mixer plus a few lines. Ordered from leaf modules to the
two top models (:class:`PatchForecaster`, :class:`PatchClassifier`). Shapes: ``b`` batch, ``L``
lookback, ``H`` horizon, ``c`` series channels, ``n`` tokens (patches), ``d`` width, ``P`` patch
length, ``C`` image channels, ``h x w`` the token grid of an image.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from pfnopt.automl.models.config import ModelConfig


class RevIN(nn.Module):
    """Reversible instance normalisation (Kim et al., ICLR 2022): each series is standardised over
    its own lookback, the model forecasts in that scale, and the forecast is mapped back."""

    def __init__(self, n_channels: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n_channels))
        self.bias = nn.Parameter(torch.zeros(n_channels))

    def norm(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        # x: (b, L, c) -> (b, L, c), stats (b, 1, c) each
        mean = x.mean(dim=1, keepdim=True).detach()
        std = torch.sqrt(x.var(dim=1, keepdim=True, unbiased=False) + self.eps).detach()
        return (x - mean) / std * self.weight + self.bias, (mean, std)

    def denorm(self, y: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        # y: (b, H, c) -> (b, H, c)
        mean, std = stats
        return (y - self.bias) / (self.weight + self.eps * self.eps) * std + mean


class SeriesPatchEmbed(nn.Module):
    """Channel-independent patches of a univariate series (PatchTST): the end is padded by
    repeating the last value ``stride`` times, then windows of ``P`` every ``stride`` steps."""

    def __init__(self, lookback: int, patch_len: int, stride: int, width: int, dropout: float):
        super().__init__()
        self.patch_len, self.stride = patch_len, stride
        self.pad = stride if patch_len < lookback else 0  # one patch covering everything needs none
        self.n_patches = (lookback + self.pad - patch_len) // stride + 1
        # (n, P) positions of every patch: a gather instead of Tensor.unfold, which the ONNX
        # exporter cannot take with a free batch size; not saved (the weights stay the same)
        index = torch.arange(self.n_patches)[:, None] * stride + torch.arange(patch_len)[None, :]
        self.register_buffer("index", index, persistent=False)
        self.proj = nn.Linear(patch_len, width)
        self.pos = nn.Parameter(torch.randn(self.n_patches, width) * 0.02)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, L) with B = b * c -> (B, n, d)
        if self.pad:
            x = torch.cat([x, x[:, -1:].expand(-1, self.pad)], dim=1)  # (B, L + pad)
        patches = x[:, self.index]  # (B, n, P)
        return self.drop(self.proj(patches) + self.pos)


class ImagePatchEmbed(nn.Module):
    """Non-overlapping ``p x p`` patches by a strided convolution; an image whose side is not a
    multiple of ``p`` is zero-padded on the bottom/right."""

    def __init__(self, in_chans: int, image_size: tuple[int, int], patch: int, width: int, dropout: float):
        super().__init__()
        self.patch = patch
        self.grid = (math.ceil(image_size[0] / patch), math.ceil(image_size[1] / patch))  # (h, w)
        self.pad = (0, self.grid[1] * patch - image_size[1], 0, self.grid[0] * patch - image_size[0])
        self.proj = nn.Conv2d(in_chans, width, kernel_size=patch, stride=patch)
        self.pos = nn.Parameter(torch.randn(self.grid[0] * self.grid[1], width) * 0.02)
        self.drop = nn.Dropout(dropout)

    @property
    def n_patches(self) -> int:
        return self.grid[0] * self.grid[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, C, H, W) -> (b, n, d), n = h * w
        if any(self.pad):
            x = F.pad(x, self.pad)
        x = self.proj(x)  # (b, d, h, w)
        return self.drop(x.flatten(2).transpose(1, 2) + self.pos)


class Mlp(nn.Module):
    """Linear -> GELU -> dropout -> linear -> dropout, over the last dimension."""

    def __init__(self, dim: int, hidden: int, dropout: float, out: int | None = None):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, out or dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (..., dim) -> (..., out)
        return self.drop(self.fc2(self.drop(F.gelu(self.fc1(x)))))


def hidden_width(dim: int, ratio: float) -> int:
    return max(4, int(round(dim * ratio)))


# token mixers: (b, n, d) -> (b, n, d) ----------------------------------------------------------
class Attention(nn.Module):
    """Multi-head self-attention through ``F.scaled_dot_product_attention``: fused kernels (flash /
    memory-efficient on CUDA, the flash kernel on CPU). ``attn_dropout`` drops attention weights;
    at 0 (the default of PatchTST and ViT) no mask is drawn at all, which keeps the fused path:
    with a mask the CPU falls back to the math path, where the masks cost ~40% of a PatchTST step."""

    def __init__(self, width: int, heads: int, attn_dropout: float = 0.0):
        super().__init__()
        assert width % heads == 0, f"width {width} not divisible by heads {heads}"
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.attn_dropout = float(attn_dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, n, d) -> (b, n, d)
        b, n, d = x.shape
        qkv = self.qkv(x).view(b, n, 3, self.heads, d // self.heads)  # (b, n, 3, heads, d/heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (b, heads, n, d/heads)
        p = self.attn_dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        return self.proj(y.transpose(1, 2).reshape(b, n, d))  # (b, n, d)


class TokenMlp(nn.Module):
    """MLP across tokens (MLP-Mixer, TSMixer); ``gated`` adds PatchTSMixer's gating
    ``y * softmax(W y)`` over the width."""

    def __init__(self, n_tokens: int, width: int, ratio: float, dropout: float, gated: bool = False):
        super().__init__()
        self.mlp = Mlp(n_tokens, hidden_width(n_tokens, ratio), dropout)
        self.gate = nn.Linear(width, width) if gated else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.mlp(x.transpose(1, 2)).transpose(1, 2)  # (b, d, n) mixed over n -> (b, n, d)
        if self.gate is not None:
            y = y * torch.softmax(self.gate(y), dim=-1)
        return y


class _GridMixer(nn.Module):
    """Base of mixers that see the tokens as an image grid (pooling, depthwise conv)."""

    def __init__(self, grid: tuple[int, int]):
        super().__init__()
        self.grid = grid

    def to_grid(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        return x.transpose(1, 2).reshape(b, d, *self.grid)  # (b, d, h, w)

    @staticmethod
    def to_tokens(x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2).transpose(1, 2)  # (b, d, h, w) -> (b, n, d)


class Pooling(_GridMixer):
    """PoolFormer's mixer: average pooling minus identity (the block adds the identity back)."""

    def __init__(self, grid: tuple[int, int], pool_size: int):
        super().__init__(grid)
        self.pool = nn.AvgPool2d(pool_size, stride=1, padding=pool_size // 2, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.to_grid(x)
        h, w = self.grid
        return self.to_tokens(self.pool(g)[..., :h, :w] - g)  # even pool sizes give one extra row/col


class DepthwiseConv(_GridMixer):
    """ConvMixer's mixer: a depthwise convolution over the token grid, then GELU."""

    def __init__(self, grid: tuple[int, int], width: int, kernel_size: int):
        super().__init__(grid)
        self.conv = nn.Conv2d(width, width, kernel_size, padding="same", groups=width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_tokens(F.gelu(self.conv(self.to_grid(x))))


# the block and the two top models ----------------------------------------------------------
class MetaFormerBlock(nn.Module):
    """norm -> token mixer -> residual; norm -> channel MLP -> residual. ``mixer=None`` leaves the
    first half out (a residual MLP)."""

    def __init__(self, width: int, mixer: nn.Module | None, hidden: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(width) if mixer is not None else None
        self.mixer = mixer
        self.drop = nn.Dropout(dropout)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = Mlp(width, hidden, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, n, d) -> (b, n, d)
        if self.mixer is not None:
            x = x + self.drop(self.mixer(self.norm1(x)))
        return x + self.mlp(self.norm2(x))


MixerFactory = Callable[[int], "nn.Module | None"]  # n_tokens -> a token mixer (or None)


class PatchForecaster(nn.Module):
    """Series (b, L, c) -> forecast (b, H, c): RevIN, channel-independent patches, MetaFormer
    blocks, flatten head. ``skip=True`` adds a linear lookback -> horizon path (TiDE)."""

    def __init__(self, cfg: ModelConfig, mixer: MixerFactory, patch_len: int, stride: int, skip: bool = False):
        super().__init__()
        self.cfg = cfg
        self.revin = RevIN(cfg.n_channels) if cfg.revin else None
        self.embed = SeriesPatchEmbed(cfg.lookback, patch_len, stride, cfg.width, cfg.dropout)
        n = self.embed.n_patches
        self.blocks = nn.ModuleList(
            MetaFormerBlock(cfg.width, mixer(n), cfg.ff_width, cfg.dropout) for _ in range(cfg.depth)
        )
        self.norm = nn.LayerNorm(cfg.width)
        self.head = nn.Sequential(nn.Flatten(1), nn.Dropout(cfg.dropout), nn.Linear(n * cfg.width, cfg.horizon))
        self.skip = nn.Linear(cfg.lookback, cfg.horizon) if skip else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, L, c) -> (b, H, c)
        b, L, c = x.shape
        stats = None
        if self.revin is not None:
            x, stats = self.revin.norm(x)
        s = x.transpose(1, 2).reshape(b * c, L)  # (b*c, L): channels are independent series
        z = self.embed(s)  # (b*c, n, d)
        for blk in self.blocks:
            z = blk(z)
        y = self.head(self.norm(z))  # (b*c, H)
        if self.skip is not None:
            y = y + self.skip(s)
        y = y.view(b, c, -1).transpose(1, 2)  # (b, H, c)
        return self.revin.denorm(y, stats) if self.revin is not None else y


class PatchClassifier(nn.Module):
    """Image (b, C, H, W) -> logits (b, classes): patches, MetaFormer blocks, mean-pool head."""

    def __init__(self, cfg: ModelConfig, mixer: Callable[[int, tuple[int, int]], nn.Module]):
        super().__init__()
        self.cfg = cfg
        self.embed = ImagePatchEmbed(cfg.n_channels, tuple(cfg.image_size), cfg.patch_len, cfg.width, cfg.dropout)
        grid = self.embed.grid
        self.blocks = nn.ModuleList(
            MetaFormerBlock(cfg.width, mixer(self.embed.n_patches, grid), cfg.ff_width, cfg.dropout)
            for _ in range(cfg.depth)
        )
        self.norm = nn.LayerNorm(cfg.width)
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(cfg.width, cfg.n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, C, H, W) -> (b, classes)
        z = self.embed(x)  # (b, n, d)
        for blk in self.blocks:
            z = blk(z)
        return self.head(self.norm(z).mean(dim=1))  # (b, d) -> (b, classes)
