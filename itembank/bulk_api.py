"""``POST /api/items/bulk/``: one review move or sharing change for a selection of items
(thin: parse, authorise, call ``itembank.bulk.items_bulk_apply``, shape).

Body ``{"action": "submit" | "approve" | "publish" | "share", "items": [id, ...],
"visibility": "school"}`` (``visibility`` for ``share`` only). Answer 200, whatever became of
each item::

    {"action": "approve", "counts": {"done": 1, "unchanged": 0, "refused": 1},
     "results": [{"item": 12, "outcome": "done", "version": 30, "status": "approved"},
                 {"item": 13, "outcome": "refused", "code": "forbidden", "message": "...",
                  "version": 31, "status": "submitted"}]}

More than ``MAX_BULK_ITEMS`` ids: 400 ``too_many_items`` and nothing is done.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsAuthor
from config.api import error_body
from config.ids import IdField

from . import bulk
from .models import Visibility


class BulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=bulk.ACTIONS)
    items = serializers.ListField(child=IdField(), allow_empty=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False, allow_null=True, default=None)


class BulkOutcomeOutput(serializers.Serializer):
    """``itembank.bulk.BulkOutcome.as_dict``: empty fields are left out."""

    item = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=[bulk.DONE, bulk.UNCHANGED, bulk.REFUSED])
    code = serializers.CharField(required=False)
    message = serializers.CharField(required=False)
    version = serializers.IntegerField(required=False)
    status = serializers.CharField(required=False)
    visibility = serializers.CharField(required=False)


class BulkOutput(serializers.Serializer):
    action = serializers.ChoiceField(choices=bulk.ACTIONS)
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="done, unchanged, refused")
    results = BulkOutcomeOutput(many=True)


@extend_schema(request=BulkSerializer, responses={200: BulkOutput})
@api_view(["POST"])
@permission_classes([IsAuthor])
def items_bulk(request: Request) -> Response:
    items = request.data.get("items") if hasattr(request.data, "get") else None
    # Counted before anything is read or parsed further: a selection over the cap does nothing.
    if isinstance(items, list) and len(items) > bulk.MAX_BULK_ITEMS:
        message = bulk.too_many_message(len(items))
        return Response(error_body("too_many_items", message, {"items": [message]}), status=status.HTTP_400_BAD_REQUEST)
    serializer = BulkSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    outcomes = bulk.items_bulk_apply(
        by=request.user, action=data["action"], item_ids=data["items"], visibility=data["visibility"]
    )
    counts = {name: 0 for name in (bulk.DONE, bulk.UNCHANGED, bulk.REFUSED)}
    for outcome in outcomes:
        counts[outcome.outcome] += 1
    return Response(
        {"action": data["action"], "counts": counts, "results": [outcome.as_dict() for outcome in outcomes]}
    )
