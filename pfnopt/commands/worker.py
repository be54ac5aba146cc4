"""``pfnopt worker``: a plain worker process (ask, evaluate, tell, heartbeat) on a shared study.

For clusters without Dask: start as many as you like, on any machine that reaches the storage.
Each one loads the study, runs the objective one trial at a time with heartbeats on, and stops
after ``--n-trials`` / ``--timeout``, or after the trial in progress on the first Ctrl-C or
SIGTERM (a second one stops at once; the trial left RUNNING is then failed and retried by the
other workers once its heartbeat is older than the grace period).
"""

from __future__ import annotations

import signal
import time
from typing import Any

import typer

from pfnopt.commands._common import SAMPLER_HELP, StorageOption, cli_errors, console, load_objective, storage_url


class _StopFlag:
    """Set by the first SIGINT/SIGTERM; the second raises KeyboardInterrupt."""

    def __init__(self) -> None:
        self.set = False

    def __call__(self, signum: int, frame: Any) -> None:
        if self.set:
            raise KeyboardInterrupt
        self.set = True
        console.print(f"[yellow]signal {signum}: stopping after the trial in progress[/]", highlight=False)


@cli_errors
def worker(
    study: str = typer.Argument(..., help="Name of an existing study (create it with `pfnopt study create`)."),
    objective: str = typer.Option(..., "--objective", help="path/to/file.py:function taking a trial (the file is executed)."),
    n_trials: int | None = typer.Option(None, "--n-trials", "-n", min=1, help="Trials this worker runs (default: until stopped)."),
    timeout: float | None = typer.Option(None, "--timeout", min=0.0, help="Start no new trial after this many seconds."),
    sampler: str | None = typer.Option(None, "--sampler", help=SAMPLER_HELP),
    seed: int | None = typer.Option(None, "--seed", help="Sampler seed."),
    heartbeat_interval: float = typer.Option(10.0, "--heartbeat-interval", help="Seconds between heartbeats of the running trial."),
    grace_period: float | None = typer.Option(None, "--grace-period", help="A RUNNING trial without a heartbeat for this long is failed (default: 2x the interval)."),
    max_retry: int = typer.Option(0, "--max-retry", min=0, help="Retries (same parameters) of a trial whose worker died."),
    storage: str | None = StorageOption,
) -> None:
    """Run trials of a shared study until stopped: ask, evaluate, tell, with heartbeats.

    Example: pfnopt worker beam --objective examples/beam.py:objective --storage postgresql+psycopg://... --n-trials 50
    """
    import pfnopt
    from pfnopt.commands.trials import _print_trial
    from pfnopt.samplers import get_sampler

    fn = load_objective(objective)
    st = pfnopt.load_study(study, storage_url(storage), sampler=get_sampler(sampler, seed=seed),
                           heartbeat_interval=heartbeat_interval, grace_period=grace_period, max_retry=max_retry)
    stop = _StopFlag()
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    done = 0
    t0 = time.monotonic()
    try:
        while not stop.set and (n_trials is None or done < n_trials):
            if timeout is not None and time.monotonic() - t0 >= timeout:
                break
            # one trial per call: an objective error fails that trial (reason stored), not the worker
            st.optimize(fn, n_trials=1, catch=(Exception,), callbacks=[_print_trial], show_progress_bar=False)
            done += 1
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    console.print(f"worker done: {done} trial(s) of study {st.study_name!r} in {time.monotonic() - t0:.1f} s",
                  highlight=False)
