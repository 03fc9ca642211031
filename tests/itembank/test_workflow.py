"""Review workflow of item versions: the one transition table, roles, audit, and forms."""

from __future__ import annotations

from collections import deque
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role
from assess import authoring
from assess.models import Assessment, FormItem, RecordEntryType
from itembank import services, workflow
from itembank.models import CognitiveLevel, ItemReviewEvent, ItemVersion, Subject
from tests.factories import make_school, make_user

pytestmark = pytest.mark.django_db


def path_to(target: str) -> list[str]:
    """The shortest sequence of moves from draft to ``target``, found in the table itself."""
    queue: deque[tuple[str, list[str]]] = deque([(workflow.DRAFT, [])])
    seen = {workflow.DRAFT}
    while queue:
        status, path = queue.popleft()
        if status == target:
            return path
        for following in sorted(workflow.ALLOWED[status]):
            if following not in seen:
                seen.add(following)
                queue.append((following, [*path, following]))
    raise AssertionError(f"{target} cannot be reached")


@pytest.fixture
def subject(db):
    return Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})[0]


@pytest.fixture
def people(db):
    school = make_school()
    return {
        "author": make_user(Role.TEACHER, school),
        "colleague": make_user(Role.TEACHER, school),
        "outsider": make_user(Role.TEACHER, make_school()),
        "board": make_user(Role.BOARD, school.parent),
        "student": make_user(Role.STUDENT, school),
    }


def make_draft(author, subject) -> ItemVersion:
    return services.item_create(
        by=author,
        subject=subject,
        level=CognitiveLevel.KNOW,
        content=content(),
    )


def content(stem: str = "$1 + 1 = ?$", key: str = "A") -> dict:
    return {"stem": stem, "options": [{"id": "A", "text": "2"}, {"id": "B", "text": "3"}], "key": key}


def bring_to(version: ItemVersion, status: str, *, author, reviewer) -> ItemVersion:
    """Move a draft to ``status`` through the services: the author submits, the reviewer does the rest."""
    for step in path_to(status):
        by = author if step == workflow.SUBMITTED else reviewer
        version = services.item_version_move(by=by, version_id=version.pk, to=step, comment="xem lại")
    assert version.status == status
    return version


def test_every_status_is_reachable_and_the_model_knows_them_all():
    assert set(workflow.TRANSITIONS) == set(workflow.ALL) == set(ItemVersion.Status.values)
    for status in workflow.ALL:
        path_to(status)


@pytest.mark.parametrize(
    "current, target", [(current, target) for current in workflow.ALL for target in workflow.ALL if current != target]
)
def test_every_pair_of_the_table(subject, people, current, target):
    version = bring_to(
        make_draft(people["author"], subject), current, author=people["author"], reviewer=people["board"]
    )
    events_before = ItemReviewEvent.objects.count()
    if target in workflow.ALLOWED[current]:
        by = people["author"] if workflow.TRANSITIONS[current][target] == workflow.AUTHOR else people["board"]
        moved = services.item_version_move(by=by, version_id=version.pk, to=target, comment="lý do")
        assert moved.status == target
        event = ItemReviewEvent.objects.latest("id")
        assert ItemReviewEvent.objects.count() == events_before + 1
        assert (event.version_id, event.from_status, event.to_status, event.by) == (version.pk, current, target, by)
        assert event.comment == "lý do"
    else:
        with pytest.raises(workflow.IllegalTransition) as raised:
            services.item_version_move(by=people["board"], version_id=version.pk, to=target, comment="lý do")
        assert isinstance(raised.value, ValidationError)
        assert current in str(raised.value) and target in str(raised.value)
        assert ItemVersion.objects.get(pk=version.pk).status == current
        assert ItemReviewEvent.objects.count() == events_before


@pytest.mark.parametrize("status", workflow.ALL)
def test_a_repeated_move_is_a_no_op(subject, people, status):
    version = bring_to(make_draft(people["author"], subject), status, author=people["author"], reviewer=people["board"])
    events_before = ItemReviewEvent.objects.count()
    by = people["author"] if workflow.ACTOR_FOR_TARGET.get(status) == workflow.AUTHOR else people["board"]
    again = services.item_version_move(by=by, version_id=version.pk, to=status, comment="lần nữa")
    assert again.status == status
    assert again.published_at == version.published_at
    assert ItemReviewEvent.objects.count() == events_before


def test_the_author_cannot_review_their_own_version_nor_can_an_administrator(subject, people):
    version = services.item_version_submit(by=people["author"], version_id=make_draft(people["author"], subject).pk)
    with pytest.raises(PermissionDenied):
        services.item_version_approve(by=people["author"], version_id=version.pk)
    with pytest.raises(PermissionDenied):
        services.item_version_request_changes(by=people["author"], version_id=version.pk, comment="sửa")
    assert ItemVersion.objects.get(pk=version.pk).status == workflow.SUBMITTED
    admin = make_user(Role.ADMIN, people["author"].organisation)
    own = services.item_version_submit(by=admin, version_id=make_draft(admin, subject).pk)
    with pytest.raises(PermissionDenied):
        services.item_version_approve(by=admin, version_id=own.pk)
    assert services.item_version_approve(by=people["colleague"], version_id=own.pk).status == workflow.APPROVED
    assert services.item_version_approve(by=admin, version_id=version.pk).status == workflow.APPROVED


def test_nobody_who_changed_a_versions_content_approves_it(client, subject, people):
    """Security review: a colleague edited someone else's draft, submitted, approved and published
    it, because approval checked only who created the version. The four-eyes rule now covers
    everyone who changed the content, through the services and the API alike."""
    draft = make_draft(people["author"], subject)
    client.force_login(people["colleague"])
    changed = {**draft.content, "key": "B"}
    assert (
        client.patch(
            f"/api/item-versions/{draft.pk}/", {"content": changed}, content_type="application/json"
        ).status_code
        == 200
    )
    assert client.post(f"/api/item-versions/{draft.pk}/submit/").status_code == 200
    assert client.get("/api/review-queue/").json()["results"] == []  # not offered to the one who changed it
    refused = client.post(f"/api/item-versions/{draft.pk}/approve/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    with pytest.raises(PermissionDenied):
        services.item_version_approve(by=people["colleague"], version_id=draft.pk)
    assert ItemVersion.objects.get(pk=draft.pk).status == workflow.SUBMITTED
    # The author, who did not make this change, and the board review it.
    client.force_login(people["board"])
    assert [row["version"] for row in client.get("/api/review-queue/").json()["results"]] == [draft.pk]
    assert client.post(f"/api/item-versions/{draft.pk}/approve/").json()["status"] == workflow.APPROVED
    history = client.get(f"/api/item-versions/{draft.pk}/history/").json()
    assert [(edit["by"], edit["fields"]) for edit in history["edits"]] == [(people["colleague"].pk, ["content"])]


def test_a_save_that_changes_nothing_is_no_edit(subject, people):
    draft = make_draft(people["author"], subject)
    services.item_version_update(by=people["colleague"], version_id=draft.pk, content=draft.content)
    services.item_version_submit(by=people["author"], version_id=draft.pk)
    assert services.item_version_approve(by=people["colleague"], version_id=draft.pk).status == workflow.APPROVED


def test_only_the_board_retires(subject, people):
    version = bring_to(
        make_draft(people["author"], subject), workflow.PUBLISHED, author=people["author"], reviewer=people["colleague"]
    )
    for name in ("author", "colleague"):
        with pytest.raises(PermissionDenied):
            services.item_version_retire(by=people[name], version_id=version.pk)
    assert services.item_version_retire(by=people["board"], version_id=version.pk).status == workflow.RETIRED


@pytest.mark.parametrize("comment", ["", "   "])
def test_requesting_changes_needs_a_comment(subject, people, comment):
    version = services.item_version_submit(by=people["author"], version_id=make_draft(people["author"], subject).pk)
    with pytest.raises(ValidationError) as raised:
        services.item_version_request_changes(by=people["colleague"], version_id=version.pk, comment=comment)
    assert "comment" in raised.value.message_dict
    assert ItemVersion.objects.get(pk=version.pk).status == workflow.SUBMITTED
    assert not ItemReviewEvent.objects.filter(to_status=workflow.CHANGES_REQUESTED).exists()


def test_the_author_revises_and_resubmits_after_changes_are_requested(subject, people):
    author, reviewer = people["author"], people["colleague"]
    version = services.item_version_submit(by=author, version_id=make_draft(author, subject).pk)
    with pytest.raises(ValidationError):
        services.item_version_update(by=author, version_id=version.pk, content=content(key="B"))  # under review
    services.item_version_request_changes(by=reviewer, version_id=version.pk, comment="Đáp án sai")
    services.item_version_update(by=author, version_id=version.pk, content=content("$1 + 2 = ?$", "B"))
    services.item_version_submit(by=author, version_id=version.pk)
    approved = services.item_version_approve(by=reviewer, version_id=version.pk)
    assert (approved.stem, approved.content["key"]) == ("$1 + 2 = ?$", "B")
    with pytest.raises(ValidationError):
        services.item_version_update(by=author, version_id=version.pk, content=content())
    approved.content = content("changed")
    with pytest.raises(ValidationError):
        approved.save()
    history = list(approved.review_events.values_list("to_status", "by", "comment"))
    assert history == [
        (workflow.SUBMITTED, author.pk, ""),
        (workflow.CHANGES_REQUESTED, reviewer.pk, "Đáp án sai"),
        (workflow.SUBMITTED, author.pk, ""),
        (workflow.APPROVED, reviewer.pk, ""),
    ]


@pytest.mark.parametrize("status", workflow.ALL)
def test_only_approved_or_published_versions_enter_a_form(subject, people, status):
    school = people["author"].organisation
    version = bring_to(make_draft(people["author"], subject), status, author=people["author"], reviewer=people["board"])
    assessment = Assessment.objects.create(
        title="Kiểm tra",
        kind=Assessment.Kind.PERIODIC,
        subject=subject,
        organisation=school,
        duration=timedelta(minutes=45),
        school_year="2026-2027",
        term=1,
        record_entry_type=RecordEntryType.MIDTERM,
        created_by=people["board"],
    )

    def build():
        return authoring.form_of_versions(
            by=people["board"], assessment=assessment, code="101", item_versions=[version]
        )

    if status in (workflow.APPROVED, workflow.PUBLISHED):
        assert FormItem.objects.filter(form=build(), item_version=version).count() == 1
    else:
        with pytest.raises(ValidationError, match="chưa có phiên bản đã duyệt hoặc đã phát hành"):
            build()


# --- REST ------------------------------------------------------------------------------------

ALLOWED, FORBIDDEN, HIDDEN = 200, 403, 404


@pytest.mark.parametrize(
    "action, start, expected",
    [
        ("submit", workflow.DRAFT, {"author": ALLOWED, "colleague": ALLOWED, "board": ALLOWED}),
        ("approve", workflow.SUBMITTED, {"author": FORBIDDEN, "colleague": ALLOWED, "board": ALLOWED}),
        ("request-changes", workflow.SUBMITTED, {"author": FORBIDDEN, "colleague": ALLOWED, "board": ALLOWED}),
        ("publish", workflow.APPROVED, {"author": ALLOWED, "colleague": ALLOWED, "board": ALLOWED}),
        ("retire", workflow.PUBLISHED, {"author": FORBIDDEN, "colleague": FORBIDDEN, "board": ALLOWED}),
    ],
)
@pytest.mark.parametrize("role", ["author", "colleague", "outsider", "board", "student"])
def test_api_moves_are_authorised_on_the_server(client, subject, people, action, start, expected, role):
    version = bring_to(make_draft(people["author"], subject), start, author=people["author"], reviewer=people["board"])
    client.force_login(people[role])
    response = client.post(
        f"/api/item-versions/{version.pk}/{action}/", {"comment": "Cần sửa"}, content_type="application/json"
    )
    # Students are refused for their role (403); staff who may not see the item get 404.
    expected = {"student": FORBIDDEN, **expected}
    assert response.status_code == expected.get(role, HIDDEN), response.content
    stored = ItemVersion.objects.get(pk=version.pk)
    if response.status_code == ALLOWED:
        assert response.json()["status"] == stored.status != start
        assert stored.review_events.latest("id").by == people[role]
    else:
        assert (
            response.json()["error"]["code"]
            == {FORBIDDEN: "forbidden", HIDDEN: "not_found"}[expected.get(role, HIDDEN)]
        )
        assert stored.status == start


def test_api_refuses_illegal_moves_and_missing_comments(client, subject, people):
    version = make_draft(people["author"], subject)
    client.force_login(people["board"])
    response = client.post(f"/api/item-versions/{version.pk}/approve/")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "illegal_transition",
        "message": "An item version cannot move from draft to approved.",
    }
    services.item_version_submit(by=people["author"], version_id=version.pk)
    response = client.post(f"/api/item-versions/{version.pk}/request-changes/", {}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid" and "comment" in response.json()["error"]["fields"]
    assert ItemVersion.objects.get(pk=version.pk).status == workflow.SUBMITTED


def test_api_history_lists_who_did_what_and_when(client, subject, people):
    version = services.item_version_submit(by=people["author"], version_id=make_draft(people["author"], subject).pk)
    services.item_version_request_changes(by=people["board"], version_id=version.pk, comment="Thêm phương án")
    client.force_login(people["author"])
    events = client.get(f"/api/item-versions/{version.pk}/history/").json()["results"]
    assert [(e["from_status"], e["to_status"], e["by"], e["comment"]) for e in events] == [
        (workflow.DRAFT, workflow.SUBMITTED, people["author"].pk, ""),
        (workflow.SUBMITTED, workflow.CHANGES_REQUESTED, people["board"].pk, "Thêm phương án"),
    ]
    assert all(e["at"] for e in events)
    for name, refused in (("outsider", 404), ("student", 403)):
        client.force_login(people[name])
        assert client.get(f"/api/item-versions/{version.pk}/history/").status_code == refused


def test_admin_shows_status_read_only_and_the_history(client, subject, people):
    admin = make_user(Role.ADMIN, None, is_staff=True, is_superuser=True)
    version = services.item_version_submit(by=people["author"], version_id=make_draft(people["author"], subject).pk)
    services.item_version_approve(by=people["board"], version_id=version.pk, comment="Tốt")
    client.force_login(admin)
    page = client.get(f"/admin/itembank/itemversion/{version.pk}/change/").content.decode()
    assert 'name="status"' not in page and 'name="stem"' not in page  # approved: frozen
    assert "Tốt" in page and "review_events" in page
