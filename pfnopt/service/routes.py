"""The ``/api`` endpoints. Plain (synchronous) functions: FastAPI runs them in its thread pool,
so a slow ask of one study does not hold up reads or tells of another."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

import pfnopt
from pfnopt.records import FrozenTrial, StudyInfo
from pfnopt.samplers import default_sampler_name
from pfnopt.service.auth import token_matches
from pfnopt.service.errors import describe
from pfnopt.service.registry import SAMPLER_ATTR, StudyRegistry
from pfnopt.service.schemas import (
    AskBody,
    AskedTrial,
    Health,
    StudyCreate,
    StudySummary,
    TellBody,
    ToldTrial,
    TrialHeartbeat,
)

_bearer = HTTPBearer(auto_error=False, description="The server's token (`pfnopt serve --token-file FILE`).")


def require_token(request: Request, _: HTTPAuthorizationCredentials | None = Security(_bearer)) -> None:
    """401 unless the request carries the configured token (no-op when the server has none)."""
    expected: str | None = request.app.state.token
    if expected is not None and not token_matches(expected, request.headers.get("authorization")):
        raise HTTPException(401, "missing or wrong token: send the header 'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})


router = APIRouter(prefix="/api", dependencies=[Depends(require_token)],
                   responses=describe({401: "Missing or wrong token."}))


def _registry(request: Request) -> StudyRegistry:
    return request.app.state.registry


_NOT_FOUND = describe({404: "No study of that name."})


def _summary(info: StudyInfo, registry: StudyRegistry) -> StudySummary:
    return StudySummary(
        name=info.name,
        directions=[d.name.lower() for d in info.directions],
        n_trials=info.n_trials,
        created=info.created.isoformat() if info.created else None,
        automl="automl" in info.user_attrs,
        sampler=info.system_attrs.get(SAMPLER_ATTR, registry.default_sampler or default_sampler_name()),
    )


@router.get("/health", response_model=Health, summary="Liveness, version and (masked) storage URL")
def health(registry: StudyRegistry = Depends(_registry)) -> Health:
    return Health(status="ok", version=pfnopt.__version__, storage=registry.storage.describe())


@router.get("/studies", response_model=list[StudySummary], summary="Every study of the storage")
def list_studies(registry: StudyRegistry = Depends(_registry)) -> list[StudySummary]:
    return [_summary(info, registry) for info in registry.storage.list_studies()]


@router.post("/studies", response_model=StudySummary, status_code=201, summary="Create a study",
             responses=describe({409: "A study of that name exists.", 422: "Malformed body or unknown sampler."}))
def create_study(body: StudyCreate, registry: StudyRegistry = Depends(_registry)) -> StudySummary:
    loaded = registry.create(body.name, body.direction_list(), body.sampler, body.seed, body.load_if_exists)
    store = registry.storage
    return _summary(store.get_study(store.get_study_id(loaded.study.study_name)), registry)


@router.post("/studies/{name}/ask", response_model=AskedTrial | list[AskedTrial],
             summary="Start trial(s) with parameters sampled from a space",
             responses={**_NOT_FOUND, **describe({422: "Malformed body or invalid space."})})
def ask(name: str, body: AskBody, registry: StudyRegistry = Depends(_registry)) -> Any:
    from pfnopt.commands._common import parse_space

    loaded = registry.get(name)
    space = parse_space(json.dumps(body.space))  # the CLI's --space parser: the same rules and messages
    with loaded.ask_lock:  # one ask of a study at a time: each sees the previous trials as pending
        # with a lease, this ask first fails the stale trials (and enqueues their retries, which it claims)
        asked = loaded.study.ask(space, n=body.n if body.n > 1 else None)
    beat = registry.lease.heartbeat_interval if registry.lease else None
    if isinstance(asked, list):
        return [AskedTrial(number=t.number, params=dict(t.params), heartbeat_interval=beat) for t in asked]
    return AskedTrial(number=asked.number, params=dict(asked.params), heartbeat_interval=beat)


@router.post("/studies/{name}/trials/{number}/heartbeat", response_model=TrialHeartbeat,
             summary="Keep an asked trial alive (its lease, with `pfnopt serve --heartbeat-interval`)",
             responses={**describe({404: "No study of that name, or no trial of that number.",
                                    409: "The trial is finished (told, or failed as stale: stop evaluating it)."})})
def heartbeat(name: str, number: int, registry: StudyRegistry = Depends(_registry)) -> TrialHeartbeat:
    from pfnopt.exceptions import TrialFinishedError

    study = registry.get(name).study
    store = study._storage
    trial_id = store.get_trial_id(study._study_id, number)
    lease = registry.lease
    # without a lease nothing is written: such trials carry no heartbeat and never go stale
    alive = store.record_heartbeat(trial_id) if lease else store.get_trial(trial_id).state.name == "RUNNING"
    if not alive:
        frozen = store.get_trial(trial_id)
        reason = frozen.system_attrs.get("fail_reason")
        raise TrialFinishedError(
            f"trial {number} of study {name!r} is {frozen.state.name}, no longer RUNNING"
            + (f" ({reason})" if reason else "") + "; its result can no longer be told"
        )
    return TrialHeartbeat(number=number, state="RUNNING", lease_seconds=lease.grace_period if lease else None)


@router.post("/studies/{name}/tell", response_model=ToldTrial, summary="Finish a trial",
             responses={**describe({404: "No study of that name, or no trial of that number.",
                                    409: "The trial is finished already.",
                                    422: "Malformed body, or the wrong number of values."})})
def tell(name: str, body: TellBody, registry: StudyRegistry = Depends(_registry)) -> ToldTrial:
    study = registry.get(name).study
    frozen = study.tell(body.number, values=body.value_list(), state=body.state, constraints=body.constraints)
    return _told(frozen)


def _told(t: FrozenTrial) -> ToldTrial:
    reason = t.system_attrs.get("fail_reason")
    return ToldTrial(
        number=t.number,
        state=t.state.name,
        values=_finite(t.values),
        constraints=_finite(t.constraints),
        fail_reason=reason.strip().splitlines()[-1] if reason else None,
    )


def _finite(xs: Any) -> list[float | None] | None:
    """JSON has no NaN: a NaN or infinite entry (stored for a FAIL trial) goes out as null."""
    return None if xs is None else [x if math.isfinite(x) else None for x in xs]


@router.get("/studies/{name}/trials", response_model=list[dict[str, Any]],
            summary="Every trial as the rows of `pfnopt trials --format json`", responses=_NOT_FOUND)
def trials(name: str, registry: StudyRegistry = Depends(_registry)) -> list[dict[str, Any]]:
    from pfnopt._dataframe import trial_json_rows

    return trial_json_rows(registry.get(name).study)
