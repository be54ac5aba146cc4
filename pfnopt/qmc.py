"""Scrambled Sobol points in numpy, the same numbers as ``scipy.stats.qmc.Sobol(scramble=True)``.

Why not scipy's: importing ``scipy.stats`` costs about a second (it loads every distribution),
and a sampler in its start-up phase needs nothing else from it. This module reads the same
direction numbers (Joe and Kuo's ``new-joe-kuo-6.21201``, shipped in scipy's package data, found
by path without importing ``scipy.stats``) and applies the same scrambling (a random lower
triangular linear matrix scramble of the direction numbers plus a random digital shift, drawn in
the same order from a generator spawned the same way), so for one seed the points are identical to
scipy's, bit for bit (tested in ``tests/samplers/test_qmc.py``), and the benchmarks' shared initial
designs do not change.

Shapes: ``d`` dimensions, ``n`` points, ``B = 30`` bits per coordinate.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

BITS = 30
MAX_DIM = 21201


@lru_cache(maxsize=1)
def _direction_data() -> tuple[np.ndarray, np.ndarray]:
    """``(poly, vinit)``: primitive polynomials (``MAX_DIM``) and initial direction numbers (``MAX_DIM x 18``)."""
    spec = importlib.util.find_spec("scipy")  # locates the package without importing it
    if spec is None or spec.origin is None:
        from pfnopt.exceptions import missing_extra

        raise missing_extra("scipy", "core")
    path = Path(spec.origin).parent / "stats" / "_sobol_direction_numbers.npz"
    with np.load(path) as data:
        return data["poly"].astype(np.uint64), data["vinit"].astype(np.uint64)


@lru_cache(maxsize=64)
def _direction_numbers(d: int) -> np.ndarray:
    """``d x B`` unscrambled direction numbers, each already shifted to its bit position (Bratley and Fox)."""
    poly, vinit = _direction_data()
    v = np.zeros((d, BITS), dtype=np.uint64)
    v[0, :] = 1
    for k in range(1, d):
        p = int(poly[k])
        deg = p.bit_length() - 1
        row = [int(x) for x in vinit[k, :deg]] + [0] * (BITS - deg)
        for j in range(deg, BITS):
            new = row[j - deg]
            for i in range(deg):
                if (p >> (deg - 1 - i)) & 1:
                    new ^= row[j - i - 1] << (i + 1)
            row[j] = new
        v[k] = row
    return v << np.arange(BITS - 1, -1, -1, dtype=np.uint64)[None, :]


def _bits(x: np.ndarray) -> np.ndarray:
    """``x`` (any shape, unsigned) -> ``x.shape + (B,)`` of its bits, least significant first."""
    return ((x[..., None] >> np.arange(BITS, dtype=np.uint64)) & np.uint64(1)).astype(np.int64)


def _scramble(v: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(scrambled direction numbers d x B, digital shift d)`` drawn from ``rng`` (shift first, then matrices)."""
    d = v.shape[0]
    weights = (np.uint64(1) << np.arange(BITS, dtype=np.uint64))
    shift = (rng.integers(2, size=(d, BITS), dtype=np.uint32).astype(np.uint64) * weights).sum(axis=1)
    ltm = np.tril(rng.integers(2, size=(d, BITS, BITS), dtype=np.uint32)).astype(np.int64)
    ltm[:, np.arange(BITS), np.arange(BITS)] = 1
    # row p of a matrix read with its first entry as the most significant bit: entry k is bit B-1-k
    rows = ltm[:, :, ::-1]  # d x B(p) x B(bit k)
    parity = np.einsum("dpk,djk->djp", rows, _bits(v)) % 2  # d x B(j) x B(p)
    # output bit p goes to position B-1-p
    out_weights = np.uint64(1) << np.arange(BITS - 1, -1, -1, dtype=np.uint64)
    scrambled = (parity.astype(np.uint64) * out_weights).sum(axis=2)
    return scrambled, shift


def _low_zero_bit(k: np.ndarray) -> np.ndarray:
    """Index (from 0) of the lowest zero bit of each entry of ``k``."""
    k = k.astype(np.uint64)
    return _bits(~k & (k + np.uint64(1))).argmax(axis=-1)


def sobol(d: int, start: int, n: int, seed: int | None) -> np.ndarray:
    """Points ``start .. start + n - 1`` (``n x d``, in ``[0, 1)``) of the scrambled Sobol sequence of ``seed``.

    Equal to ``qmc.Sobol(d, scramble=True, rng=np.random.default_rng(seed))`` fast-forwarded by
    ``start`` and drawn ``n``.
    """
    return sobol_from(np.random.default_rng(seed), d, start, n)


def sobol_from(rng: np.random.Generator, d: int, start: int, n: int) -> np.ndarray:
    """As :func:`sobol`, scrambled from a generator spawned off ``rng`` (as ``qmc.Sobol(d, rng=rng)`` does:
    ``rng``'s own stream is not advanced)."""
    if not 1 <= d <= MAX_DIM:
        from pfnopt.exceptions import ParameterError

        raise ParameterError(f"Sobol points need 1 <= d <= {MAX_DIM} dimensions, got {d}")
    bit_gen = rng.bit_generator
    child = np.random.Generator(type(bit_gen)(bit_gen.seed_seq.spawn(1)[0]))
    v, shift = _scramble(_direction_numbers(d), child)
    # point i is shift XOR the direction numbers of the Gray-code changes up to i: cumulative XOR
    stop = start + n
    if stop <= 1:
        return (shift[None, :] * 2.0**-BITS)[start:stop]
    steps = v[:, _low_zero_bit(np.arange(stop - 1))]  # d x (stop-1): the column flipped going i -> i+1
    quasi = np.concatenate([shift[:, None], steps], axis=1)
    quasi = np.bitwise_xor.accumulate(quasi, axis=1)  # d x stop
    return (quasi[:, start:stop].T.astype(np.float64)) * 2.0**-BITS
