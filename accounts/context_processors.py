"""What the navigation may offer the person viewing a page: asked of the permission layer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .permissions import (
    ASSESSORS,
    AUTHORS,
    BOARD,
    CLASS_READERS,
    PROCTORS,
    ROOM_KEEPERS,
    STUDENTS,
    UNLOCKERS,
    can_use_admin,
    scope_of,
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    scope = scope_of(getattr(request, "user", None))
    return {
        "can": {
            "bank": scope.has_role(*AUTHORS),
            "assess": scope.has_role(*ASSESSORS),
            "board": scope.has_role(*BOARD),
            "people": scope.has_role(*CLASS_READERS),
            "unlock": scope.has_role(*UNLOCKERS),
            "proctor": scope.has_role(*PROCTORS),  # the rooms one watches on exam day
            "rooms": scope.has_role(*ROOM_KEEPERS),  # labs and their seat maps
            "admin": can_use_admin(scope),
            "marking": scope.has_role(*AUTHORS),  # teachers and boards mark essays
            "records": scope.has_role(*CLASS_READERS),  # gradebooks, class records, subject rules
            "my_record": scope.has_role(*STUDENTS) and not scope.is_admin,  # a student's own results
        }
    }
