"""Proposals of trials in flight (pfnopt._in_flight): threads of one process see each other's chosen points."""

from __future__ import annotations

import threading

import pytest

import pfnopt
from pfnopt import Float, Int, TrialState
from pfnopt._in_flight import InFlightProposals, PendingView
from pfnopt.samplers.simple import RandomSampler

WAIT = 10.0  # seconds an event is waited for before the test gives up (never reached when it passes)


class Interleaving(RandomSampler):
    """Random points, with a forced interleaving once armed: the first sampling, having chosen its point,
    waits (up to ``hold`` s) for the second sampling to finish; the second reads the study only after the
    first has chosen, and records what it sees of the RUNNING trials."""

    def __init__(self, hold: float):
        super().__init__(seed=0)
        self.hold = hold
        self.armed = False
        self.chosen = threading.Event()  # the first sampling has its point
        self.second_done = threading.Event()
        self._calls = 0
        self._count = threading.Lock()
        self.first: tuple[int, dict] | None = None
        self.seen: dict[int, dict] | None = None

    def sample(self, study, trial, space):
        if not self.armed:
            return super().sample(study, trial, space)
        with self._count:
            call, self._calls = self._calls, self._calls + 1
        if call == 0:
            params = super().sample(study, trial, space)
            self.first = (trial.number, dict(params))
            self.chosen.set()
            self.second_done.wait(self.hold)  # the old code let the second sample right here
            return params
        assert self.chosen.wait(WAIT)
        self.seen = {t.number: dict(t.params) for t in study.get_trials(states=(TrialState.RUNNING,))
                     if t.number != trial.number}
        self.second_done.set()
        return super().sample(study, trial, space)


def test_a_second_thread_samples_after_the_first_has_chosen_and_sees_its_point():
    # deterministic on the code before pfnopt._in_flight: the second sampling ran while the first trial was
    # RUNNING with no params stored, and saw it as {} (no pending point); now it waits for the first's choice
    sampler = Interleaving(hold=0.5)
    study = pfnopt.create_study(sampler=sampler)

    def objective(trial):
        x = trial.suggest("x", Float(0.0, 1.0))
        if sampler.armed:  # y is proposed but not stored until the second trial has been sampled
            assert sampler.second_done.wait(WAIT)
        return x + trial.suggest("y", Int(0, 9))

    study.optimize(objective, n_trials=2)  # the joint space {x, y} is known from now on
    sampler.armed = True
    study.optimize(objective, n_trials=2, n_jobs=2)
    number, proposal = sampler.first
    assert sampler.seen == {number: proposal}  # x from the storage, y from the proposal in flight
    assert len(study._in_flight) == 0  # told: nothing left pending
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4


def test_a_failed_trial_and_an_asked_space_leave_no_proposal_behind():
    study = pfnopt.create_study(sampler=RandomSampler(seed=1))

    def fails(trial):
        trial.suggest("x", Float(0.0, 1.0))
        raise ValueError("objective refuses")

    study.optimize(lambda t: t.suggest("x", Float(0.0, 1.0)), n_trials=2)
    study.optimize(fails, n_trials=2, catch=(ValueError,))
    assert len(study._in_flight) == 0
    asked = study.ask({"x": Float(0.0, 1.0)})  # every parameter stored at once: nothing in flight
    assert len(study._in_flight) == 0 and "x" in asked.params
    running = study.ask()
    running.suggest("x", Float(0.0, 1.0))
    study._storage.finish_trial(running._trial_id, TrialState.FAIL, None, None, {})  # failed elsewhere
    study._sampler_view.get_trials()  # an entry seen finished is dropped
    assert len(study._in_flight) == 0


def test_the_view_completes_running_trials_with_their_unstored_proposals(tmp_path, study_name):
    study = pfnopt.create_study(study_name=study_name, storage=f"sqlite:///{tmp_path / 'p.db'}", sampler="random")
    done = study.ask()
    done.suggest_float("x", -1.0, 1.0)
    study.tell(done, 1.0)
    running = study.ask()
    running.suggest_float("x", -1.0, 1.0)  # stored: it wins over the proposal
    queued = study.ask()  # not started: nothing stored yet
    proposals = InFlightProposals()
    space = {"x": Float(-1.0, 1.0), "y": Int(0, 5)}
    proposals.add(done._trial_id, {"x": 0.9, "y": 5}, space)  # finished: never overlaid, dropped when seen
    proposals.add(running._trial_id, {"x": 0.5, "y": 1}, space)
    proposals.add(queued._trial_id, {"x": -0.5}, space)
    proposals.add(queued._trial_id, {"y": 2}, space)  # a parameter sampled alone later joins the proposal
    view = PendingView(study, proposals)

    seen = {t.number: t.params for t in view.get_trials()}
    assert seen == {0: done.params, 1: {"x": running.params["x"], "y": 1}, 2: {"x": -0.5, "y": 2}}
    assert view.trials[2].distributions == space
    assert len(proposals) == 2
    assert [t.number for t in view.get_trials(states=(TrialState.RUNNING,))] == [1, 2]
    assert view.study_name == study.study_name and view.directions == study.directions
    proposals.discard(queued._trial_id)
    assert view.trials[2].params == {}
    assert study.get_trials()[2].params == {}  # the storage never got a proposal


@pytest.mark.parametrize("n_jobs", [2, 3])
def test_threads_of_one_optimize_take_turns_to_sample(n_jobs):
    # every sampling starts after the one before it has recorded its point: no two overlap in time
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    class Timed(RandomSampler):
        def sample(self, study, trial, space):
            import time

            t0 = time.perf_counter()
            time.sleep(0.01)  # long enough for another thread to start sampling if it could
            out = super().sample(study, trial, space)
            with lock:
                spans.append((t0, time.perf_counter()))
            return out

    study = pfnopt.create_study(sampler=Timed(seed=2))
    study.optimize(lambda t: t.suggest("x", Float(0.0, 1.0)) + t.suggest("y", Float(0.0, 1.0)), n_trials=12,
                   n_jobs=n_jobs)
    spans.sort()
    assert len(spans) >= 12
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
