"""A Dask LocalCluster (2 worker processes, 1 thread each) shared by the module's tests.

Workers import the objectives of ``_dask_objectives`` by name, as Dask workers import any
objective's module: LocalCluster's spawned processes inherit the test process's ``sys.path``, the
subprocess scheduler and workers get this folder on their PYTHONPATH."""

from __future__ import annotations

import pytest

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def dask_client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           host="127.0.0.1")
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
