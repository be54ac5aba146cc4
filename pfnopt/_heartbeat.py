"""Heartbeats of RUNNING trials, and the checks of the settings that drive them.

A study with ``heartbeat_interval`` set keeps every trial it asks for alive: ``ask`` starts a
:class:`Heartbeat` (a daemon thread writing the trial's heartbeat every interval) and ``tell``
stops it, so a hand-driven trial (ask ... a long evaluation ... tell) is as safe as one run by
``optimize``. The thread stops by itself once the trial is finished elsewhere. A study WITHOUT
``heartbeat_interval`` stamps no heartbeat on its trials, and a trial without a heartbeat is never
failed as stale (nobody promised to keep it alive, e.g. ``pfnopt ask`` from a shell script).

Staleness is judged by comparing the stored heartbeat, written with the WRITER's clock, with the
CHECKER's clock: machines sharing a study need clocks that agree to well within
``grace_period - heartbeat_interval`` (NTP does that).
"""

from __future__ import annotations

import math
import threading
from typing import Callable

from pfnopt.exceptions import ParameterError


class Heartbeat:
    """Calls ``beat()`` every ``interval`` seconds on a daemon thread until stopped, or until
    ``beat()`` returns False (the trial is no longer RUNNING). A failing beat (the database is
    unreachable for a moment) is skipped: the next one tries again."""

    def __init__(self, beat: Callable[[], bool], interval: float, name: str = "pfnopt-heartbeat"):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(beat, interval), daemon=True, name=name)
        self._thread.start()

    def _run(self, beat: Callable[[], bool], interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                if beat() is False:
                    return
            except Exception:  # noqa: BLE001 - a missed beat must never kill the trial
                pass

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


def _seconds(what: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{what} must be a number of seconds, got {value!r} ({type(value).__name__})")
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ParameterError(f"{what} must be a finite number of seconds > 0, got {value!r}")
    return v


def check_heartbeat_settings(
    heartbeat_interval: object, grace_period: object, max_retry: object
) -> tuple[float | None, float | None, int]:
    """``(interval, grace, max_retry)`` checked, grace defaulting to twice the interval.

    Refused (ParameterError naming the setting and the value): a non-number, zero or negative or
    infinite interval or grace, a grace period not longer than the interval (every live trial
    would look stale between two beats), and a ``max_retry`` that is not an integer >= 0.
    """
    interval = None if heartbeat_interval is None else _seconds("heartbeat_interval", heartbeat_interval)
    grace = None if grace_period is None else _seconds("grace_period", grace_period)
    if grace is None and interval is not None:
        grace = 2 * interval
    if interval is not None and grace is not None and not grace > interval:
        raise ParameterError(
            f"grace_period ({grace_period!r} s) must be longer than heartbeat_interval ({heartbeat_interval!r} s), "
            "else live trials are failed between two beats; use at least twice the interval"
        )
    if isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0:
        raise ParameterError(f"max_retry must be an integer >= 0, got {max_retry!r}")
    return interval, grace, max_retry
