"""A shared stimulus written from the item editor, driven in Debian's Chromium.

A teacher writes a question, creates a reading passage from the editor's "shared stimulus"
box (an image without its alternative text is refused first, next to the field), attaches
it, sees it in the live preview above the item in the exam page's markup, and saves: the
saved version points at it. Switching to another of the subject's stimuli, and to none,
saves as well. The set-up and reads follow ``test_bank_browser``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts.models import Role, User
from itembank.models import ItemVersion, Stimulus, Subject
from tests.browser.test_bank_browser import open_page
from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import in_db_thread, log_in
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.factories import make_school, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path("/tmp/stimulus_editor.png")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PASSAGE_TITLE = "Bài đọc: Sông Hồng"
PASSAGE = "<p>Sông Hồng bắt nguồn từ <b>Vân Nam</b>, chảy qua Hà Nội.</p><script>alert(1)</script>"
STEM = "Theo đoạn văn, sông Hồng chảy qua thành phố nào?"
OPTIONS = ["Hà Nội", "Huế", "Đà Nẵng", "Cần Thơ"]


def eventually(read: Callable[[], object], expected: object, timeout: float = 10.0) -> None:
    """Wait until a database read (in its own thread) gives ``expected``."""
    deadline = time.monotonic() + timeout
    while (found := in_db_thread(read)) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert found == expected


@dataclass(frozen=True)
class Bank:
    author: User
    table: Stimulus  # a stimulus of the subject the author may already use


@pytest.fixture
def bank(transactional_db) -> Bank:
    school = make_school()
    author = make_user(Role.TEACHER, school)
    colleague = make_user(Role.TEACHER, school)
    subject, _ = Subject.objects.get_or_create(code="dia", defaults={"name": "Địa lí"})
    other, _ = Subject.objects.get_or_create(code="su", defaults={"name": "Lịch sử"})
    table = Stimulus.objects.create(
        owner=school,
        subject=subject,
        title="Bảng lượng mưa",
        kind=Stimulus.Kind.TABLE,
        body="<table><tr><th>Tháng</th><th>mm</th></tr><tr><td>7</td><td>320</td></tr></table>",
        created_by=colleague,
    )
    Stimulus.objects.create(  # another subject's: not offered
        owner=school, subject=other, title="Bài đọc sử", kind="passage", body="<p>x</p>", created_by=colleague
    )
    return Bank(author, table)


def test_teacher_creates_attaches_and_previews_a_shared_passage(
    bank: Bank, server: str, browser, pages, tmp_path
) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = open_page(browser, pages)
    log_in(page, server, bank.author.username)
    page.goto(f"{server}/bank/items/new/")
    expect(page.locator("#f-item_type option")).not_to_have_count(0)
    page.select_option("#f-item_type", "single_choice")
    page.select_option("#f-subject", "dia")
    page.select_option("#f-level", "biet")
    page.fill("#f-stem", STEM)
    rows = page.locator("#type-editor .row-list > li.row")
    for index, text in enumerate(OPTIONS):
        rows.nth(index).locator("input.text-field").fill(text)
    rows.first.locator("input[type=radio]").check()
    preview = page.locator("#preview")
    expect(preview.locator(".stem")).to_contain_text("sông Hồng")
    expect(preview).not_to_have_class(re.compile(r"\bstale\b"))
    expect(preview.locator("section.stimulus")).to_have_count(0)

    # The subject's stimuli are offered (none chosen); another subject's are not.
    choices = page.locator("#f-stimulus option")
    expect(choices).to_have_count(2)
    expect(page.locator("#f-stimulus")).to_have_value("")
    expect(choices.nth(1)).to_have_attribute("value", str(bank.table.pk))

    # --- a new stimulus: an image without its alternative text is refused, by the field ----
    page.click("#new-stimulus > summary")
    page.select_option("#s-kind", "image")
    expect(page.locator("#s-body")).to_be_hidden()
    image = tmp_path / "hinh.png"
    image.write_bytes(PNG)
    page.fill("#s-title", "Hình minh họa")
    page.set_input_files("#s-file", str(image))
    page.click("#create-stimulus")
    alt_error = page.locator('[data-field~="s-alt_text"] .field-error')
    expect(alt_error).to_have_count(1)
    expect(page.locator("#s-alt_text")).to_have_attribute("aria-invalid", "true")
    assert in_db_thread(lambda: Stimulus.objects.filter(title="Hình minh họa").exists()) is False
    # Writing in the stimulus's box is not a change of the item's.
    expect(page.locator('[data-field~="stem"] .field-error')).to_have_count(0)

    # --- the passage --------------------------------------------------------------------------
    page.select_option("#s-kind", "passage")
    expect(page.locator("#s-file")).to_be_hidden()
    page.fill("#s-title", PASSAGE_TITLE)
    page.fill("#s-body", PASSAGE)
    page.click("#create-stimulus")
    expect(alt_error).to_have_count(0)
    expect(page.locator("#new-stimulus")).not_to_have_attribute("open", "")
    created = in_db_thread(lambda: Stimulus.objects.select_related("subject").get(title=PASSAGE_TITLE))
    assert created.owner_id == bank.author.organisation_id and created.created_by_id == bank.author.pk
    assert "<script>" not in created.body and created.subject.code == "dia"
    expect(page.locator("#f-stimulus")).to_have_value(str(created.pk))
    expect(choices).to_have_count(3)
    expect(page.locator("#stimulus-info")).to_contain_text("0")

    # The preview shows it above the item, in the exam page's markup.
    shown = preview.locator(f'section.stimulus[data-stimulus="{created.pk}"]')
    expect(shown).to_have_count(1)
    expect(shown.locator("h3.stimulus-title")).to_have_text(PASSAGE_TITLE)
    expect(shown.locator(".stimulus-body b")).to_have_text("Vân Nam")
    first_child = preview.locator(".item-body > *").first
    expect(first_child).to_have_attribute("data-stimulus", str(created.pk))
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.click("#save")
    expect(page).to_have_url(re.compile(rf"{re.escape(server)}/bank/items/\d+/$"))
    item_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    version = in_db_thread(lambda: ItemVersion.objects.get(item_id=item_id))
    assert version.stimulus_id == created.pk
    # Loaded again, the editor shows the saved stimulus chosen and in the preview.
    page.reload()
    expect(page.locator("#f-stimulus")).to_have_value(str(created.pk))
    expect(preview.locator(f'section.stimulus[data-stimulus="{created.pk}"]')).to_have_count(1)

    # Another of the subject's stimuli, then none: each saved with the draft.
    page.select_option("#f-stimulus", str(bank.table.pk))
    expect(preview.locator(f'section.stimulus[data-stimulus="{bank.table.pk}"] table')).to_have_count(1)
    page.click("#save")
    expect(page.locator("#page-notice")).to_have_attribute("data-kind", "ok")
    eventually(lambda: ItemVersion.objects.get(item_id=item_id).stimulus_id, bank.table.pk)
    page.select_option("#f-stimulus", "")
    expect(preview.locator("section.stimulus")).to_have_count(0)
    page.click("#save")
    expect(page.locator("#f-stimulus")).to_have_value("")
    expect(page.locator("#page-notice")).to_have_attribute("data-kind", "ok")
    eventually(lambda: ItemVersion.objects.get(item_id=item_id).stimulus_id, None)
