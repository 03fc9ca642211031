"""The error pages in Debian's Chromium, on a desktop and a 375 px phone, in both languages.

A 404, a 403 (a student on the exam board's page), a form sent without its CSRF cookie and a
500 each show the site's top bar and card with the status, the heading and a way home, in the
chosen language only, and fit the screen. The 500 page is the one ``config.errors.server_error``
renders (no request context, no database), served at an address of the real server so that
it loads the site's stylesheet as a browser would. Screenshots: /tmp/error_*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory

from accounts.models import Role, User
from config import errors
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.factories import make_school, make_user, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp")
VIEWPORTS = {"1366": {"width": 1366, "height": 768}, "375": {"width": 375, "height": 740}}
HEADINGS = {
    "vi": {
        404: "Không tìm thấy trang",
        403: "Bạn không được mở trang này",
        "csrf": "Biểu mẫu đã hết hạn",
        500: "Đã xảy ra lỗi",
    },
    "en": {
        404: "Page not found",
        403: "You may not open this page",
        "csrf": "The form has expired",
        500: "Something went wrong",
    },
}
HOME = {"vi": "Về trang chủ", "en": "Back to the home page"}


@pytest.fixture
def student(transactional_db) -> tuple[User, str]:
    """A student and a session of theirs (made before the browser runs its event loop)."""
    user = make_user(Role.STUDENT, make_school())
    return user, session_cookie(user).split("=", 1)[1]


def open_error(page, server: str, kind, student: tuple[User, str], language: str):  # noqa: F811
    """Bring the page to the error; returns the HTTP status the browser got."""
    if kind == 404:
        return page.goto(f"{server}/no-such-page/").status
    if kind == 403:  # a student on the exam board's page
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": student[1], "url": server}])
        return page.goto(f"{server}/board/").status
    if kind == "csrf":
        page.goto(f"{server}/login/")
        page.context.clear_cookies()  # the CSRF cookie is gone, as after a long pause
        page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": server}])
        page.fill('input[name="username"]', student[0].username)
        page.fill('input[name="password"]', "anything")
        with page.expect_navigation() as navigation:
            page.click("main form button[type=submit]")
        return navigation.value.status
    request = RequestFactory().get("/broken/")
    request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
    body = errors.server_error(request).content
    page.route(f"{server}/broken/", lambda route: route.fulfill(status=500, body=body, content_type="text/html"))
    return page.goto(f"{server}/broken/").status


@pytest.mark.parametrize("language", ["vi", "en"])
def test_error_pages_look_like_the_site_in_one_language(student, server, browser, language) -> None:  # noqa: F811
    from playwright.sync_api import expect

    other = "en" if language == "vi" else "vi"
    for kind in (404, 403, "csrf", 500):
        for width, viewport in VIEWPORTS.items():
            page = new_page(browser, locale="vi-VN", viewport=viewport)
            page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": server}])
            status = open_error(page, server, kind, student, language)
            assert status == (403 if kind == "csrf" else kind)
            card = page.locator('[data-testid="error-page"]')
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(card.locator("h1")).to_have_text(HEADINGS[language][kind])
            expect(card.locator(".error-code")).to_contain_text(str(403 if kind == "csrf" else kind))
            expect(page.locator(".topbar .brand")).to_be_visible()
            home = card.locator('[data-testid="error-home"]')
            expect(home).to_have_text(HOME[language])
            expect(home).to_be_in_viewport()
            assert HEADINGS[other][kind] not in page.content()
            # The stylesheet applies (a card, a button) and nothing is wider than the screen.
            assert card.evaluate("(node) => getComputedStyle(node).backgroundColor") == "rgb(255, 255, 255)"
            assert home.evaluate("(node) => getComputedStyle(node).display") == "inline-block"
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
            name = "csrf" if kind == "csrf" else str(kind)
            page.screenshot(path=str(SCREENSHOTS / f"error_{name}_{language}_{width}.png"), full_page=True)
            assert page.page_errors == []
            if kind == 404:
                home.click()  # the way back works: home, or the login page when not logged in
                expect(page).to_have_url(f"{server}/login/?next=/")
            page.context.close()
