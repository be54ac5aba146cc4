"""Pieces shared by the command modules: consoles, the --storage option, error handling, loaders."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, TypeVar

import typer
from rich.console import Console

from pfnopt.exceptions import InputFileNotFoundError, UsageError

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

SAMPLER_HELP = (
    "Sampler: pfn (default; pfn-cei, pfn-cei+, pfn-penalty), gp-ei, gp-cei, gp-penalty, "
    "optuna-tpe (tpe), optuna-gp, sobol, random."
)
STORAGE_HELP = "Storage URL (default: $PFNOPT_STORAGE, else sqlite:///store/pfnopt.db)."
StorageOption = typer.Option(None, "--storage", help=STORAGE_HELP, show_default=False)


def storage_url(storage: str | None) -> str:
    from pfnopt.storage import default_storage_url

    return storage or default_storage_url()


def debug_enabled() -> bool:
    return os.environ.get("PFNOPT_DEBUG", "") not in ("", "0")


def fail(message: str, code: int = 1) -> "typer.Exit":
    """Print a one-line error (passwords masked) and return the Exit to raise."""
    line = " ".join(mask_secrets(str(message)).strip().splitlines()[:1]) or "failed"
    err_console.print(f"[bold red]error:[/] {line}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code)


def mask_secrets(text: str) -> str:
    """``text`` with the password of every URL (from the parsed URL), every password the storage
    has seen, and ``password=...`` replaced by ``***`` (:func:`pfnopt.storage.urls.scrub`)."""
    from pfnopt.storage.urls import scrub

    return scrub(text)


def print_traceback() -> None:
    """The current exception's traceback on stderr (``--debug``), scrubbed of passwords."""
    sys.stderr.write(mask_secrets(traceback.format_exc()))


def cli_errors(fn: F) -> F:
    """Turn pfnopt's errors (:class:`~pfnopt.exceptions.PfnoptError`) into one line and exit code 1.

    Usage errors (click's) keep click's own message; anything else is a bug and is reported as
    ``ExceptionType: message`` (still one line).

    With ``--debug`` (or PFNOPT_DEBUG=1) the traceback is shown instead.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import click

        from pfnopt.exceptions import PfnoptError

        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt, click.ClickException):
            raise  # usage errors: click prints them with the command's usage line
        except PfnoptError as e:
            if debug_enabled():
                print_traceback()
            raise fail(str(e)) from None
        except SystemExit as e:  # e.g. an objective calling sys.exit(): say so instead of exiting silently
            if debug_enabled():
                print_traceback()
            raise fail(f"the objective code called sys.exit({e.code!r}); pfnopt stopped") from None
        except Exception as e:  # unexpected: still one line, the traceback under --debug
            if debug_enabled():
                print_traceback()
            raise fail(f"{type(e).__name__}: {e}") from None

    return wrapper  # type: ignore[return-value]


OBJECTIVE_HELP = (
    "path/to/file.py:function taking a trial. The WHOLE file is executed (imported as a module, like "
    "`python file.py` without the __main__ block) before the function is called: only use files you trust."
)


def load_objective(spec: str) -> Callable[..., Any]:
    """``path/to/file.py:function`` -> the function (clear errors for a missing file or name).

    This EXECUTES the whole file (every top-level statement), as importing it would. A file that
    calls ``sys.exit`` while loading is reported as an error, not obeyed."""
    if ":" not in spec:
        raise UsageError(f"--objective must look like path/to/file.py:function, got {spec!r}")
    path_s, _, func = spec.rpartition(":")
    path = Path(path_s)
    if not path.is_file():
        raise InputFileNotFoundError(f"objective file {path_s!r} does not exist")
    module_spec = importlib.util.spec_from_file_location(f"pfnopt_objective_{path.stem}", path)
    if module_spec is None or module_spec.loader is None:
        raise UsageError(f"cannot import {path_s!r} as a Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        module_spec.loader.exec_module(module)
    except SystemExit as e:
        raise ValueError(f"objective file {path_s!r} called sys.exit({e.code!r}) while being loaded") from None
    finally:
        sys.path.pop(0)
    fn = getattr(module, func, None)
    if fn is None or not callable(fn):
        names = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise UsageError(f"{path_s!r} has no function {func!r}; it defines {names}")
    return fn


def require_existing_database(url: str) -> str:
    """``url`` unchanged, or StorageError when it names a SQLite file that does not exist: commands
    that only read (or need an existing study) never create folders or an empty database."""
    from pfnopt.exceptions import StorageError
    from pfnopt.storage.sql.engine import is_memory_sqlite, parse_url

    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite" and not is_memory_sqlite(parsed):
        path = Path(parsed.database)
        if not path.is_file():
            raise StorageError(
                f"no such database: SQLite file {str(path.absolute())!r} does not exist (check --storage or "
                "$PFNOPT_STORAGE; `pfnopt study create` makes a new one)"
            )
    return url


def parse_space(text: str):
    """``--space`` JSON -> SearchSpace. Each value: {"type": "float"|"int"|"categorical", ...};
    strict: no coercion, unknown fields refused, errors name the parameter and the field."""
    from pfnopt.exceptions import ParameterError
    from pfnopt.space import SearchSpace, distribution_from_json

    try:
        body = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"--space is not valid JSON ({e.msg} at char {e.pos}): {text!r}") from None
    if not isinstance(body, dict) or not body:
        raise UsageError(
            '--space must be a JSON object of parameters, e.g. {"x": {"type": "float", "low": 0, "high": 1}}'
        )
    dists = {}
    for name, spec in body.items():
        try:
            dists[name] = distribution_from_json(spec, strict=True)
        except ParameterError as e:
            raise ParameterError(f"--space parameter {name!r}: {e}") from None
    return SearchSpace(dists)


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)
