"""Surrogate tests: small transformers with non-trivial weights."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def perturbed_model():
    """``make(config) -> PFNTransformer`` in eval mode, seeded, every weight moved by 0.1 N(0, 1) so that no
    layer is at its initialisation (zero-initialised outputs would hide wiring mistakes)."""
    from pfnopt.surrogate.model import PFNTransformer

    def make(config):
        torch.manual_seed(0)
        model = PFNTransformer(config).eval()
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.1 * torch.randn_like(p))
        return model

    return make
