"""Circular 22's arithmetic (scoring/grades.py): averages in exact decimals, levels, retakes."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from scoring import grades
from scoring.grades import (
    CIRCULAR_22,
    FAILED,
    PASSED,
    Policy,
    result_level,
    retake_subjects,
    score,
    semester_average,
    year_average,
)


def test_the_semester_average_weighs_midterm_twice_and_endterm_three_times():
    # (7 + 8 + 9 + 2 x 6 + 3 x 8) / (3 + 5) = 60 / 8
    assert semester_average([7, 8, 9], 6, 8) == Decimal("7.5")
    # (6.5 + 7 + 2 x 8 + 3 x 9) / 7 = 56.5 / 7 = 8.071...
    assert semester_average(["6.5", Decimal(7)], "8", "9") == Decimal("8.1")
    assert semester_average([], 10, 10) == Decimal("10.0")
    assert semester_average([0, 0], 0, 0) == Decimal("0.0")


@pytest.mark.parametrize(
    "continuous, midterm, endterm, expected",
    [
        # 66 / 8 = 8.25 exactly: halves go up. round() on the float gives 8.2 (half to even).
        (["8", "8", "8.5"], "8", "8.5", "8.3"),
        # 64.4 / 8 = 8.05 exactly; in binary the sum is 64.39999..., so even a hand-written
        # floor(x * 10 + 0.5) on floats gives 8.0.
        (["8.3", "9.0", "8.5"], "7.0", "8.2", "8.1"),
        # 62 / 8 = 7.75 exactly; floats give 7.7.
        (["8.6", "8.7", "6.0"], "7.2", "8.1", "7.8"),
    ],
)
def test_halves_round_up_where_binary_floats_round_down(continuous, midterm, endterm, expected):
    assert semester_average(continuous, midterm, endterm) == Decimal(expected)
    as_floats = (sum(float(c) for c in continuous) + 2 * float(midterm) + 3 * float(endterm)) / (len(continuous) + 5)
    assert min(round(as_floats, 1), math.floor(as_floats * 10 + 0.5) / 10) < float(expected)


def test_the_year_average_weighs_the_second_semester_twice():
    assert year_average("6.5", "7.0") == Decimal("6.8")  # 20.5 / 3 = 6.833...
    assert year_average(5, "4.9") == Decimal("4.9")  # 14.8 / 3 = 4.933...
    assert year_average("4.9", 5) == Decimal("5.0")  # 14.9 / 3 = 4.966...
    assert year_average("8.0", "8.0") == Decimal("8.0")


def test_scores_are_exact_decimals_of_the_ten_point_scale():
    assert score("7,5") == score(" 7.5 ") == score(Decimal("7.50")) == Decimal("7.5")
    assert score(10) == Decimal(10)
    with pytest.raises(TypeError, match="not float"):
        score(7.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not bool"):
        score(True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="midterm"):
        semester_average([7], 6.5, 8)  # type: ignore[arg-type]
    for bad, message in [
        ("7.25", "more than one decimal place"),
        ("10.1", "between 0 and 10"),
        ("-1", "between 0 and 10"),
        ("NaN", "between 0 and 10"),
        ("Infinity", "between 0 and 10"),
        ("bảy", "not a number"),
        ("", "not a number"),
    ]:
        with pytest.raises(ValueError, match=message):
            score(bad)
    with pytest.raises(ValueError, match=r"continuous\[1\]"):
        semester_average(["7", "7.05"], 8, 8)


SIX_HIGH = ["8.0"] * 6


@pytest.mark.parametrize(
    "scored, comments, level",
    [
        (SIX_HIGH + ["6.5", "7.0"], [PASSED] * 4, "Tốt"),
        (SIX_HIGH + ["6.4"], [PASSED] * 4, "Khá"),  # one scored subject below 6.5
        (["8.0"] * 5 + ["7.9", "7.0"], [PASSED] * 4, "Khá"),  # only five at 8.0 or more
        (SIX_HIGH, [PASSED, FAILED], "Đạt"),  # a comment subject Chưa đạt: at most Đạt
        (["6.5"] * 6 + ["4.9"], [PASSED] * 4, "Đạt"),  # one below 5.0
        (["6.5"] * 5 + ["5.0", "3.5"], [PASSED], "Đạt"),  # 3.5 is not below 3.5
        (["6.5"] * 6 + ["3.4"], [PASSED] * 4, "Chưa đạt"),  # one below 3.5
        (["5.0"] * 5 + ["4.9", "9"], [PASSED] * 4, "Đạt"),  # six at 5.0 or more
        (["5.0"] * 5 + ["4.9", "4.9"], [PASSED] * 4, "Chưa đạt"),  # five at 5.0 or more
        (SIX_HIGH, [FAILED, FAILED], "Chưa đạt"),  # two comment subjects Chưa đạt
        (["9"] * 5, [PASSED] * 4, "Chưa đạt"),  # fewer scored subjects than the six needed
    ],
)
def test_result_levels_follow_the_circular_at_their_boundaries(scored, comments, level):
    assert result_level(scored, comments) == level


def test_the_levels_thresholds_are_a_policy():
    five = Policy(subjects_needed=5)
    assert result_level(["9"] * 5, [PASSED], five) == "Tốt"
    assert result_level(["9"] * 5, [PASSED], CIRCULAR_22) == "Chưa đạt"
    lenient = Policy(comment_failures_allowed=2)
    assert result_level(SIX_HIGH, [FAILED, FAILED], lenient) == "Đạt"
    with pytest.raises(ValueError, match="subjects_needed"):
        Policy(subjects_needed=-1)
    with pytest.raises(TypeError, match="pass_mark"):
        Policy(pass_mark=5.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"comment_results\[1\]"):
        result_level(SIX_HIGH, [PASSED, "Dat"])


def test_retakes_are_scored_subjects_below_five_and_comment_subjects_not_passed():
    averages = {"Toán": "4.9", "Ngữ văn": "5.0", "Tiếng Anh": "3.2", "Lịch sử": "7.1"}
    comments = {"Giáo dục thể chất": FAILED, "Nghệ thuật": PASSED}
    assert retake_subjects(averages, comments) == ["Toán", "Tiếng Anh", "Giáo dục thể chất"]
    assert retake_subjects({"Toán": "5.0"}, {}) == []
    with pytest.raises(ValueError, match="Toán"):
        retake_subjects({"Toán": "4.95"}, {})
    with pytest.raises(ValueError, match=r"comment_results\[0\]"):
        retake_subjects({}, {"Âm nhạc": "đạt"})


# --- primary school (Circular 27) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("subjects", "qualities", "marks", "level"),
    [
        (["Hoàn thành tốt"] * 3, ["Tốt"] * 2, [9, 10], "Hoàn thành xuất sắc"),
        (["Hoàn thành tốt"] * 3, ["Tốt"] * 2, [8, 10], "Hoàn thành tốt"),  # a mark below 9
        (["Hoàn thành tốt", "Hoàn thành"], ["Tốt"], [10], "Hoàn thành"),  # a subject only done
        (["Hoàn thành tốt"] * 2, ["Tốt", "Đạt"], [10], "Hoàn thành"),  # a quality only passed
        (["Hoàn thành"] * 2, ["Đạt"], [5, "6"], "Hoàn thành"),
        (["Hoàn thành"] * 2, ["Đạt"], [4, 9], "Chưa hoàn thành"),  # a mark below 5
        (["Chưa hoàn thành", "Hoàn thành tốt"], ["Tốt"], [10], "Chưa hoàn thành"),
        (["Hoàn thành"], ["Cần cố gắng"], [10], "Chưa hoàn thành"),
    ],
)
def test_a_primary_pupils_year_follows_circular_27(subjects, qualities, marks, level):
    from scoring.grades import primary_year_level

    assert primary_year_level(subjects, qualities, marks) == level


def test_primary_marks_are_whole_and_levels_known_and_the_policy_ordered():
    from scoring.grades import PrimaryPolicy, primary_year_level

    with pytest.raises(ValueError, match="whole mark"):
        primary_year_level(["Hoàn thành"], ["Đạt"], ["7.5"])
    with pytest.raises(TypeError):
        primary_year_level(["Hoàn thành"], ["Đạt"], [7.0])
    with pytest.raises(ValueError):
        primary_year_level(["Giỏi"], ["Đạt"], [7])
    with pytest.raises(ValueError):
        primary_year_level(["Hoàn thành"], ["Khá"], [7])
    with pytest.raises(ValueError):
        PrimaryPolicy(outstanding_from=6, excellent_from=7)
    stricter = PrimaryPolicy(outstanding_from=10, excellent_from=8, done_from=6)
    assert primary_year_level(["Hoàn thành tốt"], ["Tốt"], [9], stricter) == "Hoàn thành tốt"
    assert primary_year_level(["Hoàn thành"], ["Đạt"], [5], stricter) == "Chưa hoàn thành"


@pytest.mark.parametrize(("periods", "count"), [(1, 2), (35, 2), (36, 3), (70, 3), (71, 4), (140, 4)])
def test_continuous_assessments_a_semester_follow_the_periods_a_year(periods, count):
    assert grades.continuous_count(periods) == count


def test_continuous_counts_take_other_thresholds_and_refuse_nonsense():
    assert grades.continuous_count(50, [(50, 5), (None, 6)]) == 5
    assert grades.continuous_count(51, [(50, 5), (None, 6)]) == 6
    for bad in (0, -3, True, 2.5):
        with pytest.raises(ValueError):
            grades.continuous_count(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="catch-all"):
        grades.continuous_count(99, [(50, 5)])


def test_a_comment_subject_passes_with_every_assessment_passed():
    assert grades.comment_subject_result(["Đạt"] * 5, 5) == "Đạt"
    assert grades.comment_subject_result(["Đạt"] * 4, 5) is None  # one still to come
    assert grades.comment_subject_result(["Đạt", "Chưa đạt"], 5) == "Chưa đạt"  # already decided
    assert grades.comment_subject_result(["Đạt"] * 4 + ["Chưa đạt"], 5) == "Chưa đạt"
    with pytest.raises(ValueError):
        grades.comment_subject_result(["Dat"], 1)
