"""The BaseStorage contract, run on every backend (memory, SQLite file, PostgreSQL)."""

from __future__ import annotations

import datetime as _dt
import math
import threading
import time

import pytest

from pfnopt.exceptions import (
    DuplicateStudyError,
    ParameterError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialNotFoundError,
)
from pfnopt.records import StudyDirection, TrialState
from pfnopt.space import Categorical, Float, Int

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE
SPACE = {
    "lr": Float(1e-5, 1e-1, log=True),
    "w": Float(0.0, 1.0, step=0.25),
    "layers": Int(1, 8),
    "kind": Categorical(["steel", "alu", None, 3]),
}
PARAMS = {"lr": 0.001, "w": 0.75, "layers": 3, "kind": "alu"}


def run_threads(n: int, fn) -> list:
    results: list = [None] * n
    errors: list = []
    start = threading.Barrier(n)

    def body(i: int) -> None:
        try:
            start.wait()
            results[i] = fn(i)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


# studies ----------------------------------------------------------------------------------------
def test_create_get_list_studies(storage):
    a = storage.create_study("a", [MIN])
    b = storage.create_study("b", [MAX, MIN])
    assert storage.get_study_id("a") == a and storage.get_study_id("b") == b
    info = storage.get_study(b)
    assert (info.name, info.directions, info.n_trials) == ("b", (MAX, MIN), 0)
    assert isinstance(info.created, _dt.datetime)
    storage.create_trial(a)
    assert [(s.name, s.n_trials) for s in storage.list_studies()] == [("a", 1), ("b", 0)]


def test_duplicate_study_is_refused_and_keeps_the_original(storage):
    sid = storage.create_study("dup", [MIN])
    storage.create_trial(sid)
    with pytest.raises(DuplicateStudyError, match="dup"):
        storage.create_study("dup", [MAX])
    info = storage.get_study(storage.get_study_id("dup"))
    assert info.directions == (MIN,) and info.n_trials == 1
    assert len(storage.list_studies()) == 1


def test_unknown_study_errors(storage):
    storage.create_study("present", [MIN])
    with pytest.raises(StudyNotFoundError, match="present"):
        storage.get_study_id("absent")
    for call in (
        lambda: storage.get_study(999),
        lambda: storage.delete_study(999),
        lambda: storage.set_study_attr(999, "k", 1),
        lambda: storage.create_trial(999),
        lambda: storage.claim_waiting_trial(999),
        lambda: storage.fail_stale_trials(999, _dt.timedelta(seconds=1)),
        lambda: storage.get_all_trials(999),
        lambda: storage.get_n_trials(999),
        lambda: storage.get_trial_id(999, 0),
    ):
        with pytest.raises(StudyNotFoundError):
            call()


def test_delete_study_removes_its_trials(storage):
    sid = storage.create_study("gone", [MIN])
    keep = storage.create_study("kept", [MIN])
    t = storage.create_trial(sid, params=PARAMS, distributions=SPACE, user_attrs={"u": 1})
    storage.set_trial_intermediate_value(t.trial_id, 0, 1.0)
    storage.finish_trial(t.trial_id, TrialState.COMPLETE, [1.0], [0.5])
    other = storage.create_trial(keep)
    storage.get_all_trials(sid)  # fill any cache first
    storage.delete_study(sid)
    with pytest.raises(StudyNotFoundError):
        storage.get_study_id("gone")
    with pytest.raises(TrialNotFoundError):
        storage.get_trial(t.trial_id)
    assert storage.get_trial(other.trial_id).number == 0
    again = storage.create_study("gone", [MAX])  # the name is free again, numbering restarts
    assert again != sid and storage.create_trial(again).number == 0


def test_study_attrs_are_json_copies(storage):
    sid = storage.create_study("s", [MIN])
    value = {"list": [1, 2], "nested": {"x": None}}
    storage.set_study_attr(sid, "cfg", value)
    storage.set_study_attr(sid, "cfg", "system one", system=True)
    value["list"].append(3)  # a later change of the caller's object is not stored
    info = storage.get_study(sid)
    assert info.user_attrs == {"cfg": {"list": [1, 2], "nested": {"x": None}}}
    assert info.system_attrs == {"cfg": "system one"}
    storage.set_study_attr(sid, "cfg", (4, 5))  # overwrite; tuples come back as lists everywhere
    assert storage.get_study(sid).user_attrs == {"cfg": [4, 5]}
    with pytest.raises(ParameterError, match="JSON"):
        storage.set_study_attr(sid, "bad", object())
    assert "bad" not in storage.get_study(sid).user_attrs


# creating trials ----------------------------------------------------------------------------------
def test_create_trial_round_trips_params(storage):
    sid = storage.create_study("s", [MIN])
    t = storage.create_trial(sid, params=PARAMS, distributions=SPACE, user_attrs={"a": [1]}, system_attrs={"b": 2})
    assert (t.number, t.state) == (0, TrialState.RUNNING)
    assert t.datetime_start is not None and t.heartbeat is not None and t.datetime_complete is None
    got = storage.get_trial(t.trial_id)
    assert got.params == PARAMS and type(got.params["layers"]) is int
    assert dict(got.distributions) == SPACE
    assert got.user_attrs == {"a": [1]} and got.system_attrs == {"b": 2}
    assert got.params == t.params and got.datetime_start == t.datetime_start
    for kind in ["steel", None, 3]:
        p = storage.create_trial(sid, params={"kind": kind}, distributions={"kind": SPACE["kind"]})
        assert storage.get_trial(p.trial_id).params["kind"] == kind
    assert [x.number for x in storage.get_all_trials(sid)] == [0, 1, 2, 3]


def test_create_trial_waiting_has_no_start(storage):
    sid = storage.create_study("s", [MIN])
    t = storage.create_trial(sid, state=TrialState.WAITING, system_attrs={"fixed_params": {"x": 1}})
    assert t.state == TrialState.WAITING and t.datetime_start is None and t.heartbeat is None
    with pytest.raises(ParameterError):
        storage.create_trial(sid, state=TrialState.COMPLETE)


def test_refused_create_trial_stores_nothing(storage):
    sid = storage.create_study("s", [MIN])
    with pytest.raises(ParameterError):
        storage.create_trial(sid, params={"x": 1.0}, distributions={})
    with pytest.raises(ParameterError):
        storage.create_trial(sid, params={"kind": "wood"}, distributions={"kind": SPACE["kind"]})
    with pytest.raises(ParameterError):
        storage.create_trial(sid, user_attrs={"x": object()})
    assert storage.get_n_trials(sid) == 0
    assert storage.create_trial(sid).number == 0


# changing trials ----------------------------------------------------------------------------------
def test_set_trial_params_checks_consistency(storage):
    sid = storage.create_study("s", [MIN])
    t = storage.create_trial(sid, params={"lr": 0.01}, distributions={"lr": SPACE["lr"]})
    storage.set_trial_params(t.trial_id, {"w": 0.5}, {"w": SPACE["w"]})
    storage.set_trial_params(t.trial_id, {"w": 0.5}, {"w": SPACE["w"]})  # identical repeat: fine
    with pytest.raises(ParameterError, match="'w'"):
        storage.set_trial_params(t.trial_id, {"w": 0.25}, {"w": SPACE["w"]})
    with pytest.raises(ParameterError, match="'lr'"):
        storage.set_trial_params(t.trial_id, {"lr": 0.01}, {"lr": Float(0, 1)})
    # one bad name in a batch: the good one is not stored either (one transaction)
    with pytest.raises(ParameterError):
        storage.set_trial_params(t.trial_id, {"layers": 2, "w": 1.0}, {"layers": SPACE["layers"], "w": SPACE["w"]})
    got = storage.get_trial(t.trial_id)
    assert got.params == {"lr": 0.01, "w": 0.5}
    storage.set_trial_params(t.trial_id, {"layers": 2, "kind": None}, {"layers": SPACE["layers"], "kind": SPACE["kind"]})
    assert storage.get_trial(t.trial_id).params == {"lr": 0.01, "w": 0.5, "layers": 2, "kind": None}


def test_intermediate_values_and_attrs(storage):
    sid = storage.create_study("s", [MIN])
    t = storage.create_trial(sid)
    storage.set_trial_intermediate_value(t.trial_id, 3, 0.5)
    storage.set_trial_intermediate_value(t.trial_id, 1, 2.0)
    storage.set_trial_intermediate_value(t.trial_id, 3, 0.25)  # overwrite
    storage.set_trial_intermediate_value(t.trial_id, 4, math.nan)
    storage.set_trial_intermediate_value(t.trial_id, 5, -math.inf)
    storage.set_trial_attr(t.trial_id, "note", {"a": 1})
    storage.set_trial_attr(t.trial_id, "note", "sys", system=True)
    got = storage.get_trial(t.trial_id)
    assert list(got.intermediate_values) == [1, 3, 4, 5]
    assert got.intermediate_values[3] == 0.25 and math.isnan(got.intermediate_values[4])
    assert got.intermediate_values[5] == -math.inf
    assert got.user_attrs == {"note": {"a": 1}} and got.system_attrs == {"note": "sys"}


def test_finish_trial_is_one_write_and_final(storage):
    sid = storage.create_study("s", [MIN, MAX])
    t = storage.create_trial(sid, params=PARAMS, distributions=SPACE)
    storage.set_trial_intermediate_value(t.trial_id, 0, 9.0)
    done = storage.finish_trial(t.trial_id, TrialState.COMPLETE, [1.5, -2.0], [0.0, -1.0, math.nan], {"why": "ok"})
    assert done.state == TrialState.COMPLETE and list(done.values) == [1.5, -2.0]
    assert list(done.constraints)[:2] == [0.0, -1.0] and math.isnan(done.constraints[2])
    assert done.system_attrs == {"why": "ok"} and done.params == PARAMS and done.intermediate_values == {0: 9.0}
    assert done.datetime_complete is not None and done.datetime_complete >= done.datetime_start
    assert storage.get_trial(t.trial_id) == _same(done)
    for call in (
        lambda: storage.finish_trial(t.trial_id, TrialState.FAIL),
        lambda: storage.set_trial_params(t.trial_id, {"extra": 1.0}, {"extra": Float(0, 2)}),
        lambda: storage.set_trial_intermediate_value(t.trial_id, 1, 1.0),
        lambda: storage.set_trial_attr(t.trial_id, "late", 1),
    ):
        with pytest.raises(TrialFinishedError):
            call()
    storage.record_heartbeat(t.trial_id)  # a no-op on a finished trial
    after = storage.get_trial(t.trial_id)
    assert after.state == TrialState.COMPLETE and list(after.values) == [1.5, -2.0]
    assert after.user_attrs == {} and "extra" not in after.params and after.intermediate_values == {0: 9.0}
    with pytest.raises(ParameterError):
        storage.finish_trial(storage.create_trial(sid).trial_id, TrialState.RUNNING)


def test_finish_variants(storage):
    sid = storage.create_study("s", [MIN])
    waiting = storage.create_trial(sid, state=TrialState.WAITING)
    assert storage.finish_trial(waiting.trial_id, TrialState.FAIL).state == TrialState.FAIL
    pruned = storage.finish_trial(storage.create_trial(sid).trial_id, TrialState.PRUNED, [0.5])
    assert pruned.state == TrialState.PRUNED and pruned.constraints is None
    failed = storage.finish_trial(storage.create_trial(sid).trial_id, TrialState.FAIL, None, None, {"fail_reason": "x"})
    assert failed.values is None and failed.system_attrs["fail_reason"] == "x"


def test_unknown_trial_errors(storage):
    storage.create_study("s", [MIN])
    for call in (
        lambda: storage.get_trial(12345),
        lambda: storage.set_trial_params(12345, {"x": 1.0}, {"x": Float(0, 2)}),
        lambda: storage.set_trial_intermediate_value(12345, 0, 1.0),
        lambda: storage.set_trial_attr(12345, "k", 1),
        lambda: storage.finish_trial(12345, TrialState.COMPLETE, [1.0]),
        lambda: storage.record_heartbeat(12345),
        lambda: storage.get_trial_id(storage.get_study_id("s"), 0),
    ):
        with pytest.raises(TrialNotFoundError):
            call()


def test_get_all_trials_filters_and_snapshots(storage):
    sid = storage.create_study("s", [MIN])
    a = storage.create_trial(sid)
    b = storage.create_trial(sid)
    c = storage.create_trial(sid, state=TrialState.WAITING)
    storage.finish_trial(a.trial_id, TrialState.COMPLETE, [1.0])
    before = storage.get_all_trials(sid)
    storage.set_trial_intermediate_value(b.trial_id, 0, 3.0)
    storage.finish_trial(b.trial_id, TrialState.FAIL)
    assert before[1].state == TrialState.RUNNING and before[1].intermediate_values == {}  # snapshots
    assert [t.number for t in storage.get_all_trials(sid, [TrialState.FAIL, TrialState.WAITING])] == [1, 2]
    assert storage.get_n_trials(sid) == 3 and storage.get_n_trials(sid, [TrialState.COMPLETE]) == 1
    assert storage.get_n_trials(sid, []) == 0
    assert storage.get_trial_id(sid, 2) == c.trial_id
    assert storage.get_all_trials(sid)[1].intermediate_values == {0: 3.0}


def test_second_handle_sees_every_change(storage, reopen):
    """A second storage object on the same database (another process, for SQL) stays in step,
    including trials that go from RUNNING to finished after it cached them."""
    sid = storage.create_study("s", [MIN])
    other = reopen(storage)
    t0 = storage.create_trial(sid)
    t1 = storage.create_trial(sid)
    assert [t.state for t in other.get_all_trials(sid)] == [TrialState.RUNNING] * 2
    storage.finish_trial(t1.trial_id, TrialState.COMPLETE, [2.0])
    storage.set_trial_intermediate_value(t0.trial_id, 0, 5.0)
    t2 = storage.create_trial(sid)
    seen = other.get_all_trials(sid)
    assert [t.state for t in seen] == [TrialState.RUNNING, TrialState.COMPLETE, TrialState.RUNNING]
    assert seen[0].intermediate_values == {0: 5.0} and list(seen[1].values) == [2.0]
    storage.finish_trial(t0.trial_id, TrialState.PRUNED)
    storage.finish_trial(t2.trial_id, TrialState.COMPLETE, [0.5])
    assert [t.state for t in other.get_all_trials(sid)] == [TrialState.PRUNED, TrialState.COMPLETE, TrialState.COMPLETE]
    with pytest.raises(TrialFinishedError):
        other.finish_trial(t0.trial_id, TrialState.COMPLETE, [1.0])
    assert other.get_trial(t0.trial_id).state == TrialState.PRUNED
    other.delete_study(sid)
    with pytest.raises(StudyNotFoundError):
        storage.get_all_trials(sid)


# concurrency ------------------------------------------------------------------------------------
def test_trial_numbers_are_atomic_under_threads(storage):
    sid = storage.create_study("s", [MIN])

    def work(i: int) -> list[int]:
        numbers = []
        for j in range(10):
            t = storage.create_trial(sid, params={"x": float(i)}, distributions={"x": Float(0, 10)})
            storage.finish_trial(t.trial_id, TrialState.COMPLETE, [i * 100 + j])
            numbers.append(t.number)
        return numbers

    got = sorted(n for ns in run_threads(6, work) for n in ns)
    assert got == list(range(60))
    trials = storage.get_all_trials(sid)
    assert [t.number for t in trials] == list(range(60))
    assert sorted(t.values[0] for t in trials) == sorted(i * 100 + j for i in range(6) for j in range(10))


def test_claim_waiting_trials(storage):
    sid = storage.create_study("s", [MIN])
    assert storage.claim_waiting_trial(sid) is None
    storage.create_trial(sid)  # a RUNNING trial is never claimed
    first = storage.create_trial(sid, state=TrialState.WAITING, params={"x": 1.0}, distributions={"x": Float(0, 2)},
                                 system_attrs={"fixed_params": {"x": 1.0}})
    second = storage.create_trial(sid, state=TrialState.WAITING)
    claimed = storage.claim_waiting_trial(sid)
    assert claimed.trial_id == first.trial_id and claimed.state == TrialState.RUNNING
    assert claimed.datetime_start is not None and claimed.heartbeat is not None
    assert claimed.params == {"x": 1.0} and claimed.system_attrs == {"fixed_params": {"x": 1.0}}
    assert storage.claim_waiting_trial(sid).trial_id == second.trial_id
    assert storage.claim_waiting_trial(sid) is None


def test_claim_race_gives_each_trial_once(storage, reopen):
    sid = storage.create_study("s", [MIN])
    waiting = {storage.create_trial(sid, state=TrialState.WAITING).trial_id for _ in range(24)}
    handles = [storage, reopen(storage)]

    def claim_all(i: int) -> list[int]:
        mine = []
        while (t := handles[i % 2].claim_waiting_trial(sid)) is not None:
            mine.append(t.trial_id)
        return mine

    claimed = [tid for ids in run_threads(6, claim_all) for tid in ids]
    assert sorted(claimed) == sorted(waiting)
    assert all(t.state == TrialState.RUNNING for t in storage.get_all_trials(sid))


def test_fail_stale_trials(storage, reopen):
    sid = storage.create_study("s", [MIN])
    other = reopen(storage)  # opened first: on a loaded machine opening can take longer than the grace
    other.get_study(sid)
    stale = storage.create_trial(sid)
    storage.create_trial(sid, state=TrialState.WAITING)  # no heartbeat: never failed
    done = storage.create_trial(sid)
    storage.finish_trial(done.trial_id, TrialState.COMPLETE, [1.0])
    time.sleep(2.5)
    fresh = storage.create_trial(sid)
    beating = storage.create_trial(sid)
    storage.record_heartbeat(beating.trial_id)
    assert storage.fail_stale_trials(sid, _dt.timedelta(seconds=60)) == []
    results = run_threads(4, lambda i: (storage if i % 2 else other).fail_stale_trials(sid, _dt.timedelta(seconds=2.0)))
    failed = [t for r in results for t in r]
    assert [t.trial_id for t in failed] == [stale.trial_id]  # exactly once, by one caller
    assert failed[0].state == TrialState.FAIL and failed[0].datetime_complete is not None
    states = {t.trial_id: t.state for t in storage.get_all_trials(sid)}
    assert states[stale.trial_id] == TrialState.FAIL
    assert states[fresh.trial_id] == states[beating.trial_id] == TrialState.RUNNING
    with pytest.raises(TrialFinishedError):
        storage.finish_trial(stale.trial_id, TrialState.COMPLETE, [1.0])


def test_heartbeat_moves_forward(storage):
    sid = storage.create_study("s", [MIN])
    t = storage.create_trial(sid)
    time.sleep(0.01)
    storage.record_heartbeat(t.trial_id)
    assert storage.get_trial(t.trial_id).heartbeat > t.heartbeat
    waiting = storage.create_trial(sid, state=TrialState.WAITING)
    storage.record_heartbeat(waiting.trial_id)  # not running: nothing to beat
    assert storage.get_trial(waiting.trial_id).heartbeat is None


def _same(trial):
    """FrozenTrial equality that treats NaN == NaN (constraints hold a NaN above)."""

    class _Eq:
        def __eq__(self, other):
            a, b = trial.__dict__.copy(), other.__dict__.copy()
            ca, cb = a.pop("constraints"), b.pop("constraints")
            same_c = (ca is None and cb is None) or (
                len(ca) == len(cb) and all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(ca, cb, strict=True))
            )
            a["values"], b["values"] = _tuple(a["values"]), _tuple(b["values"])
            return same_c and a == b

    return _Eq()


def _tuple(v):
    return None if v is None else tuple(v)
