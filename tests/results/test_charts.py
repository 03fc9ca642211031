"""The exam board's charts (issue 11, point 8): the figures of results.chart_data on a small
sitting built through the services, the SVG pictures and pages of frontend.chart_views, the
REST API's charts, who may see them, bad input, and the drill-down's replay in sequence order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pytest
from defusedxml import ElementTree
from django.db import connection
from lxml import html as lxml_html
from scipy import stats

from accounts import services as account_services
from accounts.models import Organisation, Role, SchoolClass, User
from assess import authoring, services
from assess.models import Answer, Assessment, Attempt, FormItem, ItemMark, Result, Sitting
from itembank import content
from itembank.models import Subject
from results import chart_data
from scoring import irt
from tests.assess.test_authoring import World
from tests.assess.test_scoring_runs import exam_sitting
from tests.assess.test_scoring_runs import take as hand_in
from tests.factories import (
    logged_in_client,
    make_assessment,
    make_department,
    make_essay_sitting,
    make_school,
    make_sitting,
    make_user,
    make_versions,
    schedule,
    shown,
    take,
)

pytestmark = pytest.mark.django_db

KEYS = "ABCDA"  # make_versions: the keys of items 1..5
WRONG = {"A": "B", "B": "C", "C": "D", "D": "A"}
SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Built:
    sitting: Sitting
    board: User
    schools: tuple[Organisation, Organisation]
    classes: dict[str, SchoolClass]
    students: list[User]


def answers(right: int) -> dict[int, str]:
    """The first ``right`` items right, the others wrong."""
    return {p: KEYS[p - 1] if p <= right else WRONG[KEYS[p - 1]] for p in range(1, 6)}


def built_sitting() -> Built:
    """A department's sitting of five calibrated single-choice items (1 point each, keys A, B, C,
    D, A) for seven students of two schools: 12A1 (scores 10, 8, 6) and 12A2 (4, 2) of the first
    school, 12B1 (10) of the second and a student of it in no class (0)."""
    department = make_department()
    school_a, school_b = make_school(department), make_school(department)
    board = make_user(Role.BOARD, department)
    admin = make_user(Role.ADMIN, department)
    teacher = make_user(Role.TEACHER, school_a)
    subject, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    versions = make_versions(teacher, subject, 5, reviewer=board)
    assessment = make_assessment(organisation=department, subject=subject, created_by=board)
    form = authoring.form_of_versions(by=board, assessment=assessment, code="101", item_versions=versions)
    students = [make_user(Role.STUDENT, school_a) for _ in range(5)] + [
        make_user(Role.STUDENT, school_b) for _ in range(2)
    ]
    classes = {
        name: account_services.class_create(
            by=admin, school_id=school.pk, school_year=assessment.school_year, name=name, grade=12
        )
        for name, school in (("12A1", school_a), ("12A2", school_a), ("12B1", school_b))
    }
    placed = {0: "12A2", 1: "12A1", 2: "12A1", 3: "12A2", 4: "12A2", 5: "12B1"}
    for index, name in placed.items():
        account_services.class_place_student(by=admin, class_id=classes[name].pk, student_id=students[index].pk)
    # the first student moves to 12A1: their latest class of the year counts
    account_services.class_place_student(by=admin, class_id=classes["12A1"].pk, student_id=students[0].pk)
    sitting = schedule(by=board, form=form, students=students)
    by_student = {a.student_id: a for a in sitting.attempts.all()}
    for student, right in zip(students, (5, 4, 3, 2, 1, 5, 0), strict=True):
        take(by_student[student.pk], answers(right))
    return Built(sitting, board, (school_a, school_b), classes, students)


@pytest.fixture
def built() -> Built:
    return built_sitting()


def svg_root(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "private, max-age=60"
    assert "script-src" not in response["Content-Security-Policy"]
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    return root


def ids(root, prefix: str) -> list[str]:
    return sorted((e.get("id") for e in root.iter() if (e.get("id") or "").startswith(prefix)), key=_natural)


def _natural(name: str):
    head, _, tail = name.rpartition("-")
    return (head, int(tail)) if tail.isdigit() else (name, 0)


def desc(root) -> str:
    return root.find(f"{SVG}desc").text


def english(client):
    client.cookies["django_language"] = "en"
    return client


# --- the figures ------------------------------------------------------------------------------------


def test_the_distribution_counts_the_final_scores_in_half_point_bins(built, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        data = chart_data.distribution(built.sitting)
    scores = np.array([10, 8, 6, 4, 2, 10, 0], dtype=float)
    assert (data["results"], data["pending"], data["n"]) == (7, 0, 7)
    assert data["mean"] == round(scores.mean(), 2) == 5.71
    assert (data["median"], data["min"], data["max"]) == (6.0, 0.0, 10.0)
    assert data["sd"] == round(scores.std(ddof=1), 2)
    assert data["share_from_5"] == round(4 / 7, 4)
    assert len(data["bins"]) == 20 and data["bins"][0] == {"from": 0.0, "to": 0.5, "count": 1}
    counts = {index: b["count"] for index, b in enumerate(data["bins"]) if b["count"]}
    assert counts == {0: 1, 4: 1, 8: 1, 12: 1, 16: 1, 19: 2}  # 10 falls in the last bin, [9.5, 10]


def test_classes_by_the_school_year_s_memberships_the_highest_mean_first(built, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        data = chart_data.class_comparison(built.sitting)
    assert (data["by"], data["n"], data["without_group"]) == ("class", 7, 1)
    assert [(g["name"], g["n"], g["mean"]) for g in data["groups"]] == [
        ("12B1", 1, 10.0),
        ("12A1", 3, 8.0),  # the student who moved from 12A2 counts in 12A1
        ("12A2", 2, 3.0),
    ]
    a1 = data["groups"][1]
    half = stats.t.ppf(0.975, 2) * 2.0 / np.sqrt(3)  # sd of 10, 8, 6 is 2
    assert (a1["ci_low"], a1["ci_high"]) == (round(8 - half, 2), round(8 + half, 2))
    assert (a1["sd"], a1["min"], a1["q1"], a1["median"], a1["q3"], a1["max"]) == (2.0, 6.0, 7.0, 8.0, 9.0, 10.0)
    assert a1["school"] == built.schools[0].name
    assert data["groups"][0]["ci_low"] is None and data["groups"][0]["sd"] is None  # one score: no interval


def test_schools_by_the_students_organisation(built, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        data = chart_data.school_comparison(built.sitting)
    a, b = built.schools
    assert [(g["id"], g["name"], g["n"], g["mean"]) for g in data["groups"]] == [
        (a.pk, a.name, 5, 6.0),
        (b.pk, b.name, 2, 5.0),
    ]
    assert data["without_group"] == 0


def test_item_curves_are_scoring_s_and_the_test_information_adds_the_counted_items(
    built, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1):
        data = chart_data.item_curves(built.sitting)
    versions = [
        fi.item_version for fi in FormItem.objects.filter(form_id=built.sitting.form_id).select_related("item_version")
    ]
    versions.sort(key=lambda v: v.pk)
    assert [row["position"] for row in data["items"]] == [1, 2, 3, 4, 5] and data["uncalibrated"] == []
    theta = np.array(data["theta"])
    assert theta[0] == -4 and theta[-1] == 4 and len(theta) == 81
    params = irt.ItemParams([v.irt_a for v in versions], [v.irt_b for v in versions])
    expected_p = irt.probability(theta, params)
    expected_i = irt.information(theta, params)
    for j, row in enumerate(data["items"]):
        assert (row["a"], row["b"], row["c"]) == (versions[j].irt_a, versions[j].irt_b, 0.0)
        assert np.allclose(row["probability"], expected_p[:, j], atol=1e-4)
        assert np.allclose(row["information"], expected_i[:, j], atol=1e-4)
    total = expected_i.sum(axis=1)
    assert np.allclose(data["test_information"], total, atol=1e-3)
    assert np.allclose(data["standard_error"], 1 / np.sqrt(total), atol=1e-3)
    assert [row["theta"] for row in data["test_information_at"]] == [-3, -2, -1, 0, 1, 2, 3]

    # a dropped item leaves the test information; its curve stays
    FormItem.objects.filter(form_id=built.sitting.form_id, position=5).update(dropped=True)
    dropped = chart_data.item_curves(built.sitting)
    assert np.allclose(dropped["test_information"], expected_i[:, :4].sum(axis=1), atol=1e-3)
    assert dropped["items"][4]["counted"] is False


def test_one_item_s_observed_shares_by_ability_group(built, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        data = chart_data.item_curves(built.sitting, 3)
    assert data["selected"] == 3
    results = Result.objects.filter(attempt__sitting=built.sitting, theta__isnull=False)
    thetas = sorted(r.theta for r in results)
    assert sum(row["n"] for row in data["empirical"]) == len(thetas) == 7
    assert len(data["empirical"]) == 1  # 7 candidates: one group of at least 5
    # item 3 is right for the candidates with 3, 4 or 5 right: 10, 8, 6 and 10 (four of seven)
    assert data["empirical"][0]["proportion"] == round(4 / 7, 4)
    assert data["empirical"][0]["theta"] == round(float(np.mean(thetas)), 3)
    version = FormItem.objects.get(form_id=built.sitting.form_id, position=3).item_version
    expected = irt.probability([np.mean(thetas)], irt.ItemParams([version.irt_a], [version.irt_b]))[0, 0]
    assert data["empirical"][0]["expected"] == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("position", [0, 6, 99])
def test_an_item_that_is_not_calibrated_on_the_form_is_refused(built, position):
    with pytest.raises(chart_data.UnknownItem):
        chart_data.item_curves(built.sitting, position)


def test_an_item_without_parameters_has_no_curve():
    sitting = make_sitting(n_items=3, n_students=1, irt=False)
    data = chart_data.item_curves(sitting)
    assert data["items"] == [] and data["uncalibrated"] == [1, 2, 3] and data["test_information"] == []
    with pytest.raises(chart_data.UnknownItem):
        chart_data.item_curves(sitting, 1)


def test_results_awaiting_a_marker_stay_out_of_every_figure():
    sitting = make_essay_sitting(n_students=3)  # items 1-3 keyed A, B, C (1 point), essay 4 (2 points)
    first, second, third = sitting.attempts.order_by("pk")
    take(first, {1: "A", 2: "B", 3: "C", 4: "Bài làm."})  # scored at once: awaits a marker
    hand_in(second, {1: "A", 2: "B", 3: "C", 4: "Bài làm."})
    hand_in(third, {1: "A", 2: "B", 4: "Bài làm khác."})
    board = User.objects.get(pk=sitting.created_by_id)
    essay = FormItem.objects.get(form_id=third.form_id, position=4)
    for attempt, points in ((second, "0"), (third, "2")):  # marked before scoring: final
        ItemMark.objects.create(attempt=attempt, form_item=essay, points=Decimal(points))
        services.attempt_score(attempt_id=attempt.pk)
    assert [r.pending_items for r in Result.objects.filter(attempt__sitting=sitting).order_by("attempt_id")] == [
        1,
        0,
        0,
    ]
    distribution = chart_data.distribution(sitting)
    assert (distribution["results"], distribution["pending"], distribution["n"]) == (3, 1, 2)
    assert distribution["mean"] == 7.0  # 6.0 and 8.0; not the pending 6.0 counted as final
    schools = chart_data.school_comparison(sitting)
    assert schools["n"] == 2 and schools["groups"][0]["n"] == 2
    page = logged_in_client(board).get(f"/board/sittings/{sitting.pk}/charts/")
    assert (
        b"1 result awaiting its marks is left out."
        in english(logged_in_client(board)).get(f"/board/sittings/{sitting.pk}/charts/").content
    )
    assert page.status_code == 200


def test_attempts_not_yet_scored_are_left_out():
    sitting = make_sitting(n_items=5, n_students=2)
    first, second = sitting.attempts.order_by("pk")
    take(first, answers(5))
    Attempt.objects.filter(pk=second.pk).update(status="in_progress")
    assert chart_data.distribution(sitting)["n"] == 1


# --- one candidate ------------------------------------------------------------------------------------


def test_the_drill_down_replays_in_sequence_order_whatever_the_order_of_arrival(django_assert_max_num_queries):
    """Seq 2 arrives before seq 1 (a replay after a reconnection): the stored answer is seq 2's,
    and so is the replay's last state; the replay lists seq 1 first."""
    sitting = make_sitting(n_items=3, n_students=1)
    attempt = sitting.attempts.get()
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    record = services.attempt_record_answer
    record(attempt_id=attempt.pk, token=token, seq=2, item=1, value=shown(attempt, 1, "B"))
    record(attempt_id=attempt.pk, token=token, seq=1, item=1, value=shown(attempt, 1, "A"))
    record(attempt_id=attempt.pk, token=token, seq=3, item=2, value=shown(attempt, 2, "B"))
    services.attempt_set_flag(attempt_id=attempt.pk, token=token, seq=4, item=3, flagged=True)
    record(attempt_id=attempt.pk, token=token, seq=5, item=2, value=None)
    services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    services.attempt_score(attempt_id=attempt.pk)

    with django_assert_max_num_queries(5):
        data = chart_data.candidate(sitting, attempt.pk)
    assert [(e["seq"], e["position"], e["kind"], e["text"], e["flagged"]) for e in data["events"]] == [
        (1, 1, "answer", "A", None),
        (2, 1, "answer", "B", None),
        (3, 2, "answer", "B", None),
        (4, 3, "flag", "", True),
        (5, 2, "answer", "", None),
    ]
    arrivals = [e["at"] for e in data["events"]]
    assert arrivals[1] < arrivals[0]  # seq 2 came first
    stored = Answer.objects.get(attempt=attempt, form_item__position=1)
    assert stored.value == "B" and stored.value_seq == 2
    replayed: dict[int, str] = {}
    for event in data["events"]:
        if event["kind"] == "answer":
            replayed[event["position"]] = event["text"]
    assert replayed[1] == "B" == [i for i in data["items"] if i["position"] == 1][0]["answer"]
    items = {i["position"]: i for i in data["items"]}
    assert (items[1]["answer"], items[1]["key"], items[1]["status"], items[1]["score"]) == ("B", "A", "wrong", "0.00")
    assert (items[2]["answer"], items[2]["status"], items[3]["flagged"]) == ("", "unanswered", True)
    assert data["result"]["score_10"] == "0.0" and data["result"]["number_correct"] == 0
    assert data["submitted_minutes"] is not None and all(e["minutes"] >= 0 for e in data["events"])


def test_a_test_code_s_answers_and_keys_are_in_its_letters(world):
    """On a test code the options are shuffled: the candidate's answer and the key are written in
    the letters the candidate saw, and a correct answer reads as the key."""
    sitting = exam_sitting(world, n_students=6, codes=2)
    run_scores(sitting, world)
    moved = 0
    for attempt in sitting.attempts.exclude(status="scheduled").select_related("form"):
        data = chart_data.candidate(sitting, attempt.pk)
        by_position = {
            fi.position: fi
            for fi in FormItem.objects.filter(form_id=attempt.form_id).select_related("item_version__item")
        }
        for item in data["items"]:
            fi = by_position[item["position"]]
            version = fi.item_version
            assert item["key"] == content.arranged_key(
                version.item.item_type, version.content, fi.arrangement, seed=version.pk
            )
            if item["status"] == "correct" and item["item_type"] == "single_choice":
                assert item["answer"] == item["key"]
            if item["item_type"] == "single_choice" and item["key"] != version.content["key"]:
                moved += 1
            if item["item_type"] == "essay" and item["answer"]:
                assert item["answer"].startswith("Bài làm của thí sinh")
                assert item["status"] == "pending" and item["score"] is None
    assert moved  # the codes shuffled some keys away from the versions' letters


def run_scores(sitting: Sitting, world: World) -> None:
    from django.test.testcases import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        from assess import scoring_runs

        scoring_runs.sitting_score_start(by=world.board, sitting_id=sitting.pk)


@pytest.fixture
def world() -> World:
    return World()


def test_a_moderated_key_is_the_key_shown(built):
    attempt = built.sitting.attempts.order_by("pk").first()
    FormItem.objects.filter(form_id=built.sitting.form_id, position=1).update(key_override={"key": "C"})
    item = chart_data.candidate(built.sitting, attempt.pk)["items"][0]
    assert item["key"] == "C"


def test_an_attempt_of_another_sitting_is_not_found(built):
    other = make_sitting(n_students=1).attempts.get()
    with pytest.raises(Attempt.DoesNotExist):
        chart_data.candidate(built.sitting, other.pk)


# --- the pictures ----------------------------------------------------------------------------------------


def test_the_distribution_picture_has_a_bar_per_bin_and_the_figures_in_words(built):
    client = logged_in_client(built.board)
    root = svg_root(client.get(f"/board/sittings/{built.sitting.pk}/charts/distribution.svg"))
    assert ids(root, "bar-") == [f"bar-{i}" for i in range(20)]
    assert ids(root, "mean") == ["mean"] and ids(root, "median") == ["median"]
    assert root.find(f"{SVG}title").text == "Phổ điểm"
    assert "5,71" in desc(root) and "5.71" not in desc(root)  # Vietnamese: a decimal comma
    assert not list(root.iter(f"{SVG}text"))  # drawn as DejaVu Sans outlines, the same everywhere
    response = english(client).get(f"/board/sittings/{built.sitting.pk}/charts/distribution.svg")
    assert "mean 5.71" in desc(svg_root(response)) and b"DejaVuSans" in response.content


def test_the_class_and_school_pictures_label_each_group(built):
    client = english(logged_in_client(built.board))
    root = svg_root(client.get(f"/board/sittings/{built.sitting.pk}/charts/classes.svg"))
    assert ids(root, "group-") == ["group-0", "group-1", "group-2"]
    words = desc(root)
    school_a, school_b = (school.name for school in built.schools)
    # classes of several schools are named with their school, the highest mean first
    assert words.index(f"12B1 · {school_b}: n = 1") < words.index(f"12A1 · {school_a}: n = 3") < words.index("12A2")
    assert ids(root, "overall-mean") == ["overall-mean"]
    raw = client.get(f"/board/sittings/{built.sitting.pk}/charts/classes.svg").content.decode()
    assert f"<!-- 12A1 · {school_a} -->" in raw  # each drawn text's words, before its outline
    root = svg_root(client.get(f"/board/sittings/{built.sitting.pk}/charts/schools.svg"))
    assert ids(root, "group-") == ["group-0", "group-1"]
    assert desc(root).index(school_a) < desc(root).index(school_b)


def test_the_item_pictures(built):
    client = english(logged_in_client(built.board))
    base = f"/board/sittings/{built.sitting.pk}/charts"
    root = svg_root(client.get(f"{base}/icc.svg"))
    assert ids(root, "curve-") == [f"curve-{i}" for i in range(5)] and not ids(root, "empirical")
    root = svg_root(client.get(f"{base}/icc.svg?item=2"))
    assert ids(root, "empirical") == ["empirical"]
    assert root.find(f"{SVG}title").text == "Item characteristic curve of item 2"
    root = svg_root(client.get(f"{base}/information.svg"))
    assert ids(root, "information-") == [f"information-{i}" for i in range(5)]
    assert ids(root, "test-information") == ["test-information"] and ids(root, "standard-error") == ["standard-error"]


@pytest.mark.parametrize(
    "path",
    [
        "charts/nothing.svg",
        "charts/icc.svg?item=9",
        "charts/icc.svg?item=0",
        "charts/information.svg?item=x",
        "charts/icc.svg?item=-1",
        "charts/items/?item=6",
        "charts/items/?item=2.5",
        "charts/items/?item=²",
        "charts/icc.svg?item=1234567",
        "candidates/999999/",
        "candidates/999999/timeline.svg",
        "charts/distribution.svg?size=huge",
        "charts/distribution.svg?lang=fr",
    ],
)
def test_bad_chart_names_items_and_candidates_are_not_found(built, path):
    response = logged_in_client(built.board).get(f"/board/sittings/{built.sitting.pk}/{path}")
    assert response.status_code == 404


def test_a_phone_gets_a_narrower_picture_with_the_same_figures(built):
    client = logged_in_client(built.board)
    for name in ("distribution", "classes", "schools", "icc", "information"):
        wide = svg_root(client.get(f"/board/sittings/{built.sitting.pk}/charts/{name}.svg"))
        narrow = svg_root(client.get(f"/board/sittings/{built.sitting.pk}/charts/{name}.svg?size=narrow"))
        assert (wide.get("width"), narrow.get("width")) == ("576pt", "259.2pt")
        assert desc(narrow) == desc(wide)
    attempt = built.sitting.attempts.order_by("pk").first()
    narrow = svg_root(
        client.get(f"/board/sittings/{built.sitting.pk}/candidates/{attempt.pk}/timeline.svg?size=narrow")
    )
    assert narrow.get("width") == "259.2pt"


def test_the_address_names_the_language_the_picture_is_drawn_in(built):
    """A browser keeps a picture by its address: ?lang= draws it in that language, whatever the
    cookie says, so a change of language never shows a picture kept from the other one."""
    client = logged_in_client(built.board)  # Vietnamese by the cookie
    base = f"/board/sittings/{built.sitting.pk}/charts/distribution.svg"
    assert "5.71" in desc(svg_root(client.get(f"{base}?lang=en")))
    assert "5,71" in desc(svg_root(english(client).get(f"{base}?lang=vi")))
    assert "5.71" in desc(svg_root(client.get(f"{base}?lang=en&size=narrow")))


def test_the_timeline_marks_every_change(built):
    attempt = built.sitting.attempts.order_by("pk").first()
    client = english(logged_in_client(built.board))
    root = svg_root(client.get(f"/board/sittings/{built.sitting.pk}/candidates/{attempt.pk}/timeline.svg"))
    assert ids(root, "events-") == ["events-answered"] and ids(root, "submitted") == ["submitted"]
    assert desc(root).startswith("Changes of the answers in time. 5 changes of the answers over 0.")


def test_a_text_typed_with_dollars_is_drawn_as_it_is(built):
    """A class named with a "$" would start a formula for matplotlib: it is escaped."""
    SchoolClass.objects.filter(pk=built.classes["12A1"].pk).update(name="12A1 $x^2$ $")
    root = svg_root(logged_in_client(built.board).get(f"/board/sittings/{built.sitting.pk}/charts/classes.svg"))
    assert "12A1 $x^2$ $" in desc(root)


# --- the pages ------------------------------------------------------------------------------------------


def tree(response):
    assert response.status_code == 200
    return lxml_html.fromstring(response.content.decode())


def test_the_charts_page_has_every_chart_with_its_figures(built):
    page = tree(english(logged_in_client(built.board)).get(f"/board/sittings/{built.sitting.pk}/charts/"))
    images = page.xpath("//img[@data-testid='chart-image']")
    assert [img.get("src") for img in images] == [
        f"/board/sittings/{built.sitting.pk}/charts/{name}.svg?lang=en"
        for name in ("distribution", "classes", "schools")
    ]
    assert [source.get("srcset") for source in page.xpath("//picture/source")] == [
        f"/board/sittings/{built.sitting.pk}/charts/{name}.svg?lang=en&size=narrow"
        for name in ("distribution", "classes", "schools")
    ]
    assert {source.get("media") for source in page.xpath("//picture/source")} == {"(max-width: 40rem)"}
    assert all(len(img.get("alt")) > 40 for img in images)
    assert "mean 5.71" in images[0].get("alt")
    assert len(page.xpath("//table[@data-testid='distribution-table']/tbody/tr")) == 20
    rows = page.xpath("//table[@data-testid='classes-table']/tbody/tr")
    assert [row.xpath("string(th)").split(" · ")[0] for row in rows] == ["12B1", "12A1", "12A2"]
    assert "8.00" in rows[1].text_content()
    assert "1 score of a student in no class that school year is left out." in page.text_content()
    assert len(page.xpath("//table[@data-testid='schools-table']/tbody/tr")) == 2


def test_the_charts_page_in_vietnamese_writes_decimal_commas(built):
    page = tree(logged_in_client(built.board).get(f"/board/sittings/{built.sitting.pk}/charts/"))
    rows = page.xpath("//table[@data-testid='classes-table']/tbody/tr")
    assert "8,00" in rows[1].text_content()


def test_the_item_curves_page(built):
    client = logged_in_client(built.board)
    page = tree(client.get(f"/board/sittings/{built.sitting.pk}/charts/items/"))
    assert len(page.xpath("//table[@data-testid='parameters-table']/tbody/tr")) == 5
    assert [o.get("value") for o in page.xpath("//select[@name='item']/option")] == ["", "1", "2", "3", "4", "5"]
    assert [img.get("src") for img in page.xpath("//img[@data-testid='chart-image']")] == [
        f"/board/sittings/{built.sitting.pk}/charts/icc.svg?lang=vi",
        f"/board/sittings/{built.sitting.pk}/charts/information.svg?lang=vi",
    ]
    assert len(page.xpath("//table[@data-testid='information-table']/tbody/tr")) == 7
    page = tree(client.get(f"/board/sittings/{built.sitting.pk}/charts/items/?item=4"))
    assert page.xpath("//img[@data-testid='chart-image']")[0].get("src").endswith("/charts/icc.svg?item=4&lang=vi")
    assert page.xpath("//picture/source")[0].get("srcset").endswith("/charts/icc.svg?item=4&lang=vi&size=narrow")
    assert page.xpath("//select[@name='item']/option[@selected]")[0].get("value") == "4"
    assert len(page.xpath("//table[@data-testid='empirical-table']/tbody/tr")) == 1


def test_the_candidate_page_shows_answers_keys_scores_and_the_replay_data(built):
    attempt = built.sitting.attempts.get(student=built.students[1])  # 4 of 5 right: item 5 wrong
    page = tree(logged_in_client(built.board).get(f"/board/sittings/{built.sitting.pk}/candidates/{attempt.pk}/"))
    rows = page.xpath("//table[@data-testid='candidate-items']/tbody/tr")
    assert [
        (r.xpath("string(.//td[@data-testid='answer'])"), r.xpath("string(.//td[@data-testid='key'])")) for r in rows
    ] == [
        ("A", "A"),
        ("B", "B"),
        ("C", "C"),
        ("D", "D"),
        ("B", "A"),
    ]
    assert page.xpath("string(//dd[@data-testid='candidate-score'])") == "8,0"
    replay = json.loads(page.xpath("//script[@id='replay-data']")[0].text)
    assert [e["seq"] for e in replay["events"]] == [1, 2, 3, 4, 5] and replay["items"] == [1, 2, 3, 4, 5]
    assert set(replay["events"][0]) == {"seq", "position", "kind", "text", "flagged", "clock"}
    assert page.xpath("//input[@data-testid='replay-slider']")[0].get("max") == "5"
    assert page.xpath("//script[contains(@src, 'frontend/board_replay.js')]")
    assert (
        page.xpath("//img[@data-testid='chart-image']")[0]
        .get("src")
        .endswith(f"/candidates/{attempt.pk}/timeline.svg?lang=vi")
    )


def test_the_sitting_page_shows_the_charts_and_links_each_candidate(built):
    page = tree(logged_in_client(built.board).get(f"/board/sittings/{built.sitting.pk}/"))
    base = f"/board/sittings/{built.sitting.pk}"
    assert [img.get("src") for img in page.xpath("//section[@data-testid='charts']//img")] == [
        f"{base}/charts/distribution.svg?lang=vi",
        f"{base}/charts/classes.svg?lang=vi",
    ]
    assert all(img.get("alt") for img in page.xpath("//section[@data-testid='charts']//img"))
    assert page.xpath("//a[@data-testid='charts-link']")[0].get("href") == f"{base}/charts/"
    assert page.xpath("//a[@data-testid='item-curves-link']")[0].get("href") == f"{base}/charts/items/"
    links = {a.get("href") for a in page.xpath("//a[@data-testid='candidate-link']")}
    assert links == {f"{base}/candidates/{a.pk}/" for a in built.sitting.attempts.all()}


# --- who may see them ------------------------------------------------------------------------------------

PAGES = [
    "charts/",
    "charts/items/",
    "charts/items/?item=2",
    "charts/distribution.svg",
    "charts/classes.svg",
    "charts/schools.svg",
    "charts/icc.svg",
    "charts/information.svg?item=1",
    "candidates/{attempt}/",
    "candidates/{attempt}/timeline.svg",
]
APIS = ["distribution/", "classes/", "schools/", "items/", "items/?item=1", "candidates/{attempt}/"]


def _paths(built: Built):
    attempt = built.sitting.attempts.order_by("pk").first().pk
    pages = [f"/board/sittings/{built.sitting.pk}/{p.format(attempt=attempt)}" for p in PAGES]
    apis = [f"/api/sittings/{built.sitting.pk}/charts/{p.format(attempt=attempt)}" for p in APIS]
    return pages, apis


def test_the_board_opens_every_chart(built):
    client = logged_in_client(built.board)
    pages, apis = _paths(built)
    assert {path: client.get(path).status_code for path in pages + apis} == {path: 200 for path in pages + apis}


def test_a_student_gets_403_everywhere_even_their_own_attempt(built):
    student = built.students[0]
    client = logged_in_client(student)
    own = built.sitting.attempts.get(student=student).pk
    pages, apis = _paths(built)
    pages += [f"/board/sittings/{built.sitting.pk}/candidates/{own}/"]
    apis += [f"/api/sittings/{built.sitting.pk}/charts/candidates/{own}/"]
    assert {path: client.get(path).status_code for path in pages + apis} == {path: 403 for path in pages + apis}


def test_a_board_of_another_organisation_finds_nothing(built):
    client = logged_in_client(make_user(Role.BOARD, make_department()))
    pages, apis = _paths(built)
    assert {path: client.get(path).status_code for path in pages + apis} == {path: 404 for path in pages + apis}


def test_anonymous_visitors_are_sent_to_log_in(built):
    pages, apis = _paths(built)
    from django.test import Client

    client = Client()
    assert all(client.get(path).status_code == 302 for path in pages)
    assert all(client.get(path).status_code == 401 for path in apis)


def test_a_teacher_sees_the_charts_of_their_assignments_only(built):
    teacher = make_user(Role.TEACHER, built.schools[0])
    client = logged_in_client(teacher)
    pages, apis = _paths(built)
    assert {client.get(path).status_code for path in pages + apis} == {404}  # an exam of the board
    Sitting.objects.filter(pk=built.sitting.pk).update(kind=Sitting.Kind.ASSIGNMENT)
    Assessment.objects.filter(pk=built.sitting.assessment_id).update(created_by=teacher)
    assert {client.get(path).status_code for path in pages + apis} == {200}
    colleague = logged_in_client(make_user(Role.TEACHER, built.schools[0]))
    assert {colleague.get(path).status_code for path in pages + apis} == {404}


# --- the REST API ------------------------------------------------------------------------------------------


def test_the_api_gives_the_same_figures(built):
    client = logged_in_client(built.board)
    base = f"/api/sittings/{built.sitting.pk}/charts"
    assert client.get(f"{base}/distribution/").json() == json.loads(json.dumps(chart_data.distribution(built.sitting)))
    classes = client.get(f"{base}/classes/").json()
    assert [(g["name"], g["n"], g["mean"]) for g in classes["groups"]] == [
        ("12B1", 1, 10.0),
        ("12A1", 3, 8.0),
        ("12A2", 2, 3.0),
    ]
    assert client.get(f"{base}/schools/").json()["by"] == "school"
    items = client.get(f"{base}/items/?item=2").json()
    assert items["selected"] == 2 and len(items["items"]) == 5 and items["empirical"][0]["n"] == 7
    attempt = built.sitting.attempts.get(student=built.students[1])
    candidate = client.get(f"{base}/candidates/{attempt.pk}/").json()
    assert candidate["result"]["score_10"] == "8.0" and [i["key"] for i in candidate["items"]] == list(KEYS)


@pytest.mark.parametrize("query, message", [("item=9", "position 9"), ("item=abc", "item"), ("item=0", "item")])
def test_the_api_refuses_a_bad_item_with_400(built, query, message):
    response = english(logged_in_client(built.board)).get(f"/api/sittings/{built.sitting.pk}/charts/items/?{query}")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and list(body["fields"]) == ["item"]
    assert message in json.dumps(body, ensure_ascii=False)


def test_the_api_s_candidate_of_another_sitting_is_not_found(built):
    other = make_sitting(n_students=1).attempts.get()
    response = logged_in_client(built.board).get(f"/api/sittings/{built.sitting.pk}/charts/candidates/{other.pk}/")
    assert response.status_code == 404


def test_the_chart_figures_of_a_large_sitting_take_the_same_queries(built, django_assert_max_num_queries):
    """More candidates, the same number of queries (none per row)."""
    extra = [make_user(Role.STUDENT, built.schools[1]) for _ in range(8)]
    more = schedule(by=built.board, form=built.sitting.form, students=built.students + extra)
    for attempt in more.attempts.all():
        take(attempt, answers(attempt.pk % 6))
    with django_assert_max_num_queries(1):
        assert chart_data.distribution(more)["n"] == 15
    with django_assert_max_num_queries(3):
        assert chart_data.class_comparison(more)["without_group"] == 9
    with django_assert_max_num_queries(2):
        assert chart_data.item_curves(more, 1)["empirical"][0]["n"] == 5
    assert connection.vendor in ("sqlite", "postgresql")


def test_a_process_that_draws_nothing_never_loads_matplotlib():
    """The site's URLs import the chart views; matplotlib waits for the first picture."""
    import subprocess
    import sys

    check = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); "
        "import config.urls, frontend.chart_views, results.charts; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib loaded'; "
        "results.charts.Numbers(',').formatter(); assert 'matplotlib' in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
