"""pfnopt.qmc: scipy's scrambled Sobol numbers without importing scipy.stats."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from pfnopt.qmc import sobol, sobol_from


@pytest.mark.parametrize("d", [1, 2, 5, 20, 43])
def test_equal_to_scipy_bit_for_bit(d):
    from scipy.stats import qmc

    for seed in (0, 7, 2024):
        for start, n in ((0, 1), (0, 6), (5, 1), (19, 3), (0, 256)):
            engine = qmc.Sobol(d=d, scramble=True, rng=np.random.default_rng(seed))
            if start:
                engine.fast_forward(start)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # scipy's balance warning for n not a power of 2
                want = engine.random(n)
            assert np.array_equal(sobol(d, start, n, seed), want)


def test_from_a_generator_like_scipy_and_leaves_its_stream_alone():
    from scipy.stats import qmc

    r1, r2 = np.random.default_rng([3, 4]), np.random.default_rng([3, 4])
    assert np.array_equal(qmc.Sobol(d=4, scramble=True, rng=r1).random(64), sobol_from(r2, 4, 0, 64))
    assert np.array_equal(r1.random(3), r2.random(3))


def test_bad_dimension_is_refused():
    from pfnopt.exceptions import ParameterError

    with pytest.raises(ParameterError, match="1 <= d"):
        sobol(0, 0, 1, 0)


def test_importing_and_drawing_loads_no_scipy_stats():
    code = "import sys; from pfnopt.qmc import sobol; sobol(3, 2, 4, 1); print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
