"""A real PostgreSQL restart under running worker processes, some killed with SIGKILL (issue 11,
item 5): every surviving worker goes on by itself, nothing is lost, nothing is told twice.

Runs ``benchmarks/reliability.py --private-postgres`` at a small scale: it starts a throwaway
PostgreSQL cluster of its own (``initdb`` under /tmp, a free loopback port), restarts THAT one
mid-run and removes it, so the shared test server is never touched. Needs PostgreSQL's binaries
(``.ci/postgres.sh`` installs them): skipped without them locally, failed under CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_workers_ride_out_a_postgres_restart_and_kills(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from reliability import postgres_bindir
    finally:
        sys.path.pop(0)
    if postgres_bindir() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but PostgreSQL's binaries (initdb, pg_ctl) are missing")
        pytest.skip("needs PostgreSQL's binaries (initdb, pg_ctl): apt-get install postgresql")
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "reliability.py"), "--private-postgres", "--workers", "3",
         "--kills", "1", "--seconds", "12", "--logs", str(tmp_path), "--json"],
        capture_output=True, text=True, timeout=900, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    counts = json.loads(r.stdout.strip().splitlines()[-1])
    for key in ("lost_tells", "told_twice", "duplicate_numbers", "missing_numbers", "stuck", "stale_without_retry",
                "retries_with_other_params", "workers_stopped_on_error"):
        assert counts[key] == 0, counts
    # the restart happened under running workers, one was killed mid-trial and its trial retried
    assert counts["restart_seconds"] is not None and counts["workers_killed"] == 1, counts
    assert counts["complete"] > 0 and counts["retries"] >= 1, counts
