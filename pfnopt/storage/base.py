"""The storage contract: everything a study needs from a place that keeps trials.

Implementations: :class:`~pfnopt.storage.memory.InMemoryStorage` (tests, notebooks) and
:class:`~pfnopt.storage.sql.SQLStorage` (SQLite, the embedded default, and PostgreSQL).

Contract shared by every implementation (the parametrised suite in ``tests/storage`` checks it):

* Every method is safe to call from several threads; the SQL storage is also safe across
  processes and machines sharing one database.
* Trial numbers are 0, 1, 2, ... per study, assigned atomically: concurrent workers never get the
  same number.
* A method that changes a trial raises :class:`TrialFinishedError` if the trial is already
  finished (COMPLETE, PRUNED or FAIL), and changes nothing.
* Each public method that writes is one transaction: it happens entirely or not at all, so bad
  input never loses what is already stored.
* Returned records (:class:`FrozenTrial`, :class:`StudyInfo`) are snapshots and never change.
* Values passed in have been validated by the caller (the study); storages still refuse what would
  corrupt them (unknown ids, a second distribution for one parameter name, finished trials).
"""

from __future__ import annotations

import abc
import datetime as _dt
from typing import Any, Sequence

from pfnopt.records import FrozenTrial, StudyDirection, StudyInfo, TrialState
from pfnopt.space import Distribution


class BaseStorage(abc.ABC):
    # studies ------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> int:
        """Create a study and return its id. Raises DuplicateStudyError if ``name`` exists."""

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study and all its trials. Raises StudyNotFoundError."""

    @abc.abstractmethod
    def get_study_id(self, name: str) -> int:
        """Raises StudyNotFoundError (listing the names that do exist, up to a few)."""

    @abc.abstractmethod
    def get_study(self, study_id: int) -> StudyInfo:
        """The study's record, with ``n_trials`` filled. Raises StudyNotFoundError."""

    @abc.abstractmethod
    def list_studies(self) -> list[StudyInfo]:
        """All studies, oldest first, with ``n_trials`` filled."""

    @abc.abstractmethod
    def set_study_attr(self, study_id: int, key: str, value: Any, system: bool = False) -> None:
        """Set a JSON-serialisable user (or system) attribute of the study, in one transaction."""

    # trials -------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_trial(
        self,
        study_id: int,
        state: TrialState = TrialState.RUNNING,
        params: dict[str, Any] | None = None,
        distributions: dict[str, Distribution] | None = None,
        user_attrs: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
        heartbeat: bool = True,
    ) -> FrozenTrial:
        """Create a trial (RUNNING or WAITING) with the next number, in one transaction.

        ``params`` are external values with their ``distributions``. A RUNNING trial gets
        ``datetime_start`` now, and a first heartbeat now when ``heartbeat`` (else none: a trial
        without a heartbeat is never failed as stale, see :meth:`fail_stale_trials`).
        """

    @abc.abstractmethod
    def claim_waiting_trial(self, study_id: int, heartbeat: bool = True) -> FrozenTrial | None:
        """Atomically turn the oldest WAITING trial into RUNNING and return it, or None (its first
        heartbeat is stamped when ``heartbeat``, as in :meth:`create_trial`).

        Two workers never claim the same trial (the update is conditional on the state still
        being WAITING; the loser moves on to the next).
        """

    @abc.abstractmethod
    def set_trial_params(self, trial_id: int, params: dict[str, Any], distributions: dict[str, Distribution]) -> None:
        """Add parameters to a RUNNING trial. A name already set with another distribution or
        another value raises ParameterError."""

    @abc.abstractmethod
    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        """Store (or overwrite) the value reported at ``step``."""

    @abc.abstractmethod
    def set_trial_attr(self, trial_id: int, key: str, value: Any, system: bool = False) -> None:
        """Set a JSON-serialisable user (or system) attribute of a trial."""

    @abc.abstractmethod
    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        constraints: Sequence[float] | None = None,
        system_attrs: dict[str, Any] | None = None,
    ) -> FrozenTrial:
        """Finish a RUNNING (or WAITING) trial in ONE transaction: state, values, constraints,
        attributes and ``datetime_complete``. Raises TrialFinishedError if already finished
        (including when another worker finished it first). Returns the finished trial."""

    @abc.abstractmethod
    def record_heartbeat(self, trial_id: int) -> bool:
        """Set the trial's heartbeat to now; True if it is RUNNING, False (and no change) if not."""

    @abc.abstractmethod
    def fail_stale_trials(self, study_id: int, grace: _dt.timedelta, max_retry: int = 0) -> list[FrozenTrial]:
        """Mark FAIL every RUNNING trial whose heartbeat is older than ``grace``; return them.

        Conditional on the state still being RUNNING, so two workers never fail (or retry) the
        same trial twice. Trials without a heartbeat (heartbeats disabled) are left alone. In the
        SAME transaction, each failed trial whose ``retry_lineage`` is shorter than ``max_retry``
        gets a WAITING retry with the same parameters (system attributes ``fixed_params``,
        ``retried_from``, ``retry_lineage``), so a crash can never leave a failure without its retry.
        """

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """Raises TrialNotFoundError."""

    @abc.abstractmethod
    def get_trial_id(self, study_id: int, number: int) -> int:
        """The id of trial ``number`` of the study. Raises TrialNotFoundError."""

    @abc.abstractmethod
    def get_all_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        """All trials of the study ordered by number, optionally only those in ``states``."""

    def get_n_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> int:
        return len(self.get_all_trials(study_id, states))

    def set_trial_datetimes(self, trial_id: int, datetime_start: _dt.datetime | None,
                            datetime_complete: _dt.datetime | None) -> FrozenTrial:
        """Overwrite a trial's start and completion times (copying a trial from another storage
        keeps its history). Optional: storages without it raise NotImplementedError and copies
        keep the time of copying."""
        raise NotImplementedError(f"{type(self).__name__} cannot set a trial's datetimes")

    def close(self) -> None:  # noqa: B027 (optional hook, deliberately not abstract)
        """Release connections (no-op by default)."""

    def describe(self) -> str:
        """A printable description (never contains a password)."""
        return type(self).__name__
