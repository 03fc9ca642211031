"""Assessments, master forms (by hand and drawn from a blueprint), test codes and key tables."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from openpyxl import load_workbook

from accounts.models import Role
from assess import authoring, presets, selectors, services, test_codes
from assess.authoring import AssessmentSpec, PartSpec
from assess.blueprints import BlueprintSpec, CellSpec, blueprint_create
from assess.blueprints import PartSpec as BlueprintPartSpec
from assess.models import Assessment, AssessmentPart, Attempt, Form, FormItem, RecordEntryType
from itembank import content
from itembank import services as bank
from itembank.models import CognitiveLevel, Item, Subject, Topic
from tests.factories import logged_in_client, make_department, make_school, make_user, release_version, schedule

pytestmark = pytest.mark.django_db

KNOW, UNDERSTAND = CognitiveLevel.KNOW, CognitiveLevel.UNDERSTAND
TF_KEYS = {"a": True, "b": False, "c": True, "d": False}


class World:
    """A department with a school; a board, two teachers, students; a subject with two topics."""

    def __init__(self) -> None:
        self.department = make_department()
        self.school = make_school(self.department)
        self.other_school = make_school(self.department)
        self.board = make_user(Role.BOARD, self.department)
        self.teacher = make_user(Role.TEACHER, self.school)
        self.colleague = make_user(Role.TEACHER, self.school)
        self.far_teacher = make_user(Role.TEACHER, self.other_school)
        self.student = make_user(Role.STUDENT, self.school)
        self.subject = Subject.objects.create(code="toan-au", name="Toán")
        self.algebra = Topic.objects.create(subject=self.subject, name="Đại số")
        self.geometry = Topic.objects.create(subject=self.subject, name="Hình học")
        self.items: list[Item] = []

    def choice(self, topic: Topic, level: str = KNOW, *, pinned_last: bool = False, n: int = 1) -> list[Item]:
        made = []
        for _ in range(n):
            number = len(self.items) + 1
            options = [{"id": letter, "text": f"Phương án {letter} của câu {number}"} for letter in "ABCD"]
            if pinned_last:
                options[-1] = {"id": "D", "text": "Cả ba phương án trên", "pinned": True}
            version = bank.item_create(
                by=self.teacher,
                subject=self.subject,
                topic=topic,
                level=level,
                content={"stem": f"Câu {number}: $x^{number}$ = ?", "options": options, "key": "ABCD"[number % 4]},
                visibility="department",
            )
            release_version(version, author=self.teacher, reviewer=self.board)
            self.items.append(version.item)
            made.append(version.item)
        return made

    def true_false(self, topic: Topic, n: int = 1) -> list[Item]:
        made = []
        for _ in range(n):
            number = len(self.items) + 1
            version = bank.item_create(
                by=self.teacher,
                subject=self.subject,
                topic=topic,
                level=UNDERSTAND,
                item_type="true_false_group",
                content={
                    "stem": f"Câu {number}",
                    "statements": [{"id": s, "text": f"Mệnh đề {s} câu {number}"} for s in "abcd"],
                    "keys": TF_KEYS,
                },
                visibility="department",
            )
            release_version(version, author=self.teacher, reviewer=self.board)
            self.items.append(version.item)
            made.append(version.item)
        return made

    def spec(self, **fields) -> AssessmentSpec:
        values = {
            "title": "Kiểm tra giữa kỳ",
            "kind": Assessment.Kind.PERIODIC,
            "subject_id": self.subject.pk,
            "school_year": "2026-2027",
            "term": 1,
            "record_entry_type": RecordEntryType.MIDTERM,
            "duration_minutes": 45,
            "parts": (
                PartSpec("Phần I", 4, Decimal("0.25"), "single_choice"),
                PartSpec("Phần II", 2, Decimal("1"), "true_false_group"),
            ),
            "organisation_id": self.school.pk,
        }
        return AssessmentSpec(**{**values, **fields})


@pytest.fixture
def world() -> World:
    return World()


def _payload(world: World, **fields) -> dict:
    body = {
        "title": "Kiểm tra 15 phút",
        "kind": "continuous",
        "subject": world.subject.code,
        "school_year": "2026-2027",
        "term": 1,
        "record_entry_type": "continuous",
        "duration_minutes": 15,
        "parts": [{"label": "Phần I", "item_type": "single_choice", "item_count": 4, "points_per_item": "2.5"}],
    }
    return {**body, **fields}


def _post(client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _put(client, url: str, body: dict):
    return client.put(url, data=json.dumps(body), content_type="application/json")


# --- presets ------------------------------------------------------------------------------------


def test_the_national_presets_add_up_to_ten_points_in_the_national_time():
    national = {key: preset for key, preset in presets.PRESETS.items() if key.startswith("national")}
    assert len(national) == 5
    assert all(preset.total_points == 10 for preset in national.values())
    mathematics = presets.PRESETS["national_mathematics"]
    assert mathematics.minutes == 90
    assert [(p.item_type, p.item_count, p.points_per_item) for p in mathematics.parts] == [
        ("single_choice", 12, Decimal("0.25")),
        ("true_false_group", 4, Decimal("1")),
        ("short_numeric", 6, Decimal("0.5")),
    ]
    sciences = presets.PRESETS["national_sciences"]
    assert (sciences.minutes, [p.item_count for p in sciences.parts]) == (50, [18, 4, 6])
    assert presets.PRESETS["continuous_15"].minutes == 15


def test_presets_are_served_in_the_chosen_language(world):
    client = logged_in_client(world.teacher)
    vietnamese = client.get("/api/assessment-presets/").json()["results"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/api/assessment-presets/").json()["results"]
    by_key = {p["key"]: p for p in vietnamese}
    assert by_key["national_mathematics"]["parts"][0]["label"] == "Phần I"
    assert {p["key"]: p for p in english}["national_mathematics"]["parts"][0]["label"] == "Part I"
    assert by_key["national_mathematics"]["total_points"] == "10.00"
    assert logged_in_client(world.student).get("/api/assessment-presets/").status_code == 403


# --- assessments --------------------------------------------------------------------------------


def test_a_teacher_creates_a_continuous_assessment_for_their_school_through_the_api(world):
    client = logged_in_client(world.teacher)
    response = _post(client, "/api/assessments/", _payload(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organisation"] == world.school.pk
    assert body["duration_minutes"] == 15
    assert body["total_points"] == "10.00"
    assert body["parts"][0] == {
        "position": 1,
        "label": "Phần I",
        "item_type": "single_choice",
        "item_count": 4,
        "points_per_item": "2.50",
        "scoring": "as_authored",
        "time_limit_minutes": None,
        "navigation": "free",
        "break_minutes": None,
    }
    assert body["can_change"] is True
    assert client.get("/api/assessments/").json()["results"][0]["id"] == body["id"]


def test_periodic_assessments_are_the_boards_and_teachers_stay_in_their_school(world):
    teacher = logged_in_client(world.teacher)
    periodic = _payload(world, kind="periodic", record_entry_type="midterm")
    assert _post(teacher, "/api/assessments/", periodic).status_code == 403
    elsewhere = _payload(world, organisation=world.other_school.pk)
    assert _post(teacher, "/api/assessments/", elsewhere).status_code == 403
    board = logged_in_client(world.board)
    response = _post(board, "/api/assessments/", {**periodic, "organisation": world.school.pk})
    assert response.status_code == 201
    assert Assessment.objects.count() == 1
    # The board's exam for the school is not the teachers' to see before the sitting.
    assert teacher.get(f"/api/assessments/{response.json()['id']}/").status_code == 404
    assert teacher.get("/api/assessments/").json()["results"] == []
    for role in (Role.STUDENT, Role.PROCTOR, Role.SCHOOL_ADMIN):
        client = logged_in_client(make_user(role, world.school))
        assert client.get("/api/assessments/").status_code == 403
        assert _post(client, "/api/assessments/", _payload(world)).status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"record_entry_type": "endterm"}, "record_entry_type"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 301}, "duration_minutes"),
        ({"school_year": "2026-2028"}, "school_year"),
        ({"term": 3}, "term"),
        ({"grade": 13}, "grade"),
        ({"subject": "no-such-subject"}, "subject"),
        ({"parts": []}, "parts"),
        ({"parts": [{"label": "", "item_count": 1, "points_per_item": "1"}]}, "parts.0.label"),
        ({"parts": [{"label": "I", "item_count": 0, "points_per_item": "1"}]}, "parts.0.item_count"),
        ({"parts": [{"label": "I", "item_count": 1, "points_per_item": "0"}]}, "parts.0.points_per_item"),
        ({"parts": [{"label": "I", "item_count": 1, "points_per_item": "1.234"}]}, "parts.0.points_per_item"),
        (
            {"parts": [{"label": "I", "item_count": 1, "points_per_item": "1", "item_type": "poem"}]},
            "parts.0.item_type",
        ),
        ({"parts": [{"label": "I", "item_count": 1, "points_per_item": "1", "scoring": "most"}]}, "parts.0.scoring"),
        ({"title": ""}, "title"),
    ],
)
def test_a_bad_assessment_is_refused_field_by_field_and_nothing_is_written(world, change, field):
    response = _post(logged_in_client(world.teacher), "/api/assessments/", _payload(world, **change))
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"], response.json()
    assert Assessment.objects.count() == 0
    assert AssessmentPart.objects.count() == 0


def test_the_structure_is_fixed_once_a_form_exists_and_a_colleague_changes_nothing(world):
    assessment = authoring.assessment_create(by=world.board, spec=world.spec())
    renamed = world.spec(title="Kiểm tra giữa kỳ I", duration_minutes=50)
    authoring.assessment_update(by=world.board, assessment_id=assessment.pk, spec=renamed)
    assessment.refresh_from_db()
    assert (assessment.title, assessment.duration) == ("Kiểm tra giữa kỳ I", timedelta(minutes=50))
    with pytest.raises(PermissionDenied):
        authoring.assessment_update(by=world.teacher, assessment_id=assessment.pk, spec=renamed)

    items = world.choice(world.algebra, n=4) + world.true_false(world.geometry, n=2)
    authoring.form_build(
        by=world.board,
        assessment_id=assessment.pk,
        code="A",
        item_ids=[[i.pk for i in items[:4]], [i.pk for i in items[4:]]],
    )
    changed = world.spec(parts=(PartSpec("Phần I", 5, Decimal("0.25"), "single_choice"),))
    with pytest.raises(ValidationError) as refused:
        authoring.assessment_update(by=world.board, assessment_id=assessment.pk, spec=changed)
    assert "parts" in refused.value.message_dict
    assert assessment.parts.count() == 2


def test_a_teacher_changes_only_their_own_continuous_assessment(world):
    spec = world.spec(
        kind=Assessment.Kind.CONTINUOUS,
        record_entry_type=RecordEntryType.CONTINUOUS,
        parts=(PartSpec("Phần I", 2, Decimal("5"), "single_choice"),),
    )
    mine = authoring.assessment_create(by=world.teacher, spec=spec)
    colleague = logged_in_client(world.colleague)
    assert colleague.get(f"/api/assessments/{mine.pk}/").status_code == 404
    assert colleague.delete(f"/api/assessments/{mine.pk}/").status_code == 404
    assert logged_in_client(world.board).get(f"/api/assessments/{mine.pk}/").json()["can_change"] is True
    assert logged_in_client(world.teacher).delete(f"/api/assessments/{mine.pk}/").status_code == 204
    assert not Assessment.objects.filter(pk=mine.pk).exists()


# --- master forms by hand ---------------------------------------------------------------------


@pytest.fixture
def exam(world) -> Assessment:
    return authoring.assessment_create(by=world.board, spec=world.spec())


def test_a_form_is_built_part_by_part_with_the_parts_points(world, exam):
    choices = world.choice(world.algebra, n=4)
    groups = world.true_false(world.geometry, n=2)
    client = logged_in_client(world.board)
    body = {"code": "GOC", "parts": [[i.pk for i in reversed(choices)], [i.pk for i in groups]]}
    response = _post(client, f"/api/assessments/{exam.pk}/forms/", body)
    assert response.status_code == 201, response.content
    form = response.json()
    assert [row["item"] for row in form["items"]] == [i.pk for i in reversed(choices)] + [i.pk for i in groups]
    assert [row["part"] for row in form["items"]] == [1, 1, 1, 1, 2, 2]
    assert [row["points"] for row in form["items"]] == ["0.25"] * 4 + ["1.00"] * 2
    assert form["frozen"] is False

    # Reorder within a part, and swap an item.
    spare = world.choice(world.algebra)[0]
    new_order = [[spare.pk, choices[0].pk, choices[1].pk, choices[2].pk], [groups[1].pk, groups[0].pk]]
    response = _put(client, f"/api/forms/{form['id']}/", {"parts": new_order})
    assert response.status_code == 200, response.content
    assert [row["item"] for row in response.json()["items"]] == new_order[0] + new_order[1]


@pytest.mark.parametrize(
    "problem",
    ["too few", "wrong type", "twice", "enemies", "not usable", "not visible", "another subject", "parts missing"],
)
def test_a_form_that_breaks_the_structure_is_refused_and_nothing_is_written(world, exam, problem):
    choices = world.choice(world.algebra, n=5)
    groups = world.true_false(world.geometry, n=2)
    parts = [[i.pk for i in choices[:4]], [i.pk for i in groups]]
    if problem == "too few":
        parts[0] = parts[0][:3]
    elif problem == "wrong type":
        parts[1] = [choices[4].pk, groups[0].pk]
    elif problem == "twice":
        parts[0] = [choices[0].pk] * 2 + parts[0][2:]
    elif problem == "enemies":
        choices[0].enemies.add(choices[1])
    elif problem == "not usable":
        draft = bank.item_create(
            by=world.teacher, subject=world.subject, level=KNOW, content=choices[0].versions.first().content
        )
        parts[0][0] = draft.item_id
    elif problem == "not visible":
        outsider = make_user(Role.TEACHER, make_school())
        hidden = bank.item_create(
            by=outsider, subject=world.subject, level=KNOW, content=choices[0].versions.first().content
        )
        release_version(hidden, author=outsider, reviewer=make_user(Role.BOARD, outsider.organisation.parent))
        parts[0][0] = hidden.item_id
    elif problem == "another subject":
        choices[0].subject = Subject.objects.create(code="ly-au", name="Vật lí")
        choices[0].save()
    elif problem == "parts missing":
        parts = parts[:1]
    response = _post(logged_in_client(world.board), f"/api/assessments/{exam.pk}/forms/", {"code": "A", "parts": parts})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]
    assert not Form.objects.exists()
    assert not FormItem.objects.exists()


# --- drawing from a blueprint -------------------------------------------------------------------


def _blueprint(world, *, choice_cells=((None, 4),), groups: int = 2):
    cells = tuple(CellSpec(topic_id=(t or world.algebra).pk, level=KNOW, item_count=n) for t, n in choice_cells)
    return blueprint_create(
        by=world.board,
        spec=BlueprintSpec(
            title="Ma trận giữa kỳ",
            subject_id=world.subject.pk,
            parts=(
                BlueprintPartSpec("Phần I", "single_choice", Decimal("0.25"), cells),
                BlueprintPartSpec(
                    "Phần II",
                    "true_false_group",
                    Decimal("1"),
                    (CellSpec(topic_id=world.geometry.pk, level=UNDERSTAND, item_count=groups),),
                ),
            ),
        ),
    )


def _drawn(draw) -> list[int]:
    return [c.item_id for cell in draw.cells for c in cell.picked]


def test_a_draw_fills_every_cell_and_the_seed_reproduces_it(world, exam):
    world.choice(world.algebra, n=12)
    world.true_false(world.geometry, n=5)
    blueprint = _blueprint(world)
    first = authoring.form_draw(by=world.board, assessment_id=exam.pk, blueprint_id=blueprint.pk, seed=7, dry_run=True)
    again = authoring.form_draw(by=world.board, assessment_id=exam.pk, blueprint_id=blueprint.pk, seed=7, dry_run=True)
    other = authoring.form_draw(by=world.board, assessment_id=exam.pk, blueprint_id=blueprint.pk, seed=8, dry_run=True)
    assert first.shortfall == 0
    assert _drawn(first) == _drawn(again)
    assert _drawn(first) != _drawn(other)
    assert not Form.objects.exists()  # a dry run writes nothing

    response = _post(
        logged_in_client(world.board),
        f"/api/assessments/{exam.pk}/forms/draw/",
        {"blueprint": blueprint.pk, "seed": 7, "code": "GOC"},
    )
    assert response.status_code == 201, response.content
    form = response.json()["form"]
    assert [row["item"] for row in form["items"]] == _drawn(first)
    assert form["seed"] == 7 and form["blueprint"] == blueprint.pk
    assert all(row["topic"] == world.algebra.pk and row["level"] == KNOW for row in form["items"][:4])
    assert all(row["item_type"] == "true_false_group" for row in form["items"][4:])


def test_a_draw_prefers_items_fewer_forms_used(world, exam):
    used = world.choice(world.algebra, n=4)
    fresh = world.choice(world.algebra, n=4)
    world.true_false(world.geometry, n=4)
    blueprint = _blueprint(world)
    groups = list(Item.objects.filter(item_type="true_false_group").values_list("pk", flat=True))
    authoring.form_build(by=world.board, assessment_id=exam.pk, code="OLD", item_ids=[[i.pk for i in used], groups[:2]])
    for seed in range(5):
        draw = authoring.form_draw(
            by=world.board, assessment_id=exam.pk, blueprint_id=blueprint.pk, seed=seed, dry_run=True
        )
        picked = _drawn(draw)
        assert set(picked[:4]) == {i.pk for i in fresh}
        assert set(picked[4:]) == set(groups[2:])


def test_a_draw_never_takes_two_enemies(world, exam):
    choices = world.choice(world.algebra, n=6)
    world.true_false(world.geometry, n=2)
    for item in choices[1:]:
        choices[0].enemies.add(item)  # the first is the enemy of all others
    blueprint = _blueprint(world)
    for seed in range(10):
        draw = authoring.form_draw(
            by=world.board, assessment_id=exam.pk, blueprint_id=blueprint.pk, seed=seed, dry_run=True
        )
        picked = set(_drawn(draw))
        assert draw.shortfall == 0
        assert choices[0].pk not in picked  # taking it would leave the cell short


def test_a_blueprint_the_bank_cannot_fill_is_explained_cell_by_cell_and_nothing_is_written(world, exam):
    world.choice(world.algebra, n=2)
    world.choice(world.geometry, n=1)
    world.true_false(world.geometry, n=2)
    blueprint = _blueprint(world, choice_cells=((world.algebra, 3), (world.geometry, 1)))
    client = logged_in_client(world.board)
    response = _post(client, f"/api/assessments/{exam.pk}/forms/draw/", {"blueprint": blueprint.pk, "code": "A"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "shortfall"
    [report] = body["shortfalls"]
    assert (report["part"], report["topic"], report["needed"], report["found"]) == (1, world.algebra.pk, 3, 2)
    assert "\n" not in report["message"] and "Đại số" in report["message"]
    assert not Form.objects.exists()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = _post(client, f"/api/assessments/{exam.pk}/forms/draw/", {"blueprint": blueprint.pk, "code": "A"})
    assert "needs 3 items, drew 2" in response.json()["shortfalls"][0]["message"]


def test_a_blueprint_of_another_shape_is_refused(world, exam):
    world.choice(world.algebra, n=6)
    world.true_false(world.geometry, n=3)
    blueprint = _blueprint(world, choice_cells=((None, 5),))
    with pytest.raises(ValidationError) as refused:
        authoring.form_draw(by=world.board, assessment_id=exam.pk, blueprint_id=blueprint.pk, code="A")
    assert "blueprint" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        authoring.form_draw(by=world.teacher, assessment_id=exam.pk, blueprint_id=blueprint.pk, code="A")


# --- test codes -------------------------------------------------------------------------------


@pytest.fixture
def master(world, exam) -> Form:
    choices = world.choice(world.algebra, n=3) + world.choice(world.algebra, pinned_last=True)
    groups = world.true_false(world.geometry, n=2)
    return authoring.form_build(
        by=world.board, assessment_id=exam.pk, code="GOC", item_ids=[[i.pk for i in choices], [i.pk for i in groups]]
    )


def _layout(code: Form) -> list[tuple[int, int, tuple]]:
    return [
        (fi.part, fi.item_version.item_id, tuple(fi.arrangement.get("options", ())))
        for fi in code.form_items.select_related("item_version__item").order_by("position")
    ]


def test_codes_shuffle_items_within_parts_and_options_except_pinned_ones(world, master):
    codes = test_codes.codes_generate(by=world.board, form_id=master.pk, count=24, seed=11)
    assert [code.code for code in codes] == [str(n) for n in range(101, 125)]
    master_items = list(master.form_items.order_by("position"))
    part_of = {fi.item_version.item_id: fi.part for fi in master_items}
    layouts = [_layout(code) for code in codes]
    for layout in layouts:
        assert [part for part, _item, _options in layout] == [1, 1, 1, 1, 2, 2]
        assert all(part_of[item] == part for part, item, _options in layout)
        for _part, item, options in layout:
            if Item.objects.get(pk=item).item_type == "single_choice":
                assert sorted(options) == ["A", "B", "C", "D"]
    pinned_item = master_items[3].item_version.item_id
    assert all(options[3] == "D" for layout in layouts for _p, item, options in layout if item == pinned_item)
    assert len({tuple(item for _p, item, _o in layout) for layout in layouts}) > 1
    assert len({options for layout in layouts for _p, item, options in layout if item == pinned_item}) > 1
    # Every code maps back to the master form, position by position.
    for code in codes:
        for fi in code.form_items.all():
            assert master.form_items.get(position=fi.master_position).item_version_id == fi.item_version_id

    again = test_codes.codes_generate(by=world.board, form_id=master.pk, count=24, seed=11)
    assert [_layout(code) for code in again] == layouts  # the same seed, the same codes
    assert Form.objects.filter(parent=master).count() == 24  # replaced, not added


def test_the_key_table_gives_each_code_its_own_letters(world, master):
    codes = test_codes.codes_generate(by=world.board, form_id=master.pk, count=4, seed=3)
    tables = logged_in_client(world.board).get(f"/api/forms/{master.pk}/keys/").json()
    assert [table["code"] for table in tables["codes"]] == ["101", "102", "103", "104"]
    for code, table in zip(codes, tables["codes"], strict=True):
        for fi, key in zip(code.form_items.order_by("position"), table["keys"], strict=True):
            version = fi.item_version
            if version.item.item_type == "single_choice":
                assert key == "ABCD"[fi.arrangement["options"].index(version.content["key"])]
            else:
                assert key == "ĐSĐS"
    workbook = load_workbook(io.BytesIO(logged_in_client(world.board).get(f"/api/forms/{master.pk}/keys.xlsx").content))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("Mã đề", "1", "2")
    assert [list(row) for row in rows[1:]] == [[t["code"], *t["keys"]] for t in tables["codes"]]
    assert len(workbook.worksheets) == 2


# Items whose lists a person reads by labels: every author's id starts with "author-", which no
# label (a number, a letter, Đ/S) does, so a key table that prints one is caught.
LABELLED_ITEMS = [
    (
        "matching",
        {
            "stem": "Nối thủ đô với quốc gia.",
            "premises": [{"id": f"author-p{n}", "text": text} for n, text in enumerate(("Pháp", "Nhật", "Ý"), 1)],
            "responses": [
                {"id": f"author-r{n}", "text": text} for n, text in enumerate(("Tokyo", "Paris", "Rome", "Oslo"), 1)
            ],
            "scoring": "per_pair",
            "pairs": {"author-p1": "author-r2", "author-p2": "author-r1", "author-p3": "author-r3"},
        },
    ),
    (
        "ordering",
        {
            "stem": "Sắp xếp theo thứ tự thời gian.",
            "elements": [{"id": f"author-e{n}", "text": f"Sự kiện {n}"} for n in range(1, 5)],
            "scoring": "all_or_nothing",
            "order": ["author-e3", "author-e1", "author-e4", "author-e2"],
        },
    ),
    (
        "inline_choice",
        {
            "stem": "<p>Nước sôi ở {{author-g1}} độ C, đá tan ở {{author-g2}} độ C.</p>",
            "gaps": [
                {
                    "id": "author-g1",
                    "options": [{"id": "author-o90", "text": "90"}, {"id": "author-o100", "text": "100"}],
                },
                {
                    "id": "author-g2",
                    "options": [{"id": f"author-o{t}", "text": t} for t in ("10", "4", "0")],
                },
            ],
            "scoring": "per_gap",
            "keys": {"author-g1": "author-o100", "author-g2": "author-o0"},
        },
    ),
    ("text_entry", {"stem": "Thủ đô của Việt Nam là", "match": "normalised", "answers": ["Hà Nội", "Ha Noi"]}),
    ("essay", {"stem": "Trình bày suy nghĩ về tự học."}),
]


def _key_on_screen(item_type: str, view: dict, document: dict, ids: dict) -> str:
    """An item's key read off the exam page's view of a code (shown ids, shown order): premises
    1, 2, ...; responses and a gap's options A, B, ... as listed; ordering elements a, b, ... as
    listed (the paper's labels, ``assess.papers``); gaps (1), (2), ..."""
    back = {group: {new: old for old, new in shown.items()} for group, shown in ids.items()}
    if item_type == "matching":
        responses = [response["id"] for response in view["responses"]]
        return "; ".join(
            f"{n}-{'ABCDEFGH'[responses.index(ids['responses'][document['pairs'][back['premises'][p['id']]]])]}"
            for n, p in enumerate(view["premises"], start=1)
        )
    if item_type == "ordering":
        elements = [element["id"] for element in view["elements"]]
        return ", ".join("abcdefgh"[elements.index(ids["elements"][old])] for old in document["order"])
    if item_type == "inline_choice":
        keys = []
        for n, gap in enumerate(view["gaps"], start=1):
            old = back["gaps"][gap["id"]]
            options = [option["id"] for option in gap["options"]]
            keys.append(f"({n}) {'ABCDEFGH'[options.index(ids[f'gap:{old}'][document['keys'][old]])]}")
        return "; ".join(keys)
    raise AssertionError(item_type)


def test_key_tables_name_matching_ordering_and_gaps_by_the_labels_candidates_see(world):
    items = []
    for item_type, document in LABELLED_ITEMS * 2:  # each twice: two versions, two shuffles of their own
        version = bank.item_create(
            by=world.teacher, subject=world.subject, level=KNOW, item_type=item_type, content=document
        )
        items.append(release_version(version, author=world.teacher, reviewer=world.board).item)
    exam = authoring.assessment_create(
        by=world.board, spec=world.spec(parts=(PartSpec("Phần I", len(items), Decimal("1")),))
    )
    master = authoring.form_build(by=world.board, assessment_id=exam.pk, code="GOC", item_ids=[[i.pk for i in items]])
    codes = test_codes.codes_generate(by=world.board, form_id=master.pk, count=3, seed=7)
    client = logged_in_client(world.board)
    tables = client.get(f"/api/forms/{master.pk}/keys/").json()
    assert [table["code"] for table in tables["codes"]] == ["101", "102", "103"]
    with translation.override("vi"):
        hand = translation.pgettext("key table", "Marked by hand")
    seen: dict[str, set[str]] = {}
    for code, table in zip(codes, tables["codes"], strict=True):
        views = selectors.form_view(code.pk)  # what the exam page shows of this code
        rows = code.form_items.select_related("item_version__item").order_by("position")
        for fi, view, key in zip(rows, views, table["keys"], strict=True):
            version, item_type = fi.item_version, fi.item_version.item.item_type
            seen.setdefault(item_type, set()).add(key)
            if item_type in ("matching", "ordering", "inline_choice"):
                shown = _key_on_screen(item_type, view, version.content, fi.response_ids)
                assert key == shown, (code.code, fi.position)
            elif item_type == "text_entry":
                assert key == "Hà Nội | Ha Noi"
            else:
                assert key == hand
    assert all(re.fullmatch(r"\d-[A-D](; \d-[A-D]){2}", key) for key in seen["matching"])
    assert all(re.fullmatch(r"[a-d](, [a-d]){3}", key) for key in seen["ordering"])
    assert seen["inline_choice"] == {"(1) B; (2) C"}  # gap options keep their order on every code
    # No author's id anywhere: not in the JSON, not in the workbook.
    assert "author" not in json.dumps(tables["codes"])
    workbook = load_workbook(io.BytesIO(client.get(f"/api/forms/{master.pk}/keys.xlsx").content))
    cells = [str(value) for row in workbook.worksheets[0].iter_rows(values_only=True) for value in row]
    assert "(1) B; (2) C" in cells and not any("author" in cell for cell in cells)


def test_keys_are_for_the_forms_managers_only(world, master):
    test_codes.codes_generate(by=world.board, form_id=master.pk, count=2)
    for user in (world.teacher, world.far_teacher):
        client = logged_in_client(user)
        assert client.get(f"/api/forms/{master.pk}/keys/").status_code == 404
        assert client.get(f"/api/forms/{master.pk}/keys.xlsx").status_code == 404
        assert client.get(f"/api/forms/{master.pk}/preview/").status_code == 404
    student = logged_in_client(world.student)
    for path in ("keys/", "keys.xlsx", "preview/", ""):
        assert student.get(f"/api/forms/{master.pk}/{path}").status_code == 403


def test_the_preview_shows_a_code_as_the_student_gets_it_without_a_key(world, master):
    [code] = test_codes.codes_generate(by=world.board, form_id=master.pk, count=1, seed=5)
    preview = logged_in_client(world.board).get(f"/api/forms/{code.pk}/preview/").json()
    assert preview["items"] == list(selectors.form_content(code.pk))
    text = json.dumps(preview)
    assert '"key"' not in text and '"keys"' not in text and "pinned" not in text
    first = code.form_items.order_by("position").first()
    if first.item_version.item.item_type == "single_choice":
        shown = [option["id"] for option in preview["items"][0]["options"]]
        assert shown == [first.response_ids["options"][old] for old in first.arrangement["options"]]


def _answer_everything_right(attempt: Attempt) -> None:
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    for seq, fi in enumerate(
        FormItem.objects.filter(form_id=attempt.form_id).select_related("item_version__item"), start=1
    ):
        version = fi.item_version
        right = version.content["key"] if version.item.item_type == "single_choice" else dict(TF_KEYS)
        value = content.response_to_shown(version.item.item_type, fi.response_ids, right)
        services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=seq, item=fi.position, value=value)
    services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)


def test_neighbours_get_different_codes_scored_back_to_the_form_and_the_form_then_freezes(world, exam, master):
    test_codes.codes_generate(by=world.board, form_id=master.pk, count=4, seed=1)
    students = [make_user(Role.STUDENT, world.school) for _ in range(9)]
    now = timezone.now()
    sitting = schedule(
        by=world.board,
        form=master,
        title="Ca 1",
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=1),
        students=students,
    )
    attempts = list(Attempt.objects.filter(sitting=sitting).select_related("form").order_by("pk"))
    assert [a.student_id for a in attempts] == [s.pk for s in students]
    codes = [a.form.code for a in attempts]
    assert all(a != b for a, b in zip(codes, codes[1:], strict=False))
    assert Counter(codes) == {"101": 3, "102": 2, "103": 2, "104": 2}

    for attempt in attempts[:2]:
        _answer_everything_right(attempt)
        result = services.attempt_score(attempt_id=attempt.pk)
        assert result.raw_score == result.max_score == Decimal("3.00")
    first, second = (Attempt.objects.get(pk=a.pk).result for a in attempts[:2])
    assert first.item_scores == second.item_scores == [0.25] * 4 + [1.0] * 2

    assert authoring.form_is_frozen(master)
    with pytest.raises(ValidationError):
        test_codes.codes_generate(by=world.board, form_id=master.pk, count=2)
    items = [[fi.item_version.item_id for fi in master.form_items.filter(part=p)] for p in (1, 2)]
    response = _put(logged_in_client(world.board), f"/api/forms/{master.pk}/", {"parts": items})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["form"] == ["Đề GOC đã được khóa: một ca thi dùng đề này đã mở."]


def test_a_part_scored_all_or_nothing_gives_nothing_for_a_partly_right_group(world):
    spec = world.spec(
        parts=(
            PartSpec("Phần I", 1, Decimal("1"), "single_choice"),
            PartSpec("Phần II", 1, Decimal("1"), "true_false_group", AssessmentPart.Scoring.ALL_OR_NOTHING),
        )
    )
    assessment = authoring.assessment_create(by=world.board, spec=spec)
    choice = world.choice(world.algebra)[0]
    group = world.true_false(world.geometry)[0]
    form = authoring.form_build(
        by=world.board, assessment_id=assessment.pk, code="A", item_ids=[[choice.pk], [group.pk]]
    )
    student = make_user(Role.STUDENT, world.school)
    now = timezone.now()
    sitting = schedule(
        by=world.board,
        form=form,
        title="Ca",
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=1),
        students=[student],
    )
    attempt = sitting.attempts.get()
    token = services.attempt_connect(attempt_id=attempt.pk, user=student).token
    services.attempt_start(attempt_id=attempt.pk, user=student, token=token)
    fi = form.form_items.get(part=2)
    three_right = {**TF_KEYS, "d": True}
    value = content.response_to_shown("true_false_group", fi.response_ids, three_right)
    services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=1, item=fi.position, value=value)
    services.attempt_submit(attempt_id=attempt.pk, user=student, token=token)
    result = services.attempt_score(attempt_id=attempt.pk)
    assert result.item_scores == [0.0, 0.0]  # 3 of 4 right gives 0.5 by the national scale, 0 here


def test_pinned_options_are_part_of_the_content_and_travel_through_qti():
    options = [{"id": "A", "text": "Một"}, {"id": "B", "text": "Hai"}, {"id": "C", "text": "Cả hai", "pinned": True}]
    document = content.validate_content("single_choice", {"stem": "?", "options": options, "key": "A"}, Decimal(1))
    assert document["options"][2] == {"id": "C", "text": "Cả hai", "pinned": True}
    unpinned = [{**o, "pinned": False} for o in options[:2]]
    document = content.validate_content("single_choice", {"stem": "?", "options": unpinned, "key": "A"}, Decimal(1))
    assert document["options"] == [{"id": "A", "text": "Một"}, {"id": "B", "text": "Hai"}]
    with pytest.raises(ValidationError):
        content.validate_content(
            "single_choice", {"stem": "?", "options": [{**options[0], "pinned": "yes"}, options[1]], "key": "A"}, 1
        )
    with pytest.raises(ValidationError):  # statements are not shuffled, so not pinned
        content.validate_content(
            "true_false_group",
            {"stem": "?", "statements": [{"id": s, "text": s, "pinned": True} for s in "abcd"], "keys": TF_KEYS},
            1,
        )


def test_an_items_author_marks_its_enemies_through_the_api_and_bad_lists_change_nothing(world):
    first, second, third = world.choice(world.algebra, n=3)
    client = logged_in_client(world.teacher)
    url = f"/api/items/{first.pk}/enemies/"
    response = client.put(url, data=json.dumps({"items": [second.pk, third.pk]}), content_type="application/json")
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["items"]] == [second.pk, third.pk]
    assert list(second.enemies.values_list("pk", flat=True)) == [first.pk]  # both ways
    other = Subject.objects.create(code="su-au", name="Lịch sử")
    stranger = bank.item_create(by=world.teacher, subject=other, level=KNOW, content=first.versions.first().content)
    for bad in ([first.pk], [stranger.item_id], [999_999]):
        response = client.put(url, data=json.dumps({"items": bad}), content_type="application/json")
        assert response.status_code == 400 and "items" in response.json()["error"]["fields"]
    assert sorted(first.enemies.values_list("pk", flat=True)) == [second.pk, third.pk]
    assert logged_in_client(world.far_teacher).put(
        url, data=json.dumps({"items": []}), content_type="application/json"
    ).status_code in (403, 404)
    assert logged_in_client(world.student).get(url).status_code == 403


def test_a_code_whose_shuffled_key_would_not_map_back_is_refused_and_nothing_is_written(world, master, monkeypatch):
    def broken(item_type, document, rng):
        return {"options": ["A", "A", "B", "C"]} if item_type == "single_choice" else {}

    monkeypatch.setattr(content, "new_arrangement", broken)
    with pytest.raises(ValidationError) as refused:
        test_codes.codes_generate(by=world.board, form_id=master.pk, count=3, seed=1)
    assert "101" in str(refused.value)
    assert not Form.objects.filter(parent=master).exists()
    assert FormItem.objects.filter(form__parent=master).count() == 0
