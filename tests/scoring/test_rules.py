import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import scale_to_ten, score_single_choice


@pytest.mark.parametrize(
    ("response", "key", "points", "expected"),
    [
        ("B", "B", 0.25, 0.25),
        ("A", "B", 0.25, 0.0),
        (None, "B", 0.25, 0.0),
        ("b", "B", 1.0, 0.0),  # no case folding: option ids are normalised upstream
        ("C", "C", 0, 0.0),
    ],
)
def test_score_single_choice(response, key, points, expected):
    score = score_single_choice(response, key, points)
    assert score == expected
    assert isinstance(score, float)


@pytest.mark.parametrize("points", [-0.25, math.nan, math.inf])
def test_score_single_choice_rejects_bad_points(points):
    with pytest.raises(ValueError, match="points"):
        score_single_choice("A", "A", points)


@pytest.mark.parametrize(
    ("raw", "maximum", "expected"),
    [
        (7.25, 10, 7.3),  # half up, not half to even
        (
            0.05,
            10,
            0.1,
        ),  # float 0.05 is just below 0.05; decimal rounding still gives 0.1
        (2.9, 4, 7.3),  # 2.9 / 4 * 10 == 7.249999... in floats
        (29, 40, 7.3),
        (7.24, 10, 7.2),
        (1, 3, 3.3),
        (2, 3, 6.7),
        (0, 10, 0.0),
        (40, 40, 10.0),
        (8.5, 10, 8.5),
        (0.35, 1, 3.5),
        (17.5, 20, 8.8),  # 8.75 -> 8.8
        (0.65, 2, 3.3),  # 3.25 -> 3.3
    ],
)
def test_scale_to_ten_rounds_half_up_to_one_decimal(raw, maximum, expected):
    assert scale_to_ten(raw, maximum) == expected


def test_scale_to_ten_float_trap_is_real():
    # The case the decimal arithmetic exists for: plain float rounding gets it wrong.
    assert round(2.9 / 4 * 10, 1) == 7.2
    assert scale_to_ten(2.9, 4) == 7.3


@pytest.mark.parametrize(
    ("raw", "maximum"),
    [
        (5, 0),
        (5, -10),
        (-0.5, 10),
        (10.5, 10),
        (math.nan, 10),
        (5, math.inf),
    ],
)
def test_scale_to_ten_rejects_out_of_range(raw, maximum):
    with pytest.raises(ValueError) as excinfo:
        scale_to_ten(raw, maximum)
    message = str(excinfo.value)
    assert repr(raw) in message
    assert repr(maximum) in message


@given(maximum=st.integers(min_value=1, max_value=500), data=st.data())
def test_scale_to_ten_matches_exact_rational_rounding(maximum, data):
    raw = data.draw(st.integers(min_value=0, max_value=maximum))
    # Exact reference: floor(10 * raw * 10 / maximum + 1/2) / 10 in rational arithmetic.
    tenths = math.floor(Fraction(100 * raw, maximum) + Fraction(1, 2))
    assert scale_to_ten(raw, maximum) == tenths / 10
    assert scale_to_ten(float(raw), float(maximum)) == tenths / 10


@pytest.mark.parametrize(
    "raw, maximum, step, expected",
    [
        (2.9, 4, "0.25", 7.25),  # exactly 7.25: a multiple of 0.25 stays
        (2.9, 4, "0.1", 7.3),
        (2.85, 4, "0.25", 7.25),  # 7.125: halfway between 7.0 and 7.25, up
        (2.9, 4, "0.5", 7.5),  # 7.25: halfway, up
        (2.9, 4, "1", 7.0),
        (2.9, 4, Decimal("0.25"), 7.25),
        (40, 40, "0.25", 10.0),
        (0, 40, "0.25", 0.0),
    ],
)
def test_scale_to_ten_counts_in_the_steps_asked_for(raw, maximum, step, expected):
    assert scale_to_ten(raw, maximum, step=step) == expected


@pytest.mark.parametrize("step", ["0.3", "0", "-0.25", "11", "x", "NaN", 0.25])
def test_scale_to_ten_refuses_a_step_that_does_not_divide_ten(step):
    with pytest.raises(ValueError, match="step"):
        scale_to_ten(3, 4, step=step)
