"""The Django admin is for platform administrators only, whatever staff flag or permission says.

Security review, finding 1: the demo gave teachers and board members staff status, and through
/admin/ a teacher moved another school's live item into a foreign organisation, added a version
to a foreign private item and renamed the shared subject "Toán"; a board member read and changed
a teacher's private draft with its key. These tests walk every admin page of every registered
model as every role, each given staff status and every model permission (the strongest grant the
admin knows), and only platform administrators get in.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import Role
from itembank import services as bank
from itembank import stimuli
from itembank.media import media_store
from itembank.models import CognitiveLevel, Item, ItemVersion, Subject, Topic, Visibility
from tests.factories import make_blueprint, make_sitting, make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture
def world():
    """One of every row the admin lists: organisations, people, items, stimuli, media, blueprints."""
    sitting = make_sitting(n_items=2, n_students=1)
    school = sitting.organisation
    teacher = make_user(Role.TEACHER, school)
    subject = Subject.objects.get(code="toan")
    topic = Topic.objects.create(subject=subject, name="Đại số")
    private = bank.item_create(
        by=teacher,
        subject=subject,
        level=CognitiveLevel.KNOW,
        visibility=Visibility.PRIVATE,
        content={"stem": "Riêng tư", "options": [{"id": "A", "text": "1"}, {"id": "B", "text": "2"}], "key": "A"},
    )
    stimuli.stimulus_create(by=teacher, subject=subject, title="Bài đọc", kind="passage", body="<p>Văn bản</p>")
    media_store(by=teacher, owner_id=school.pk, name="hinh.png", data=PNG, alt_text="hình")
    make_blueprint(by=teacher, subject=subject, topic=topic, grade=12)
    return {"school": school, "teacher": teacher, "private": private, "subject": subject}


def _admin_pages() -> dict[str, int]:
    """Every admin page, with what a platform administrator gets: the index, each app index,
    and each model's list, add, change, delete and history page (for the first stored row).
    Deleting a row the model forbids deleting (a version past draft) is 403 even for them."""
    request = _superuser_request()
    pages = {reverse("admin:index"): 200}
    apps = set()
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        apps.add(meta.app_label)
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        pages[reverse(f"{prefix}_changelist")] = 200
        pages[reverse(f"{prefix}_add")] = 200 if model_admin.has_add_permission(request) else 403
        row = model_admin.get_queryset(request).order_by("pk").first()
        if row is not None:
            pages[reverse(f"{prefix}_change", args=[row.pk])] = 200
            pages[reverse(f"{prefix}_history", args=[row.pk])] = 200
            deletable = model_admin.has_delete_permission(request, row)
            pages[reverse(f"{prefix}_delete", args=[row.pk])] = 200 if deletable else 403
    pages.update({reverse("admin:app_list", args=[label]): 200 for label in sorted(apps)})
    return pages


def _superuser_request():
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = make_user(Role.ADMIN, None, is_staff=True, is_superuser=True)
    return request


def _every_permission(user) -> None:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.all())


@pytest.mark.parametrize("role", [Role.STUDENT, Role.TEACHER, Role.PROCTOR, Role.BOARD])
def test_no_admin_page_opens_for_anyone_but_platform_administrators(client, world, role):
    user = make_user(role, world["school"] if role != Role.BOARD else world["school"].parent)
    _every_permission(user)
    client.force_login(user)
    urls = list(_admin_pages())
    assert len(urls) > 30
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url


def test_a_teacher_with_staff_status_cannot_change_a_foreign_item_or_a_shared_subject(client, world):
    """The attacks of the review, replayed: each is refused and changes nothing."""
    foreign = make_user(Role.TEACHER, make_sitting(n_items=1, n_students=1).organisation)
    _every_permission(foreign)
    client.force_login(foreign)
    item = world["private"].item
    moved = client.post(
        reverse("admin:itembank_item_change", args=[item.pk]),
        {
            "owner": foreign.organisation_id,
            "subject": item.subject_id,
            "level": item.level,
            "item_type": item.item_type,
            "visibility": "national",
            "language": "vi",
        },
    )
    assert moved.status_code == 302 and moved["Location"].startswith("/admin/login/")
    renamed = client.post(
        reverse("admin:itembank_subject_change", args=[world["subject"].pk]), {"code": "toan", "name": "Hacked"}
    )
    assert renamed.status_code == 302 and renamed["Location"].startswith("/admin/login/")
    added = client.post(
        reverse("admin:itembank_itemversion_add"),
        {"item": item.pk, "number": 9, "content": '{"stem": "x"}', "points": "1"},
    )
    assert added.status_code == 302 and added["Location"].startswith("/admin/login/")
    item.refresh_from_db()
    assert item.owner_id == world["school"].pk and item.visibility == Visibility.PRIVATE
    assert Subject.objects.get(pk=world["subject"].pk).name == "Toán"
    assert ItemVersion.objects.filter(item=item).count() == 1


def test_the_admin_login_refuses_staff_who_are_not_administrators(client, world):
    board = make_user(Role.BOARD, world["school"].parent, is_staff=True)
    from tests.factories import PASSWORD

    page = client.post("/admin/login/?next=/admin/", {"username": board.username, "password": PASSWORD})
    assert page.status_code == 200 and 'class="errornote"' in page.content.decode()  # the form again
    assert "_auth_user_id" not in client.session  # no session was opened
    assert client.get("/admin/").status_code == 302
    admin_user = make_user(Role.ADMIN, None, is_staff=True, is_superuser=True)
    page = client.post("/admin/login/?next=/admin/", {"username": admin_user.username, "password": PASSWORD})
    assert page.status_code == 302 and client.get("/admin/").status_code == 200


def test_platform_administrators_open_every_admin_page(client, world):
    admin_user = make_user(Role.ADMIN, None, is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    for url, expected in _admin_pages().items():
        assert client.get(url).status_code == expected, url
    # The private draft is reachable, read and kept intact by a GET.
    page = client.get(reverse("admin:itembank_item_change", args=[world["private"].item_id]))
    assert "Riêng tư" in page.content.decode() or page.status_code == 200
    assert Item.objects.filter(pk=world["private"].item_id).exists()


def test_the_navigation_offers_the_admin_to_administrators_only(client, world):
    client.force_login(make_user(Role.ADMIN, None, is_staff=True, is_superuser=True))
    assert 'href="/admin/"' in client.get("/board/").content.decode()
    client.force_login(make_user(Role.BOARD, world["school"].parent, is_staff=True))
    page = client.get("/board/").content.decode()
    assert 'href="/admin/"' not in page and 'href="/bank/"' in page
