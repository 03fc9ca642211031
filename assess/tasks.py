"""Celery tasks of delivery: thin, idempotent, taking ids (the services hold the logic)."""

from __future__ import annotations

from celery import shared_task

from . import scoring_runs, services, sittings


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


@shared_task(acks_late=True)
def scoring_chunk_run_task(chunk_id: int) -> str:
    """Score one chunk of a sitting's scoring run (a repeat, or a chunk held by another live
    worker, is skipped)."""
    return scoring_runs.scoring_chunk_run(chunk_id=chunk_id, worker=scoring_runs.worker_name())


@shared_task(acks_late=True)
def scoring_run_finish_task(run_id: int) -> str:
    """Finish a scoring run whose chunks have all ended: its item analysis (safe to repeat)."""
    return scoring_runs.scoring_run_finish(run_id=run_id)


@shared_task(acks_late=True)
def scoring_runs_sweep_task() -> int:
    """Chunks whose worker died, runs to finish, exam sittings closed and not scored (beat)."""
    return scoring_runs.scoring_runs_sweep()
