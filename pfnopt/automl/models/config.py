"""The one config of every patch model: what to build, stored next to the weights on export.

A :class:`ModelConfig` holds the data shape (lookback/horizon/channels for a forecaster, image
size/channels/classes for a classifier) and the architecture (family, width, depth, ...). Fields
a family does not use keep their defaults and are ignored by it. ``to_dict``/``from_dict`` give the
JSON form, so an exported model is rebuilt exactly (no pickle).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from pfnopt.exceptions import ParameterError

FORECAST_FAMILIES = ("patchtst", "tsmixer", "patchtsmixer", "resmlp", "dlinear")
CLASSIFY_FAMILIES = ("vit", "mixer", "poolformer", "convmixer")
FAMILIES = {"forecast": FORECAST_FAMILIES, "classify": CLASSIFY_FAMILIES}


@dataclass
class ModelConfig:
    family: str  # one of FAMILIES[kind]
    kind: str = "forecast"  # "forecast" (series -> horizon) or "classify" (image -> class logits)
    # data shape ------------------------------------------------------------------------------
    lookback: int = 96  # forecast: input length L
    horizon: int = 96  # forecast: output length H
    n_channels: int = 1  # forecast: series channels c (handled independently); classify: image channels C
    image_size: tuple[int, int] = (8, 8)  # classify: (height, width)
    n_classes: int = 10  # classify
    # architecture ----------------------------------------------------------------------------
    patch_len: int = 16  # forecast: patch length in time steps; classify: patch side in pixels
    stride: int = 8  # forecast: step between patches (classify: patches never overlap)
    width: int = 64  # token width d
    depth: int = 2  # number of MetaFormer blocks
    heads: int = 4  # attention families only; width % heads == 0
    mlp_ratio: float = 2.0  # hidden width of the channel MLP (and token MLP) as a multiple
    d_ff: int = 0  # hidden width of the channel MLP; 0: round(width * mlp_ratio) (PatchTST's d_ff)
    dropout: float = 0.1  # residual, MLP and embedding dropout
    attn_dropout: float = 0.0  # attention families: dropout on the attention weights (0: fused kernel)
    head_dropout: float = 0.0  # patchtst: dropout after the flatten head
    norm: str = "layer"  # patchtst, tsmixer: "layer" (LayerNorm) or "batch" (BatchNorm, the papers' choice)
    revin: bool = True  # forecast: reversible instance normalisation
    gated: bool = False  # patchtsmixer: gated token mixing
    pool_size: int = 3  # poolformer: average-pool window
    stages: int = 1  # poolformer: stages; each halves the grid (3x3 stride-2 conv) and doubles the width
    stage_depths: tuple[int, ...] = ()  # poolformer: blocks per stage (default: depth in every stage)
    stage_widths: tuple[int, ...] = ()  # poolformer: width per stage (default: width * 2**i)
    layer_scale: float = 0.0  # poolformer: LayerScale initial value (paper 1e-5; 0: off)
    kernel_size: int = 3  # convmixer: depthwise kernel
    ma_kernel: int = 25  # dlinear: moving-average window of the trend

    def validate(self) -> "ModelConfig":
        """Raise a ParameterError naming the field when the architecture cannot be built."""
        if self.kind not in FAMILIES:
            raise ParameterError(f"kind must be 'forecast' or 'classify', got {self.kind!r}")
        if self.family not in FAMILIES[self.kind]:
            raise ParameterError(
                f"family {self.family!r} is not a {self.kind} family; allowed: {', '.join(FAMILIES[self.kind])}"
            )
        for name in (
            "width",
            "depth",
            "heads",
            "patch_len",
            "stride",
            "n_channels",
            "pool_size",
            "kernel_size",
            "ma_kernel",
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < (0 if name == "depth" else 1):
                raise ParameterError(f"{name} must be a positive integer, got {v!r}")
        if not self.mlp_ratio > 0:
            raise ParameterError(f"mlp_ratio must be > 0, got {self.mlp_ratio!r}")
        if isinstance(self.d_ff, bool) or not isinstance(self.d_ff, int) or self.d_ff < 0:
            raise ParameterError(f"d_ff must be a non-negative integer (0: width * mlp_ratio), got {self.d_ff!r}")
        for name in ("dropout", "attn_dropout", "head_dropout"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0.0 <= v < 1.0):
                raise ParameterError(f"{name} must be in [0, 1), got {v!r}")
        if self.norm not in ("layer", "batch"):
            raise ParameterError(f"norm must be 'layer' or 'batch', got {self.norm!r}")
        if isinstance(self.stages, bool) or not isinstance(self.stages, int) or self.stages < 1:
            raise ParameterError(f"stages must be a positive integer, got {self.stages!r}")
        for name in ("stage_depths", "stage_widths"):
            v = tuple(getattr(self, name))
            if v and (len(v) != self.stages or any(isinstance(e, bool) or not isinstance(e, int) or e < 1 for e in v)):
                raise ParameterError(f"{name} must be empty or {self.stages} positive integers (one per stage), got {v!r}")
        if not (isinstance(self.layer_scale, (int, float)) and self.layer_scale >= 0):
            raise ParameterError(f"layer_scale must be >= 0 (0: off), got {self.layer_scale!r}")
        if self.family in ("patchtst", "vit") and self.width % self.heads:
            raise ParameterError(f"width {self.width} is not divisible by heads {self.heads} ({self.family})")
        if self.kind == "forecast":
            if self.lookback < 1 or self.horizon < 1:
                raise ParameterError(f"lookback and horizon must be >= 1, got {self.lookback}, {self.horizon}")
            if self.family in ("patchtst", "patchtsmixer") and self.patch_len > self.lookback:
                raise ParameterError(f"patch_len {self.patch_len} is longer than the lookback {self.lookback}")
        else:
            h, w = self.image_size
            if self.patch_len > max(h, w):
                raise ParameterError(f"patch_len {self.patch_len} is larger than the image {h}x{w}")
            if self.n_classes < 2:
                raise ParameterError(f"n_classes must be >= 2, got {self.n_classes}")
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["image_size"] = list(self.image_size)
        d["stage_depths"], d["stage_widths"] = list(self.stage_depths), list(self.stage_widths)
        return d

    @property
    def ff_width(self) -> int:
        """Hidden width of the channel MLP: ``d_ff`` when set, else ``width * mlp_ratio``."""
        return self.d_ff or max(4, int(round(self.width * self.mlp_ratio)))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ParameterError(f"unknown model config field(s) {unknown}; known: {sorted(known)}")
        d = dict(d)
        if "image_size" in d:
            d["image_size"] = tuple(int(v) for v in d["image_size"])
        for name in ("stage_depths", "stage_widths"):
            if name in d:
                d[name] = tuple(d[name])
        return cls(**d)
