"""Every kind of page runs under the Content-Security-Policy, in Debian's Chromium.

The policy (config/settings.py) allows the site's own scripts, styles, images, sound and
connections only: no inline script or style attribute. Chromium reports anything a page tries
beyond it as a ``securitypolicyviolation`` event (recorded here from before any page script
runs) and a console error. The walk opens the login page, a student's exam list and the exam
runner with one item of every type (started, answered, acknowledged over the same-origin
websocket, MathML drawn), the board's pages, every page of the item bank and the admin, and
fails on any violation, console error or request to another host. It also changes the
language through the menu (a script, no longer an inline handler).

An item whose text was stored before item text was held to the bank's media (an image from
``//elsewhere.invalid``, written straight into the row) is on the exam: the page must not
ask that host for anything (the finding of the security review).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from assess import blueprints
from assess.management.commands.seed_demo import PASSWORD, PRACTICE_TITLE
from assess.models import Attempt, Sitting
from itembank.models import Item, ItemVersion, Subject, Topic
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.processes import daphne_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 15_000
FOREIGN_IMAGE = '<img src="//elsewhere.invalid/tracker.png" alt="hình cũ">'
# Records every violation the page meets, from before its first script runs.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@dataclass(frozen=True)
class World:
    attempt: Attempt  # student01's practice attempt: one item of every type
    items: int  # on its form
    sitting: Sitting
    item: Item  # with a formula: the editor's preview draws MathML
    blueprint_id: int
    admin: User


@pytest.fixture
def world(transactional_db) -> World:
    call_command("seed_demo", verbosity=0)
    practice = Sitting.objects.get(title=PRACTICE_TITLE)
    attempt = Attempt.objects.get(sitting=practice, student__username="student01")
    # Text stored before the doors refused it: straight into the row, as old data was.
    first = practice.form.form_items.order_by("position").select_related("item_version").first()
    version = first.item_version
    ItemVersion.objects.filter(pk=version.pk).update(
        content={**version.content, "stem": version.content["stem"] + FOREIGN_IMAGE}
    )
    subject = Subject.objects.get(code=practice.assessment.subject.code)
    topic = Topic.objects.create(subject=subject, name="Hàm số (CSP)")
    teacher = User.objects.get(username="teacher")
    blueprint = blueprints.blueprint_create(
        by=teacher,
        spec=blueprints.BlueprintSpec(
            title="Ma trận thử",
            subject_id=subject.pk,
            grade=12,
            owner_id=None,
            assessment_id=None,
            parts=(
                blueprints.PartSpec(
                    label="Phần I",
                    item_type="single_choice",
                    points_per_item=Decimal("0.25"),
                    cells=(blueprints.CellSpec(topic_id=topic.pk, level="biet", item_count=2),),
                ),
            ),
        ),
    )
    admin = User.objects.create_superuser("siteadmin", password=PASSWORD, role=Role.ADMIN)
    with_math = next(v for v in ItemVersion.objects.select_related("item").order_by("pk") if "$" in v.stem)
    return World(attempt, practice.form.form_items.count(), practice, with_math.item, blueprint.pk, admin)


@pytest.fixture
def server(world, tmp_path: Path) -> Iterator[str]:
    with daphne_process(tmp_path) as base:
        yield base


@pytest.fixture
def chromium(server):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Watched:
    """A page whose CSP violations, console errors, script errors and foreign requests are kept."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.host = urlsplit(base).netloc
        self.context = browser.new_context(locale="vi-VN")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("request", self._request)

    def _console(self, message) -> None:
        url = (message.location or {}).get("url", "")
        if message.type != "error" or url.endswith("/favicon.ico"):
            return
        if "/api/" in url and re.search(r"status of 4\d\d", message.text):
            return  # the API refused what a form holds (an empty new item): the page shows why
        self.problems.append(f"console: {message.text} ({url})")

    def _request(self, request) -> None:
        if urlsplit(request.url).netloc not in (self.host, ""):
            self.problems.append(f"request to another host: {request.url}")

    def open(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, (path, policy)
        self.settle(path)

    def settle(self, where: str) -> None:
        self.page.wait_for_load_state("networkidle")
        violations = self.page.evaluate("() => window.__violations || []")
        self.problems.extend(f"{where}: CSP violation: {v}" for v in violations)
        assert not self.problems, "\n".join(self.problems)

    def log_in(self, username: str) -> None:
        from playwright.sync_api import expect

        self.open("/login/")
        self.page.fill('input[name="username"]', username)
        self.page.fill('input[name="password"]', PASSWORD)
        self.page.click("main form button[type=submit]")
        expect(self.page).not_to_have_url(re.compile(r"/login/"))
        self.settle("after login")


def test_every_page_kind_runs_under_the_policy(world: World, server: str, chromium) -> None:
    from playwright.sync_api import expect

    # A student: the exam list, then the runner with every item type, answered over the socket.
    student = Watched(chromium, server)
    student.log_in("student01")
    student.open("/exam/")
    student.open(f"/exam/{world.attempt.pk}/")
    page = student.page
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")  # the websocket
    page.click("#start")
    expect(page.locator("#paper")).to_be_visible()
    expect(page.locator("#items li.item")).to_have_count(world.items)
    # MathML is drawn by the browser itself: a formula has a size on the page.
    assert page.evaluate(
        "() => Array.from(document.querySelectorAll('#items math')).some((m) => m.getBoundingClientRect().height > 0)"
    )
    page.locator("#items input[type=radio]").first.check()
    page.wait_for_function("() => document.getElementById('saved').dataset.pending === '0'")
    assert "elsewhere.invalid" not in page.content()  # the old item's image lost its source
    student.settle("exam runner")

    # The language menu (not on the exam page): choosing English reloads the page in English, and back.
    student.open("/exam/")
    page.select_option('select[name="language"]', "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.select_option('select[name="language"]', "vi")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    student.settle("language menu")

    # A teacher: every page of the item bank.
    teacher = Watched(chromium, server)
    teacher.log_in("teacher")
    for path in (
        "/bank/",
        "/bank/items/new/",
        f"/bank/items/{world.item.pk}/",
        "/bank/review/",
        "/bank/blueprints/",
        "/bank/blueprints/new/",
        f"/bank/blueprints/{world.blueprint_id}/",
        "/bank/import/",
    ):
        teacher.open(path)
        if path == f"/bank/items/{world.item.pk}/":
            expect(teacher.page.locator("#preview math").first).to_be_attached()  # the live preview ran
    # The API's documentation: Swagger UI from the site's own files draws every operation.
    teacher.open("/api/docs/")
    expect(teacher.page.locator(".opblock").first).to_be_visible()
    teacher.settle("API docs")

    # The exam board: sittings and a sitting's results, whose histogram heights come from a script.
    board = Watched(chromium, server)
    board.log_in("board")
    board.open("/board/")
    board.open(f"/board/sittings/{world.sitting.pk}/")
    heights = board.page.evaluate(
        "() => Array.from(document.querySelectorAll('.histogram .fill')).map((bar) => bar.style.height)"
    )
    assert len(heights) == 10 and all(height.endswith("%") for height in heights), heights

    # A school's administrator: the classes, a class, its login cards (the print button's script).
    school = Watched(chromium, server)
    school.log_in("schooladmin")
    school.open("/people/?year=2026-2027")
    school.page.locator('[data-testid="classes"] tbody tr a').first.click()
    school.settle("a class")
    school.page.click('[data-testid="login-cards"]')
    expect(school.page.locator(".login-card").first).to_be_visible()
    school.settle("login cards")

    # A platform administrator: the admin's index, a list, a change form, an add form.
    admin = Watched(chromium, server)
    admin.log_in(world.admin.username)
    for path in (
        "/admin/",
        "/admin/itembank/item/",
        f"/admin/itembank/item/{world.item.pk}/change/",
        "/admin/itembank/item/add/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{world.admin.pk}/change/",
    ):
        admin.open(path)
