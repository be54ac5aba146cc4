"""Bounded retries of storage calls that failed for a reason that may pass.

A PostgreSQL restart or failover breaks every pooled connection; without retries each worker's
``optimize`` loop would end on its next storage call. :func:`retrying` wraps a public
:class:`~pfnopt.storage.sql.SQLStorage` method: on :class:`TransientStorageError` it waits (capped
exponential backoff with jitter) and runs the WHOLE method again, until it succeeds or
``retry_seconds`` have passed, then re-raises the last error, saying how long it tried.

What may be retried:

* a failure before COMMIT was sent: the transaction rolled back, so running the method again is
  always safe;
* a failure DURING the COMMIT of a write (``commit_unknown``: the write may or may not have
  happened) only for methods marked ``idempotent``: upserts (attributes, intermediate values),
  heartbeats, adding the same parameters again, failing stale trials (a repeat finds nothing left
  to fail), ``finish_trial``, which on a retry accepts a trial already finished with the same
  state and values as its own earlier attempt (see :func:`is_retry`), and creating or claiming a
  trial, whose next try first looks for the row its broken COMMIT wrote and keeps it if it landed
  (``SQLStorage._settle``). Creating and deleting a study are not repeated then: the error is
  raised at once. The COMMIT of a read changes nothing and is always retried.

Nested calls (a retried method calling another public method) retry only at the outermost level.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import threading
import time
from typing import Any, Callable, TypeVar

from pfnopt.exceptions import ParameterError, TransientStorageError

logger = logging.getLogger("pfnopt")

RETRY_ENV = "PFNOPT_STORAGE_RETRY_SECONDS"
DEFAULT_RETRY_SECONDS = 60.0
FIRST_DELAY_S = 0.05
MAX_DELAY_S = 2.0

F = TypeVar("F", bound=Callable[..., Any])
_state = threading.local()


def retry_seconds_from_env() -> float:
    """``$PFNOPT_STORAGE_RETRY_SECONDS`` (seconds; 0 turns retries off), default 60."""
    text = os.environ.get(RETRY_ENV, "")
    if not text:
        return DEFAULT_RETRY_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ParameterError(f"{RETRY_ENV}={text!r}: must be a finite number of seconds >= 0")
    return value


def is_retry() -> bool:
    """True inside a method run again after a transient error (its earlier try may have committed)."""
    return getattr(_state, "attempt", 0) > 0


def retrying(idempotent: bool) -> Callable[[F], F]:
    """Decorate a storage method (its ``self`` has ``retry_seconds``) to retry transient errors."""

    def wrap(method: F) -> F:
        @functools.wraps(method)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(_state, "depth", 0) > 0:  # an outer call retries for us
                return method(self, *args, **kwargs)
            deadline = time.monotonic() + self.retry_seconds
            delay, attempt = FIRST_DELAY_S, 0
            _state.depth = 1
            try:
                while True:
                    _state.attempt = attempt
                    try:
                        return method(self, *args, **kwargs)
                    except TransientStorageError as e:
                        if e.commit_unknown and not idempotent:
                            raise
                        left = deadline - time.monotonic()
                        if left <= 0:
                            if attempt:
                                raise TransientStorageError(
                                    f"{e} (gave up after {attempt + 1} tries over {self.retry_seconds:g} s)",
                                    e.commit_unknown,
                                ) from e
                            raise
                        if attempt == 0:
                            logger.warning("%s; retrying %s for up to %.0f s", e, method.__name__.lstrip("_"),
                                       self.retry_seconds)
                        time.sleep(min(left, delay * random.uniform(0.5, 1.0)))
                        delay = min(2 * delay, MAX_DELAY_S)
                        attempt += 1
            finally:
                _state.depth = 0
                _state.attempt = 0

        return run  # type: ignore[return-value]

    return wrap
