"""Optuna's ``optuna.terminator`` on pfnopt studies (needs the ``optuna`` extra).

``TerminatorCallback`` stops ``optimize`` once Optuna's terminator (its GP regret bound against the
cross-validation error) says further trials are unlikely to help. Optuna's code judges an in-memory
Optuna copy of the pfnopt study's finished trials (:func:`optuna_copy`), so the rule is Optuna's.
"""

from pfnopt.terminator.callback import Terminator, TerminatorCallback, optuna_copy
from pfnopt.terminator.erroreval import report_cross_validation_scores

__all__ = ["Terminator", "TerminatorCallback", "optuna_copy", "report_cross_validation_scores"]
