"""state_shapes(cfg): the checkpoint loader's shape check, computed from the config, equals the built model."""

from __future__ import annotations

import sys

import pytest
import torch

from pfnopt.surrogate.checkpoint import read_config, validate_model_config
from pfnopt.surrogate.model import PFNTransformer, state_shapes
from pfnopt.surrogate.pfn import DEFAULT_CHECKPOINT

SHIPPED = read_config(DEFAULT_CHECKPOINT)["model"]


@pytest.mark.parametrize("overrides", [
    {},
    {"n_layer": 1, "emsize": 8, "n_head": 2},
    {"d_max": 3, "mlp_ratio": 4, "n_buckets": 10, "decoder_hidden": 7, "y_features": 1, "n_layer": 3},
])
def test_equals_the_built_models_state_dict(overrides):
    cfg = validate_model_config({**SHIPPED, **overrides})
    with torch.device("meta"):
        built = {k: tuple(v.shape) for k, v in PFNTransformer(cfg).state_dict().items()}
    assert state_shapes(cfg) == built  # same names, same order-free shapes




def test_loading_the_shipped_checkpoint_imports_no_dynamo(tmp_path):
    """A fresh process loads the shipped PFN without torch._dynamo or sympy (the meta-device build imported
    both: seconds of a small program's start)."""
    import os
    import subprocess

    code = ("import sys; from pfnopt.surrogate.pfn import load_pfn; load_pfn(); "
            "print(sorted(m for m in ('torch._dynamo', 'sympy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
