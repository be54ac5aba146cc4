"""Parameter importances as a horizontal bar chart (from :mod:`pfnopt.importance`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from pfnopt.visualization._common import DEFAULT_TARGET_NAME, Target, check_study, check_target_name, plotly_go

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.importance import BaseImportanceEvaluator
    from pfnopt.study import Study


@dataclass(frozen=True)
class ImportanceBars:
    """One set of bars: ``importances`` (normalised, most important first) for the value ``name``."""

    name: str
    importances: dict[str, float]


def importance_info(study: "Study", evaluator: "BaseImportanceEvaluator | None", params: Sequence[str] | None,
                    target: Target | None, target_name: str) -> list[ImportanceBars]:
    """One bar set, or one per objective for a multi-objective study without ``target``."""
    from pfnopt.importance import get_param_importances

    study = check_study(study)
    target_name = check_target_name(target_name)
    if target is None and len(study.directions) > 1:
        return [ImportanceBars(f"{target_name} {k}", get_param_importances(
            study, evaluator=evaluator, params=params, target=lambda t, k=k: t.values[k]))
            for k in range(len(study.directions))]
    return [ImportanceBars(target_name, get_param_importances(study, evaluator=evaluator, params=params,
                                                              target=target))]


def plot_param_importances(
    study: "Study",
    evaluator: "BaseImportanceEvaluator | None" = None,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
):
    """Each parameter's importance (default: functional ANOVA), most important at the top; for a
    multi-objective study without ``target``, one bar per objective. Returns a plotly Figure."""
    go = plotly_go()
    bars = importance_info(study, evaluator, params, target, target_name)
    order = list(reversed(list(bars[0].importances)))  # plotly draws the first category at the bottom
    fig = go.Figure()
    for b in bars:
        xs = [b.importances.get(p, 0.0) for p in order]
        fig.add_trace(go.Bar(x=xs, y=order, orientation="h", name=b.name, text=[f"{x:.2f}" for x in xs],
                             textposition="outside"))
    fig.update_layout(title="Hyperparameter Importances", xaxis_title=f"Importance for {target_name}",
                      yaxis_title="Hyperparameter", showlegend=len(bars) > 1)
    return fig
