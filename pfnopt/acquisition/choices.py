"""The names the acquisition layer accepts, and the check of a combination (torch-free, so that a
sampler can refuse a bad option at construction without loading torch)."""

from __future__ import annotations

from pfnopt.exceptions import NotSupportedError, ParameterError

ACQUISITIONS = ("log_ei", "pi", "ucb")
METHODS = ("cei", "cei+", "penalty")


def check_combination(method: str, acquisition: str, n_constraints: int = 0) -> None:
    """Refuse an unknown method or acquisition, and ``ucb`` with ``cei`` / ``cei+`` when there are
    constraints (``n_constraints > 0``)."""
    if method not in METHODS:
        raise ParameterError(f"unknown constraint method {method!r}; allowed: {', '.join(METHODS)}")
    if acquisition == "ei":
        raise NotSupportedError(
            "acquisition 'ei' is not offered: use 'log_ei', which has the same maximiser and keeps a gradient "
            "where EI underflows to 0"
        )
    if acquisition not in ACQUISITIONS:
        raise ParameterError(f"unknown acquisition {acquisition!r}; allowed: {', '.join(ACQUISITIONS)}")
    if acquisition == "ucb" and method != "penalty" and n_constraints > 0:
        raise NotSupportedError(
            f"acquisition 'ucb' (a bound in the objective's units) cannot be weighted by a probability of "
            f"feasibility as {method!r} needs; use log_ei or pi, or constraints='penalty'"
        )
