"""The item bank's authoring pages: who may open them, and what the page hands its script."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import Role
from tests.factories import PASSWORD, make_school, make_user

pytestmark = pytest.mark.django_db

PAGES = [
    "/bank/",
    "/bank/items/new/",
    "/bank/items/1/",
    "/bank/review/",
    "/bank/blueprints/",
    "/bank/blueprints/new/",
    "/bank/blueprints/1/",
    "/bank/import/",
]


def logged_in(role: str) -> Client:
    school = make_school()
    user = make_user(role, school.parent if role == Role.BOARD else school)
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("role", [Role.STUDENT, Role.PROCTOR])
@pytest.mark.parametrize("url", PAGES)
def test_students_and_proctors_are_refused(role, url):
    assert logged_in(role).get(url).status_code == 403


@pytest.mark.parametrize("role", [Role.TEACHER, Role.BOARD])
@pytest.mark.parametrize("url", PAGES)
def test_teachers_and_board_open_every_page(role, url):
    response = logged_in(role).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="bank-config"' in html and 'id="bank-text"' in html
    assert "csrfmiddlewaretoken" in html  # the scripts send it in X-CSRFToken


def test_editor_page_names_its_item_and_the_scripts_get_their_words():
    response = logged_in(Role.TEACHER).get("/bank/items/7/")
    config = response.context["bank_config"]
    assert config["itemId"] == 7 and config["user"]["role"] == Role.TEACHER and config["user"]["board"] is False
    text = response.context["bank_text"]
    assert text["save"] and text["keyTrue"]
    assert json.loads(json.dumps(text)) == text


def test_home_sends_teachers_to_the_bank_and_the_nav_links_it():
    client = logged_in(Role.TEACHER)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/bank/"
    assert 'data-testid="nav-bank"' in client.get("/bank/").content.decode()


def test_students_see_no_bank_link():
    school = make_school()
    student = make_user(Role.STUDENT, school)
    client = Client()
    client.login(username=student.username, password=PASSWORD)
    assert 'data-testid="nav-bank"' not in client.get("/exam/").content.decode()
