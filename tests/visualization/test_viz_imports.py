"""Importing the plotting and importance modules loads none of plotly, matplotlib, scikit-learn or scipy."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def test_imports_are_light():
    code = (
        "import sys, pfnopt.visualization, pfnopt.visualization.matplotlib, pfnopt.importance\n"
        "print(sorted(m for m in ('plotly', 'matplotlib', 'sklearn', 'scipy', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ),
                         check=True)
    assert out.stdout.strip() == "[]"


def test_an_optuna_study_is_refused_with_a_hint():
    optuna = pytest.importorskip("optuna")
    from pfnopt.exceptions import PfnoptError
    from pfnopt.visualization import plot_optimization_history

    with pytest.raises(PfnoptError, match="use optuna.visualization"):
        plot_optimization_history(optuna.create_study())
