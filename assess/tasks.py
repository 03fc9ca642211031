"""Celery tasks of delivery: thin, idempotent, taking ids (the services hold the logic)."""

from __future__ import annotations

from celery import shared_task

from . import services, sittings


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def attempt_score_task(attempt_id: int) -> str:
    """Score a submitted attempt and write the student's record entry (safe to repeat)."""
    result = services.attempt_score(attempt_id=attempt_id)
    return "scored" if result is not None else "skipped"


@shared_task(acks_late=True)
def attempts_submit_expired_task() -> int:
    """Submit every running attempt whose deadline has passed (Celery beat runs this)."""
    return services.attempts_submit_expired()


@shared_task(acks_late=True)
def attempts_score_stranded_task() -> int:
    """Queue again the scoring of submitted attempts whose task was lost (beat)."""
    return services.attempts_score_stranded()


@shared_task(acks_late=True)
def sittings_release_due_task() -> int:
    """Publish assignment results whose window has closed, by their feedback policy (beat)."""
    return sittings.sittings_release_due()
