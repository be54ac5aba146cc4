"""The live trial handed to an objective: ``suggest_*``, ``report``, ``should_prune``, constraints.

A :class:`Trial` writes each suggested parameter to the storage at once (so a crashed worker
leaves its parameters behind for a retry) and keeps constraints and sampler timings until the
study tells the result, which stores them in one transaction.
"""

from __future__ import annotations

import math
import numbers
import time
from typing import TYPE_CHECKING, Any, Sequence

from pfnopt.exceptions import InvalidValueError, ParameterError, TrialFinishedError
from pfnopt.records import FrozenTrial, TrialState  # noqa: F401  (TrialState: Optuna's pfnopt.trial.TrialState)
from pfnopt.space import Categorical, Distribution, Float, Int, SearchSpace, check_value
from pfnopt.space.names import check_name

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


class Trial:
    """One evaluation of the objective, RUNNING until told.

    Attributes: ``number`` (0, 1, ... in the study), ``params`` (suggested so far), ``study``.
    """

    def __init__(self, study: "Study", frozen: FrozenTrial, fixed_params: dict[str, Any] | None = None):
        self.study = study
        self._trial_id = frozen.trial_id
        self.number = frozen.number
        self._params: dict[str, Any] = dict(frozen.params)
        self._dists: dict[str, Distribution] = dict(frozen.distributions)
        self._fixed = dict(fixed_params or {})
        self._proposal: dict[str, Any] | None = None
        self._proposal_space: SearchSpace | None = None
        self._constraints: list[float] | None = None
        self._constraint_names: list[str] | None = None
        self.sampler_seconds = 0.0
        self.diagnostics: dict[str, Any] = {}
        self.datetime_start = frozen.datetime_start

    # suggestions ----------------------------------------------------------------------------
    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None) -> float:
        """A float in [low, high] (log scale with ``log=True``, on a grid with ``step``)."""
        return self.suggest(name, _named(name, Float, low, high, log=log, step=step))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        """An integer in [low, high] (both included)."""
        return self.suggest(name, _named(name, Int, low, high, log=log, step=step))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """One of ``choices`` (None, bool, int, float or str)."""
        return self.suggest(name, _named(name, Categorical, choices))

    def suggest(self, name: str, distribution: Distribution) -> Any:
        """The value of parameter ``name`` under ``distribution`` (any pfnopt distribution)."""
        check_name("parameter name", name)
        distribution = distribution.validate(name)
        if name in self._params:
            if self._dists[name] != distribution:
                raise ParameterError(
                    f"parameter {name!r} was suggested with {self._dists[name]!r} before and now with "
                    f"{distribution!r}; one name takes one distribution per trial"
                )
            return self._params[name]
        if name in self._fixed:
            value = self._fixed[name]
            check_value(name, distribution, value)
            value = distribution.to_external(distribution.to_internal(value))
        else:
            value = self._sample(name, distribution)
        self.study._storage.set_trial_params(self._trial_id, {name: value}, {name: distribution})
        self._params[name] = value
        self._dists[name] = distribution
        return value

    def _sample(self, name: str, distribution: Distribution) -> Any:
        sampler = self.study.sampler
        t0 = time.perf_counter()
        try:
            if self._proposal is None:
                frozen = self._snapshot()
                space = sampler.infer_space(self.study, frozen)
                space = space.subset([n for n in space if n not in self._fixed and n not in self._params])
                self._proposal_space = space
                self._proposal = self._propose(frozen, space) if len(space) else {}
                self.diagnostics.update(sampler.pop_diagnostics())
            if name in self._proposal and self._proposal_space is not None and self._proposal_space[name] == distribution:
                return self._checked_proposal(name, distribution, self._proposal[name])
            value = self._propose(self._snapshot(), SearchSpace({name: distribution}))[name]
            sampler.pop_diagnostics()
            return self._checked_proposal(name, distribution, value)
        finally:
            self.sampler_seconds += time.perf_counter() - t0

    def _propose(self, frozen: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        """The sampler's params for ``space``, chosen while no other thread of this process samples and
        shown to the next sampling as this trial's pending point (:mod:`pfnopt._in_flight`)."""
        study = self.study
        return study._in_flight.sample(study.sampler, study._sampler_view, frozen, space)

    def _assign_all(self, space: SearchSpace) -> None:
        """Give every parameter of a fixed space its value, stored in ONE write (ask(space))."""
        params: dict[str, Any] = {}
        for name, dist in space.items():
            if name in self._fixed:
                check_value(name, dist, self._fixed[name])
                params[name] = dist.to_external(dist.to_internal(self._fixed[name]))
            elif self._proposal is not None and name in self._proposal:
                params[name] = self._checked_proposal(name, dist, self._proposal[name])
            else:
                params[name] = self._sample(name, dist)
        self.study._storage.set_trial_params(self._trial_id, params, dict(space))
        self._params.update(params)
        self._dists.update(space)

    def _checked_proposal(self, name: str, distribution: Distribution, value: Any) -> Any:
        if not distribution.contains(value):
            raise ParameterError(
                f"sampler {self.study.sampler!r} proposed {value!r} for parameter {name!r}, outside {distribution!r}"
            )
        return value

    def _set_proposal(self, space: SearchSpace, params: dict[str, Any]) -> None:
        self._proposal_space, self._proposal = space, params

    def _snapshot(self) -> FrozenTrial:
        return self.study._storage.get_trial(self._trial_id)

    # reporting ------------------------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Store the intermediate ``value`` at ``step`` (e.g. validation loss after an epoch)."""
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ParameterError(f"report step must be a non-negative integer, got {step!r}")
        step = int(step)  # a numpy integer (an instance id from a permutation) is an integer
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise InvalidValueError(f"report value must be a number, got {value!r}") from None
        self.study._storage.set_trial_intermediate_value(self._trial_id, step, value)

    def should_prune(self) -> bool:
        """Ask the study's pruner whether to stop now (then ``raise pfnopt.TrialPruned()``)."""
        return self.study.pruner.prune(self.study, self._snapshot())

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serialisable attribute to the trial."""
        self.study._storage.set_trial_attr(self._trial_id, key, value)

    def set_constraints(self, values: Sequence[float]) -> None:
        """Black-box constraint values of this trial: feasible when every value is <= 0."""
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise InvalidValueError(f"constraints must be a sequence of numbers, got {values!r}")
        self._constraints = [_number("constraint value", v) for v in values]
        self._constraint_names = None

    def set_constraint(self, key: str, value: float) -> None:
        """One named constraint value (Optuna 5's ``trial.set_constraint``): feasible when <= 0.

        Named constraints are kept in the order first set; their names are stored with the trial
        (system attribute ``constraint_names``). A name set twice keeps its first value, as in Optuna.
        """
        if not isinstance(key, str) or not key:
            raise ParameterError(f"a constraint name must be a non-empty string, got {key!r}")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise InvalidValueError(f"constraint {key!r} must be a number, got {value!r}") from None
        if math.isnan(v):
            raise InvalidValueError(f"constraint {key!r} is NaN; constraint values must be numbers")
        names = self._constraint_names
        if names is None or self._constraints is None:
            names, self._constraints = [], []
        if key in names:
            return
        names.append(key)
        self._constraints.append(v)
        self._constraint_names = names

    # keeping the trial alive ----------------------------------------------------------------
    def heartbeat(self) -> None:
        """Write the trial's heartbeat now (for long loops in a process whose study has no
        ``heartbeat_interval``, or to be sure between steps). Raises TrialFinishedError when the
        trial is no longer RUNNING (failed as stale by another worker, or told elsewhere), so a
        long evaluation learns it can stop."""
        if not self.study._storage.record_heartbeat(self._trial_id):
            frozen = self._snapshot()
            raise TrialFinishedError(
                f"trial {self.number} is {frozen.state.name}, no longer RUNNING "
                f"({frozen.system_attrs.get('fail_reason') or 'failed as stale or told elsewhere'})"
            )

    def __enter__(self) -> "Trial":
        """``with study.ask() as trial: ... study.tell(trial, value)``: leaving the block stops the
        trial's heartbeat, and a trial still RUNNING is told FAIL (with the exception, or the note
        that the block ended without a tell; ``TrialPruned`` tells PRUNED and is swallowed)."""
        return self

    def __exit__(self, kind: Any, error: Any, tb: Any) -> bool:
        from pfnopt.exceptions import TrialPruned
        from pfnopt.records import TrialState

        study = self.study
        study._stop_heartbeat(self._trial_id)
        if self._snapshot().state.is_finished():
            return False
        if kind is not None and issubclass(kind, TrialPruned):
            study.tell(self, state=TrialState.PRUNED, skip_if_finished=True)
            return True
        reason = f"{kind.__name__}: {error}" if kind is not None else "the with-block ended without tell"
        study._storage.finish_trial(self._trial_id, TrialState.FAIL, None, self.constraints, {"fail_reason": reason})
        return False

    # read-only views ------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        return dict(self._dists)

    @property
    def constraints(self) -> list[float] | None:
        return None if self._constraints is None else list(self._constraints)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._snapshot().user_attrs)

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._params!r})"


def check_values(values: Any, n_objectives: int) -> tuple[list[float] | None, str | None]:
    """Normalise an objective's return value to a list of floats.

    Returns ``(values, None)`` when they are usable, ``(None, reason)`` when a value is NaN or
    infinite (the trial is then stored as FAIL with the reason); raises InvalidValueError for a
    wrong count or a non-number (nothing is stored).
    """
    if isinstance(values, (int, float)) and not isinstance(values, bool):
        seq = [values]
    elif isinstance(values, (list, tuple)):
        seq = list(values)
    elif hasattr(values, "item") and getattr(values, "size", 0) == 1:  # numpy / torch scalars
        seq = [values.item()]
    else:
        raise InvalidValueError(f"the objective must return a number (or {n_objectives} numbers), got {values!r}")
    if len(seq) != n_objectives:
        raise InvalidValueError(
            f"the study has {n_objectives} objective(s) but {len(seq)} value(s) were given: {seq!r}"
        )
    return _finite_numbers("objective value", seq)


def check_constraints(values: Sequence[float] | None) -> tuple[list[float] | None, str | None]:
    """Like :func:`check_values` for constraint values (any count)."""
    if values is None:
        return None, None
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidValueError(f"constraints must be a sequence of numbers, got {values!r}")
    return _finite_numbers("constraint value", values)


def _finite_numbers(what: str, seq: Sequence[Any]) -> tuple[list[float] | None, str | None]:
    """``(floats, None)``, or ``(None, reason)`` at the first value that is not finite (the trial then
    FAILs with that reason); a value that is not a number at all raises (:func:`_number`)."""
    out = []
    for v in seq:
        f = _number(what, v)
        if not math.isfinite(f):
            return None, f"{what} {f!r} is not finite"
        out.append(f)
    return out, None


def _number(what: str, v: Any) -> float:
    """``v`` as a float; a string, a bool or anything else that is not a number is refused (the
    same rule for a single value and for each value of a list)."""
    if isinstance(v, (str, bytes, bool)):
        raise InvalidValueError(f"{what} {v!r} is not a number ({type(v).__name__})")
    if hasattr(v, "item") and getattr(v, "size", 1) == 1 and not isinstance(v, (int, float)):
        v = v.item()  # numpy / torch scalars
        if isinstance(v, bool):
            raise InvalidValueError(f"{what} {v!r} is not a number (bool)")
    try:
        return float(v)
    except (TypeError, ValueError):
        raise InvalidValueError(f"{what} {v!r} is not a number") from None


def _named(name: str, kind: Any, *args: Any, **kwargs: Any) -> Distribution:
    """Build a distribution for ``suggest_*``, naming the parameter in a construction error."""
    try:
        return kind(*args, **kwargs)
    except ParameterError as e:
        raise ParameterError(f"parameter {name!r}: {e}") from None


def ensure_running(frozen: FrozenTrial) -> None:
    if frozen.state.is_finished():
        raise TrialFinishedError(
            f"trial {frozen.number} is already finished ({frozen.state.name}); it cannot be told again"
        )


# Optuna's names, at Optuna's module path (pfnopt.trial.X); defined in pfnopt._frozen_trials.
from pfnopt._frozen_trials import FixedTrial, create_trial  # noqa: E402

__all__ = ["FixedTrial", "FrozenTrial", "Trial", "TrialState", "create_trial"]
