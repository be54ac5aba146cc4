"""Errors of the surrogate (``ValueError``/``TypeError`` subclasses; messages name the argument and the fix)."""

from __future__ import annotations


class SurrogateError(ValueError):
    """Base of the surrogate's value errors."""


class CheckpointError(SurrogateError):
    """A checkpoint is missing, corrupt, truncated, or does not match its config."""


class InputValueError(SurrogateError):
    """An input has NaN/inf, values outside the unit cube, or a size the model does not support."""


class InputShapeError(SurrogateError):
    """An input has the wrong number of dimensions or inconsistent sizes."""


class InputTypeError(TypeError):
    """An input is neither a numpy array nor a torch tensor (or they are mixed)."""
