"""Refused and failed requests: a page of the site in the chosen language, JSON under /api/.

With DEBUG off, 403, 404, 500 and a CSRF failure show the site's look (base.html, app.css) with
a way home, in Vietnamese unless the language menu chose English, one language at a time. The
500 page renders with no database and no request context. The API keeps its error shape.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client, RequestFactory
from django.urls import get_resolver

from accounts.models import Role
from config import errors
from tests.factories import make_school, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.config.error_urls")]

# The main texts of each page, as the Vietnamese catalogue says them.
VIETNAMESE = {
    400: ["Lỗi 400", "Không đọc được yêu cầu", "Về trang chủ"],
    403: ["Lỗi 403", "Bạn không được mở trang này", "Về trang chủ"],
    404: ["Lỗi 404", "Không tìm thấy trang", "Về trang chủ"],
    500: ["Lỗi 500", "Đã xảy ra lỗi", "Về trang chủ"],
    "csrf": ["Lỗi 403", "Biểu mẫu đã hết hạn", "Về trang chủ"],
}
ENGLISH = {
    400: ["Error 400", "The request could not be read", "Back to the home page"],
    403: ["Error 403", "You may not open this page", "Back to the home page"],
    404: ["Error 404", "Page not found", "Back to the home page"],
    500: ["Error 500", "Something went wrong", "Back to the home page"],
    "csrf": ["Error 403", "The form has expired", "Back to the home page"],
}


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False  # Django's handlers only serve their pages with DEBUG off


def client_in(language: str | None) -> Client:
    client = Client(raise_request_exception=False)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # what the language menu sets
    return client


def fetch(kind, language: str | None):
    """The response of a request that ends in this error."""
    client = client_in(language)
    if kind == 403:
        client.force_login(make_user(Role.STUDENT, make_school()))
        return client.get("/board/")  # the exam board's page
    if kind == 404:
        return client.get("/no-such-page/")
    if kind == 400:
        return client.get("/malformed/")
    if kind == 500:
        return client.get("/broken/")
    csrf = Client(enforce_csrf_checks=True)
    if language:
        csrf.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return csrf.post("/login/", {"username": "someone", "password": "something"})


def error_section(html: str) -> str:
    """The text of the page's error card, tags stripped and spaces collapsed."""
    match = re.search(r'<section class="card error-page" data-testid="error-page">(.*?)</section>', html, re.S)
    assert match, html[:2000]
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[^\W\d_]{2,}", text)}


KINDS = [400, 403, 404, 500, "csrf"]


def test_the_handlers_are_wired():
    resolver = get_resolver("config.urls")
    assert resolver.resolve_error_handler(400) is errors.bad_request
    assert resolver.resolve_error_handler(403) is errors.permission_denied
    assert resolver.resolve_error_handler(404) is errors.page_not_found
    assert resolver.resolve_error_handler(500) is errors.server_error
    assert settings.CSRF_FAILURE_VIEW == "config.views.csrf_failure"


@pytest.mark.parametrize("kind", KINDS)
def test_vietnamese_by_default(kind):
    response = fetch(kind, None)
    assert response.status_code == (403 if kind == "csrf" else kind)
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert "/static/frontend/app.css" in html and 'class="topbar"' in html  # the site's look
    assert re.search(r'<a class="button" href="/" data-testid="error-home">', html)  # the way home
    card = error_section(html)
    for text in VIETNAMESE[kind]:
        assert text in card
    for text in ENGLISH[kind]:
        assert text not in html


@pytest.mark.parametrize("kind", KINDS)
def test_english_when_chosen(kind):
    response = fetch(kind, "en")
    html = response.content.decode()
    assert '<html lang="en">' in html
    card = error_section(html)
    for text in ENGLISH[kind]:
        assert text in card
    for text in VIETNAMESE[kind]:
        assert text not in html
    assert not re.search(r"[^\x00-\x7f–—…’]", card), card  # no Vietnamese letter in the card


@pytest.mark.parametrize("kind", KINDS)
def test_one_language_at_a_time(kind):
    """The Vietnamese card shares no word with the English one: nothing is left untranslated."""
    vietnamese, english = (
        error_section(fetch(kind, None).content.decode()),
        error_section(fetch(kind, "en").content.decode()),
    )
    assert words(vietnamese) & words(english) == set()


def test_the_language_menu_chooses_the_language_of_the_error_pages():
    client = Client(raise_request_exception=False)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Page not found" in error_section(client.get("/nowhere/").content.decode())
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert "Không tìm thấy trang" in error_section(client.get("/nowhere/").content.decode())


def test_a_signed_in_person_sees_the_menu_on_a_404():
    client = client_in(None)
    client.force_login(make_user(Role.TEACHER, make_school()))
    html = client.get("/bank/nowhere/").content.decode()
    assert 'data-testid="nav-bank"' in html and 'data-testid="who"' in html


def test_the_500_page_needs_neither_database_nor_request_context(django_assert_num_queries):
    request = RequestFactory().get("/somewhere/")  # no user, no session: not through any middleware
    request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_assert_num_queries(0):
        response = errors.server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert '<html lang="en">' in html and "Something went wrong" in html and "/static/frontend/app.css" in html
    assert "csrfmiddlewaretoken" not in html


def test_the_500_page_shows_when_the_database_is_down():
    """The session cannot be read: the failure comes before the language middleware ran, and
    the page is still in the language of the cookie."""
    client = client_in("en")
    client.force_login(make_user(Role.TEACHER, make_school()))

    def down(execute, sql, params, many, context):
        raise OperationalError("the database is down")

    with connection.execute_wrapper(down):
        response = client.get("/bank/")
    assert response.status_code == 500
    html = response.content.decode()
    assert '<html lang="en">' in html and "Something went wrong" in error_section(html)


# --- the API keeps its JSON errors ----------------------------------------------------------


def test_api_400_is_json():
    response = client_in(None).get("/api/malformed/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_api_404_is_json():
    response = client_in(None).get("/api/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": "Không tìm thấy đối tượng này."}}
    english = client_in("en").get("/api/no-such-thing/")
    assert english.json()["error"]["message"] == "No such object."


def test_api_403_is_json_with_the_reason():
    response = client_in(None).get("/api/refused/")
    assert response.status_code == 403
    assert response.json() == {"error": {"code": "forbidden", "message": "Không được phép."}}


def test_api_500_is_json_in_the_chosen_language():
    response = client_in(None).get("/api/broken/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "server_error"
    vietnamese = response.json()["error"]["message"]
    english = client_in("en").get("/api/broken/").json()["error"]["message"]
    assert english == "The server could not complete this request. Try again in a moment."
    assert vietnamese == "Máy chủ không hoàn thành được yêu cầu này. Hãy thử lại sau ít phút."


def test_api_refusals_of_the_rest_framework_stay_as_they_were():
    response = client_in(None).get("/api/me/attempts/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    csrf = Client(enforce_csrf_checks=True).post("/api/auth/login/", "{}", content_type="application/json")
    assert csrf.status_code == 403 and csrf.json()["error"]["code"] == "csrf_failed"
