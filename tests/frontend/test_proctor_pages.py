"""The exam-day console pages: who may open each (the room's proctors and the board; another
room's proctor does not learn the room exists; teachers and students not at all), and what the
pages hand their scripts (``#console-config``, ``#console-text``). Read by data attributes and
test ids, so the tests hold in either language; the live behaviour is in
tests/browser/test_console_browser.py.
"""

from __future__ import annotations

import json

import pytest
from django.urls import resolve
from lxml import html as lxml_html

from accounts.models import Role
from assess.models import Sitting
from frontend import proctor_views
from frontend.action_text import action_text
from frontend.console_text import console_text
from frontend.incident_text import incident_text
from tests.factories import logged_in_client, make_sitting, make_user
from tests.proctoring.test_check_in import placed

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    """A sitting placed in one room with two proctors, and a second sitting elsewhere with its own."""
    room, attempts, proctors = placed()
    other_room, _other_attempts, other_proctors = placed()
    return room, attempts, proctors, other_room, other_proctors


def _page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    tree = lxml_html.fromstring(response.content.decode())
    config = json.loads(tree.get_element_by_id("console-config").text)
    text = json.loads(tree.get_element_by_id("console-text").text)
    return tree, config, text


def _room_url(room) -> str:
    return f"/proctor/rooms/{room.pk}/"


def _console_url(sitting_id: int) -> str:
    return f"/board/sittings/{sitting_id}/console/"


def test_the_rooms_proctor_opens_its_console_with_what_the_script_needs(day):
    room, attempts, [proctor, _], *_ = day
    tree, config, text = _page(logged_in_client(proctor), _room_url(room))
    (section,) = tree.xpath('//*[@id="console"]')
    assert section.get("data-kind") == "room"
    assert section.get("data-room") == str(room.pk)
    assert section.get("data-sitting") == str(room.sitting_id)
    assert tree.xpath('//*[@data-testid="room-name"]')[0].text_content() == room.room.name
    assert room.sitting.title in tree.xpath("//h1")[0].text_content()
    # The access code, the seat map and the states come from the API and the websocket.
    assert tree.xpath('//*[@data-testid="access-code"]')[0].text_content() == "…"
    assert tree.xpath('//*[@id="seat-map"]')[0].getchildren() == []
    for testid in ("open-together", "open-each", "check-in-dialog", "move-dialog", "open-dialog", "console-status"):
        assert len(tree.xpath(f'//*[@data-testid="{testid}"]')) == 1, testid
    # The check-in panel has a place for every identifier the proctor compares.
    for testid in ("check-in-photo", "check-in-name", "check-in-seat", "check-in-learner", "check-in-citizen"):
        assert len(tree.xpath(f'//dialog[@id="check-in-dialog"]//*[@data-testid="{testid}"]')) == 1, testid
    assert config["kind"] == "room"
    assert config["roomId"] == room.pk and config["sittingId"] == room.sitting_id
    assert config["wsPath"] == f"/ws/consoles/rooms/{room.pk}/"
    assert config["roomUrl"] == f"/api/sitting-rooms/{room.pk}/"
    assert config["openUrl"] == f"/api/sitting-rooms/{room.pk}/open/"
    assert config["checkInUrl"] == "/api/attempts/{attempt}/check-in/"
    assert config["seatUrl"] == "/api/attempts/{attempt}/seat/"
    assert config["photoUrl"] == "/api/people/{student}/photo/"
    assert config["roomPageUrl"] == "/proctor/rooms/{room}/"
    assert (config["seenMs"], config["pingMs"], config["deadAfterMs"], config["staleAfterMs"]) == (
        proctor_views.SEEN_MS,
        proctor_views.PING_MS,
        proctor_views.DEAD_AFTER_MS,
        proctor_views.STALE_AFTER_MS,
    )
    assert config["staleAfterMs"] > 10_000  # more than one of the student page's heartbeats
    assert set(text) == set(console_text()) | set(incident_text()) | set(action_text())
    assert tree.xpath('//script[contains(@src, "console.js")]')


def test_the_api_paths_in_the_config_are_the_apis(day):
    """The placeholders filled in are paths the proctor may call: a path of the config that
    drifted from the URLconf fails here, not on exam day."""
    room, [attempt, *_], [proctor, _], *_ = day
    _tree, config, _text = _page(logged_in_client(proctor), _room_url(room))
    client = logged_in_client(proctor)
    assert client.get(config["roomUrl"]).status_code == 200
    assert client.post(config["checkInUrl"].replace("{attempt}", str(attempt.pk))).status_code == 200
    photo = client.get(config["photoUrl"].replace("{student}", str(attempt.student_id)))
    assert photo.status_code == 404  # no photo on file, but the address is the photo's
    assert client.get(config["roomPageUrl"].replace("{room}", str(room.pk))).status_code == 200


def test_the_actions_paths_in_the_config_are_the_apis(day):
    """Every path actions.js posts to (the room's, a candidate's, the requests to reopen) is the
    API's: a refusal that names what is wrong (400), never a path that does not exist (404)."""
    room, [attempt, *_], [proctor, _], *_ = day
    client = logged_in_client(proctor)
    _tree, config, _text = _page(client, _room_url(room))
    assert config["groupPauseUrl"] == f"/api/sitting-rooms/{room.pk}/pause/"
    assert config["reopenRequestsUrl"] == f"/api/sittings/{room.sitting_id}/reopen-requests/"
    assert client.get(config["reopenRequestsUrl"]).json() == {"results": [], "pending": 0}
    for key in ("groupPauseUrl", "groupResumeUrl", "groupMessageUrl"):
        assert client.post(config[key], {}, content_type="application/json").status_code == 400, key
    for key in ("Pause", "Resume", "Extend", "Void", "Message", "Reopen"):
        url = config[f"attempt{key}Url"].replace("{attempt}", str(attempt.pk))
        assert client.post(url, {}, content_type="application/json").status_code == 400, key
    board = logged_in_client(room.sitting.created_by)
    _tree, config, text = _page(board, _console_url(room.sitting_id))
    assert set(action_text()) <= set(text)
    assert config["groupPauseUrl"] == f"/api/sittings/{room.sitting_id}/pause/"
    assert config["groupMessageUrl"] == f"/api/sittings/{room.sitting_id}/message/"
    for key, name in (("reopenApproveUrl", "api-reopen-approve"), ("reopenRefuseUrl", "api-reopen-refuse")):
        assert resolve(config[key].replace("{request}", "7")).url_name == name


def test_another_rooms_proctor_gets_404(day):
    room, _attempts, _proctors, other_room, [other_proctor, _] = day
    client = logged_in_client(other_proctor)
    assert client.get(_room_url(room)).status_code == 404
    assert client.get(_room_url(other_room)).status_code == 200
    assert client.get("/proctor/rooms/999999999/").status_code == 404


@pytest.mark.parametrize("role", [Role.TEACHER, Role.STUDENT, Role.SCHOOL_ADMIN])
def test_teachers_students_and_school_administrators_get_403(day, role):
    room, _attempts, _proctors, *_ = day
    user = make_user(role, room.sitting.organisation)
    client = logged_in_client(user)
    assert client.get("/proctor/").status_code == 403
    assert client.get(_room_url(room)).status_code == 403
    assert client.get(_console_url(room.sitting_id)).status_code == 403


def test_a_student_of_the_room_gets_403(day):
    room, [attempt, *_], *_ = day
    client = logged_in_client(attempt.student)
    assert client.get(_room_url(room)).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(day):
    room, *_ = day
    from django.test import Client

    for url in ("/proctor/", _room_url(room), _console_url(room.sitting_id)):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_the_board_opens_every_room_and_the_sittings_console(day):
    room, _attempts, _proctors, other_room, _ = day
    board = room.sitting.created_by
    client = logged_in_client(board)
    tree, config, _text = _page(client, _room_url(room))
    assert tree.xpath('//*[@id="console"]')[0].get("data-kind") == "room"
    tree, config, _text = _page(client, _console_url(room.sitting_id))
    (section,) = tree.xpath('//*[@id="console"]')
    assert section.get("data-kind") == "sitting" and section.get("data-sitting") == str(room.sitting_id)
    assert config["kind"] == "sitting" and config["roomId"] is None
    assert config["wsPath"] == f"/ws/consoles/sittings/{room.sitting_id}/"
    assert config["roomsUrl"] == f"/api/sittings/{room.sitting_id}/rooms/"
    assert client.get(config["roomsUrl"]).status_code == 200
    for testid in ("rooms-summary", "state-filter", "candidates", "console-status", "shown-count"):
        assert len(tree.xpath(f'//*[@data-testid="{testid}"]')) == 1, testid
    headings = tree.xpath('//table[@data-testid="candidates"]/thead//th')
    assert len(headings) == 8  # room, seat, name, state, answered, time left, last heard, IP
    # Another department's sitting and rooms: not found.
    assert client.get(_room_url(other_room)).status_code == 404
    assert client.get(_console_url(other_room.sitting_id)).status_code == 404


def test_a_proctor_may_not_open_the_sittings_console(day):
    room, _attempts, [proctor, _], *_ = day
    assert logged_in_client(proctor).get(_console_url(room.sitting_id)).status_code == 403


def test_an_assignment_has_no_console(db):
    sitting = make_sitting()
    Sitting.objects.filter(pk=sitting.pk).update(kind=Sitting.Kind.ASSIGNMENT)
    board = sitting.created_by
    client = logged_in_client(board)
    assert client.get(_console_url(sitting.pk)).status_code == 404
    page = client.get(f"/board/sittings/{sitting.pk}/")
    assert page.status_code == 200
    assert lxml_html.fromstring(page.content.decode()).xpath('//a[@data-testid="board-console-link"]') == []


def test_the_rooms_list_and_the_navigation_link(day):
    room, _attempts, [proctor, _], *_ = day
    client = logged_in_client(proctor)
    tree, config, text = _page(client, "/proctor/")
    assert config["listUrl"] == "/api/sitting-rooms/"
    assert config["roomPageUrl"] == "/proctor/rooms/{room}/"
    assert "openConsole" in text and "noRooms" in text
    assert tree.xpath('//table[@data-testid="rooms"]/thead//th')
    assert tree.xpath('//script[contains(@src, "proctor_rooms.js")]')
    (link,) = tree.xpath('//a[@data-testid="nav-proctor"]')
    assert link.get("href") == "/proctor/"
    listed = client.get(config["listUrl"]).json()["results"]
    assert [r["id"] for r in listed] == [room.pk]
    # Roles without rooms to watch have no link.
    teacher = make_user(Role.TEACHER, room.sitting.organisation)
    page = lxml_html.fromstring(logged_in_client(teacher).get("/bank/").content.decode())
    assert page.xpath('//a[@data-testid="nav-proctor"]') == []


def test_the_boards_sitting_page_links_to_its_console(day):
    room, *_ = day
    board = room.sitting.created_by
    response = logged_in_client(board).get(f"/board/sittings/{room.sitting_id}/")
    assert response.status_code == 200
    tree = lxml_html.fromstring(response.content.decode())
    (link,) = tree.xpath('//a[@data-testid="board-console-link"]')
    assert link.get("href") == _console_url(room.sitting_id)
