"""``study.trials_dataframe()``: one pandas row per trial."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas

    from pfnopt.study import Study


def trial_rows(study: "Study") -> list[dict[str, Any]]:
    """Flat dicts (one per trial) shared by the dataframe and the CLI's csv/json output."""
    n_obj = len(study.directions)
    rows = []
    for t in study.get_trials():
        row: dict[str, Any] = {"number": t.number, "state": t.state.name}
        if n_obj == 1:
            row["value"] = t.values[0] if t.values else None
        else:
            for i in range(n_obj):
                row[f"values_{i}"] = t.values[i] if t.values else None
        row["datetime_start"] = t.datetime_start
        row["datetime_complete"] = t.datetime_complete
        row["duration_s"] = t.duration.total_seconds() if t.duration is not None else None
        for name, value in t.params.items():
            row[f"params_{name}"] = value
        for i, c in enumerate(t.constraints or []):
            row[f"constraint_{i}"] = c
        row["feasible"] = t.feasible if t.state.name == "COMPLETE" else None
        for k, v in t.user_attrs.items():
            row[f"user_attrs_{k}"] = v
        if "fail_reason" in t.system_attrs:
            row["fail_reason"] = t.system_attrs["fail_reason"].strip().splitlines()[-1]
        rows.append(row)
    return rows


def trial_json_rows(study: "Study") -> list[dict[str, Any]]:
    """:func:`trial_rows` made JSON-ready (``pfnopt trials --format json``, the service's ``/trials``):
    every row has every column, datetimes as ISO strings, NaN and infinities as None."""
    rows = trial_rows(study)
    cols = list(dict.fromkeys(k for r in rows for k in r))
    return [{k: json_plain(r.get(k)) for k in cols} for r in rows]


def json_plain(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def trials_dataframe(study: "Study") -> "pandas.DataFrame":
    import pandas as pd

    rows = trial_rows(study)
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=["number", "state", "value"])
    return df


OPTUNA_ATTRS = ("number", "value", "datetime_start", "datetime_complete", "duration", "params",
                "user_attrs", "system_attrs", "state")
_ALLOWED = (*OPTUNA_ATTRS, "intermediate_values", "constraints", "distributions")


def optuna_trials_dataframe(study: "Study", attrs=None, multi_index: bool = False) -> "pandas.DataFrame":
    """Optuna's ``trials_dataframe(attrs, multi_index)`` columns: ``params_x`` (or ``("params",
    "x")`` with ``multi_index``), ``value`` / ``values_<i or metric name>``, ``duration`` as a
    timedelta, ``state`` as the state's name."""
    import pandas as pd

    from pfnopt.exceptions import ParameterError

    attrs = tuple(attrs) if attrs is not None else OPTUNA_ATTRS
    bad = [a for a in attrs if a not in _ALLOWED]
    if bad:
        raise ParameterError(f"trials_dataframe: unknown attrs {bad!r}; allowed: {', '.join(_ALLOWED)}")
    names = study.metric_names
    n_obj = len(study.directions)
    records: list[dict[tuple[str, str], Any]] = []
    for t in study.get_trials():
        row: dict[tuple[str, str], Any] = {}
        for a in attrs:
            if a == "value":
                if n_obj == 1 and names is None:
                    row[("value", "")] = t.values[0] if t.values else None
                else:
                    for i in range(n_obj):
                        row[("values", names[i] if names else str(i))] = t.values[i] if t.values else None
            elif a in ("params", "user_attrs", "system_attrs", "intermediate_values", "distributions"):
                for k, v in dict(getattr(t, a)).items():
                    row[(a, str(k))] = repr(v) if a == "distributions" else v
            elif a == "constraints":
                for i, c in enumerate(t.constraints or []):
                    row[("constraints", str(i))] = c
            elif a == "state":
                row[("state", "")] = t.state.name
            else:
                row[(a, "")] = getattr(t, a)
        records.append(row)
    columns: list[tuple[str, str]] = []
    for r in records:
        for c in r:
            if c not in columns:
                columns.append(c)
    order = {a: i for i, a in enumerate(attrs)}
    columns.sort(key=lambda c: (order.get("value" if c[0] == "values" else c[0], 99), 0))
    df = pd.DataFrame([[r.get(c) for c in columns] for r in records], columns=pd.MultiIndex.from_tuples(columns)
                      if columns else None)
    if not multi_index and columns:
        df.columns = ["_".join(p for p in c if p) for c in columns]
    return df
