"""Name -> problem builder, by suite and variant.

``get(name, variant)`` builds a fresh :class:`~pfnopt.problems.base.Problem`; ``names(suite)`` lists
the registered names in a fixed order. Unknown names, suites or variants raise ``ValueError``
(:class:`~pfnopt.exceptions.ParameterError`) listing the allowed ones.
"""

from __future__ import annotations

from collections.abc import Callable

from pfnopt.exceptions import ParameterError
from pfnopt.problems import mechanical, structural, synthetic, toy
from pfnopt.problems.base import Problem

# The 17 cases of Yu, Picard & Ahmed (2024), in the order of the issue.
ENGINEERING = (
    "ackley_2d", "ackley_6d", "ackley_10d", "gkxwc1", "gkxwc2", "jlh1", "jlh2", "keane_bump_18d",
    "cantilever_beam", "car_side_impact", "tension_compression_spring", "heat_exchanger",
    "pressure_vessel", "reinforced_concrete_beam", "speed_reducer", "three_bar_truss", "welded_beam",
)  # fmt: skip
SYNTHETIC = ("branin", "hartmann_6d", "ackley_5d", "gramacy")
SUITES = {"engineering": ENGINEERING, "synthetic": SYNTHETIC, "all": ENGINEERING + SYNTHETIC}
# "default": the corrected formulation; "paper": what the paper's experiments ran (engineering only).
VARIANTS = {"engineering": ("default", "paper"), "synthetic": ("default",)}

_BUILDERS: dict[str, Callable[[str], Problem]] = {
    **toy.BUILDERS,
    **structural.BUILDERS,
    **mechanical.BUILDERS,
    **synthetic.BUILDERS,
}
assert set(_BUILDERS) == set(SUITES["all"]), "registry and suites disagree"


def names(suite: str = "engineering") -> list[str]:
    """Problem names of ``suite``: ``"engineering"`` (the 17, default), ``"synthetic"`` or ``"all"``."""
    if suite not in SUITES:
        raise ParameterError(f"unknown suite {suite!r}; allowed: {sorted(SUITES)!r}")
    return list(SUITES[suite])


def variants(name: str) -> list[str]:
    """The variants ``get`` accepts for ``name``."""
    return list(VARIANTS["synthetic" if name in SYNTHETIC else "engineering"])


def get(name: str, variant: str = "default") -> Problem:
    """A fresh problem, e.g. ``get("pressure_vessel")`` or ``get("speed_reducer", variant="paper")``."""
    if name not in _BUILDERS:
        raise ParameterError(f"unknown problem {name!r}; allowed: {list(SUITES['all'])!r}")
    allowed = variants(name)
    if variant not in allowed:
        raise ParameterError(f"unknown variant {variant!r} for problem {name!r}; allowed: {allowed!r}")
    return _BUILDERS[name](variant)
