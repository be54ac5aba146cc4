"""Optuna's ``optuna.terminator`` on pfnopt studies (needs the ``optuna`` extra).

``TerminatorCallback`` stops ``optimize`` once Optuna's terminator (its GP regret bound against the
cross-validation error) says further trials are unlikely to help. Optuna's code judges an in-memory
Optuna copy of the pfnopt study's finished trials (:func:`optuna_copy`), so the rule is Optuna's.
Optuna's evaluator classes (``RegretBoundEvaluator``, ``CrossValidationErrorEvaluator``, ...) are
available here under their names, for ``Terminator(...)`` and ``plot_terminator_improvement(...)``;
they take Optuna's FrozenTrials, which is what those two hand them.
"""

from typing import Any

from pfnopt.terminator.callback import Terminator, TerminatorCallback, optuna_copy
from pfnopt.terminator.erroreval import report_cross_validation_scores

# Optuna's evaluators, imported from Optuna on first use (``optuna`` is an extra)
OPTUNA_EVALUATORS = (
    "BaseErrorEvaluator",
    "BaseImprovementEvaluator",
    "BestValueStagnationEvaluator",
    "CrossValidationErrorEvaluator",
    "EMMREvaluator",
    "MedianErrorEvaluator",
    "RegretBoundEvaluator",
    "StaticErrorEvaluator",
)


def __getattr__(name: str) -> Any:
    if name in OPTUNA_EVALUATORS:
        from pfnopt.terminator.callback import _optuna

        _optuna()
        import optuna.terminator

        return getattr(optuna.terminator, name)
    raise AttributeError(f"module 'pfnopt.terminator' has no attribute {name!r}")


__all__ = ["Terminator", "TerminatorCallback", "optuna_copy", "report_cross_validation_scores",
           *OPTUNA_EVALUATORS]
