"""Subjects and topic trees through the REST API: who may read and change them, the rules of
the tree (no cycles, one subject per tree, no deleting what is used), and the Excel template
importing once its subjects exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from accounts.models import Organisation, Role
from itembank import services, subjects
from itembank.importing import ImportDefaults, import_commit, import_preview
from itembank.interchange.xlsx import template_xlsx
from itembank.models import Item, Subject, Topic
from tests.factories import make_blueprint, make_department, make_school, make_user

pytestmark = pytest.mark.django_db

CHOICE = {"stem": "Câu hỏi", "options": [{"id": "A", "text": "1"}, {"id": "B", "text": "2"}], "key": "A"}


@dataclass
class People:
    department: Organisation
    school: Organisation
    board: Any
    school_admin: Any
    teacher: Any
    student: Any
    proctor: Any
    admin: Any
    other_board: Any  # the board of another department
    other_school_admin: Any  # the administrator of another school of the same department


@pytest.fixture
def people() -> People:
    department = make_department()
    school = make_school(department)
    other_department = make_department("Sở khác")
    return People(
        department=department,
        school=school,
        board=make_user(Role.BOARD, department),
        school_admin=make_user(Role.SCHOOL_ADMIN, school),
        teacher=make_user(Role.TEACHER, school),
        student=make_user(Role.STUDENT, school),
        proctor=make_user(Role.PROCTOR, school),
        admin=make_user(Role.ADMIN, None),
        other_board=make_user(Role.BOARD, other_department),
        other_school_admin=make_user(Role.SCHOOL_ADMIN, make_school(department)),
    )


@pytest.fixture
def toan(db) -> Subject:
    """A subject of the platform's own list (no keeper), as before this feature and in the demo."""
    return Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})[0]


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(user, url: str, body: dict) -> Any:
    return client_of(user).post(url, body, content_type="application/json")


def patch(user, url: str, body: dict) -> Any:
    return client_of(user).patch(url, body, content_type="application/json")


def fields_of(response) -> dict:
    return response.json()["error"].get("fields", {})


# --- who may read and write -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["teacher", "board", "school_admin", "admin"])
def test_staff_who_use_subjects_read_them(people, toan, who):
    response = client_of(getattr(people, who)).get("/api/subjects/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["code"], row["name"], row["owner"], row["owner_name"]) == ("toan", "Toán", None, "")
    assert row["editable"] is (who == "admin")  # the platform's own list: administrators only
    tree = client_of(getattr(people, who)).get(f"/api/subjects/{toan.pk}/topics/")
    assert tree.status_code == 200 and tree.json()["subject"]["id"] == toan.pk


@pytest.mark.parametrize("who", ["student", "proctor"])
def test_students_and_proctors_see_no_subjects(people, toan, who):
    client = client_of(getattr(people, who))
    for url in ("/api/subjects/", f"/api/subjects/{toan.pk}/", f"/api/subjects/{toan.pk}/topics/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["error"]["code"] == "forbidden"


def test_anonymous_visitors_are_asked_to_log_in(toan):
    assert Client().get("/api/subjects/").status_code in (401, 403)
    assert Client().post("/api/subjects/", {"name": "Địa lí"}, content_type="application/json").status_code in (
        401,
        403,
    )
    assert not Subject.objects.filter(name="Địa lí").exists()


@pytest.mark.parametrize("who", ["teacher", "student", "proctor"])
def test_only_the_board_and_administrators_write(people, toan, who):
    user = getattr(people, who)
    topic = subjects.topic_create(by=people.board, subject_id=toan.pk, name="Hàm số")
    attempts = [
        post(user, "/api/subjects/", {"name": "Địa lí"}),
        patch(user, f"/api/subjects/{toan.pk}/", {"name": "Toán học"}),
        post(user, f"/api/subjects/{toan.pk}/topics/", {"name": "Đạo hàm"}),
        patch(user, f"/api/topics/{topic.pk}/", {"name": "Hàm số mới"}),
        client_of(user).delete(f"/api/topics/{topic.pk}/"),
    ]
    assert [r.status_code for r in attempts] == [403] * 5
    assert Subject.objects.count() == 1 and Topic.objects.get().name == "Hàm số"


# --- subjects ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["board", "school_admin", "admin"])
def test_a_keeper_adds_a_subject_and_its_code_is_made_from_the_name(people, toan, who):
    user = getattr(people, who)
    response = post(user, "/api/subjects/", {"name": "  Địa   lí "})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["name"], body["editable"], body["topic_count"]) == ("dia-li", "Địa lí", True, 0)
    assert body["owner"] == user.organisation_id
    assert Subject.objects.get(code="dia-li").owner_id == user.organisation_id


def test_subject_names_and_codes_an_import_would_confuse_are_refused(people, toan):
    cases = [
        ({"name": "toan"}, "name"),  # Toán's code, as a name
        ({"name": "TOÁN"}, "name"),
        ({"name": "Toán học", "code": "toan"}, "code"),
        ({"name": "Toán học", "code": "Toán"}, "code"),  # not a code at all
        ({"name": "Toán học", "code": "toan hoc"}, "code"),
        ({"name": "Toán học", "code": "-toan"}, "code"),
        ({"name": "Toán học", "code": "t" * 41}, "code"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "!!!"}, "code"),  # nothing to make a code of
        ({}, "name"),
    ]
    for body, field in cases:
        response = post(people.board, "/api/subjects/", body)
        assert response.status_code == 400, body
        assert field in fields_of(response), (body, response.json())
    assert list(Subject.objects.values_list("code", flat=True)) == ["toan"]
    # No code typed: the clash of the code made from the name is the name's, said once.
    assert set(fields_of(post(people.board, "/api/subjects/", {"name": "Toán"}))) == {"name"}
    assert set(fields_of(post(people.board, "/api/subjects/", {"name": "Toán", "code": "toan"}))) == {"name", "code"}


def test_a_subject_is_changed_by_its_keepers_only(people, toan):
    dia = subjects.subject_create(by=people.school_admin, name="Địa lí")
    # The board of the school's department oversees the school: it may change it.
    response = patch(people.board, f"/api/subjects/{dia.pk}/", {"name": "Địa lý", "code": "dia-ly"})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["code"]) == ("Địa lý", "dia-ly")
    for outsider in (people.other_board, people.other_school_admin):
        refused = patch(outsider, f"/api/subjects/{dia.pk}/", {"name": "Địa"})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
    assert client_of(people.other_board).get("/api/subjects/").json()["results"][0]["editable"] is False
    # The platform's own subjects: administrators only.
    refused = patch(people.board, f"/api/subjects/{toan.pk}/", {"name": "Toán học"})
    assert refused.status_code == 403
    assert patch(people.admin, f"/api/subjects/{toan.pk}/", {"name": "Toán học"}).status_code == 200
    dia.refresh_from_db()
    toan.refresh_from_db()
    assert (dia.name, toan.name) == ("Địa lý", "Toán học")


def test_a_rename_is_checked_like_a_new_subject(people, toan):
    dia = subjects.subject_create(by=people.board, name="Địa lí")
    assert patch(people.board, f"/api/subjects/{dia.pk}/", {"name": "Toan"}).status_code == 400
    assert patch(people.board, f"/api/subjects/{dia.pk}/", {"code": "toan"}).status_code == 400
    assert patch(people.board, f"/api/subjects/{dia.pk}/", {"code": "DIA LI"}).status_code == 400
    same = patch(people.board, f"/api/subjects/{dia.pk}/", {"name": "Địa lí", "code": "dia-li"})
    assert same.status_code == 200  # its own name and code are not a clash
    assert client_of(people.board).get("/api/subjects/999999/").status_code == 404
    assert patch(people.board, "/api/subjects/999999/", {"name": "X"}).status_code == 404


# --- topics -----------------------------------------------------------------------------------------


def tree(user, subject: Subject) -> dict[str, dict]:
    response = client_of(user).get(f"/api/subjects/{subject.pk}/topics/")
    assert response.status_code == 200
    return {row["name"]: row for row in response.json()["results"]}


def test_a_keeper_builds_a_topic_tree(people, toan):
    url = f"/api/subjects/{toan.pk}/topics/"
    chapter = post(people.board, url, {"name": "Hàm số", "kind": "chapter"})
    assert chapter.status_code == 201, chapter.content
    lesson = post(people.school_admin, url, {"name": "Đạo hàm", "kind": "lesson", "parent": chapter.json()["id"]})
    assert lesson.status_code == 201, lesson.content
    assert post(people.board, url, {"name": "Đạo hàm", "parent": None}).status_code == 201  # another place
    results = client_of(people.teacher).get(url).json()["results"]
    placed = sorted((row["name"], row["parent"] or 0, row["kind"]) for row in results)
    assert placed == [("Hàm số", 0, "chapter"), ("Đạo hàm", 0, "topic"), ("Đạo hàm", chapter.json()["id"], "lesson")]
    assert Topic.objects.get(pk=lesson.json()["id"]).owner_id == people.school.pk
    assert Topic.objects.get(pk=chapter.json()["id"]).owner_id == people.department.pk
    assert not any(row["editable"] for row in results)  # a teacher reads only


def test_bad_topics_are_refused_with_the_field_at_fault(people, toan):
    other = subjects.subject_create(by=people.board, name="Vật lí")
    foreign = subjects.topic_create(by=people.board, subject_id=other.pk, name="Cơ học")
    root = subjects.topic_create(by=people.board, subject_id=toan.pk, name="Hàm số")
    url = f"/api/subjects/{toan.pk}/topics/"
    cases = [
        ({"name": "Đạo hàm", "parent": foreign.pk}, "parent"),  # a topic of another subject
        ({"name": "Đạo hàm", "parent": 987654}, "parent"),  # no such topic
        ({"name": "Đạo hàm", "parent": "abc"}, "parent"),
        ({"name": "Đạo hàm", "parent": 10**19}, "parent"),
        ({"name": "Đạo hàm", "kind": "unit"}, "kind"),
        ({"name": ""}, "name"),
        ({"name": "y" * 201}, "name"),
        ({"name": "hàm  SỐ"}, "name"),  # a sibling of this name (ignoring case and spacing)
    ]
    for body, field in cases:
        response = post(people.board, url, body)
        assert response.status_code == 400, body
        assert field in fields_of(response), (body, response.json())
    assert list(Topic.objects.filter(subject=toan).values_list("name", flat=True)) == [root.name]
    assert post(people.board, "/api/subjects/987654/topics/", {"name": "X"}).status_code == 404


def test_moving_a_topic_keeps_the_tree_a_tree(people, toan):
    a = subjects.topic_create(by=people.board, subject_id=toan.pk, name="A")
    b = subjects.topic_create(by=people.board, subject_id=toan.pk, name="B", parent_id=a.pk)
    c = subjects.topic_create(by=people.board, subject_id=toan.pk, name="C", parent_id=b.pk)
    other = subjects.subject_create(by=people.board, name="Vật lí")
    foreign = subjects.topic_create(by=people.board, subject_id=other.pk, name="Cơ học")
    subjects.topic_create(by=people.board, subject_id=toan.pk, name="C")  # a "C" at the top already
    for target, field in (
        (a.pk, "parent"),
        (b.pk, "parent"),
        (c.pk, "parent"),
        (foreign.pk, "parent"),
        (5**20, "parent"),
    ):
        response = patch(people.board, f"/api/topics/{a.pk}/", {"parent": target})
        assert response.status_code == 400, target
        assert field in fields_of(response)
    # "C" cannot go to the top: a "C" is there.
    clash = patch(people.board, f"/api/topics/{c.pk}/", {"parent": None})
    assert clash.status_code == 400 and "name" in fields_of(clash)
    parents = dict(Topic.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", "parent_id"))
    assert parents == {a.pk: None, b.pk: a.pk, c.pk: b.pk}  # nothing moved
    # A legal move: B (with C under it) to the top, then A under C.
    moved = patch(people.board, f"/api/topics/{b.pk}/", {"parent": None})
    assert moved.status_code == 200 and moved.json()["parent"] is None
    assert patch(people.board, f"/api/topics/{a.pk}/", {"parent": c.pk}).status_code == 200
    parents = dict(Topic.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", "parent_id"))
    assert parents == {b.pk: None, c.pk: b.pk, a.pk: c.pk}
    # Renaming and the kind, without moving.
    renamed = patch(people.board, f"/api/topics/{a.pk}/", {"name": "Ứng dụng", "kind": "lesson"})
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["kind"], renamed.json()["parent"]) == ("Ứng dụng", "lesson", c.pk)
    assert patch(people.board, "/api/topics/987654/", {"name": "X"}).status_code == 404


def test_topics_are_changed_by_their_keepers_only(people, toan):
    platform = Topic.objects.create(subject=toan, name="Luyện tập")  # no keeper: the platform's
    mine = subjects.topic_create(by=people.school_admin, subject_id=toan.pk, name="Của trường")
    assert patch(people.board, f"/api/topics/{platform.pk}/", {"name": "Đổi"}).status_code == 403
    assert client_of(people.board).delete(f"/api/topics/{platform.pk}/").status_code == 403
    assert patch(people.other_school_admin, f"/api/topics/{mine.pk}/", {"name": "Đổi"}).status_code == 403
    assert patch(people.other_board, f"/api/topics/{mine.pk}/", {"parent": platform.pk}).status_code == 403
    assert (
        patch(people.board, f"/api/topics/{mine.pk}/", {"name": "Của sở"}).status_code == 200
    )  # the department's board
    assert patch(people.admin, f"/api/topics/{platform.pk}/", {"name": "Ôn tập"}).status_code == 200
    rows = tree(people.other_school_admin, toan)
    assert rows["Của sở"]["editable"] is False and rows["Của sở"]["owner_name"] == people.school.name
    assert tree(people.school_admin, toan)["Của sở"]["editable"] is True


def test_a_topic_in_use_is_not_deleted_and_the_answer_says_why(people, toan):
    used = subjects.topic_create(by=people.board, subject_id=toan.pk, name="Hàm số")
    services.item_create(by=people.teacher, subject=toan, level="biet", topic=used, content=CHOICE)
    planned = subjects.topic_create(by=people.board, subject_id=toan.pk, name="Tích phân")
    make_blueprint(by=people.board, subject=toan, topic=planned)
    parent = subjects.topic_create(by=people.board, subject_id=toan.pk, name="Hình học")
    subjects.topic_create(by=people.board, subject_id=toan.pk, name="Khối đa diện", parent_id=parent.pk)
    for topic, words in ((used, "1"), (planned, "1"), (parent, "1")):
        response = client_of(people.board).delete(f"/api/topics/{topic.pk}/")
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "topic_in_use"
        assert len(error["reasons"]) == 1 and words in error["reasons"][0]
        assert error["reasons"][0] in error["message"]
    rows = tree(people.board, toan)
    assert (rows["Hàm số"]["item_count"], rows["Tích phân"]["blueprint_count"]) == (1, 1)
    assert Topic.objects.filter(subject=toan).count() == 4
    unused = subjects.topic_create(by=people.board, subject_id=toan.pk, name="Xác suất")
    assert client_of(people.board).delete(f"/api/topics/{unused.pk}/").status_code == 204
    assert not Topic.objects.filter(pk=unused.pk).exists()
    assert client_of(people.board).delete(f"/api/topics/{unused.pk}/").status_code == 404


# --- the Excel template ---------------------------------------------------------------------------


def test_the_excel_template_imports_once_its_subjects_exist(people, toan):
    report, _planned = import_preview(data=template_xlsx(), filename="template.xlsx", defaults=ImportDefaults())
    refused = [row for row in report.items if not row.ok]
    assert refused and all("Địa lí" in " ".join(row.errors) for row in refused)
    subjects.subject_create(by=people.board, name="Địa lí")
    report, _planned = import_preview(data=template_xlsx(), filename="template.xlsx", defaults=ImportDefaults())
    assert report.ok, report.as_dict() if hasattr(report, "as_dict") else report
    report, versions = import_commit(by=people.teacher, data=template_xlsx(), filename="template.xlsx")
    assert report.imported == len(versions) == len(report.items)
    assert Item.objects.filter(subject__code="dia-li").count() == 1
    # The topics the file named are added, kept by the importer's school (its board may fix them).
    added = Topic.objects.get(subject=toan, name="Hàm số")
    assert added.owner_id == people.school.pk
    assert subjects.topic_update(by=people.board, topic_id=added.pk, name="Hàm số và đồ thị").name == "Hàm số và đồ thị"
