"""Hyperparameter importance: which parameters the objective depends on, from a study's trials.

Example::

    from pfnopt.importance import get_param_importances
    get_param_importances(study)            # {"x1": 0.97, "x2": 0.03, "unused": 0.0}

scikit-learn is imported only when an evaluator runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from pfnopt.exceptions import ParameterError
from pfnopt.importance._data import Target
from pfnopt.importance._evaluators import (
    BaseImportanceEvaluator,
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
)

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study

__all__ = [
    "BaseImportanceEvaluator",
    "FanovaImportanceEvaluator",
    "MeanDecreaseImpurityImportanceEvaluator",
    "PedAnovaImportanceEvaluator",
    "get_param_importances",
]


def get_param_importances(
    study: "Study",
    evaluator: BaseImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    target: Target | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Importance of each parameter, most important first.

    Args:
        study: its COMPLETE trials are used (feasible or not: the objective is what is explained).
        evaluator: :class:`FanovaImportanceEvaluator` (default),
            :class:`MeanDecreaseImpurityImportanceEvaluator` or :class:`PedAnovaImportanceEvaluator`.
        params: names to assess (default: every non-constant parameter shared by all complete trials).
        target: ``FrozenTrial -> float``; needed for a multi-objective study.
        normalize: scale the importances to sum to 1 (when any is non-zero).
    """
    evaluator = FanovaImportanceEvaluator() if evaluator is None else evaluator
    if not isinstance(evaluator, BaseImportanceEvaluator):
        raise ParameterError(
            f"evaluator must be a pfnopt.importance.BaseImportanceEvaluator (e.g. FanovaImportanceEvaluator()), "
            f"got {evaluator!r}"
        )
    raw = evaluator.evaluate(study, params, target=target)
    total = sum(raw.values())
    if normalize and total > 0:
        raw = {k: v / total for k, v in raw.items()}
    return dict(sorted(raw.items(), key=lambda kv: kv[1], reverse=True))
