"""pfnopt: Bayesian optimisation and AutoML with a pre-trained transformer (PFN) surrogate.

The public API, Optuna-shaped::

    import pfnopt
    study = pfnopt.create_study(study_name="beam", storage="sqlite:///store/pfnopt.db")
    study.optimize(objective, n_trials=40)

Importing pfnopt loads neither torch nor BoTorch nor Optuna: they come in when a sampler,
the surrogate or AutoML needs them.
"""

from __future__ import annotations

# Optuna's module layout (import pfnopt as optuna): optuna.distributions, optuna.logging, ...
from pfnopt import distributions, exceptions, logging, pruners, samplers, search_space, storages, study, trial  # noqa: E402,F401
from pfnopt.exceptions import (
    DuplicateStudyError,
    InvalidValueError,
    NoFeasibleTrialError,
    ParameterError,
    PfnoptError,
    StorageError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialPruned,
)
from pfnopt.records import FrozenTrial, StudyDirection, TrialState
from pfnopt.space import Categorical, Float, Int, SearchSpace
from pfnopt.study import (
    Study,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from pfnopt.trial import Trial

__version__ = "0.1.0"

# Heavier Optuna-named modules, imported on first attribute access (``optuna.visualization.plot_*``
# after ``import pfnopt as optuna``) so that ``import pfnopt`` stays light.
_LAZY = ("artifacts", "importance", "integrations", "terminator", "visualization")


def _lazy_module(name: str):
    import importlib

    return importlib.import_module(f"pfnopt.{name}")

__all__ = [
    "Categorical",
    "DaskExecutor",
    "DuplicateStudyError",
    "Float",
    "FrozenTrial",
    "Int",
    "InvalidValueError",
    "NoFeasibleTrialError",
    "ParameterError",
    "PfnoptError",
    "SearchSpace",
    "StorageError",
    "Study",
    "StudyDirection",
    "StudyNotFoundError",
    "Trial",
    "TrialFinishedError",
    "TrialPruned",
    "TrialState",
    "copy_study",
    "create_study",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "get_all_study_summaries",
    "logging",
    "pruners",
    "samplers",
    "search_space",
    "storages",
    "study",
    "trial",
    "load_study",
]


def __getattr__(name: str):
    # lazily, so that `import pfnopt` does not import Dask
    if name in _LAZY:
        return _lazy_module(name)
    if name == "DaskExecutor":
        from pfnopt.distributed.executor import DaskExecutor

        return DaskExecutor
    raise AttributeError(f"module 'pfnopt' has no attribute {name!r}")
