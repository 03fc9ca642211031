"""A school's administrator imports a roster on the Classes page, in Debian's Chromium.

They land on the page after logging in, check a file with a mistake (every problem listed by
sheet, row and column, nothing imported, the import button off), check the corrected file,
import it, and find the classes with their students; on a 375 px phone the page still fits.
The words are looked up by ids and data attributes, so the test holds in either language.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.models import ClassMembership, Role, User
from itembank.models import Subject
from tests.accounts.test_roster import STUDENTS, YEAR, full_roster
from tests.browser.test_bank_browser import open_page
from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import in_db_thread, log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.factories import make_school, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp")


@pytest.fixture
def school_admin(transactional_db) -> User:
    Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    Subject.objects.get_or_create(code="van", defaults={"name": "Ngữ văn"})
    return make_user(Role.SCHOOL_ADMIN, make_school())


def test_a_school_administrator_checks_and_imports_a_roster(school_admin, server, browser, pages, tmp_path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    wrong = tmp_path / "lop-loi.xlsx"
    wrong.write_bytes(full_roster(STUDENTS + [[4, "HS0000000004", "Lý Thu", "", "", "12C9"]]))
    right = tmp_path / "lop.xlsx"
    right.write_bytes(full_roster())

    page = open_page(browser, pages)
    log_in(page, server, school_admin.username)
    expect(page).to_have_url(f"{server}/people/")
    page.select_option("#p-year", YEAR)
    expect(page.locator("#p-year")).to_have_value(YEAR)
    expect(page.locator('[data-testid="roster-template"]')).to_have_attribute("href", "/api/rosters/template/")

    page.set_input_files("#r-file", str(wrong))
    page.select_option("#r-year", YEAR)
    page.click("#roster-check")
    problems = page.locator('[data-testid="roster-problems"] tbody tr')
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("12C9")
    expect(problems.first).to_contain_text("5")  # the row in the sheet
    expect(page.locator("#roster-import")).to_be_disabled()
    assert in_db_thread(lambda: User.objects.filter(role=Role.STUDENT).count()) == 0

    page.set_input_files("#r-file", str(right))
    page.click("#roster-check")
    expect(page.locator('[data-testid="roster-counts"]')).to_be_visible()
    expect(page.locator('[data-testid="roster-problems"]')).to_have_count(0)
    expect(page.locator("#roster-import")).to_be_enabled()
    page.screenshot(path=str(SCREENSHOTS / "people_checked_1366.png"), full_page=True)
    page.click("#roster-import")
    expect(page.locator("#roster-report .notice-ok a")).to_be_visible()
    assert in_db_thread(lambda: ClassMembership.objects.filter(left_at__isnull=True).count()) == 3

    page.click("#roster-report .notice-ok a")
    rows = page.locator('[data-testid="classes"] tbody tr')
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("10A1")
    page.screenshot(path=str(SCREENSHOTS / "people_classes_1366.png"), full_page=True)
    rows.first.locator("a").click()
    expect(page.locator('[data-testid="class-students"] tbody tr')).to_have_count(2)
    expect(page.locator('[data-testid="class-students"]')).to_contain_text("HS0000000001")
    expect(page.locator('[data-testid="class-teachers"]')).to_contain_text("GV001")

    # Login cards: the two students' first passwords, shown once; a student logs in with one
    # and must choose a password of their own before anything else.
    page.click('[data-testid="login-cards"]')
    cards = page.locator('[data-testid="login-cards"] .login-card')
    expect(cards).to_have_count(2)
    page.screenshot(path=str(SCREENSHOTS / "people_cards_1366.png"), full_page=True)
    username = cards.first.locator("dd").nth(1).inner_text()
    password = cards.first.locator('[data-testid="card-password"]').inner_text()
    student = new_page(browser, locale="vi-VN", viewport={"width": 1366, "height": 768})
    pages.append(student)
    student.goto(f"{server}/login/")
    student.fill('input[name="username"]', username)
    student.fill('input[name="password"]', password)
    student.click("main form button[type=submit]")
    expect(student).to_have_url(f"{server}/password/")
    student.goto(f"{server}/exam/")
    expect(student).to_have_url(f"{server}/password/")

    phone = new_page(browser, locale="vi-VN", viewport={"width": 375, "height": 740})
    pages.append(phone)
    log_in(phone, server, school_admin.username)
    phone.goto(f"{server}/people/?year={YEAR}")
    expect(phone.locator('[data-testid="classes"] tbody tr')).to_have_count(2)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    phone.screenshot(path=str(SCREENSHOTS / "people_375.png"), full_page=True)
