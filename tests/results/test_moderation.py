"""Moderation before publication: preview a change of an item's scoring on every candidate,
apply it (audited, on every test code) and rescore; then review and publish."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from assess import sittings, statuses, test_codes
from assess.models import FormItem, RecordEntry, Result, ScoringRun, Sitting
from results import moderation, publication
from results.models import ModerationChange, Publication, PublicationEvent
from tests.factories import make_sitting, make_user, take

pytestmark = pytest.mark.django_db


def board_of(sitting: Sitting) -> User:
    return User.objects.get(pk=sitting.created_by_id)


@pytest.fixture
def sitting() -> Sitting:
    """Five single-choice items keyed A, B, C, D, A; An answers item 1 with A, Bình with B."""
    sitting = make_sitting(n_items=5, n_students=2, irt=False)
    first, second = sitting.attempts.order_by("pk")
    take(first, {1: "A", 2: "B"})  # 2 of 5
    take(second, {1: "B", 2: "B"})  # 1 of 5
    return sitting


def scores(sitting: Sitting) -> list[Decimal]:
    return [r.score_10 for r in Result.objects.filter(attempt__sitting=sitting).order_by("attempt_id")]


def test_a_re_key_is_previewed_on_every_candidate_without_writing_then_applied_and_rescored(
    sitting, django_capture_on_commit_callbacks
):
    board = board_of(sitting)
    assert scores(sitting) == [Decimal("4.0"), Decimal("2.0")]
    change, rows = moderation.moderation_preview(
        by=board, sitting_id=sitting.pk, position=1, kind="rekey", key="B", reason="Đáp án đúng là B."
    )
    assert change.status == "previewed" and change.before["key_override"] is None
    assert change.summary == {
        "candidates": 2,
        "changed": 2,
        "up": 1,
        "down": 1,
        "mean_before": "3.00",
        "mean_after": "3.00",
    }
    assert {(row["score_before"], row["score_after"]) for row in rows} == {("4.0", "2.0"), ("2.0", "4.0")}
    assert scores(sitting) == [Decimal("4.0"), Decimal("2.0")]  # nothing written
    assert not FormItem.objects.filter(key_override__isnull=False).exists()

    with django_capture_on_commit_callbacks(execute=True):
        applied = moderation.moderation_apply(by=board, change_id=change.pk)
    assert applied.status == "applied" and applied.applied_by == board
    assert ScoringRun.objects.get(pk=applied.run_id).status == ScoringRun.Status.DONE
    assert scores(sitting) == [Decimal("2.0"), Decimal("4.0")]
    assert sorted(RecordEntry.objects.filter(attempt__sitting=sitting).values_list("score", flat=True)) == [
        Decimal("2.0"),
        Decimal("4.0"),
    ]
    with pytest.raises(ValidationError):  # applied already
        moderation.moderation_apply(by=board, change_id=change.pk)


def test_the_change_reaches_the_item_on_every_test_code(django_capture_on_commit_callbacks):
    now = timezone.now()
    sitting = make_sitting(n_items=5, n_students=1, irt=False, opens_at=now + timedelta(hours=1))
    test_codes.codes_generate(by=board_of(sitting), form_id=sitting.form_id, count=2, first="201", seed=3)
    others = [make_user(Role.STUDENT, sitting.organisation) for _ in range(3)]  # dealt the codes
    sittings.sitting_enrol(
        by=board_of(sitting),
        sitting_id=sitting.pk,
        candidates=sittings.Candidates(names=tuple(s.username for s in others)),
    )
    Sitting.objects.filter(pk=sitting.pk).update(opens_at=now - timedelta(minutes=5))
    for attempt in sitting.attempts.order_by("pk"):
        take(attempt, {1: "A"})  # position 1 of each code: a different item of the master form
    assert sitting.attempts.values("form_id").distinct().count() == 3  # the master and two codes
    board = board_of(sitting)
    family = moderation.item_family(sitting, 1)
    assert len(family) == 3  # the master form and two codes
    change, rows = moderation.moderation_preview(
        by=board, sitting_id=sitting.pk, position=1, kind="drop", reason="Câu hỏi sai."
    )
    with django_capture_on_commit_callbacks(execute=True):
        moderation.moderation_apply(by=board, change_id=change.pk)
    assert all(fi.dropped for fi in FormItem.objects.filter(pk__in=[fi.pk for fi in family]))
    # dropped on every code: out of every maximum, whichever code the candidate had
    assert {r.max_score for r in Result.objects.filter(attempt__sitting=sitting)} == {Decimal(4)}
    for row in rows:  # the preview said what the rescore did
        assert Result.objects.get(attempt_id=row["attempt"]).score_10 == Decimal(row["score_after"])


def test_accepting_a_further_key_and_going_back_to_the_own_key(sitting, django_capture_on_commit_callbacks):
    board = board_of(sitting)
    change, rows = moderation.moderation_preview(
        by=board, sitting_id=sitting.pk, position=1, kind="accept", keys=["B"], reason="A và B đều đúng."
    )
    assert change.summary["up"] == 1 and change.summary["down"] == 0 and len(rows) == 1
    with django_capture_on_commit_callbacks(execute=True):
        moderation.moderation_apply(by=board, change_id=change.pk)
    assert scores(sitting) == [Decimal("4.0"), Decimal("4.0")]
    change, _rows = moderation.moderation_preview(
        by=board, sitting_id=sitting.pk, position=1, kind="reset", reason="Trở lại đáp án gốc."
    )
    with django_capture_on_commit_callbacks(execute=True):
        moderation.moderation_apply(by=board, change_id=change.pk)
    assert scores(sitting) == [Decimal("4.0"), Decimal("2.0")]
    assert ModerationChange.objects.filter(sitting=sitting, status="applied").count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "rekey", "key": "Z"}, "key"),  # not an option
        ({"kind": "rekey", "key": "A"}, "key"),  # the key already
        ({"kind": "accept", "keys": []}, "keys"),
        ({"kind": "accept", "keys": ["A"]}, "keys"),  # the key itself
        ({"kind": "restore"}, "kind"),  # counts already
        ({"kind": "reset"}, "kind"),  # its own key already
        ({"kind": "shuffle"}, "kind"),
        ({"kind": "drop", "reason": " "}, "reason"),
        ({"kind": "drop", "position": 99}, "item"),
    ],
)
def test_changes_that_cannot_be_made_are_refused_and_nothing_is_kept(sitting, change, field):
    arguments = {"position": 1, "reason": "Lý do.", **change}
    with pytest.raises(ValidationError) as refused:
        moderation.moderation_preview(by=board_of(sitting), sitting_id=sitting.pk, **arguments)
    assert field in refused.value.message_dict
    assert not ModerationChange.objects.exists()


def test_a_stale_preview_published_results_and_other_boards_are_refused(sitting, django_capture_on_commit_callbacks):
    board = board_of(sitting)
    first, _rows = moderation.moderation_preview(
        by=board, sitting_id=sitting.pk, position=2, kind="drop", reason="Sai."
    )
    second, _rows = moderation.moderation_preview(
        by=board, sitting_id=sitting.pk, position=2, kind="rekey", key="C", reason="Đáp án C."
    )
    with django_capture_on_commit_callbacks(execute=True):
        moderation.moderation_apply(by=board, change_id=first.pk)
    with pytest.raises(ValidationError) as stale:  # item 2 is dropped since the second preview
        moderation.moderation_apply(by=board, change_id=second.pk)
    assert "change" in stale.value.message_dict
    stranger = make_user(Role.BOARD, make_sitting(n_students=1).organisation.parent)
    with pytest.raises(PermissionDenied):
        moderation.moderation_preview(by=stranger, sitting_id=sitting.pk, position=1, kind="drop", reason="x")
    publication.publication_review(by=board, sitting_id=sitting.pk)
    with django_capture_on_commit_callbacks(execute=True):
        publication.publication_publish(by=board, sitting_id=sitting.pk)
    with pytest.raises(ValidationError) as published:
        moderation.moderation_preview(by=board, sitting_id=sitting.pk, position=1, kind="drop", reason="x")
    assert "thu hồi" in str(published.value) or "withdraw" in str(published.value)


def test_publication_needs_complete_reviewed_results_and_happens_once(sitting, django_capture_on_commit_callbacks):
    board = board_of(sitting)
    with pytest.raises(ValidationError):
        publication.publication_publish(by=board, sitting_id=sitting.pk)  # not reviewed
    Result.objects.filter(attempt__sitting=sitting).update(pending_items=1)  # as if essays awaited marks
    with pytest.raises(ValidationError) as incomplete:
        publication.publication_review(by=board, sitting_id=sitting.pk)
    assert "2" in str(incomplete.value)
    Result.objects.filter(attempt__sitting=sitting).update(pending_items=0)
    publication.publication_review(by=board, sitting_id=sitting.pk, note="Đã kiểm tra.")
    with pytest.raises(ValidationError):
        publication.publication_review(by=board, sitting_id=sitting.pk)  # reviewed already
    # a change after the review sends the results back to draft
    change, _rows = moderation.moderation_preview(
        by=board, sitting_id=sitting.pk, position=3, kind="drop", reason="Ngoài chương trình."
    )
    with django_capture_on_commit_callbacks(execute=True):
        moderation.moderation_apply(by=board, change_id=change.pk)
    assert Publication.objects.get(sitting=sitting).status == "draft"
    with pytest.raises(ValidationError):
        publication.publication_publish(by=board, sitting_id=sitting.pk)
    publication.publication_review(by=board, sitting_id=sitting.pk)
    assert publication.publication_publish(by=board, sitting_id=sitting.pk) == 2
    assert set(sitting.attempts.values_list("status", flat=True)) == {statuses.PUBLISHED}
    with pytest.raises(ValidationError):  # publishing twice
        publication.publication_publish(by=board, sitting_id=sitting.pk)
    assert publication.publication_withdraw(by=board, sitting_id=sitting.pk, reason="Phúc khảo.") == 2
    assert Publication.objects.get(sitting=sitting).status == "draft"
    moves = list(PublicationEvent.objects.values_list("from_status", "to_status"))
    assert moves == [
        ("draft", "reviewed"),
        ("reviewed", "draft"),
        ("draft", "reviewed"),
        ("reviewed", "published"),
        ("published", "draft"),
    ]


def test_the_api_shows_the_items_previews_applies_reviews_and_publishes(sitting, django_capture_on_commit_callbacks):
    from assess import scoring_runs

    board = Client()
    board.force_login(board_of(sitting))
    board.cookies["django_language"] = "vi"
    with django_capture_on_commit_callbacks(execute=True):
        scoring_runs.sitting_score_start(by=board_of(sitting), sitting_id=sitting.pk, rescore=True)
    view = board.get(f"/api/sittings/{sitting.pk}/moderation/").json()
    assert [item["position"] for item in view["items"]] == [1, 2, 3, 4, 5]
    first = view["items"][0]
    assert first["key"] == "A" and [o["id"] for o in first["options"]] == ["A", "B", "C", "D"]
    assert first["statistics"]["responses"] == 2
    bad = board.post(
        f"/api/sittings/{sitting.pk}/moderation/preview/",
        {"position": 1, "kind": "rekey", "key": "Z", "reason": "?"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["key"]
    preview = board.post(
        f"/api/sittings/{sitting.pk}/moderation/preview/",
        {"position": 1, "kind": "rekey", "key": "B", "reason": "Đáp án đúng là B."},
        content_type="application/json",
    )
    assert preview.status_code == 201
    body = preview.json()
    assert body["change"]["summary"]["changed"] == 2 and len(body["rows"]) == 2
    with django_capture_on_commit_callbacks(execute=True):
        applied = board.post(f"/api/moderation/{body['change']['id']}/apply/")
    assert applied.status_code == 200 and applied.json()["status"] == "applied"
    assert board.post(f"/api/moderation/{body['change']['id']}/apply/").status_code == 400
    publish = board.post(f"/api/sittings/{sitting.pk}/publication/publish/")
    assert publish.status_code == 400
    assert (
        board.post(f"/api/sittings/{sitting.pk}/publication/review/", {}, content_type="application/json").json()[
            "status"
        ]
        == "reviewed"
    )
    published = board.post(f"/api/sittings/{sitting.pk}/publication/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    # a teacher of the school neither sees nor changes the board's sitting
    teacher = Client()
    teacher.force_login(make_user(Role.TEACHER, sitting.organisation))
    assert teacher.get(f"/api/sittings/{sitting.pk}/moderation/").status_code == 404
    assert teacher.post(f"/api/moderation/{body['change']['id']}/apply/").status_code == 404
    student = Client()
    student.force_login(sitting.attempts.first().student)
    assert student.get(f"/api/sittings/{sitting.pk}/publication/").status_code == 403


def test_the_preview_works_through_the_sitting_in_batches_to_the_same_figures(sitting, monkeypatch):
    board = board_of(sitting)
    whole, whole_rows = moderation.moderation_preview(
        by=board, sitting_id=sitting.pk, position=1, kind="rekey", key="B", reason="Đáp án B."
    )
    monkeypatch.setattr(moderation, "BATCH", 1)  # one attempt's answers in memory at a time
    batched, batched_rows = moderation.moderation_preview(
        by=board, sitting_id=sitting.pk, position=1, kind="rekey", key="B", reason="Đáp án B."
    )
    assert batched.summary == whole.summary and batched_rows == whole_rows


def test_the_preview_names_candidates_as_everywhere_else(sitting):
    first = sitting.attempts.order_by("pk").select_related("student").first().student
    User.objects.filter(pk=first.pk).update(last_name="Nguyễn Văn", first_name="An")
    _change, rows = moderation.moderation_preview(
        by=board_of(sitting), sitting_id=sitting.pk, position=1, kind="rekey", key="B", reason="Đáp án B."
    )
    assert {row["student"]: row["name"] for row in rows}[first.username] == "Nguyễn Văn An"
