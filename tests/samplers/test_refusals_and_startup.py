"""One error tree and the refusals (issue 14, item 3), and the start-up phase's cost (no torch, no weights)."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import numpy as np
import pytest

import pfnopt
import pfnopt.exceptions as exc
import pfnopt.surrogate.errors as serr
from pfnopt import Float, TrialState
from pfnopt.exceptions import NotSupportedError, ParameterError, PfnoptError
from pfnopt.samplers.pfn import PFNSampler
from pfnopt.samplers.trust_region import TrustRegion, WholeCube


def test_every_error_class_derives_from_pfnopt_error():
    for module in (exc, serr):
        classes = [c for _, c in inspect.getmembers(module, inspect.isclass) if issubclass(c, BaseException)]
        assert classes
        for c in classes:
            assert issubclass(c, PfnoptError), c


def test_checkpoint_and_input_errors_are_caught_as_pfnopt_errors(tmp_path):
    from pfnopt.surrogate import load_pfn

    with pytest.raises(PfnoptError, match="not a directory|no config"):
        load_pfn(tmp_path / "missing")
    pfn = load_pfn()
    with pytest.raises(PfnoptError, match="X_ctx contains NaN"):
        pfn.condition(np.array([[np.nan, 0.5]]), np.array([1.0]))
    with pytest.raises(PfnoptError, match="X_ctx must be a numpy array"):
        pfn.condition(object(), np.array([1.0]))
    with pytest.raises(ValueError):  # still the standard Python error too
        pfn.condition(np.array([[2.0, 0.5]]), np.array([1.0]))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"acquisition": "ei"}, "'ei' is not offered"),
        ({"threshold": 0.7}, "threshold applies to constraints='cei\\+' only"),
        ({"beta": 1.0}, "beta applies to acquisition='ucb' only"),
        ({"acquisition": "ucb", "beta": -1.0}, "beta must be a number >= 0"),
        ({"constraints": "cei+", "threshold": 1.5}, "threshold must be in"),
        ({"region": TrustRegion(), "local": False}, "not both"),
        ({"region": "box"}, "not a region strategy"),
    ],
)
def test_unsupported_or_unused_options_raise(kwargs, match):
    with pytest.raises(PfnoptError, match=match):
        PFNSampler(**kwargs)


def test_ucb_with_cei_on_a_constrained_study_is_refused_at_the_model_step():
    study = pfnopt.create_study(sampler=PFNSampler(acquisition="ucb", n_startup=2))

    def f(trial):
        x = trial.suggest("x", Float(0.0, 1.0))
        trial.set_constraints([x - 0.5])
        return x

    study.optimize(f, n_trials=2)
    with pytest.raises(NotSupportedError, match="ucb"):
        study.optimize(f, n_trials=1)


def test_multi_objective_study_is_refused_by_a_single_objective_sampler_before_any_trial_runs():
    from pfnopt.samplers.gp import GPSampler

    study = pfnopt.create_study(directions=["minimize", "minimize"], sampler=GPSampler(n_startup=2))
    calls = []

    def f(trial):
        calls.append(1)
        x = trial.suggest("x", Float(0.0, 1.0))
        return x, 1.0 - x

    with pytest.raises(NotSupportedError, match="optimises one objective.*has 2.*'pfn'"):
        study.optimize(f, n_trials=3)
    assert calls == [] and study.trials == []  # refused before a trial was created: nothing stored changes
    with pytest.raises(NotSupportedError, match="GPSampler"):
        study.ask({"x": Float(0.0, 1.0)})
    default = pfnopt.create_study(directions=["minimize", "maximize"])  # the default sampler (pfn) handles it
    default.optimize(f, n_trials=2)
    assert [t.state for t in default.trials] == [TrialState.COMPLETE] * 2


def test_region_strategies_are_constructor_arguments():
    def f(trial):
        x, y = trial.suggest("x", Float(0.0, 1.0)), trial.suggest("y", Float(0.0, 1.0))
        return (x - 0.3) ** 2 + (y - 0.6) ** 2

    from pfnopt.acquisition import AcqOptions

    fast = AcqOptions(n_sobol=64, n_local=64)
    runs = {}
    for name, kw in (("local_false", {"local": False}), ("whole", {"region": WholeCube()}),
                     ("global_ctx", {"region": TrustRegion(context_pad=None)})):
        study = pfnopt.create_study(sampler=PFNSampler(seed=1, n_startup=4, optimizer=fast, **kw))
        study.optimize(f, n_trials=6)
        runs[name] = [t.params for t in study.trials]
    assert runs["local_false"] == runs["whole"]  # the same rule under its two names
    assert all(len(p) == 2 for p in runs["global_ctx"])


START_UP = r"""
import json, sys, pfnopt
from pfnopt.space import Categorical, Float
study = pfnopt.create_study()  # default sampler
def f(t):
    return (t.suggest("x", Float(0, 1)) - 0.3) ** 2 + (t.suggest("c", Categorical(["a", "b"])) == "a")
study.optimize(f, n_trials=5)
print(json.dumps({m: m in sys.modules for m in ("torch", "scipy.stats", "pfnopt.surrogate.pfn")}))
"""


def test_start_up_points_load_neither_torch_nor_scipy_stats_nor_the_checkpoint():
    out = subprocess.run([sys.executable, "-c", START_UP], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "torch": False, "scipy.stats": False, "pfnopt.surrogate.pfn": False}


def test_import_pfnopt_is_light():
    code = "import sys, pfnopt; print(sorted(m for m in ('torch', 'scipy', 'botorch', 'optuna') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_a_space_too_large_for_the_checkpoint_is_refused_at_the_first_trial_without_torch():
    code = (
        "import sys, pfnopt\nfrom pfnopt.space import Float\n"
        "s = pfnopt.create_study()\n"
        "try:\n    s.ask({f'x{i}': Float(0, 1) for i in range(25)})\n"
        "except pfnopt.ParameterError as e:\n    print('refused', 'at most 20 inputs' in str(e), 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "refused True False"


def test_parameter_error_is_still_a_value_error():
    assert issubclass(ParameterError, ValueError) and issubclass(NotSupportedError, ValueError)


def test_a_study_is_a_study_view_and_samplers_need_no_more():
    from pfnopt.samplers.simple import SobolSampler
    from pfnopt.study_view import StudyView

    study = pfnopt.create_study()
    assert isinstance(study, StudyView)

    class Snapshot:  # the narrow view alone, no storage behind it
        study_name, directions, system_attrs = "snap", study.directions, {}

        def get_trials(self, states=None):
            return []

    assert isinstance(Snapshot(), StudyView)
    params = SobolSampler(seed=0).sample(Snapshot(), study.ask(), pfnopt.SearchSpace({"x": Float(0, 1)}))
    assert 0.0 <= params["x"] <= 1.0
