"""Errors of the surrogate, in pfnopt's one error tree (messages name the argument and the fix).

Each also derives from the matching Python error (``ValueError`` / ``TypeError``), so ``except ValueError``
keeps working; ``except pfnopt.PfnoptError`` catches them all. :mod:`pfnopt.exceptions` is a leaf module (it
imports nothing), so the surrogate still depends on nothing else in pfnopt.
"""

from __future__ import annotations

from pfnopt.exceptions import PfnoptError


class SurrogateError(PfnoptError, ValueError):
    """Base of the surrogate's errors."""


class CheckpointError(SurrogateError):
    """A checkpoint is missing, corrupt, truncated, or does not match its config."""


class InputValueError(SurrogateError):
    """An input has NaN/inf, values outside the unit cube, or a size the model does not support."""


class InputShapeError(SurrogateError):
    """An input has the wrong number of dimensions or inconsistent sizes."""


class InputTypeError(SurrogateError, TypeError):
    """An input is neither a numpy array nor a torch tensor (or they are mixed)."""
