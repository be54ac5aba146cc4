"""Importance evaluators: functional ANOVA (default), mean decrease in impurity, PED-ANOVA."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Sequence

import numpy as np

from pfnopt.exceptions import ParameterError, missing_extra
from pfnopt.importance._data import ImportanceData, Target, importance_data
from pfnopt.importance._fanova import forest_main_effects
from pfnopt.importance._ped_anova import check_quantiles, ped_anova, sizes

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


class BaseImportanceEvaluator(abc.ABC):
    """Maps a study's complete trials to one non-negative, unnormalised importance per parameter.

    Subclasses implement :meth:`importances` on the unit-cube data; :meth:`evaluate` (Optuna's
    name) collects that data from the study.
    """

    @abc.abstractmethod
    def importances(self, data: ImportanceData) -> np.ndarray:
        """``d`` importances for the ``d`` columns of ``data.X``."""

    def evaluate(
        self, study: "Study", params: Sequence[str] | None = None, *, target: Target | None = None
    ) -> dict[str, float]:
        data = importance_data(study, params, target)
        if not data.params:
            return {}
        values = self.importances(data)
        return dict(zip(data.params, (float(v) for v in values)))


def _forest(n_trees: int, max_depth: int | None, seed: int | None):
    try:
        from sklearn.ensemble import RandomForestRegressor
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        raise missing_extra("scikit-learn", "automl") from None
    return RandomForestRegressor(
        n_estimators=n_trees, max_depth=max_depth, min_samples_split=2, min_samples_leaf=1, random_state=seed
    )


def _check_forest_args(n_trees: int, max_depth: int | None) -> None:
    if isinstance(n_trees, bool) or not isinstance(n_trees, int) or n_trees < 1:
        raise ParameterError(f"n_trees must be a positive integer, got {n_trees!r}")
    if max_depth is not None and (isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 1):
        raise ParameterError(f"max_depth must be a positive integer or None, got {max_depth!r}")


class FanovaImportanceEvaluator(BaseImportanceEvaluator):
    """Functional ANOVA (Hutter et al. 2014) on a scikit-learn random forest: each parameter's
    share of the predicted objective's variance that it explains alone (its main effect)."""

    def __init__(self, n_trees: int = 64, max_depth: int | None = 64, seed: int | None = None):
        _check_forest_args(n_trees, max_depth)
        self.n_trees, self.max_depth, self.seed = n_trees, max_depth, seed

    def importances(self, data: ImportanceData) -> np.ndarray:
        forest = _forest(self.n_trees, self.max_depth, self.seed).fit(data.X, data.y)
        return forest_main_effects(forest, data.X.shape[1])


class MeanDecreaseImpurityImportanceEvaluator(BaseImportanceEvaluator):
    """Mean decrease in impurity of a random forest (scikit-learn's ``feature_importances_``):
    how much the splits on each parameter reduce the squared error, averaged over the trees."""

    def __init__(self, n_trees: int = 64, max_depth: int | None = 64, seed: int | None = None):
        _check_forest_args(n_trees, max_depth)
        self.n_trees, self.max_depth, self.seed = n_trees, max_depth, seed

    def importances(self, data: ImportanceData) -> np.ndarray:
        if np.ptp(data.y) == 0:
            return np.zeros(data.X.shape[1])
        forest = _forest(self.n_trees, self.max_depth, self.seed).fit(data.X, data.y)
        return np.asarray(forest.feature_importances_, dtype=float)


class PedAnovaImportanceEvaluator(BaseImportanceEvaluator):
    """PED-ANOVA (Watanabe et al. 2023): how differently the trials in the best ``target_quantile``
    are spread over each parameter than those of the best ``region_quantile`` (a Pearson divergence
    of Parzen estimators); fits no model, so it is fast. Lower target values count as better when a
    custom ``target`` is given (as in Optuna)."""

    def __init__(self, *, target_quantile: float = 0.1, region_quantile: float = 1.0, evaluate_on_local: bool = True):
        check_quantiles(target_quantile, region_quantile)
        self.target_quantile, self.region_quantile = float(target_quantile), float(region_quantile)
        self.evaluate_on_local = bool(evaluate_on_local)

    def importances(self, data: ImportanceData) -> np.ndarray:
        if np.ptp(data.y) == 0:
            return np.zeros(data.X.shape[1])
        return ped_anova(data.X, data.y, sizes(data.distributions), data.lower_is_better,
                         self.target_quantile, self.region_quantile, self.evaluate_on_local)
