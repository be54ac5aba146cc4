"""Leases of the trials a remote client asked for: the client keeps its trial alive, not the server.

In-process, a study with ``heartbeat_interval`` starts a heartbeat thread at ``ask`` that only
``tell`` stops. In the server that would keep every asked trial alive for as long as the server
runs, also the trials of a client that asked and disappeared. A server started with a lease
(``pfnopt serve --heartbeat-interval S``) does not beat for anyone: ``ask`` stamps the trial's
heartbeat once, and from then on only the client refreshes it (``POST
/api/studies/{name}/trials/{number}/heartbeat``; :mod:`pfnopt.client` does it from a background
thread every ``heartbeat_interval`` while a trial is open). A trial whose client stopped beating
for ``grace_period`` seconds is stale: the study's stale-trial rule fails it at the next ask of
that study and enqueues its retry (same parameters, up to ``max_retry`` times), which that ask
hands out.
"""

from __future__ import annotations

from dataclasses import dataclass

from pfnopt._heartbeat import check_heartbeat_settings
from pfnopt.study import Study


@dataclass(frozen=True)
class Lease:
    """The server's lease settings (checked like a study's heartbeat settings)."""

    heartbeat_interval: float
    grace_period: float
    max_retry: int = 0

    @classmethod
    def from_settings(cls, heartbeat_interval: float | None, grace_period: float | None = None,
                      max_retry: int = 0) -> "Lease | None":
        """None without ``heartbeat_interval`` (no lease: trials carry no heartbeat and never go stale)."""
        if heartbeat_interval is None:
            if grace_period is not None:
                from pfnopt.exceptions import ParameterError

                raise ParameterError(f"grace_period ({grace_period!r} s) needs heartbeat_interval: the lease's "
                                     "clients beat every heartbeat_interval seconds")
            check_heartbeat_settings(None, None, max_retry)
            return None
        interval, grace, retry = check_heartbeat_settings(heartbeat_interval, grace_period, max_retry)
        assert interval is not None and grace is not None
        return cls(interval, grace, retry)


class LeasedStudy(Study):
    """A study of the server: ``ask`` stamps the trial's heartbeat (and first fails the stale
    trials, as any study with heartbeats does) but starts no heartbeat thread; the client beats."""

    def _start_heartbeat(self, trial_id: int) -> None:  # the client holds the lease, not this process
        return None
