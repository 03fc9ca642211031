"""The student-side rendering of every item type (frontend/static/frontend/items.js), in Chromium.

A static harness page (item_renderer_harness.html, opened from a file:// URL: no server, no
network) renders one student view of every type with ``ItemRenderer.render``; the test acts like
a student and checks the exact response values handed to ``onChange`` (the contract's shapes),
then repaints every item with ``setValue``. The items are student views only, wrapped in a Proxy
that records what the renderer reads: it never looks for a key.
"""

from __future__ import annotations

import copy
import re
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

HARNESS = Path(__file__).with_name("item_renderer_harness.html")
ITEMS_JS = Path(__file__).resolve().parents[2] / "frontend" / "static" / "frontend" / "items.js"
TIMEOUT_MS = 10_000
SCREENSHOT = Path("/tmp/item_renderer.png")

MATH = "<math><msup><mi>x</mi><mn>2</mn></msup></math>"
# On an exam page every id is an opaque token of the form (issue 8): the letters shown are places.
OPAQUE = ["7f3a09c2", "0b91e4d7", "c25d8a10", "4e6f2b93"]

# One student view of every type, as the server sends it (no key fields anywhere).
ITEMS: list[dict] = [
    {
        "item": 1,
        "type": "single_choice",
        "points": "0.25",
        "stem_html": f"<p>Nghiệm của {MATH} = 4 là</p>",
        "options": [
            {"id": OPAQUE[0], "html": "1"},
            {"id": OPAQUE[1], "html": "2"},
            {"id": OPAQUE[2], "html": "3"},
            {"id": OPAQUE[3], "html": MATH},
        ],
        "stimulus": {"id": 7, "title": "Đoạn văn 1", "html": "<p>Ngữ liệu <strong>chung</strong>.</p>"},
    },
    {
        "item": 2,
        "type": "multiple_response",
        "points": "1.00",
        "stem_html": "<p>Chọn các số nguyên tố.</p>",
        "options": [{"id": "A", "html": "2"}, {"id": "B", "html": "4"}, {"id": "C", "html": "5"}],
    },
    {
        "item": 3,
        "type": "true_false_group",
        "points": "1.00",
        "stem_html": "<p>Cho hàm số y = f(x).</p>",
        "statements": [
            {"id": "a", "html": "f đồng biến"},
            {"id": "b", "html": f"f(2) = {MATH}"},
            {"id": "c", "html": "f có cực trị"},
            {"id": "d", "html": "f bị chặn"},
        ],
    },
    {"item": 4, "type": "short_numeric", "points": "0.25", "stem_html": "<p>Tính giá trị.</p>", "boxes": 4},
    {"item": 5, "type": "short_numeric", "points": "0.25", "stem_html": "<p>Tính tổng.</p>", "boxes": None},
    {"item": 6, "type": "text_entry", "points": "1.00", "stem_html": "<p>Thủ đô của Việt Nam?</p>"},
    {
        "item": 7,
        "type": "inline_choice",
        "points": "1.00",
        "stem_html": '<p>She <span class="gap" data-gap="g1"></span> to school and '
        '<span class="gap" data-gap="g2"></span> home.</p>',
        "gaps": [
            {"id": "g1", "options": [{"id": "x", "text": "goes"}, {"id": "w", "text": "go"}]},
            {"id": "g2", "options": [{"id": "y", "text": "walks"}, {"id": "z", "text": "<b>walk</b>"}]},
        ],
    },
    {
        "item": 8,
        "type": "matching",
        "points": "1.00",
        "stem_html": "<p>Ghép mỗi hàm số với đạo hàm của nó.</p>",
        "premises": [{"id": "p1", "html": MATH}, {"id": "p2", "html": "sin x"}],
        "responses": [{"id": "r3", "html": "cos x"}, {"id": "r1", "html": "2x"}, {"id": "r2", "html": MATH}],
    },
    {
        "item": 9,
        "type": "ordering",
        "points": "1.00",
        "stem_html": "<p>Sắp xếp theo thời gian.</p>",
        "elements": [{"id": "a", "html": "1945"}, {"id": "b", "html": "1954"}, {"id": "c", "html": "1975"}],
    },
    {"item": 10, "type": "essay", "points": "2.00", "stem_html": "<p>Viết đoạn văn.</p>", "max_words": 5},
    {"item": 11, "type": "hologram", "points": "1.00", "stem_html": "<p>?</p>"},
    # The preview shows an item read-only: the same body, no input taken.
    {
        "item": 12,
        "type": "single_choice",
        "points": "0.25",
        "stem_html": "<p>Xem trước</p>",
        "options": [{"id": "A", "html": "1"}, {"id": "B", "html": "2"}],
    },
]
READ_ONLY = [12]
KEY_FIELDS = {"key", "keys", "answer", "answers", "tolerance", "pairs", "order", "rubric", "scoring", "match"}


def item_words(language: str) -> dict[str, str]:
    """The words a page hands items.js in #item-text (frontend/bank_text.py), in one language."""
    from django.utils import translation

    from frontend.bank_text import item_text

    with translation.override(language):
        return item_text()


# What the server sends a Vietnamese page; the words not yet in the catalogue show in English.
VI = item_words("vi")
SET_WORDS = """(words) => {
    const node = document.createElement("script");
    node.type = "application/json";
    node.id = "item-text";
    node.textContent = JSON.stringify(words);
    document.head.appendChild(node);
}"""


@contextmanager
def harness(words: dict[str, str]):
    """The harness in Chromium with every item rendered, the page holding these words."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="vi-VN")
            context.set_default_timeout(TIMEOUT_MS)
            # Nothing may leave the machine: the harness and items.js are local files.
            requests: list[str] = []
            context.route(
                "**/*",
                lambda route: (
                    requests.append(route.request.url),
                    route.continue_() if route.request.url.startswith("file://") else route.abort(),
                ),
            )
            pg = context.new_page()
            errors: list[str] = []
            pg.on("pageerror", lambda error: errors.append(str(error)))
            pg.goto(HARNESS.resolve().as_uri())
            pg.wait_for_function("() => window.ItemRenderer && typeof window.ItemRenderer.render === 'function'")
            pg.evaluate(SET_WORDS, words)  # as a page's json_script: items.js reads it at its first render
            pg.evaluate("([items, readOnly]) => window.renderAll(items, readOnly)", [copy.deepcopy(ITEMS), READ_ONLY])
            yield pg
            assert errors == []
            assert all(url.startswith("file://") for url in requests), requests
        finally:
            browser.close()


@pytest.fixture
def page():
    with harness(VI) as pg:
        yield pg


def changes(page, item: int) -> list:
    return [c["value"] for c in page.evaluate("() => window.__changes") if c["item"] == item]


def wait_changes(page, item: int, count: int) -> list:
    page.wait_for_function(
        "([item, count]) => window.__changes.filter((c) => c.item === item).length >= count", arg=[item, count]
    )
    return changes(page, item)


def settle(page) -> None:
    """Longer than the renderer's debounce (400 ms): anything still to come has come."""
    page.wait_for_timeout(700)


def test_harness_loads_the_shipped_items_js() -> None:
    text = HARNESS.read_text(encoding="utf-8")
    assert "../../frontend/static/frontend/items.js" in text
    assert ITEMS_JS.is_file()
    assert (HARNESS.parent / "../../frontend/static/frontend/items.js").resolve() == ITEMS_JS


def test_every_type_renders_from_the_student_view_alone(page) -> None:
    from playwright.sync_api import expect

    assert not any(KEY_FIELDS & set(item) for item in ITEMS)
    for item in ITEMS:
        expect(page.locator(f"#item-{item['item']} .stem")).to_have_count(1)
    # The renderer looked at no key field of any item.
    reads = page.evaluate("() => window.__reads")
    assert reads, "the Proxy recorded nothing"
    assert not [r for r in reads if r.rsplit(".", 1)[-1] in KEY_FIELDS], sorted(set(reads))
    # Math from the server's html is laid out (stem, options, statements, responses).
    math = page.locator("#item-1 .stem math")
    expect(math).to_have_count(1)
    box = math.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    expect(page.locator("#item-1 .stimulus")).to_contain_text("Ngữ liệu chung")
    expect(page.locator("#item-1 .stimulus-title")).to_have_text("Đoạn văn 1")
    # Unknown type: an error in the item, not a broken page.
    expect(page.locator("#item-11 .item-error[role=alert]")).to_contain_text("hologram")
    # Every input has an accessible name or sits in a label.
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll('#items input, #items select, #items textarea, #items button'))
            .filter((el) => !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.closest('label')
                              || (el.tagName === 'BUTTON' && el.textContent.trim())))
            .map((el) => el.outerHTML)"""
    )
    assert unlabelled == []
    # Names are per item: two single-choice items never share a radio group.
    expect(page.locator('input[name="item-1"]')).to_have_count(4)
    expect(page.locator('input[name="item-12"]')).to_have_count(2)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_single_and_multiple_choice(page) -> None:
    from playwright.sync_api import expect

    page.check(f'#item-1 input[type=radio][value="{OPAQUE[1]}"]')
    page.check(f'#item-1 input[type=radio][value="{OPAQUE[2]}"]')
    assert wait_changes(page, 1, 2) == [OPAQUE[1], OPAQUE[2]]
    expect(page.locator("#item-1 .letter")).to_have_text(["A.", "B.", "C.", "D."])  # places, not the ids

    page.check('#item-2 input[value="A"]')
    page.check('#item-2 input[value="C"]')
    page.uncheck('#item-2 input[value="A"]')
    page.uncheck('#item-2 input[value="C"]')
    assert wait_changes(page, 2, 4) == [["A"], ["A", "C"], ["C"], None]

    # Read-only (the preview): shown, disabled, never reports.
    expect(page.locator("#item-12 input[type=radio]")).to_have_count(2)
    for radio in page.locator("#item-12 input[type=radio]").all():
        expect(radio).to_be_disabled()
    page.click("#item-12 label.option >> nth=0", force=True)
    settle(page)
    assert changes(page, 12) == []


def test_true_false_group_table(page) -> None:
    from playwright.sync_api import expect

    table = page.locator("#item-3 table.tf-table")
    expect(table.locator("thead th")).to_have_text(["Mệnh đề", "Đúng", "Sai"])
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table.locator("tbody th .letter")).to_have_text(["a)", "b)", "c)", "d)"])
    expect(table.locator("tbody tr >> nth=1").locator("math")).to_have_count(1)
    page.check('#item-3 input[name="item-3-a"][value="true"]')
    page.check('#item-3 input[name="item-3-c"][value="false"]')
    page.check('#item-3 input[name="item-3-a"][value="false"]')
    assert wait_changes(page, 3, 3) == [{"a": True}, {"a": True, "c": False}, {"a": False, "c": False}]
    expect(page.get_by_label("b) Đúng", exact=True)).to_have_count(1)


def test_short_numeric_boxes_and_field(page) -> None:
    from playwright.sync_api import expect

    boxes = page.locator("#item-4 .boxes input.box")
    expect(boxes).to_have_count(4)
    boxes.nth(0).click()
    page.keyboard.type("-1,5")
    assert [boxes.nth(i).input_value() for i in range(4)] == ["-", "1", ",", "5"]
    assert wait_changes(page, 4, 1) == ["-1,5"]  # one send for the whole burst of typing
    settle(page)
    assert changes(page, 4) == ["-1,5"]

    # Backspace clears the box, then goes back; letters are refused.
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    expect(boxes.nth(2)).to_be_focused()
    page.keyboard.type("x.7")
    assert [boxes.nth(i).input_value() for i in range(4)] == ["-", "1", ".", "7"]
    page.click("#outside")  # leaving the boxes sends at once
    assert wait_changes(page, 4, 2) == ["-1,5", "-1.7"]

    # Arrow keys move between boxes; Backspace in the first empty box empties the answer.
    boxes.nth(3).click()
    for _ in range(4):
        page.keyboard.press("Backspace")
    expect(boxes.nth(0)).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(boxes.nth(1)).to_be_focused()
    assert wait_changes(page, 4, 3)[-1] is None

    # A number half typed is not sent when typing pauses (the server would refuse it) ...
    boxes.nth(0).click()
    page.keyboard.type("2,")
    settle(page)
    assert len(changes(page, 4)) == 3
    page.keyboard.type("5")
    assert wait_changes(page, 4, 4)[-1] == "2,5"
    # ... but leaving it half typed sends it, for the server to say what is wrong.
    page.keyboard.press("Backspace")
    page.click("#outside")
    assert wait_changes(page, 4, 5)[-1] == "2,"

    field = page.locator("#item-5 input.numeric-input")
    expect(field).to_have_attribute("inputmode", "decimal")
    expect(field).to_have_attribute("maxlength", "20")
    field.click()
    page.keyboard.type("abc-2,5")
    expect(field).to_have_value("-2,5")
    page.click("#outside")
    assert wait_changes(page, 5, 1) == ["-2,5"]
    settle(page)
    assert changes(page, 5) == ["-2,5"]  # the debounce does not send it a second time


def test_text_entry(page) -> None:
    from playwright.sync_api import expect

    field = page.locator("#item-6 input.text-input")
    expect(field).to_have_attribute("maxlength", "1000")
    field.click()
    page.keyboard.type("  Hà Nội ")
    assert wait_changes(page, 6, 1) == ["Hà Nội"]
    field.fill("   ")
    page.click("#outside")
    assert wait_changes(page, 6, 2) == ["Hà Nội", None]


def test_inline_choice_and_matching(page) -> None:
    from playwright.sync_api import expect

    selects = page.locator("#item-7 .stem span.gap select")
    expect(selects).to_have_count(2)
    expect(selects.nth(0).locator("option")).to_have_text(["—", "goes", "go"])
    # Option texts are text, never HTML.
    expect(selects.nth(1).locator("option").nth(2)).to_have_text("<b>walk</b>")
    selects.nth(0).select_option("x")
    selects.nth(1).select_option("y")
    selects.nth(0).select_option("")
    selects.nth(1).select_option("")
    assert wait_changes(page, 7, 4) == [{"g1": "x"}, {"g1": "x", "g2": "y"}, {"g2": "y"}, None]

    responses = page.locator("#item-8 .match-list li")
    expect(responses).to_have_count(3)
    expect(responses.locator(".letter")).to_have_text(["A.", "B.", "C."])
    expect(responses.nth(2).locator("math")).to_have_count(1)
    rows = page.locator("#item-8 .match-row select")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("option")).to_have_text(["—", "A. cos x", "B. 2x", "C"])
    rows.nth(0).select_option("r1")
    rows.nth(1).select_option(label="A. cos x")
    assert wait_changes(page, 8, 2) == [{"p1": "r1"}, {"p1": "r1", "p2": "r3"}]


def order_shown(page, item: int) -> list[str]:
    return page.evaluate(
        "(item) => Array.from(document.querySelectorAll(`#item-${item} .ordering-element`)).map((li) => li.dataset.element)",
        item,
    )


def test_ordering_by_keyboard(page) -> None:
    from playwright.sync_api import expect

    assert order_shown(page, 9) == ["a", "b", "c"]
    expect(page.locator("#item-9 .ordering-status")).to_be_visible()
    expect(page.locator("#item-9 .move-up").first).to_be_disabled()
    # Keyboard only: focus "Xuống" (down) of the first element and press Enter twice.
    down = page.locator('#item-9 .ordering-element[data-element="a"] .move-down')
    expect(down).to_have_text("Xuống")
    down.focus()
    page.keyboard.press("Enter")
    assert order_shown(page, 9) == ["b", "a", "c"]
    expect(down).to_be_focused()  # the focus follows the moved element
    page.keyboard.press("Enter")
    assert order_shown(page, 9) == ["b", "c", "a"]
    # At the bottom "Down" is disabled: the focus moves to the element's "Up".
    expect(page.locator('#item-9 .ordering-element[data-element="a"] .move-up')).to_be_focused()
    page.keyboard.press("Space")
    assert order_shown(page, 9) == ["b", "a", "c"]
    assert wait_changes(page, 9, 3) == [["b", "a", "c"], ["b", "c", "a"], ["b", "a", "c"]]
    expect(page.locator("#item-9 .ordering-status")).to_be_hidden()
    expect(page.locator("#item-9 .keep-order")).to_be_hidden()

    # Cleared: back to the shown order, not yet ordered; "Keep this order" sends it as it is.
    page.evaluate("() => window.__views[9].setValue(null)")
    assert order_shown(page, 9) == ["a", "b", "c"]
    keep = page.locator("#item-9 .keep-order")
    expect(keep).to_have_text(VI["keepOrder"])
    keep.click()
    assert wait_changes(page, 9, 4)[-1] == ["a", "b", "c"]


def test_essay_word_count(page) -> None:
    from playwright.sync_api import expect

    area = page.locator("#item-10 textarea")
    counter = page.locator("#item-10 .word-count")
    expect(area).to_have_attribute("maxlength", "20000")
    expect(counter).to_have_text(f"0 / 5 {VI['words']}")
    area.click()
    page.keyboard.type("Một hai ba bốn")
    expect(counter).to_have_text(f"4 / 5 {VI['words']}")
    assert wait_changes(page, 10, 1) == ["Một hai ba bốn"]
    page.keyboard.type(" năm sáu")
    expect(counter).to_contain_text(f"6 / 5 {VI['words']}")
    expect(counter).to_have_class("word-count over")
    # Over the limit nothing is sent, neither when typing pauses nor when leaving the field:
    # the server would refuse it, and the text stays on the page for the student to shorten.
    page.click("#outside")
    settle(page)
    assert changes(page, 10) == ["Một hai ba bốn"]
    expect(area).to_have_value("Một hai ba bốn năm sáu")
    area.click()
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    expect(counter).to_have_text(f"5 / 5 {VI['words']}")
    assert wait_changes(page, 10, 2) == ["Một hai ba bốn", "Một hai ba bốn năm"]
    # Words are counted as the server counts them: a no-break space separates words too.
    area.fill("một\u00a0hai\u3000ba")
    expect(counter).to_have_text(f"3 / 5 {VI['words']}")


VALUES = {
    1: OPAQUE[3],
    2: ["A", "C"],
    3: {"a": True, "d": False},
    4: "-0,5",
    5: "12.75",
    6: "Huế",
    7: {"g1": "w", "g2": "z"},
    8: {"p1": "r2", "p2": "r3"},
    9: ["c", "a", "b"],
    10: "Một hai ba",
}


def test_set_value_repaints_every_type_without_reporting(page) -> None:
    from playwright.sync_api import expect

    page.evaluate("(values) => Object.keys(values).forEach((k) => window.__views[k].setValue(values[k]))", VALUES)
    assert page.evaluate(
        "() => Object.fromEntries(Object.keys(window.__views).map((k) => [k, window.__views[k].getValue()]))"
    ) == {
        **{str(k): v for k, v in VALUES.items()},
        "11": None,
        "12": None,
    }
    expect(page.locator("#item-1 input[type=radio]:checked")).to_have_value(OPAQUE[3])
    expect(page.locator("#item-2 input[type=checkbox]:checked")).to_have_count(2)
    expect(page.locator('#item-3 input[name="item-3-a"][value="true"]')).to_be_checked()
    expect(page.locator('#item-3 input[name="item-3-d"][value="false"]')).to_be_checked()
    expect(page.locator("#item-3 input:checked")).to_have_count(2)
    boxes = page.locator("#item-4 input.box")
    assert [boxes.nth(i).input_value() for i in range(4)] == ["-", "0", ",", "5"]
    expect(page.locator("#item-5 input")).to_have_value("12.75")
    expect(page.locator("#item-6 input")).to_have_value("Huế")
    expect(page.locator('#item-7 select[data-gap="g1"]')).to_have_value("w")
    expect(page.locator('#item-7 select[data-gap="g2"]')).to_have_value("z")
    expect(page.locator('#item-8 select[data-premise="p1"]')).to_have_value("r2")
    expect(page.locator('#item-8 select[data-premise="p2"]')).to_have_value("r3")
    assert order_shown(page, 9) == ["c", "a", "b"]
    expect(page.locator("#item-9 .keep-order")).to_be_hidden()
    expect(page.locator("#item-10 textarea")).to_have_value("Một hai ba")
    expect(page.locator("#item-10 .word-count")).to_have_text(f"3 / 5 {VI['words']}")
    settle(page)
    assert page.evaluate("() => window.__changes") == []  # repainting is not a change

    # A change after a repaint starts from the repainted value.
    page.locator('#item-3 input[name="item-3-b"][value="true"]').check()
    assert wait_changes(page, 3, 1) == [{"a": True, "b": True, "d": False}]
    page.locator('#item-9 .ordering-element[data-element="b"] .move-up').click()
    assert wait_changes(page, 9, 1) == [["c", "b", "a"]]

    # setValue(null) clears every type, and drops typing not yet sent.
    page.locator("#item-6 input").fill("Đà Nẵng")
    page.evaluate("() => Object.keys(window.__views).forEach((k) => window.__views[k].setValue(null))")
    assert page.evaluate("() => Object.keys(window.__views).map((k) => window.__views[k].getValue())") == [None] * len(
        ITEMS
    )
    expect(page.locator("#items input:checked")).to_have_count(0)
    assert [boxes.nth(i).input_value() for i in range(4)] == ["", "", "", ""]
    expect(page.locator("#item-6 input")).to_have_value("")
    assert order_shown(page, 9) == ["a", "b", "c"]
    expect(page.locator("#item-9 .keep-order")).to_be_visible()
    expect(page.locator("#item-10 .word-count")).to_have_text(f"0 / 5 {VI['words']}")
    settle(page)
    assert [c["item"] for c in page.evaluate("() => window.__changes")] == [3, 9]


def test_flush_sends_typing_at_once(page) -> None:
    page.locator("#item-6 input").fill("Cần Thơ")
    page.evaluate("() => window.__views[6].flush()")
    assert changes(page, 6) == ["Cần Thơ"]
    settle(page)
    assert changes(page, 6) == ["Cần Thơ"]


# The renderer's own words, as the page shows them: labels, hints, buttons, names of controls
# (not the item's content, which is in the language it was written in).
CHROME_TEXT = """() => {
    const own = "thead th, .hint, .match-heading, .ordering-status, button, .word-count, .item-error";
    const texts = Array.from(document.querySelectorAll("#items .item-body")).flatMap((body) =>
        Array.from(body.querySelectorAll(own)).map((node) => node.textContent.trim()));
    const named = Array.from(document.querySelectorAll("#items [aria-label]"))
        .filter((node) => !node.closest(".stimulus"))
        .map((node) => node.getAttribute("aria-label"));
    return texts.concat(named).filter((text) => text);
}"""


def test_the_words_are_the_pages_in_one_language() -> None:
    """The renderer says nothing of its own: every label is the page's word, in its language."""
    english = item_words("en")
    with harness(english) as pg:
        shown = pg.evaluate(CHROME_TEXT)
        pg.screenshot(path="/tmp/item_renderer_en.png", full_page=True)
    assert shown
    vietnamese = [text for text in shown if re.search(r"[^\x00-\x7f]", text.replace("\u2014", ""))]
    assert vietnamese == []
    assert {english["statement"], english["trueLabel"], english["keepOrder"], english["boxesHint"]} <= set(shown)
    assert not [text for text in shown if " / " in text and not re.fullmatch(r"\d+ / \d+ .*|.* \d+/\d+", text)]


def test_items_js_holds_no_words_of_its_own() -> None:
    """items.js lists the keys it shows; the server gives a word for each, and for nothing else."""
    listed = re.search(r"var TEXT_KEYS = \[([^\]]*)\]", ITEMS_JS.read_text(encoding="utf-8"))
    assert listed is not None
    keys = set(re.findall(r'"(\w+)"', listed.group(1)))
    assert keys == set(VI)
    used = set(re.findall(r"\btext\.(\w+)", ITEMS_JS.read_text(encoding="utf-8"))) - {"length", "slice"}
    assert used <= keys | {"empty"}, used - keys
