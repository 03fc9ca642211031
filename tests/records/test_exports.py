"""Reports and exports of the records: a class's record as XLSX and CSV, the statistics of a
school and a department, the ZIP for the education database; who may make them."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.utils import translation
from openpyxl import load_workbook

from accounts.models import Role
from records import exports
from tests.factories import logged_in_client, make_department, make_user, post_job
from tests.records.test_records import YEAR, School

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> School:
    with translation.override("en"):
        school = School()
        an, binh, chi = school.students
        school.complete(an, 1, ("9", "9", "9", "8.5", "9"))
        school.complete(binh, 1, ("8.5", "8", "8.5", "8.5", "8"))  # 8.25: 8.3
        school.complete(chi, 1, ("3", "4", "3", "4", "4"), pe="Chưa đạt")
    return school


def test_a_class_record_as_a_workbook_and_as_csv(world):
    homeroom = logged_in_client(world.homeroom)
    base = f"/api/records/classes/{world.school_class.pk}/export/"
    sheet = load_workbook(io.BytesIO(homeroom.get(f"{base}?output=xlsx&period=1").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2:4] == ("Thể dục", "Toán")
    binh = next(row for row in rows if row[1] and "Bình" in row[1])
    assert binh[3] == 8.3 and binh[2] == "Đạt"
    text = homeroom.get(f"{base}?output=csv&period=1").content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert len(table) == 4 and any(row[3] == "8.3" for row in table[1:])
    assert homeroom.get(f"{base}?output=pdf").status_code == 400
    assert logged_in_client(world.maths_teacher).get(base).status_code == 403
    assert logged_in_client(world.stranger).get(base).status_code == 404


def test_statistics_of_the_school_and_of_its_department(world):
    admin = logged_in_client(world.admin)
    code, job = post_job(
        admin,
        "/api/records/statistics/",
        {"organisation": world.school.pk, "school_year": YEAR},
        content_type="application/json",
    )
    assert code == 202 and job["status"] == "succeeded", job
    total = job["result"]["statistics"]["total"]
    assert total["classes"] == 1 and total["students"] == 3 and total["by_grade"] == {"10": 3}
    levels = total["periods"]["1"]["levels"]
    assert sum(levels.values()) == 3 and levels["Chưa đạt"] >= 1 and levels["incomplete"] == 0
    maths = next(s for s in total["periods"]["1"]["subjects"] if s["name"] == "Toán")
    # An 71 / 8 = 8.875: 8.9; Bình 8.3; Chi (3 + 4 + 3 + 8 + 12) / 8 = 3.75: 3.8; (8.9 + 8.3 + 3.8) / 3 = 7.00
    assert maths["students"] == 3 and maths["mean"] == "7.00"
    pe = next(s for s in total["periods"]["1"]["comment_subjects"] if s["name"] == "Thể dục")
    assert (pe["passed"], pe["failed"]) == (2, 1)
    workbook = load_workbook(io.BytesIO(b"".join(admin.get(job["result"]["download"]).streaming_content)))
    assert len(workbook.sheetnames) == 4  # the start of the year, semester I, semester II, the year
    start = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert start[-1][1:3] == (1, 3)  # all schools: one class, three students
    # The board of the department: its schools; the teacher: no.
    board = make_user(Role.BOARD, world.department)
    code, job = post_job(
        logged_in_client(board),
        "/api/records/statistics/",
        {"organisation": world.department.pk, "school_year": YEAR},
        content_type="application/json",
    )
    assert job["status"] == "succeeded" and job["result"]["statistics"]["total"]["students"] == 3
    assert len(job["result"]["statistics"]["schools"]) == 2  # the stranger's school too, empty
    teacher = logged_in_client(world.maths_teacher)
    refused = teacher.post(
        "/api/records/statistics/",
        {"organisation": world.school.pk, "school_year": YEAR},
        content_type="application/json",
    )
    assert refused.status_code == 403
    other = logged_in_client(make_user(Role.BOARD, make_department()))
    assert (
        other.post(
            "/api/records/statistics/",
            {"organisation": world.school.pk, "school_year": YEAR},
            content_type="application/json",
        ).status_code
        == 404
    )
    bad = admin.post(
        "/api/records/statistics/",
        {"organisation": world.school.pk, "school_year": "2026"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "school_year" in bad.json()["error"]["fields"]


def test_the_export_for_the_education_database(world):
    admin = logged_in_client(world.admin)
    code, job = post_job(
        admin,
        "/api/records/education-export/",
        {"organisation": world.school.pk, "school_year": YEAR},
        content_type="application/json",
    )
    assert code == 202 and job["status"] == "succeeded", job
    archive = zipfile.ZipFile(io.BytesIO(b"".join(admin.get(job["result"]["download"]).streaming_content)))
    assert set(archive.namelist()) == set(exports.SCHEMA["files"]) | {"schema.json"}
    schema = json.loads(archive.read("schema.json"))
    assert schema["version"] == "assess-records/1" and schema["school_year"] == YEAR
    for name, columns in exports.SCHEMA["files"].items():
        rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
        assert rows[0] == columns, name
    students = list(csv.DictReader(io.StringIO(archive.read("students.csv").decode("utf-8-sig"))))
    assert len(students) == 3 and {s["class_name"] for s in students} == {"10A1"}
    results = list(csv.DictReader(io.StringIO(archive.read("subject_results.csv").decode("utf-8-sig"))))
    binh = world.students[1].learner_id
    assert {"learner_id": binh, "subject_code": "toan-rec", "period": "1", "average": "8.3"}.items() <= next(
        r for r in results if r["learner_id"] == binh and r["subject_code"] == "toan-rec"
    ).items()
    levels = list(csv.DictReader(io.StringIO(archive.read("levels.csv").decode("utf-8-sig"))))
    assert {r["period"] for r in levels} == {"1"} and len(levels) == 3
