"""Pieces shared by the command modules: consoles, the --storage option, error handling, loaders."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
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


_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?=@)")


def mask_secrets(text: str) -> str:
    """Replace the password of every URL in ``text`` by ``***``."""
    return _URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)


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
                traceback.print_exc()
            raise fail(str(e)) from None
        except Exception as e:  # unexpected: still one line, the traceback under --debug
            if debug_enabled():
                traceback.print_exc()
            raise fail(f"{type(e).__name__}: {e}") from None

    return wrapper  # type: ignore[return-value]


def load_objective(spec: str) -> Callable[..., Any]:
    """``path/to/file.py:function`` -> the function (clear errors for a missing file or name)."""
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
    finally:
        sys.path.pop(0)
    fn = getattr(module, func, None)
    if fn is None or not callable(fn):
        names = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise UsageError(f"{path_s!r} has no function {func!r}; it defines {names}")
    return fn


def parse_space(text: str):
    """``--space`` JSON -> SearchSpace. Each value: {"type": "float"|"int"|"categorical", ...}."""
    from pfnopt.space import SearchSpace, distribution_from_json

    try:
        body = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"--space is not valid JSON ({e.msg} at char {e.pos}): {text!r}") from None
    if not isinstance(body, dict) or not body:
        raise UsageError(
            '--space must be a JSON object of parameters, e.g. {"x": {"type": "float", "low": 0, "high": 1}}'
        )
    return SearchSpace({name: distribution_from_json(spec) for name, spec in body.items()})


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)
