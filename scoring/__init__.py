"""Psychometrics for the assessment engine: scoring rules, IRT models, ability estimation,
linking, reporting scales, classical statistics, item and person fit, and DIF.

A plain library on numpy and scipy. It imports no Django (a test enforces
this), takes arrays and returns arrays or frozen dataclasses.

Conventions: logistic IRT metric with D = 1, ability on the N(0, 1) scale,
response matrices as float arrays of shape ``(n_persons, n_items)`` with NaN
for "not presented". See docs/scoring.md for examples.
"""

from scoring.calibration import Calibration, ItemStandardErrors, calibrate, quadrature_grid
from scoring.classical import (
    DistractorAnalysis,
    ItemOptions,
    ItemStatistics,
    alpha_if_item_deleted,
    cronbach_alpha,
    distractor_analysis,
    item_statistics,
    standard_error_of_measurement,
)
from scoring.dif import MantelHaenszelDIF, mantel_haenszel_dif
from scoring.fit import SX2, ItemFit, PersonFit, item_fit, person_fit, s_x2
from scoring.irt import (
    DICHOTOMOUS_MODELS,
    MODELS,
    POLYTOMOUS_MODELS,
    STATUS_AT_BOUND,
    STATUS_EXTREME_HIGH,
    STATUS_EXTREME_LOW,
    STATUS_MESSAGES,
    STATUS_NO_RESPONSES,
    STATUS_NOT_CONVERGED,
    STATUS_OK,
    Ability,
    ItemParams,
    SumScoreTable,
    category_probabilities,
    estimate_ability,
    expected_score,
    expected_total,
    information,
    log_likelihood,
    probability,
    sum_score_eap_table,
)
from scoring.linking import LINKING_METHODS, Linking, Quadrature, link
from scoring.rules import scale_to_ten, score_single_choice
from scoring.scales import ROUNDING_RULES, LinearScale, TccScale, linear_scale_from, round_to_step, tcc_scale
from scoring.simulate import SimulatedResponses, random_items, simulate

__all__ = [
    "Calibration",
    "ItemStandardErrors",
    "calibrate",
    "quadrature_grid",
    "DICHOTOMOUS_MODELS",
    "MODELS",
    "POLYTOMOUS_MODELS",
    "STATUS_AT_BOUND",
    "STATUS_EXTREME_HIGH",
    "STATUS_EXTREME_LOW",
    "STATUS_MESSAGES",
    "STATUS_NOT_CONVERGED",
    "STATUS_NO_RESPONSES",
    "STATUS_OK",
    "SimulatedResponses",
    "SumScoreTable",
    "category_probabilities",
    "expected_score",
    "expected_total",
    "log_likelihood",
    "random_items",
    "simulate",
    "sum_score_eap_table",
    "LINKING_METHODS",
    "ROUNDING_RULES",
    "SX2",
    "Ability",
    "DistractorAnalysis",
    "ItemFit",
    "ItemOptions",
    "ItemParams",
    "ItemStatistics",
    "LinearScale",
    "Linking",
    "MantelHaenszelDIF",
    "PersonFit",
    "Quadrature",
    "TccScale",
    "alpha_if_item_deleted",
    "cronbach_alpha",
    "distractor_analysis",
    "estimate_ability",
    "information",
    "item_fit",
    "item_statistics",
    "link",
    "linear_scale_from",
    "mantel_haenszel_dif",
    "person_fit",
    "probability",
    "round_to_step",
    "s_x2",
    "scale_to_ten",
    "score_single_choice",
    "standard_error_of_measurement",
    "tcc_scale",
]
