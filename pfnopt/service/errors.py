"""pfnopt's errors as HTTP responses: the library's message, a fitting 4xx, never a traceback.

422 bad input (a malformed body, an invalid space or value), 404 an unknown study or trial,
409 a duplicate study or a finished trial, 401 a missing or wrong token, 503 the storage is
unreachable. Anything unexpected is a 500 with one line (the traceback goes to the server log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pfnopt import exceptions as E

logger = logging.getLogger("pfnopt.service")

# most specific first: the first class an error is an instance of decides its status
_STATUS: list[tuple[type[BaseException], int]] = [
    (E.StudyNotFoundError, 404),
    (E.TrialNotFoundError, 404),
    (E.DuplicateStudyError, 409),
    (E.TrialFinishedError, 409),
    (E.StorageError, 503),
    (E.PfnoptError, 422),
    (ValueError, 422),
]


def status_of(error: BaseException) -> int:
    return next((code for cls, code in _STATUS if isinstance(error, cls)), 500)


def error_response(status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


def _one_line(text: str) -> str:
    from pfnopt.commands._common import mask_secrets

    return " ".join(mask_secrets(str(text)).split()) or "failed"


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        given = f" (got {err['input']!r})" if "input" in err and err.get("type") != "missing" else ""
        parts.append(f"{where}: {msg}{given}" if where != "body" else f"{msg}{given}")
    return "; ".join(parts) or "malformed request body"


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _invalid_body(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "RequestValidationError", _one_line(_validation_message(exc))[:2000])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, "HTTPError", str(exc.detail), getattr(exc, "headers", None))

    async def _expected(request: Request, exc: Exception) -> JSONResponse:
        return error_response(status_of(exc), type(exc).__name__, _one_line(str(exc)))

    # pfnopt's errors (and ValueError) are expected: answered, not logged as crashes
    app.add_exception_handler(E.PfnoptError, _expected)
    app.add_exception_handler(ValueError, _expected)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette logs the traceback on the server side; the client gets one line
        return error_response(500, type(exc).__name__, _one_line(f"internal error: {exc}"))


def describe(responses: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the error codes a route may return."""
    from pfnopt.service.schemas import ErrorBody

    return {code: {"model": ErrorBody, "description": text} for code, text in responses.items()}
