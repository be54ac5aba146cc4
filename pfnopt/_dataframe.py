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
