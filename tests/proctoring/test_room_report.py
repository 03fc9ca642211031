"""The room report (biên bản phòng thi, issue 10, point 8): the seat map with names, attendance,
incidents, the proctors' actions and the signature lines, in Vietnamese, for the room's proctors
and the board only."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from pypdf import PdfReader

from accounts.models import Role, User
from proctoring import incidents, report, services
from tests.factories import logged_in_client, make_department, make_user
from tests.proctoring.test_actions import running_room

pytestmark = pytest.mark.django_db


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_report_holds_the_room_its_people_its_incidents_and_its_actions_in_vietnamese():
    room, [first, second, third], [proctor, other] = running_room()
    User.objects.filter(pk=first.student_id).update(first_name="Hằng", last_name="Nguyễn Thị")
    User.objects.filter(pk=proctor.pk).update(first_name="Dũng", last_name="Trần Quốc")
    User.objects.filter(pk=room.sitting.created_by_id).update(first_name="Phượng", last_name="Lê Thị")
    proctor.refresh_from_db()
    first.student.refresh_from_db()
    services.pause(by=proctor, target=services.Target(sitting_room_id=room.pk), reason="Mất điện đột ngột")
    services.resume(by=proctor, target=services.Target(sitting_room_id=room.pk))
    services.void(by=proctor, attempt_id=third.pk, reason="Sử dụng điện thoại")
    power = incidents.incident_log(
        by=proctor, sitting_room_id=room.pk, kind="power", time_lost=8, description="Mất điện cả dãy nhà"
    )
    incidents.incident_confirm(by=proctor, incident_id=power.pk)
    incidents.incident_log(
        by=other, attempt_id=first.pk, kind="illness", time_lost=0, description="Đau bụng, xin ra ngoài"
    )
    with translation.override("en"):  # the labels in English; the people's words as they wrote them
        content = report.room_report_pdf(room.pk)
    assert content.startswith(b"%PDF")
    text = _text(content)
    for expected in (
        room.room.name,
        room.sitting.title,
        first.student.get_full_name(),
        first.student.learner_id,
        first.seat.label,
        "Mất điện cả dãy nhà",
        "Đau bụng, xin ra ngoài",
        "Mất điện đột ngột",
        "Sử dụng điện thoại",
        proctor.get_full_name(),
        room.sitting.created_by.get_full_name(),
        "Candidates: 3. Present: 2. Absent: 0. Voided: 1.",
        "Power cut",
        "Whole room",
        "Signatures",
        "For the exam board",
    ):
        assert expected in text, expected
    assert "Hằng" in text and "Phượng" in text and "Dũng" in text
    assert text.count("(signature, full name)") == 3  # two proctors and the board


def test_an_empty_day_prints_too():
    room, _attempts, _proctors = running_room(n_students=1)
    with translation.override("en"):
        text = _text(report.room_report_pdf(room.pk))
    assert "No incident." in text and "ROOM REPORT" in text


def test_a_room_wider_than_six_seats_prints_on_landscape_pages():
    room, _attempts, _proctors = running_room(n_students=1)
    from proctoring.models import Room

    Room.objects.filter(pk=room.room_id).update(columns=8)
    page = PdfReader(io.BytesIO(report.room_report_pdf(room.pk))).pages[0]
    assert page.mediabox.width > page.mediabox.height


def test_the_report_is_for_the_rooms_proctors_and_the_board():
    room, [attempt, *_], [proctor, _] = running_room(n_students=1)
    path = f"/api/sitting-rooms/{room.pk}/report.pdf"
    response = logged_in_client(proctor).get(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store" and response.content.startswith(b"%PDF")
    assert logged_in_client(room.sitting.created_by).get(path).status_code == 200
    assert logged_in_client(make_user(Role.PROCTOR, room.sitting.organisation)).get(path).status_code == 404
    assert logged_in_client(make_user(Role.BOARD, make_department("Sở khác"))).get(path).status_code == 404
    for user in (attempt.student, make_user(Role.TEACHER, room.sitting.organisation)):
        assert logged_in_client(user).get(path).status_code == 403
