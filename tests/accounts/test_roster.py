"""Roster imports: classes, teachers and students from a school's XLSX or CSV export.

All rows or none, a per-row report, re-importing changes nothing, a changed name updates the
person keyed by the identifier, a move keeps the class history, nobody is duplicated, and
nobody outside the importer's organisations is touched.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation
from openpyxl import Workbook, load_workbook

from accounts import roster
from accounts.models import ClassMembership, ClassTeacher, Organisation, Role, RosterImport, SchoolClass, User
from accounts.services import RosterRefused, roster_import, roster_plan
from itembank.models import Subject
from tests.factories import make_department, make_school, make_user

pytestmark = pytest.mark.django_db

YEAR = "2026-2027"
CLASSES = [["Lớp", "Khối"], ["10A1", 10], ["10A2", "10"]]
TEACHERS = [
    ["Mã cán bộ", "Họ và tên", "Môn dạy", "Lớp dạy", "Chủ nhiệm"],
    ["GV001", "Trần Thị Bình", "Toán", "10A1, 10A2", "10A1"],
    ["GV002", "Lê Văn Cường", "Ngữ văn; Toán", "10A2", "10A2"],
]
STUDENTS = [
    ["STT", "Mã định danh", "Họ và tên", "Ngày sinh", "Giới tính", "Lớp"],
    [1, "HS0000000001", "Nguyễn Văn An", "15/03/2010", "Nam", "10A1"],
    [2, "HS0000000002", "Phạm Thị Hoa", date(2010, 7, 2), "Nữ", "10A1"],
    [3, "HS0000000003", "Đỗ Minh Khoa", "2010-01-31", "", "10A2"],
]


def workbook(*sheets: tuple[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def full_roster(students=STUDENTS, teachers=TEACHERS, classes=CLASSES) -> bytes:
    return workbook(("Lớp", classes), ("Giáo viên", teachers), ("Học sinh", students))


@pytest.fixture(autouse=True)
def english():
    """Problems are compared in English here; one test reads them in Vietnamese, the default."""
    with translation.override("en"):
        yield


@pytest.fixture
def school():
    school = make_school()
    Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    Subject.objects.get_or_create(code="van", defaults={"name": "Ngữ văn"})
    return school


@pytest.fixture
def admin_of(school):
    return make_user(Role.SCHOOL_ADMIN, school)


def run(by, school, data, filename="roster.xlsx", year=YEAR):
    return roster_import(by=by, organisation_id=school.pk, school_year=year, data=data, filename=filename)


def test_a_roster_creates_classes_teachers_and_students_and_reimporting_changes_nothing(school, admin_of):
    data = full_roster()
    plan, record = run(admin_of, school, data)
    assert plan.counts() == {
        "classes": {"created": 2, "updated": 0},
        "teachers": {"created": 2, "updated": 0, "unchanged": 0},
        "students": {"created": 3, "updated": 0, "moved": 0, "placed": 3, "unchanged": 0},
        "assignments": {"created": 4, "homerooms": 2},
    }
    assert record.counts == plan.counts() and record.by == admin_of and len(record.sha256) == 64
    a1 = SchoolClass.objects.get(school=school, school_year=YEAR, name="10A1")
    assert a1.grade == 10 and a1.homeroom_teacher.staff_id == "GV001"
    an = User.objects.get(learner_id="HS0000000001")
    assert (an.username, an.get_full_name(), an.first_name, an.role, an.organisation) == (
        "HS0000000001",
        "Nguyễn Văn An",
        "An",
        Role.STUDENT,
        school,
    )
    assert an.date_of_birth == date(2010, 3, 15) and an.gender == "male" and an.must_change_password
    assert not an.has_usable_password()  # first passwords are issued with the login cards
    assert User.objects.get(learner_id="HS0000000002").date_of_birth == date(2010, 7, 2)
    assert User.objects.get(learner_id="HS0000000003").gender == ""
    assert sorted(
        ClassTeacher.objects.filter(teacher__staff_id="GV002").values_list("school_class__name", "subject__code")
    ) == [("10A2", "toan"), ("10A2", "van")]
    assert ClassMembership.objects.filter(school_class=a1, left_at__isnull=True).count() == 2

    before = (User.objects.count(), ClassMembership.objects.count(), ClassTeacher.objects.count())
    plan, _ = run(admin_of, school, data)
    assert plan.counts() == {
        "classes": {"created": 0, "updated": 0},
        "teachers": {"created": 0, "updated": 0, "unchanged": 2},
        "students": {"created": 0, "updated": 0, "moved": 0, "placed": 0, "unchanged": 3},
        "assignments": {"created": 0, "homerooms": 0},
    }
    assert (User.objects.count(), ClassMembership.objects.count(), ClassTeacher.objects.count()) == before
    assert RosterImport.objects.count() == 2


def test_a_changed_name_updates_the_person_and_a_move_keeps_the_history(school, admin_of):
    run(admin_of, school, full_roster())
    an = User.objects.get(learner_id="HS0000000001")
    students = [row[:] for row in STUDENTS]
    students[1][2] = "Nguyễn Văn Ân"
    students[1][5] = "10A2"
    plan, _ = run(admin_of, school, full_roster(students))
    counts = plan.counts()["students"]
    assert (counts["created"], counts["updated"], counts["moved"], counts["unchanged"]) == (0, 1, 1, 2)
    an.refresh_from_db()
    assert an.get_full_name() == "Nguyễn Văn Ân"
    assert User.objects.filter(learner_id="HS0000000001").count() == 1
    history = list(ClassMembership.objects.filter(student=an).order_by("joined_at", "pk"))
    assert [m.school_class.name for m in history] == ["10A1", "10A2"]
    assert history[0].left_at is not None and history[1].left_at is None


def test_csv_files_are_read_with_commas_or_semicolons(school, admin_of):
    run(admin_of, school, workbook(("Lớp", CLASSES)))
    text = "Mã định danh;Họ và tên;Ngày sinh;Giới tính;Lớp\nHS0000000009;Vũ Thị Lan;01/09/2010;nữ;10a1\n"
    plan, _ = run(admin_of, school, text.encode("utf-8-sig"), filename="lop.csv")
    assert plan.counts()["students"]["created"] == 1
    lan = User.objects.get(learner_id="HS0000000009")
    assert lan.gender == "female" and lan.class_memberships.get().school_class.name == "10A1"
    english = "learner id,full name,class\nHS0000000010,Hà Anh,10A2\n"
    plan, _ = run(admin_of, school, english.encode(), filename="class.csv")
    assert plan.counts()["students"]["created"] == 1


def problems_of(by, school, data, filename="roster.xlsx"):
    with pytest.raises(RosterRefused) as refused:
        run(by, school, data, filename)
    return [(p.sheet, p.row, p.column, p.message) for p in refused.value.plan.problems]


def test_bad_rows_are_reported_by_sheet_row_and_column_and_nothing_is_written(school, admin_of):
    students = [
        STUDENTS[0],
        [1, "HS0000000001", "Nguyễn Văn An", "31/02/2010", "Nam", "10A1"],  # no such date
        [2, "HS-1", "Phạm Thị Hoa", "", "Nữ", "10A1"],  # malformed identifier
        [3, "HS0000000003", "", "", "", "10A1"],  # no name
        [4, "HS0000000004", "Đỗ Minh Khoa", "", "khác", "10A1"],  # unknown gender
        [5, "HS0000000005", "Lý Thu", "", "", "12C9"],  # unknown class
        [6, "HS0000000006", "Hồ Nam", "", "", "10A2"],
        [7, "HS0000000006", "Hồ Nam", "", "", "10A2"],  # the same learner twice
        [8, "HS0000000008", "Mai Lan", "", "", "10A1"],
    ]
    teachers = [TEACHERS[0], ["GV001", "Trần Thị Bình", "Địa lí", "10A1", ""]]
    found = problems_of(admin_of, school, full_roster(students, teachers))
    assert found == [
        ("Giáo viên", 2, None, "Unknown subject Địa lí."),
        ("Học sinh", 2, "D", "Not a date of birth: 31/02/2010 (write dd/mm/yyyy)."),
        ("Học sinh", 3, None, "Learner identifier HS-1 is not in the expected form."),
        ("Học sinh", 4, "C", "This cell is empty."),
        ("Học sinh", 5, "E", "Not a gender: khác (write Nam or Nữ)."),
        (
            "Học sinh",
            6,
            None,
            f"Unknown class 12C9 in {school.name} for {YEAR}: add it on the Classes sheet.",
        ),
        ("Học sinh", 8, None, "Learner identifier HS0000000006 is also in row 7."),
    ]
    assert not User.objects.filter(role__in=[Role.STUDENT, Role.TEACHER]).exists()
    assert not SchoolClass.objects.exists() and not RosterImport.objects.exists()


def test_missing_columns_formulas_wrong_sheets_and_wrong_files_are_refused(school, admin_of):
    no_class_column = workbook(("Học sinh", [["Mã định danh", "Họ và tên"], ["HS0000000001", "An"]]))
    assert problems_of(admin_of, school, no_class_column) == [("Học sinh", 1, None, "Missing columns: Lớp.")]

    book = Workbook()
    sheet = book.active
    sheet.title = "Học sinh"
    sheet.append(["Mã định danh", "Họ và tên", "Lớp"])
    sheet.append(["HS0000000001", '=CONCATENATE("Nguyễn ","An")', "10A1"])
    out = io.BytesIO()
    book.save(out)
    assert problems_of(admin_of, school, out.getvalue()) == [
        ("Học sinh", 2, "B", "A formula, not a value: copy the sheet and paste values only.")
    ]

    wrong_sheet = workbook(("Điểm", [["Môn", "Điểm"], ["Toán", 8]]))
    [(sheet_name, row, column, message)] = problems_of(admin_of, school, wrong_sheet)
    assert sheet_name == "Điểm" and "is this the right sheet?" in message

    for data, name in (
        (b"PK\x03\x04not really a zip", "roster.xlsx"),
        (b"\xff\xfe\x00\x00binary", "roster.csv"),
        ("Mã định danh,Họ và tên,Lớp\n".encode("utf-16"), "roster.csv"),
    ):
        [(_sheet, _row, _column, message)] = problems_of(admin_of, school, data, name)
        assert "Excel" in message
    assert not User.objects.filter(role=Role.STUDENT).exists()


def test_nobody_outside_the_importers_organisations_is_touched(school, admin_of):
    other_school = make_school()
    foreign = make_user(Role.STUDENT, other_school, learner_id="HS0000000001", first_name="Giữ", last_name="Nguyên")
    foreign_teacher = make_user(Role.TEACHER, other_school, staff_id="GV001", username="gv-khac")
    taken = make_user(Role.TEACHER, school, username="HS0000000003")
    found = problems_of(admin_of, school, full_roster())
    assert ("Giáo viên", 2, None, "Staff identifier GV001 belongs to someone outside your organisations.") in found
    assert ("Học sinh", 2, None, "Learner HS0000000001 is registered at a school outside your organisations.") in found
    assert ("Học sinh", 4, None, "The user name HS0000000003 is already someone else's.") in found
    foreign.refresh_from_db()
    foreign_teacher.refresh_from_db()
    taken.refresh_from_db()
    assert (foreign.get_full_name(), foreign.organisation) == ("Nguyên Giữ", other_school)
    assert foreign_teacher.organisation == other_school and taken.role == Role.TEACHER


def test_only_a_school_administrator_of_the_organisation_imports_a_whole_roster(school, admin_of):
    data = full_roster()
    for role in (Role.TEACHER, Role.BOARD, Role.PROCTOR):
        with pytest.raises(PermissionDenied):
            run(make_user(role, school), school, data)
    with pytest.raises(PermissionDenied):
        run(make_user(Role.STUDENT, school), school, data)
    with pytest.raises(Organisation.DoesNotExist):
        run(make_user(Role.SCHOOL_ADMIN, make_school()), school, data)
    assert not SchoolClass.objects.exists()
    # A platform administrator may import for any school.
    plan, _ = run(make_user(Role.ADMIN, None), school, data)
    assert plan.counts()["students"]["created"] == 3


def test_a_department_imports_its_schools_by_code_and_each_row_needs_one(school):
    department = school.parent
    second = make_school(department)
    department_admin = make_user(Role.SCHOOL_ADMIN, department)
    classes = [["Mã trường", "Lớp", "Khối"], [school.code, "10A1", 10], [second.code, "10A1", 10]]
    students = [
        ["Mã trường", "Mã định danh", "Họ và tên", "Lớp"],
        [school.code.upper(), "HS0000000001", "Nguyễn Văn An", "10A1"],
        [second.code, "HS0000000002", "Phạm Thị Hoa", "10A1"],
    ]
    data = workbook(("Lớp", classes), ("Học sinh", students))
    plan, _ = roster_import(
        by=department_admin, organisation_id=department.pk, school_year=YEAR, data=data, filename="tinh.xlsx"
    )
    assert plan.counts()["classes"]["created"] == 2
    assert User.objects.get(learner_id="HS0000000002").organisation == second
    missing = workbook(("Học sinh", [["Mã định danh", "Họ và tên", "Lớp"], ["HS0000000003", "Lê Hà", "10A1"]]))
    with pytest.raises(RosterRefused) as refused:
        roster_import(
            by=department_admin, organisation_id=department.pk, school_year=YEAR, data=missing, filename="x.xlsx"
        )
    assert [p.message for p in refused.value.plan.problems] == ["Which school? Fill in the school's code (Mã trường)."]
    elsewhere = make_department()
    with pytest.raises(Organisation.DoesNotExist):
        roster_plan(by=department_admin, organisation_id=elsewhere.pk, school_year=YEAR, data=data, filename="x.xlsx")


def test_the_template_imports_as_it_is():
    data = roster.template_xlsx()
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Lớp", "Giáo viên", "Học sinh"]
    read = roster.read_roster(data, "mau.xlsx")
    assert not read.problems
    assert (len(read.classes), len(read.teachers), len(read.students)) == (1, 1, 1)
    school = make_school()
    Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    plan, _ = run(make_user(Role.SCHOOL_ADMIN, school), school, data)
    assert plan.counts()["students"]["created"] == 1 and plan.counts()["assignments"]["homerooms"] == 1


def test_problems_are_told_in_vietnamese_by_default(school, admin_of):
    students = [STUDENTS[0], [1, "HS0000000001", "Nguyễn Văn An", "", "khác", "10A9"]]
    with translation.override("vi"):
        found = problems_of(admin_of, school, full_roster(students))
    assert found == [("Học sinh", 2, "E", "Không phải giới tính: khác (ghi Nam hoặc Nữ).")]


def test_names_and_identifiers_that_cannot_be_stored_are_problems_not_errors(school, admin_of):
    classes = [CLASSES[0], ["10A1" + "x" * 40, 10], ["10A1", 10]]
    teachers = [
        TEACHERS[0],
        ["GV 001/é", "Trần Thị Bình", "Toán", "10A1", ""],
        ["HS0000000001", "Lê Hà", "Toán", "", ""],
    ]
    students = [STUDENTS[0], [1, "HS0000000001", "Nguyễn Văn An", "", "", "10A1"]]
    found = problems_of(admin_of, school, full_roster(students, teachers, classes))
    assert found == [
        ("Giáo viên", 2, None, "Staff identifier GV 001/é is not in the expected form (letters, digits, . _ -)."),
        ("Học sinh", 2, None, "The user name HS0000000001 is already someone else's."),
        ("Lớp", 2, "A", "A class name has at most 30 characters."),
    ]
    assert not User.objects.filter(role__in=[Role.STUDENT, Role.TEACHER]).exists()


def test_a_homeroom_teacher_imports_the_students_of_their_own_class_only(school, admin_of):
    """The homeroom teacher (giáo viên chủ nhiệm) keeps their class list: new students and
    corrected names of their own class; classes, teachers and moves stay the administrator's."""
    run(admin_of, school, full_roster())
    homeroom = User.objects.get(staff_id="GV001")  # of 10A1
    own = [
        STUDENTS[0],
        [1, "HS0000000001", "Nguyễn Văn Ân", "15/03/2010", "Nam", "10A1"],  # a corrected name
        [2, "HS0000000002", "Phạm Thị Hoa", date(2010, 7, 2), "Nữ", "10A1"],
        [3, "HS0000000004", "Vũ Thu Trang", "01/09/2010", "Nữ", "10A1"],  # new
    ]
    plan, record = run(homeroom, school, workbook(("Lớp", CLASSES[:2]), ("Học sinh", own)))
    assert plan.counts()["students"] == {"created": 1, "updated": 1, "moved": 0, "placed": 1, "unchanged": 1}
    assert plan.counts()["classes"] == {"created": 0, "updated": 0}
    assert record.by == homeroom
    a1 = SchoolClass.objects.get(name="10A1")
    trang = User.objects.get(learner_id="HS0000000004")
    assert trang.organisation == school and trang.must_change_password and trang.role == Role.STUDENT
    assert ClassMembership.objects.get(student=trang, left_at__isnull=True).school_class == a1
    assert User.objects.get(learner_id="HS0000000001").last_name == "Nguyễn Văn"
    assert run(homeroom, school, workbook(("Học sinh", own)))[0].counts()["students"]["unchanged"] == 3

    before = (User.objects.count(), ClassMembership.objects.count(), SchoolClass.objects.count())
    beyond = workbook(
        ("Lớp", [["Lớp", "Khối"], ["10A9", 10], ["10A1", 11]]),
        ("Giáo viên", TEACHERS[:2]),
        (
            "Học sinh",
            [
                STUDENTS[0],
                [1, "HS0000000003", "Đỗ Minh Khoa", "2010-01-31", "", "10A1"],  # in 10A2: a move
                [2, "HS0000000005", "Lê Hà", "01/01/2010", "Nữ", "10A2"],  # another's class
            ],
        ),
    )
    with pytest.raises(RosterRefused) as refused:
        run(homeroom, school, beyond)
    assert [(p.sheet, p.row, p.message) for p in refused.value.plan.problems] == [
        ("Giáo viên", 2, "Only the school's administrator imports teachers."),
        (
            "Học sinh",
            2,
            "Learner HS0000000003 is in another class this year: only the school's administrator moves students.",
        ),
        ("Học sinh", 3, "You are not the homeroom teacher of class 10A2."),
        ("Lớp", 2, "Only the school's administrator adds or changes classes; you import your class's students."),
        ("Lớp", 3, "Only the school's administrator adds or changes classes; you import your class's students."),
    ]
    assert (User.objects.count(), ClassMembership.objects.count(), SchoolClass.objects.count()) == before

    # A teacher who is no class's homeroom teacher this year, and another school, are refused.
    with pytest.raises(PermissionDenied):
        run(make_user(Role.TEACHER, school), school, workbook(("Học sinh", own)))
    with pytest.raises(PermissionDenied):
        run(homeroom, school, workbook(("Học sinh", own)), year="2027-2028")
    with pytest.raises(Organisation.DoesNotExist):
        run(homeroom, make_school(), workbook(("Học sinh", own)))


# --- citizen ID numbers (Số CCCD) ------------------------------------------------------------------

CITIZEN_STUDENTS = [
    ["STT", "Mã định danh", "Họ và tên", "Ngày sinh", "Giới tính", "Lớp", "Số CCCD"],
    [1, "HS0000000001", "Nguyễn Văn An", "15/03/2010", "Nam", "10A1", "001210012345"],
    [2, "HS0000000002", "Phạm Thị Hoa", date(2010, 7, 2), "Nữ", "10A1", "079 310 004 567"],  # grouped
    [3, "HS0000000003", "Đỗ Minh Khoa", "2010-01-31", "", "10A2", 301210000789],  # a number cell
]


def citizen_ids() -> dict[str, str]:
    return dict(User.objects.filter(role=Role.STUDENT).values_list("learner_id", "citizen_id"))


def test_citizen_ids_are_stored_and_reimporting_them_changes_nothing(school, admin_of):
    plan, _ = run(admin_of, school, full_roster(CITIZEN_STUDENTS))
    assert plan.counts()["students"]["created"] == 3
    assert citizen_ids() == {
        "HS0000000001": "001210012345",
        "HS0000000002": "079310004567",
        "HS0000000003": "301210000789",
    }
    plan, _ = run(admin_of, school, full_roster(CITIZEN_STUDENTS))
    assert plan.counts()["students"] == {"created": 0, "updated": 0, "moved": 0, "placed": 0, "unchanged": 3}

    # A corrected number updates the learner, as a corrected date of birth does; an emptied
    # cell removes it; a file without the column leaves every number as it is.
    students = [row[:] for row in CITIZEN_STUDENTS]
    students[1][6] = "001210054321"
    students[2][6] = ""
    plan, _ = run(admin_of, school, full_roster(students))
    assert plan.counts()["students"]["updated"] == 2 and plan.counts()["students"]["unchanged"] == 1
    assert citizen_ids() == {"HS0000000001": "001210054321", "HS0000000002": "", "HS0000000003": "301210000789"}
    plan, _ = run(admin_of, school, full_roster(STUDENTS))
    assert plan.counts()["students"]["unchanged"] == 3
    assert citizen_ids()["HS0000000001"] == "001210054321"


@pytest.mark.parametrize(
    "label", ["Số CCCD", "so cccd", "CCCD", "Căn cước", "Số căn cước công dân", "Số định danh cá nhân", "Citizen ID"]
)
def test_the_citizen_id_column_is_known_by_its_usual_names(school, admin_of, label):
    run(admin_of, school, workbook(("Lớp", CLASSES)))
    rows = [["Mã định danh", "Họ và tên", "Lớp", label], ["HS0000000009", "Vũ Thị Lan", "10A1", "001310000001"]]
    run(admin_of, school, workbook(("Học sinh", rows)))
    assert User.objects.get(learner_id="HS0000000009").citizen_id == "001310000001"


def test_a_malformed_citizen_id_is_a_problem_of_its_cell(school, admin_of):
    students = [
        CITIZEN_STUDENTS[0],
        [1, "HS0000000001", "Nguyễn Văn An", "", "", "10A1", 1210012345],  # a number cell lost its zeros
        [2, "HS0000000002", "Phạm Thị Hoa", "", "", "10A1", "0012100123456"],  # 13 digits
        [3, "HS0000000003", "Đỗ Minh Khoa", "", "", "10A2", "00121001234A"],
        [4, "HS0000000004", "Lý Thu", "", "", "10A2", "٠٠١٢١٠٠١٢٣٤٥"],  # Arabic-Indic digits are not digits here
    ]
    found = problems_of(admin_of, school, full_roster(students))
    hint = "(12 digits; format the cell as text so that leading zeros stay)."
    assert found == [
        ("Học sinh", 2, "G", f"Not a citizen ID number: 1210012345 {hint}"),
        ("Học sinh", 3, "G", f"Not a citizen ID number: 0012100123456 {hint}"),
        ("Học sinh", 4, "G", f"Not a citizen ID number: 00121001234A {hint}"),
        ("Học sinh", 5, "G", f"Not a citizen ID number: ٠٠١٢١٠٠١٢٣٤٥ {hint}"),
    ]
    assert not User.objects.filter(role=Role.STUDENT).exists()


def test_a_citizen_id_given_to_two_learners_is_a_problem(school, admin_of):
    students = [row[:] for row in CITIZEN_STUDENTS]
    students[3][6] = "001210012345"  # the first learner's
    found = problems_of(admin_of, school, full_roster(students))
    assert found == [
        ("Học sinh", 4, None, "Citizen ID number 001210012345 is also in row 2, for another learner."),
    ]
    assert not User.objects.filter(role=Role.STUDENT).exists()

    # One recorded for another learner: of this school, or of a school outside the importer's.
    run(admin_of, school, full_roster(CITIZEN_STUDENTS))
    make_user(Role.STUDENT, make_school(), learner_id="HS0000000099", citizen_id="999999999999")
    newcomer = [CITIZEN_STUDENTS[0], [4, "HS0000000004", "Lý Thu", "", "", "10A2", "079310004567"]]
    assert problems_of(admin_of, school, full_roster(newcomer)) == [
        ("Học sinh", 2, None, "Citizen ID number 079310004567 is already recorded for another learner."),
    ]
    newcomer[1][6] = "999999999999"
    assert problems_of(admin_of, school, full_roster(newcomer)) == [
        ("Học sinh", 2, None, "Citizen ID number 999999999999 is already recorded for another learner."),
    ]
    assert not User.objects.filter(learner_id="HS0000000004").exists()

    # Two learners whose numbers were swapped by mistake are corrected in one file.
    swapped = [row[:] for row in CITIZEN_STUDENTS]
    swapped[1][6], swapped[2][6] = swapped[2][6], swapped[1][6]
    plan, _ = run(admin_of, school, full_roster(swapped))
    assert plan.counts()["students"]["updated"] == 2
    assert citizen_ids()["HS0000000001"] == "079310004567"
    assert citizen_ids()["HS0000000002"] == "001210012345"


def test_the_template_has_the_citizen_id_column():
    book = load_workbook(io.BytesIO(roster.template_xlsx()))
    header = [cell.value for cell in book["Học sinh"][1]]
    example = [cell.value for cell in book["Học sinh"][2]]
    assert "Số CCCD" in header
    assert example[header.index("Số CCCD")] == "001210012345"
    [student] = roster.read_roster(roster.template_xlsx(), "mau.xlsx").students
    assert student.citizen_id == "001210012345"
