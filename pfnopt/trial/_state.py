"""``pfnopt.trial._state``: where Optuna programs import ``TrialState`` from (``optuna.trial._state``)."""

from pfnopt.records import TrialState

__all__ = ["TrialState"]
