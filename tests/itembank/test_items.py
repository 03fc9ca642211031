"""Item bank: versions are immutable once published; the REST API checks roles and owners."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from itembank import services
from itembank.models import ItemVersion, Subject
from itembank.rendering import render_rich_text
from tests.factories import make_school, make_user, make_versions

pytestmark = pytest.mark.django_db

CONTENT = {
    "stem": "Tính $\\int_0^1 x\\,dx$",
    "options": [{"id": "A", "text": "$\\frac12$"}, {"id": "B", "text": "1"}],
    "key": "A",
}
ITEM = {"subject": "toan", "level": "hieu", "content": CONTENT}


@pytest.fixture
def subject(db):
    return Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})[0]


def test_published_version_is_immutable(subject):
    teacher = make_user(Role.TEACHER, make_school())
    version = make_versions(teacher, subject, 1)[0]
    changed = {**version.content, "stem": "changed"}
    version.content = changed
    with pytest.raises(ValidationError):
        version.save()
    with pytest.raises(ValidationError):
        services.item_version_update(by=teacher, version_id=version.pk, content=changed)
    new = services.item_version_create(by=teacher, item_id=version.item_id, content=changed)
    assert new.number == 2 and new.status == ItemVersion.Status.DRAFT and new.stem == "changed"
    assert ItemVersion.objects.get(pk=version.pk).stem != "changed"


def test_api_creates_versions_and_publishes(client, subject):
    teacher = make_user(Role.TEACHER, make_school())
    client.force_login(teacher)
    created = client.post("/api/items/", ITEM, content_type="application/json")
    assert created.status_code == 201, created.content
    item = created.json()
    version_id = item["versions"][0]["id"]
    assert "<math" in item["versions"][0]["preview"]["stem_html"]
    assert "key" not in item["versions"][0]["preview"]
    patched = client.patch(
        f"/api/item-versions/{version_id}/", {"content": {**CONTENT, "key": "B"}}, content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["content"]["key"] == "B"
    assert patched.json()["key_summary"] == "B"
    assert client.post(f"/api/item-versions/{version_id}/submit/").json()["status"] == "submitted"
    services.item_version_approve(by=make_user(Role.TEACHER, teacher.organisation), version_id=version_id)
    published = client.post(f"/api/item-versions/{version_id}/publish/")
    assert published.json()["status"] == "published"
    refused = client.patch(f"/api/item-versions/{version_id}/", {"content": CONTENT}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid"
    second = client.post(
        f"/api/items/{item['id']}/versions/", {"content": {**CONTENT, "stem": "Mới"}}, content_type="application/json"
    )
    assert second.status_code == 201 and second.json()["number"] == 2
    diff = client.get(f"/api/item-versions/{second.json()['id']}/diff/").json()
    assert diff["base"] == version_id and [c["field"] for c in diff["changes"]] == ["stem", "key"]  # v1 had B


@pytest.mark.parametrize(
    "change, field",
    [
        ({"content": {**CONTENT, "key": "Z"}}, "key"),
        ({"content": {**CONTENT, "options": [{"id": "A", "text": "x"}]}}, "options"),
        ({"content": {**CONTENT, "options": [{"id": "A", "text": "x"}, {"id": "A", "text": "y"}]}}, "options"),
        ({"item_type": "hologram"}, "item_type"),
        ({"level": "expert"}, "level"),
        ({"subject": "nope"}, "subject"),
        ({"irt_a": -1}, "irt_a"),
    ],
)
def test_api_rejects_bad_items_clearly(client, subject, change, field):
    client.force_login(make_user(Role.TEACHER, make_school()))
    response = client.post("/api/items/", {**ITEM, **change}, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not ItemVersion.objects.exists()


def test_students_cannot_author_and_teachers_see_only_their_organisation(client, subject):
    school = make_school()
    client.force_login(make_user(Role.STUDENT, school))
    assert client.post("/api/items/", ITEM, content_type="application/json").status_code == 403
    assert client.get("/api/items/").status_code == 403
    owner = make_user(Role.TEACHER, school)
    version = make_versions(owner, subject, 1)[0]
    client.force_login(make_user(Role.TEACHER, make_school()))
    assert client.get("/api/items/").json()["results"] == []
    assert client.get(f"/api/items/{version.item_id}/").status_code == 404
    assert client.post(f"/api/item-versions/{version.pk}/publish/").status_code == 404


def test_rich_text_escapes_markup_and_renders_math():
    html = render_rich_text("<script>alert(1)</script> và $x^2$ giá \\$5")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<math" in html and "$5" in html


def test_authors_cannot_set_irt_parameters_only_the_boards_calibration_does(client, subject):
    """Security review: teachers set IRT parameters through POST /api/items/ although only the
    board calibrates. Every author door refuses them now; the board's calibration call records them."""
    school = make_school()
    teacher = make_user(Role.TEACHER, school)
    client.force_login(teacher)
    refused = client.post("/api/items/", {**ITEM, "irt_a": 1.2, "irt_b": 0.3}, content_type="application/json")
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"irt_a", "irt_b"}
    assert not ItemVersion.objects.exists()
    created = client.post("/api/items/", ITEM, content_type="application/json").json()
    version_id = created["versions"][0]["id"]
    for payload in ({"irt_a": 2.0, "irt_b": 1.0}, {"irt_c": 0.2}, {"irt_calibration": "mine"}):
        patched = client.patch(f"/api/item-versions/{version_id}/", payload, content_type="application/json")
        assert patched.status_code == 400, payload
        again = client.post(f"/api/items/{created['id']}/versions/", payload, content_type="application/json")
        assert again.status_code == 400, payload
    assert (
        client.post(
            f"/api/item-versions/{version_id}/calibration/",
            {"irt_a": 1, "irt_b": 0, "calibration": "x"},
            content_type="application/json",
        ).status_code
        == 403
    )
    with pytest.raises(ValidationError):
        services.item_version_update(by=teacher, version_id=version_id, irt_a=2.0, irt_b=1.0)
    version = ItemVersion.objects.get(pk=version_id)
    assert (version.irt_a, version.irt_b, version.irt_calibration) == (None, None, "")
    board = make_user(Role.BOARD, school.parent)
    client.force_login(board)
    recorded = client.post(
        f"/api/item-versions/{version_id}/calibration/",
        {"irt_a": 1.2, "irt_b": 0.3, "calibration": "2026 trial"},
        content_type="application/json",
    )
    assert recorded.status_code == 200 and recorded.json()["irt_a"] == 1.2


def test_a_new_version_starts_uncalibrated(subject):
    teacher = make_user(Role.TEACHER, make_school())
    version = make_versions(teacher, subject, 1)[0]
    assert version.irt_a is not None
    new = services.item_version_create(by=teacher, item_id=version.item_id, content={**version.content, "key": "B"})
    assert (new.irt_a, new.irt_b, new.irt_calibration) == (None, None, "")
