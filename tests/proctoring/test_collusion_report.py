"""The board's collusion report (issue 10, point 9): a finished sitting's pairs ranked by the
answer-similarity test, with seats, addresses and timing beside them; per-candidate outliers;
a job whose result is the report; the board of the sitting's organisation only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

import scoring
from accounts.models import Role, User
from assess import statuses, test_codes
from assess.authoring import form_of_versions
from assess.models import Answer, AnswerEvent, Attempt, FormItem, Sitting
from itembank.models import Subject
from jobs.models import Job
from proctoring import collusion_report, services
from proctoring.models import Refusal
from tests.factories import (
    logged_in_client,
    make_assessment,
    make_school,
    make_user,
    make_versions,
    post_job,
    schedule,
)

pytestmark = pytest.mark.django_db

LETTERS = "ABCD"


@dataclass
class Exam:
    sitting: Sitting
    board: User
    attempts: list[Attempt]  # in the order of the simulated rows
    keys: list[str]  # each master item's key (its version's option id), in master order
    versions: list[int]


def exam(*, n_students: int = 40, n_items: int = 40, codes: int = 2, rooms: int = 2, seed: int = 11) -> Exam:
    """A sitting over ``rooms`` labs of 4 x 5 seats, ``codes`` test codes dealt by the placement
    (neighbours get different codes, so a copier's options are shuffled unlike their source's)."""
    school = make_school()
    board = make_user(Role.BOARD, school.parent)
    teacher = make_user(Role.TEACHER, school)
    subject, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    versions = make_versions(teacher, subject, n_items, reviewer=board)
    assessment = make_assessment(organisation=school, subject=subject, created_by=board)
    form = form_of_versions(by=board, assessment=assessment, code="000", item_versions=versions)
    if codes:
        test_codes.codes_generate(by=board, form_id=form.pk, count=codes, first="101", seed=seed)
    students = [
        make_user(Role.STUDENT, school, last_name="Nguyễn", first_name=f"An {i:02d}") for i in range(n_students)
    ]
    sitting = schedule(by=board, form=form, students=students)
    if rooms:
        labs = [
            services.room_save(
                by=board, organisation_id=school.pk, spec=services.RoomSpec(name=f"Phòng {k + 1}", rows=4, columns=5)
            )
            for k in range(rooms)
        ]
        services.sitting_place(
            by=board, sitting_id=sitting.pk, plan=[services.RoomPlan(room_id=lab.pk) for lab in labs], seed=seed
        )
    attempts = list(Attempt.objects.filter(sitting=sitting).select_related("seat").order_by("pk"))
    return Exam(sitting, board, attempts, [v.content["key"] for v in versions], [v.pk for v in versions])


def hand_in(exam: Exam, choices: np.ndarray, *, start=None, seconds_apart: float = 60.0) -> None:
    """Write ``choices`` (rows: ``exam.attempts``; columns: master items; option index in the
    version's authored order, NaN unanswered) as handed-in answers.

    Raw rows, not the answer path: 1,600 answers through ``attempt_apply`` would make these
    tests slow, and that path is the delivery tests' subject. Each answer is saved once (its
    history event carries its time), every ``seconds_apart`` in the order of the attempt's form.
    """
    start = start or timezone.now() - timedelta(hours=1)
    column = {version: k for k, version in enumerate(exam.versions)}
    form_items = FormItem.objects.filter(form_id__in={a.form_id for a in exam.attempts}).order_by("form_id", "position")
    by_form: dict[int, list[FormItem]] = {}
    for form_item in form_items:
        by_form.setdefault(form_item.form_id, []).append(form_item)
    answers, events = [], []
    for row, attempt in enumerate(exam.attempts):
        seq = 0
        for form_item in by_form[attempt.form_id]:
            choice = choices[row, column[form_item.item_version_id]]
            if np.isnan(choice):
                continue
            seq += 1
            value = LETTERS[int(choice)]
            at = start + timedelta(seconds=seconds_apart * form_item.position)
            answers.append(Answer(attempt=attempt, form_item=form_item, value=value, value_seq=seq))
            events.append(
                AnswerEvent(attempt=attempt, seq=seq, form_item=form_item, kind="answer", value=value, received_at=at)
            )
    Answer.objects.bulk_create(answers)
    AnswerEvent.objects.bulk_create(events)
    Attempt.objects.filter(pk__in=[a.pk for a in exam.attempts]).update(
        status=statuses.SUBMITTED, started_at=start, submitted_at=start + timedelta(minutes=42)
    )


def independent(exam: Exam, seed: int) -> np.ndarray:
    """Independent work on the bank's parameters, keyed as the versions are."""
    rng = np.random.default_rng(seed)
    versions = sorted(exam.sitting.form.form_items.select_related("item_version"), key=lambda fi: fi.position)
    items = scoring.ItemParams(
        a=np.array([fi.item_version.irt_a for fi in versions]), b=np.array([fi.item_version.irt_b for fi in versions])
    )
    choices, keys = scoring.simulate_choices(items, len(exam.attempts), rng)
    # Turn the simulated options so that the simulated key falls on the version's key.
    shift = np.array([LETTERS.index(key) for key in exam.keys]) - keys
    return (choices + shift[None, :]) % 4


def neighbours(exam: Exam) -> tuple[int, int]:
    """Two rows seated side by side in the same room."""
    for i, a in enumerate(exam.attempts):
        for j, b in enumerate(exam.attempts):
            if (
                i < j
                and a.room_id == b.room_id
                and a.seat.row == b.seat.row
                and abs(a.seat.column - b.seat.column) == 1
            ):
                return i, j
    raise AssertionError("no neighbours")


def build(exam: Exam, alpha: float = collusion_report.DEFAULT_ALPHA) -> dict:
    return collusion_report.collusion_report_build(by=exam.board, sitting_id=exam.sitting.pk, alpha=alpha)


def test_two_neighbours_copying_rank_first_with_a_tiny_pvalue_and_their_seats():
    setting = exam()
    choices = independent(setting, seed=3)
    source, copier = neighbours(setting)
    assert setting.attempts[source].form_id != setting.attempts[copier].form_id  # other code, options shuffled
    copied = np.random.default_rng(5).choice(choices.shape[1], 34, replace=False)
    choices[copier, copied] = choices[source, copied]
    hand_in(setting, choices)
    report = build(setting)
    top = report["pairs"][0]
    assert {top["first"], top["second"]} == {setting.attempts[source].pk, setting.attempts[copier].pk}
    assert top["pvalue"] < 1e-5 and top["flagged"] and top["adjacency"] == collusion_report.ORTHOGONAL
    assert top["same_room"] and not top["same_code"] and top["family"] == "room"
    assert top["matches"] >= 34 and top["identical_wrong"] >= 1
    # Answered in their own forms' orders, a minute apart: the identical answers were not saved together.
    assert top["close_in_time"] < top["matches"]
    assert report["flagged"] == 1  # nobody else
    assert report["item_parameters"] == "bank"
    assert report["candidates_analysed"] == 40 and report["items"] == 40
    assert report["pairs_within"] == 2 * (20 * 19 // 2)
    # Nothing about anyone changed: evidence, never a penalty.
    assert set(Attempt.objects.filter(sitting=setting.sitting).values_list("status", flat=True)) == {statuses.SUBMITTED}


def test_independent_work_flags_nothing_at_the_default_level():
    setting = exam(seed=23)
    hand_in(setting, independent(setting, seed=29))
    report = build(setting)
    assert report["flagged"] == 0
    assert not any(pair["flagged"] for pair in report["pairs"])
    assert len(report["pairs"]) >= collusion_report.SHOWN_PAIRS  # the most alike are still listed
    pvalues = [pair["pvalue"] for pair in report["pairs"]]
    assert pvalues == sorted(pvalues)


def test_a_copier_on_another_code_is_found_only_through_the_versions_own_options():
    """Read as the letters each code shows, the copier's answers would not match at all: the
    report maps every code's item and option back to the version's."""
    setting = exam(rooms=0, seed=31)
    choices = independent(setting, seed=37)
    by_code: dict[int, list[int]] = {}
    for row, attempt in enumerate(setting.attempts):
        by_code.setdefault(attempt.form_id, []).append(row)
    (first, *_), (second, *_) = by_code.values()
    choices[second] = choices[first]
    choices[second, :3] = (choices[first, :3] + 1) % 4
    hand_in(setting, choices)
    # No rooms, no classes: the pair can only come from the search across the sitting.
    report = build(setting)
    top = report["pairs"][0]
    assert {top["first"], top["second"]} == {setting.attempts[first].pk, setting.attempts[second].pk}
    assert top["family"] == "sitting" and top["flagged"] and top["adjacency"] is None
    assert report["pairs_within"] == 0 and report["pairs_across_family"] == 40 * 39 // 2
    assert top["adjusted_pvalue"] == pytest.approx(min(1.0, top["pvalue"] * 780), rel=0.01)


def test_shared_addresses_and_answers_saved_together_are_reported():
    setting = exam(seed=41)
    choices = independent(setting, seed=43)
    source, copier = neighbours(setting)
    choices[copier] = choices[source]
    hand_in(setting, choices, seconds_apart=0)  # every answer saved at once: all close in time
    for row in (source, copier):
        Refusal.objects.create(attempt=setting.attempts[row], code="wrong_network", address="10.0.0.7")
    top = build(setting)["pairs"][0]
    assert top["shared_addresses"] == ["10.0.0.7"]
    assert top["close_in_time"] == top["matches"] == 40


def test_the_report_reads_the_sitting_in_a_few_queries(django_assert_max_num_queries):
    setting = exam(n_students=12, n_items=10, rooms=1, seed=47)
    hand_in(setting, independent(setting, seed=53))
    setting.board = User.objects.get(pk=setting.board.pk)
    with django_assert_max_num_queries(11):  # whatever the number of candidates and items
        build(setting)


def test_an_unfinished_sitting_is_refused():
    setting = exam(n_students=4, n_items=5, rooms=1)
    Attempt.objects.filter(pk=setting.attempts[0].pk).update(status=statuses.IN_PROGRESS)
    with pytest.raises(ValidationError) as refused:
        build(setting)
    assert refused.value.message_dict["sitting"]  # said in the person's language (Vietnamese here)
    response = logged_in_client(setting.board).post(
        f"/api/sittings/{setting.sitting.pk}/collusion/", {}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"]["fields"]["sitting"]
    assert not Job.objects.filter(kind=collusion_report.KIND).exists()


def test_the_api_runs_the_job_keeps_the_report_and_paginates():
    setting = exam(seed=59)
    choices = independent(setting, seed=61)
    source, copier = neighbours(setting)
    choices[copier, :34] = choices[source, :34]
    hand_in(setting, choices)
    client = logged_in_client(setting.board)
    path = f"/api/sittings/{setting.sitting.pk}/collusion/"
    assert client.get(path).json()["job"] is None
    code, job = post_job(client, path, {"alpha": 0.001}, content_type="application/json")
    assert code == 202 and job["status"] == "succeeded", job
    first = client.get(path + "?limit=10").json()
    assert first["count"] >= collusion_report.SHOWN_PAIRS and len(first["results"]) == 10
    assert first["next"] and first["previous"] is None
    assert first["results"][0]["first"]["learner_id"] and first["results"][0]["second"]["seat"]
    assert first["report"]["flagged"] == 1 and first["job"]["status"] == "succeeded"
    second = client.get(path + "?limit=10&offset=10").json()
    assert [p["rank"] for p in second["results"]] == list(range(11, 21))
    flagged = client.get(path + "?flagged=true").json()
    assert flagged["count"] == 1 and flagged["results"][0]["adjacency"] == "orthogonal"
    room = setting.attempts[source].room_id
    in_room = client.get(path + f"?room={room}").json()["results"]
    assert in_room and all(room in (p["first"]["room_id"], p["second"]["room_id"]) for p in in_room)
    # Reading again computes nothing: the job's result is the report.
    jobs = Job.objects.filter(kind=collusion_report.KIND).count()
    assert client.get(path).json()["report"]["computed_at"] == first["report"]["computed_at"]
    assert Job.objects.filter(kind=collusion_report.KIND).count() == jobs == 1
    # Another board member of the same organisation reads the same report.
    colleague = make_user(Role.BOARD, setting.board.organisation)
    assert logged_in_client(colleague).get(path).json()["report"]["computed_at"] == first["report"]["computed_at"]
    assert client.post(path, {"alpha": 0.5}, content_type="application/json").status_code == 400


@pytest.mark.parametrize("role", [Role.TEACHER, Role.STUDENT, Role.PROCTOR, Role.SCHOOL_ADMIN])
def test_other_roles_are_refused(role):
    setting = exam(n_students=4, n_items=5, rooms=1)
    school = setting.attempts[0].student.organisation
    client = logged_in_client(make_user(role, school))
    path = f"/api/sittings/{setting.sitting.pk}/collusion/"
    assert client.get(path).status_code == 403
    assert client.post(path, {}, content_type="application/json").status_code == 403


def test_another_organisations_board_does_not_see_the_sitting():
    setting = exam(n_students=4, n_items=5, rooms=1)
    stranger = make_user(Role.BOARD, make_school().parent)
    client = logged_in_client(stranger)
    path = f"/api/sittings/{setting.sitting.pk}/collusion/"
    assert client.get(path).status_code == 404
    assert client.post(path, {}, content_type="application/json").status_code == 404
    assert logged_in_client(stranger).get(f"/board/sittings/{setting.sitting.pk}/collusion/").status_code == 404


def test_robust_z_marks_the_far_faster_candidate():
    minutes = np.array([40, 42, 41, 39, 43, 44, 38, 40, 41, 5, np.nan], dtype=float)
    z = collusion_report.robust_z(minutes)
    assert z[9] < collusion_report.SPEED_LIMIT and np.all(np.abs(z[:9]) < 3) and np.isnan(z[10])


def test_adjacency_of_seats():
    def seat(room, row, column):
        return {"room_id": room, "row": row, "column": column}

    assert collusion_report.adjacency(seat(1, 2, 2), seat(1, 2, 3)) == "orthogonal"
    assert collusion_report.adjacency(seat(1, 2, 2), seat(1, 3, 2)) == "orthogonal"
    assert collusion_report.adjacency(seat(1, 2, 2), seat(1, 3, 3)) == "diagonal"
    assert collusion_report.adjacency(seat(1, 2, 2), seat(1, 2, 4)) is None
    assert collusion_report.adjacency(seat(1, 2, 2), seat(2, 2, 3)) is None
    assert collusion_report.adjacency(seat(None, None, None), seat(None, None, None)) is None
