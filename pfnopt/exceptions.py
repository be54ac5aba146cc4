"""One error tree for pfnopt.

Every message names the offending value and, where there is one, the fix. Errors that are
also standard Python errors inherit from them too, so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class PfnoptError(Exception):
    """Base class of every error pfnopt raises on purpose."""


class ParameterError(PfnoptError, ValueError):
    """A distribution or a parameter value is invalid (names the parameter and the value)."""


class StudyNotFoundError(PfnoptError, LookupError):
    """No study of that name (or id) in the storage."""


class DuplicateStudyError(PfnoptError, ValueError):
    """A study of that name already exists (use ``load_if_exists=True`` to reuse it)."""


class TrialNotFoundError(PfnoptError, LookupError):
    """No trial with that number or id in the study."""


class TrialFinishedError(PfnoptError, RuntimeError):
    """The trial is already finished: it cannot be told or changed again."""


class InvalidValueError(PfnoptError, ValueError):
    """An objective or constraint value is not a finite number, or has the wrong count."""


class NoFeasibleTrialError(PfnoptError, ValueError):
    """The study has finished trials but none is feasible (or none is complete)."""


class StorageError(PfnoptError, RuntimeError):
    """The storage could not be opened or used: malformed URL, unreachable server, driver error."""


class SchemaVersionError(StorageError):
    """The database schema differs from the code's; the message says which command to run."""


class MissingDependencyError(PfnoptError, ImportError):
    """An optional extra (Optuna, psycopg, Dask, ...) is needed and is not installed."""


class UsageError(PfnoptError, ValueError):
    """A call or command-line argument that is malformed or not allowed here (``--objective`` without
    ``:function``, ``study.direction`` of a multi-objective study, ...)."""


class NotSupportedError(PfnoptError, ValueError):
    """An option, or a combination of options, that the component does not implement (raised instead of
    silently ignoring it): e.g. a single-objective sampler given a multi-objective study."""


class InputFileNotFoundError(PfnoptError, FileNotFoundError):
    """A file or folder the user named (objective file, data set, space file, exported model) does not exist."""


class BenchmarkError(PfnoptError, RuntimeError):
    """A benchmark cell could not be run (e.g. its objective failed on every trial)."""


class TrialPruned(PfnoptError):
    """Raised inside an objective to stop the trial early (after ``trial.should_prune()``).

    ``study.optimize`` catches it and stores the trial as PRUNED.
    """


def missing_extra(package: str, extra: str) -> MissingDependencyError:
    """The error raised when an optional import fails: says what to install."""
    return MissingDependencyError(
        f"this feature needs the optional package {package!r}: install it with "
        f"`pip install 'pfnopt[{extra}]'`"
    )


class TransientStorageError(StorageError):
    """A storage call failed for a reason that may pass (connection lost, server restarting,
    serialization failure, deadlock) and kept failing through the bounded retries.

    ``commit_unknown`` is True when the connection broke while committing, so the write may or
    may not have happened."""

    def __init__(self, message: str, commit_unknown: bool = False):
        super().__init__(message)
        self.commit_unknown = commit_unknown


# Optuna's names for the same errors, so ``except optuna.exceptions.X`` ports with the import.
OptunaError = PfnoptError
DuplicatedStudyError = DuplicateStudyError
UpdateFinishedTrialError = TrialFinishedError
StorageInternalError = StorageError


class ExperimentalWarning(PfnoptError, Warning):
    """Optuna's warning class for experimental features (pfnopt raises none; programs filter it)."""
