"""Sharing: who sees, uses and edits an item, for every visibility and every role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role
from accounts.permissions import scope_of
from assess import authoring
from assess.models import Assessment, RecordEntryType
from itembank import services
from itembank.models import Visibility
from itembank.selectors import can_edit_item, items_editable_by, items_visible_to
from tests.factories import make_department, make_school, make_user, release_version

pytestmark = pytest.mark.django_db

CONTENT = {
    "stem": "Hàm số $y = x^2$ có đạo hàm là",
    "options": [{"id": "A", "text": "$2x$"}, {"id": "B", "text": "$x$"}],
    "key": "A",
}


@pytest.fixture
def world(db):
    """Two departments; the first holds two schools. Everyone who could meet an item."""
    from itembank.models import Subject

    subject = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})[0]
    dept, other_dept = make_department(), make_department()
    school, sibling, far = make_school(dept), make_school(dept), make_school(other_dept)
    return {
        "subject": subject,
        "school": school,
        "author": make_user(Role.TEACHER, school),
        "colleague": make_user(Role.TEACHER, school),
        "sibling_teacher": make_user(Role.TEACHER, sibling),
        "far_teacher": make_user(Role.TEACHER, far),
        "dept_board": make_user(Role.BOARD, dept),
        "far_board": make_user(Role.BOARD, other_dept),
        "admin": make_user(Role.ADMIN, None),
        "student": make_user(Role.STUDENT, school),
        "proctor": make_user(Role.PROCTOR, school),
    }


def _item(world, visibility):
    return services.item_create(
        by=world["author"], subject=world["subject"], level="biet", content=CONTENT, visibility=visibility
    ).item


# who sees the item: (visibility) -> the people who do
SEES = {
    Visibility.PRIVATE: {"author", "admin"},
    Visibility.SCHOOL: {"author", "colleague", "dept_board", "admin"},
    Visibility.DEPARTMENT: {"author", "colleague", "sibling_teacher", "dept_board", "admin"},
    Visibility.NATIONAL: {"author", "colleague", "sibling_teacher", "far_teacher", "dept_board", "far_board", "admin"},
}
PEOPLE = (
    "author",
    "colleague",
    "sibling_teacher",
    "far_teacher",
    "dept_board",
    "far_board",
    "admin",
    "student",
    "proctor",
)


@pytest.mark.parametrize("visibility", list(SEES))
@pytest.mark.parametrize("person", PEOPLE)
def test_who_sees_and_who_edits(world, visibility, person):
    item = _item(world, visibility)
    user = world[person]
    sees = items_visible_to(user).filter(pk=item.pk).exists()
    assert sees == (person in SEES[visibility])
    # Editing stays with the owner's overseers (the author alone for a private item), whatever the sharing.
    editors = (
        {"author", "admin"} if visibility == Visibility.PRIVATE else {"author", "colleague", "dept_board", "admin"}
    )
    assert can_edit_item(scope_of(user), item) == (person in editors)
    assert items_editable_by(user).filter(pk=item.pk).exists() == (person in editors)


def test_shared_items_are_found_but_not_changed_by_other_schools(world, client):
    item = _item(world, Visibility.NATIONAL)
    version = item.versions.get()
    far = world["far_teacher"]
    client.force_login(far)
    assert client.get(f"/api/items/{item.pk}/").json()["editable"] is False
    assert client.get("/api/items/", {"q": "ham so"}).json()["count"] == 1
    refused = client.patch(
        f"/api/item-versions/{version.pk}/", {"content": {**CONTENT, "key": "B"}}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert (
        client.post(
            f"/api/items/{item.pk}/versions/", {"content": CONTENT}, content_type="application/json"
        ).status_code
        == 403
    )
    assert client.patch(f"/api/items/{item.pk}/", {"title": "x"}, content_type="application/json").status_code == 403
    assert client.post(f"/api/item-versions/{version.pk}/submit/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.item_version_create(by=far, item_id=item.pk, content=CONTENT)


def test_a_private_item_is_hidden_and_cannot_go_to_review(world, client):
    item = _item(world, Visibility.PRIVATE)
    version = item.versions.get()
    client.force_login(world["colleague"])
    assert client.get(f"/api/items/{item.pk}/").status_code == 404
    assert client.get(f"/api/item-versions/{version.pk}/").status_code == 404
    with pytest.raises(ValidationError) as raised:
        services.item_version_submit(by=world["author"], version_id=version.pk)
    assert "visibility" in raised.value.message_dict
    services.item_update(by=world["author"], item_id=item.pk, visibility=Visibility.SCHOOL)
    assert services.item_version_submit(by=world["author"], version_id=version.pk).status == "submitted"


def test_a_department_board_builds_a_form_from_an_item_a_sibling_school_shared(world):
    owner = world["sibling_teacher"]
    version = services.item_create(
        by=owner, subject=world["subject"], level="biet", content=CONTENT, visibility=Visibility.DEPARTMENT
    )
    version = release_version(version, author=owner, reviewer=world["dept_board"])
    assessment = Assessment.objects.create(
        title="Giữa kỳ",
        kind=Assessment.Kind.PERIODIC,
        subject=world["subject"],
        organisation=world["school"],
        duration=timedelta(minutes=45),
        school_year="2026-2027",
        term=1,
        record_entry_type=RecordEntryType.MIDTERM,
        created_by=world["dept_board"],
    )
    form = authoring.form_of_versions(by=world["dept_board"], assessment=assessment, code="A", item_versions=[version])
    assert form.form_items.get().item_version == version
    # A board that may not see the item cannot put it on a form, even knowing its id.
    far_school = world["far_teacher"].organisation
    assessment.organisation = far_school
    assessment.save()
    with pytest.raises(PermissionDenied):
        authoring.form_of_versions(by=world["far_board"], assessment=assessment, code="B", item_versions=[version])


def test_students_and_proctors_have_no_bank(world, client):
    _item(world, Visibility.NATIONAL)
    for person in ("student", "proctor"):
        client.force_login(world[person])
        assert client.get("/api/items/").status_code == 403
        assert client.get("/api/bank/meta/").status_code == 403
        assert client.get("/api/review-queue/").status_code == 403
        assert client.post("/api/items/preview/", {}, content_type="application/json").status_code == 403
