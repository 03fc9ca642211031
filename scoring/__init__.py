"""Psychometrics for the assessment engine: scoring rules, IRT models, ability estimation.

A plain library on numpy and scipy. It imports no Django (a test enforces
this), takes arrays and returns arrays or frozen dataclasses.

Conventions: logistic IRT metric with D = 1, ability on the N(0, 1) scale,
response matrices as float arrays of shape ``(n_persons, n_items)`` with NaN
for "not presented".
"""

from scoring.irt import Ability, ItemParams, estimate_ability, information, probability
from scoring.rules import scale_to_ten, score_single_choice

__all__ = [
    "Ability",
    "ItemParams",
    "estimate_ability",
    "information",
    "probability",
    "scale_to_ten",
    "score_single_choice",
]
