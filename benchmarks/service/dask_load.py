"""Load test of ``DaskExecutor``: many Dask workers on one PostgreSQL study, with workers killed.

    eval "$(bash .ci/postgres.sh)"    # or export PFNOPT_TEST_POSTGRES_URL=postgresql+psycopg://...
    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/service/dask_load.py

A LocalCluster of ``--workers`` worker processes (1 thread each, with nannies) runs ``--trials``
trials of an objective that sleeps ``--seconds`` (two float parameters, random sampler, seed 0)
through ``study.optimize(..., executor=DaskExecutor(client))`` on a fresh study of the PostgreSQL
server (``max_retry=1``, heartbeats every 5 s, a grace period of 60 s). While it runs, ``--kill``
worker processes (the LocalCluster's ``dask worker`` processes, by the pids they report) are killed
with SIGKILL, each while it runs a trial (at evenly spaced points of the run; the killer checks
that the process is gone); their nannies restart them. Reported:

* throughput: trials finished per second of the ``optimize`` call, against the ideal
  ``workers / seconds`` (target: >= 80%); also over the middle 80% of completions (steady state,
  without the workers' first imports and the tail);
* the sampler's share: the driver's time in the sampler (``sampler_seconds`` summed) and in
  ``study.ask`` per second of the run;
* lost (a trial asked and never finished, or a lost worker's trial without its retry),
  duplicate numbers, and trials handed to the callbacks more than once (told twice): all must be 0;
* each killed worker's trial (FAIL, "the Dask worker ... was lost") and its retry (same
  parameters, ``retried_from``), which must be COMPLETE;
* the CPU each trial costs (driver, and workers + scheduler), and from it the CPU-seconds per
  second the ideal throughput would need, against the machine's CPUs.

The report goes to ``benchmarks/results/service/dask_load.md`` with the command and the load.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import collections  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SLEEP = 0.2  # set from --seconds before the cluster starts (the objective is pickled by value)


def objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_float("y", -5.0, 5.0)
    time.sleep(SLEEP)
    return x * x + y * y


def _cpu_seconds() -> float:
    """User + system CPU seconds of the calling process (run on each worker and the scheduler)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _cluster_cpu(client) -> float:
    return sum(client.run(_cpu_seconds).values()) + client.run_on_scheduler(_cpu_seconds)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min) on {os.cpu_count()} CPUs"


def _gone(pid: int, wait: float = 10.0) -> bool:
    """Whether process ``pid`` has exited (its nanny reaps it) within ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ", 1)[1].startswith("Z"):  # a zombie: dead, not yet reaped
                    return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.05)
    return False


class Killer(threading.Thread):
    """Kills ``n`` workers with SIGKILL, each while it runs a trial, at evenly spaced completions."""

    def __init__(self, client, study, n: int, n_trials: int, already_complete: int = 0):
        super().__init__(daemon=True)
        self.client, self.study, self.n = client, study, n
        self.marks = [already_complete + round(n_trials * (k + 1) / (n + 1)) for k in range(n)]
        self.killed: list[tuple[int, str, int, int, bool]] = []  # (completed, worker, trial number, pid, gone)
        self.stop = threading.Event()

    def run(self) -> None:
        from pfnopt.records import TrialState

        for mark in self.marks:
            while not self.stop.is_set():
                done = self.study._storage.get_n_trials(self.study._study_id, (TrialState.COMPLETE,))
                if done >= mark:
                    break
                time.sleep(0.2)
            while not self.stop.is_set():  # until a worker is caught inside a trial
                pids = self.client.run(os.getpid)  # worker address -> pid
                running = [t for t in self.study.get_trials(states=(TrialState.RUNNING,))
                           if t.system_attrs.get("dask_worker") in pids]
                if running:
                    victim = running[0]
                    address = victim.system_attrs["dask_worker"]
                    pid = pids[address]
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append((done, address, victim.number, pid, _gone(pid)))
                    break
                time.sleep(0.02)


def main() -> None:
    global SLEEP
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=0.2, help="the objective's sleep")
    ap.add_argument("--kill", type=int, default=2, help="workers killed with SIGKILL mid-trial")
    ap.add_argument("--warmup", type=int, default=1,
                    help="trials run in the driver before the timed run, so that the space is known and every "
                         "Dask trial gets its whole proposal with its task (0: the first wave of workers asks the "
                         "driver for each parameter over Dask's queue)")
    ap.add_argument("--storage", default=os.environ.get("PFNOPT_TEST_POSTGRES_URL"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/service/dask_load.md"))
    args = ap.parse_args()
    if not args.storage:
        sys.exit("no --storage and no $PFNOPT_TEST_POSTGRES_URL: start PostgreSQL (eval \"$(bash .ci/postgres.sh)\")")
    SLEEP = args.seconds

    from distributed import Client, LocalCluster

    import pfnopt
    from pfnopt.records import TrialState
    from pfnopt.samplers.simple import RandomSampler
    from pfnopt.storage import mask_url

    load_before = _load()
    t_cluster = time.perf_counter()
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, host="127.0.0.1")
    client = Client(cluster)
    client.wait_for_workers(args.workers, timeout=300)
    cluster_seconds = time.perf_counter() - t_cluster

    name = f"dask-load-{uuid.uuid4().hex[:8]}"
    study = pfnopt.create_study(study_name=name, storage=args.storage, sampler=RandomSampler(seed=0),
                                heartbeat_interval=5.0, grace_period=60.0, max_retry=1)

    ask_seconds = 0.0
    ask_lock = threading.Lock()
    plain_ask = study.ask

    def timed_ask(*a, **k):  # the driver's whole ask (storage + claim), for the share below
        nonlocal ask_seconds
        t0 = time.perf_counter()
        try:
            return plain_ask(*a, **k)
        finally:
            with ask_lock:
                ask_seconds += time.perf_counter() - t0

    if args.warmup:
        study.optimize(objective, n_trials=args.warmup, show_progress_bar=False)  # in-process, not timed
    study.ask = timed_ask
    told = collections.Counter()
    killer = Killer(client, study, args.kill, args.trials, already_complete=args.warmup)
    killer.start()
    cluster_cpu0, driver_cpu0 = _cluster_cpu(client), time.process_time()
    t0 = time.perf_counter()
    executor = pfnopt.DaskExecutor(client)
    study.optimize(objective, n_trials=args.trials, executor=executor,
                   callbacks=[lambda s, t: told.update([t.number])], show_progress_bar=False)
    wall = time.perf_counter() - t0
    driver_cpu = time.process_time() - driver_cpu0
    # killed workers' CPU is lost with them and their restarts start from 0: a lower bound then
    cluster_cpu = max(_cluster_cpu(client) - cluster_cpu0, 0.0)
    killer.stop.set()
    killer.join()
    load_after = _load()

    trials = [t for t in study.get_trials() if t.number >= args.warmup]
    states = collections.Counter(t.state.name for t in trials)
    numbers = [t.number for t in trials]
    duplicates = len(numbers) - len(set(numbers))
    told_twice = sum(1 for c in told.values() if c > 1)
    unfinished = [t.number for t in trials if not t.state.is_finished()]
    failed = [t for t in trials if t.state == TrialState.FAIL]
    retried = {t.system_attrs.get("retried_from") for t in trials}
    lost_unretried = [t.number for t in failed if t.number not in retried]
    never_told = [t.number for t in trials if t.state.is_finished() and t.number not in told]
    lost = len(unfinished) + len(lost_unretried) + len(never_told)

    ideal = args.workers / args.seconds
    throughput = len(told) / wall
    ends = sorted(t.datetime_complete.timestamp() for t in trials if t.datetime_complete)
    lo, hi = int(0.1 * len(ends)), int(0.9 * len(ends))
    steady = (hi - lo) / (ends[hi] - ends[lo]) if hi > lo and ends[hi] > ends[lo] else float("nan")
    sampler_s = sum(t.system_attrs.get("sampler_seconds", 0.0) for t in trials)
    by_number = {t.number: t for t in trials}
    retry_of = {t.system_attrs["retried_from"]: t for t in trials if "retried_from" in t.system_attrs}

    def fate(number: int) -> str:
        t = by_number[number]
        r = retry_of.get(number)
        again = (f"retried as trial {r.number} ({r.state.name}, same parameters: {r.params == t.params})"
                 if r is not None else "no retry")
        return f"{t.state.name} ({t.system_attrs.get('fail_reason', 'no fail reason')}); {again}"

    failed_lines = "\n".join(f"  - trial {t.number}: {fate(t.number)}" for t in failed) or "  - none"
    killed_lines = "\n".join(
        f"  - after {d} complete trials: worker {a} (pid {pid}, {'gone' if gone else 'STILL ALIVE'}), in trial {n}: "
        f"{fate(n)}" for d, a, n, pid, gone in killer.killed) or "  - none"
    # a kill lands mid-trial when the trial is then failed as lost; under load the trial read as
    # RUNNING may have stored its result before the SIGKILL arrived (then Dask's rerun of the task
    # finds it finished and returns it: COMPLETE, no retry, which is also correct)
    mid_trial = [n for _, _, n, _, _ in killer.killed if by_number[n].state == TrialState.FAIL]
    kills_ok = len(killer.killed) == args.kill and all(gone for *_, gone in killer.killed) and all(
        n in retry_of and retry_of[n].state == TrialState.COMPLETE and retry_of[n].params == by_number[n].params
        for n in mid_trial) and all(by_number[n].state == TrialState.COMPLETE
                                    for _, _, n, _, _ in killer.killed if n not in mid_trial)
    n_done = max(len(told), 1)
    ms_driver, ms_cluster = 1e3 * driver_cpu / n_done, 1e3 * cluster_cpu / n_done
    cpu_needed = (ms_driver + ms_cluster) / 1e3 * ideal
    command = "OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 .venv/bin/python " + " ".join(
        shlex.quote(mask_url(a)) for a in ["benchmarks/service/dask_load.py", *sys.argv[1:]])
    robust = lost == 0 and duplicates == 0 and told_twice == 0 and kills_ok
    fast = throughput >= 0.8 * ideal
    report = f"""# DaskExecutor under load: {args.workers} Dask workers, one PostgreSQL study

Command:

    {command}

Storage: {mask_url(args.storage)} (server on this machine).
Machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, shared.
Load average before: {load_before}; after: {load_after}.

Set-up: LocalCluster of {args.workers} worker processes x 1 thread (nannies), started in
{cluster_seconds:.1f} s (not counted); a fresh study, random sampler (seed 0), `max_retry=1`,
`heartbeat_interval=5`, `grace_period=60` (a loaded machine delays heartbeats); objective: 2 float parameters, `time.sleep({args.seconds})`;
{args.warmup} warm-up trial(s) in the driver first (not counted), then
`study.optimize(objective, n_trials={args.trials}, executor=DaskExecutor(client))`.
{args.kill} worker process(es) killed with SIGKILL while running a trial (each trial's fate after the run):
{killed_lines}

| measure | value |
|---|---|
| trials in the study | {len(trials)} ({", ".join(f"{k} {v}" for k, v in sorted(states.items()))}) |
| wall time of optimize | {wall:.2f} s |
| throughput (finished trials / wall) | {throughput:.1f} trials/s |
| ideal ({args.workers} / {args.seconds} s) | {ideal:.1f} trials/s |
| throughput / ideal | **{throughput / ideal:.1%}** (target >= 80%) |
| steady state (middle 80% of completions) | {steady:.1f} trials/s ({steady / ideal:.1%} of ideal) |
| driver time in the sampler (sampler_seconds, summed over the {executor.ask_threads} ask threads) | {sampler_s:.2f} s = {sampler_s / wall:.1%} of the wall time |
| driver time in study.ask (storage: claim + create; summed over the ask threads) | {ask_seconds:.2f} s = {ask_seconds / wall:.1%} of the wall time |
| CPU of the driver process | {driver_cpu:.1f} s = {1e3 * driver_cpu / max(len(told), 1):.1f} ms per trial |
| CPU of the Dask workers + scheduler (a lower bound with kills) | {cluster_cpu:.1f} s = {1e3 * cluster_cpu / max(len(told), 1):.1f} ms per trial |
| lost (unfinished, failed without retry, never told) | {lost} ({len(unfinished)} / {len(lost_unretried)} / {len(never_told)}) |
| duplicate trial numbers | {duplicates} |
| trials told twice (callbacks) | {told_twice} |

Failed trials and their retries:
{failed_lines}

CPU per trial: {ms_driver:.1f} ms in the driver + {ms_cluster:.1f} ms in the workers and the scheduler
(Dask's task bookkeeping, pickling, the workers' storage round trips). The ideal {ideal:.0f} trials/s
would need {cpu_needed:.1f} CPU-seconds per second; this machine has {os.cpu_count()} CPUs, shared (load above).
The throughput target is {"met" if fast else f"not reachable here (at most about {os.cpu_count() / max(cpu_needed, 1e-9):.0%} of ideal even with the CPUs free)"}.

Result: kill -9 of {args.kill} workers survived, 0 lost, 0 duplicate numbers, 0 told twice:
**{"yes" if robust else "NO"}** ({len(mid_trial)} of the {len(killer.killed)} kills landed mid-trial: trial failed as
lost and retried; the others after the trial had stored its result); throughput >= 80% of ideal: **{"yes" if fast else "no"}**.
"""
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report)
    print(report)
    client.close()
    cluster.close()
    pfnopt.delete_study(name, args.storage)


if __name__ == "__main__":
    main()
