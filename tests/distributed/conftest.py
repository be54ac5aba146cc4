"""A Dask LocalCluster (2 worker processes, 1 thread each) shared by the module's tests."""

from __future__ import annotations

import pytest

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def dask_client():
    from distributed import Client, LocalCluster

    import _dask_objectives  # noqa: F401  (registered below for pickling by value)
    import cloudpickle

    cloudpickle.register_pickle_by_value(_dask_objectives)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           host="127.0.0.1")
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
