"""Template questions about subjects and topics, asked of the permission layer."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.permissions import TAXONOMY_KEEPERS, scope_of

register = template.Library()


@register.filter
def keeps_taxonomy(user: Any) -> bool:
    """Whether ``user`` adds subjects and topics (the exam board, school and platform administrators)."""
    return scope_of(user).has_role(*TAXONOMY_KEEPERS)
