"""Fixtures shared by the whole suite.

``storage_url`` runs a test on every backend: in memory, a fresh SQLite file and the real
PostgreSQL server of ``PFNOPT_TEST_POSTGRES_URL`` (started by ``.ci/postgres.sh``). Without that
variable the PostgreSQL cases skip locally; under CI (``CI=true``) they fail instead.
Studies get unique names, so tests never see each other's trials on the shared server.
"""

from __future__ import annotations

import os
import uuid

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def postgres_url() -> str | None:
    url = os.environ.get("PFNOPT_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but PFNOPT_TEST_POSTGRES_URL is unset: .ci/postgres.sh did not start PostgreSQL")
        pytest.skip("PFNOPT_TEST_POSTGRES_URL is unset (run: eval \"$(bash .ci/postgres.sh)\")")
    return url


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request, tmp_path):
    """A storage object of each backend (memory / SQLite file / PostgreSQL)."""
    from pfnopt.storage import InMemoryStorage, get_storage

    if request.param == "memory":
        return InMemoryStorage()
    if request.param == "sqlite":
        return get_storage(f"sqlite:///{tmp_path / 'pfnopt.db'}")
    return get_storage(postgres_url())


@pytest.fixture
def pg_url() -> str:
    """The PostgreSQL test server's URL (skips locally without it, fails under CI)."""
    return postgres_url()


@pytest.fixture
def study_name() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


# --- device and dtype for the surrogate / acquisition / sampler tests ------------------------------------------
# PFNOPT_TEST_DEVICE=cuda reruns them on a GPU (default cpu); `dtype` loops a test over float32 and float64.
# The samplers built inside tests take their device from PFNOPT_DEVICE, so it follows PFNOPT_TEST_DEVICE too.
if os.environ.get("PFNOPT_TEST_DEVICE") and not os.environ.get("PFNOPT_DEVICE"):
    os.environ["PFNOPT_DEVICE"] = os.environ["PFNOPT_TEST_DEVICE"]


def requested_test_device() -> str:
    return os.environ.get("PFNOPT_TEST_DEVICE", "cpu")


@pytest.fixture
def device() -> str:
    """The torch device the tests run on: ``PFNOPT_TEST_DEVICE`` (default ``cpu``); skips when CUDA is asked
    for and absent (under CI it fails instead)."""
    name = requested_test_device()
    if name.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            if os.environ.get("CI") == "true":
                pytest.fail(f"PFNOPT_TEST_DEVICE={name} but CUDA is not available")
            pytest.skip(f"PFNOPT_TEST_DEVICE={name} but CUDA is not available")
    return name


@pytest.fixture(params=["float32", "float64"])
def dtype(request):
    """Each torch floating dtype the acquisition code must handle."""
    import torch

    return getattr(torch, request.param)
