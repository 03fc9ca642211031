"""Strong passwords wherever a person sets one, and a hasher whose cost is chosen (issue 8,
finding 4): Django's validators with the common-password list, a page and an API call to
change one's own password, the admin's forms, Argon2id with OWASP's parameters and the
upgrade of older hashes at the next login."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import Client

from accounts.models import AccountEvent, Role, User
from tests.factories import PASSWORD, make_school, make_user

pytestmark = pytest.mark.django_db

WEAK = ["12345678", "1234567890", "password123", "matkhau123", "qwertyuiop", "short1!"]
STRONG = "Lúa chín vàng đồng 2026"


def change(client: Client, old: str, new: str):
    return client.post(
        "/api/me/password/",
        json.dumps({"old_password": old, "new_password": new}),
        content_type="application/json",
    )


@pytest.mark.parametrize("weak", WEAK + ["{username}2026"])
def test_the_api_refuses_weak_new_passwords(weak):
    student = make_user(Role.STUDENT, make_school(), username="nguyenvanan")
    client = Client()
    client.force_login(student)
    response = change(client, PASSWORD, weak.format(username=student.username))
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and body["fields"]["new_password"]
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


def test_a_person_changes_their_own_password_through_the_api_and_stays_logged_in():
    student = make_user(Role.STUDENT, make_school())
    client = Client()
    client.force_login(student)
    wrong_old = change(client, "not my password", STRONG)
    assert wrong_old.status_code == 400 and "old_password" in wrong_old.json()["error"]["fields"]
    ok = change(client, PASSWORD, STRONG)
    assert ok.status_code == 200 and ok.json()["ok"] is True
    assert client.get("/api/me/").status_code == 200
    student.refresh_from_db()
    assert student.check_password(STRONG)
    assert AccountEvent.objects.filter(user=student, kind="password_changed", by=student).count() == 1
    assert Client().login(username=student.username, password=STRONG)


def test_the_api_password_change_needs_a_login_and_both_fields():
    assert change(Client(), PASSWORD, STRONG).status_code == 401
    client = Client()
    client.force_login(make_user(Role.TEACHER, make_school()))
    missing = client.post("/api/me/password/", json.dumps({"new_password": STRONG}), content_type="application/json")
    assert missing.status_code == 400 and missing.json()["error"]["fields"] == {"old_password": ["required"]}
    malformed = client.post("/api/me/password/", "[1]", content_type="application/json")
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed"


def test_guessing_the_old_password_of_an_open_session_is_throttled(settings):
    student = make_user(Role.STUDENT, make_school())
    client = Client()
    client.force_login(student)
    codes = [change(client, f"guess-{n}", STRONG).json()["error"]["code"] for n in range(settings.LOGIN_LOCK_FAILURES)]
    assert codes[-1] == "account_locked" and set(codes[:-1]) == {"invalid"}
    refused = change(client, PASSWORD, STRONG)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_locked"
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


def test_the_password_page_refuses_a_weak_password_and_accepts_a_strong_one():
    teacher = make_user(Role.TEACHER, make_school())
    client = Client()
    client.force_login(teacher)
    page = client.get("/password/")
    assert page.status_code == 200 and "Đổi mật khẩu" in page.content.decode()
    weak = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    )
    text = weak.content.decode()
    assert weak.status_code == 200 and "quá phổ biến" in text and "Mật khẩu này quá ngắn: cần ít nhất 10 ký tự." in text
    done = client.post("/password/", {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG})
    assert done.status_code == 302 and done["Location"] == "/password/done/"
    teacher.refresh_from_db()
    assert teacher.check_password(STRONG)
    assert client.get("/password/done/").status_code == 200
    assert Client().get("/password/").status_code == 302  # anonymous: to the login page


def test_the_admins_forms_apply_the_validators():
    admin = make_user(Role.ADMIN, None, is_staff=True, is_superuser=True)
    target = make_user(Role.TEACHER, make_school())
    client = Client()
    client.force_login(admin)
    add = client.post(
        "/admin/accounts/user/add/",
        {"username": "newteacher", "usable_password": "true", "password1": "12345678", "password2": "12345678"},
    )
    assert add.status_code == 200 and not User.objects.filter(username="newteacher").exists()
    assert "quá phổ biến" in add.content.decode()
    set_password = client.post(
        f"/admin/accounts/user/{target.pk}/password/",
        {"usable_password": "true", "password1": "12345678", "password2": "12345678"},
    )
    assert set_password.status_code == 200
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    # The admin's own "change password" is the site's throttled page.
    assert client.get("/admin/password_change/")["Location"] == "/password/"


def test_new_hashes_are_argon2id_with_owasp_parameters():
    encoded = make_password(STRONG)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert identify_hasher(encoded).algorithm == "argon2"


@pytest.mark.parametrize(
    "old_hasher",
    ["django.contrib.auth.hashers.PBKDF2PasswordHasher", "django.contrib.auth.hashers.Argon2PasswordHasher"],
)
def test_older_hashes_are_upgraded_at_the_next_login(old_hasher):
    from django.utils.module_loading import import_string

    student = make_user(Role.STUDENT, make_school())
    old = import_string(old_hasher)()  # PBKDF2 at 1,000,000 iterations, or Argon2 at Django's cost
    student.password = old.encode(PASSWORD, old.salt())
    student.save(update_fields=["password"])
    assert not student.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    client = Client()
    response = client.post(
        "/api/auth/login/",
        json.dumps({"username": student.username, "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200
    student.refresh_from_db()
    assert student.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
