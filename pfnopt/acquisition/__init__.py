"""Acquisition: scores from a predictive posterior (EI family, CEI, CEI+, penalty) and their
maximisation over a mixed search space."""

from pfnopt.acquisition.constrained import ACQUISITIONS, METHODS, score
from pfnopt.acquisition.optimize import AcqOptions, AcqResult, optimize_acquisition

__all__ = ["ACQUISITIONS", "AcqOptions", "AcqResult", "METHODS", "optimize_acquisition", "score"]
