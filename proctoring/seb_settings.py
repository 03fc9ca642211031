"""A sitting's Safe Exam Browser requirement, and its enforcement on the exam page and at the
exam websocket's handshake (the rule itself: ``proctoring.seb``, Django-free).

When a sitting requires SEB, a candidate's exam page and websocket are served only to a
request whose SEB headers match one of the sitting's keys for the URL requested. A refusal is
kept (``Refusal``, code ``seb_<reason>``: a forged or missing header is evidence) and
answered with a message saying what to do. A sitting that requires SEB needs at least one key:
without one nothing could be checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from assess.models import Attempt, Sitting
from assess.sittings import require_runner

from . import gate, seb
from .models import Refusal, SebSettings

MAX_KEYS = 20
_KEY = re.compile(r"^[0-9a-f]{64}$")


def of(sitting_id: int) -> SebSettings:
    """The sitting's settings (not required, no keys, when never set)."""
    found = SebSettings.objects.filter(sitting_id=sitting_id).first()
    return found if found is not None else SebSettings(sitting_id=sitting_id)


def _keys(values: Sequence[str], field: str) -> list[str]:
    keys: list[str] = []
    for value in values:
        key = value.strip().lower()
        if not _KEY.match(key):
            raise ValidationError(
                {field: [_("A key is 64 hexadecimal characters (0-9, a-f): %(key)s") % {"key": value[:70]}]}
            )
        if key not in keys:
            keys.append(key)
    return keys


@transaction.atomic
def save(
    *, by: User, sitting: Sitting, required: bool, config_keys: Sequence[str], browser_exam_keys: Sequence[str]
) -> SebSettings:
    """Set whether the sitting requires SEB and its keys (the sitting's board)."""
    require_runner(by, sitting)
    config = _keys(config_keys, "config_keys")
    browser = _keys(browser_exam_keys, "browser_exam_keys")
    if len(config) > MAX_KEYS or len(browser) > MAX_KEYS:
        raise ValidationError({"config_keys": [_("At most %(max)d keys of each kind.") % {"max": MAX_KEYS}]})
    if required and not (config or browser):
        raise ValidationError(
            {
                "config_keys": [
                    _("Give at least one Config Key or Browser Exam Key: without one nothing can be checked.")
                ]
            }
        )
    settings_, _created = SebSettings.objects.update_or_create(
        sitting=sitting,
        defaults={
            "required": required,
            "config_keys": config,
            "browser_exam_keys": browser,
            "updated_by": by,
            "updated_at": timezone.now(),
        },
    )
    return settings_


def refusal(attempt: Attempt, *, url: str, headers: Mapping[str, str], address: str | None) -> str | None:
    """The message refusing this request of the candidate's exam page or websocket, or None.

    Kept as a ``Refusal`` (code ``seb_missing_header``, ``seb_wrong_config_key`` or
    ``seb_wrong_browser_exam_key``) when refused."""
    found = SebSettings.objects.filter(sitting_id=attempt.sitting_id, required=True).first()
    if found is None:
        return None
    verdict = seb.verify(url, headers, config_keys=found.config_keys, browser_exam_keys=found.browser_exam_keys)
    if verdict.ok:
        return None
    Refusal.objects.create(
        user_id=attempt.student_id,
        attempt_id=attempt.pk,
        room_id=attempt.room_id,
        code=f"seb_{verdict.reason}",
        address=gate.ip(address),
        detail=f"{verdict.header}: {url}"[:300],
    )
    if verdict.reason == seb.MISSING_HEADER:
        return _("This exam opens only in Safe Exam Browser: open it with the configuration file the school gave you.")
    return _("This Safe Exam Browser's configuration is not the one this exam allows: ask the proctor.")


def socket_refusal(
    *, attempt_id: int, user_id: int, url: str, headers: Mapping[str, str], address: str | None
) -> str | None:
    """``refusal`` for the exam websocket's handshake, checked before the connection takes the
    attempt over (a refused browser never steps another down): one query when the sitting does
    not require SEB. An attempt that is not the user's is left to the connection's own checks."""
    if not SebSettings.objects.filter(
        required=True, sitting__attempts__pk=attempt_id, sitting__attempts__student_id=user_id
    ).exists():
        return None
    attempt = Attempt.objects.only("sitting_id", "student_id", "room_id").get(pk=attempt_id)
    return refusal(attempt, url=url, headers=headers, address=address)
