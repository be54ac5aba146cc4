"""AutoML tests: tiny, CPU, at most 2 torch threads (the machine is shared)."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _threads():
    torch.set_num_threads(min(2, torch.get_num_threads()))
    yield
