"""IRT parameters of a version, with their provenance, recorded after use by the exam board."""

from __future__ import annotations

import pytest

from accounts.models import Role
from itembank.models import Subject
from tests.factories import make_school, make_user, make_versions

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(db):
    school = make_school()
    teacher = make_user(Role.TEACHER, school)
    board = make_user(Role.BOARD, school.parent)
    subject = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})[0]
    return make_versions(teacher, subject, 1, irt=False, reviewer=board)[0], teacher, board


def test_the_board_records_a_calibration_on_a_published_version(client, published):
    version, _teacher, board = published
    client.force_login(board)
    body = {"irt_a": 1.3, "irt_b": -0.4, "irt_c": 0.18, "calibration": "Kỳ thi thử 2026, 3PL, 12.400 thí sinh"}
    answer = client.post(f"/api/item-versions/{version.pk}/calibration/", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["irt_a"], data["irt_b"], data["irt_c"]) == (1.3, -0.4, 0.18)
    assert data["irt_calibration"].startswith("Kỳ thi thử") and data["irt_calibrated_at"]
    assert data["status"] == "published" and data["content"] == version.content  # content untouched


def test_only_the_board_records_calibrations_and_values_are_checked(client, published):
    version, teacher, board = published
    client.force_login(teacher)
    body = {"irt_a": 1.0, "irt_b": 0.0, "calibration": "x"}
    url = f"/api/item-versions/{version.pk}/calibration/"
    assert client.post(url, body, content_type="application/json").status_code == 403
    client.force_login(board)
    for bad in (
        {"irt_a": 0, "irt_b": 0, "calibration": "x"},
        {"irt_a": 1, "irt_b": 0, "irt_c": 1, "calibration": "x"},
        {"irt_a": 1, "irt_b": 0},
    ):
        answer = client.post(url, bad, content_type="application/json")
        assert answer.status_code == 400, bad
    outsider = make_user(Role.BOARD, make_school().parent)
    client.force_login(outsider)
    assert client.post(url, body, content_type="application/json").status_code == 404
