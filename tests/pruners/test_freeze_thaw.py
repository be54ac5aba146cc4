"""Freeze-thaw scheduling with the shipped curve PFN: toy curves on SQLite (resume after a kill), bad input,
and a tiny LCBench search end to end."""

from __future__ import annotations

import math

import numpy as np
import pytest

import pfnopt
from pfnopt.multifidelity.freeze_thaw import ATTR, FreezeThaw
from pfnopt.records import TrialState
from pfnopt.space import Float

SPACE = {"x": Float(0.0, 1.0)}
T = 20


def toy_curve(x: float) -> np.ndarray:
    """An accuracy curve whose level rises with ``x`` (the best configurations have x near 1)."""
    t = np.arange(1, T + 1)
    return 0.3 + 0.6 * x - 0.25 * t**-0.7


class Killed(RuntimeError):
    pass


def toy_train(calls: list, kill_after: int | None = None):
    def train(trial, start, stop):
        calls.append((trial.number, start, stop))
        if kill_after is not None and len(calls) > kill_after:
            raise Killed("the search process is killed mid-chunk")
        return list(toy_curve(trial.params["x"])[start:stop])

    return train


def test_freeze_thaw_continues_promising_trials_and_resumes_after_a_kill(tmp_path):
    url = f"sqlite:///{tmp_path / 'ft.db'}"
    study = pfnopt.create_study(study_name="ft", storage=url, direction="maximize",
                                sampler=pfnopt.samplers.get_sampler("random", seed=0))
    calls: list = []
    ft = FreezeThaw(study, SPACE, max_epochs=T, n_startup=3)
    with pytest.raises(Killed):
        ft.run(toy_train(calls, kill_after=40), epoch_budget=400)
    trials = study.trials
    left = [t for t in trials if t.state == TrialState.RUNNING]
    assert left and all(t.system_attrs.get(ATTR) in ("paused", "running") for t in left)
    killed = next(t for t in left if t.system_attrs[ATTR] == "running")  # the one killed mid-chunk
    assert any(s > 0 for _, s, _ in calls)  # some trial was continued, not only started
    # a new process on the same storage resumes: the killed trial continues from its last stored report
    again = pfnopt.load_study(study_name="ft", storage=url, sampler=pfnopt.samplers.get_sampler("random", seed=1))
    ft2 = FreezeThaw(again, SPACE, max_epochs=T, n_startup=3)
    assert {t.number for t in ft2.paused_trials()} == {t.number for t in left}
    calls2: list = []
    res = ft2.run(toy_train(calls2), epoch_budget=160)
    assert res.epochs_used == 160 and res.completions
    resumed = [(s, e) for n, s, e in calls2 if n == killed.number]
    if resumed:  # when it was given epochs again, it started where its stored curve ended
        assert resumed[0][0] == len(killed.intermediate_values)
    done = again.get_trials(states=(TrialState.COMPLETE,))
    assert done and all(len(t.intermediate_values) == T for t in done)
    for t in again.trials:  # every stored curve is the toy curve of its configuration, epoch by epoch
        c = FreezeThaw.curve(t)
        assert np.allclose(c, toy_curve(t.params["x"])[: len(c)])
    # completed trials are the promising ones: higher x than the average started trial
    assert np.mean([t.params["x"] for t in done]) > np.mean([t.params["x"] for t in again.trials])
    closed = ft2.close()
    assert closed and all(t.state == TrialState.PRUNED and math.isfinite(t.value) for t in closed)
    assert not ft2.paused_trials()


def test_freeze_thaw_bad_input():
    study = pfnopt.create_study(direction="maximize")
    with pytest.raises(pfnopt.ParameterError, match="first_epochs=20 must be below max_epochs=20"):
        FreezeThaw(study, SPACE, max_epochs=20, first_epochs=20)
    with pytest.raises(pfnopt.ParameterError, match="stop_below"):
        FreezeThaw(study, SPACE, max_epochs=20, stop_below=1.5)
    with pytest.raises(pfnopt.ParameterError, match="single-objective"):
        FreezeThaw(pfnopt.create_study(directions=["maximize", "minimize"]), SPACE, max_epochs=20)
    beating = pfnopt.create_study(direction="maximize", heartbeat_interval=60)
    with pytest.raises(pfnopt.ParameterError, match="heartbeats"):
        FreezeThaw(beating, SPACE, max_epochs=20)
    ft = FreezeThaw(study, SPACE, max_epochs=20)
    with pytest.raises(pfnopt.ParameterError, match="epoch_budget"):
        ft.run(toy_train([]), epoch_budget=0)
    with pytest.raises(pfnopt.ParameterError, match="returned 1 values; it must return one per epoch"):
        ft.run(lambda trial, start, stop: [0.5], epoch_budget=10)
    assert len(study.trials) == 1  # the bad trainer's trial stays stored, with nothing reported
    assert not study.trials[0].intermediate_values


def test_freeze_thaw_on_lcbench_end_to_end():
    pytest.importorskip("onnxruntime")
    from pfnopt.multifidelity import LCBench, default_lcbench_dir
    from pfnopt.multifidelity.compare import run_freeze_thaw

    if not (default_lcbench_dir() / "model.onnx").is_file():
        pytest.skip("no LCBench data (set PFNOPT_LCBENCH_DIR)")
    res = run_freeze_thaw(LCBench(), "3945", "freeze-thaw", 0, 52 * 4)
    assert res.epochs_used == 208 and res.n_complete >= 1 and res.n_trials > 4
    assert 0.5 < res.incumbent <= 1.0 and res.trajectory[-1][1] == res.incumbent


def test_freeze_thaw_completes_a_trial_killed_after_its_last_report():
    study = pfnopt.create_study(direction="maximize", sampler=pfnopt.samplers.get_sampler("random", seed=3))
    trial = study.ask(SPACE)
    for e, v in enumerate(toy_curve(trial.params["x"])):
        trial.report(float(v), e)
    study.storage.set_trial_attr(trial._trial_id, ATTR, "running", system=True)
    res = FreezeThaw(study, SPACE, max_epochs=T).run(toy_train([]), epoch_budget=4)
    first = study.trials[0]
    assert first.state == TrialState.COMPLETE and first.value == pytest.approx(toy_curve(first.params["x"])[-1])
    assert res.epochs_used == 4 and len(study.trials) == 3  # the budget went to two fresh trials
