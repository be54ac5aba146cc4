"""The one rule for choosing a torch device, shared by the PFN sampler, the GP baselines and the tests.

``check_device`` runs at construction and imports nothing heavy (so building a sampler stays cheap);
``resolve_device`` runs when a model is first needed and asks torch whether CUDA is there.

The choice, in order: the argument, else ``PFNOPT_DEVICE``, else ``auto``. ``auto`` is CUDA when torch
sees a GPU, else the CPU; an explicit ``cuda`` / ``cuda:N`` without a GPU is an error (never a silent
fallback to the CPU).
"""

from __future__ import annotations

import os

from pfnopt.exceptions import ParameterError

DEVICE_ENV = "PFNOPT_DEVICE"


def check_device(device: str | None) -> str:
    """The device asked for (argument, else ``PFNOPT_DEVICE``, else ``"auto"``), checked for syntax only."""
    choice = device or os.environ.get(DEVICE_ENV) or "auto"
    if not isinstance(choice, str) or (choice not in ("auto", "cpu") and not _is_cuda_name(choice)):
        raise ParameterError(f"unknown device {choice!r}; allowed: auto, cpu, cuda, cuda:N")
    return choice


def resolve_device(choice: str | None) -> str:
    """``"auto"`` -> ``"cuda"`` when available, else ``"cpu"``; ``cuda`` without a GPU is an error."""
    import torch

    choice = check_device(choice)
    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice.startswith("cuda") and not torch.cuda.is_available():
        raise ParameterError(f"device {choice!r} was asked for but CUDA is not available; use cpu or auto")
    return choice


def _is_cuda_name(name: str) -> bool:
    head, _, index = name.partition(":")
    return head == "cuda" and (index == "" or index.isdigit())
