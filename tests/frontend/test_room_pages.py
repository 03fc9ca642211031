"""The computer rooms page (/rooms/) and the rooms section of the board's sitting page.

Who may open the page, which schools a keeper may add a room to, the navigation link, and the
section the board's sitting page gives an exam sitting (not an assignment). The pages are read
by their ids and data attributes, so the tests hold in either language.
"""

from __future__ import annotations

import json

import pytest
from lxml import html as lxml_html

from accounts.models import Role
from assess.models import Sitting
from tests.factories import logged_in_client, make_department, make_school, make_sitting, make_user

pytestmark = pytest.mark.django_db


def _page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    text = response.content.decode()
    assert "{#" not in text and "{%" not in text  # no template comment or tag shown as text
    return lxml_html.fromstring(text)


@pytest.mark.parametrize(
    ("role", "at_department", "status"),
    [
        (Role.SCHOOL_ADMIN, False, 200),
        (Role.BOARD, True, 200),
        (Role.ADMIN, False, 200),
        (Role.TEACHER, False, 403),
        (Role.PROCTOR, False, 403),
        (Role.STUDENT, False, 403),
    ],
)
def test_the_rooms_page_is_for_school_administrators_and_the_board(role, at_department, status):
    school = make_school()
    user = make_user(role, school.parent if at_department else school)
    client = logged_in_client(user)
    assert client.get("/rooms/").status_code == status
    # The navigation offers the page exactly to those who may open it.
    home = client.get("/password/")
    links = lxml_html.fromstring(home.content.decode()).xpath('//a[@data-testid="nav-rooms"]')
    assert [link.get("href") for link in links] == (["/rooms/"] if status == 200 else [])


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get("/rooms/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/rooms/")


def test_a_school_administrator_adds_rooms_to_their_school_without_choosing_it():
    school = make_school()
    tree = _page(logged_in_client(make_user(Role.SCHOOL_ADMIN, school)), "/rooms/")
    assert tree.xpath('//form[@id="room-form"]') and tree.xpath('//div[@id="seat-grid"]')
    assert tree.xpath('//select[@id="room-school"]') == []
    config = json.loads(tree.xpath('//script[@id="bank-config"]')[0].text)
    assert config["chooseSchool"] is False and config["maxRows"] == 40 and config["maxColumns"] == 40
    words = json.loads(tree.xpath('//script[@id="bank-text"]')[0].text)
    assert {"cellName", "stateSeat", "stateSpare", "stateMissing", "mapCounts"} <= words.keys()
    assert tree.xpath('//script[contains(@src, "frontend/rooms.js")]')


def test_a_board_member_chooses_among_the_schools_of_their_department_only():
    department = make_department()
    first, second = make_school(department), make_school(department)
    elsewhere = make_school()
    tree = _page(logged_in_client(make_user(Role.BOARD, department)), "/rooms/")
    offered = {int(value) for value in tree.xpath('//select[@id="room-school"]/option/@value')}
    assert offered == {first.pk, second.pk}
    assert elsewhere.pk not in offered and department.pk not in offered


def test_the_board_sitting_page_has_the_rooms_section_for_an_exam_sitting():
    sitting = make_sitting(n_students=3)
    assert sitting.kind == Sitting.Kind.EXAM
    tree = _page(logged_in_client(sitting.created_by), f"/board/sittings/{sitting.pk}/")
    (section,) = tree.xpath('//section[@data-testid="sitting-rooms"]')
    assert section.get("data-sitting") == str(sitting.pk)
    assert section.xpath('.//form[@id="rooms-plan"]') and section.xpath('.//*[@id="rooms-result"]')
    assert json.loads(tree.xpath('//script[@id="bank-config"]')[0].text) == {"sitting": sitting.pk}
    words = json.loads(tree.xpath('//script[@id="bank-text"]')[0].text)
    assert {"proctorsShort", "accessCode", "seatTaken", "place"} <= words.keys()
    assert tree.xpath('//script[contains(@src, "frontend/board_rooms.js")]')
    # The candidates' results are still there.
    assert tree.xpath('//table[@data-testid="results"]')


def test_an_assignment_has_no_rooms_section():
    sitting = make_sitting(n_students=1)
    # An assignment is never held in rooms (sitting_place refuses it): only the flag matters here.
    Sitting.objects.filter(pk=sitting.pk).update(kind=Sitting.Kind.ASSIGNMENT)
    tree = _page(logged_in_client(sitting.created_by), f"/board/sittings/{sitting.pk}/")
    assert tree.xpath('//section[@data-testid="sitting-rooms"]') == []
    assert tree.xpath('//script[contains(@src, "frontend/board_rooms.js")]') == []
