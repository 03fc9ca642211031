"""The exam page's journal (journal.js, exam.js) in Debian's Chromium: nothing the student did
is lost while the connection is cut, across a reload, across a crash of the browser, or
without IndexedDB; each question says whether it is saved; reconnecting backs off with full
jitter; the timer keeps the server's time whatever the PC's clock says.

The websocket is cut with Playwright's websocket routing (:class:`SocketSwitch`), not with
``set_offline``: the page itself must still load (a reload while cut), only the exam's socket
is refused. What the page keeps is read from IndexedDB and localStorage with ``page.evaluate``;
what the server stored is read from ``AnswerEvent``, the history of every change under its
seq. Screenshots of a page with unsaved answers go to ``/tmp/journal-*.png``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from assess.models import Answer, AnswerEvent, Attempt
from tests.browser.test_exam_browser import (  # noqa: F401  (fixtures)
    TIMEOUT_MS,
    Exam,
    browser,
    checked_answers,
    choose,
    exam,
    in_db_thread,
    log_in,
    new_page,
    server,
    shown_seconds,
    wait_until_saved,
    wrong_option,
)
from tests.browser.test_exam_day_browser import DESKTOP, PHONE, SIZES, english, start
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXAM_SOCKET = re.compile(r"/ws/attempts/\d+/(\?seal=aes-gcm)?$")

# Every change of one attempt the page's IndexedDB journal holds, as {seq, type, item, message}.
JOURNAL_RECORDS = """async (attempt) => {
    if (!window.indexedDB) return null;
    const names = (await indexedDB.databases()).map((d) => d.name);
    if (!names.includes('assess-exam')) return [];          // never opened: opening would create it
    const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open('assess-exam');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    try {
        if (!db.objectStoreNames.contains('changes')) return [];
        const records = await new Promise((resolve, reject) => {
            const request = db.transaction('changes').objectStore('changes').getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
        });
        return records.filter((r) => r.attempt === attempt)
            .map((r) => ({seq: r.seq, type: r.message.type, item: r.message.item, message: r.message}));
    } finally {
        db.close();
    }
}"""


class SocketSwitch:
    """Every exam websocket of a browser context goes through here: on to the server while
    connected, closed as soon as it opens while cut. Records when the page tried to connect
    and every frame it sent to the server."""

    def __init__(self, context) -> None:
        self.cut = False
        self.busy_ms: int | None = None  # set: every new socket hears `busy` and is closed 4503
        self.attempts: list[float] = []  # time.monotonic() of each connection the page opened
        self.sent: list[tuple[float, str]] = []  # frames the page sent the server
        self._live: list[tuple[object, object]] = []
        context.route_web_socket(EXAM_SOCKET, self._route)

    def _route(self, ws) -> None:
        self.attempts.append(time.monotonic())
        if self.cut:
            ws.close(code=1012, reason="cut")
            return
        if self.busy_ms is not None:  # as assess/consumers.py refuses an opening (docs/protocol.md)
            message = "The server is busy. The page connects again by itself in a moment; nothing is lost."
            ws.send(json.dumps({"type": "error", "code": "busy", "message": message, "retry_after_ms": self.busy_ms}))
            ws.close(code=4503)
            return
        to_server = ws.connect_to_server()

        def forward(message) -> None:
            self.sent.append((time.monotonic(), str(message)))
            to_server.send(message)

        ws.on_message(forward)
        self._live.append((ws, to_server))

    def cut_off(self) -> None:
        """Drop the live socket and refuse every new one (the server sees its close too)."""
        self.cut = True
        for ws, to_server in self._live:
            with contextlib.suppress(Exception):
                ws.close(code=1012, reason="cut")
            with contextlib.suppress(Exception):
                to_server.close()
        self._live = []

    def busy(self, retry_ms: int) -> None:
        """Drop the live socket; every new one is told the server is busy, to come back later."""
        self.cut_off()
        self.cut, self.busy_ms = False, retry_ms

    def restore(self, page) -> None:
        """Let sockets through again and tell the page the network is back (it retries at once)."""
        self.cut, self.busy_ms = False, None
        page.evaluate("() => window.dispatchEvent(new Event('online'))")

    def changes_sent_since(self, since: float) -> list[tuple[int, str, int]]:
        """(seq, type, item) of every answer and flag the page sent after ``since``, in order."""
        found = []
        for at, frame in self.sent:
            message = json.loads(frame)
            if at >= since and message.get("type") in ("answer", "flag"):
                found.append((message["seq"], message["type"], message["item"]))
        return found


def journal_records(page, attempt_id: int) -> list[dict]:
    return sorted(page.evaluate(JOURNAL_RECORDS, attempt_id), key=lambda record: record["seq"])


def local_pending(page, attempt_id: int) -> dict | None:
    return page.evaluate(
        "(key) => { const raw = window.localStorage.getItem(key); return raw === null ? null : JSON.parse(raw); }",
        f"exam:{attempt_id}:pending",
    )


def stored_events(attempt_id: int) -> list[tuple[int, str, int, object]]:
    """The server's history: (seq, kind, position, value) of every stored change, by seq."""
    return in_db_thread(
        lambda: list(
            AnswerEvent.objects.filter(attempt_id=attempt_id)
            .order_by("seq")
            .values_list("seq", "kind", "form_item__position", "value")
        )
    )


def open_exam_page(chromium, base: str, sitting: Exam, *, viewport=DESKTOP, init_script: str | None = None):
    """A logged-in student (English words) whose exam sockets go through a :class:`SocketSwitch`."""
    from playwright.sync_api import expect

    page = new_page(chromium, locale="vi-VN", viewport=viewport)
    english(page, base)
    if init_script:
        page.add_init_script(init_script)
    switch = SocketSwitch(page.context)
    log_in(page, base, sitting.student.username)
    page.goto(f"{base}/exam/{sitting.attempt.pk}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    return page, switch


def save_state(page, position: int):
    return page.locator(f'[data-save-state="{position}"]')


def palette_link(page, position: int):
    return page.locator(f'#palette a[data-item="{position}"]')


# --- (a) cut off, reloaded, back: the journal and the marks ------------------------------------


@SIZES
def test_answers_given_while_cut_off_wait_in_the_journal_and_go_out_with_their_seqs(
    exam: Exam,  # noqa: F811
    server: str,  # noqa: F811
    browser,  # noqa: F811
    viewport,
) -> None:
    from playwright.sync_api import expect

    size = viewport["width"]
    keys = exam.keys
    page, switch = open_exam_page(browser, server, exam, viewport=viewport)
    start(page)
    choose(page, 1, keys[1])
    wait_until_saved(page)
    expect(save_state(page, 1)).to_have_attribute("data-state", "saved")
    expect(save_state(page, 1)).to_have_text("Saved")
    expect(save_state(page, 2)).to_have_attribute("data-state", "none")
    expect(save_state(page, 2)).to_have_text("")
    assert journal_records(page, exam.attempt.pk) == []  # acknowledged: nothing kept

    switch.cut_off()
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    choose(page, 2, wrong_option(keys[2]))
    choose(page, 3, keys[3])
    page.check('input[data-flag="4"]')
    choose(page, 2, keys[2])  # a newer answer of item 2 replaces the one waiting
    expect(page.locator("#saved")).to_have_attribute("data-pending", "3")
    expect(page.locator("#saved")).to_have_text("Saving…")

    # Each waiting question says so: in the palette (a mark and its name) and beside itself.
    for position, state in {2: "answered", 3: "answered", 4: "not answered, flagged"}.items():
        link = palette_link(page, position)
        expect(link).to_have_class(re.compile(r"\bunsaved\b"))
        expect(link).to_have_attribute("aria-label", f"Question {position}, {state}, not saved yet")
        expect(link.locator(".save-mark")).to_be_visible()
        expect(save_state(page, position)).to_have_attribute("data-state", "unsaved")
        expect(save_state(page, position)).to_have_text("Not saved yet")
        expect(save_state(page, position)).to_be_visible()
    for position in (1, 5):
        expect(palette_link(page, position)).not_to_have_class(re.compile(r"\bunsaved\b"))
        expect(palette_link(page, position).locator(".save-mark")).to_be_hidden()
    expect(palette_link(page, 1)).to_have_attribute("aria-label", "Question 1, answered")
    expect(save_state(page, 1)).to_have_text("Saved")
    legend = page.locator('[data-testid="legend"] .swatch.unsaved')
    expect(legend).to_be_visible()
    # Not told by colour alone: the box is dashed and the ring is drawn.
    assert palette_link(page, 3).evaluate("(a) => getComputedStyle(a).borderTopStyle") == "dashed"
    assert palette_link(page, 5).evaluate("(a) => getComputedStyle(a).borderTopStyle") == "solid"

    # Written to IndexedDB before anything is sent: the superseded answer of item 2 is gone.
    records = journal_records(page, exam.attempt.pk)
    assert [(r["type"], r["item"]) for r in records] == [("answer", 3), ("flag", 4), ("answer", 2)]
    journal_seqs = [r["seq"] for r in records]
    assert journal_seqs[0] > 1 and journal_seqs == sorted(set(journal_seqs))
    assert records[1]["message"] == {"type": "flag", "item": 4, "flagged": True, "seq": journal_seqs[1]}
    assert local_pending(page, exam.attempt.pk) is None  # IndexedDB holds them, not localStorage
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=f"/tmp/journal-unsaved-{size}.png", full_page=True)

    # A reload while still cut off: the journal is read back, nothing is lost or renumbered.
    page.reload()
    expect(page.locator("#saved")).to_have_attribute("data-pending", "3")
    expect(page.locator("#connection")).not_to_have_attribute("data-state", "open")
    assert journal_records(page, exam.attempt.pk) == records
    assert stored_events(exam.attempt.pk) == [(1, "answer", 1, keys[1])]

    # Back: replayed once each, under the seqs they were written with, and marked saved.
    back = time.monotonic()
    switch.restore(page)
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    wait_until_saved(page)
    expect(page.locator("#palette a.unsaved")).to_have_count(0)
    for position in (2, 3, 4):
        expect(save_state(page, position)).to_have_attribute("data-state", "saved")
        expect(save_state(page, position)).to_have_text("Saved")
    expect(palette_link(page, 4)).to_have_attribute("aria-label", "Question 4, not answered, flagged")
    expect(page.locator("#saved")).to_have_text("All answers saved")
    assert switch.changes_sent_since(back) == [(r["seq"], r["type"], r["item"]) for r in records]
    assert stored_events(exam.attempt.pk) == [
        (1, "answer", 1, keys[1]),
        (journal_seqs[0], "answer", 3, keys[3]),
        (journal_seqs[1], "flag", 4, True),
        (journal_seqs[2], "answer", 2, keys[2]),
    ]
    assert journal_records(page, exam.attempt.pk) == []
    stored = in_db_thread(
        lambda: {
            a.form_item.position: (a.value, a.flagged)
            for a in Answer.objects.filter(attempt_id=exam.attempt.pk).select_related("form_item")
        }
    )
    assert stored == {1: (keys[1], False), 2: (keys[2], False), 3: (keys[3], False), 4: (None, True)}
    assert {int(k): v for k, v in checked_answers(page).items()} == {1: keys[1], 2: keys[2], 3: keys[3]}

    # The next change continues after the journal's numbers.
    choose(page, 5, keys[5])
    wait_until_saved(page)
    assert stored_events(exam.attempt.pk)[-1][:3] == (journal_seqs[2] + 1, "answer", 5)
    assert page.page_errors == []


# --- (b) a crash of the browser ----------------------------------------------------------------


def browser_processes(profile: Path) -> list[int]:
    """The pids of the Chromium processes this test started on ``profile`` (by their command line)."""
    marker = f"--user-data-dir={profile}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in arguments:
            pids.append(int(entry.name))
    return pids


def test_answers_survive_a_crash_of_the_browser(exam: Exam, server: str, tmp_path: Path) -> None:  # noqa: F811
    """Answered while cut off, then the browser is killed (SIGKILL: no pagehide, no unload, no
    localStorage copy); the same profile opened again finds the journal and sends it."""
    from playwright.sync_api import expect, sync_playwright

    keys = exam.keys
    profile = tmp_path / "profile"
    expect.set_options(timeout=TIMEOUT_MS)

    def launch(playwright):
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, locale="vi-VN", viewport=DESKTOP
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_cookies([{"name": "django_language", "value": "en", "url": server}])
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return context, SocketSwitch(context), page

    errors: list[str] = []

    with sync_playwright() as playwright:
        context, switch, page = launch(playwright)
        try:
            log_in(page, server, exam.student.username)
            page.goto(f"{server}/exam/{exam.attempt.pk}/")
            expect(page.locator("#connection")).to_have_attribute("data-state", "open")
            start(page)
            choose(page, 1, keys[1])
            wait_until_saved(page)
            switch.cut_off()
            expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
            choose(page, 2, keys[2])
            choose(page, 3, wrong_option(keys[3]))
            page.check('input[data-flag="3"]')
            expect(page.locator("#saved")).to_have_attribute("data-pending", "3")
            page.wait_for_function(
                f"async () => (await ({JOURNAL_RECORDS})({exam.attempt.pk})).length === 3", polling=100
            )
            records = journal_records(page, exam.attempt.pk)
            pids = browser_processes(profile)
            assert pids, "no Chromium process runs on the profile"
        finally:
            for pid in browser_processes(profile):  # the crash: nothing of the page runs after it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                context.close()
        give_up = time.monotonic() + 10
        while browser_processes(profile) and time.monotonic() < give_up:
            time.sleep(0.1)
        assert not browser_processes(profile)
        assert stored_events(exam.attempt.pk) == [(1, "answer", 1, keys[1])]

        context, switch, page = launch(playwright)
        try:
            page.goto(f"{server}/login/")
            # Read back from IndexedDB: the page had no chance to copy anything to localStorage.
            assert journal_records(page, exam.attempt.pk) == records
            assert local_pending(page, exam.attempt.pk) is None
            if page.locator('input[name="username"]').count():  # the session cookie died with the browser
                log_in(page, server, exam.student.username)
            page.goto(f"{server}/exam/{exam.attempt.pk}/")
            expect(page.locator("#connection")).to_have_attribute("data-state", "open")
            wait_until_saved(page)
            expect(page.locator("#palette a.unsaved")).to_have_count(0)
            expect(save_state(page, 3)).to_have_text("Saved")
            seqs = [r["seq"] for r in records]
            assert stored_events(exam.attempt.pk) == [
                (1, "answer", 1, keys[1]),
                (seqs[0], "answer", 2, keys[2]),
                (seqs[1], "answer", 3, wrong_option(keys[3])),
                (seqs[2], "flag", 3, True),
            ]
            assert journal_records(page, exam.attempt.pk) == []
            assert {int(k): v for k, v in checked_answers(page).items()} == {
                1: keys[1],
                2: keys[2],
                3: wrong_option(keys[3]),
            }
            assert errors == []
        finally:
            context.close()


# --- (c) the clock is the server's -------------------------------------------------------------

# The PC's clock, off by ``shift`` ms; window.__setClockShift(ms) moves it during the exam.
SHIFTED_CLOCK = """(() => {
    const RealDate = Date;
    let shift = %d;
    class ShiftedDate extends RealDate {
        constructor(...args) { if (args.length) super(...args); else super(RealDate.now() + shift); }
        static now() { return RealDate.now() + shift; }
    }
    window.Date = ShiftedDate;
    window.__setClockShift = (ms) => { shift = ms; };
})();"""

HOUR_MS = 3_600_000


def server_seconds_left(attempt_id: int) -> float:
    deadline = in_db_thread(lambda: Attempt.objects.values_list("deadline", flat=True).get(pk=attempt_id))
    return (deadline - timezone.now()).total_seconds()


def assert_server_time(page, attempt_id: int) -> None:
    shown = shown_seconds(page)
    expected = server_seconds_left(attempt_id)
    assert abs(shown - expected) <= 3, f"the timer shows {shown} s, the server has {expected:.1f} s left"


@pytest.mark.parametrize("shift_hours", [7, -50], ids=["ahead-7h", "behind-50h"])
def test_the_timer_keeps_the_servers_time_whatever_the_pcs_clock_says(
    exam: Exam,  # noqa: F811
    server: str,  # noqa: F811
    browser,  # noqa: F811
    shift_hours: int,
) -> None:
    from playwright.sync_api import expect

    shift = shift_hours * HOUR_MS
    page, _ = open_exam_page(browser, server, exam, init_script=SHIFTED_CLOCK % shift)
    # The PC's clock is wrong by hours, and the page sees it so.
    off = page.evaluate("() => Date.now()") - time.time() * 1000
    assert abs(off - shift) < 60_000, off
    start(page)
    expect(page.locator("#timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    page.wait_for_timeout(1500)
    assert_server_time(page, exam.attempt.pk)
    # 45 minutes: a countdown from the PC's clock would read 00:00 or hours.
    assert 40 * 60 <= shown_seconds(page) <= 45 * 60

    # The clock jumps during the exam (set by hand, synchronised): the timer does not.
    before = shown_seconds(page)
    page.evaluate("(ms) => window.__setClockShift(ms)", -shift)
    page.wait_for_timeout(2000)
    assert 0 <= before - shown_seconds(page) <= 4
    assert_server_time(page, exam.attempt.pk)

    # A new page on the wrong clock, and staff giving more time: the server's word again.
    page.reload()
    expect(page.locator("#paper")).to_be_visible()
    page.wait_for_timeout(500)
    assert_server_time(page, exam.attempt.pk)
    in_db_thread(
        lambda: Attempt.objects.filter(pk=exam.attempt.pk).update(deadline=timezone.now() + timedelta(hours=1))
    )
    page.check('input[data-flag="1"]')  # its ack brings the server's remaining_ms
    wait_until_saved(page)
    page.wait_for_timeout(500)
    assert_server_time(page, exam.attempt.pk)
    assert 59 * 60 <= shown_seconds(page) <= 60 * 60
    assert page.page_errors == []


# --- (d) no IndexedDB, or one that fails: localStorage keeps the answers ------------------------

NO_INDEXEDDB = "Object.defineProperty(window, 'indexedDB', {value: undefined, configurable: true});"
# Opens and reads, but every write fails as a full disk would.
FAILING_INDEXEDDB = """IDBObjectStore.prototype.put = function () {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
};"""
NO_STORAGE = (
    NO_INDEXEDDB
    + """Storage.prototype.setItem = function () {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
};"""
)


@pytest.mark.parametrize(
    "broken", [pytest.param(NO_INDEXEDDB, id="no-indexeddb"), pytest.param(FAILING_INDEXEDDB, id="writes-fail")]
)
def test_without_indexeddb_localstorage_keeps_the_answers(
    exam: Exam,  # noqa: F811
    server: str,  # noqa: F811
    browser,  # noqa: F811
    broken: str,
) -> None:
    from playwright.sync_api import expect

    keys = exam.keys
    page, switch = open_exam_page(browser, server, exam, init_script=broken)
    start(page)
    switch.cut_off()
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    choose(page, 1, keys[1])
    choose(page, 2, wrong_option(keys[2]))
    expect(page.locator("#saved")).to_have_attribute("data-pending", "2")
    expect(save_state(page, 2)).to_have_text("Not saved yet")
    expect(page.locator("#journal-warning")).to_be_hidden()  # localStorage keeps them: nothing to fear

    held = local_pending(page, exam.attempt.pk)
    assert held is not None
    assert sorted((m["type"], m["item"]) for m in held.values()) == [("answer", 1), ("answer", 2)]
    assert all(int(seq) == message["seq"] for seq, message in held.items())
    if broken == FAILING_INDEXEDDB:
        assert journal_records(page, exam.attempt.pk) == []

    page.reload()
    expect(page.locator("#saved")).to_have_attribute("data-pending", "2")
    assert local_pending(page, exam.attempt.pk) == held

    switch.restore(page)
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    wait_until_saved(page)
    expect(page.locator("#palette a.unsaved")).to_have_count(0)
    seqs = sorted(int(seq) for seq in held)
    events = stored_events(exam.attempt.pk)
    assert [(seq, position) for seq, _, position, _ in events] == [(seq, held[str(seq)]["item"]) for seq in seqs]
    assert {position: value for _, _, position, value in events} == {1: keys[1], 2: wrong_option(keys[2])}
    assert local_pending(page, exam.attempt.pk) is None  # acknowledged: removed
    assert page.page_errors == []


def test_with_no_storage_at_all_the_page_says_so_and_still_saves(exam: Exam, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page, _ = open_exam_page(browser, server, exam, init_script=NO_STORAGE)
    warning = page.locator("#journal-warning")
    expect(warning).to_be_visible()
    expect(warning).to_have_text(re.compile(r"^This browser cannot keep your answers if the page closes\."))
    expect(warning).to_have_attribute("role", "alert")
    start(page)
    choose(page, 1, exam.keys[1])
    wait_until_saved(page)
    expect(save_state(page, 1)).to_have_text("Saved")
    assert [(seq, position) for seq, _, position, _ in stored_events(exam.attempt.pk)] == [(1, 1)]
    assert page.page_errors == []


# --- (e) what an older page left in localStorage moves into IndexedDB ---------------------------


def test_pending_changes_left_in_localstorage_move_into_indexeddb(exam: Exam, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    keys = exam.keys
    page, switch = open_exam_page(browser, server, exam)
    start(page)
    option = page.locator('input[name="item-1"]').nth("ABCD".index(keys[1])).get_attribute("value")
    switch.cut_off()
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    # As the page kept them before the journal: {seq: message}, two changes of item 1 among them.
    page.evaluate(
        "([key, value]) => localStorage.setItem(key, JSON.stringify(value))",
        [
            f"exam:{exam.attempt.pk}:pending",
            {
                "7": {"type": "answer", "item": 1, "value": "0000", "seq": 7},
                "9": {"type": "answer", "item": 1, "value": option, "seq": 9},
                "8": {"type": "flag", "item": 2, "flagged": True, "seq": 8},
            },
        ],
    )
    page.reload()
    expect(page.locator("#saved")).to_have_attribute("data-pending", "2")
    page.wait_for_function(f"() => localStorage.getItem('exam:{exam.attempt.pk}:pending') === null")
    records = journal_records(page, exam.attempt.pk)
    assert [(r["seq"], r["type"], r["item"]) for r in records] == [(8, "flag", 2), (9, "answer", 1)]

    switch.restore(page)
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    wait_until_saved(page)
    assert stored_events(exam.attempt.pk) == [(8, "flag", 2, True), (9, "answer", 1, keys[1])]
    assert journal_records(page, exam.attempt.pk) == []
    # The next change comes after them.
    choose(page, 3, keys[3])
    wait_until_saved(page)
    assert stored_events(exam.attempt.pk)[-1][:3] == (10, "answer", 3)
    assert page.page_errors == []


# --- reconnecting: full jitter, reset by a state, "online" at once -----------------------------

# Math.random as the test sets it (window.__random), or the real one.
CHOSEN_RANDOM = """(() => {
    const real = Math.random;
    window.__random = null;
    Math.random = () => (window.__random === null ? real() : window.__random);
})();"""


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_reconnecting_backs_off_with_full_jitter(exam: Exam, server: str, browser) -> None:  # noqa: F811
    """The wait after the n-th failure in a row lies between 0.5 s and min(10 s, 0.5 s * 2^n):
    at its floor when the random draw is 0, at its ceiling when it is 1."""
    from playwright.sync_api import expect

    page, switch = open_exam_page(browser, server, exam, init_script=CHOSEN_RANDOM)
    start(page)

    page.evaluate("() => { window.__random = 0; }")
    first = len(switch.attempts)
    switch.cut_off()
    page.wait_for_timeout(3200)
    floor = gaps(switch.attempts[first:])
    assert len(floor) >= 4, floor
    assert all(0.4 <= gap <= 0.9 for gap in floor), floor

    # Back, a state received: the run of failures starts again from the first wait.
    switch.restore(page)
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    page.evaluate("() => { window.__random = 0.999; }")
    first = len(switch.attempts)
    switch.cut_off()
    page.wait_for_timeout(8300)  # tries at about 0.5, 1.5, 3.5 and 7.5 s; the next at 15.5 s
    ceiling = gaps(switch.attempts[first:])
    assert len(ceiling) == 3, ceiling
    for n, gap in enumerate(ceiling, start=1):  # the wait after the n-th failure
        expected = min(10.0, 0.5 * 2**n)
        assert 0.9 * expected <= gap <= expected + 0.5, (n, ceiling)

    # The network comes back during a long wait: no need to wait it out.
    page.wait_for_timeout(1000)
    waiting_since = len(switch.attempts)
    switch.restore(page)
    expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=2000)
    assert len(switch.attempts) == waiting_since + 1
    assert page.page_errors == []


def test_a_busy_server_is_left_alone_for_as_long_as_it_asks_then_the_page_comes_back(
    exam: Exam,  # noqa: F811
    server: str,  # noqa: F811
    browser,  # noqa: F811
) -> None:
    """`busy` with `retry_after_ms` then close 4503 (a crowd connecting): the page says so and
    waits between once and twice the time asked, not its short backoff; once the server takes
    it, the exam goes on with nothing lost."""
    from playwright.sync_api import expect

    page, switch = open_exam_page(browser, server, exam, init_script=CHOSEN_RANDOM)
    start(page)
    choose(page, 1, exam.keys[1])
    wait_until_saved(page)

    page.evaluate("() => { window.__random = 0; }")  # at the floor: exactly the time asked
    first = len(switch.attempts)
    switch.busy(3000)
    expect(page.locator("#notice")).to_contain_text("busy", timeout=3000)
    page.screenshot(path="/tmp/journal-busy-1366.png")
    page.set_viewport_size(PHONE)
    page.screenshot(path="/tmp/journal-busy-375.png", full_page=True)
    # Tries at about 0.5 s (the first backoff), 3.5 s and 6.5 s; the notice came with the first.
    page.wait_for_timeout(4500)
    page.evaluate("() => { window.__random = 0.999; }")  # from the third: twice the time asked
    page.wait_for_timeout(8000)  # the fourth at about 12.5 s (its own backoff would be 4 s)
    waits = gaps(switch.attempts[first:])
    assert len(waits) == 3, waits
    assert all(2.9 <= gap <= 3.6 for gap in waits[:2]), waits
    assert 5.9 <= waits[2] <= 6.6, waits

    switch.busy_ms = None  # taken in at the next try (the backoff's ceiling by now: 8 s)
    expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=12_000)
    choose(page, 2, exam.keys[2])
    wait_until_saved(page)
    assert [event[:3] for event in stored_events(exam.attempt.pk)] == [(1, "answer", 1), (2, "answer", 2)]
    assert page.page_errors == []


def test_a_journal_whose_seq_another_pc_used_is_dropped_quietly(exam: Exam, server: str, browser) -> None:  # noqa: F811
    """This PC kept a change under seq 1 while the student went on on another PC, which used
    seq 1 for another change: the server refuses it (seq_conflict), the page drops it without
    an error on screen and shows what the server holds."""
    from playwright.sync_api import expect

    keys = exam.keys
    page, switch = open_exam_page(browser, server, exam)
    start(page)
    option = page.locator('input[name="item-2"]').nth("ABCD".index(keys[2])).get_attribute("value")
    choose(page, 1, keys[1])  # seq 1: "the other PC's" change
    wait_until_saved(page)
    switch.cut_off()
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    page.evaluate(
        "([key, value]) => localStorage.setItem(key, JSON.stringify(value))",
        [f"exam:{exam.attempt.pk}:pending", {"1": {"type": "answer", "item": 2, "value": option, "seq": 1}}],
    )
    page.reload()
    expect(page.locator("#saved")).to_have_attribute("data-pending", "1")
    assert [(r["seq"], r["item"]) for r in journal_records(page, exam.attempt.pk)] == [(1, 2)]

    switch.restore(page)
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    wait_until_saved(page)
    expect(page.locator("#item-2 input[type=radio]:checked")).to_have_count(0)  # the server's view
    expect(save_state(page, 2)).to_have_attribute("data-state", "none")
    expect(page.locator("#notice")).to_be_hidden()
    assert {int(k): v for k, v in checked_answers(page).items()} == {1: keys[1]}
    assert stored_events(exam.attempt.pk) == [(1, "answer", 1, keys[1])]
    assert journal_records(page, exam.attempt.pk) == []
    choose(page, 2, keys[2])
    wait_until_saved(page)
    assert stored_events(exam.attempt.pk)[-1][:3] == (2, "answer", 2)
    assert page.page_errors == []
