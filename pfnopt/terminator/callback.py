"""``Terminator`` / ``TerminatorCallback``: Optuna's terminator judging a copy of a pfnopt study."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pfnopt.exceptions import missing_extra
from pfnopt.records import FrozenTrial, TrialState

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study

logger = logging.getLogger("pfnopt")


def _optuna():
    try:
        import optuna
    except ImportError:
        raise missing_extra("optuna", "optuna") from None
    return optuna


def optuna_copy(study: "Study") -> Any:
    """An in-memory Optuna study with the pfnopt study's COMPLETE trials (params, values, system attrs)."""
    import warnings

    from pfnopt.samplers.compat import to_optuna_trial

    optuna = _optuna()
    quiet = logging.getLogger("optuna")
    level, quiet_level = quiet.level, logging.WARNING
    quiet.setLevel(quiet_level)
    try:
        copy = optuna.create_study(directions=[d.name.lower() for d in study.directions])
    finally:
        quiet.setLevel(level)
    done = study.get_trials(states=(TrialState.COMPLETE,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copy.add_trials([to_optuna_trial(t) for t in done])
    return copy


class Terminator:
    """Optuna's ``Terminator`` (same arguments) for pfnopt studies."""

    def __init__(self, *args: Any, **kwargs: Any):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            _optuna()
            from optuna.terminator import Terminator as _OptunaTerminator

            self._optuna_terminator = _OptunaTerminator(*args, **kwargs)

    def should_terminate(self, study: "Study") -> bool:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bool(self._optuna_terminator.should_terminate(optuna_copy(study)))


class TerminatorCallback:
    """Stops ``optimize`` when the terminator says so: ``optimize(..., callbacks=[TerminatorCallback()])``."""

    def __init__(self, terminator: Terminator | None = None):
        self._terminator = terminator or Terminator()

    def __call__(self, study: "Study", trial: FrozenTrial) -> None:
        if self._terminator.should_terminate(study):
            logger.info("study %r stopped by the terminator after trial %d", study.study_name, trial.number)
            study.stop()
