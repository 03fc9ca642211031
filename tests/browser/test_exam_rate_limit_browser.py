"""The exam runner under the websocket rate limit, in Debian's Chromium.

The server runs with a small bucket so that a student clicking through the paper as fast as a
script can is refused (`rate_limited`); the runner must wait as told, send again what was not
acknowledged, and hand the exam in only once everything is stored: nothing the student chose
is lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.conf import settings

from assess import statuses
from assess.models import Answer, Attempt
from tests.browser.test_exam_browser import (  # noqa: F401  (fixtures)
    Exam,
    browser,
    checked_answers,
    checked_flags,
    exam,
    in_db_thread,
    log_in,
    new_page,
    wait_until_saved,
)
from tests.processes import celery_worker_process, daphne_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMALL_BUCKET = {"WS_RATE_BURST": "20", "WS_RATE_PER_SECOND": "4", "WS_RATE_STATE_COST": "5"}


@pytest.fixture
def server(transactional_db, tmp_path: Path) -> Iterator[str]:
    """Daphne with a small rate limit (20 tokens, 4 a second, a state costs 5)."""
    with ExitStack() as stack:
        if settings.REDIS_URL:
            stack.enter_context(celery_worker_process(tmp_path))
        yield stack.enter_context(daphne_process(tmp_path, **SMALL_BUCKET))


def test_a_fast_student_is_slowed_down_and_loses_nothing(exam: Exam, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = new_page(browser, locale="vi-VN")
    refusals: list[dict] = []

    def watch(socket) -> None:
        def received(payload) -> None:
            message = json.loads(payload)
            if message.get("code") == "rate_limited":
                refusals.append(message)

        socket.on("framereceived", received)

    page.on("websocket", watch)
    # Counts the frames the page sends, so the script below can click as soon as the last
    # change went out.
    page.add_init_script(
        "(() => { const send = WebSocket.prototype.send; window.__framesSent = 0;"
        " WebSocket.prototype.send = function (data) { window.__framesSent += 1; return send.call(this, data); }; })();"
    )
    log_in(page, server, exam.student.username)
    page.goto(f"{server}/exam/{exam.attempt.pk}/")
    page.click("#start")
    expect(page.locator("#items li.item")).to_have_count(len(exam.keys))

    # Sixty changes in a few seconds, far more than the 10 tokens left after connecting and
    # starting: every option of every item in turn, ending on the key; flags on and off, ending
    # on 2 and 4. Each click comes as soon as the change before it went out (at most 100 ms
    # later): the page writes a change to its journal before sending it, and folds changes
    # made faster than that into the newest, so a burst in one go would send only the last of
    # each item.
    page.evaluate(
        """async (keys) => {
            const click = async (input) => {
                const before = window.__framesSent;
                input.click();
                for (let waited = 0; window.__framesSent === before && waited < 100; waited += 5) {
                    await new Promise((resolve) => setTimeout(resolve, 5));
                }
            };
            for (let round = 0; round < 3; round++) {
                for (const [position, key] of Object.entries(keys)) {
                    for (const option of ['A', 'B', 'C', 'D'].filter((o) => o !== key).concat([key])) {
                        await click(document.querySelectorAll(`input[name="item-${position}"]`)['ABCD'.indexOf(option)]);
                    }
                    const flag = document.querySelector(`input[data-flag="${position}"]`);
                    if (flag.checked !== (round < 2 || position % 2 === 0)) await click(flag);
                }
            }
        }""",
        {str(position): key for position, key in exam.keys.items()},
    )
    wait_until_saved(page)
    assert refusals, "the bucket is small: the server must have refused some of those messages"
    assert all(r["retry_after_ms"] > 0 and "seq" not in r for r in refusals)

    # Everything the page shows is what the server stored.
    assert {int(k): v for k, v in checked_answers(page).items()} == exam.keys
    assert checked_flags(page) == [2, 4]
    stored = in_db_thread(
        lambda: {
            a.form_item.position: (a.value, a.flagged)
            for a in Answer.objects.filter(attempt_id=exam.attempt.pk).select_related("form_item")
        }
    )
    assert {p: v for p, (v, _) in stored.items()} == exam.keys
    assert sorted(p for p, (_, flagged) in stored.items() if flagged) == [2, 4]

    # One more change and the submit right after it: handed in only once the change is stored.
    wrong = next(o for o in "ABCD" if o != exam.keys[5])
    page.evaluate(
        """([option]) => {
            document.querySelectorAll('input[name="item-5"]')['ABCD'.indexOf(option)].click();
            document.getElementById('submit').click();
            document.getElementById('review-submit').click();
        }""",
        [wrong],
    )
    expect(page.locator("#done")).to_be_visible()
    attempt = in_db_thread(lambda: Attempt.objects.get(pk=exam.attempt.pk))
    assert attempt.status in (statuses.SUBMITTED, statuses.SCORED)
    final = in_db_thread(lambda: Answer.objects.get(attempt_id=exam.attempt.pk, form_item__position=5).value)
    assert final == wrong
    assert page.page_errors == []
