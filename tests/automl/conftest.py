"""AutoML tests: tiny, CPU, at most 2 torch threads (the machine is shared)."""

import time

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _threads():
    torch.set_num_threads(min(2, torch.get_num_threads()))
    yield


@pytest.fixture
def kill_when():
    """``kill(proc, study_name, url, ready, what)``: SIGKILL the subprocess once ``ready(trials)`` holds for the
    study's stored trials (polled; a study not created yet reads as no trials), then reap it. Fails the test if
    the process ends first or ``ready`` never holds within the timeout; the process never outlives the test."""
    import signal

    import pfnopt

    def kill(proc, study_name: str, url: str, ready, what: str, poll: float = 0.1, timeout: float = 120.0) -> None:
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    trials = pfnopt.load_study(study_name, url).trials
                except Exception:  # the study does not exist yet
                    trials = []
                if ready(trials):
                    break
                assert proc.poll() is None, f"the process ended before {what}"
                time.sleep(poll)
            else:
                pytest.fail(f"never: {what}")
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()

    return kill
