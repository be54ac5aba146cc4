"""A real PostgreSQL restart under running worker processes, some killed with SIGKILL (issue 11,
item 5): every surviving worker goes on by itself, nothing is lost, nothing is told twice.

Runs ``benchmarks/reliability.py`` at a small scale. It restarts the server, so it runs only when
``PFNOPT_TEST_POSTGRES_RESTART`` holds the command to do it (e.g. ``pg_ctlcluster 15 main
restart`` as root) and is marked slow (``pytest -m slow``); the server is checked to be back up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.postgres
def test_workers_ride_out_a_postgres_restart_and_kills(tmp_path):
    url = os.environ.get("PFNOPT_TEST_POSTGRES_URL")
    restart = os.environ.get("PFNOPT_TEST_POSTGRES_RESTART")
    if not url or not restart:
        pytest.skip("needs PFNOPT_TEST_POSTGRES_URL and PFNOPT_TEST_POSTGRES_RESTART (the restart command)")
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "reliability.py"), "--url", url, "--workers", "4", "--kills", "1",
         "--seconds", "25", "--restart", restart, "--logs", str(tmp_path), "--json"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    counts = json.loads(r.stdout.strip().splitlines()[-1])
    for key in ("lost_tells", "told_twice", "duplicate_numbers", "missing_numbers", "stuck", "stale_without_retry",
                "retries_with_other_params", "workers_stopped_on_error"):
        assert counts[key] == 0, counts
    assert counts["complete"] > 0 and counts["restart_seconds"] is not None
    # the server is back: a fresh connection answers
    import pfnopt

    assert pfnopt.create_study(storage=url).study_name
