"""REST endpoints and pages: authentication, CSRF, roles and organisations, health."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import Role
from assess import services
from tests.factories import PASSWORD, make_school, make_user

pytestmark = pytest.mark.django_db


def login(client: Client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def test_healthz_reports_mode_and_components(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["state"] == "ok" and body["channel_layer"]["state"] == "ok"
    assert body["mode"] in {"embedded", "services"}


def test_api_login_requires_csrf_and_right_password(db):
    student = make_user(Role.STUDENT, make_school())
    client = Client(enforce_csrf_checks=True)
    payload = json.dumps({"username": student.username, "password": PASSWORD})
    refused = client.post("/api/auth/login/", payload, content_type="application/json")
    assert refused.status_code == 403  # no CSRF token
    token = client.get("/api/auth/csrf/").json()["csrf_token"]
    wrong = client.post(
        "/api/auth/login/",
        json.dumps({"username": student.username, "password": "nope"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    malformed = client.post("/api/auth/login/", "{oops", content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed"
    ok = client.post("/api/auth/login/", payload, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 200 and ok.json()["user"]["role"] == "student"
    assert client.get("/api/me/").json()["user"]["username"] == student.username


def test_student_lists_own_attempts_only(client, sitting):
    mine, theirs = sitting.attempts.order_by("pk")[:2]
    login(client, mine.student)
    body = client.get("/api/me/attempts/").json()
    assert [a["id"] for a in body["results"]] == [mine.pk]
    assert body["results"][0]["ws_path"] == f"/ws/attempts/{mine.pk}/"
    assert client.get(f"/api/attempts/{theirs.pk}/").status_code == 404  # not even its existence
    assert client.get(f"/api/attempts/{theirs.pk}/").json()["error"]["code"] == "not_found"
    assert client.get(f"/exam/{theirs.pk}/").status_code == 404
    assert client.get(f"/exam/{mine.pk}/").status_code == 200


def test_anonymous_is_refused_everywhere(client, sitting):
    for url in ("/api/me/attempts/", "/api/sittings/", f"/api/sittings/{sitting.pk}/results/", "/api/items/"):
        response = client.get(url)
        assert response.status_code in (401, 403), url
        assert response.json()["error"]["code"] == "not_authenticated"
    assert client.get("/exam/").status_code == 302
    assert client.get("/board/").status_code == 302


def test_board_sees_results_of_its_organisations_only(client, sitting, django_capture_on_commit_callbacks):
    attempt = sitting.attempts.first()
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    board = make_user(Role.BOARD, sitting.organisation.parent)
    login(client, board)
    results = client.get(f"/api/sittings/{sitting.pk}/results/").json()
    scored = [c for c in results["candidates"] if c["status"] == "scored"]
    assert len(scored) == 1 and scored[0]["score_10"] is not None
    assert sum(b["count"] for b in results["distribution"]) == 1
    page = client.get(f"/board/sittings/{sitting.pk}/")
    assert page.status_code == 200 and attempt.student.learner_id in page.content.decode()
    record = client.get(f"/api/students/{attempt.student_id}/record/").json()
    assert len(record["entries"]) == 1 and record["entries"][0]["entry_type"] == "midterm"

    outsider = make_user(Role.BOARD, make_school().parent)
    client.force_login(outsider)
    assert client.get(f"/api/sittings/{sitting.pk}/results/").status_code == 404
    assert client.get(f"/board/sittings/{sitting.pk}/").status_code == 404
    assert client.get(f"/api/students/{attempt.student_id}/record/").status_code == 403
    assert client.get("/api/sittings/").json()["results"] == []


@pytest.mark.parametrize("role", [Role.STUDENT, Role.TEACHER, Role.PROCTOR])
def test_other_roles_cannot_see_board_pages(client, sitting, role):
    client.force_login(make_user(role, sitting.organisation))
    if role == Role.TEACHER:  # a teacher lists the assignments they run: never the board's exams
        assert client.get("/api/sittings/").json()["results"] == []
        assert client.get(f"/api/sittings/{sitting.pk}/results/").status_code == 404
    else:
        assert client.get("/api/sittings/").status_code == 403
        assert client.get(f"/api/sittings/{sitting.pk}/results/").status_code == 403
    assert client.get("/board/").status_code == 403


def test_student_sees_own_record_but_not_anothers(client, sitting):
    mine, theirs = sitting.attempts.order_by("pk")[:2]
    login(client, mine.student)
    assert client.get(f"/api/students/{mine.student_id}/record/").status_code == 200
    assert client.get(f"/api/students/{theirs.student_id}/record/").status_code == 403


def test_login_page_and_role_redirects(client, sitting):
    assert client.get("/login/").status_code == 200
    student = sitting.attempts.first().student
    response = client.post("/login/", {"username": student.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/", follow=False)["Location"] == "/exam/"
    client.force_login(make_user(Role.BOARD, sitting.organisation.parent))
    assert client.get("/")["Location"] == "/board/"


def test_exam_page_holds_no_item_content(client, sitting):
    attempt = sitting.attempts.first()
    login(client, attempt.student)
    html = client.get(f"/exam/{attempt.pk}/").content.decode()
    first = attempt.form.form_items.select_related("item_version").first().item_version
    assert first.stem not in html and "key" not in json.dumps(html.split("runner-config")[1][:300])


def test_ui_is_vietnamese_by_default_and_english_on_request(client):
    vi = client.get("/login/").content.decode()
    assert 'lang="vi"' in vi and "Đăng nhập" in vi
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    en = client.get("/login/").content.decode()
    assert 'lang="en"' in en and "Log in" in en


def test_exam_runner_text_is_translated(client, sitting):
    attempt = sitting.attempts.first()
    login(client, attempt.student)
    html = client.get(f"/exam/{attempt.pk}/").content.decode()
    assert "Bắt đầu làm bài" in html and "Nộp bài" in html
    script = html.split('<script id="runner-text" type="application/json">')[1].split("</script>")[0]
    assert json.loads(script)["saved"] == "Đã lưu tất cả câu trả lời"


def test_browser_language_does_not_override_vietnamese(client):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="vi"' in page.content.decode() and page["Content-Language"] == "vi"


def test_api_csrf_failure_is_json(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/auth/login/", "{}", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    page = client.post("/login/", {"username": "x", "password": "y"})
    assert page.status_code == 403 and "text/html" in page["Content-Type"]


def test_api_without_session_answers_401(client):
    response = client.get("/api/me/attempts/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
