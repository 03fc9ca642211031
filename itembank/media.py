"""Media files of the bank: checked by what they are, not by what they are called.

A file is accepted when its first bytes are those of an allowed type (PNG, JPEG, GIF, WebP
images; MP3, Ogg, WAV, M4A audio) and its size is within the type's limit
(``MEDIA_IMAGE_MAX_BYTES``, ``MEDIA_AUDIO_MAX_BYTES``). SVG is refused: it can carry script.
The same bytes stored twice by one organisation are stored once. The importers' checks of
extension against bytes live in ``interchange.media``; this is the one sniffer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import AUTHORS, scope_of

from .interchange.media import safe_name, sniff
from .models import MediaFile

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
AUDIO_TYPES = ("audio/mpeg", "audio/ogg", "audio/wav", "audio/mp4")


def check_media(data: bytes, name: str) -> str:
    """Return the media type of ``data``, or raise ValidationError saying why it is refused."""
    kind = sniff(data)
    if kind not in IMAGE_TYPES + AUDIO_TYPES:
        raise ValidationError(
            {"file": f"{name}: not an image (PNG, JPEG, GIF, WebP) or audio clip (MP3, Ogg, WAV, M4A)."}
        )
    limit = settings.MEDIA_IMAGE_MAX_BYTES if kind.startswith("image/") else settings.MEDIA_AUDIO_MAX_BYTES
    if len(data) > limit:
        raise ValidationError({"file": f"{name}: {len(data)} bytes; the limit for this kind is {limit} bytes."})
    if not data:
        raise ValidationError({"file": f"{name}: the file is empty."})
    return kind


def media_store(*, by: User, owner_id: int, name: str, data: bytes, alt_text: str = "") -> MediaFile:
    """Check and store one file for an organisation; the same bytes again give the stored file."""
    scope = scope_of(by)
    if not scope.has_role(*AUTHORS) or not scope.oversees(owner_id):
        raise PermissionDenied(_("You may not add media for this organisation."))
    kind = check_media(data, name)
    digest = hashlib.sha256(data).hexdigest()
    existing = MediaFile.objects.filter(owner_id=owner_id, sha256=digest).first()
    if existing is not None:
        if alt_text and not existing.alt_text:
            MediaFile.objects.filter(pk=existing.pk).update(alt_text=alt_text[:500])
            existing.alt_text = alt_text[:500]
        return existing
    media = MediaFile(
        owner_id=owner_id,
        name=safe_name(name, ()),
        content_type=kind,
        size=len(data),
        sha256=digest,
        alt_text=alt_text[:500],
        created_by=by,
    )
    media.file.save(media.name, ContentFile(data), save=False)
    media.save()
    return media


# Item text points at a bank file (or, inside an import, at a file of the import) as media:NAME.
_MEDIA_SRC = re.compile(r'(src=")media:([^"]+)(")')


def map_texts(document: Any, change: Callable[[str], str]) -> Any:
    """A copy of a content document with ``change`` applied to every string in it."""
    if isinstance(document, str):
        return change(document)
    if isinstance(document, list):
        return [map_texts(part, change) for part in document]
    if isinstance(document, dict):
        return {key: map_texts(part, change) for key, part in document.items()}
    return document


def media_refs(document: Any) -> set[str]:
    """The NAMEs of every ``src="media:NAME"`` in a content document."""
    names: set[str] = set()
    map_texts(document, lambda text: names.update(m.group(2) for m in _MEDIA_SRC.finditer(text)) or text)
    return names


def rename_media(document: Any, names: dict[str, str]) -> Any:
    """A copy of a content document whose ``media:NAME`` sources read ``media:names[NAME]``
    (names not in ``names`` stay as they are)."""
    return map_texts(
        document,
        lambda text: _MEDIA_SRC.sub(
            lambda m: f"{m.group(1)}media:{names.get(m.group(2), m.group(2))}{m.group(3)}", text
        ),
    )
