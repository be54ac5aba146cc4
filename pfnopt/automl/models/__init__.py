"""The patch-model family: one MetaFormer skeleton, the token mixer chosen per family.

``build_model(config)`` builds any family from a :class:`ModelConfig` (or its dict form)::

    from pfnopt.automl.models import ModelConfig, build_model
    net = build_model(ModelConfig("patchtst", lookback=96, horizon=96, n_channels=7, heads=4))
    y = net(torch.randn(32, 96, 7))   # (32, 96, 7)

Forecasters (``kind="forecast"``): patchtst, tsmixer, resmlp, dlinear. Image classifiers
(``kind="classify"``): vit, mixer, poolformer, convmixer.
"""

from __future__ import annotations

import importlib
from typing import Any

from pfnopt.automl.models.config import CLASSIFY_FAMILIES, FAMILIES, FORECAST_FAMILIES, ModelConfig


def build_model(config: "ModelConfig | dict[str, Any]"):  # -> torch.nn.Module
    """The model of ``config`` (validated first: a bad family or shape raises ParameterError)."""
    cfg = config if isinstance(config, ModelConfig) else ModelConfig.from_dict(config)
    cfg.validate()
    module = importlib.import_module(f"pfnopt.automl.models.{cfg.family}")
    return module.build(cfg)


__all__ = ["CLASSIFY_FAMILIES", "FAMILIES", "FORECAST_FAMILIES", "ModelConfig", "build_model"]
