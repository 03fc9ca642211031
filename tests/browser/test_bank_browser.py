"""The teachers' authoring pages of the item bank, driven in Debian's Chromium.

One teacher writes a true/false group in the editor (its live preview is the student's view
and holds no key), submits it; a colleague of the same school approves it from the review
queue; the author finds it by searching without accents, imports the Excel template through
the wizard, and checks a blueprint against the bank.

As in ``test_exam_browser``, the state is built before the browser starts and the database
is read during the scenario only through :func:`in_db_thread`. The pages' words are looked
up by ids and data attributes, not by text, so the test holds in either language.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts.models import Role, User
from itembank import services as bank_services
from itembank.interchange.xlsx import template_xlsx
from itembank.models import Item, ItemVersion, Subject, Topic
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import in_db_thread, log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.factories import make_school, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path("/tmp/bank_editor.png")
STEM = "Hàm số $y = x^3 - 3x$. Xét tính đúng sai của các mệnh đề sau."
STATEMENTS = ["Hàm số có hai cực trị", "Hàm số đồng biến trên ℝ", "$y'(1) = 0$", "Đồ thị đi qua gốc tọa độ"]
KEYS = [True, False, True, True]


@dataclass(frozen=True)
class Bank:
    author: User
    colleague: User
    subject: Subject
    topic: Topic


@pytest.fixture
def bank(transactional_db) -> Bank:
    school = make_school()
    subject, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    topic = Topic.objects.create(subject=subject, name="Hàm số", kind=Topic.Kind.CHAPTER)
    Topic.objects.create(subject=subject, name="Đạo hàm", kind=Topic.Kind.LESSON, parent=topic)
    return Bank(make_user(Role.TEACHER, school), make_user(Role.TEACHER, school), subject, topic)


@pytest.fixture
def pages(browser) -> Iterator[list]:  # noqa: F811
    opened: list = []
    yield opened
    for page in opened:
        assert page.page_errors == [], page.page_errors


def open_page(browser, pages: list):  # noqa: F811
    page = new_page(browser, locale="vi-VN", viewport={"width": 1440, "height": 1000})
    pages.append(page)
    return page


def statement_row(page, index: int):
    return page.locator("#type-editor .tf-rows .row-list > li.row").nth(index)


def test_teacher_writes_reviews_finds_imports_and_plans(bank: Bank, server: str, browser, pages, tmp_path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = open_page(browser, pages)
    previews: list[dict] = []

    def keep_preview(response) -> None:
        if response.url.endswith("/api/items/preview/") and response.status == 200:
            previews.append(response.json())

    page.on("response", keep_preview)
    log_in(page, server, bank.author.username)

    # Teachers land on the bank; the top bar links it.
    expect(page).to_have_url(f"{server}/bank/")
    expect(page.locator('[data-testid="nav-bank"]')).to_be_visible()
    expect(page.locator("#result-count")).not_to_be_empty()

    # --- the editor: a true/false group, previewed live as the student sees it -------------
    page.click("#new-item")
    expect(page).to_have_url(f"{server}/bank/items/new/")
    expect(page.locator("#f-item_type option")).not_to_have_count(0)
    page.select_option("#f-item_type", "true_false_group")
    expect(page.locator("#type-editor .tf-rows .row-list > li.row")).to_have_count(4)
    page.select_option("#f-subject", "toan")
    page.select_option("#f-topic", str(bank.topic.pk))
    page.select_option("#f-level", "biet")
    page.fill("#f-stem", STEM)
    for index, (text, key) in enumerate(zip(STATEMENTS, KEYS, strict=True)):
        row = statement_row(page, index)
        row.locator("input.text-field").fill(text)
        if index < 3:  # the last statement's key is left out for now
            row.locator(f'input[type=radio][value="{str(key).lower()}"]').check()

    # A statement without a key: the server's message shows next to the statements.
    keys_error = page.locator('[data-field~="keys"] .field-error')
    expect(keys_error).to_have_count(1)
    expect(keys_error).to_contain_text("d")
    expect(page.locator("#preview")).to_have_class(re.compile(r"\bstale\b"))

    statement_row(page, 3).locator('input[type=radio][value="true"]').check()
    expect(keys_error).to_have_count(0)
    preview = page.locator("#preview")
    expect(preview).not_to_have_class(re.compile(r"\bstale\b"))
    table = preview.locator("table.tf-table")
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table.locator("tbody tr").first).to_contain_text(STATEMENTS[0])
    expect(preview.locator(".stem math")).to_have_count(1)  # LaTeX arrives as MathML
    key_summary = page.locator("#key-summary").inner_text().strip()
    assert key_summary and key_summary != "—"
    # No key in what the student would see: nothing chosen, no key text, none in the JSON.
    assert preview.locator("input:checked").count() == 0
    assert key_summary not in preview.inner_text()
    last = previews[-1]
    assert "keys" not in last["preview"] and "scale" not in last["preview"]
    assert [s["id"] for s in last["preview"]["statements"]] == ["a", "b", "c", "d"]
    # The preview is interactive: the author may try an answer.
    table.locator('tbody tr[data-statement="a"] input[value="true"]').check()
    expect(table.locator("tbody tr").first.locator("input:checked")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.click("#save")
    expect(page).to_have_url(re.compile(rf"{re.escape(server)}/bank/items/\d+/$"))
    item_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    status = page.locator("#status-line .status-pill")
    expect(status).to_have_attribute("data-status", "draft")
    stored = in_db_thread(lambda: ItemVersion.objects.select_related("item").get(item_id=item_id))
    assert stored.item.item_type == "true_false_group" and stored.item.topic_id == bank.topic.pk
    assert stored.content["keys"] == dict(zip("abcd", KEYS, strict=True))
    assert stored.content["scale"] is None  # the national scale
    usage = page.locator("#item-usage")  # on no form yet: 0 tests, 0 sittings, seen by 0 candidates
    expect(usage).to_be_visible()
    expect(usage).to_have_text(re.compile(r"\D*0\D+0\D+0\D*"))

    page.click("#submit-review")
    expect(status).to_have_attribute("data-status", "submitted")
    expect(page.locator("#f-stem")).to_be_disabled()  # submitted content is frozen

    # --- a colleague reviews it: preview, diff, approve -------------------------------------
    reviewer = open_page(browser, pages)
    log_in(reviewer, server, bank.colleague.username)
    reviewer.goto(f"{server}/bank/review/")
    row = reviewer.locator(f'#queue tr[data-item="{item_id}"]')
    expect(row).to_have_count(1)
    row.locator("button.open-review").click()
    panel = reviewer.locator("#review-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("#review-preview table.tf-table tbody tr")).to_have_count(4)
    expect(panel.locator("#review-preview input:not([disabled])")).to_have_count(0)  # read-only
    expect(panel.locator("#review-key-summary")).to_have_text(key_summary)
    expect(panel.locator("#review-diff")).not_to_be_empty()
    expect(panel.locator("#review-history li")).to_have_count(1)
    # Asking for changes needs a comment; the page says so before asking the server.
    reviewer.click("#request-changes")
    expect(reviewer.locator('#review-form [data-field="comment"] .field-error')).to_have_count(1)
    reviewer.click("#approve")
    expect(reviewer.locator("#page-notice")).to_have_attribute("data-kind", "ok")
    expect(reviewer.locator(f'#queue tr[data-item="{item_id}"]')).to_have_count(0)
    assert in_db_thread(lambda: ItemVersion.objects.get(item_id=item_id).status) == "approved"

    # --- the author finds it, approved, by searching without accents -----------------------
    page.goto(f"{server}/bank/")
    expect(page.locator("#results tr[data-item]")).not_to_have_count(0)
    page.fill("#f-q", "ham so")
    page.click("#search")
    expect(page).to_have_url(re.compile(r"[?&]q=ham(\+|%20)so"))
    found = page.locator(f'#results tr[data-item="{item_id}"]')
    expect(found).to_have_count(1)
    expect(found.locator(".status-pill")).to_have_attribute("data-status", "approved")
    expect(found.locator(".key-summary")).to_have_text(key_summary)
    page.fill("#f-q", "khong co cau nao nhu the")
    page.click("#search")
    expect(page.locator("#results tr[data-item]")).to_have_count(0)

    # --- the import wizard: the Excel template's examples -----------------------------------
    template = tmp_path / "mau.xlsx"
    template.write_bytes(template_xlsx())
    before = in_db_thread(lambda: Item.objects.count())
    page.goto(f"{server}/bank/import/")
    expect(page.locator("#i-subject option")).not_to_have_count(0)
    # A file that is not what it says: the report names the problem and nothing can be imported.
    broken = tmp_path / "hong.xlsx"
    broken.write_bytes(b"not a workbook")
    page.set_input_files("#i-file", str(broken))
    page.click("#check-file")
    expect(page.locator("#step-2")).to_be_visible()
    expect(page.locator("#report .errors-list li")).not_to_have_count(0)
    expect(page.locator("#import-all")).to_be_disabled()
    expect(page.locator("#import-blocked")).to_be_visible()
    page.locator("#step-2 [data-restart]").click()
    expect(page.locator("#step-1")).to_be_visible()
    page.set_input_files("#i-file", str(template))
    page.select_option("#i-format", "xlsx")
    page.select_option("#i-subject", "toan")
    page.click("#check-file")
    report = page.locator("#report")
    expect(page.locator("#step-2")).to_be_visible()
    rows = report.locator("table.import-report tbody tr")
    expect(rows).not_to_have_count(0)
    n_rows = rows.count()
    expect(report.locator('tr[data-ok="false"]')).to_have_count(0)
    import_all = page.locator("#import-all")
    expect(import_all).to_be_enabled()
    import_all.click()
    expect(page.locator("#step-3")).to_be_visible()
    links = page.locator("#result ul.imported-items a")
    expect(links).to_have_count(n_rows)
    assert in_db_thread(lambda: Item.objects.count()) == before + n_rows
    first_new = links.first.get_attribute("href")
    page.goto(f"{server}/bank/?mine=1")
    expect(page.locator("#results tr[data-item]")).to_have_count(n_rows + 1)
    page.goto(f"{server}{first_new}")
    expect(page.locator("#status-line .status-pill")).to_have_attribute("data-status", "draft")
    expect(page.locator("#preview .item-body")).to_have_count(1)

    # --- a blueprint: 2 single-choice "Biết" items on the topic; the bank has none approved --
    page.goto(f"{server}/bank/blueprints/new/")
    expect(page.locator("#bp-subject option")).not_to_have_count(0)
    page.fill("#bp-title", "Kiểm tra giữa kì Toán 12")
    page.select_option("#bp-subject", "toan")
    page.select_option("#bp-grade", "12")
    part = page.locator("#parts fieldset.part").first
    part.locator('[data-field="parts.0.label"] input').fill("Phần I")
    part.locator('[data-field="parts.0.item_type"] select').select_option("single_choice")
    part.locator('[data-field="parts.0.points_per_item"] input').fill("0,25")
    part.locator(".row-adder select").select_option(str(bank.topic.pk))
    part.locator(".row-adder button").click()
    part.locator(f'tr[data-topic="{bank.topic.pk}"] input[data-level="biet"]').fill("2")
    page.click("#check-blueprint")
    expect(page).to_have_url(re.compile(rf"{re.escape(server)}/bank/blueprints/\d+/$"))
    availability = page.locator("#availability-body")
    cell = availability.locator(f'tr[data-topic="{bank.topic.pk}"] td[data-level="biet"]')
    expect(cell).to_have_class(re.compile(r"\bshortfall\b"))
    expect(cell).to_contain_text("0 / 2")
    messages = availability.locator('[data-testid="shortfalls"] li')
    expect(messages).to_have_count(1)
    # One line, in the page's language only.
    expect(messages.first).to_have_text("Phần I: chủ đề Hàm số cần 2 câu Biết đã duyệt, ngân hàng có 0.")
    expect(availability.locator('tr[data-level="biet"] td').nth(2)).to_have_text("100.0 %")
    blueprint_id = page.url.rstrip("/").rsplit("/", 1)[1]
    page.goto(f"{server}/bank/blueprints/")
    listed = page.locator(f'#blueprints tr[data-blueprint="{blueprint_id}"]')
    expect(listed).to_contain_text("Kiểm tra giữa kì Toán 12")
    listed.locator("a").click()
    expect(page.locator(f'#parts tr[data-topic="{bank.topic.pk}"] input[data-level="biet"]')).to_have_value("2")

    # An item that is not there: the editor says so and offers no form.
    page.goto(f"{server}/bank/items/999999/")
    expect(page.locator("#page-notice")).to_have_attribute("data-kind", "error")
    expect(page.locator(".editor-layout")).to_be_hidden()


def fill_rows(page, selector: str, texts: list[str]) -> None:
    """Fill a row list's text fields, adding rows until there are enough."""
    rows = page.locator(f"{selector} > .row-list > li.row")
    while rows.count() < len(texts):
        page.locator(f"{selector} > .add-row").click()
    while rows.count() > len(texts):
        rows.last.locator(".row-actions .remove-row").click()
    for index, text in enumerate(texts):
        rows.nth(index).locator("input.text-field").first.fill(text)


def test_every_item_type_is_written_in_its_form(bank: Bank, server: str, browser, pages) -> None:  # noqa: F811
    """Each type's form gives a document the server accepts: previewed, then saved as written."""
    from playwright.sync_api import expect

    page = open_page(browser, pages)
    log_in(page, server, bank.author.username)
    editor = "#type-editor"

    def start(item_type: str, stem: str) -> None:
        page.goto(f"{server}/bank/items/new/")
        expect(page.locator("#f-item_type option")).not_to_have_count(0)
        page.select_option("#f-item_type", item_type)
        page.select_option("#f-subject", "toan")
        page.fill("#f-stem", stem)

    def saved(item_type: str) -> dict:
        preview = page.locator("#preview")
        expect(preview.locator(f'.item-body[data-type="{item_type}"]')).to_have_count(1)
        expect(preview).not_to_have_class(re.compile(r"\bstale\b"))
        expect(page.locator(".field-error")).to_have_count(0)
        page.click("#save")
        expect(page).to_have_url(re.compile(rf"{re.escape(server)}/bank/items/\d+/$"))
        expect(page.locator("#status-line .status-pill")).to_have_attribute("data-status", "draft")
        item_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        return in_db_thread(lambda: ItemVersion.objects.get(item_id=item_id).content)

    start("single_choice", "2 + 2 = ?")
    fill_rows(page, f"{editor} fieldset.rows", ["3", "4", "5"])
    page.locator(f"{editor} li.row").nth(1).locator("input[type=radio]").check()
    content = saved("single_choice")
    assert content["options"] == [{"id": "A", "text": "3"}, {"id": "B", "text": "4"}, {"id": "C", "text": "5"}]
    assert content["key"] == "B"

    start("multiple_response", "Chọn các số nguyên tố")
    fill_rows(page, f"{editor} fieldset.rows", ["2", "4", "5", "9"])
    for index in (0, 2):
        page.locator(f"{editor} li.row").nth(index).locator(".correct-mark input[type=checkbox]").check()
    page.locator(f'{editor} [data-field="scoring"] select').select_option("partial")
    content = saved("multiple_response")
    assert content["keys"] == ["A", "C"] and content["scoring"] == "partial"

    # Three statements need their own scale: the national one is for four.
    start("true_false_group", "Xét tính đúng sai")
    fill_rows(page, f"{editor} .tf-rows", ["Một", "Hai", "Ba"])
    for index, key in enumerate(["true", "false", "true"]):
        page.locator(f"{editor} .tf-rows li.row").nth(index).locator(f'input[value="{key}"]').check()
    expect(page.locator('[data-field="scale"] .field-error')).to_have_count(1)
    page.locator('[data-field="scale"] input[type=checkbox]').uncheck()
    for index, fraction in enumerate(["0,25", "0.5", "1"]):
        page.locator('[data-field="scale"] .scale-grid input').nth(index).fill(fraction)
    content = saved("true_false_group")
    assert content["keys"] == {"a": True, "b": False, "c": True}
    assert content["scale"] == {"1": "0.25", "2": "0.5", "3": "1"}

    start("short_numeric", "Giải $2x + 3 = 0$")
    page.locator(f'{editor} [data-field="answer"] input').fill("-1,5")
    page.locator(f'{editor} [data-field="boxes"] input').fill("4")
    content = saved("short_numeric")
    assert (content["answer"], content["tolerance"], content["boxes"]) == ("-1.5", "0", 4)

    start("text_entry", "Thủ đô của Việt Nam là")
    page.locator(f'{editor} [data-field="answers"] textarea').fill("Hà Nội\nHa Noi\n")
    content = saved("text_entry")
    assert content["answers"] == ["Hà Nội", "Ha Noi"] and content["match"] == "normalised"

    start("inline_choice", "Thủ đô của Việt Nam là ")
    page.locator(f"{editor} .gap-head button").click()  # puts {{g1}} in the stem
    expect(page.locator("#f-stem")).to_have_value("Thủ đô của Việt Nam là {{g1}}")
    gap_options = f"{editor} .gap-rows li.row fieldset.rows"
    fill_rows(page, gap_options, ["Hà Nội", "Huế"])
    page.locator(f"{gap_options} li.row").first.locator("input[type=radio]").check()
    expect(page.locator("#preview .stem select")).to_have_count(1)
    content = saved("inline_choice")
    assert content["gaps"] == [{"id": "g1", "options": [{"id": "a", "text": "Hà Nội"}, {"id": "b", "text": "Huế"}]}]
    assert content["keys"] == {"g1": "a"}

    start("matching", "Ghép nước với thủ đô")
    fill_rows(page, f'{editor} fieldset[data-field="responses"]', ["Hà Nội", "Viêng Chăn", "Bắc Kinh"])
    fill_rows(page, f'{editor} fieldset[data-field="premises pairs"]', ["Việt Nam", "Lào"])
    premises = page.locator(f'{editor} fieldset[data-field="premises pairs"] li.row select')
    premises.nth(0).select_option("r1")
    premises.nth(1).select_option("r2")
    content = saved("matching")
    assert content["pairs"] == {"p1": "r1", "p2": "r2"} and len(content["responses"]) == 3

    start("ordering", "Sắp xếp theo thứ tự tăng dần")
    fill_rows(page, f"{editor} fieldset.rows", ["3", "1", "2"])
    # Move "1" up to the top, with the row's own button.
    page.locator(f"{editor} li.row").nth(1).locator(".move-row").first.click()
    content = saved("ordering")
    assert [e["text"] for e in content["elements"]] == ["1", "3", "2"]
    assert content["order"] == [e["id"] for e in content["elements"]]

    start("essay", "Trình bày cách khảo sát hàm số")
    page.locator(f'{editor} [data-field="max_words"] input').fill("300")
    page.locator(f"{editor} .rubric-rows > .add-row").click()
    criterion = page.locator(f"{editor} .rubric-rows > .row-list > li.row").first
    criterion.locator(".field input").fill("Nội dung")
    levels = criterion.locator("fieldset.rows li.row")
    for index, (label, points) in enumerate([("Tốt", "1"), ("Chưa đạt", "0")]):
        levels.nth(index).locator("input").nth(0).fill(label)
        levels.nth(index).locator("input").nth(1).fill(points)
    content = saved("essay")
    assert content["max_words"] == 300
    assert content["rubric"] == [
        {"criterion": "Nội dung", "levels": [{"label": "Tốt", "points": "1"}, {"label": "Chưa đạt", "points": "0"}]}
    ]


@pytest.fixture
def approved(bank: Bank) -> int:
    """An approved true/false group of ``bank.author``, reviewed by the colleague."""
    version = bank_services.item_create(
        by=bank.author,
        subject=bank.subject,
        topic=bank.topic,
        level="hieu",
        item_type="true_false_group",
        content={
            "stem": STEM,
            "statements": [{"id": i, "text": text} for i, text in zip("abcd", STATEMENTS, strict=True)],
            "scale": None,
            "keys": dict(zip("abcd", KEYS, strict=True)),
        },
    )
    bank_services.item_version_submit(by=bank.author, version_id=version.pk)
    bank_services.item_version_approve(by=bank.colleague, version_id=version.pk, comment="Tốt")
    return version.item_id


def test_new_version_is_compared_sent_back_and_commented(
    bank: Bank,
    approved: int,
    server: str,
    browser,
    pages,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, pages)
    log_in(page, server, bank.author.username)
    page.goto(f"{server}/bank/items/{approved}/")
    status = page.locator("#status-line .status-pill")
    expect(status).to_have_attribute("data-status", "approved")
    # Approved content is frozen: the form is read-only until a new version is started.
    expect(page.locator("#f-stem")).to_be_disabled()
    expect(page.locator("#save")).to_be_hidden()
    expect(page.locator("#preview table.tf-table tbody tr")).to_have_count(4)
    expect(page.locator(".version .events li")).to_have_count(2)
    expect(page.locator(".version .events blockquote.comment")).to_have_text("Tốt")

    page.click("#publish")
    expect(status).to_have_attribute("data-status", "published")
    expect(page.locator("#retire")).to_have_count(0)  # retiring is for the board

    page.click("#new-version")
    expect(page.locator("#f-stem")).to_be_enabled()
    statement_row(page, 1).locator("input.text-field").fill("Hàm số nghịch biến trên (-1; 1)")
    page.click("#save")
    expect(page.locator("#status-line")).to_contain_text("2")
    expect(status).to_have_attribute("data-status", "draft")
    expect(page.locator(".version")).to_have_count(2)
    newest = page.locator('.version[data-version="2"]')
    newest.locator("button.compare").click()
    change = newest.locator('.diff tr[data-field="statements[1].text"]')
    expect(change.locator("ins").first).to_have_text("nghịch")
    expect(change.locator("del").first).to_contain_text("đồng")
    page.click("#submit-review")
    expect(status).to_have_attribute("data-status", "submitted")

    # The colleague sends it back with a comment; the author reads it in the history.
    reviewer = open_page(browser, pages)
    log_in(reviewer, server, bank.colleague.username)
    reviewer.goto(f"{server}/bank/review/")
    reviewer.locator(f'#queue tr[data-item="{approved}"] button.open-review').click()
    expect(reviewer.locator('#review-diff tr[data-field="statements[1].text"] ins').first).to_have_text("nghịch")
    reviewer.fill("#review-comment", "Ghi rõ khoảng (-1; 1) là khoảng mở.")
    reviewer.click("#request-changes")
    expect(reviewer.locator("#page-notice")).to_have_attribute("data-kind", "ok")

    page.reload()
    expect(status).to_have_attribute("data-status", "changes_requested")
    expect(page.locator("#f-stem")).to_be_enabled()  # the author edits the same version again
    expect(newest.locator("blockquote.comment")).to_have_text("Ghi rõ khoảng (-1; 1) là khoảng mở.")
    expect(page.locator("#submit-review")).to_be_visible()

    # Writing the same question again: the editor points at the one already in the bank.
    page.goto(f"{server}/bank/items/new/")
    expect(page.locator("#f-item_type option")).not_to_have_count(0)
    page.select_option("#f-item_type", "true_false_group")
    page.select_option("#f-subject", "toan")
    page.fill("#f-stem", STEM)
    for index, text in enumerate(STATEMENTS):
        statement_row(page, index).locator("input.text-field").fill(text)
    duplicates = page.locator("#duplicates")
    expect(duplicates).to_be_visible()
    expect(duplicates.locator(f'a[href="/bank/items/{approved}/"]')).to_have_count(1)


def test_an_export_runs_as_a_job_and_its_file_downloads(bank: Bank, approved: int, server: str, browser, pages) -> None:  # noqa: F811
    """The list's export buttons start a job (POST /api/exports/), show its progress, then
    download the file it made and leave a link to it; on a phone as on a PC."""
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    from jobs.models import Job

    page = open_page(browser, pages)
    log_in(page, server, bank.author.username)
    expect(page.locator("#results tr[data-item]")).to_have_count(1)
    # Moodle XML has no true/false group of four statements: the job fails and says why.
    page.click('[data-export="moodle"]')
    expect(page.locator("#export-state .error")).to_contain_text("Moodle XML")
    with page.expect_download() as download_info:
        page.click('[data-export="xlsx"]')
    download = download_info.value
    assert download.suggested_filename == "ngan-hang-cau-hoi.xlsx"
    cells = [
        str(cell)
        for sheet in load_workbook(io.BytesIO(Path(download.path()).read_bytes())).worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell
    ]
    assert STATEMENTS[0] in cells
    expect(page.locator('[data-testid="export-file"]')).to_contain_text("ngan-hang-cau-hoi.xlsx")
    jobs = in_db_thread(lambda: list(Job.objects.order_by("created_at").values_list("kind", "status", "owner")))
    assert jobs == [
        ("item_export", Job.Status.FAILED, bank.author.pk),
        ("item_export", Job.Status.SUCCEEDED, bank.author.pk),
    ]
    page.set_viewport_size({"width": 375, "height": 740})
    page.locator('[data-testid="export-file"]').scroll_into_view_if_needed()
    page.screenshot(path="/tmp/bank-export-375.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
