"""Transcripts (records.transcripts): closed semesters only, a PDF signed by the school with a
key kept encrypted, every issuance logged, a copy anyone can check; who may read and issue."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from pypdf import PdfReader

from printing import signing
from records import services, transcripts
from records.models import SchoolKey, TranscriptIssue
from tests.factories import logged_in_client
from tests.records.test_records import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> School:
    with translation.override("en"):
        school = School()
        an = school.students[0]
        for student in school.students:
            school.complete(student, 1, ("8.5", "8", "8,5", "8.5", "8.0"))  # 8.25: 8.3
        services.comment_set(
            by=school.maths_teacher,
            class_id=school.school_class.pk,
            student_id=an.pk,
            term=1,
            subject_id=school.maths.pk,
            text="Tư duy tốt.",
        )
        services.comment_set(
            by=school.homeroom, class_id=school.school_class.pk, student_id=an.pk, term=1, text="Chăm ngoan."
        )
    return school


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_only_closed_semesters_reach_a_transcript(world):
    an = world.students[0]
    with pytest.raises(ValidationError, match="No closed semester"):
        transcripts.transcript_issue(by=world.admin, student_id=an.pk)
    assert transcripts.years_of(an) == []
    services.semester_close(by=world.homeroom, class_id=world.school_class.pk, term=1)
    (year,) = transcripts.years_of(an)
    maths = next(s for s in year["subjects"] if s["name"] == "Toán")
    assert (maths["first"], maths["second"], maths["year"], maths["comment"]) == ("8,3", "", "", "Tư duy tốt.")
    assert year["homeroom_comment"] == "Chăm ngoan." and year["closed"] == ["1"] and year["level_year"] == ""


def test_the_school_issues_a_signed_copy_logged_and_checkable(world):
    an = world.students[0]
    services.semester_close(by=world.homeroom, class_id=world.school_class.pk, term=1)
    issue = transcripts.transcript_issue(by=world.admin, student_id=an.pk)
    assert issue.serial.startswith("HB-") and issue.serial.endswith(f"{issue.pk:06d}")
    pdf = bytes(issue.pdf)
    assert hashlib.sha256(pdf).hexdigest() == issue.sha256 and issue.years == ["2026-2027"]
    key = SchoolKey.objects.get(school=world.school)
    assert "ENCRYPTED" in key.key_pem  # the private key is never stored in the clear
    check = signing.verify_pdf(pdf, key.cert_pem.encode())
    assert check.valid and check.covers_whole_document
    text = _text(pdf)
    assert "HỌC BẠ" in text and "Nguyễn" in text and "8,3" in text and issue.serial in text
    # A second copy: the same key, another serial; both logged.
    again = transcripts.transcript_issue(by=world.admin, student_id=an.pk)
    assert again.key_id == issue.key_id and again.serial != issue.serial
    assert TranscriptIssue.objects.filter(student=an).count() == 2

    # Anyone checks a copy; one changed byte and it is no longer ours.
    anonymous = Client()
    answer = anonymous.post(
        "/api/records/transcripts/verify/", {"file": SimpleUploadedFile("hb.pdf", pdf, "application/pdf")}
    ).json()
    assert answer["valid"] and answer["serial"] == issue.serial and answer["fingerprint"] == key.fingerprint
    changed = pdf.replace(b"8,3", b"9,3", 1) if b"8,3" in pdf else pdf[:-10] + b"0" * 10
    answer = anonymous.post(
        "/api/records/transcripts/verify/", {"file": SimpleUploadedFile("hb.pdf", changed, "application/pdf")}
    ).json()
    assert not answer["valid"] and answer["problem"]
    junk = anonymous.post(
        "/api/records/transcripts/verify/", {"file": SimpleUploadedFile("x.pdf", b"not a pdf", "application/pdf")}
    )
    assert junk.status_code == 200 and not junk.json()["valid"]
    assert anonymous.post("/api/records/transcripts/verify/", {}).status_code == 400


def test_who_reads_and_who_issues(world):
    an, binh = world.students[:2]
    services.semester_close(by=world.homeroom, class_id=world.school_class.pk, term=1)
    # The homeroom teacher reads but does not issue; a subject teacher reads nothing.
    homeroom = logged_in_client(world.homeroom)
    page = homeroom.get(f"/api/records/students/{an.pk}/transcript/")
    assert page.status_code == 200 and page.json()["years"][0]["subjects"] and not page.json()["may_issue"]
    assert homeroom.post(f"/api/records/students/{an.pk}/transcript/issue/").status_code == 403
    with pytest.raises(PermissionDenied):
        transcripts.transcript_issue(by=world.homeroom, student_id=an.pk)
    assert logged_in_client(world.maths_teacher).get(f"/api/records/students/{an.pk}/transcript/").status_code == 404
    assert logged_in_client(world.stranger).get(f"/records/students/{an.pk}/transcript/").status_code == 404
    # The school's administrator issues; the student downloads their own copy, not another's.
    admin = logged_in_client(world.admin)
    issued = admin.post(f"/api/records/students/{an.pk}/transcript/issue/")
    assert issued.status_code == 201, issued.json()
    download = issued.json()["download"]
    student = logged_in_client(an)
    got = student.get(download)
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    assert hashlib.sha256(got.content).hexdigest() == issued.json()["sha256"]
    assert logged_in_client(binh).get(download).status_code == 404
    assert logged_in_client(binh).get(f"/api/records/students/{an.pk}/transcript/").status_code == 404
    mine = student.get(f"/records/students/{an.pk}/transcript/")
    assert mine.status_code == 200 and issued.json()["serial"] in mine.content.decode()
    assert 'data-testid="transcript-issue"' not in mine.content.decode()
    assert 'data-testid="transcript-issue"' in admin.get(f"/records/students/{an.pk}/transcript/").content.decode()
    assert Client().get("/transcripts/verify/").status_code == 200
