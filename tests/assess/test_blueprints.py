"""Blueprints (ma trận đề): constraints, services, the check against the bank, and the API."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from assess import blueprints
from assess.blueprints import BlueprintSpec, CellSpec, PartSpec
from assess.models import Assessment, Blueprint, BlueprintCell, BlueprintPart, RecordEntryType
from itembank import services as bank
from itembank import workflow
from itembank.models import CognitiveLevel, Item, ItemVersion, Subject, Topic
from tests.factories import make_department, make_school, make_user, make_versions

pytestmark = pytest.mark.django_db

KNOW, UNDERSTAND, APPLY = CognitiveLevel.KNOW, CognitiveLevel.UNDERSTAND, CognitiveLevel.APPLY


# --- a small world -----------------------------------------------------------------------


class World:
    """A department with two schools, a school elsewhere, people, and a topic tree:

    Đại số > Hàm số > Hàm bậc hai;  Hình học;  and Động học of another subject.
    """

    def __init__(self) -> None:
        self.department = make_department()
        self.school = make_school(self.department)
        self.sibling = make_school(self.department)
        self.far = make_school()
        self.teacher = make_user(Role.TEACHER, self.school)
        self.sibling_teacher = make_user(Role.TEACHER, self.sibling)
        self.far_teacher = make_user(Role.TEACHER, self.far)
        self.board = make_user(Role.BOARD, self.department)
        self.far_board = make_user(Role.BOARD, self.far.parent)
        self.subject = Subject.objects.create(code="toan-bp", name="Toán")
        self.other_subject = Subject.objects.create(code="ly-bp", name="Vật lí")
        self.algebra = Topic.objects.create(subject=self.subject, name="Đại số")
        self.functions = Topic.objects.create(subject=self.subject, name="Hàm số", parent=self.algebra)
        self.quadratics = Topic.objects.create(subject=self.subject, name="Hàm bậc hai", parent=self.functions)
        self.geometry = Topic.objects.create(subject=self.subject, name="Hình học")
        self.kinematics = Topic.objects.create(subject=self.other_subject, name="Động học")


@pytest.fixture
def world() -> World:
    return World()


def bank_item(
    world: World,
    topic: Topic | None,
    level: str,
    *,
    status: str = workflow.PUBLISHED,
    item_type: str = "single_choice",
    author=None,
) -> Item:
    """One item of ``world.subject``, released through the review workflow, then classified.

    The workflow never moves a version back; a version left in review (draft, submitted,
    changes requested, approved) is written as such directly, standing for an item on its way.
    """
    author = author or world.teacher
    reviewer = world.far_board if author.organisation_id == world.far.pk else world.board
    version = make_versions(author, world.subject, 1, reviewer=reviewer)[0]
    Item.objects.filter(pk=version.item_id).update(topic=topic, level=level, item_type=item_type)
    if status == workflow.RETIRED:
        bank.item_version_retire(by=reviewer, version_id=version.pk)
    elif status != workflow.PUBLISHED:
        ItemVersion.objects.filter(pk=version.pk).update(status=status, published_at=None)
    return Item.objects.get(pk=version.item_id)


def spec(world: World, *parts: PartSpec, **fields) -> BlueprintSpec:
    return BlueprintSpec(
        title=fields.pop("title", "Kiểm tra giữa kỳ I"),
        subject_id=fields.pop("subject_id", world.subject.pk),
        parts=parts,
        grade=fields.pop("grade", 10),
        **fields,
    )


def part(label: str, item_type: str, points: str, *cells: tuple[Topic, str, int]) -> PartSpec:
    return PartSpec(
        label=label,
        item_type=item_type,
        points_per_item=Decimal(points),
        cells=tuple(CellSpec(topic_id=topic.pk, level=level, item_count=n) for topic, level, n in cells),
    )


def national_blueprint(world: World, by=None) -> Blueprint:
    """Phần I: single choice at 0.25; Phần II: true/false groups at 1.0."""
    return blueprints.blueprint_create(
        by=by or world.teacher,
        spec=spec(
            world,
            part(
                "Phần I",
                "single_choice",
                "0.25",
                (world.algebra, KNOW, 6),
                (world.geometry, KNOW, 1),
                (world.functions, UNDERSTAND, 2),
            ),
            part("Phần II", "true_false_group", "1.00", (world.algebra, KNOW, 1)),
        ),
    )


def stock_bank(world: World) -> None:
    """What the school's teacher may use for Đại số / Biết in single choice: 4 items."""
    bank_item(world, world.algebra, KNOW)  # the topic itself
    bank_item(world, world.functions, KNOW)  # a child
    bank_item(world, world.functions, KNOW)
    bank_item(world, world.quadratics, KNOW, status=workflow.APPROVED)  # a grandchild, approved
    for status in (workflow.DRAFT, workflow.SUBMITTED, workflow.CHANGES_REQUESTED, workflow.RETIRED):
        bank_item(world, world.functions, KNOW, status=status)  # not usable in forms
    bank_item(world, world.functions, KNOW, author=world.sibling_teacher)  # the department's board sees it
    bank_item(world, world.functions, KNOW, author=world.far_teacher)  # nobody here sees it
    bank_item(world, world.functions, KNOW, item_type="true_false_group")  # Phần II's only item
    bank_item(world, world.functions, UNDERSTAND)
    bank_item(world, world.functions, APPLY)
    bank_item(world, world.geometry, KNOW)
    bank_item(world, None, KNOW)  # no topic: no cell can use it


def cells_of(report: dict) -> dict[tuple[int, int, str], dict]:
    return {(p["position"], c["topic"], c["level"]): c for p in report["parts"] for c in p["cells"]}


# --- models ------------------------------------------------------------------------------


def test_model_constraints(world):
    blueprint = Blueprint.objects.create(
        owner=world.school, subject=world.subject, title="Ma trận", created_by=world.teacher
    )
    first = BlueprintPart.objects.create(
        blueprint=blueprint, position=1, label="Phần I", item_type="single_choice", points_per_item="0.25"
    )
    BlueprintCell.objects.create(part=first, topic=world.algebra, level=KNOW, item_count=3)
    refused = [
        lambda: BlueprintPart.objects.create(
            blueprint=blueprint, position=1, label="Again", item_type="single_choice", points_per_item="1"
        ),
        lambda: BlueprintPart.objects.create(
            blueprint=blueprint, position=2, label="Free", item_type="free_text", points_per_item="1"
        ),
        lambda: BlueprintPart.objects.create(
            blueprint=blueprint, position=3, label="Zero", item_type="essay", points_per_item="0"
        ),
        lambda: BlueprintPart.objects.create(
            blueprint=blueprint, position=0, label="Zeroth", item_type="essay", points_per_item="1"
        ),
        lambda: BlueprintCell.objects.create(part=first, topic=world.algebra, level=KNOW, item_count=1),
        lambda: BlueprintCell.objects.create(part=first, topic=world.geometry, level=KNOW, item_count=0),
        lambda: BlueprintCell.objects.create(part=first, topic=world.geometry, level=KNOW, item_count=201),
        lambda: Blueprint.objects.create(
            owner=world.school, subject=world.subject, title="Lớp 13", grade=13, created_by=world.teacher
        ),
    ]
    for create in refused:
        with pytest.raises(IntegrityError), transaction.atomic():
            create()
    # The same topic and level in another part, and another level in the same part, are fine.
    second = BlueprintPart.objects.create(
        blueprint=blueprint, position=2, label="Phần II", item_type="true_false_group", points_per_item="1"
    )
    BlueprintCell.objects.create(part=second, topic=world.algebra, level=KNOW, item_count=1)
    BlueprintCell.objects.create(part=first, topic=world.algebra, level=APPLY, item_count=200)
    blueprint.delete()
    assert not BlueprintCell.objects.exists() and not BlueprintPart.objects.exists()


# --- services ----------------------------------------------------------------------------


def test_create_writes_parts_in_order_with_their_cells(world):
    blueprint = national_blueprint(world)
    assert (blueprint.owner_id, blueprint.created_by_id, blueprint.grade) == (world.school.pk, world.teacher.pk, 10)
    parts = list(blueprint.parts.order_by("position"))
    assert [(p.position, p.label, p.item_type, p.points_per_item) for p in parts] == [
        (1, "Phần I", "single_choice", Decimal("0.25")),
        (2, "Phần II", "true_false_group", Decimal("1.00")),
    ]
    assert sorted(parts[0].cells.values_list("topic_id", "level", "item_count")) == sorted(
        [(world.algebra.pk, KNOW, 6), (world.geometry.pk, KNOW, 1), (world.functions.pk, UNDERSTAND, 2)]
    )


def test_replace_swaps_everything_or_nothing(world):
    blueprint = national_blueprint(world)
    before = list(BlueprintCell.objects.filter(part__blueprint=blueprint).values_list("pk", flat=True))
    bad = spec(world, part("Phần I", "single_choice", "0.25", (world.kinematics, KNOW, 2)), title="Đổi")
    with pytest.raises(ValidationError):
        blueprints.blueprint_replace(by=world.teacher, blueprint_id=blueprint.pk, spec=bad)
    blueprint.refresh_from_db()
    assert blueprint.title == "Kiểm tra giữa kỳ I"
    assert list(BlueprintCell.objects.filter(part__blueprint=blueprint).values_list("pk", flat=True)) == before

    good = spec(world, part("Phần III", "short_numeric", "0.5", (world.quadratics, APPLY, 6)), title="Đổi", grade=11)
    blueprints.blueprint_replace(by=world.board, blueprint_id=blueprint.pk, spec=good)
    blueprint.refresh_from_db()
    assert (blueprint.title, blueprint.grade, blueprint.owner_id) == ("Đổi", 11, world.school.pk)
    assert list(blueprint.parts.values_list("position", "label", "item_type")) == [(1, "Phần III", "short_numeric")]
    assert list(BlueprintCell.objects.filter(part__blueprint=blueprint).values_list("topic_id", "level")) == [
        (world.quadratics.pk, APPLY)
    ]
    assert not BlueprintCell.objects.filter(pk__in=before).exists()


@pytest.mark.parametrize(
    "who, allowed",
    [("teacher", True), ("board", True), ("sibling_teacher", False), ("far_board", False), ("student", False)],
)
def test_who_may_write_a_schools_blueprint(world, who, allowed):
    user = make_user(Role.STUDENT, world.school) if who == "student" else getattr(world, who)
    document = spec(world, part("Phần I", "single_choice", "0.25", (world.algebra, KNOW, 1)), owner_id=world.school.pk)
    if allowed:
        blueprint = blueprints.blueprint_create(by=user, spec=document)
        blueprints.blueprint_replace(by=user, blueprint_id=blueprint.pk, spec=document)
        blueprints.blueprint_delete(by=user, blueprint_id=blueprint.pk)
        assert not Blueprint.objects.exists()
        return
    with pytest.raises(PermissionDenied):
        blueprints.blueprint_create(by=user, spec=document)
    blueprint = blueprints.blueprint_create(by=world.teacher, spec=document)
    with pytest.raises(PermissionDenied):
        blueprints.blueprint_replace(by=user, blueprint_id=blueprint.pk, spec=document)
    with pytest.raises(PermissionDenied):
        blueprints.blueprint_delete(by=user, blueprint_id=blueprint.pk)
    assert Blueprint.objects.filter(pk=blueprint.pk).exists()


def test_service_names_every_bad_field(world):
    document = spec(
        world,
        part(
            "Phần I",
            "single_choice",
            "0.25",
            (world.algebra, KNOW, 2),
            (world.kinematics, KNOW, 1),
            (world.algebra, KNOW, 3),
            (world.geometry, "van_dung_cao", 1),
            (world.geometry, KNOW, 0),
        ),
        part(" ", "free_text", "0.001", (world.algebra, KNOW, 201)),
        title="  ",
        grade=13,
    )
    with pytest.raises(ValidationError) as caught:
        blueprints.blueprint_create(by=world.teacher, spec=document)
    assert set(caught.value.message_dict) == {
        "title",
        "grade",
        "parts.0.cells.1.topic",
        "parts.0.cells.2",
        "parts.0.cells.3.level",
        "parts.0.cells.4.item_count",
        "parts.1.label",
        "parts.1.item_type",
        "parts.1.points_per_item",
        "parts.1.cells.0.item_count",
    }
    assert not Blueprint.objects.exists()


def test_service_limits_parts_and_cells(world):
    one = part("P", "single_choice", "0.25", (world.algebra, KNOW, 1))
    with pytest.raises(ValidationError) as caught:
        blueprints.blueprint_create(by=world.teacher, spec=spec(world, *[one] * 11))
    assert list(caught.value.message_dict) == ["parts"]
    blueprints.blueprint_create(by=world.teacher, spec=spec(world, *[one] * 10))

    topics = Topic.objects.bulk_create(Topic(subject=world.subject, name=f"Bài {n}") for n in range(17))
    full = part("P", "single_choice", "0.25", *[(t, level, 1) for t in topics for level in (KNOW, UNDERSTAND, APPLY)])
    assert len(full.cells) == 51
    with pytest.raises(ValidationError) as caught:
        blueprints.blueprint_create(by=world.teacher, spec=spec(world, *[full] * 10))  # 510 cells
    assert "510" in caught.value.message_dict["parts"][0]
    fits = part("P", "single_choice", "0.25", *[(t, KNOW, 1) for t in topics], *[(t, APPLY, 1) for t in topics])
    blueprints.blueprint_create(by=world.teacher, spec=spec(world, *[fits] * 10))  # 340 cells


def test_assessment_link_must_be_of_the_subject_and_overseen(world):
    def assessment(organisation, subject):
        return Assessment.objects.create(
            title="Giữa kỳ",
            kind=Assessment.Kind.PERIODIC,
            subject=subject,
            organisation=organisation,
            duration=timedelta(minutes=45),
            school_year="2026-2027",
            term=1,
            record_entry_type=RecordEntryType.MIDTERM,
            created_by=world.board,
        )

    one = part("Phần I", "single_choice", "0.25", (world.algebra, KNOW, 1))
    ours = assessment(world.school, world.subject)
    linked = blueprints.blueprint_create(by=world.teacher, spec=spec(world, one, assessment_id=ours.pk))
    assert linked.assessment_id == ours.pk
    for other in (assessment(world.school, world.other_subject), assessment(world.far, world.subject)):
        with pytest.raises(ValidationError) as caught:
            blueprints.blueprint_create(by=world.teacher, spec=spec(world, one, assessment_id=other.pk))
        assert list(caught.value.message_dict) == ["assessment"]


# --- availability ------------------------------------------------------------------------


def test_availability_counts_what_the_teacher_may_use(world):
    stock_bank(world)
    blueprint = national_blueprint(world)
    report = blueprints.blueprint_availability(blueprint, world.teacher)
    cells = cells_of(report)
    algebra = cells[(1, world.algebra.pk, KNOW)]
    # Đại số itself, two in Hàm số, one approved in Hàm bậc hai; nothing in review, retired,
    # of another school, of another type, of another level or without a topic.
    assert (algebra["needed"], algebra["available"], algebra["shortfall"]) == (6, 4, 2)
    assert algebra["points"] == "1.50" and algebra["topic_name"] == "Đại số"
    # One line in the language of the request: Vietnamese unless English was chosen.
    assert algebra["message"] == "Phần I: chủ đề Đại số cần 6 câu Biết đã duyệt, ngân hàng có 4."
    geometry = cells[(1, world.geometry.pk, KNOW)]
    assert (geometry["available"], geometry["shortfall"]) == (1, 0) and "message" not in geometry
    functions = cells[(1, world.functions.pk, UNDERSTAND)]
    assert (functions["needed"], functions["available"], functions["shortfall"]) == (2, 1, 1)
    assert "cần 2 câu Hiểu đã duyệt, ngân hàng có 1" in functions["message"]
    true_false = cells[(2, world.algebra.pk, KNOW)]
    assert (true_false["available"], true_false["shortfall"]) == (1, 0)

    assert report["ok"] is False
    assert (report["total_items"], report["total_points"], report["shortfall"]) == (10, "3.25", 3)
    assert [(s["part"], s["topic"], s["level"], s["shortfall"]) for s in report["shortfalls"]] == [
        (1, world.algebra.pk, KNOW, 2),
        (1, world.functions.pk, UNDERSTAND, 1),
    ]
    assert report["shared_shortfalls"] == []
    assert [(p["label"], p["needed"], p["shortfall"], p["points"]) for p in report["parts"]] == [
        ("Phần I", 9, 3, "2.25"),
        ("Phần II", 1, 0, "1.00"),
    ]
    assert [
        (lv["level"], lv["needed"], lv["shortfall"], lv["points"], lv["share_of_items"], lv["share_of_points"])
        for lv in report["levels"]
    ] == [
        (KNOW, 8, 2, "2.75", "80.0", "84.6"),
        (UNDERSTAND, 2, 1, "0.50", "20.0", "15.4"),
        (APPLY, 0, 0, "0.00", "0.0", "0.0"),
    ]
    assert {t["topic"]: (t["needed"], t["shortfall"], t["points"]) for t in report["topics"]} == {
        world.algebra.pk: (7, 2, "2.50"),
        world.geometry.pk: (1, 0, "0.25"),
        world.functions.pk: (2, 1, "0.50"),
    }


def test_availability_depends_on_who_asks(world):
    stock_bank(world)
    blueprint = national_blueprint(world)
    # The department's board also sees the sibling school's item; the far school's never counts.
    assert (
        cells_of(blueprints.blueprint_availability(blueprint, world.board))[(1, world.algebra.pk, KNOW)]["available"]
        == 5
    )
    student = make_user(Role.STUDENT, world.school)
    nothing = blueprints.blueprint_availability(blueprint, student)
    assert {c["available"] for c in cells_of(nothing).values()} == {0}


def test_retired_version_does_not_count_but_an_approved_one_does(world):
    blueprint = blueprints.blueprint_create(
        by=world.teacher, spec=spec(world, part("Phần I", "single_choice", "0.25", (world.quadratics, APPLY, 1)))
    )

    def available() -> int:
        report = blueprints.blueprint_availability(blueprint, world.teacher)
        return cells_of(report)[(1, world.quadratics.pk, APPLY)]["available"]

    item = bank_item(world, world.quadratics, APPLY)
    assert available() == 1
    bank.item_version_retire(by=world.board, version_id=item.versions.get().pk)
    assert available() == 0
    bank_item(world, world.quadratics, APPLY, status=workflow.SUBMITTED)
    assert available() == 0
    bank_item(world, world.quadratics, APPLY, status=workflow.APPROVED)
    assert available() == 1


def test_cells_competing_for_the_same_items_are_reported(world):
    stock_bank(world)
    blueprint = blueprints.blueprint_create(
        by=world.teacher,
        spec=spec(
            world,
            part("Phần I", "single_choice", "0.25", (world.algebra, KNOW, 3), (world.quadratics, KNOW, 1)),
            part("Phần III", "single_choice", "0.5", (world.functions, KNOW, 2)),
        ),
    )
    report = blueprints.blueprint_availability(blueprint, world.teacher)
    # Each cell alone can be filled (4, 1 and 3 items), together they need 6 of Đại số's 4.
    assert report["shortfalls"] == []
    assert report["ok"] is False
    [shared] = report["shared_shortfalls"]
    assert (shared["topic"], shared["parts"], shared["needed"], shared["available"], shared["shortfall"]) == (
        world.algebra.pk,
        [1, 2],
        6,
        4,
        2,
    )
    assert shared["message"] == (
        "Phần I, Phần III: chủ đề Đại số và các chủ đề con cần tổng cộng 6 câu Biết đã duyệt, ngân hàng có 4."
    )


def test_a_blueprint_the_bank_can_fill_is_ok(world):
    stock_bank(world)
    blueprint = blueprints.blueprint_create(
        by=world.teacher,
        spec=spec(
            world,
            part("Phần I", "single_choice", "0.25", (world.algebra, KNOW, 4), (world.functions, UNDERSTAND, 1)),
            part("Phần II", "true_false_group", "1", (world.functions, KNOW, 1)),
        ),
    )
    report = blueprints.blueprint_availability(blueprint, world.teacher)
    assert report["ok"] is True and report["shortfall"] == 0
    assert report["shortfalls"] == [] and report["shared_shortfalls"] == []


def test_availability_takes_the_same_queries_whatever_the_size(world):
    stock_bank(world)
    small = blueprints.blueprint_create(
        by=world.teacher, spec=spec(world, part("Phần I", "single_choice", "0.25", (world.algebra, KNOW, 1)))
    )
    topics = Topic.objects.bulk_create(
        Topic(subject=world.subject, name=f"Bài {n}", parent=world.functions) for n in range(30)
    )
    levels = (KNOW, UNDERSTAND, APPLY)
    big = blueprints.blueprint_create(
        by=world.teacher,
        spec=spec(
            world,
            *[
                part(f"Phần {n}", item_type, "0.25", *[(t, lv, 2) for t in topics for lv in levels])
                for n, item_type in enumerate(["single_choice", "true_false_group", "short_numeric"])
            ],
        ),
    )

    def queries(blueprint: Blueprint) -> list[str]:
        blueprint = blueprints.blueprints_visible_to(world.teacher).get(pk=blueprint.pk)
        with CaptureQueriesContext(connection) as captured:
            blueprints.blueprint_availability(blueprint, world.teacher)
        return [query["sql"] for query in captured.captured_queries]

    def table(sql: str) -> str:
        return sql.split(" FROM ")[1].split()[0].strip('"')

    sqls = queries(big)
    assert [table(sql) for sql in queries(small)] == [table(sql) for sql in sqls]
    # Parts, cells, the subject's topics and one aggregate of the bank (besides the user's scope).
    for name in ("assess_blueprintpart", "assess_blueprintcell", "itembank_topic"):
        assert [table(sql) for sql in sqls].count(name) == 1, sqls
    [bank] = [sql for sql in sqls if table(sql) == "itembank_item"]
    assert "COUNT(" in bank and "GROUP BY" in bank


# --- API ---------------------------------------------------------------------------------


def document(world: World, **changes) -> dict:
    body = {
        "title": "Kiểm tra cuối kỳ I",
        "subject": world.subject.code,
        "grade": 12,
        "parts": [
            {
                "label": "Phần I",
                "item_type": "single_choice",
                "points_per_item": "0.25",
                "cells": [
                    {"topic": world.algebra.pk, "level": KNOW, "item_count": 6},
                    {"topic": world.geometry.pk, "level": UNDERSTAND, "item_count": 3},
                ],
            },
            {
                "label": "Phần II",
                "item_type": "true_false_group",
                "points_per_item": "1.00",
                "cells": [{"topic": world.functions.pk, "level": APPLY, "item_count": 4}],
            },
        ],
    }
    body.update(changes)
    return body


def post(client: Client, url: str, body: dict, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def put(client: Client, url: str, body: dict, **extra):
    return client.put(url, json.dumps(body), content_type="application/json", **extra)


def test_teacher_creates_reads_replaces_and_deletes(client, world):
    client.force_login(world.teacher)
    created = post(client, "/api/blueprints/", document(world))
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["owner"], body["subject"], body["grade"], body["total_items"], body["total_points"]) == (
        world.school.pk,
        "toan-bp",
        12,
        13,
        "6.25",
    )
    assert [p["position"] for p in body["parts"]] == [1, 2]
    assert body["parts"][0]["cells"][0] == {"topic": world.algebra.pk, "level": KNOW, "item_count": 6}
    url = f"/api/blueprints/{body['id']}/"

    listed = client.get("/api/blueprints/").json()["results"]
    assert [b["id"] for b in listed] == [body["id"]] and "cells" not in listed[0]["parts"][0]
    assert client.get("/api/blueprints/?subject=ly-bp").json()["results"] == []
    assert client.get(url).json() == body

    replaced = put(client, url, document(world, title="Đề mới", parts=document(world)["parts"][1:]))
    assert replaced.status_code == 200
    assert replaced.json()["title"] == "Đề mới" and [p["label"] for p in replaced.json()["parts"]] == ["Phần II"]
    assert BlueprintPart.objects.filter(blueprint_id=body["id"]).count() == 1

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert not Blueprint.objects.exists()


def test_availability_endpoint(client, world):
    stock_bank(world)
    blueprint = national_blueprint(world)
    client.force_login(world.teacher)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # as the language menu sets it
    report = client.get(f"/api/blueprints/{blueprint.pk}/availability/").json()
    assert report["blueprint"] == blueprint.pk and report["ok"] is False
    assert [s["message"] for s in report["shortfalls"]] == [
        "Phần I: topic Đại số needs 6 approved Knowing items, the bank has 4.",
        "Phần I: topic Hàm số needs 2 approved Understanding items, the bank has 1.",
    ]
    client.force_login(world.board)
    board = client.get(f"/api/blueprints/{blueprint.pk}/availability/").json()
    assert cells_of(board)[(1, world.algebra.pk, KNOW)]["available"] == 5


@pytest.mark.parametrize("role", [Role.STUDENT, Role.PROCTOR])
def test_other_roles_are_refused(client, world, role):
    blueprint = national_blueprint(world)
    client.force_login(make_user(role, world.school))
    url = f"/api/blueprints/{blueprint.pk}/"
    for response in (
        client.get("/api/blueprints/"),
        post(client, "/api/blueprints/", document(world)),
        client.get(url),
        put(client, url, document(world)),
        client.delete(url),
        client.get(f"{url}availability/"),
    ):
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert Blueprint.objects.get().title == "Kiểm tra giữa kỳ I"


def test_teacher_of_another_school_sees_nothing(client, world):
    blueprint = national_blueprint(world)
    client.force_login(world.sibling_teacher)
    url = f"/api/blueprints/{blueprint.pk}/"
    assert client.get("/api/blueprints/").json()["results"] == []
    for response in (
        client.get(url),
        put(client, url, document(world)),
        client.delete(url),
        client.get(f"{url}availability/"),
    ):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    refused = post(client, "/api/blueprints/", document(world, owner=world.school.pk))
    assert refused.status_code == 403
    assert Blueprint.objects.get().title == "Kiểm tra giữa kỳ I"


def test_department_board_works_on_its_schools_blueprints(client, world):
    blueprint = national_blueprint(world)
    client.force_login(world.board)
    url = f"/api/blueprints/{blueprint.pk}/"
    assert [b["id"] for b in client.get("/api/blueprints/").json()["results"]] == [blueprint.pk]
    assert put(client, url, document(world, title="Duyệt lại")).json()["owner"] == world.school.pk
    own = post(client, "/api/blueprints/", document(world))
    assert own.status_code == 201 and own.json()["owner"] == world.department.pk
    client.force_login(world.teacher)  # a school does not see its department's blueprints
    assert [b["id"] for b in client.get("/api/blueprints/").json()["results"]] == [blueprint.pk]


def _first_part(world: World, **change) -> dict:
    """The document's parts, the first one changed."""
    parts = document(world)["parts"]
    return {"parts": [{**parts[0], **change}, *parts[1:]]}


def _cells(world: World, *cells: tuple[Topic | int, str, int]) -> dict:
    return _first_part(
        world,
        cells=[
            {"topic": topic if isinstance(topic, int) else topic.pk, "level": level, "item_count": n}
            for topic, level, n in cells
        ],
    )


def _many_cells(world: World) -> dict:
    topics = Topic.objects.bulk_create(Topic(subject=world.subject, name=f"Bài {n}") for n in range(167))
    cells = [{"topic": t.pk, "level": lv, "item_count": 1} for t in topics for lv in (KNOW, UNDERSTAND, APPLY)]
    first, second = document(world)["parts"]
    return {"parts": [{**first, "cells": cells[:251]}, {**second, "cells": cells[251:]}]}  # 501 cells


BAD_DOCUMENTS = {
    "no title": (lambda w: {"title": ""}, "title"),
    "unknown subject": (lambda w: {"subject": "khong-co"}, "subject"),
    "grade 13": (lambda w: {"grade": 13}, "grade"),
    "no parts": (lambda w: {"parts": []}, "parts"),
    "parts not a list": (lambda w: {"parts": "Phần I"}, "parts"),
    "eleven parts": (lambda w: {"parts": document(w)["parts"][:1] * 11}, "parts"),
    "501 cells": (_many_cells, "parts"),
    "no label": (lambda w: _first_part(w, label=""), "parts.0.label"),
    "unknown item type": (lambda w: _first_part(w, item_type="free_text"), "parts.0.item_type"),
    "no points": (lambda w: _first_part(w, points_per_item="0"), "parts.0.points_per_item"),
    "thousandths": (lambda w: _first_part(w, points_per_item="0.125"), "parts.0.points_per_item"),
    "no cells": (lambda w: _first_part(w, cells=[]), "parts.0.cells"),
    "zero items": (lambda w: _cells(w, (w.algebra, KNOW, 1), (w.geometry, KNOW, 0)), "parts.0.cells.1.item_count"),
    "201 items": (lambda w: _cells(w, (w.algebra, KNOW, 201)), "parts.0.cells.0.item_count"),
    "topic of physics": (lambda w: _cells(w, (w.algebra, KNOW, 1), (w.kinematics, KNOW, 1)), "parts.0.cells.1.topic"),
    "no such topic": (lambda w: _cells(w, (999999, KNOW, 1)), "parts.0.cells.0.topic"),
    "unknown level": (lambda w: _cells(w, (w.algebra, "nho", 1)), "parts.0.cells.0.level"),
    "duplicate cell": (
        lambda w: _cells(w, (w.algebra, KNOW, 1), (w.algebra, APPLY, 2), (w.algebra, KNOW, 3)),
        "parts.0.cells.2",
    ),
}


@pytest.mark.parametrize("case", BAD_DOCUMENTS)
def test_api_validation_names_the_field(client, world, case):
    change, field = BAD_DOCUMENTS[case]
    client.force_login(world.teacher)
    response = post(client, "/api/blueprints/", document(world, **change(world)))
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == [field], error
    assert not Blueprint.objects.exists()


def test_api_refuses_writes_without_csrf(world):
    blueprint = national_blueprint(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.teacher)
    url = f"/api/blueprints/{blueprint.pk}/"
    assert client.get(url).status_code == 200  # reads need no token
    for response in (
        post(client, "/api/blueprints/", document(world)),
        put(client, url, document(world)),
        client.delete(url),
    ):
        assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
    assert Blueprint.objects.count() == 1 and Blueprint.objects.get().title == "Kiểm tra giữa kỳ I"
    token = client.get("/api/auth/csrf/").json()["csrf_token"]
    assert post(client, "/api/blueprints/", document(world), HTTP_X_CSRFTOKEN=token).status_code == 201
    assert client.delete(url, HTTP_X_CSRFTOKEN=token).status_code == 204


def test_anonymous_is_asked_to_log_in(client, world):
    response = client.get("/api/blueprints/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
