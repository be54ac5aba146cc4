"""Search spaces: distributions and the one mapping to and from the unit cube."""

from pfnopt.space.distributions import (
    Categorical,
    Distribution,
    Float,
    Int,
    check_value,
    distribution_from_json,
    distribution_to_json,
)
from pfnopt.space.space import NEUTRAL, SearchSpace, as_space

__all__ = [
    "Categorical",
    "Distribution",
    "Float",
    "Int",
    "NEUTRAL",
    "SearchSpace",
    "as_space",
    "check_value",
    "distribution_from_json",
    "distribution_to_json",
]
