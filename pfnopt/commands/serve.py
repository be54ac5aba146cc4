"""``pfnopt serve``: the HTTP/JSON API and the web dashboard over a storage."""

from __future__ import annotations

import typer

from pfnopt.commands._common import SAMPLER_HELP, StorageOption, cli_errors, console, storage_url


@cli_errors
def serve(
    storage: str | None = StorageOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; beyond loopback a token is required."),
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="TCP port."),
    token_file: str | None = typer.Option(
        None, "--token-file", help="File holding the secret every /api request must send as 'Authorization: Bearer ...'."
    ),
    sampler: str | None = typer.Option(None, "--sampler", help=f"For studies not created with one. {SAMPLER_HELP}"),
    seed: int | None = typer.Option(None, "--seed", help="Seed of those samplers."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn's log level: critical, error, warning, info, debug."),
    heartbeat_interval: float | None = typer.Option(
        None, "--heartbeat-interval",
        help="Lease asked trials: a client must POST the trial's /heartbeat this often (pfnopt.client does), "
        "else the trial is failed and retried after the grace period. Default: no lease.",
    ),
    grace_period: float | None = typer.Option(
        None, "--grace-period", help="Seconds without a client heartbeat before a trial is stale (default 2x the interval)."
    ),
    max_retry: int = typer.Option(0, "--max-retry", min=0, help="Retries (same parameters) of a trial whose client vanished."),
) -> None:
    """Serve the HTTP API (/api, docs at /docs) and the dashboard (/) until Ctrl-C.

    Example: pfnopt serve --storage sqlite:///store/pfnopt.db --port 8080
    """
    from pfnopt.service.auth import check_bind, read_token
    from pfnopt.service.lease import Lease

    token = read_token(token_file) if token_file is not None else None
    # both checked before importing the web stack: a refusal is immediate
    check_bind(host, token)
    lease = Lease.from_settings(heartbeat_interval, grace_period, max_retry)
    from pfnopt.service.app import serve as run
    from pfnopt.storage import get_storage

    store = get_storage(storage_url(storage))
    shown = f"[{host}]" if ":" in host else host
    console.print(f"pfnopt service on http://{shown}:{port}/ (API /api, docs /docs) over {store.describe()}"
                  + ("; token required" if token else "")
                  + (f"; trials leased for {lease.grace_period:g} s per client heartbeat" if lease else ""),
                  highlight=False)
    run(store, host=host, port=port, token=token, sampler=sampler, seed=seed, log_level=log_level,
        heartbeat_interval=heartbeat_interval, grace_period=grace_period, max_retry=max_retry)
