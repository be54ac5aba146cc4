"""The narrow view of a study that samplers (and pruners) read: what they may rely on, and nothing more.

Typing samplers against this protocol instead of :class:`pfnopt.study.Study` breaks the import cycle
study -> samplers -> study, and states the contract: a sampler reads the directions, the name, attributes
and trials; it never writes (diagnostics go through ``BaseSampler.record``). Any object with these
members works: a :class:`~pfnopt.study.Study`, a test double, a read-only snapshot.
"""

from __future__ import annotations

from typing import Any, Iterable, Protocol, runtime_checkable

from pfnopt.records import FrozenTrial, StudyDirection, TrialState


@runtime_checkable
class StudyView(Protocol):
    """What a sampler may read from a study."""

    @property
    def study_name(self) -> str: ...

    @property
    def directions(self) -> tuple[StudyDirection, ...]: ...  # one per objective

    def get_trials(self, states: Iterable[TrialState] | None = None) -> list[FrozenTrial]: ...  # by number

    @property
    def system_attrs(self) -> dict[str, Any]: ...
