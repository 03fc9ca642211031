"""A school's administrator imports a roster on the Classes page, in Debian's Chromium.

They land on the page after logging in, check a file with a mistake (every problem listed by
sheet, row and column, nothing imported, the import button off), check the corrected file,
import it, and find the classes with their students; on a 375 px phone the page still fits.
The words are looked up by ids and data attributes, so the test holds in either language.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts.models import ClassMembership, Role, SchoolClass, User
from itembank.models import Subject
from tests.accounts.test_roster import STUDENTS, YEAR, full_roster
from tests.browser.test_bank_browser import open_page
from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import in_db_thread, log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.factories import make_school, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp")


@pytest.fixture
def school_admin(transactional_db) -> User:
    Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    Subject.objects.get_or_create(code="van", defaults={"name": "Ngữ văn"})
    return make_user(Role.SCHOOL_ADMIN, make_school())


def test_a_school_administrator_checks_and_imports_a_roster(school_admin, server, browser, pages, tmp_path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    wrong = tmp_path / "lop-loi.xlsx"
    wrong.write_bytes(full_roster(STUDENTS + [[4, "HS0000000004", "Lý Thu", "", "", "12C9"]]))
    right = tmp_path / "lop.xlsx"
    right.write_bytes(full_roster())

    page = open_page(browser, pages)
    log_in(page, server, school_admin.username)
    expect(page).to_have_url(f"{server}/people/")
    page.select_option("#p-year", YEAR)
    expect(page.locator("#p-year")).to_have_value(YEAR)
    expect(page.locator('[data-testid="roster-template"]')).to_have_attribute("href", "/api/rosters/template/")

    page.set_input_files("#r-file", str(wrong))
    page.select_option("#r-year", YEAR)
    page.click("#roster-check")
    problems = page.locator('[data-testid="roster-problems"] tbody tr')
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("12C9")
    expect(problems.first).to_contain_text("5")  # the row in the sheet
    expect(page.locator("#roster-import")).to_be_disabled()
    assert in_db_thread(lambda: User.objects.filter(role=Role.STUDENT).count()) == 0

    page.set_input_files("#r-file", str(right))
    page.click("#roster-check")
    expect(page.locator('[data-testid="roster-counts"]')).to_be_visible()
    expect(page.locator('[data-testid="roster-problems"]')).to_have_count(0)
    expect(page.locator("#roster-import")).to_be_enabled()
    page.screenshot(path=str(SCREENSHOTS / "people_checked_1366.png"), full_page=True)
    page.click("#roster-import")
    expect(page.locator("#roster-report .notice-ok a")).to_be_visible()
    assert in_db_thread(lambda: ClassMembership.objects.filter(left_at__isnull=True).count()) == 3

    page.click("#roster-report .notice-ok a")
    rows = page.locator('[data-testid="classes"] tbody tr')
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("10A1")
    page.screenshot(path=str(SCREENSHOTS / "people_classes_1366.png"), full_page=True)
    rows.first.locator("a").click()
    expect(page.locator('[data-testid="class-students"] tbody tr')).to_have_count(2)
    expect(page.locator('[data-testid="class-students"]')).to_contain_text("HS0000000001")
    expect(page.locator('[data-testid="class-teachers"]')).to_contain_text("GV001")

    # Login cards: the two students' first passwords, shown once; a student logs in with one
    # and must choose a password of their own before anything else.
    page.click('[data-testid="login-cards"]')
    cards = page.locator('[data-testid="login-cards"] .login-card')
    expect(cards).to_have_count(2)
    page.screenshot(path=str(SCREENSHOTS / "people_cards_1366.png"), full_page=True)
    username = cards.first.locator("dd").nth(1).inner_text()
    password = cards.first.locator('[data-testid="card-password"]').inner_text()
    student = new_page(browser, locale="vi-VN", viewport={"width": 1366, "height": 768})
    pages.append(student)
    student.goto(f"{server}/login/")
    student.fill('input[name="username"]', username)
    student.fill('input[name="password"]', password)
    student.click("main form button[type=submit]")
    expect(student).to_have_url(f"{server}/password/")
    student.goto(f"{server}/exam/")
    expect(student).to_have_url(f"{server}/password/")

    phone = new_page(browser, locale="vi-VN", viewport={"width": 375, "height": 740})
    pages.append(phone)
    log_in(phone, server, school_admin.username)
    phone.goto(f"{server}/people/?year={YEAR}")
    expect(phone.locator('[data-testid="classes"] tbody tr')).to_have_count(2)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    phone.screenshot(path=str(SCREENSHOTS / "people_375.png"), full_page=True)


# --- students' photos for check-in ----------------------------------------------------------------

PHOTO_SHOTS = Path("/tmp/photo-shots")


@dataclass(frozen=True)
class PhotoClass:
    school_admin: User
    homeroom_teacher: User
    school_class: SchoolClass
    students: list[User]


@pytest.fixture
def photo_media(settings, package_media: Path) -> Path:
    """Photos stored by the test and by the server land in the server's media folder."""
    settings.MEDIA_ROOT = package_media
    return package_media


@pytest.fixture
def photo_class(transactional_db) -> PhotoClass:
    from accounts import services

    school = make_school()
    admin = make_user(Role.SCHOOL_ADMIN, school)
    teacher = make_user(Role.TEACHER, school)
    school_class = services.class_create(
        by=admin, school_id=school.pk, school_year=YEAR, name="12A1", grade=12, homeroom_teacher_id=teacher.pk
    )
    students = [
        make_user(Role.STUDENT, school, first_name="An", last_name="Nguyễn Văn", citizen_id="001210012345"),
        make_user(Role.STUDENT, school, first_name="Bình", last_name="Trần Thị"),
    ]
    for student in students:
        services.class_place_student(by=admin, class_id=school_class.pk, student_id=student.pk)
    return PhotoClass(admin, teacher, school_class, students)


def portrait(path: Path, colour: tuple[int, int, int]) -> Path:
    """A 900 x 1200 picture of a round face on a plain ground, as a JPEG."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (900, 1200), (214, 228, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((250, 200, 650, 700), fill=colour)
    draw.rectangle((150, 800, 750, 1200), fill=(40, 70, 120))
    image.save(path, "JPEG", quality=90)
    return path


def photo_name(user_id: int) -> str:
    return in_db_thread(lambda: User.objects.get(pk=user_id).photo.name)


def wait_for_new_thumbnail(page, thumb, before: str | None) -> None:
    """Until the thumbnail shows a picture from another address than ``before``."""
    page.wait_for_function(
        "([img, before]) => img.src && img.src !== before && img.complete && img.naturalWidth > 0",
        arg=[thumb.element_handle(), before],
    )


def test_a_school_administrator_uploads_replaces_and_removes_a_students_photo(
    photo_media,
    photo_class,
    server,  # noqa: F811
    browser,  # noqa: F811
    pages,  # noqa: F811
    tmp_path,
) -> None:
    from playwright.sync_api import expect

    PHOTO_SHOTS.mkdir(exist_ok=True)
    first, second = photo_class.students
    url = f"{server}/people/classes/{photo_class.school_class.pk}/"
    page = new_page(browser, locale="vi-VN", viewport={"width": 1366, "height": 768})
    pages.append(page)
    log_in(page, server, photo_class.school_admin.username)
    page.goto(url)
    cell = page.locator(f'[data-testid="photo-{first.learner_id}"]')
    thumb = cell.locator(".photo-thumb")
    expect(page.locator(f'[data-testid="citizen-id-{first.learner_id}"]')).to_have_text("001210012345")
    expect(page.locator(f'[data-testid="citizen-id-{second.learner_id}"]')).to_have_text("–")
    expect(cell.locator(".photo-none")).to_be_visible()
    expect(thumb).to_be_hidden()
    expect(cell.locator("[data-photo-remove]")).to_be_hidden()
    page.screenshot(path=str(PHOTO_SHOTS / "class_no_photos_1366.png"), full_page=True)

    first_file = f'[data-testid="photo-file-{first.learner_id}"]'
    page.set_input_files(first_file, str(portrait(tmp_path / "an.jpg", (236, 188, 150))))
    expect(thumb).to_be_visible()
    wait_for_new_thumbnail(page, thumb, None)
    assert thumb.evaluate("(img) => img.naturalWidth") == 450  # 900 x 1200 kept as 450 x 600
    expect(cell.locator("[data-photo-remove]")).to_be_visible()
    expect(cell.locator(".photo-none")).to_be_hidden()
    stored = photo_name(first.pk)
    assert stored and (photo_media / stored).is_file()
    page.screenshot(path=str(PHOTO_SHOTS / "class_photo_1366.png"), full_page=True)

    # Replaced: the new one shows and the old file is gone.
    before = thumb.evaluate("(img) => img.src")
    page.set_input_files(first_file, str(portrait(tmp_path / "an2.jpg", (120, 80, 60))))
    wait_for_new_thumbnail(page, thumb, before)
    replaced = photo_name(first.pk)
    assert replaced != stored and (photo_media / replaced).is_file() and not (photo_media / stored).exists()

    # A file that is no image is refused, in words, next to the student's photo.
    text = tmp_path / "ghi-chu.txt"
    text.write_text("Không phải ảnh")
    page.set_input_files(f'[data-testid="photo-file-{second.learner_id}"]', str(text))
    failed = page.locator(f'[data-testid="photo-{second.learner_id}"] [data-photo-state].error')
    expect(failed).to_be_visible()
    expect(failed).not_to_be_empty()
    assert photo_name(second.pk) == ""
    page.screenshot(path=str(PHOTO_SHOTS / "class_refused_1366.png"), full_page=True)

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    cell.locator("[data-photo-remove]").click()
    expect(cell.locator(".photo-none")).to_be_visible()
    expect(thumb).to_be_hidden()
    assert len(dialogs) == 1 and dialogs[0]
    assert photo_name(first.pk) == ""
    assert not (photo_media / replaced).exists()

    # On a 375 px phone: each student a card, the photo and its buttons inside it.
    phone = new_page(browser, locale="vi-VN", viewport={"width": 375, "height": 740})
    pages.append(phone)
    log_in(phone, server, photo_class.school_admin.username)
    phone.goto(url)
    phone.set_input_files(
        f'[data-testid="photo-file-{second.learner_id}"]', str(portrait(tmp_path / "binh.jpg", (200, 160, 130)))
    )
    phone_thumb = phone.locator(f'[data-testid="photo-{second.learner_id}"] .photo-thumb')
    expect(phone_thumb).to_be_visible()
    wait_for_new_thumbnail(phone, phone_thumb, None)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    phone.screenshot(path=str(PHOTO_SHOTS / "class_photo_375.png"), full_page=True)

    # The homeroom teacher sees the citizen ID numbers, but no photo and no control.
    teacher = new_page(browser, locale="vi-VN", viewport={"width": 1366, "height": 768})
    pages.append(teacher)
    log_in(teacher, server, photo_class.homeroom_teacher.username)
    teacher.goto(url)
    expect(teacher.locator(f'[data-testid="citizen-id-{first.learner_id}"]')).to_have_text("001210012345")
    expect(teacher.locator(".photo-cell")).to_have_count(0)
    teacher.screenshot(path=str(PHOTO_SHOTS / "class_teacher_1366.png"), full_page=True)
