"""Issue 9's whole path in Debian's Chromium, every step through the pages as its user takes it.

The school's administrator sets up the class from the education database's roster (the
teacher named in it as its homeroom and mathematics teacher); the teacher imports the class's
students; the administrator prints their login cards; the teacher builds a quiz from a blueprint with 4 test codes and assigns it to the class; two
students log in with their first passwords, choose their own, and take it on different
codes; before the release nothing of the key is reachable by a student (the review, the key
tables, the form preview, the items, the pages); the teacher releases the results and a
student sees their score and the correct answers.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import Role, User
from assess import statuses
from assess.blueprints import BlueprintSpec, CellSpec, PartSpec, blueprint_create
from assess.models import Attempt, Form, Sitting
from itembank import services as bank
from itembank.models import CognitiveLevel, Subject, Topic
from tests.accounts.test_roster import workbook
from tests.browser.test_bank_browser import open_page
from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import in_db_thread, new_page, wait_until_saved
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.factories import PASSWORD, make_department, make_school, make_user, release_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp")
YEAR = "2026-2027"
NEW_PASSWORD = "Bai kiem tra 15 phut!"
SCORE_WAIT_SECONDS = 30.0


@pytest.fixture
def school(transactional_db):
    department = make_department()
    school = make_school(department)
    board = make_user(Role.BOARD, department)
    admin = make_user(Role.SCHOOL_ADMIN, school)
    teacher = make_user(Role.TEACHER, school, staff_id="GV001", first_name="Bình", last_name="Trần Thị")
    subject, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    algebra = Topic.objects.create(subject=subject, name="Đại số")
    for n in range(6):
        version = bank.item_create(
            by=teacher,
            subject=subject,
            topic=algebra,
            level=CognitiveLevel.KNOW,
            content={
                "stem": f"Câu {n + 1}: $x + {n} = {2 * n}$, $x$ bằng",
                "options": [{"id": "A", "text": f"${n}$"}]
                + [{"id": x, "text": f"${n + k}$"} for k, x in enumerate("BCD", 1)],
                "key": "A",
            },
        )
        release_version(version, author=teacher, reviewer=board)
    cell = CellSpec(topic_id=algebra.pk, level=CognitiveLevel.KNOW, item_count=4)
    blueprint_create(
        by=teacher,
        spec=BlueprintSpec(
            title="Ma trận 15 phút – Đại số",
            subject_id=subject.pk,
            parts=(PartSpec("Phần I", "single_choice", Decimal("2.5"), (cell,)),),
        ),
    )
    return {"school": school, "admin": admin, "teacher": teacher, "subject": subject}


def log_in(page, base: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login/"))


def school_roster() -> bytes:
    """The school's part, the administrator's: the class and its homeroom (and maths) teacher."""
    return workbook(
        ("Lớp", [["Lớp", "Khối"], ["10A1", 10]]),
        (
            "Giáo viên",
            [
                ["Mã cán bộ", "Họ và tên", "Môn dạy", "Lớp dạy", "Chủ nhiệm"],
                ["GV001", "Trần Thị Bình", "Toán", "10A1", "10A1"],
            ],
        ),
    )


def class_list() -> bytes:
    """The class's students, as the education database exports them: the homeroom teacher's."""
    return workbook(
        (
            "Học sinh",
            [
                ["Mã định danh", "Họ và tên", "Ngày sinh", "Giới tính", "Lớp"],
                ["079210000001", "Nguyễn Văn An", "15/03/2010", "Nam", "10A1"],
                ["079210000002", "Phạm Thị Hoa", "02/07/2010", "Nữ", "10A1"],
            ],
        ),
    )


def import_file(page, path: Path, data: bytes, screenshot: Path | None = None) -> None:
    """On /people/: check a roster file, then import it and wait for the job's report."""
    from playwright.sync_api import expect

    path.write_bytes(data)
    page.select_option("#r-year", YEAR)
    page.set_input_files("#r-file", str(path))
    page.click("#roster-check")
    expect(page.locator("#roster-import")).to_be_enabled()
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    page.click("#roster-import")
    expect(page.locator("#roster-report .notice-ok a")).to_be_visible()


def test_a_class_is_imported_a_quiz_built_with_codes_taken_and_released(
    school, server, browser, pages, tmp_path
) -> None:  # noqa: F811
    from playwright.sync_api import expect

    # 1. The school's administrator sets up the class with its homeroom teacher; the teacher
    #    imports the class's students; the administrator prints their login cards.
    admin = open_page(browser, pages)
    log_in(admin, server, school["admin"].username)
    import_file(admin, tmp_path / "truong.xlsx", school_roster())
    assert in_db_thread(lambda: User.objects.filter(role=Role.TEACHER).count()) == 1  # GV001 is the teacher

    teacher = open_page(browser, pages)
    teacher.set_viewport_size({"width": 1366, "height": 768})
    log_in(teacher, server, school["teacher"].username)
    teacher.goto(f"{server}/people/?year={YEAR}")
    expect(teacher.locator('[data-testid="homeroom-hint"]')).to_contain_text("10A1")
    import_file(teacher, tmp_path / "lop-10a1.xlsx", class_list(), SCREENSHOTS / "e2e-teacher-import-1366.png")
    assert in_db_thread(lambda: User.objects.filter(role=Role.STUDENT).count()) == 2

    admin.goto(f"{server}/people/?year={YEAR}")
    admin.locator('[data-testid="classes"] tbody tr a').first.click()
    admin.click('[data-testid="login-cards"]')
    cards = admin.locator('[data-testid="login-cards"] .login-card')
    expect(cards).to_have_count(2)
    logins = [
        (
            cards.nth(i).locator("dd").nth(1).inner_text(),
            cards.nth(i).locator('[data-testid="card-password"]').inner_text(),
        )
        for i in range(2)
    ]

    # 2. The teacher builds the quiz from the blueprint, makes 4 test codes and assigns it.
    teacher.goto(f"{server}/assessments/")
    teacher.select_option('[data-testid="preset"]', "continuous_15")
    teacher.select_option("#a-subject", "toan")
    teacher.fill("#a-year", YEAR)
    part = teacher.locator('[data-testid="parts"] [data-part]').first
    part.locator("[name=item_count]").fill("4")
    part.locator("[name=points_per_item]").fill("2.5")
    teacher.click('[data-testid="create-assessment"]')
    expect(teacher).to_have_url(re.compile(r"/assessments/\d+/$"))
    teacher.click('[data-draw="preview"]')
    expect(teacher.locator('[data-testid="draw-report"] .report-ok')).to_be_visible()
    teacher.click('[data-draw="save"]')
    expect(teacher.locator('[data-testid="forms"] tbody tr[data-form]')).to_have_count(1)
    teacher.locator("[data-codes-count]").fill("4")
    teacher.click("[data-make-codes]")
    expect(teacher.locator('[data-testid="keys-pdf"]')).to_be_visible()
    # The quiz opens now (the form's default is in an hour's time).
    teacher.evaluate(
        """() => { const d = new Date(Date.now() - 5 * 60000 - new Date().getTimezoneOffset() * 60000);
                   document.querySelector('#s-opens').value = d.toISOString().slice(0, 16); }"""
    )
    teacher.locator('[data-testid="class-choices"] input[name="classes"]').first.check()
    teacher.select_option("#s-timing", "on_release")
    teacher.select_option("#s-detail", "answers")
    teacher.click('[data-testid="schedule"]')
    expect(teacher.locator('[data-testid="sittings"] tbody tr[data-sitting]')).to_have_count(1)
    sitting = in_db_thread(lambda: Sitting.objects.get())
    master = in_db_thread(lambda: Form.objects.get(kind=Form.Kind.MASTER))
    codes = in_db_thread(
        lambda: list(Attempt.objects.filter(sitting=sitting).order_by("pk").values_list("form__code", flat=True))
    )
    assert len(codes) == 2 and codes[0] != codes[1] and set(codes) <= {"101", "102", "103", "104"}

    # 3. Each student logs in with the first password, chooses their own, and takes the quiz.
    attempts = []
    for number, (username, password) in enumerate(logins):
        student = new_page(
            browser,
            locale="vi-VN",
            viewport={"width": 375, "height": 740} if number else {"width": 1366, "height": 768},
        )
        pages.append(student)
        student.goto(f"{server}/login/")
        student.fill('input[name="username"]', username)
        student.fill('input[name="password"]', password)
        student.click("main form button[type=submit]")
        expect(student).to_have_url(f"{server}/password/")
        student.fill('input[name="old_password"]', password)
        student.fill('input[name="new_password1"]', NEW_PASSWORD)
        student.fill('input[name="new_password2"]', NEW_PASSWORD)
        student.click("main form button[type=submit]")
        student.goto(f"{server}/exam/")
        card = student.locator(f'article[data-sitting="{sitting.pk}"]')
        expect(card).to_have_attribute("data-state", "open")
        card.locator('a[data-action="open"]').click()
        expect(student.locator("#connection")).to_have_attribute("data-state", "open")
        student.click("#start")
        expect(student.locator("#items li.item")).to_have_count(4)
        # The first student answers every item with its first option, the second leaves it.
        if number == 0:
            for position in range(1, 5):
                student.locator(f'input[name="item-{position}"]').first.check()
            wait_until_saved(student)
        student.click("#submit")  # the review before handing in
        student.click("#review-submit")
        expect(student.locator("#done")).to_be_visible()
        attempts.append(in_db_thread(lambda u=username: Attempt.objects.get(sitting=sitting, student__username=u)))
        if number == 0:
            first_student = student

    give_up = time.monotonic() + SCORE_WAIT_SECONDS
    while in_db_thread(lambda: Attempt.objects.filter(sitting=sitting, status=statuses.SCORED).count()) < 2:
        assert time.monotonic() < give_up, f"not scored after {SCORE_WAIT_SECONDS:.0f} s"
        first_student.wait_for_timeout(300)

    # 4. Before the release nothing of the key reaches a student, through any door.
    attempt = attempts[0]
    item_id = in_db_thread(lambda: master.form_items.first().item_version.item_id)
    for path, refused in (
        (f"/api/attempts/{attempt.pk}/review/", 403),
        (f"/api/forms/{attempt.form_id}/keys/", 403),
        (f"/api/forms/{master.pk}/keys.xlsx", 403),
        (f"/api/forms/{attempt.form_id}/preview/", 403),
        (f"/api/items/{item_id}/", 403),
        (f"/exam/attempts/{attempt.pk}/review/", 403),
    ):
        status = first_student.evaluate("path => fetch(path).then(r => r.status)", path)
        assert status == refused, (path, status)
    first_student.goto(f"{server}/exam/")
    done = first_student.locator(f'article[data-sitting="{sitting.pk}"]')
    expect(done.locator('[data-testid="score"]')).to_have_count(0)
    shown_keys = in_db_thread(
        lambda: [fi.response_ids["options"]["A"] for fi in Form.objects.get(pk=attempt.form_id).form_items.all()]
    )
    assert not any(key in first_student.content() for key in shown_keys)

    # 5. The teacher releases the results; the student sees the score and the correct answers.
    teacher.reload()
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.click('[data-sitting-action="release"]')
    expect(teacher.locator('[data-sitting-action="withdraw"]')).to_be_visible()

    def shown_score() -> str:  # as the pages write it: in the assessment's step (tenths here)
        scored = Attempt.objects.select_related("sitting__assessment", "result").get(pk=attempt.pk)
        return scored.sitting.assessment.score_text(scored.result.score_10)

    score = in_db_thread(shown_score)
    first_student.goto(f"{server}/exam/")
    expect(done.locator('[data-testid="score"]')).to_have_text(score.replace(".", ","))
    done.locator('[data-testid="review-link"]').click()
    expect(first_student.locator('[data-testid="review-score"]')).to_have_text(score.replace(".", ","))
    expect(first_student.locator("li[data-item]")).to_have_count(4)
    expect(first_student.locator('[data-testid="correct"]')).to_have_count(4)  # the policy shows the answers
    first_student.screenshot(path=str(SCREENSHOTS / "quiz_review_after_release_1366.png"), full_page=True)
