"""The student's exam page on exam day, in Debian's Chromium, at 1366x768 and on a 375 px phone.

The heartbeat that notices a silent connection, the review before submitting, the palette's
legend and accessible names, the skip link, text size and contrast, the top bar without a way
out, and the layouts where nothing may be cut off. Words are checked in English (the
``django_language`` cookie) or not at all: the structure carries the tests. Screenshots go to
``/tmp/exam-day-shots/``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from accounts.models import Role
from assess import authoring, statuses
from assess.management.commands.seed_demo import EVERY_TYPE
from assess.models import Answer, Attempt
from itembank import services as bank
from itembank.models import Subject
from tests.browser.test_exam_browser import (  # noqa: F401  (fixtures)
    Exam,
    browser,
    choose,
    exam,
    in_db_thread,
    log_in,
    new_page,
    server,
    wait_until_saved,
)
from tests.factories import make_assessment, make_school, make_user, release_version, schedule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/exam-day-shots")
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}
SIZES = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "375"])


def shot(page, name: str, *, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def english(page, base: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])


def open_exam(
    chromium,
    base: str,
    sitting: Exam,
    *,
    viewport=DESKTOP,
    language: str | None = None,
    init_script: str | None = None,
    **config,
):
    """A logged-in student on the exam page (not started); ``config`` overrides the runner's.
    The frames its exam sockets receive are kept in order in ``page.socket_frames``."""
    from playwright.sync_api import expect

    page = new_page(chromium, locale="vi-VN", viewport=viewport)
    page.socket_frames = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: page.socket_frames.append(frame)))
    if init_script:
        page.add_init_script(init_script)
    if language == "en":
        english(page, base)
    if config:
        # Deferred scripts run after the document turns "interactive": the runner reads the
        # changed config. (Serving a changed page with page.route would make Chromium refuse
        # the websocket: a fulfilled document has no address space of its own.)
        page.add_init_script(
            'document.addEventListener("readystatechange", () => {'
            '  if (document.readyState !== "interactive") return;'
            '  const node = document.getElementById("runner-config");'
            "  if (!node) return;"
            f"  node.textContent = JSON.stringify(Object.assign(JSON.parse(node.textContent), {json.dumps(config)}));"
            "});"
        )
    log_in(page, base, sitting.student.username)
    page.goto(f"{base}/exam/{sitting.attempt.pk}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    return page


def start(page) -> None:
    from playwright.sync_api import expect

    page.click("#start")
    expect(page.locator("#paper")).to_be_visible()


def within_width(page, selector: str) -> None:
    """Every element matching ``selector`` lies wholly inside the viewport's width."""
    width = page.viewport_size["width"]
    boxes = page.locator(selector).evaluate_all(
        "(nodes) => nodes.map((n) => { const r = n.getBoundingClientRect(); return [r.left, r.right, r.width]; })"
    )
    assert boxes, f"nothing matches {selector}"
    for left, right, box_width in boxes:
        assert box_width > 0 and left >= 0 and right <= width + 0.5, (
            f"{selector}: {left:.1f}..{right:.1f} on {width} px"
        )


def fits(page) -> None:
    """No horizontal scrolling: the page is no wider than the screen (naming what sticks out)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    screen = page.viewport_size["width"]
    if width > screen:
        wide = page.evaluate(
            """(screen) => Array.from(document.querySelectorAll('body *'))
                .filter((n) => n.getBoundingClientRect().right > screen + 0.5)
                .slice(0, 8).map((n) => n.tagName + '#' + n.id + '.' + n.className + ' ' + n.getBoundingClientRect().right)""",
            screen,
        )
        raise AssertionError(f"{width} px wide on a {screen} px screen: {wide}")


# --- 0. the sealed form -----------------------------------------------------------------------


def states(page) -> list[dict]:
    return [m for m in (json.loads(f) for f in page.socket_frames if isinstance(f, str)) if m["type"] == "state"]


NO_SECURE_CONTEXT = 'Object.defineProperty(window, "isSecureContext", {value: false});'
DECRYPT_FAILS = 'window.crypto.subtle.decrypt = () => Promise.reject(new Error("tampered"));'


@pytest.mark.parametrize("case", ["sealed", "no_web_crypto", "does_not_open"])
def test_the_page_holds_its_form_sealed_until_the_start_and_else_gets_it_with_the_start(
    exam: Exam,  # noqa: F811
    server: str,  # noqa: F811
    browser,  # noqa: F811
    case: str,
) -> None:
    """docs/protocol.md, the sealed form: where Web Crypto exists (localhost here) the waiting
    page holds its questions encrypted and the start brings the key; a page without it, or
    one whose form does not open, shows the questions all the same."""
    from playwright.sync_api import expect

    script = {"sealed": None, "no_web_crypto": NO_SECURE_CONTEXT, "does_not_open": DECRYPT_FAILS}[case]
    page = open_exam(browser, server, exam, init_script=script)
    for _ in range(50):  # the frame events reach the test a moment after the page
        if states(page):
            break
        page.wait_for_timeout(100)
    waiting = states(page)[0]
    assert waiting["status"] == "scheduled" and waiting["items"] == []
    assert ("sealed" in waiting) == (case != "no_web_crypto")
    start(page)
    expect(page.locator("#items li.item")).to_have_count(len(exam.keys))
    running = [s for s in states(page) if s["status"] == "in_progress"]
    if case == "no_web_crypto":
        assert [("unseal" in s, len(s["items"])) for s in running] == [(False, len(exam.keys))]
    else:  # the key first; where it does not open the form, the sync's questions after it
        assert "items" not in running[0] and len(running[0]["unseal"]) == 44
        assert [len(s["items"]) for s in running[1:]] == ([] if case == "sealed" else [len(exam.keys)])
    choose(page, 1, exam.keys[1])
    wait_until_saved(page)


# --- 1. the heartbeat -------------------------------------------------------------------------


def test_heartbeat_notices_a_silent_connection_and_reconnects(exam: Exam, server: str, browser) -> None:  # noqa: F811
    """Offline, Chromium keeps the socket open and delivers nothing: only the heartbeat can
    tell. The page says so within the dead interval, keeps the answer given meanwhile, and
    sends it once the network is back."""
    from playwright.sync_api import expect

    heartbeat, dead_after = 1000, 4000
    page = open_exam(browser, server, exam, heartbeatMs=heartbeat, deadAfterMs=dead_after)
    frames: list[tuple[float, str, str]] = []

    def watch(socket) -> None:
        socket.on("framesent", lambda payload: frames.append((time.monotonic(), "sent", str(payload))))
        socket.on("framereceived", lambda payload: frames.append((time.monotonic(), "received", str(payload))))

    page.on("websocket", watch)
    page.reload()  # watched from the first frame
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    start(page)

    # While connected and idle: a ping about every heartbeat, never more often, each answered.
    page.wait_for_timeout(500)
    begin = time.monotonic()
    page.wait_for_timeout(5000)
    pings = [at for at, way, payload in frames if way == "sent" and '"ping"' in payload and at >= begin]
    pongs = [at for at, way, payload in frames if way == "received" and '"pong"' in payload and at >= begin]
    assert 2 <= len(pings) <= 6, pings
    assert all(b - a >= 0.8 * heartbeat / 1000 for a, b in zip(pings, pings[1:], strict=False)), pings
    assert len(pongs) >= len(pings) - 1
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")

    # The network goes; the socket stays open and silent (no close event comes).
    page.context.set_offline(True)
    went = time.monotonic()
    choose(page, 1, "B")
    expect(page.locator("#saved")).to_have_attribute("data-pending", "1")
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline", timeout=dead_after + 4000)
    noticed = time.monotonic() - went
    assert noticed >= 1.0, f"lost after {noticed:.1f} s: a close event, not the heartbeat"
    expect(page.locator("#connection")).to_have_class(re.compile(r"\bconn-offline\b"))
    shot(page, "heartbeat-lost-1366")
    page.wait_for_timeout(1500)
    expect(page.locator("#connection")).not_to_have_attribute("data-state", "open")  # still no way through
    assert in_db_thread(lambda: Answer.objects.filter(attempt_id=exam.attempt.pk, value__isnull=False).count()) == 0

    # Back: reconnected, the waiting answer sent and stored.
    page.context.set_offline(False)
    expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=20_000)
    wait_until_saved(page)
    stored = in_db_thread(
        lambda: list(
            Answer.objects.filter(attempt_id=exam.attempt.pk, value__isnull=False).values_list(
                "form_item__position", flat=True
            )
        )
    )
    assert stored == [1]
    assert page.page_errors == []


def test_runner_config_carries_the_heartbeat_defaults(exam: Exam, server: str, browser) -> None:  # noqa: F811
    page = new_page(browser, locale="vi-VN", viewport=DESKTOP)
    log_in(page, server, exam.student.username)
    page.goto(f"{server}/exam/{exam.attempt.pk}/")
    config = page.evaluate("JSON.parse(document.getElementById('runner-config').textContent)")
    assert config["heartbeatMs"] == 10_000 and config["deadAfterMs"] == 25_000


# --- 2. the review before submitting ----------------------------------------------------------


@SIZES
def test_review_panel_counts_goes_to_a_question_and_submits(exam: Exam, server: str, browser, viewport) -> None:  # noqa: F811
    from playwright.sync_api import expect

    size = viewport["width"]
    page = open_exam(browser, server, exam, viewport=viewport, language="en")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    start(page)
    for position in (1, 2, 3):
        choose(page, position, exam.keys[position])
    page.check('input[data-flag="2"]')
    page.check('input[data-flag="4"]')
    wait_until_saved(page)

    review = page.locator("#review")
    expect(review).to_be_hidden()
    page.click("#submit")
    expect(review).to_be_visible()
    expect(review.locator("#review-title")).to_have_text("Check before you submit")
    expect(page.locator("#review-answered")).to_have_text("3/5")
    expect(page.locator("#review-unanswered")).to_have_text("2")
    expect(page.locator("#review-flagged")).to_have_text("2")
    rows = review.locator("#review-list button[data-item]")
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_have_text(re.compile(r"^Question 1\s*answered$"))
    expect(rows.nth(1)).to_have_text(re.compile(r"^Question 2\s*answered, flagged$"))
    expect(rows.nth(3)).to_have_text(re.compile(r"^Question 4\s*not answered, flagged$"))
    expect(rows.nth(4)).to_have_text(re.compile(r"^Question 5\s*not answered$"))
    expect(page.locator("#review-submit")).to_have_text("Submit now")
    expect(page.locator("#review-back")).to_have_text("Back to the exam")
    within_width(page, "#review-submit, #review-back, #review-list button")
    shot(page, f"review-{size}")
    assert page.evaluate("document.getElementById('review').matches(':modal')")

    # Go to question 5: the panel closes, the question is in view with the focus, the palette marks it.
    rows.nth(4).click()
    expect(review).to_be_hidden()
    expect(page.locator("#item-5")).to_be_focused()
    expect(page.locator("#item-5")).to_be_in_viewport()
    expect(page.locator('#palette a[data-item="5"]')).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.locator('#palette a[data-item="5"]')).to_have_attribute("aria-current", "true")
    choose(page, 5, exam.keys[5])
    wait_until_saved(page)

    # Open again, the counts follow; "Back to the exam" returns to the Submit button.
    page.click("#submit")
    expect(page.locator("#review-unanswered")).to_have_text("1")
    expect(page.locator("#review-answered")).to_have_text("4/5")
    page.click("#review-back")
    expect(review).to_be_hidden()
    expect(page.locator("#submit")).to_be_focused()
    expect(page.locator("#paper")).to_be_visible()
    # Escape closes it too, and nothing was handed in.
    page.click("#submit")
    page.keyboard.press("Escape")
    expect(review).to_be_hidden()
    assert in_db_thread(lambda: Attempt.objects.get(pk=exam.attempt.pk).status) == statuses.IN_PROGRESS

    page.click("#submit")
    page.click("#review-submit")
    expect(page.locator("#done")).to_be_visible()
    expect(review).to_be_hidden()
    expect(page.locator("#receipt")).to_contain_text("4 of 5")
    assert dialogs == []  # no window.confirm any more
    assert in_db_thread(lambda: Attempt.objects.get(pk=exam.attempt.pk).status) in (
        statuses.SUBMITTED,
        statuses.SCORED,
    )
    assert page.page_errors == []


def test_review_waits_for_the_connection_before_handing_in(exam: Exam, server: str, browser) -> None:  # noqa: F811
    """Submit now while offline: the panel says it is handing in and does so once back."""
    from playwright.sync_api import expect

    page = open_exam(browser, server, exam, language="en", heartbeatMs=1000, deadAfterMs=3000)
    start(page)
    page.context.set_offline(True)
    choose(page, 2, exam.keys[2])
    page.click("#submit")
    page.click("#review-submit")
    expect(page.locator("#review-status")).to_contain_text("Handing in")
    expect(page.locator("#review-submit")).to_be_disabled()
    page.keyboard.press("Escape")  # handing in: it stays
    expect(page.locator("#review")).to_be_visible()
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline", timeout=10_000)
    assert in_db_thread(lambda: Attempt.objects.get(pk=exam.attempt.pk).status) == statuses.IN_PROGRESS
    page.context.set_offline(False)
    expect(page.locator("#done")).to_be_visible(timeout=20_000)
    expect(page.locator("#review")).to_be_hidden()
    attempt = in_db_thread(lambda: Attempt.objects.get(pk=exam.attempt.pk))
    assert attempt.status in (statuses.SUBMITTED, statuses.SCORED)
    assert in_db_thread(lambda: Answer.objects.get(attempt_id=exam.attempt.pk, form_item__position=2).value)
    assert page.page_errors == []


# --- 3. the palette: legend and accessible names ----------------------------------------------


def test_palette_has_a_legend_and_says_each_questions_state(exam: Exam, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = open_exam(browser, server, exam, language="en")
    start(page)
    # The current question is the first at the start.
    expect(page.locator("#palette a.current")).to_have_count(1)
    expect(page.locator('#palette a[data-item="1"]')).to_have_attribute("aria-current", "true")
    legend = page.locator('[data-testid="legend"]')
    expect(legend).to_be_visible()
    expect(legend.locator("li")).to_have_text(
        ["Answered", "Not answered", "Flagged", "Not saved yet", "Current question"]
    )
    # Each entry shows the mark the palette uses.
    for n, mark in enumerate(["answered", None, "flagged", "unsaved", "current"]):
        swatch = legend.locator("li").nth(n).locator(".swatch")
        if mark:
            expect(swatch).to_have_class(re.compile(rf"\b{mark}\b"))

    choose(page, 3, exam.keys[3])
    page.check('input[data-flag="3"]')
    page.check('input[data-flag="4"]')
    wait_until_saved(page)
    names = {
        position: f"Question {position}, {state}"
        for position, state in {
            1: "not answered",
            2: "not answered",
            3: "answered, flagged",
            4: "not answered, flagged",
            5: "not answered",
        }.items()
    }
    for position, name in names.items():
        expect(page.get_by_role("link", name=name, exact=True)).to_have_attribute("data-item", str(position))
    # Marks drawn on the palette, not told by colour alone: a ring and a dot for a flag.
    flagged = page.locator('#palette a[data-item="4"]')
    assert flagged.evaluate("(a) => getComputedStyle(a, '::after').content") == '""'
    assert page.locator('#palette a[data-item="1"]').evaluate("(a) => getComputedStyle(a, '::after').content") == "none"

    # The current question follows the student: the one worked on, the one jumped to.
    expect(page.locator('#palette a[data-item="4"]')).to_have_attribute("aria-current", "true")  # its flag
    page.click('#palette a[data-item="5"]')
    expect(page.locator('#palette a[data-item="5"]')).to_have_attribute("aria-current", "true")
    page.click('#palette a[data-item="4"]')
    expect(page.locator('#palette a[data-item="4"]')).to_have_attribute("aria-current", "true")
    expect(page.locator("#palette [aria-current]")).to_have_count(1)
    page.locator('input[name="item-2"]').first.focus()
    expect(page.locator('#palette a[data-item="2"]')).to_have_class(re.compile(r"\bcurrent\b"))
    # Unflagging and clearing say so at once.
    page.uncheck('input[data-flag="3"]')
    page.locator("#item-3 .clear").click()
    expect(page.get_by_role("link", name="Question 3, not answered", exact=True)).to_have_count(1)
    shot(page, "palette-legend-1366")
    assert page.page_errors == []


def test_palette_names_are_vietnamese_by_default(exam: Exam, server: str, browser) -> None:  # noqa: F811
    """The words come from the server in the page's language: Vietnamese unless English is chosen."""
    page = open_exam(browser, server, exam)
    start(page)
    assert page.locator("html").get_attribute("lang") == "vi"
    words = page.evaluate("JSON.parse(document.getElementById('runner-text').textContent)")
    assert words["question"] == "Câu"
    label = page.locator('#palette a[data-item="1"]').get_attribute("aria-label")
    assert label == f"Câu 1, {words['stateUnanswered']}"


# --- 4. the skip link ---------------------------------------------------------------------------


def test_skip_link_is_the_first_focusable_element(exam: Exam, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = open_exam(browser, server, exam, language="en")
    skip = page.locator("#skip-link")
    expect(skip).to_have_text("Skip to the questions")
    box = skip.bounding_box()
    assert box is None or box["y"] + box["height"] <= 0  # out of sight until focused

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    shot(page, "skip-link-1366")
    page.keyboard.press("Enter")  # before the start: to the start button
    expect(page.locator("#start")).to_be_focused()

    page.keyboard.press("Enter")  # starts the exam
    expect(page.locator("#paper")).to_be_visible()
    page.reload()
    expect(page.locator("#paper")).to_be_visible()
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    first = page.locator("#items li.item").first
    expect(first).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the first question, past the palette
    assert page.evaluate("document.activeElement.closest('li.item')?.id") == "item-1"
    assert page.page_errors == []


# --- 5. text size and contrast ------------------------------------------------------------------


@SIZES
def test_text_size_and_contrast_apply_and_are_remembered(exam: Exam, server: str, browser, viewport) -> None:  # noqa: F811
    from playwright.sync_api import expect

    size = viewport["width"]
    page = open_exam(browser, server, exam, viewport=viewport, language="en")
    start(page)
    section = page.locator("#exam")
    stem = page.locator("#item-1 .stem")
    normal = stem.evaluate("(n) => parseFloat(getComputedStyle(n).fontSize)")
    buttons = page.locator("[data-text-size]")
    expect(buttons).to_have_count(3)
    expect(buttons.nth(0)).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="High contrast")).to_have_attribute("aria-pressed", "false")

    buttons.nth(2).click()
    expect(section).to_have_class(re.compile(r"\btext-size-2\b"))
    expect(buttons.nth(2)).to_have_attribute("aria-pressed", "true")
    expect(buttons.nth(0)).to_have_attribute("aria-pressed", "false")
    largest = stem.evaluate("(n) => parseFloat(getComputedStyle(n).fontSize)")
    assert largest >= normal * 1.3, (normal, largest)
    page.get_by_role("button", name="High contrast").click()
    expect(section).to_have_class(re.compile(r"\bhigh-contrast\b"))
    colours = page.evaluate(
        """() => [getComputedStyle(document.querySelector('#item-1 .stem')).color,
                  getComputedStyle(document.body).backgroundColor]"""
    )
    assert colours == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"], colours
    choose(page, 1, exam.keys[1])
    if size == PHONE["width"]:
        fits(page)
        within_width(page, "#timer, #submit, #palette a, [data-text-size], #contrast")
    shot(page, f"large-contrast-{size}")

    # Remembered by this browser: the same after a reload.
    page.reload()
    expect(page.locator("#paper")).to_be_visible()
    expect(section).to_have_class(re.compile(r"\btext-size-2\b"))
    expect(section).to_have_class(re.compile(r"\bhigh-contrast\b"))
    expect(buttons.nth(2)).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="High contrast")).to_have_attribute("aria-pressed", "true")
    assert stem.evaluate("(n) => parseFloat(getComputedStyle(n).fontSize)") == largest

    # And back to normal.
    buttons.nth(0).click()
    page.get_by_role("button", name="High contrast").click()
    expect(section).not_to_have_class(re.compile(r"\b(text-size-\d|high-contrast)\b"))
    assert stem.evaluate("(n) => parseFloat(getComputedStyle(n).fontSize)") == normal
    page.reload()
    expect(section).not_to_have_class(re.compile(r"\b(text-size-\d|high-contrast)\b"))
    assert page.page_errors == []


# --- 6. no way out of the exam in the top bar -----------------------------------------------------


def test_exam_page_top_bar_has_no_logout_language_or_menu(exam: Exam, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = new_page(browser, locale="vi-VN", viewport=DESKTOP)
    log_in(page, server, exam.student.username)
    # The exam list has them all (the control).
    page.goto(f"{server}/exam/")
    topbar = page.locator("header.topbar")
    expect(topbar.locator('form[action$="/logout/"]')).to_have_count(1)
    expect(topbar.locator('select[name="language"]')).to_have_count(1)
    expect(topbar.locator('[data-testid="nav-password"]')).to_have_count(1)

    page.goto(f"{server}/exam/{exam.attempt.pk}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    expect(topbar.locator('form[action$="/logout/"]')).to_have_count(0)
    expect(topbar.locator('select[name="language"], form[action*="setlang"]')).to_have_count(0)
    expect(topbar.locator("nav, .nav-link")).to_have_count(0)
    expect(topbar.locator('[data-testid="who"]')).to_contain_text(exam.student.username)  # who sits here
    start(page)
    expect(topbar.locator("form, select, .nav-link")).to_have_count(0)
    assert page.page_errors == []


# --- 7. layouts: the phone and the laptop -------------------------------------------------------


@pytest.fixture
def every_type(transactional_db) -> Exam:
    """A sitting of one item of every type (the true/false table among them), one student."""
    school = make_school()
    board = make_user(Role.BOARD, school.parent)
    teacher = make_user(Role.TEACHER, school)
    subject, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    versions = [
        release_version(
            bank.item_create(
                by=teacher, subject=subject, level=level, item_type=item_type, content=document, points=points
            ),
            author=teacher,
            reviewer=board,
        )
        for item_type, level, document, points in EVERY_TYPE
    ]
    assessment = make_assessment(organisation=school, subject=subject, created_by=board)
    form = authoring.form_of_versions(by=board, assessment=assessment, code="101", item_versions=versions)
    student = make_user(Role.STUDENT, school)
    sitting = schedule(by=board, form=form, students=[student], title="Kiểm tra giữa kì I – Toán 12")
    attempt = sitting.attempts.get()
    return Exam(sitting, attempt, student, attempt, student, board, {})


@SIZES
def test_start_timer_and_false_column_are_fully_visible(every_type: Exam, server: str, browser, viewport) -> None:  # noqa: F811
    from playwright.sync_api import expect

    size = viewport["width"]
    page = open_exam(browser, server, every_type, viewport=viewport)
    expect(page.locator("#start")).to_be_visible()
    within_width(page, "#start, #timer, #connection, [data-text-size], #contrast")
    fits(page)
    shot(page, f"intro-{size}", full_page=True)

    start(page)
    table = page.locator("table.tf-table")
    expect(table).to_have_count(1)
    table.scroll_into_view_if_needed()
    # The header row's second choice column is "Sai" (False); every row's False cell and radio too.
    false_column = "table.tf-table thead th.tf-head:nth-child(3), table.tf-table tbody td.tf-choice:nth-child(3)"
    within_width(page, false_column)
    within_width(page, "table.tf-table tbody td.tf-choice:nth-child(3) input[type=radio]")
    within_width(page, "table.tf-table, #timer, #palette a, .boxes .box")
    fits(page)
    # The false choice can be ticked where it is, and the timer stays on screen above it.
    page.locator("table.tf-table tbody tr").first.locator("td.tf-choice").nth(1).locator("input").check()
    expect(page.locator("#timer")).to_be_in_viewport()
    shot(page, f"true-false-{size}")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, f"paper-{size}", full_page=True)

    # The largest text still fits a phone.
    page.locator('[data-text-size="2"]').click()
    table.scroll_into_view_if_needed()
    within_width(page, false_column)
    within_width(page, "#timer")
    fits(page)
    shot(page, f"true-false-largest-{size}")
    page.locator('[data-text-size="0"]').click()
    assert page.page_errors == []
