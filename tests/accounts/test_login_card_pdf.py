"""Login cards as a PDF: the first passwords of a class to print and cut, issued as before."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import AccountEvent, Role, User
from accounts.services import class_create, class_place_student
from tests.factories import logged_in_client, make_school, make_user

pytestmark = pytest.mark.django_db

YEAR = "2026-2027"
NAMES = [("Nguyễn Văn", "An"), ("Trần Thị", "Bích"), ("Lê Đức", "Cường"), ("Phạm Ngọc", "Diệp")]


def _text(pdf: bytes) -> list[str]:
    """Each page's text, its whitespace made single spaces."""
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def klass():
    school = make_school()
    admin = make_user(Role.SCHOOL_ADMIN, school)
    school_class = class_create(by=admin, school_id=school.pk, school_year=YEAR, name="10A1", grade=10)
    students = []
    for last, first in NAMES:
        student = make_user(Role.STUDENT, school, last_name=last, first_name=first)
        class_place_student(by=admin, class_id=school_class.pk, student_id=student.pk)
        students.append(student)
    returning = students.pop()  # has logged in: keeps their password, gets no card
    User.objects.filter(pk=returning.pk).update(last_login=timezone.now())
    return school, admin, school_class, students, returning


def _cards(pdf: bytes) -> dict[str, str]:
    """User name -> the password on its card."""
    text = " ".join(_text(pdf))
    found = dict(re.findall(r"Tên đăng nhập: (\S+) Mật khẩu: (\S+)", text))
    assert found, text
    return found


def test_the_pdf_cards_carry_a_first_password_for_every_student_who_never_logged_in(klass):
    school, admin, school_class, students, returning = klass
    returning_password = User.objects.get(pk=returning.pk).password
    response = logged_in_client(admin).post(f"/api/classes/{school_class.pk}/login-cards.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == 'attachment; filename="the-dang-nhap-lop-10a1.pdf"'
    [page] = _text(response.content)
    assert f"{school.name} · Lớp 10A1" in page
    assert "http://testserver/login/" in page and "Trang 1/1" in page
    for student in students:
        assert student.get_full_name() in page  # "Nguyễn Văn An": the diacritics survive
        assert student.learner_id in page
    cards = _cards(response.content)
    assert sorted(cards) == sorted(s.username for s in students)
    assert returning.username not in page
    assert User.objects.get(pk=returning.pk).password == returning_password

    # Issued now, audited, stored hashed, to be changed at the first login.
    for student in students:
        student.refresh_from_db()
        assert student.check_password(cards[student.username]) and student.must_change_password
        event = AccountEvent.objects.get(user=student, kind=AccountEvent.Kind.PASSWORD_RESET)
        assert event.by == admin and event.detail == {"login_card": True, "class": school_class.pk}

    # A card's password logs in; everything but changing it stays closed until it is changed.
    student = students[0]
    browser = Client()
    assert (
        browser.post("/login/", {"username": student.username, "password": cards[student.username]}).status_code == 302
    )
    refused = browser.get("/api/me/attempts/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "password_change_required"
    assert browser.get("/exam/")["Location"].endswith("/password/")


def test_each_press_issues_new_passwords_from_the_class_page_too(klass):
    _school, admin, school_class, students, _returning = klass
    client = logged_in_client(admin)
    page = client.get(f"/people/classes/{school_class.pk}/").content.decode()
    assert 'data-testid="login-cards-pdf"' in page and 'value="pdf"' in page

    first = _cards(client.post(f"/api/classes/{school_class.pk}/login-cards.pdf").content)
    response = client.post(f"/people/classes/{school_class.pk}/login-cards/", {"format": "pdf"})
    assert response["Content-Type"] == "application/pdf" and response["Cache-Control"] == "no-store"
    second = _cards(response.content)
    for student in students:
        student.refresh_from_db()
        assert student.check_password(second[student.username])
        assert not student.check_password(first[student.username])
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.PASSWORD_RESET).count() == 2 * len(students)


def test_ten_cards_a_page(klass):
    school, admin, school_class, students, _returning = klass
    for number in range(9):
        student = make_user(Role.STUDENT, school, last_name="Học sinh", first_name=f"số {number}")
        class_place_student(by=admin, class_id=school_class.pk, student_id=student.pk)
    pages = _text(logged_in_client(admin).post(f"/api/classes/{school_class.pk}/login-cards.pdf").content)
    assert len(pages) == 2  # 12 cards
    assert [page.count("Mật khẩu:") for page in pages] == [10, 2]
    assert "Trang 2/2" in pages[1]


def test_a_class_whose_students_all_logged_in_gets_a_page_that_says_so(klass):
    _school, admin, school_class, students, _returning = klass
    User.objects.filter(pk__in=[s.pk for s in students]).update(last_login=timezone.now())
    [page] = _text(logged_in_client(admin).post(f"/api/classes/{school_class.pk}/login-cards.pdf").content)
    assert "Mật khẩu:" not in page and "đã đăng nhập" in page
    assert not AccountEvent.objects.exists()


def test_only_the_schools_administrators_print_cards(klass):
    school, _admin, school_class, students, _returning = klass
    before = {student.pk: student.password for student in students}
    url = f"/api/classes/{school_class.pk}/login-cards.pdf"
    for role in (Role.TEACHER, Role.BOARD, Role.STUDENT, Role.PROCTOR):
        assert logged_in_client(make_user(role, school)).post(url).status_code == 403
    stranger = logged_in_client(make_user(Role.SCHOOL_ADMIN, make_school()))
    assert stranger.post(url).status_code == 404
    assert stranger.post(f"/people/classes/{school_class.pk}/login-cards/", {"format": "pdf"}).status_code == 404
    assert Client().post(url).status_code in (401, 403)
    assert logged_in_client(make_user(Role.SCHOOL_ADMIN, school)).get(url).status_code == 405
    assert not AccountEvent.objects.exists()
    assert {s.pk: s.password for s in User.objects.filter(pk__in=before)} == before
