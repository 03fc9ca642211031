"""Transcripts in Debian's Chromium: the school's administrator opens a student's transcript from
the class record, issues a copy signed by the school, downloads it; anyone then checks that
copy on the verification page, and a changed copy is refused. A 375 px phone too.
Screenshots go to ``/tmp/records-shots/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.browser.test_rooms_browser import _fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/records-shots")
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def closed_semester(transactional_db):
    from django.utils import translation

    from records import services
    from tests.records.test_records import School

    with translation.override("en"):
        world = School()
        for student in world.students:
            world.complete(student, 1, ("8.5", "8", "8.5", "8.5", "8"))
        services.semester_close(by=world.homeroom, class_id=world.school_class.pk, term=1)
    return {"admin": world.admin.username, "class": world.school_class.pk, "an": world.students[0].pk}


def test_a_transcript_is_issued_signed_downloaded_and_checked(
    closed_semester,
    server,  # noqa: F811
    browser,  # noqa: F811
    pages,  # noqa: F811
    tmp_path,
) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    page = new_page(browser, locale="vi-VN", viewport=WIDE)
    pages.append(page)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, server, closed_semester["admin"])
    page.goto(f"{server}/records/classes/{closed_semester['class']}/")
    page.locator(f'tr[data-student="{closed_semester["an"]}"] [data-testid="transcript-link"]').click()
    expect(page.locator('[data-testid="transcript-year"]')).to_contain_text("8,3")
    page.click('[data-testid="transcript-issue"]')
    download_link = page.locator('[data-testid="transcript-download"]')
    expect(download_link).to_have_count(1)
    expect(page.locator('[data-testid="transcript-issues"] tr[data-serial^="HB-"]')).to_have_count(1)
    page.screenshot(path=str(SHOTS / "transcript-wide-vi.png"), full_page=True)
    with page.expect_download() as download:
        download_link.click()
    copy = tmp_path / "hoc-ba.pdf"
    download.value.save_as(copy)
    assert copy.read_bytes().startswith(b"%PDF")
    assert not page.page_errors

    # Anyone (no login) checks the copy; a copy with one byte changed is refused.
    visitor = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(visitor)
    visitor.goto(f"{server}/transcripts/verify/")
    visitor.set_input_files('[data-testid="verify-file"]', str(copy))
    visitor.click('[data-testid="verify-submit"]')
    expect(visitor.locator('[data-testid="verify-result"]')).to_contain_text("Hợp lệ")
    _fits(visitor, "main")
    visitor.screenshot(path=str(SHOTS / "verify-phone-vi.png"), full_page=True)
    changed = tmp_path / "sua.pdf"
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01
    changed.write_bytes(bytes(data))
    visitor.set_input_files('[data-testid="verify-file"]', str(changed))
    visitor.click('[data-testid="verify-submit"]')
    expect(visitor.locator('[data-testid="verify-result"]')).to_contain_text("Không hợp lệ")
    assert not visitor.page_errors

    phone = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(phone)
    log_in(phone, server, closed_semester["admin"])
    phone.goto(f"{server}/records/students/{closed_semester['an']}/transcript/")
    expect(phone.locator('[data-testid="transcript-download"]')).to_have_count(1)
    _fits(phone, "main")
    phone.screenshot(path=str(SHOTS / "transcript-phone-vi.png"), full_page=True)


def test_the_school_administrator_works_out_statistics_and_the_export(
    closed_semester,
    server,  # noqa: F811
    browser,  # noqa: F811
    pages,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    for viewport, name in ((WIDE, "wide"), (PHONE, "phone")):
        page = new_page(browser, locale="vi-VN", viewport=viewport)
        pages.append(page)
        log_in(page, server, closed_semester["admin"])
        page.goto(f"{server}/records/")
        page.click('[data-testid="statistics-link"]')
        page.fill('[data-testid="report-year"]', "2026-2027")
        page.click('[data-testid="report-statistics"]')
        start = page.locator('[data-testid="statistics-start"] tbody tr')
        expect(start).to_have_count(2)  # the school, then all
        expect(start.last).to_contain_text("3")
        expect(page.locator('[data-testid="statistics-subjects-1"]')).to_contain_text("Toán")
        expect(page.locator('[data-testid="report-download"]')).to_contain_text(".xlsx")
        page.click('[data-testid="report-export"]')
        expect(page.locator('[data-testid="report-download"]')).to_contain_text(".zip")
        if viewport is PHONE:
            _fits(page, "main")
        page.screenshot(path=str(SHOTS / f"statistics-{name}-vi.png"), full_page=True)
        assert not page.page_errors
