"""Calibration into the bank in Debian's Chromium: the board opens the sitting, calibrates its
responses (the server's worker runs the job), reads each item's role, estimates and fit, writes
the new items into the bank; the page reads in English too and fits a 375 px phone.
Screenshots go to ``/tmp/calibration-shots/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.browser.test_rooms_browser import _fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/calibration-shots")
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def simulated(transactional_db):
    from accounts.models import User
    from tests.assess.test_authoring import World
    from tests.results.test_calibration import build_sitting

    world = World()
    sitting = build_sitting(world, n=400)
    students = list(User.objects.filter(attempts__sitting=sitting).order_by("pk").values_list("pk", flat=True))
    User.objects.filter(pk__in=students[::2]).update(gender="female")
    User.objects.filter(pk__in=students[1::2]).update(gender="male")
    new_versions = list(
        sitting.form.form_items.filter(position__in=[11, 12, 13, 14, 15])
        .order_by("position")
        .values_list("item_version_id", flat=True)
    )
    return sitting.pk, world.board.username, new_versions


def test_the_board_calibrates_a_sitting_and_writes_its_new_items_into_the_bank(
    simulated,
    server,  # noqa: F811
    browser,  # noqa: F811
    pages,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    sitting_id, board, new_versions = simulated  # read before Playwright's loop: no queries after
    SHOTS.mkdir(exist_ok=True)
    page = new_page(browser, locale="vi-VN", viewport=WIDE)
    pages.append(page)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, server, board)
    page.goto(f"{server}/board/sittings/{sitting_id}/")
    page.click('[data-testid="calibration-link"]')
    expect(page).to_have_url(f"{server}/board/sittings/{sitting_id}/calibration/")
    expect(page.locator('[data-testid="calibration-status"]')).to_have_text(
        "Ca thi này chưa được hiệu chỉnh tham số lần nào."
    )
    page.click('[data-testid="calibration-start"]')
    expect(page.locator('[data-testid="calibration-status"]')).to_have_text("Sẵn sàng để xem xét", timeout=60_000)
    rows = page.locator('[data-testid="calibration-items"] tbody tr')
    expect(rows).to_have_count(16)
    expect(rows.nth(0).locator('[data-testid="item-role"]')).to_have_text("câu neo (giữ tham số của ngân hàng)")
    expect(rows.nth(10).locator('[data-testid="item-role"]')).to_have_text("câu mới: được ước lượng")
    expect(rows.nth(15).locator('[data-testid="item-role"]')).to_contain_text("do người chấm")
    expect(page.locator('[data-testid="calibration-summary"]')).to_contain_text("400 thí sinh, 10 câu neo")
    # Vietnamese decimals: a comma.
    expect(rows.nth(10).locator('[data-testid="item-b"]')).to_contain_text(",")
    page.screenshot(path=str(SHOTS / "review-wide-vi.png"), full_page=True)

    # Only the new items are offered; write all but item 12.
    expect(rows.nth(0).locator("input[type=checkbox]")).to_be_disabled()
    box = rows.nth(11).locator("input[type=checkbox]")
    if box.is_checked():
        box.uncheck()
    rows.nth(10).locator("input[type=checkbox]").check()
    page.click('[data-testid="calibration-apply"]')
    expect(page.locator('[data-testid="calibration-status"]')).to_have_text("Đã ghi vào ngân hàng câu hỏi")
    expect(page.locator("#calibration-notice")).to_contain_text("Đã ghi tham số của")
    expect(page.locator('[data-testid="calibration-history"] li')).to_have_count(1)
    page.screenshot(path=str(SHOTS / "applied-wide-vi.png"), full_page=True)
    assert not page.page_errors

    english = new_page(browser, locale="en-GB", viewport=WIDE)
    pages.append(english)
    log_in(english, server, board)
    english.goto(f"{server}/board/sittings/{sitting_id}/calibration/")
    english.select_option('select[name="language"]', "en")
    expect(english.locator("html")).to_have_attribute("lang", "en")
    expect(english.locator('[data-testid="calibration-status"]')).to_have_text("Written to the bank")
    expect(english.locator('[data-testid="calibration-items"] tbody tr')).to_have_count(16)
    english.screenshot(path=str(SHOTS / "applied-wide-en.png"), full_page=True)

    phone = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(phone)
    log_in(phone, server, board)
    phone.goto(f"{server}/board/sittings/{sitting_id}/calibration/")
    expect(phone.locator('[data-testid="calibration-items"] tbody tr')).to_have_count(16)
    _fits(phone, "main")
    phone.screenshot(path=str(SHOTS / "calibration-phone.png"), full_page=True)
    assert not phone.page_errors

    # DIF, where the board asks: girls against boys, every calibrated item with its class.
    page.goto(f"{server}/board/sittings/{sitting_id}/moderation/")
    page.click('[data-testid="dif-run"]')
    expect(page.locator('[data-testid="dif-items"] tbody tr')).to_have_count(15)
    expect(page.locator('[data-testid="dif-summary"]')).to_contain_text("200")
    page.locator('[data-testid="dif"]').screenshot(path=str(SHOTS / "dif-wide-vi.png"))

    # What the server wrote, as the API says (no ORM query inside Playwright's loop).
    latest = page.request.get(f"{server}/api/sittings/{sitting_id}/calibrations/").json()["results"][0]
    assert {w["version"] for w in latest["written"]} == set(new_versions) - {new_versions[1]}
