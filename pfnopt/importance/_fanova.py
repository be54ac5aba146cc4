"""Functional ANOVA on a random forest (Hutter, Hoos & Leyton-Brown, ICML 2014).

A regression tree cuts the unit cube ``[0, 1]^d`` into axis-aligned boxes (its leaves), each with
a constant prediction. Under the uniform measure, the tree's prediction ``f`` has mean
``mu = sum_l vol_l v_l`` and variance ``V = sum_l vol_l (v_l - mu)^2``. The main effect of
parameter ``j`` is its marginal ``a_j(x_j) = E[f | x_j]``, the mean over every other coordinate:
a step function of ``x_j`` whose steps sit at the tree's split points on ``j``, with value
``sum over leaves containing x_j of v_l * prod_{k != j} width_lk``. Its variance
``V_j = int (a_j(x_j) - mu)^2 dx_j`` is the part of ``V`` that ``j`` explains alone; the
importance of ``j`` is ``V_j / V`` averaged over the forest's trees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from sklearn.tree import DecisionTreeRegressor


def leaf_boxes(tree: "DecisionTreeRegressor", d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The leaves of a fitted tree over ``[0, 1]^d``: lower corners ``L x d``, upper ``L x d``, values ``L``."""
    t = tree.tree_
    lows, highs, values = [], [], []
    stack = [(0, np.zeros(d), np.ones(d))]
    while stack:
        node, lo, hi = stack.pop()
        left, right = t.children_left[node], t.children_right[node]
        if left == -1:  # a leaf
            lows.append(lo)
            highs.append(hi)
            values.append(float(t.value[node].ravel()[0]))
            continue
        f = t.feature[node]
        cut = min(max(float(t.threshold[node]), lo[f]), hi[f])  # x <= cut goes left
        hi_left, lo_right = hi.copy(), lo.copy()
        hi_left[f] = cut
        lo_right[f] = cut
        stack.append((left, lo, hi_left))
        stack.append((right, lo_right, hi))
    return np.array(lows), np.array(highs), np.array(values)


def main_effect_variances(lows: np.ndarray, highs: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, float]:
    """``(V_j for each of the d coordinates, V)`` of the piecewise-constant function given by its leaves.

    Args:
        lows, highs: ``L x d`` box corners (the boxes partition the unit cube).
        values: ``L`` leaf predictions.
    """
    widths = highs - lows  # L x d
    vol = widths.prod(axis=1)  # L
    mean = float(vol @ values)
    total = float(vol @ (values - mean) ** 2)
    d = lows.shape[1]
    out = np.zeros(d)
    for j in range(d):
        others = np.prod(np.delete(widths, j, axis=1), axis=1)  # L: measure of the box outside j
        cuts = np.unique(np.concatenate([lows[:, j], highs[:, j], [0.0, 1.0]]))
        mids = 0.5 * (cuts[:-1] + cuts[1:])  # K intervals between consecutive split points
        inside = (lows[None, :, j] <= mids[:, None]) & (mids[:, None] < highs[None, :, j])  # K x L
        marginal = inside @ (others * values)  # K: a_j on each interval
        out[j] = float(np.diff(cuts) @ (marginal - mean) ** 2)
    return out, total


def forest_main_effects(forest: Any, d: int) -> np.ndarray:
    """Mean over the trees of ``V_j / V`` (trees that predict a constant are skipped): ``d`` fractions."""
    fractions = []
    for tree in forest.estimators_:
        lows, highs, values = leaf_boxes(tree, d)
        v_j, v = main_effect_variances(lows, highs, values)
        if v > 0:
            fractions.append(v_j / v)
    if not fractions:
        return np.zeros(d)
    return np.mean(fractions, axis=0)
