"""Who may call the API: an optional bearer token, and where the server may listen without one.

The token is compared in constant time (:func:`hmac.compare_digest`), so its bytes cannot be
guessed one by one from response times. Without a token the server listens only on loopback.
"""

from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path

from pfnopt.exceptions import ParameterError, PfnoptError


class InsecureBindError(PfnoptError, ValueError):
    """The server was asked to listen beyond loopback with no token configured."""


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback literals (127.0.0.0/8, ::1); False for anything else."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve anywhere, so it is not loopback
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-loopback ``host`` when no token protects the API."""
    if token is None and not is_loopback(host):
        raise InsecureBindError(
            f"refusing to listen on {host!r} without a token: anyone who can reach it could read and write "
            f"every study; pass --token-file FILE (a file holding a secret), or listen on 127.0.0.1"
        )


def read_token(path: str | Path) -> str:
    """The token in ``path`` (surrounding whitespace stripped); a clear error if missing or empty."""
    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"--token-file {str(p)!r} does not exist or is not a file")
    token = p.read_text(encoding="utf-8").strip()
    if not token:
        raise ParameterError(f"--token-file {str(p)!r} is empty: write a secret into it (e.g. `openssl rand -hex 32`)")
    if any(c.isspace() for c in token):
        raise ParameterError(f"the token in --token-file {str(p)!r} contains whitespace; use one line without spaces")
    return token


def token_matches(expected: str, authorization: str | None) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <expected>`` (constant-time compare)."""
    if not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8"))
