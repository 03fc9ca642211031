"""Serving the bank's media files to signed-in users."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from .models import MediaFile


@require_GET
@login_required
def media(request, media_id):
    """One image or audio clip, by its unguessable id (the id in the item text is the capability).

    Students reach media only through a form's text they were given; staff through the bank.
    """
    try:
        stored = MediaFile.objects.get(pk=media_id)
        handle = stored.file.open("rb")
    except (MediaFile.DoesNotExist, FileNotFoundError):
        raise Http404("No such media file.") from None
    response = FileResponse(handle, content_type=stored.content_type)
    response["Content-Length"] = str(stored.size)
    response["Cache-Control"] = "private, max-age=86400, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
