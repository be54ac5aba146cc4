"""Keep large CPU buffers in the process heap between PFN forward passes (glibc only).

Scoring 2,048 candidates x 4 outputs allocates and frees tensors of 1-8 MB a few dozen times per call.
glibc serves allocations above its mmap threshold with fresh ``mmap`` pages, and every fresh page costs a
page fault when first written: on the 2-core machines this project measures on, that was ~25% of a
posterior call at n = 100 (``benchmarks/pfn/speed.py``). Raising the mmap threshold to 32 MB (the
largest glibc accepts) and the trim threshold to 256 MB makes freed buffers stay in the heap, so the next
pass reuses already-mapped pages. PyTorch's own guidance for CPU inference makes the same point by
recommending jemalloc or tcmalloc.

The setting is process-wide (it also applies to BoTorch, numpy, ... in the same process), costs at most
the trim threshold in retained memory, and is skipped where glibc is not the allocator. Opt out with the
environment variable ``PFNOPT_TUNE_MALLOC=0``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

logger = logging.getLogger("pfnopt.surrogate")

_M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024

_state: dict[str, bool] = {}


def tune_malloc() -> bool:
    """Raise glibc's mmap and trim thresholds once per process. Returns whether they are (now) raised."""
    if "done" in _state:
        return _state["done"]
    ok = False
    if os.environ.get("PFNOPT_TUNE_MALLOC", "1") != "0" and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt  # absent on musl: AttributeError
            mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
        except (OSError, AttributeError):
            ok = False
        logger.debug("glibc malloc thresholds raised for PFN inference: %s", ok)
    _state["done"] = ok
    return ok
