"""The glibc allocator tuning used for PFN inference: applied once, and switched off by the environment."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_PROBE = (
    "import ctypes, pfnopt.surrogate.allocator as a; "
    "first = a.tune_malloc(); second = a.tune_malloc(); "
    "print(first, second)"
)


def _probe(env_value: str | None) -> str:
    env = dict(os.environ)
    env.pop("PFNOPT_TUNE_MALLOC", None)
    if env_value is not None:
        env["PFNOPT_TUNE_MALLOC"] = env_value
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt is Linux-only")
def test_thresholds_raised_once_on_glibc():
    assert _probe(None) == "True True"


def test_opt_out_leaves_the_allocator_alone():
    assert _probe("0") == "False False"


def test_loading_a_pfn_applies_it(monkeypatch):
    import pfnopt.surrogate.allocator as allocator
    from pfnopt.surrogate import load_pfn

    monkeypatch.setattr(allocator, "_state", {})
    load_pfn()
    assert "done" in allocator._state
