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

FORECAST_FAMILIES = ("patchtst", "tsmixer", "resmlp", "dlinear")
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
    dropout: float = 0.1
    revin: bool = True  # forecast: reversible instance normalisation
    gated: bool = False  # tsmixer: gated token mixing
    pool_size: int = 3  # poolformer: average-pool window
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
        if not 0.0 <= self.dropout < 1.0:
            raise ParameterError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.family in ("patchtst", "vit") and self.width % self.heads:
            raise ParameterError(f"width {self.width} is not divisible by heads {self.heads} ({self.family})")
        if self.kind == "forecast":
            if self.lookback < 1 or self.horizon < 1:
                raise ParameterError(f"lookback and horizon must be >= 1, got {self.lookback}, {self.horizon}")
            if self.family in ("patchtst", "tsmixer") and self.patch_len > self.lookback:
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
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ParameterError(f"unknown model config field(s) {unknown}; known: {sorted(known)}")
        d = dict(d)
        if "image_size" in d:
            d["image_size"] = tuple(int(v) for v in d["image_size"])
        return cls(**d)
