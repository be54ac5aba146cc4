"""The service's ASGI application and its runner: ``create_app(storage)``, ``serve(storage, host, port)``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pfnopt.exceptions import missing_extra
from pfnopt.service.auth import check_bind
from pfnopt.storage import BaseStorage

try:
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise missing_extra("fastapi", "server") from e

STATIC_DIR = Path(str(resources.files("pfnopt.service") / "static"))


def create_app(
    storage: str | BaseStorage,
    token: str | None = None,
    sampler: str | None = None,
    seed: int | None = None,
    heartbeat_interval: float | None = None,
    grace_period: float | None = None,
    max_retry: int = 0,
) -> "FastAPI":
    """The API under ``/api`` (bearer ``token`` if given), its docs at ``/docs``, the dashboard at ``/``.

    Args:
        storage: a storage URL (``sqlite:///...``, ``postgresql+psycopg://...``) or a storage object.
        token: the secret every ``/api`` request must carry as ``Authorization: Bearer <token>``.
        sampler: sampler name for studies not created with one through the API (default: pfnopt's).
        seed: seed of those samplers.
        heartbeat_interval: give each asked trial a lease: its client must POST the trial's
            ``/heartbeat`` this often (``pfnopt.client`` does), else after ``grace_period``
            (default twice the interval) the next ask fails it and hands out its retry (up to
            ``max_retry`` times). None: no lease, asked trials stay RUNNING until told.
    """
    import pfnopt
    from pfnopt.service import errors, routes
    from pfnopt.service.lease import Lease
    from pfnopt.service.registry import StudyRegistry

    lease = Lease.from_settings(heartbeat_interval, grace_period, max_retry)  # refused before anything starts

    app = FastAPI(
        title="pfnopt",
        version=pfnopt.__version__,
        description="Bayesian optimisation with a pre-trained transformer surrogate, over HTTP: create studies, "
        "ask for parameters, tell results, read trials. The dashboard is at `/`.",
    )
    app.state.registry = StudyRegistry(storage, default_sampler=sampler, seed=seed, lease=lease)
    app.state.token = token
    errors.install(app)
    app.include_router(routes.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard() -> HTMLResponse:
        # the page holds no data: its script reads /api with the token the user gives it
        return HTMLResponse((STATIC_DIR / "index.html").read_text(encoding="utf-8"))

    return app


def serve(
    storage: str | BaseStorage,
    host: str = "127.0.0.1",
    port: int = 8080,
    token: str | None = None,
    sampler: str | None = None,
    seed: int | None = None,
    log_level: str = "info",
    heartbeat_interval: float | None = None,
    grace_period: float | None = None,
    max_retry: int = 0,
) -> None:
    """Run the service with uvicorn until interrupted. Refuses a non-loopback ``host`` without a token."""
    check_bind(host, token)
    try:
        import uvicorn
    except ImportError as e:  # pragma: no cover
        raise missing_extra("uvicorn", "server") from e
    app = create_app(storage, token=token, sampler=sampler, seed=seed, heartbeat_interval=heartbeat_interval,
                     grace_period=grace_period, max_retry=max_retry)
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_keep_alive=30)
