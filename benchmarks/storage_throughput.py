"""Ask+tell round trips per second: pfnopt's storages against Optuna's, same loop, same run.

    eval "$(bash .ci/postgres.sh)"    # a real PostgreSQL (skipped with a note without it)
    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/storage_throughput.py

The loop, through each library's public API with a random sampler and a fixed 4-parameter space
(float, log float, int, categorical):

    pfnopt: t = study.ask(space);        study.tell(t, value)
    Optuna: t = study.ask(distributions); study.tell(t, value)

Backends: in memory (pfnopt ``InMemoryStorage`` / Optuna ``InMemoryStorage``), SQLite (each library
on its own fresh file, with its default settings; pfnopt also with ``synchronous=FULL``, so every
commit is fsynced as in Optuna's default journal) and PostgreSQL (both on one fresh database of
the server in ``$PFNOPT_TEST_POSTGRES_URL``). Each is run with 1 process and with 4 processes on
one study (for memory, 4 independent processes: an in-memory storage cannot be shared).
Every measurement is a fresh study; workers start, warm up, wait at a barrier, then loop for
``--seconds``; throughput = trials told by all workers / the slowest worker's time. The configs are
interleaved round by round (the library order alternates), and the report gives the median over
``--rounds`` with the range. The report is written to ``benchmarks/results/storage_throughput.md``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import multiprocessing as mp  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CTX = mp.get_context("fork")  # the parent holds no open connection when it forks
WARMUP = 5


@dataclass
class Config:
    backend: str  # memory | sqlite | sqlite-full | postgres
    lib: str  # pfnopt | optuna
    procs: int
    results: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    @property
    def key(self) -> tuple[str, str, int]:
        return self.backend, self.lib, self.procs


# the loops ----------------------------------------------------------------------------------------
def _value(params: dict) -> float:
    return (params["x"] - 1.0) ** 2 + params["n"] * 1e-3


def _pfnopt_study(url: str | None, name: str):
    import pfnopt
    from pfnopt.space import Categorical, Float, Int

    space = {"x": Float(-5.0, 5.0), "lr": Float(1e-5, 1e-1, log=True), "n": Int(1, 64),
             "kind": Categorical(["a", "b", "c"])}
    study = pfnopt.create_study(study_name=name, storage=url, sampler="random", load_if_exists=True)

    def step() -> None:
        trial = study.ask(space)
        study.tell(trial, _value(trial.params))

    step.engine = lambda: study.storage._db.engine  # for commit_note
    return step


def _optuna_study(url: str | None, name: str):
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    dists = {"x": FloatDistribution(-5.0, 5.0), "lr": FloatDistribution(1e-5, 1e-1, log=True),
             "n": IntDistribution(1, 64), "kind": CategoricalDistribution(["a", "b", "c"])}
    study = optuna.create_study(study_name=name, storage=url, sampler=optuna.samplers.RandomSampler(),
                                load_if_exists=True)

    def step() -> None:
        trial = study.ask(dists)
        study.tell(trial, _value(trial.params))

    step.engine = lambda: study._storage._backend.engine  # for commit_note
    return step


def _worker(lib: str, url: str | None, name: str, seconds: float, barrier, out) -> None:
    if lib == "pfnopt-full":
        os.environ["PFNOPT_SQLITE_SYNCHRONOUS"] = "FULL"
    make = _pfnopt_study if lib.startswith("pfnopt") else _optuna_study
    try:
        step = make(url, name)
        for _ in range(WARMUP):
            step()
    except BaseException as e:
        barrier.abort()
        out.put((0, 0.0, 1, f"{type(e).__name__}: {e}"))
        return
    barrier.wait()
    count, errors, first_error = 0, 0, ""
    t0 = time.perf_counter()
    deadline = t0 + seconds
    while time.perf_counter() < deadline:
        try:
            step()
            count += 1
        except Exception as e:  # e.g. Optuna's "database is locked" under 4 SQLite writers
            errors += 1
            first_error = first_error or f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
    out.put((count, time.perf_counter() - t0, errors, first_error))


def measure(cfg: Config, url: str | None, seconds: float) -> tuple[float, int, str]:
    name = f"bench-{uuid.uuid4().hex[:10]}"
    lib = "pfnopt-full" if cfg.backend == "sqlite-full" else cfg.lib
    if url is not None:  # create the study (and tables) once, before the workers race
        setup = CTX.Process(target=(_pfnopt_study if lib.startswith("pfnopt") else _optuna_study), args=(url, name))
        setup.start()
        setup.join()
    barrier, out = CTX.Barrier(cfg.procs), CTX.Queue()
    procs = [CTX.Process(target=_worker, args=(lib, url, name, seconds, barrier, out)) for _ in range(cfg.procs)]
    for p in procs:
        p.start()
    got = [out.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join(30)
    told = sum(g[0] for g in got)
    slowest = max(g[1] for g in got) or float("nan")
    errors = sum(g[2] for g in got)
    return told / slowest, errors, next((g[3] for g in got if g[3]), "")


# databases ----------------------------------------------------------------------------------------
def postgres_database(base: str | None) -> tuple[str | None, callable]:
    """A fresh database on the test server for this run, and its cleanup."""
    if not base:
        return None, lambda: None
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from pfnopt.storage.sql.engine import parse_url

    name = f"pfnopt_bench_{os.getpid()}"
    admin = sa.create_engine(parse_url(base), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url, drop


def server_version(url: str | None) -> str:
    if not url:
        return "not run"
    import sqlalchemy as sa

    from pfnopt.storage.sql.engine import parse_url

    engine = sa.create_engine(parse_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar()
        sync = conn.exec_driver_sql("SHOW synchronous_commit").scalar()
    engine.dispose()
    return f"{version} (synchronous_commit={sync})"


# the report ---------------------------------------------------------------------------------------
def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor() or "unknown CPU")
    mem = next((ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")), "0")
    return f"{cpu}, {os.cpu_count()} cores, {int(mem) / 2**20:.0f} GiB RAM, {platform.platform()}"


def versions(pg: str | None) -> str:
    import sqlite3
    from importlib.metadata import version

    import optuna
    import sqlalchemy

    import pfnopt

    parts = [f"pfnopt {pfnopt.__version__}", f"optuna {optuna.__version__}", f"SQLAlchemy {sqlalchemy.__version__}",
             f"psycopg {version('psycopg')}", f"Python {platform.python_version()}", f"SQLite {sqlite3.sqlite_version}",
             f"PostgreSQL {server_version(pg)}"]
    return ", ".join(parts)


def report(configs: list[Config], args, header: dict[str, str]) -> str:
    by = {c.key: c for c in configs}
    lines = [
        "# Storage throughput: pfnopt vs Optuna (ask + tell round trips per second)",
        "",
        f"Made by `{header['command']}` on {header['date']}.",
        "",
        f"* Machine: {header['machine']}; load average {header['load_before']} before, {header['load_after']} after "
        "(other jobs share this machine: compare the two libraries within a row, measured in the same rounds).",
        f"* Versions: {header['versions']}.",
        f"* Environment: OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, "
        f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}.",
        f"* Method: {args.rounds} interleaved rounds of {args.seconds:g} s per measurement; median (range) of the "
        "rounds. Loop: `study.ask(fixed 4-parameter space)` + `study.tell(trial, value)`, random samplers, "
        "a fresh study per measurement; N processes work on one study (memory: N independent studies).",
        "* SQLite: pfnopt uses WAL + synchronous=NORMAL (its default, see store/README.md); `sqlite, FULL` is "
        "pfnopt with PFNOPT_SQLITE_SYNCHRONOUS=FULL (an fsync per commit, like Optuna's default rollback "
        "journal). Optuna runs with its defaults. PostgreSQL: both on one fresh database of the same server.",
        "",
        "| backend | processes | pfnopt trials/s | Optuna trials/s | pfnopt / Optuna |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    fmt = lambda c: f"{statistics.median(c.results):.1f} ({min(c.results):.1f}-{max(c.results):.1f})"  # noqa: E731
    notes = []
    for backend, label in (("memory", "memory"), ("sqlite", "SQLite"), ("sqlite-full", "SQLite, FULL"),
                           ("postgres", "PostgreSQL")):
        for procs in (1, 4):
            pf = by.get((backend, "pfnopt", procs))
            op = by.get(("sqlite" if backend == "sqlite-full" else backend, "optuna", procs))
            if pf is None or not pf.results or op is None or not op.results:
                if pf is not None or op is not None:
                    lines.append(f"| {label} | {procs} | not run | not run | |")
                continue
            ratio = statistics.median(pf.results) / max(statistics.median(op.results), 1e-9)
            lines.append(f"| {label} | {procs} | {fmt(pf)} | {fmt(op)} | {ratio:.1f}x |")
            for c in (pf, op):
                if c.errors:
                    notes.append(f"* {label}, {procs} processes, {c.lib}: {c.errors} failed ask/tell calls "
                                 f"({c.first_error}).")
    lines += [""] + (notes or ["* No ask/tell call failed."])
    lines += ["", header.get("why", ""), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("PFNOPT_TEST_POSTGRES_URL"),
                        help="server URL (default $PFNOPT_TEST_POSTGRES_URL); a fresh database is made on it")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/storage_throughput.md"))
    args = parser.parse_args()

    from pfnopt.storage import mask_url

    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    pg, drop = postgres_database(args.postgres)
    tmp = Path(tempfile.mkdtemp(prefix="pfnopt-bench-"))
    urls = {"memory": None, "postgres": pg}
    configs = [Config(b, lib, n) for b in ("memory", "sqlite", "sqlite-full", "postgres") for n in (1, 4)
               for lib in ("pfnopt", "optuna") if not (b == "sqlite-full" and lib == "optuna")]
    if pg is None:
        configs = [c for c in configs if c.backend != "postgres"]
    try:
        for r in range(args.rounds):
            order = configs if r % 2 == 0 else sorted(configs, key=lambda c: (c.backend, c.procs, c.lib != "optuna"))
            for cfg in order:
                if cfg.backend.startswith("sqlite"):  # each library its own fresh file, as its users get it
                    url = f"sqlite:///{tmp / f'{cfg.backend}-{cfg.lib}-{cfg.procs}-{r}.db'}"
                else:
                    url = urls[cfg.backend]
                rate, errors, first = measure(cfg, url, args.seconds)
                cfg.results.append(rate)
                cfg.errors += errors
                if first:
                    cfg.first_error = mask_url(first)
                print(f"round {r + 1}/{args.rounds} {cfg.backend:<11} {cfg.lib:<6} x{cfg.procs}: {rate:8.1f} trials/s"
                      + (f"  ({errors} errors: {first[:80]})" if errors else ""), flush=True)
        header = {
            "command": " ".join([
                'eval "$(bash .ci/postgres.sh)" && OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1',
                ".venv/bin/python benchmarks/storage_throughput.py",
                *(shlex.quote(mask_url(a)) for a in sys.argv[1:]),
            ]),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": machine(),
            "versions": versions(args.postgres),
            "load_before": load_before,
            "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "why": commit_note(tmp),
        }
    finally:
        drop()
    text = report(configs, args, header)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)


def commit_note(tmp: Path) -> str:
    """Count SQL statements and writing transactions per ask+tell on SQLite, for both libraries."""
    import sqlalchemy as sa

    rows = []
    for lib in ("pfnopt", "optuna"):
        step = (_pfnopt_study if lib == "pfnopt" else _optuna_study)(f"sqlite:///{tmp / f'count-{lib}.db'}", "count")
        for _ in range(WARMUP):
            step()
        counts = {"stmt": 0, "writes": 0}
        engine = step.engine()

        def on_execute(conn, cursor, statement, *args, counts=counts):
            counts["stmt"] += 1
            if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
                conn.info["wrote"] = True

        def on_commit(conn, counts=counts):
            counts["writes"] += bool(conn.info.pop("wrote", False))

        sa.event.listen(engine, "before_cursor_execute", on_execute)
        sa.event.listen(engine, "commit", on_commit)
        for _ in range(50):
            step()
        rows.append(f"{lib} runs {counts['stmt'] / 50:.1f} SQL statements and commits {counts['writes'] / 50:.1f} "
                    "writing transactions per trial")
    return ("Why: on SQLite, " + "; ".join(rows) + " (4 parameters). Each writing commit costs an fsync on "
            "PostgreSQL and on SQLite with synchronous=FULL (about 4-5 ms here). pfnopt writes once each to "
            "create the trial, store its parameters and finish it, and serves finished trials from a "
            "per-process cache.")


if __name__ == "__main__":
    main()
