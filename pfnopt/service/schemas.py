"""The JSON bodies of the API, as pydantic models: validated on the way in, documented in /openapi.json.

Unknown fields are refused (``extra="forbid"``), so a misspelt ``"direciton"`` is a 422 naming it
rather than a silently minimised study.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_ASK_N = 256  # trials one ask may start: enough for a batch, small enough to bound one request


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StudyCreate(_Body):
    name: str = Field(..., min_length=1, description="Study name, unique in the storage.")
    direction: Literal["minimize", "maximize"] | None = Field(None, description="One objective's direction.")
    directions: list[Literal["minimize", "maximize"]] | None = Field(
        None, min_length=1, description="Several objectives' directions (instead of `direction`)."
    )
    sampler: str | None = Field(None, description="Sampler name (as `--sampler`); default: the server's.")
    seed: int | None = Field(None, ge=0, description="Sampler seed.")
    load_if_exists: bool = Field(False, description="Return the existing study of that name instead of a 409.")

    @model_validator(mode="after")
    def _one_direction_form(self) -> "StudyCreate":
        if self.direction is not None and self.directions is not None:
            raise ValueError("give 'direction' or 'directions', not both")
        return self

    def direction_list(self) -> list[str]:
        return list(self.directions) if self.directions is not None else [self.direction or "minimize"]


class StudySummary(BaseModel):
    name: str
    directions: list[str]
    n_trials: int
    created: str | None
    automl: bool = Field(description="Whether `pfnopt automl` made the study (its trials carry model attributes).")
    sampler: str | None = Field(description="The sampler the server uses for it.")


class AskBody(_Body):
    space: dict[str, dict[str, Any]] = Field(
        ..., description='The CLI\'s --space JSON, e.g. {"x": {"type": "float", "low": 0, "high": 1}}.'
    )
    n: int = Field(1, ge=1, le=MAX_ASK_N, description="How many trials to start; a list is returned when n > 1.")


class AskedTrial(BaseModel):
    number: int
    params: dict[str, Any]
    heartbeat_interval: float | None = Field(
        None, description="With a lease (`pfnopt serve --heartbeat-interval S`): POST the trial's /heartbeat "
        "every this many seconds until it is told, else it is failed (and retried) after the grace period.",
    )


class TrialHeartbeat(BaseModel):
    number: int
    state: str = Field(description="RUNNING (a finished trial answers 409).")
    lease_seconds: float | None = Field(
        description="Seconds from now until the trial counts as stale without another heartbeat (null: no lease)."
    )


class TellBody(_Body):
    number: int = Field(..., ge=0, description="The trial number returned by ask.")
    value: float | None = Field(None, description="The objective value (one objective).")
    values: list[float] | None = Field(None, min_length=1, description="One value per objective.")
    constraints: list[float] | None = Field(None, description="Constraint values; feasible when every one is <= 0.")
    state: Literal["complete", "fail", "pruned"] | None = Field(
        None, description="Default: complete when a value is given."
    )

    @model_validator(mode="after")
    def _one_value_form(self) -> "TellBody":
        if self.value is not None and self.values is not None:
            raise ValueError("give 'value' or 'values', not both")
        if self.value is None and self.values is None and self.state in (None, "complete"):
            raise ValueError("give 'value' (or 'values'), or a 'state' of 'fail' or 'pruned'")
        return self

    def value_list(self) -> list[float] | None:
        return [self.value] if self.value is not None else self.values


class ToldTrial(BaseModel):
    number: int
    state: str
    values: list[float | None] | None
    constraints: list[float | None] | None
    fail_reason: str | None = None


class Health(BaseModel):
    status: str
    version: str
    storage: str


class ErrorBody(BaseModel):
    error: str = Field(description="The error's class, e.g. StudyNotFoundError.")
    detail: str = Field(description="What was wrong and, where there is one, the fix.")
