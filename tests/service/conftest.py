"""A real uvicorn server on an ephemeral loopback port, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class LiveServer:
    url: str
    storage_url: str
    token: str | None
    app: Any = None


def start_server(storage_url: str, token: str | None = None, sampler: str | None = "random", **app_kwargs: Any):
    """Start uvicorn serving ``create_app`` (``app_kwargs``: e.g. a lease's ``heartbeat_interval``) on
    127.0.0.1:<free port>; returns (server, thread, url, socket)."""
    import uvicorn

    from pfnopt.service.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # port 0: the kernel picks a free one
    port = sock.getsockname()[1]
    app = create_app(storage_url, token=token, sampler=sampler, seed=0, **app_kwargs)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}", sock


def stop_server(server, thread, sock) -> None:
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def live_server(tmp_path):
    """The service over a fresh SQLite file, no token."""
    url = f"sqlite:///{tmp_path / 'service.db'}"
    server, thread, base, sock = start_server(url)
    yield LiveServer(base, url, None, server.config.app)
    stop_server(server, thread, sock)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_server(request, tmp_path):
    """The service over SQLite, then over the CI's PostgreSQL (study names are unique per test)."""
    url = f"sqlite:///{tmp_path / 'service.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    server, thread, base, sock = start_server(url)
    yield LiveServer(base, url, None, server.config.app)
    stop_server(server, thread, sock)


@pytest.fixture
def token_server(tmp_path):
    """The service over a fresh SQLite file, with a token."""
    url = f"sqlite:///{tmp_path / 'service.db'}"
    token = "s3cret-token-for-tests"
    server, thread, base, sock = start_server(url, token=token)
    yield LiveServer(base, url, token, server.config.app)
    stop_server(server, thread, sock)
