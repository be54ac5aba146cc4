"""``BaseStorage.set_trial_datetimes`` (used by add_trial / copy_study / import) on every backend."""

from __future__ import annotations

import datetime as _dt

import pfnopt as optuna
from pfnopt.records import StudyDirection, TrialState
from pfnopt.trial import create_trial


def test_set_trial_datetimes_every_backend(storage, study_name):
    sid = storage.create_study(study_name, [StudyDirection.MINIMIZE])
    t = storage.create_trial(sid)
    storage.finish_trial(t.trial_id, TrialState.COMPLETE, [1.0])
    storage.get_all_trials(sid)  # fills the SQL storage's cache of finished trials
    start, end = _dt.datetime(2020, 1, 2, 3, 4, 5, 600000), _dt.datetime(2020, 1, 2, 3, 9, 0)
    out = storage.set_trial_datetimes(t.trial_id, start, end)
    assert (out.datetime_start, out.datetime_complete) == (start, end)
    again = storage.get_all_trials(sid)[0]
    assert (again.datetime_start, again.datetime_complete) == (start, end)
    assert storage.get_trial(t.trial_id).datetime_complete == end


def test_add_trial_keeps_history_on_every_backend(storage, study_name):
    study = optuna.create_study(study_name=study_name, storage=storage, sampler="random")
    rec = create_trial(params={"x": 0.5}, distributions={"x": optuna.distributions.FloatDistribution(0, 1)}, value=2.0,
                       datetime_start=_dt.datetime(2021, 5, 1, 12, 0), datetime_complete=_dt.datetime(2021, 5, 1, 12, 30))
    stored = study.add_trial(rec)
    assert stored.duration == _dt.timedelta(minutes=30) and study.trials[0].duration == _dt.timedelta(minutes=30)
    assert study.best_value == 2.0
