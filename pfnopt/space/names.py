"""The one rule for names the storage keeps: study, parameter and attribute names.

Every backend gets the same rule, checked in the library before anything is written, so a name
that SQLite would take and PostgreSQL refuse (over its 512-character columns, or with a NUL
byte PostgreSQL cannot store in text) is refused everywhere, with the field and the limit named.
"""

from __future__ import annotations

from pfnopt.exceptions import ParameterError

MAX_NAME_LENGTH = 512
"""Characters; the width of the name columns of the SQL schema."""


def check_name(what: str, name: object) -> str:
    """``name`` if it is a non-empty string of at most 512 characters without NUL; else ParameterError.

    ``what`` says which field the name is for (``"study name"``, ``"parameter name"``, ...).
    """
    if not isinstance(name, str) or not name:
        raise ParameterError(f"{what} must be a non-empty string, got {name!r}")
    if len(name) > MAX_NAME_LENGTH:
        raise ParameterError(
            f"{what} {name[:40]!r}... has {len(name)} characters; the limit is {MAX_NAME_LENGTH}"
        )
    if "\x00" in name:
        raise ParameterError(f"{what} {name!r} contains a NUL character (\\x00), which no backend may store")
    return name
