"""Bulk actions of the bank's list: ``POST /api/items/bulk/`` applies the single item's service
to each item on its own; every rule holds per item, each item is done whole or not at all,
one refusal stops nothing else, and the answer says what became of each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import Role
from itembank import bulk, services
from itembank.models import Item, ItemReviewEvent, ItemVersion, Subject, Visibility
from tests.factories import make_school, make_user

pytestmark = pytest.mark.django_db

URL = "/api/items/bulk/"


@dataclass
class Bank:
    author: Any
    colleague: Any
    outsider: Any  # a teacher of another school
    board: Any
    student: Any
    school_admin: Any
    subject: Subject


@pytest.fixture
def bank() -> Bank:
    school = make_school()
    return Bank(
        author=make_user(Role.TEACHER, school),
        colleague=make_user(Role.TEACHER, school),
        outsider=make_user(Role.TEACHER, make_school()),
        board=make_user(Role.BOARD, school.parent),
        student=make_user(Role.STUDENT, school),
        school_admin=make_user(Role.SCHOOL_ADMIN, school),
        subject=Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})[0],
    )


def draft(bank: Bank, n: int, *, by=None, visibility: str = Visibility.SCHOOL) -> ItemVersion:
    return services.item_create(
        by=by or bank.author,
        subject=bank.subject,
        level="biet",
        visibility=visibility,
        content={
            "stem": f"Câu {n}: $x^{n}$",
            "options": [{"id": "A", "text": "1"}, {"id": "B", "text": "2"}],
            "key": "A",
        },
    )


def send(user, body: Any) -> Any:
    client = Client()
    client.force_login(user)
    return client.post(URL, body, content_type="application/json")


def outcomes(response) -> dict[int, dict]:
    assert response.status_code == 200, response.content
    return {row["item"]: row for row in response.json()["results"]}


def status_of(version: ItemVersion) -> str:
    return ItemVersion.objects.get(pk=version.pk).status


def test_submit_approve_publish_a_selection(bank):
    versions = [draft(bank, n) for n in range(3)]
    ids = [v.item_id for v in versions]
    submitted = send(bank.author, {"action": "submit", "items": ids})
    assert submitted.json()["counts"] == {"done": 3, "unchanged": 0, "refused": 0}
    assert all(row["status"] == "submitted" and row["outcome"] == "done" for row in outcomes(submitted).values())
    again = send(bank.author, {"action": "submit", "items": ids})  # a repeated request changes nothing
    assert again.json()["counts"] == {"done": 0, "unchanged": 3, "refused": 0}
    assert ItemReviewEvent.objects.count() == 3

    approved = send(bank.colleague, {"action": "approve", "items": ids})
    assert approved.json()["counts"]["done"] == 3
    published = send(bank.author, {"action": "publish", "items": ids})
    assert published.json()["counts"]["done"] == 3
    assert [status_of(v) for v in versions] == ["published"] * 3
    assert published.json()["action"] == "publish"


def test_the_four_eyes_rule_holds_per_item(bank):
    theirs = [draft(bank, n) for n in range(2)]
    own = draft(bank, 9, by=bank.colleague)
    edited = draft(bank, 8)
    services.item_version_update(by=bank.colleague, version_id=edited.pk, content={**edited.content, "stem": "Sửa"})
    for version, who in (
        (theirs[0], bank.author),
        (theirs[1], bank.author),
        (own, bank.colleague),
        (edited, bank.author),
    ):
        services.item_version_submit(by=who, version_id=version.pk)
    ids = [v.item_id for v in (*theirs, own, edited)]
    result = outcomes(send(bank.colleague, {"action": "approve", "items": ids}))
    assert [result[v.item_id]["outcome"] for v in theirs] == ["done", "done"]
    for version in (own, edited):  # wrote it, or changed it: another colleague approves it
        assert result[version.item_id]["outcome"] == "refused"
        assert result[version.item_id]["code"] == "forbidden"
        assert result[version.item_id]["message"]
        assert status_of(version) == "submitted"
    assert [status_of(v) for v in theirs] == ["approved", "approved"]
    # The author approves none of their own.
    mine = outcomes(send(bank.author, {"action": "approve", "items": [own.item_id, edited.item_id]}))
    assert mine[edited.item_id]["code"] == "forbidden" and mine[own.item_id]["outcome"] == "done"


def test_each_refusal_is_reported_and_the_others_go_ahead(bank):
    ready = draft(bank, 1)
    private = draft(bank, 2, visibility=Visibility.PRIVATE)
    approved = draft(bank, 3)
    services.item_version_submit(by=bank.author, version_id=approved.pk)
    services.item_version_approve(by=bank.colleague, version_id=approved.pk)
    hidden = draft(bank, 4, by=bank.colleague, visibility=Visibility.PRIVATE)  # not shared with the author
    ids = [ready.item_id, private.item_id, approved.item_id, hidden.item_id, 987654321]
    response = send(bank.author, {"action": "submit", "items": ids})
    assert response.json()["counts"] == {"done": 1, "unchanged": 0, "refused": 4}
    result = outcomes(response)
    assert [row["item"] for row in response.json()["results"]] == ids  # in the order asked
    assert result[ready.item_id]["outcome"] == "done"
    assert result[private.item_id]["code"] == "invalid"
    assert "private" in result[private.item_id]["message"].lower() or "riêng tư" in result[private.item_id]["message"]
    assert result[approved.item_id]["code"] == "illegal_transition"
    assert str(approved.number) in result[approved.item_id]["message"]
    assert result[approved.item_id]["status"] == "approved"
    assert result[hidden.item_id]["code"] == result[987654321]["code"] == "not_found"
    assert [status_of(v) for v in (ready, private, approved, hidden)] == ["submitted", "draft", "approved", "draft"]


def test_publishing_only_what_was_approved(bank):
    approved = draft(bank, 1)
    services.item_version_submit(by=bank.author, version_id=approved.pk)
    services.item_version_approve(by=bank.colleague, version_id=approved.pk)
    waiting = draft(bank, 2)
    result = outcomes(send(bank.author, {"action": "publish", "items": [approved.item_id, waiting.item_id]}))
    assert result[approved.item_id]["status"] == "published"
    assert result[waiting.item_id]["code"] == "illegal_transition"
    assert status_of(waiting) == "draft"


def test_sharing_a_selection(bank):
    mine = [draft(bank, n) for n in range(2)]
    already = draft(bank, 5, visibility=Visibility.DEPARTMENT)
    national = draft(bank, 6, by=bank.outsider, visibility=Visibility.NATIONAL)  # seen, not changeable
    ids = [*(v.item_id for v in mine), already.item_id, national.item_id]
    response = send(bank.author, {"action": "share", "items": ids, "visibility": "department"})
    assert response.json()["counts"] == {"done": 2, "unchanged": 1, "refused": 1}
    result = outcomes(response)
    assert result[national.item_id]["code"] == "forbidden"
    assert result[mine[0].item_id]["visibility"] == "department"
    visibilities = dict(Item.objects.filter(pk__in=ids).values_list("pk", "visibility"))
    assert visibilities == {
        mine[0].item_id: "department",
        mine[1].item_id: "department",
        already.item_id: "department",
        national.item_id: "national",
    }


def test_one_item_failing_midway_is_rolled_back_alone(bank, monkeypatch):
    versions = [draft(bank, n) for n in range(3)]
    create = ItemReviewEvent.objects.create

    def fail_for_the_second(**fields):
        if fields["version"].pk == versions[1].pk:
            raise ValidationError("the audit row could not be written")
        return create(**fields)

    monkeypatch.setattr(ItemReviewEvent.objects, "create", fail_for_the_second)
    result = outcomes(send(bank.author, {"action": "submit", "items": [v.item_id for v in versions]}))
    assert [result[v.item_id]["outcome"] for v in versions] == ["done", "refused", "done"]
    # The second's status was written before its audit row failed: the write is undone with it.
    assert [status_of(v) for v in versions] == ["submitted", "draft", "submitted"]
    assert not ItemReviewEvent.objects.filter(version=versions[1]).exists()


def test_bad_requests_change_nothing(bank):
    version = draft(bank, 1)
    item = version.item_id
    cases = [
        ({"action": "delete", "items": [item]}, "action"),
        ({"action": "retire", "items": [item]}, "action"),
        ({"action": "submit", "items": []}, "items"),
        ({"action": "submit"}, "items"),
        ({"action": "submit", "items": "1,2"}, "items"),
        ({"action": "submit", "items": ["abc"]}, "items"),
        ({"action": "submit", "items": [10**19]}, "items"),
        ({"action": "share", "items": [item]}, "visibility"),
        ({"action": "share", "items": [item], "visibility": "world"}, "visibility"),
        ({"items": [item]}, "action"),
    ]
    for body, field in cases:
        response = send(bank.author, body)
        assert response.status_code == 400, body
        assert field in response.json()["error"]["fields"], (body, response.json())
    assert status_of(version) == "draft" and Item.objects.get(pk=item).visibility == "school"


def test_a_selection_over_the_cap_is_refused_whole(bank):
    versions = [draft(bank, n) for n in range(2)]
    ids = [v.item_id for v in versions] + list(range(10**6, 10**6 + bulk.MAX_BULK_ITEMS - 1))
    response = send(bank.author, {"action": "submit", "items": ids})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "too_many_items"
    assert str(bulk.MAX_BULK_ITEMS) in error["message"] and str(len(ids)) in error["message"]
    assert [status_of(v) for v in versions] == ["draft", "draft"]
    with pytest.raises(ValidationError):  # the service holds the cap for every caller
        bulk.items_bulk_apply(by=bank.author, action="submit", item_ids=ids)
    assert [status_of(v) for v in versions] == ["draft", "draft"]
    at_cap = send(bank.author, {"action": "submit", "items": ids[: bulk.MAX_BULK_ITEMS]})
    assert at_cap.json()["counts"] == {"done": 2, "unchanged": 0, "refused": bulk.MAX_BULK_ITEMS - 2}


def test_repeated_ids_are_one_item(bank):
    version = draft(bank, 1)
    response = send(bank.author, {"action": "submit", "items": [version.item_id] * 3})
    assert response.json()["counts"] == {"done": 1, "unchanged": 0, "refused": 0}
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize("who", ["student", "school_admin"])
def test_people_without_a_bank_are_refused(bank, who):
    version = draft(bank, 1)
    response = send(getattr(bank, who), {"action": "submit", "items": [version.item_id]})
    assert response.status_code == 403
    assert status_of(version) == "draft"
    assert Client().post(
        URL, {"action": "submit", "items": [version.item_id]}, content_type="application/json"
    ).status_code in (401, 403)
