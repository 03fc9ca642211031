"""The REST doors of classes and rosters: who may do what, and every bad request's answer."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from accounts.models import ClassMembership, Role, SchoolClass, User
from itembank.models import Subject
from tests.accounts.test_roster import YEAR, full_roster, workbook
from tests.factories import logged_in_client, make_school, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    Subject.objects.get_or_create(code="van", defaults={"name": "Ngữ văn"})
    return make_school()


def upload(data: bytes, name: str = "lop.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def post_roster(client, path, school, data, year=YEAR, name="lop.xlsx"):
    return client.post(path, {"file": upload(data, name), "organisation": school.pk, "school_year": year})


def import_roster(client, school, data, year=YEAR):
    """POST /api/rosters/ (202 and a job), the job run as the worker would, then the job as
    ``GET /api/jobs/<id>/`` shows it: (status code of the post, the job)."""
    from django.test.testcases import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = post_roster(client, "/api/rosters/", school, data, year=year)
    if response.status_code != 202:
        return response.status_code, response.json()
    job = client.get(f"/api/jobs/{response.json()['job']['id']}/").json()
    return response.status_code, job


def test_a_school_administrator_downloads_the_template_previews_then_imports(school):
    client = logged_in_client(make_user(Role.SCHOOL_ADMIN, school))
    template = client.get("/api/rosters/template/")
    assert template.status_code == 200
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(template.content)).sheetnames == ["Lớp", "Giáo viên", "Học sinh"]

    preview = post_roster(client, "/api/rosters/preview/", school, full_roster())
    assert preview.status_code == 200, preview.json()
    body = preview.json()
    assert body["ok"] is True and body["problems"] == []
    assert body["counts"]["students"]["created"] == 3
    assert not User.objects.filter(role=Role.STUDENT).exists()  # a preview writes nothing

    code, job = import_roster(client, school, full_roster())
    assert code == 202 and job["status"] == "succeeded" and job["percent"] == 100, job
    assert job["result"]["counts"]["students"]["created"] == 3
    code, again = import_roster(client, school, full_roster())
    assert again["status"] == "succeeded" and again["result"]["counts"]["students"]["unchanged"] == 3

    listed = client.get("/api/classes/", {"school_year": YEAR}).json()["results"]
    assert [(c["name"], c["grade"], c["student_count"]) for c in listed] == [("10A1", 10, 2), ("10A2", 10, 1)]
    detail = client.get(f"/api/classes/{listed[0]['id']}/").json()
    assert [s["name"] for s in detail["students"]] == ["Nguyễn Văn An", "Phạm Thị Hoa"]
    assert detail["homeroom_teacher"]["name"] == "Trần Thị Bình"
    assert {(t["teacher"]["staff_id"], t["subject"]) for t in detail["subject_teachers"]} == {("GV001", "toan")}


def test_a_roster_with_problems_is_refused_whole_with_its_report(school):
    client = logged_in_client(make_user(Role.SCHOOL_ADMIN, school))
    bad = full_roster(
        students=[
            ["Mã định danh", "Họ và tên", "Lớp"],
            ["HS0000000001", "An", "10A1"],
            ["HS0000000002", "Bình", "11B7"],
        ]
    )
    code, job = import_roster(client, school, bad)
    assert code == 202 and job["status"] == "failed"
    error = job["error"]
    assert error["code"] == "roster_problems"
    assert error["report"]["ok"] is False
    assert [(p["sheet"], p["row"]) for p in error["report"]["problems"]] == [("Học sinh", 3)]
    assert not User.objects.filter(role=Role.STUDENT).exists() and not SchoolClass.objects.exists()

    for data, name in ((b"not a roster at all", "lop.csv"), (b"PK\x03\x04broken", "lop.xlsx")):
        response = post_roster(client, "/api/rosters/preview/", school, data, name=name)
        assert response.status_code == 200 and response.json()["ok"] is False
    missing = client.post("/api/rosters/preview/", {"organisation": school.pk, "school_year": YEAR})
    assert missing.status_code == 400 and "file" in missing.json()["error"]["fields"]
    wrong_year = post_roster(client, "/api/rosters/preview/", school, full_roster(), year="2026")
    assert wrong_year.status_code == 400 and "school_year" in wrong_year.json()["error"]["fields"]


def test_who_may_import_and_see_classes(school):
    admin_client = logged_in_client(make_user(Role.SCHOOL_ADMIN, school))
    assert import_roster(admin_client, school, full_roster())[1]["status"] == "succeeded"
    for role in (Role.TEACHER, Role.BOARD, Role.PROCTOR, Role.STUDENT):
        client = logged_in_client(make_user(role, school))
        assert post_roster(client, "/api/rosters/", school, full_roster()).status_code == 403
        assert post_roster(client, "/api/rosters/preview/", school, full_roster()).status_code == 403
        # A teacher may fetch the template (a homeroom teacher imports their class with it).
        assert client.get("/api/rosters/template/").status_code == (200 if role == Role.TEACHER else 403)
    # Another school's administrator does not even learn that the school exists.
    stranger = logged_in_client(make_user(Role.SCHOOL_ADMIN, make_school()))
    assert post_roster(stranger, "/api/rosters/preview/", school, full_roster()).status_code == 404
    assert post_roster(stranger, "/api/rosters/", school, full_roster()).status_code == 404
    # A job is its owner's: anyone else does not see it.
    code, job = import_roster(admin_client, school, full_roster())
    assert stranger.get(f"/api/jobs/{job['id']}/").status_code == 404
    assert stranger.get("/api/classes/").json()["results"] == []
    a1 = SchoolClass.objects.get(name="10A1")
    assert stranger.get(f"/api/classes/{a1.pk}/").status_code == 404

    # The board sees its schools' classes; a teacher the classes they teach; a student none.
    board = logged_in_client(make_user(Role.BOARD, school.parent))
    assert [c["name"] for c in board.get("/api/classes/").json()["results"]] == ["10A1", "10A2"]
    imported = User.objects.get(staff_id="GV002")
    assert logged_in_client(imported).get("/api/classes/").json()["error"]["code"] == "password_change_required"
    User.objects.filter(pk=imported.pk).update(must_change_password=False)  # they changed their first one
    teacher = logged_in_client(User.objects.get(pk=imported.pk))
    assert [c["name"] for c in teacher.get("/api/classes/").json()["results"]] == ["10A2"]
    assert teacher.get(f"/api/classes/{a1.pk}/").status_code == 404
    assert logged_in_client(make_user(Role.STUDENT, school)).get("/api/classes/").status_code == 403
    assert board.post("/api/classes/", {"school": school.pk}, content_type="application/json").status_code == 403
    assert board.patch(f"/api/classes/{a1.pk}/", {"grade": 11}, content_type="application/json").status_code == 403


def test_classes_are_created_changed_and_students_moved_with_their_history(school):
    client = logged_in_client(make_user(Role.SCHOOL_ADMIN, school))
    teacher = make_user(Role.TEACHER, school, first_name="Bình", last_name="Trần Thị")
    created = client.post(
        "/api/classes/",
        {"school": school.pk, "school_year": YEAR, "name": " 11 B1 ", "grade": 11, "homeroom_teacher": teacher.pk},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    b1 = created.json()
    assert (b1["name"], b1["homeroom_teacher"]["name"]) == ("11 B1", "Trần Thị Bình")
    duplicate = client.post(
        "/api/classes/",
        {"school": school.pk, "school_year": YEAR, "name": "11 B1", "grade": 11},
        content_type="application/json",
    )
    assert duplicate.status_code == 400
    b2 = client.post(
        "/api/classes/",
        {"school": school.pk, "school_year": YEAR, "name": "11B2", "grade": 11},
        content_type="application/json",
    ).json()
    outsider = make_user(Role.TEACHER, make_school())
    refused = client.patch(
        f"/api/classes/{b1['id']}/", {"homeroom_teacher": outsider.pk}, content_type="application/json"
    )
    assert refused.status_code == 400 and "homeroom_teacher" in refused.json()["error"]["fields"]
    renamed = client.patch(f"/api/classes/{b1['id']}/", {"name": "11A1", "grade": 11}, content_type="application/json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "11A1"

    student = make_user(Role.STUDENT, school)
    for target in (b1, b2, b2):
        placed = client.post(
            f"/api/classes/{target['id']}/students/", {"student": student.pk}, content_type="application/json"
        )
        assert placed.status_code == 200, placed.json()
    history = list(ClassMembership.objects.filter(student=student).order_by("joined_at", "pk"))
    assert [(m.school_class_id, m.left_at is None) for m in history] == [(b1["id"], False), (b2["id"], True)]

    elsewhere = make_user(Role.STUDENT, make_school())
    assert (
        client.post(
            f"/api/classes/{b1['id']}/students/", {"student": elsewhere.pk}, content_type="application/json"
        ).status_code
        == 404
    )
    for bad in ({"student": "abc"}, {"student": 0}, {}):
        assert (
            client.post(f"/api/classes/{b1['id']}/students/", bad, content_type="application/json").status_code == 400
        )
    for params in ({"school": "abc"}, {"school_year": "2026"}, {"school": "99999999999999999999"}):
        assert client.get("/api/classes/", params).status_code == 400


def test_a_reset_password_is_shown_once_audited_and_must_be_changed_first(school):
    from accounts.models import AccountEvent

    admin = make_user(Role.SCHOOL_ADMIN, school)
    client = logged_in_client(admin)
    student = make_user(Role.STUDENT, school)
    response = client.post(f"/api/people/{student.pk}/password/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = response.json()["password"]
    assert len(password) >= 10 and not password.isdigit()
    student.refresh_from_db()
    assert student.must_change_password and student.check_password(password)
    event = AccountEvent.objects.get(user=student, kind=AccountEvent.Kind.PASSWORD_RESET)
    assert event.by == admin

    # Others may not; nobody outside the administrator's organisations is found.
    for role in (Role.TEACHER, Role.BOARD, Role.STUDENT):
        assert logged_in_client(make_user(role, school)).post(f"/api/people/{student.pk}/password/").status_code == 403
    outsider = make_user(Role.STUDENT, make_school())
    assert client.post(f"/api/people/{outsider.pk}/password/").status_code == 404
    board = make_user(Role.BOARD, school.parent)
    assert client.post(f"/api/people/{board.pk}/password/").status_code == 404

    # The student logs in with it: everything but changing it is closed until they do.
    from django.test import Client

    browser = Client()
    assert browser.post("/login/", {"username": student.username, "password": password}).status_code == 302
    assert browser.get("/exam/")["Location"].endswith("/password/")
    refused = browser.get("/api/me/attempts/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "password_change_required"
    assert browser.get("/api/me/").json()["user"]["must_change_password"] is True
    changed = browser.post(
        "/password/",
        {"old_password": password, "new_password1": "mây-trắng-bay-2026", "new_password2": "mây-trắng-bay-2026"},
    )
    assert changed.status_code == 302
    student.refresh_from_db()
    assert not student.must_change_password
    assert browser.get("/exam/").status_code == 200
    assert browser.get("/api/me/attempts/").status_code == 200


def test_the_class_page_gives_a_student_a_new_password(school):
    from accounts.services import class_create, class_place_student

    admin = make_user(Role.SCHOOL_ADMIN, school)
    school_class = class_create(by=admin, school_id=school.pk, school_year=YEAR, name="10A1", grade=10)
    student = make_user(Role.STUDENT, school)
    class_place_student(by=admin, class_id=school_class.pk, student_id=student.pk)
    client = logged_in_client(admin)
    page = client.get(f"/people/classes/{school_class.pk}/")
    assert page.status_code == 200 and f"reset-{student.learner_id}".encode() in page.content
    done = client.post(f"/people/classes/{school_class.pk}/students/{student.pk}/password/")
    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    student.refresh_from_db()
    shown = done.content.decode()
    password = shown.split('data-testid="new-password"><strong>')[1].split("<")[0]
    assert student.check_password(password)
    # A teacher reads the class but gives no passwords.
    teacher = make_user(Role.TEACHER, school)
    school_class.homeroom_teacher = teacher
    school_class.save()
    teacher_client = logged_in_client(teacher)
    assert b"reset-" not in teacher_client.get(f"/people/classes/{school_class.pk}/").content
    assert teacher_client.post(f"/people/classes/{school_class.pk}/students/{student.pk}/password/").status_code == 403


def test_login_cards_give_first_passwords_to_those_who_never_logged_in(school):
    import csv

    from django.utils import timezone

    from accounts.models import AccountEvent
    from accounts.services import class_create, class_place_student

    admin = make_user(Role.SCHOOL_ADMIN, school)
    school_class = class_create(by=admin, school_id=school.pk, school_year=YEAR, name="10A1", grade=10)
    new, returning = make_user(Role.STUDENT, school), make_user(Role.STUDENT, school)
    User.objects.filter(pk=returning.pk).update(last_login=timezone.now())
    for student in (new, returning):
        class_place_student(by=admin, class_id=school_class.pk, student_id=student.pk)
    client = logged_in_client(admin)

    response = client.post(f"/api/classes/{school_class.pk}/login-cards/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    [card] = response.json()["results"]
    assert card["user"]["learner_id"] == new.learner_id
    new.refresh_from_db()
    assert new.check_password(card["password"]) and new.must_change_password
    assert AccountEvent.objects.get(user=new, kind=AccountEvent.Kind.PASSWORD_RESET).detail["login_card"] is True
    returning_before = User.objects.get(pk=returning.pk).password
    assert User.objects.get(pk=returning.pk).password == returning_before

    page = client.post(f"/people/classes/{school_class.pk}/login-cards/", {"format": "html"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    shown = page.content.decode().split('data-testid="card-password">')[1].split("<")[0]
    new.refresh_from_db()
    assert new.check_password(shown) and not new.check_password(card["password"])  # each issue is new

    exported = client.post(f"/people/classes/{school_class.pk}/login-cards/", {"format": "csv"})
    assert exported["Content-Type"].startswith("text/csv") and exported["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][2] == new.learner_id
    new.refresh_from_db()
    assert new.check_password(rows[1][4])

    teacher = logged_in_client(make_user(Role.TEACHER, school))
    assert teacher.post(f"/api/classes/{school_class.pk}/login-cards/").status_code == 403
    stranger = logged_in_client(make_user(Role.SCHOOL_ADMIN, make_school()))
    assert stranger.post(f"/api/classes/{school_class.pk}/login-cards/").status_code == 404
    assert stranger.post(f"/people/classes/{school_class.pk}/login-cards/").status_code == 404


def test_a_homeroom_teacher_imports_their_class_from_the_api_and_the_page(school):
    admin_client = logged_in_client(make_user(Role.SCHOOL_ADMIN, school))
    assert import_roster(admin_client, school, full_roster())[1]["status"] == "succeeded"
    homeroom = User.objects.get(staff_id="GV001")
    User.objects.filter(pk=homeroom.pk).update(must_change_password=False)
    client = logged_in_client(User.objects.get(pk=homeroom.pk))
    page = client.get("/people/").content.decode()
    assert 'data-testid="homeroom-hint"' in page and "10A1" in page and 'id="roster-form"' in page
    students = [["Mã định danh", "Họ và tên", "Ngày sinh", "Giới tính", "Lớp"]]
    students.append(["HS0000000009", "Vũ Thu Trang", "01/09/2010", "Nữ", "10A1"])
    data = workbook(("Học sinh", students))
    preview = post_roster(client, "/api/rosters/preview/", school, data)
    assert preview.status_code == 200 and preview.json()["ok"], preview.json()
    code, job = import_roster(client, school, data)
    assert code == 202 and job["status"] == "succeeded", job
    assert job["result"]["counts"]["students"]["created"] == 1
    assert ClassMembership.objects.get(student__learner_id="HS0000000009").school_class.name == "10A1"
    # Another class's student is a problem of the file, in the person's language.
    students.append(["HS0000000010", "Lê Hà", "01/01/2010", "Nữ", "10A2"])
    code, job = import_roster(client, school, workbook(("Học sinh", students)))
    assert job["status"] == "failed" and job["error"]["code"] == "roster_problems"
    assert [p["message"] for p in job["error"]["report"]["problems"]] == [
        "Thầy/cô không phải giáo viên chủ nhiệm lớp 10A2."
    ]
    # Another school does not exist for them; a colleague without a homeroom class is refused.
    assert post_roster(client, "/api/rosters/", make_school(), data).status_code == 404
    colleague = logged_in_client(make_user(Role.TEACHER, school))
    assert colleague.get("/people/").content.decode().count('id="roster-form"') == 0
    refused = post_roster(colleague, "/api/rosters/preview/", school, data)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
