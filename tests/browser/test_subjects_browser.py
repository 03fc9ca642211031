"""Subjects and topics, and the bank list's bulk actions and formulas, in Debian's Chromium.

An exam board member adds a subject (its code made from the name, a clash refused next to
the field), builds its topic tree, renames and moves a topic (the move offers no place under
the topic itself), is told why a topic in use cannot be deleted and deletes an unused one;
a teacher sees the same tree with nothing to change; a school administrator reaches the
page from the top bar on a 375 px phone. In the bank's list the rows show their formulas as
MathML; a teacher submits a selection in one action and is told which item was refused and
why; a colleague approves the rest. The words are looked up by ids and data attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts.models import Role, User
from itembank import services, subjects
from itembank.models import ItemVersion, Subject, Topic, Visibility
from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import in_db_thread, log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.factories import PASSWORD, make_department, make_school, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp")
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}


@dataclass(frozen=True)
class World:
    board: User
    school_admin: User
    teacher: User
    colleague: User
    student: User
    history: Subject  # kept by the board's department, with a topic in use
    drafts: list[ItemVersion]  # the teacher's, with formulas; the last one private


@pytest.fixture
def world(transactional_db) -> World:
    department = make_department()
    school = make_school(department)
    board = make_user(Role.BOARD, department)
    teacher = make_user(Role.TEACHER, school)
    toan = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})[0]
    history = subjects.subject_create(by=board, name="Lịch sử")
    modern = subjects.topic_create(by=board, subject_id=history.pk, name="Cận đại", kind=Topic.Kind.CHAPTER)
    services.item_create(
        by=teacher,
        subject=history,
        level="biet",
        topic=modern,
        content={"stem": "Năm 1858?", "options": [{"id": "A", "text": "Đúng"}, {"id": "B", "text": "Sai"}], "key": "A"},
    )
    drafts = [
        services.item_create(
            by=teacher,
            subject=toan,
            level="biet",
            visibility=Visibility.PRIVATE if n == 2 else Visibility.SCHOOL,
            content={
                "stem": f"Đạo hàm của $y = x^{n + 2}$ là",
                "options": [{"id": "A", "text": f"${n + 2}x^{n + 1}$"}, {"id": "B", "text": "$x$"}],
                "key": "A",
            },
        )
        for n in range(3)
    ]
    return World(
        board=board,
        school_admin=make_user(Role.SCHOOL_ADMIN, school),
        teacher=teacher,
        colleague=make_user(Role.TEACHER, school),
        student=make_user(Role.STUDENT, school),
        history=history,
        drafts=drafts,
    )


def log_in_to(page, base: str, username: str, path: str) -> None:
    """Log in and land on ``path`` (the board's own start page is not this test's business)."""
    from playwright.sync_api import expect

    page.goto(f"{base}/login/?next={path}")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).to_have_url(f"{base}{path}")
    expect(page.locator('[data-testid="who"]')).to_contain_text(username)


def topic_node(page, name: str):
    """The tree node whose own name (not a subtopic's) is ``name``."""
    return page.locator("#topic-tree li.topic").filter(has=page.locator(f'> .topic-row .topic-name:text-is("{name}")'))


def test_the_board_keeps_subjects_and_topic_trees(world: World, server: str, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = new_page(browser, locale="vi-VN", viewport=DESKTOP)
    pages.append(page)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in_to(page, server, world.board.username, "/bank/")
    page.click('[data-testid="nav-subjects"]')
    expect(page).to_have_url(f"{server}/bank/subjects/")
    expect(page.locator('[data-testid="subjects"] .subject-entry')).to_have_count(2)

    # A new subject: the code is made from the name; then a clash, refused next to the name.
    page.fill("#s-name", "Địa lí")
    page.click("#add-subject")
    expect(page.locator("#subject-facts")).to_contain_text("dia-li")
    expect(page.locator('[data-testid="subjects"] .subject-pick[aria-current="true"]')).to_contain_text("Địa lí")
    page.fill("#s-name", "dia li")
    page.click("#add-subject")
    expect(page.locator('#subject-form [data-field="name"] .field-error')).to_be_visible()
    assert in_db_thread(lambda: Subject.objects.filter(code="dia-li").count()) == 1
    assert in_db_thread(lambda: Subject.objects.get(code="dia-li").owner_id) == world.board.organisation_id

    # Its tree: a chapter, a lesson under it (added from the node), another chapter.
    page.fill("#t-name", "Địa lí tự nhiên")
    page.select_option("#t-kind", "chapter")
    page.click("#add-topic")
    expect(topic_node(page, "Địa lí tự nhiên")).to_have_count(1)
    topic_node(page, "Địa lí tự nhiên").locator("> .topic-row .add-subtopic").click()
    editor = topic_node(page, "Địa lí tự nhiên").locator("> .topic-editor form")
    editor.locator('input[name="name"]').fill("Khí hậu")
    editor.locator('select[name="kind"]').select_option("lesson")
    editor.locator('button[type="submit"]').click()
    expect(topic_node(page, "Địa lí tự nhiên").locator("ul .topic-name")).to_have_text(["Khí hậu"])
    page.fill("#t-name", "Dân cư")
    page.click("#add-topic")
    expect(page.locator("#topic-tree .topic")).to_have_count(3)

    # Moving the chapter: neither itself nor its lesson is offered as the new parent.
    topic_node(page, "Địa lí tự nhiên").locator("> .topic-row .move-topic").click()
    choices = topic_node(page, "Địa lí tự nhiên").locator('> .topic-editor select[name="parent"] option')
    labels = [label.strip(" \u00a0›") for label in choices.all_inner_texts()]
    assert "Khí hậu" not in labels and "Địa lí tự nhiên" not in labels and "Dân cư" in labels
    topic_node(page, "Địa lí tự nhiên").locator('> .topic-editor select[name="parent"]').select_option(label="Dân cư")
    topic_node(page, "Địa lí tự nhiên").locator('> .topic-editor button[type="submit"]').click()
    expect(topic_node(page, "Dân cư").locator("ul .topic-name")).to_have_text(["Địa lí tự nhiên", "Khí hậu"])

    # Renaming the lesson.
    topic_node(page, "Khí hậu").locator("> .topic-row .rename-topic").click()
    topic_node(page, "Khí hậu").locator('> .topic-editor input[name="name"]').fill("Khí hậu Việt Nam")
    topic_node(page, "Khí hậu").locator('> .topic-editor button[type="submit"]').click()
    expect(topic_node(page, "Khí hậu Việt Nam")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "subjects_tree_1366.png"), full_page=True)

    # A topic an item uses is not deleted, and the node says why; an unused one is.
    page.locator(f'[data-subject="{world.history.pk}"] .subject-pick').click()
    expect(page).to_have_url(f"{server}/bank/subjects/?subject={world.history.pk}")
    topic_node(page, "Cận đại").locator("> .topic-row .delete-topic").click()
    refusal = topic_node(page, "Cận đại").locator("> .notice")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("1")
    assert in_db_thread(lambda: Topic.objects.filter(subject=world.history, name="Cận đại").exists())
    page.screenshot(path=str(SCREENSHOTS / "subjects_in_use_1366.png"), full_page=True)
    page.locator('[data-subject] .subject-pick:has-text("Địa lí")').click()
    topic_node(page, "Khí hậu Việt Nam").locator("> .topic-row .delete-topic").click()
    expect(topic_node(page, "Khí hậu Việt Nam")).to_have_count(0)
    assert in_db_thread(lambda: list(Topic.objects.filter(subject__code="dia-li").values_list("name", flat=True))) in (
        ["Dân cư", "Địa lí tự nhiên"],
        ["Địa lí tự nhiên", "Dân cư"],
    )

    # The platform's own subject: the board reads it, changes nothing.
    page.locator('[data-subject] .subject-pick:has-text("Toán")').click()
    expect(page.locator("#edit-subject")).to_be_hidden()

    # A teacher reads the same tree, with nothing to change; a student is refused the page.
    teacher = new_page(browser, locale="vi-VN", viewport=DESKTOP)
    pages.append(teacher)
    log_in(teacher, server, world.teacher.username)
    expect(teacher.locator('[data-testid="nav-subjects"]')).to_have_count(0)
    teacher.click('[data-testid="subnav-subjects"]')
    teacher.locator(f'[data-subject="{world.history.pk}"] .subject-pick').click()
    expect(topic_node(teacher, "Cận đại")).to_have_count(1)
    expect(teacher.locator("#subject-form, #topic-form, #topic-tree button")).to_have_count(0)
    student = new_page(browser, locale="vi-VN", viewport=DESKTOP)
    pages.append(student)
    log_in_to(student, server, world.student.username, "/password/")
    assert student.goto(f"{server}/bank/subjects/").status == 403

    # A school administrator, on a phone, from the top bar: the page fits the screen.
    phone = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(phone)
    log_in(phone, server, world.school_admin.username)
    phone.click('[data-testid="nav-subjects"]')
    phone.locator('[data-subject] .subject-pick:has-text("Địa lí")').click()
    expect(topic_node(phone, "Dân cư")).to_have_count(1)
    phone.fill("#t-name", "Biển đảo")
    phone.click("#add-topic")
    expect(topic_node(phone, "Biển đảo")).to_have_count(1)
    # Its school keeps what it added; what the department's board added stays the board's.
    expect(topic_node(phone, "Biển đảo").locator("> .topic-row .rename-topic")).to_have_count(1)
    expect(topic_node(phone, "Dân cư").locator("> .topic-row .rename-topic")).to_have_count(0)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    phone.screenshot(path=str(SCREENSHOTS / "subjects_375.png"), full_page=True)


def test_bulk_actions_and_formulas_in_the_bank_list(world: World, server: str, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = new_page(browser, locale="vi-VN", viewport=DESKTOP)
    pages.append(page)
    log_in(page, server, world.teacher.username)
    expect(page).to_have_url(f"{server}/bank/")
    rows = page.locator("#results tr[data-item]")
    expect(rows).to_have_count(4)
    for version in world.drafts:  # formulas drawn as MathML, no dollar signs left
        link = page.locator(f'#results tr[data-item="{version.item_id}"] .item-link')
        expect(link.locator("math")).to_have_count(3)
        assert "$" not in link.inner_text()

    # Select the three drafts (one private) and submit them in one action.
    for version in world.drafts:
        page.locator(f'#results tr[data-item="{version.item_id}"] .pick-item').check()
    expect(page.locator("#bulk-count")).to_contain_text("3")
    page.select_option("#bulk-action", "submit")
    page.click("#bulk-apply")
    report = page.locator('[data-testid="bulk-report"]')
    expect(report).to_be_visible()
    private = world.drafts[2].item_id
    expect(report.locator("li")).to_have_count(1)
    expect(report.locator(f'li[data-item="{private}"]')).to_have_attribute("data-code", "invalid")
    page.screenshot(path=str(SCREENSHOTS / "bank_bulk_1366.png"), full_page=True)
    statuses = in_db_thread(lambda: [ItemVersion.objects.get(pk=v.pk).status for v in world.drafts])
    assert statuses == ["submitted", "submitted", "draft"]
    expect(page.locator("#bulk-count")).to_contain_text("0")

    # A colleague: the review queue shows the formulas; the list approves a page in one go.
    colleague = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(colleague)
    log_in(colleague, server, world.colleague.username)
    colleague.goto(f"{server}/bank/review/")
    queue = colleague.locator("#queue tr")
    expect(queue).to_have_count(2)
    expect(queue.first.locator(".item-excerpt math")).to_have_count(3)
    colleague.goto(f"{server}/bank/?subject=toan")
    expect(colleague.locator("#results tr[data-item]")).to_have_count(2)  # the private one is not shared
    colleague.check("#select-page")
    colleague.select_option("#bulk-action", "approve")
    colleague.click("#bulk-apply")
    expect(colleague.locator('[data-testid="bulk-report"]')).to_be_visible()
    expect(colleague.locator('[data-testid="bulk-report"] li')).to_have_count(0)
    width = colleague.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    colleague.screenshot(path=str(SCREENSHOTS / "bank_bulk_375.png"), full_page=True)
    statuses = in_db_thread(lambda: [ItemVersion.objects.get(pk=v.pk).status for v in world.drafts])
    assert statuses == ["approved", "approved", "draft"]
