"""The rules of the records as the site sets them: Circular 22's level thresholds and
continuous counts for secondary grades, Circular 27's policy for primary grades, each a
``scoring.grades`` policy object built from the settings (``RECORDS_*``)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from scoring import grades


@lru_cache(maxsize=1)
def level_policy() -> grades.Policy:
    return grades.Policy(**settings.RECORDS_LEVEL_POLICY)


@lru_cache(maxsize=1)
def primary_policy() -> grades.PrimaryPolicy:
    return grades.PrimaryPolicy(**settings.RECORDS_PRIMARY_POLICY)


def is_primary(grade: int) -> bool:
    return grade in settings.RECORDS_PRIMARY_GRADES


def continuous_required(periods: int) -> int:
    return grades.continuous_count(periods, settings.RECORDS_CONTINUOUS_COUNTS)


def clear() -> None:
    """Forget the policies built (a test that changes the settings calls it)."""
    level_policy.cache_clear()
    primary_policy.cache_clear()
