"""ConvMixer-like (Trockman & Kolter, 2022, "Patches are all you need?"): a depthwise convolution
over the patch grid mixes tokens; the channel MLP plays the pointwise convolution."""

from __future__ import annotations

from pfnopt.automl.models.config import ModelConfig
from pfnopt.automl.models.layers import DepthwiseConv, PatchClassifier


def build(cfg: ModelConfig) -> PatchClassifier:
    return PatchClassifier(cfg, mixer=lambda n_tokens, grid: DepthwiseConv(grid, cfg.width, cfg.kernel_size))
