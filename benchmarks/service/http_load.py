"""Load on ``pfnopt serve``: concurrent HTTP clients on loopback, ask/tell round trips, nothing lost.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/service/http_load.py

What it does, in one run:

1. starts ``pfnopt serve`` as its own process on 127.0.0.1 (a free port) over a fresh SQLite file
   (or ``--storage URL``), with a token, as a user would;
2. **random sampler**: ``--clients`` threads (32), each with its own :mod:`pfnopt.client` connection,
   do ask -> tell round trips on one study until ``--random-trials`` (2,000) are told;
3. **PFN sampler**: the same with ``--pfn-trials`` (200) on a study with the PFN sampler;
4. checks that nothing was lost: every trial a client told is stored COMPLETE with the value it
   told, the study holds exactly that many trials, no trial number twice, none left RUNNING;
5. **PFN ask through the service vs in process**: one client, sequentially, interleaved pair by pair:
   ``study.ask(space)`` on an in-process study (same sampler, same kind of storage) and the same ask
   over HTTP on a study of the server; both studies get the same objective, so both samplers see
   contexts of the same size. The ratio of the median ask times is the service's overhead.

Latencies are measured by the clients (``time.perf_counter`` around each request), so they include
HTTP, JSON and queueing at the server: under 32 clients, asks of one study wait for each other (the
server serialises them so each sees the others as pending), so their p50 is mostly queueing.
The report goes to ``benchmarks/results/service/http_load.md``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import secrets  # noqa: E402
import shlex  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pfnopt.client import ServiceClient, connect  # noqa: E402

SPACE = {
    "x": {"type": "float", "low": -2.0, "high": 2.0},
    "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
    "layers": {"type": "int", "low": 1, "high": 8},
    "act": {"type": "categorical", "choices": ["relu", "tanh", "gelu"]},
}


def objective(p: dict) -> float:
    """A cheap deterministic function of the params (computed by the client, like a user's)."""
    act = {"relu": 0.0, "tanh": 0.3, "gelu": 0.1}[p["act"]]
    return (p["x"] - 0.5) ** 2 + (math.log10(p["lr"]) + 2.0) ** 2 + 0.1 * abs(p["layers"] - 4) + act


# ---------------------------------------------------------------------------------------------
# the server process

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(storage: str, token_file: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "cli", "serve", "--storage", storage, "--port", str(port),
           "--token-file", str(token_file), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            connect(url, token=token_file.read_text().strip(), timeout=5).health()
            return proc, url
        except Exception:  # noqa: BLE001 - not up yet
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pfnopt serve did not start; its log:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.25)


# ---------------------------------------------------------------------------------------------
# the load

@dataclass
class Load:
    """What the clients did: per-request latencies (s) and what they told."""

    ask_s: list[float] = field(default_factory=list)
    tell_s: list[float] = field(default_factory=list)
    told: dict[int, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0


def run_load(url: str, token: str, study_name: str, sampler: str, n_trials: int, n_clients: int) -> Load:
    connect(url, token=token).create_study(study_name, sampler=sampler, seed=0)
    load = Load()
    lock = threading.Lock()
    remaining = [n_trials]
    barrier = threading.Barrier(n_clients + 1)

    def client() -> None:
        study = connect(url, token=token).load_study(study_name)
        barrier.wait()
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            try:
                t0 = time.perf_counter()
                trial = study.ask(SPACE)
                t1 = time.perf_counter()
                value = objective(trial.params)
                study.tell(trial, value)
                t2 = time.perf_counter()
            except Exception as e:  # noqa: BLE001 - counted and reported
                with lock:
                    load.errors.append(f"{type(e).__name__}: {e}")
                continue
            with lock:
                load.ask_s.append(t1 - t0)
                load.tell_s.append(t2 - t1)
                load.told[trial.number] = value

    threads = [threading.Thread(target=client) for _ in range(n_clients)]
    for th in threads:
        th.start()
    barrier.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    load.wall_s = time.perf_counter() - t0
    return load


def check_lost(client: ServiceClient, study_name: str, load: Load) -> dict[str, int]:
    """Compare what the clients told with what the server stored."""
    rows = client.load_study(study_name).trials()
    stored = {r["number"]: r for r in rows}
    lost = sum(1 for n, v in load.told.items() if stored.get(n, {}).get("state") != "COMPLETE"
               or stored[n]["value"] != v)
    return {
        "stored": len(rows),
        "lost": lost,
        "duplicate_numbers": len(rows) - len(stored),
        "running_left": sum(r["state"] == "RUNNING" for r in rows),
        "errors": len(load.errors),
    }


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))]


# ---------------------------------------------------------------------------------------------
# PFN ask: through the service vs in process

def ask_overhead(url: str, token: str, storage_dir: Path, warm: int, pairs: int) -> dict[str, list[float]]:
    import json

    import pfnopt
    from pfnopt.commands._common import parse_space
    from pfnopt.samplers import get_sampler

    remote = connect(url, token=token).create_study("overhead-pfn", sampler="pfn", seed=1)
    local = pfnopt.create_study(study_name="overhead-pfn-local", storage=f"sqlite:///{storage_dir / 'local.db'}",
                                sampler=get_sampler("pfn", seed=1))
    space = parse_space(json.dumps(SPACE))
    times: dict[str, list[float]] = {"in_process": [], "service": []}
    for i in range(warm + pairs):
        order = ("in_process", "service") if i % 2 == 0 else ("service", "in_process")
        for where in order:
            t0 = time.perf_counter()
            if where == "in_process":
                trial = local.ask(space)
                params = trial.params
            else:
                trial = remote.ask(SPACE)
                params = trial.params
            elapsed = time.perf_counter() - t0
            if where == "in_process":
                local.tell(trial, objective(params))
            else:
                remote.tell(trial, objective(params))
            if i >= warm:
                times[where].append(elapsed)
    return times


# ---------------------------------------------------------------------------------------------
# the report

def load_avg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--random-trials", type=int, default=2000)
    ap.add_argument("--pfn-trials", type=int, default=200)
    ap.add_argument("--warm", type=int, default=12, help="PFN trials per side before the overhead pairs are timed")
    ap.add_argument("--pairs", type=int, default=30, help="timed (in-process, service) PFN ask pairs")
    ap.add_argument("--storage", default=None, help="storage URL for the server (default: a fresh SQLite file)")
    ap.add_argument("--report", default=str(ROOT / "benchmarks/results/service/http_load.md"))
    args = ap.parse_args()

    started = dt.datetime.now(dt.timezone.utc)
    load_before = load_avg()
    with tempfile.TemporaryDirectory(prefix="pfnopt-http-load-") as tmp:
        tmpdir = Path(tmp)
        storage = args.storage or f"sqlite:///{tmpdir / 'service.db'}"
        token_file = tmpdir / "token"
        token = secrets.token_hex(16)
        token_file.write_text(token + "\n")
        proc, url = start_server(storage, token_file, tmpdir / "server.log")
        suffix = secrets.token_hex(3)
        try:
            results = {}
            for label, sampler, n in (("random", "random", args.random_trials), ("pfn", "pfn", args.pfn_trials)):
                name = f"load-{label}-{suffix}"
                load = run_load(url, token, name, sampler, n, args.clients)
                results[label] = (load, check_lost(connect(url, token=token), name, load))
                print(f"{label}: {len(load.told)} round trips in {load.wall_s:.1f} s, {results[label][1]}", flush=True)
            overhead = ask_overhead(url, token, tmpdir, args.warm, args.pairs)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        server_log = (tmpdir / "server.log").read_text()
    load_after = load_avg()
    write_report(args, results, overhead, started, load_before, load_after, storage if args.storage else "SQLite",
                 server_log)


def write_report(args, results, overhead, started, load_before, load_after, storage, server_log) -> None:
    import fastapi
    import uvicorn

    import pfnopt

    cmd = "OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/service/http_load.py"
    extra = [a for a in sys.argv[1:] if a != "--report" and not a.endswith(".md")]
    if extra:
        cmd += " " + shlex.join(extra)
    lines = [
        "# Service load: concurrent HTTP clients on `pfnopt serve` (loopback)",
        "",
        f"Made by `{cmd}` on {started:%Y-%m-%d %H:%M} UTC.",
        "",
        f"* Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.platform()}; load average {load_before} before, {load_after} after (other jobs share this "
        "machine: compare figures within this run only).",
        f"* Versions: pfnopt {pfnopt.__version__}, FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__}, "
        f"Python {platform.python_version()}.",
        f"* Server: `pfnopt serve --storage <{storage}, fresh> --token-file ...` in its own process on 127.0.0.1, "
        "one uvicorn worker. Clients: threads of this process, one `pfnopt.client` keep-alive connection each, "
        "ask (4-parameter space: float, log float, int, categorical) then tell, until the study has the "
        "requested number of trials. Latencies measured by the clients, so they include HTTP, JSON and "
        "queueing: the server runs one ask of a study at a time (each ask sees the other trials as pending).",
        "",
        "| sampler | clients | round trips | wall s | round trips/s | ask p50 ms | ask p99 ms | tell p50 ms "
        "| tell p99 ms | stored | lost | duplicate numbers | left RUNNING | client errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, (load, check) in results.items():
        n = len(load.told)
        lines.append(
            f"| {label} | {args.clients} | {n} | {load.wall_s:.1f} | {n / load.wall_s:.1f} "
            f"| {1e3 * pct(load.ask_s, 50):.1f} | {1e3 * pct(load.ask_s, 99):.1f} "
            f"| {1e3 * pct(load.tell_s, 50):.1f} | {1e3 * pct(load.tell_s, 99):.1f} "
            f"| {check['stored']} | {check['lost']} | {check['duplicate_numbers']} | {check['running_left']} "
            f"| {check['errors']} |"
        )
    errors = [e for load, _ in results.values() for e in load.errors]
    if errors:
        lines += ["", f"Client errors ({len(errors)}), first ones: " + "; ".join(errors[:3])]
    bad = [ln.strip() for ln in server_log.splitlines() if "ERROR" in ln or "Traceback" in ln]
    ip, sv = statistics.median(overhead["in_process"]), statistics.median(overhead["service"])
    ratio = sv / ip
    lines += [
        "",
        "## PFN ask: through the service vs in process",
        "",
        f"One client, sequential; {args.pairs} timed pairs after {args.warm} untimed trials per side (the PFN's "
        "Sobol start-up phase and its model load), the two sides interleaved pair by pair with alternating "
        "order. In process: `pfnopt.create_study(storage=<SQLite file>, sampler=pfn).ask(space)` in this "
        "process; service: `pfnopt.client` ask of a PFN study of the server (the server's sampler stays loaded).",
        "",
        "| where | median ask ms | p10 ms | p90 ms |",
        "| --- | ---: | ---: | ---: |",
        f"| in process | {1e3 * ip:.1f} | {1e3 * pct(overhead['in_process'], 10):.1f} "
        f"| {1e3 * pct(overhead['in_process'], 90):.1f} |",
        f"| service (HTTP) | {1e3 * sv:.1f} | {1e3 * pct(overhead['service'], 10):.1f} "
        f"| {1e3 * pct(overhead['service'], 90):.1f} |",
        "",
        f"Service / in process: **{ratio:.2f}x** (target: within 1.5x: {'met' if ratio <= 1.5 else 'NOT met'}).",
        "",
        "Server log: " + (f"{len(bad)} error line(s), first: {bad[0]}" if bad else "no error logged") + ".",
    ]
    path = Path(args.report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
