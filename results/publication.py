"""A sitting's results on their way to the students: draft -> reviewed -> published.

    draft --review--> reviewed --publish--> published
      ^                  |                      |
      +-- a change ------+                      |
      +------------------------ withdraw -------+

The board reviews the results once they are complete: every handed-in attempt scored, no
response awaiting a marker, no scoring run going on. Publishing needs that review, and the
results still complete; it releases them to the students and their records
(``assess.sittings.sitting_release``). A moderation change after the review sends the results
back to draft; publishing twice, or before the review, is refused. Every move is kept
(``PublicationEvent``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from assess import scoring_runs, sittings, statuses
from assess.models import Result, Sitting
from assess.sittings import require_runner

from .models import Publication, PublicationEvent

MAX_REASON = 500


def _publication(sitting: Sitting, *, lock: bool = False) -> Publication:
    publication, _created = Publication.objects.get_or_create(sitting=sitting)
    if lock:
        publication = Publication.objects.select_for_update().get(pk=publication.pk)
    return publication


def _move(publication: Publication, to: str, *, by: User | None, reason: str = "", **detail: Any) -> None:
    PublicationEvent.objects.create(
        publication=publication, from_status=publication.status, to_status=to, by=by, reason=reason, detail=detail
    )
    publication.status = to


def readiness(sitting: Sitting) -> dict[str, int]:
    """What keeps the results from being complete: attempts handed in but not scored, results
    awaiting marks, scoring runs going on; and how many results there are."""
    attempts = sitting.attempts
    return {
        "unscored": attempts.filter(status=statuses.SUBMITTED).count(),
        "awaiting_marks": Result.objects.filter(attempt__sitting=sitting, pending_items__gt=0).count(),
        "running": scoring_runs.running(sitting).count(),
        "results": Result.objects.filter(
            attempt__sitting=sitting, attempt__status__in=(statuses.SCORED, statuses.PUBLISHED)
        ).count(),
    }


def _check_complete(sitting: Sitting) -> None:
    ready = readiness(sitting)
    problems = []
    if ready["unscored"]:
        problems.append(_("%(n)d handed-in attempts are not scored yet.") % {"n": ready["unscored"]})
    if ready["awaiting_marks"]:
        problems.append(_("%(n)d results await their marks.") % {"n": ready["awaiting_marks"]})
    if ready["running"]:
        problems.append(_("The sitting is being scored: wait for the run to finish."))
    if not ready["results"]:
        problems.append(_("There is no result to publish."))
    if problems:
        raise ValidationError({"sitting": problems})


@transaction.atomic
def publication_review(*, by: User, sitting_id: int, note: str = "") -> Publication:
    """The board has checked the complete results: they may be published."""
    sitting = Sitting.objects.select_for_update().get(pk=sitting_id)
    require_runner(by, sitting)
    publication = _publication(sitting, lock=True)
    if publication.status == Publication.Status.PUBLISHED:
        raise ValidationError({"sitting": [_("The results are published already.")]})
    if publication.status == Publication.Status.REVIEWED:
        raise ValidationError({"sitting": [_("The results are reviewed already: publish them.")]})
    _check_complete(sitting)
    _move(publication, Publication.Status.REVIEWED, by=by, reason=note.strip()[:MAX_REASON])
    publication.reviewed_by, publication.reviewed_at = by, timezone.now()
    publication.save()
    return publication


@transaction.atomic
def publication_publish(*, by: User, sitting_id: int) -> int:
    """Release the reviewed results to the students and their records; how many."""
    sitting = Sitting.objects.select_for_update().get(pk=sitting_id)
    require_runner(by, sitting)
    publication = _publication(sitting, lock=True)
    if publication.status == Publication.Status.PUBLISHED:
        raise ValidationError({"sitting": [_("The results are published already.")]})
    if publication.status != Publication.Status.REVIEWED:
        raise ValidationError({"sitting": [_("Review the results before publishing them.")]})
    _check_complete(sitting)
    released = sittings.sitting_release(by=by, sitting_id=sitting.pk)
    _move(publication, Publication.Status.PUBLISHED, by=by, released=released)
    publication.published_by, publication.published_at = by, timezone.now()
    publication.save()
    return released


@transaction.atomic
def publication_withdraw(*, by: User, sitting_id: int, reason: str) -> int:
    """Take published results back from the students (a reason is kept); back to draft."""
    sitting = Sitting.objects.select_for_update().get(pk=sitting_id)
    require_runner(by, sitting)
    publication = _publication(sitting, lock=True)
    if publication.status != Publication.Status.PUBLISHED:
        raise ValidationError({"sitting": [_("The results are not published.")]})
    withdrawn = sittings.sitting_withdraw(by=by, sitting_id=sitting.pk, reason=reason)
    _move(publication, Publication.Status.DRAFT, by=by, reason=reason.strip()[:MAX_REASON], withdrawn=withdrawn)
    publication.note = reason.strip()[:MAX_REASON]
    publication.save()
    return withdrawn


def back_to_draft(sitting: Sitting, *, by: User | None, reason: str) -> None:
    """Reviewed results changed (a moderation): they need reviewing again."""
    publication = Publication.objects.select_for_update().filter(sitting=sitting).first()
    if publication is None or publication.status != Publication.Status.REVIEWED:
        return
    _move(publication, Publication.Status.DRAFT, by=by, reason=reason[:MAX_REASON])
    publication.note = reason[:MAX_REASON]
    publication.save()


def publication_data(sitting: Sitting) -> dict[str, Any]:
    """The publication's status, what keeps it from completion, and its history."""
    publication = Publication.objects.filter(sitting=sitting).first()
    events = list(publication.events.select_related("by")) if publication else []
    return {
        "status": publication.status if publication else Publication.Status.DRAFT,
        "note": publication.note if publication else "",
        "readiness": readiness(sitting),
        "events": [
            {
                "from": event.from_status,
                "to": event.to_status,
                "by": event.by.username if event.by else None,
                "reason": event.reason,
                "detail": event.detail,
                "at": event.at.isoformat(),
            }
            for event in events
        ],
    }
