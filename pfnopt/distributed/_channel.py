"""Samples for parameters outside a trial's proposal, drawn by the driver's sampler over Dask.

A worker's trial gets its proposal from the driver with the task. A parameter it suggests that
the proposal does not cover (a conditional parameter seen for the first time, a changed
distribution, or any parameter of the first trials, before a finished trial tells the driver the
space) would otherwise need a sampler on the worker. Instead the worker puts a request on a
Dask queue (named per ``optimize`` run) and waits on a Dask variable for the answer; a thread of
the driver answers with the study's sampler. Messages are msgpack-plain: ids, names,
distribution JSON, external values.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from pfnopt.exceptions import PfnoptError
from pfnopt.records import FrozenTrial
from pfnopt.samplers.base import BaseSampler
from pfnopt.space import SearchSpace, distribution_from_json, distribution_to_json

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study

logger = logging.getLogger("pfnopt")


class DriverUnreachableError(PfnoptError, RuntimeError):
    """A worker asked the driver for a sample and got no answer in time (driver gone?)."""


class SampleServer:
    """The driver's side: answers sample requests with ``study.sampler`` on a daemon thread."""

    def __init__(self, client: Any, study: "Study", view: Any = None):
        from distributed import Queue

        self.name = f"pfnopt-sample-{uuid.uuid4().hex}"
        self._client = client
        self._study = study
        self._view = study if view is None else view  # what the sampler reads (pending proposals)
        self._queue = Queue(self.name, client=client)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="pfnopt-sample-server", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        from distributed import Variable

        while not self._stop.is_set():
            try:  # no timeout: the scheduler logs every expired wait as an error; close() wakes us
                request = self._queue.get()
            except Exception:  # the client is closing: stop quietly
                return
            if request.get("stop"):
                return
            reply = self._answer(request)
            try:
                Variable(request["reply"], client=self._client).set(reply)
            except Exception as e:  # the worker times out on its side and fails the trial
                logger.warning("could not answer sample request %s: %s", request.get("reply"), e)

    def _answer(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            sampler = self._study.sampler
            frozen = self._study._storage.get_trial(int(request["trial_id"]))
            name = request["name"]
            space = SearchSpace({name: distribution_from_json(request["distribution"])})
            t0 = time.perf_counter()
            value = self._study._in_flight.sample(sampler, self._view, frozen, space)[name]  # takes its turn
            seconds = time.perf_counter() - t0
            return {"value": value, "seconds": seconds, "diagnostics": sampler.pop_diagnostics()}
        except Exception as e:
            return {"error": f"{type(e).__name__}: {e}"}

    def close(self) -> None:
        self._stop.set()
        try:
            self._queue.put({"stop": True})
        except Exception:  # the client is gone already, and with it the blocked get
            pass
        self._thread.join(timeout=5)


class DriverSampler(BaseSampler):
    """The worker's side: a sampler whose every draw is made by the driver's sampler.

    ``sample`` handles one parameter per request (the only case a worker meets: its trial's joint
    proposal came with the task). It raises :class:`DriverUnreachableError` after ``timeout``
    seconds without an answer, which fails the trial with that reason.
    """

    def __init__(self, queue_name: str, timeout: float):
        super().__init__(seed=None)
        self.queue_name = queue_name
        self.timeout = timeout

    def sample(self, study: "Study", trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        return {name: self._ask_driver(trial.trial_id, name, dist) for name, dist in space.items()}

    def _ask_driver(self, trial_id: int, name: str, dist: Any) -> Any:
        from distributed import Queue, Variable

        reply_name = f"{self.queue_name}-reply-{uuid.uuid4().hex}"
        Queue(self.queue_name).put(
            {"trial_id": trial_id, "name": name, "distribution": distribution_to_json(dist), "reply": reply_name}
        )
        reply_var = Variable(reply_name)
        try:
            reply = reply_var.get(timeout=self.timeout)
        except TimeoutError:
            raise DriverUnreachableError(
                f"the driver did not answer the sample request for parameter {name!r} within "
                f"{self.timeout:g} s (is the process running study.optimize still alive?)"
            ) from None
        finally:
            try:
                reply_var.delete()
            except Exception:
                pass
        if "error" in reply:
            raise PfnoptError(f"the driver's sampler failed on parameter {name!r}: {reply['error']}")
        self.record(**reply.get("diagnostics", {}))
        return reply["value"]

    def __repr__(self) -> str:
        return "DriverSampler(the driver's sampler, over Dask)"
