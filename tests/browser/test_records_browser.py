"""Records by Circular 22 in Debian's Chromium: the subject teacher enters a paper test in the
gradebook and corrects it with a reason; the homeroom teacher reads the class and is told why
the semester cannot close yet; the student reads their record; English too; a 375 px phone.
Screenshots go to ``/tmp/records-shots/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.browser.test_rooms_browser import _fits
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/records-shots")
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def school(transactional_db):
    from django.utils import translation

    from tests.records.test_records import School

    with translation.override("en"):
        world = School()
        an = world.students[0]
        for value in ("8.5", "8", "8.5"):
            world.enter(an, 1, "continuous", value)
        world.enter(an, 1, "midterm", "8.5")
        for kind in ("continuous", "continuous", "midterm", "endterm"):
            world.enter(an, 1, kind, "Đạt", subject=world.pe)
    return {
        "class": world.school_class.pk,
        "maths": world.maths.pk,
        "teacher": world.maths_teacher.username,
        "homeroom": world.homeroom.username,
        "student": an.username,
        "an": an.pk,
    }


def test_a_teacher_enters_and_corrects_the_homeroom_reads_and_the_student_sees(
    school,
    server,  # noqa: F811
    browser,  # noqa: F811
    pages,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    answers = []  # what the prompts are answered, in order
    page = new_page(browser, locale="vi-VN", viewport=WIDE)
    pages.append(page)
    page.on("dialog", lambda dialog: dialog.accept(answers.pop(0) if answers else None))
    log_in(page, server, school["teacher"])
    page.click('[data-testid="nav-records"]')
    page.click('[data-testid="gradebook-link"]')
    expect(page).to_have_url(f"{server}/records/classes/{school['class']}/subjects/{school['maths']}/")
    row = page.locator(f'[data-testid="gradebook-table"] tr[data-student="{school["an"]}"]')
    expect(row.locator('[data-testid="average"]')).to_contain_text("1")  # one assessment missing
    row.locator('[data-enter="endterm"] input').fill("6,5")
    row.locator('[data-enter="endterm"] [data-testid="enter"]').click()
    # (8.5 + 8 + 8.5 + 2 x 8.5 + 3 x 6.5) / 8 = 61.5 / 8 = 7.6875: 7,7
    expect(row.locator('[data-testid="average"]')).to_have_text("7,7")
    page.screenshot(path=str(SHOTS / "gradebook-wide-vi.png"), full_page=True)

    answers.extend(["8", "Cộng nhầm điểm bài thi trên giấy."])
    row.locator('[data-testid="correct"]').last.click()
    # (25 + 17 + 24) / 8 = 66 / 8 = 8.25: 8,3 (halves up, exactly)
    expect(row.locator('[data-testid="average"]')).to_have_text("8,3")
    row.locator('[data-testid="average"]').scroll_into_view_if_needed()
    bad = page.locator('[data-testid="gradebook-table"] tr[data-student]').nth(1)
    bad.locator('[data-enter="midterm"] input').fill("11")
    bad.locator('[data-enter="midterm"] [data-testid="enter"]').click()
    expect(page.locator("#records-notice")).to_contain_text("0")  # "a number from 0 to 10 ..."
    assert not page.page_errors

    homeroom = new_page(browser, locale="vi-VN", viewport=WIDE)
    pages.append(homeroom)
    homeroom.on("dialog", lambda dialog: dialog.accept())
    log_in(homeroom, server, school["homeroom"])
    homeroom.goto(f"{server}/records/")
    homeroom.click('[data-testid="class-record-link"]')
    table = homeroom.locator('[data-testid="class-record-table"]')
    expect(table.locator(f'tr[data-student="{school["an"]}"]')).to_contain_text("8,3")
    homeroom.click('[data-testid="close-1"]')
    expect(homeroom.locator("#records-notice")).to_be_visible()
    expect(homeroom.locator("#records-notice")).to_contain_text("Nguyễn")  # who lacks what
    homeroom.screenshot(path=str(SHOTS / "class-wide-vi.png"), full_page=True)
    homeroom.select_option('select[name="language"]', "en")
    expect(homeroom.locator("html")).to_have_attribute("lang", "en")
    expect(homeroom.locator('[data-testid="class-record-table"]')).to_contain_text("8.3")
    homeroom.screenshot(path=str(SHOTS / "class-wide-en.png"), full_page=True)
    assert not homeroom.page_errors

    phone = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(phone)
    log_in(phone, server, school["teacher"])
    phone.goto(f"{server}/records/classes/{school['class']}/subjects/{school['maths']}/")
    expect(phone.locator('[data-testid="gradebook-table"] tr[data-student]')).to_have_count(3)
    _fits(phone, "main")
    phone.screenshot(path=str(SHOTS / "gradebook-phone.png"), full_page=True)

    student = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(student)
    student.goto(f"{server}/login/")  # the student has a name: the top bar shows it, not the username
    student.fill('input[name="username"]', school["student"])
    student.fill('input[name="password"]', PASSWORD)
    student.click("main form button[type=submit]")
    expect(student.locator('[data-testid="who"]')).to_contain_text("Nguyễn")
    student.click('[data-testid="nav-my-record"]')
    expect(student.locator('[data-testid="my-record"]')).to_contain_text("Toán")
    expect(student.locator('[data-testid="my-average"]').first).to_contain_text("8,3")
    _fits(student, "main")
    student.screenshot(path=str(SHOTS / "my-record-phone.png"), full_page=True)
    assert not student.page_errors and not phone.page_errors


@pytest.fixture
def primary_class(transactional_db):
    from django.utils import translation

    from tests.records.test_primary import Primary

    with translation.override("en"):
        world = Primary()
    return {
        "class": world.school_class.pk,
        "homeroom": world.homeroom.username,
        "mai": world.pupils[0].pk,
        "maths": world.maths.pk,
    }


def test_a_primary_class_takes_levels_and_whole_marks(
    primary_class,
    server,  # noqa: F811
    browser,  # noqa: F811
    pages,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    page = new_page(browser, locale="vi-VN", viewport=WIDE)
    pages.append(page)
    log_in(page, server, primary_class["homeroom"])
    page.goto(f"{server}/records/classes/{primary_class['class']}/?period=2")
    row = page.locator(f'[data-testid="primary-subjects"] tr[data-student="{primary_class["mai"]}"]')
    row.locator('[data-testid="subject-level"]').select_option("Hoàn thành tốt")
    expect(page.locator("#records-notice")).to_be_visible()
    cell = row.locator(f'td[data-subject="{primary_class["maths"]}"]')
    cell.locator('[data-enter="endterm"] input').fill("8,5")
    cell.locator('[data-enter="endterm"] [data-testid="enter"]').click()
    expect(page.locator("#records-notice")).to_contain_text("số nguyên")  # a whole mark only
    cell.locator('[data-enter="endterm"] input').fill("9")
    cell.locator('[data-enter="endterm"] [data-testid="enter"]').click()
    expect(cell.locator('[data-testid="endterm"]')).to_contain_text("9")
    aspects = page.locator(f'[data-testid="primary-aspects"] tr[data-student="{primary_class["mai"]}"] select')
    expect(aspects).to_have_count(15)
    aspects.first.select_option("Tốt")
    expect(page.locator("#records-notice")).to_be_visible()
    page.screenshot(path=str(SHOTS / "primary-wide-vi.png"), full_page=True)
    assert not page.page_errors

    phone = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(phone)
    log_in(phone, server, primary_class["homeroom"])
    phone.goto(f"{server}/records/classes/{primary_class['class']}/?period=2")
    expect(phone.locator('[data-testid="primary-subjects"] tr[data-student]')).to_have_count(2)
    _fits(phone, "main")
    phone.screenshot(path=str(SHOTS / "primary-phone-vi.png"), full_page=True)
    assert not phone.page_errors
