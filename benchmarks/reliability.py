"""Fault tolerance under fire: many workers on one PostgreSQL study, kill -9 and a server restart.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/reliability.py \\
        --workers 16 --kills 6 --seconds 60 --private-postgres

``--private-postgres`` starts a throwaway PostgreSQL cluster of its own (``initdb`` under /tmp, a
free loopback port; as root it runs as the ``postgres`` user), restarts THAT one (``pg_ctl restart
-m fast``: every session is terminated, as on a real restart) and removes it at the end, so a
shared server is never touched. ``--url URL --restart COMMAND`` runs against a given server instead.

What it does: creates a fresh study on ``$PFNOPT_TEST_POSTGRES_URL`` (heartbeats on, a grace period
longer than the restart takes, ``max_retry`` 3) and starts ``--workers`` processes, each running
``study.optimize`` on it for ``--seconds`` (an objective of 50-300 ms). Meanwhile it sends SIGKILL to
``--kills`` workers at random moments, each right after it started an objective (mid-trial), and, half-way, restarts the database server with
the ``--restart`` command (run as given; the server is checked to be back up before going on). Workers start together (each
waits for the others to be ready). Each worker appends a line to its own log when a ``tell`` has returned (``told <number> <value>``) and when
an objective starts (``run <number> <params>``). After the workers end, a sweeper waits out the grace
period, fails the trials of the killed workers and runs their retries.

Counts in the report (all must be 0 except the totals and ``re-executed``):

* lost tells: a ``tell`` that returned in a worker whose trial is not COMPLETE with that value;
* told twice: a trial number with two returned tells;
* duplicate / missing numbers: numbers seen twice, or gaps in 0..n-1;
* stuck: trials still RUNNING or WAITING at the end;
* stale failures without retry: a FAIL with no heartbeat-less successor while ``max_retry`` allowed one;
* retries with other parameters: a retry whose parameters differ from the failed trial's;
* workers that stopped on an error (not killed): their exit code is not 0;
* re-executed: parameter sets run more than once (at-least-once execution of retried trials:
  expected for the killed workers' trials, and the number is reported, not hidden).

The report is written to ``benchmarks/results/reliability.md`` (``--report``), with the machine load.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import glob  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HEARTBEAT_S, GRACE_S, MAX_RETRY = 0.5, 15.0, 3


def _study(url: str, name: str):
    import pfnopt

    return pfnopt.load_study(study_name=name, storage=url, sampler="random", heartbeat_interval=HEARTBEAT_S,
                             grace_period=GRACE_S, max_retry=MAX_RETRY)


def worker(url: str, name: str, seconds: float, log_path: str, seed: int) -> int:
    """One worker process: once every worker is ready (the ``.go`` file), optimize for ``seconds``,
    logging runs and returned tells."""
    import pfnopt  # noqa: F401

    rng = random.Random(seed)
    log = open(log_path, "a", buffering=1)
    study = _study(url, name)
    Path(log_path + ".ready").touch()
    go = Path(log_path).with_name(f"{name}.go")
    while not go.exists():
        time.sleep(0.05)

    def objective(trial):
        x = trial.suggest_float("x", -1.0, 1.0)
        k = trial.suggest_int("k", 0, 9)
        log.write(f"run {trial.number} {json.dumps(trial.params, sort_keys=True)}\n")
        time.sleep(rng.uniform(0.05, 0.3))
        return x * x + k

    def told(_study, frozen):
        if frozen.state.name == "COMPLETE":
            log.write(f"told {frozen.number} {frozen.values[0]!r}\n")

    study.optimize(objective, timeout=seconds, callbacks=[told])
    return 0


def _wait_for_server(url: str, limit_s: float = 120.0) -> float:
    """Seconds until the server answers a query again (raises after ``limit_s``)."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from pfnopt.storage.sql.engine import parse_url

    engine = sa.create_engine(parse_url(url), poolclass=NullPool, connect_args={"connect_timeout": 2})
    t0 = time.monotonic()
    try:
        while True:
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
                return time.monotonic() - t0
            except Exception:  # noqa: BLE001 - still restarting
                if time.monotonic() - t0 > limit_s:
                    raise
                time.sleep(0.2)
    finally:
        engine.dispose()


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian layout first), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextlib.contextmanager
def private_postgres() -> Iterator[tuple[str, str]]:
    """A throwaway cluster on a free loopback port: yields ``(url, restart command)``; stopped and
    deleted on the way out. Trust authentication on 127.0.0.1 only (it lives for one run)."""
    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) found; install Debian's postgresql package")
    as_user: list[str] = []
    data = Path(tempfile.mkdtemp(prefix="pfnopt-pg-"))
    if os.geteuid() == 0:  # initdb refuses to run as root
        import pwd

        as_user = ["runuser", "-u", "postgres", "--"]
        pw = pwd.getpwnam("postgres")
        os.chown(data, pw.pw_uid, pw.pw_gid)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pg_ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data)]
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "pfnopt", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True, timeout=300)
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=200"
    try:
        subprocess.run([*pg_ctl, "-w", "-t", "120", "-l", str(data / "server.log"), "-o", options, "start"],
                       check=True, capture_output=True, timeout=180)
        yield (f"postgresql+psycopg://pfnopt@127.0.0.1:{port}/postgres",
               shlex.join([*pg_ctl, "-w", "-t", "120", "-l", str(data / "server.log"), "-m", "fast", "restart"]))
    finally:
        subprocess.run([*pg_ctl, "-w", "-m", "immediate", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(data, ignore_errors=True)


def run(url: str, workers: int, kills: int, seconds: float, restart: str | None, seed: int, logs: Path) -> dict:
    import pfnopt

    rng = random.Random(seed)
    name = f"reliability-{uuid.uuid4().hex[:8]}"
    pfnopt.create_study(study_name=name, storage=url, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S,
                        max_retry=MAX_RETRY)
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    for i in range(workers):
        log = logs / f"{name}-w{i}.log"
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "worker", url, name, str(seconds), str(log), str(seed * 1000 + i)],
            env=env, stdout=subprocess.DEVNULL, stderr=open(logs / f"{name}-w{i}.err", "w"),
        ))
    ready = [Path(str(logs / f"{name}-w{i}.log") + ".ready") for i in range(workers)]
    limit = time.monotonic() + 600
    while not all(r.exists() for r in ready):  # a loaded machine takes a while to start 16 Pythons
        if time.monotonic() > limit or any(p.poll() is not None for p in procs):
            raise RuntimeError("workers did not start (see the .err files in the log folder)")
        time.sleep(0.2)
    (logs / f"{name}.go").touch()
    t0 = time.monotonic()
    events = sorted([("kill", rng.uniform(0.25, 0.85) * seconds) for _ in range(kills)]
                    + ([("restart", 0.5 * seconds)] if restart else []), key=lambda e: e[1])
    victims = rng.sample(range(workers), kills)
    killed: set[int] = set()
    restart_s = None
    for kind, at in events:
        time.sleep(max(0.0, at - (time.monotonic() - t0)))
        if kind == "kill":  # mid-trial: right after the victim logged the start of an objective
            i = victims.pop()
            log = logs / f"{name}-w{i}.log"
            until = time.monotonic() + 10
            while time.monotonic() < until:
                text = log.read_text()
                if text.rstrip("\n").rsplit("\n", 1)[-1].startswith("run "):
                    break
                time.sleep(0.005)
            os.kill(procs[i].pid, signal.SIGKILL)
            killed.add(i)
        else:
            t_r = time.monotonic()
            subprocess.run(shlex.split(restart), check=True, timeout=120)
            restart_s = time.monotonic() - t_r + _wait_for_server(url)
    codes = {i: p.wait(timeout=seconds + 300) for i, p in enumerate(procs)}
    # sweeper: after the grace period the killed workers' trials are stale: fail, retry, run them
    study = _study(url, name)
    time.sleep(GRACE_S + 1.0)
    swept = study.fail_stale_trials()
    sweep_log = logs / f"{name}-sweep.log"
    n_waiting = len(study.get_trials(states=(pfnopt.TrialState.WAITING,)))
    if n_waiting:
        worker_fn_log = open(sweep_log, "a", buffering=1)

        def objective(trial):
            x = trial.suggest_float("x", -1.0, 1.0)
            k = trial.suggest_int("k", 0, 9)
            worker_fn_log.write(f"run {trial.number} {json.dumps(trial.params, sort_keys=True)}\n")
            return x * x + k

        def told(_s, frozen):
            if frozen.state.name == "COMPLETE":
                worker_fn_log.write(f"told {frozen.number} {frozen.values[0]!r}\n")

        study.optimize(objective, n_trials=n_waiting, callbacks=[told])
    return _count(study, logs, name, codes, killed, len(swept), restart_s)


def _count(study, logs: Path, name: str, codes: dict, killed: set, swept: int, restart_s: float | None) -> dict:
    from pfnopt.records import TrialState

    trials = study.trials
    by_number = {t.number: t for t in trials}
    told: dict[int, list[float]] = defaultdict(list)
    runs: Counter = Counter()
    for path in sorted(logs.glob(f"{name}-*.log")):
        for line in path.read_text().splitlines():
            kind, number, rest = line.split(" ", 2)
            if kind == "told":
                told[int(number)].append(float(rest))
            elif kind == "run":
                runs[rest] += 1
    numbers = Counter(t.number for t in trials)
    lost = [n for n, vals in told.items()
            if n not in by_number or by_number[n].state != TrialState.COMPLETE or by_number[n].values[0] != vals[0]]
    retries = [t for t in trials if "retried_from" in t.system_attrs]
    retry_of = {t.system_attrs["retried_from"]: t for t in retries}
    stale = [t for t in trials if t.state == TrialState.FAIL and "fail_reason" not in t.system_attrs]
    unretried = [t for t in stale if t.number not in retry_of and len(t.system_attrs.get("retry_lineage", [])) < MAX_RETRY]
    other_params = [t for t in retries  # the retry runs every parameter its failed trial had set
                    if any(t.params.get(k) != v for k, v in by_number[t.system_attrs["retried_from"]].params.items())]
    return {
        "trials": len(trials),
        "complete": sum(t.state == TrialState.COMPLETE for t in trials),
        "failed_stale": len(stale),
        "retries": len(retries),
        "tells_returned": sum(len(v) for v in told.values()),
        "lost_tells": len(lost),
        "told_twice": sum(len(v) > 1 for v in told.values()),
        "duplicate_numbers": sum(c > 1 for c in numbers.values()),
        "missing_numbers": len(set(range(len(trials))) - set(numbers)),
        "stuck": sum(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in trials),
        "stale_without_retry": len(unretried),
        "retries_with_other_params": len(other_params),
        "workers_killed": len(killed),
        "workers_stopped_on_error": sum(code != 0 for i, code in codes.items() if i not in killed),
        "re_executed": sum(c > 1 for c in runs.values()),
        "swept_by_sweeper": swept,
        "restart_seconds": None if restart_s is None else round(restart_s, 2),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        _, _, url, name, seconds, log, seed = sys.argv
        sys.exit(worker(url, name, float(seconds), log, int(seed)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default=os.environ.get("PFNOPT_TEST_POSTGRES_URL"))
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--kills", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--restart", default=None, help="shell command restarting the database server")
    ap.add_argument("--private-postgres", action="store_true",
                    help="run on a throwaway cluster of its own and restart that one (--url/--restart unused)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--logs", type=Path, default=Path("/tmp/pfnopt-reliability"))
    ap.add_argument("--report", type=Path, default=ROOT / "benchmarks" / "results" / "reliability.md")
    ap.add_argument("--json", action="store_true", help="print the counts as JSON (no report)")
    args = ap.parse_args()
    if not args.url and not args.private_postgres:
        sys.exit("needs --private-postgres, or --url or $PFNOPT_TEST_POSTGRES_URL (eval \"$(bash .ci/postgres.sh)\")")
    load_before = os.getloadavg()
    t0 = time.monotonic()
    with private_postgres() if args.private_postgres else contextlib.nullcontext((args.url, args.restart)) as (
        url, restart
    ):
        counts = run(url, args.workers, args.kills, args.seconds, restart, args.seed, args.logs)
    wall = time.monotonic() - t0
    load_after = os.getloadavg()
    if args.json:
        print(json.dumps(counts))
        return
    from pfnopt.storage.urls import mask_url

    cmd = " ".join(shlex.quote(a) for a in ["benchmarks/reliability.py", *sys.argv[1:]])
    lines = [
        "# Fault tolerance: workers killed and the database restarted under load",
        "",
        f"Command: `OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 python {cmd}`",
        f"Storage: `{mask_url(url)}`{' (a private cluster: initdb, restarted by pg_ctl -m fast)' if args.private_postgres else ''}"
        f"; heartbeat {HEARTBEAT_S} s, grace {GRACE_S} s, max_retry {MAX_RETRY}.",
        f"Machine: {os.cpu_count()} CPUs; load average (1/5/15 min) before {tuple(round(x, 2) for x in load_before)}, "
        f"after {tuple(round(x, 2) for x in load_after)}; wall time {wall:.0f} s.",
        "",
        "| count | value |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in counts.items()],
        "",
        "Must be 0: lost_tells, told_twice, duplicate_numbers, missing_numbers, stuck, stale_without_retry, "
        "retries_with_other_params, workers_stopped_on_error. `re_executed` counts parameter sets run more "
        "than once: the trials of killed workers, run again by their retry (at-least-once execution).",
        "",
    ]
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
