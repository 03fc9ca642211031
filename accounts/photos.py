"""Students' photos, for proctors checking candidates in on exam day.

A school's administrator uploads a student's photo (:func:`photo_store`); what is kept is not
the upload but a new JPEG made from it (:func:`photo_normalise`): turned upright as its EXIF
orientation says, at most ``PHOTO_MAX_SIDE`` pixels on its long side, quality
``PHOTO_QUALITY``, with no metadata (no EXIF: no GPS position, camera or date). Only JPEG, PNG
and WebP uploads of at most ``settings.PHOTO_MAX_BYTES`` are read, and none of more than
``PHOTO_MAX_PIXELS`` pixels (a small file can unpack into a huge image).

Files live under ``MEDIA_ROOT/photos/<year>/``, never served as a folder: only through
``GET /api/people/<id>/photo/`` to those ``accounts.permissions.may_see_photo`` lets see it.
"""

from __future__ import annotations

import io
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Role, User
from .permissions import may_see_photo, require_school_admin

PHOTO_MAX_SIDE = 600
PHOTO_QUALITY = 85
PHOTO_MAX_PIXELS = 50_000_000
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")


def photo_check_size(size: int) -> None:
    """Refuse an upload by its size alone (before it is read): empty, or over the limit."""
    if size <= 0:
        raise ValidationError({"file": _("The file is empty.")}, code="empty")
    limit = settings.PHOTO_MAX_BYTES
    if size > limit:
        raise ValidationError(
            {"file": _("The photo is larger than %(mb)s MB.") % {"mb": f"{limit / 2**20:g}"}}, code="too_large"
        )


def photo_normalise(data: bytes) -> bytes:
    """The JPEG kept for an uploaded image: upright, at most ``PHOTO_MAX_SIDE`` px on its long
    side, RGB (transparency on white), no metadata. ``ValidationError`` (field ``file``) for
    bytes that are not a JPEG, PNG or WebP image Pillow can read, or too many pixels."""
    from PIL import Image, ImageOps

    photo_check_size(len(data))
    not_an_image = ValidationError(
        {"file": _("Not a photo that can be read: send a JPEG, PNG or WebP image.")}, code="not_an_image"
    )
    too_many_pixels = ValidationError(
        {
            "file": _("The photo has too many pixels: at most %(megapixels)d million.")
            % {"megapixels": PHOTO_MAX_PIXELS // 1_000_000}
        },
        code="too_many_pixels",
    )
    try:
        image = Image.open(io.BytesIO(data), formats=PHOTO_FORMATS)
        width, height = image.size
        if width * height > PHOTO_MAX_PIXELS:
            raise too_many_pixels
        # A JPEG is decoded at the smallest scale still larger than needed (1/2 to 1/8).
        image.draft("RGB", (PHOTO_MAX_SIDE * 2, PHOTO_MAX_SIDE * 2))
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            image = image.convert("RGBA")
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        elif image.mode != "RGB":
            image = image.convert("RGB")
        image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        # No exif=, icc_profile= or comment=: the file kept carries none of the upload's metadata.
        image.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for bad input: a message, never a crash
        raise not_an_image from None
    return out.getvalue()


def _managed_student(by: User, user_id: int) -> User:
    """The student ``user_id``, locked, if ``by`` is a school's administrator overseeing them.

    ``PermissionDenied`` for anyone else (before the person is looked at); ``User.DoesNotExist``
    for a person out of their reach (as a 404); ``PermissionDenied`` for one who is no student.
    """
    scope = require_school_admin(by)
    person = User.objects.select_for_update().get(pk=user_id)
    if person.is_superuser or not scope.oversees(person.organisation_id):
        raise User.DoesNotExist
    if person.role != Role.STUDENT:
        raise PermissionDenied(_("Only students have a photo, for check-in on exam day."))
    return person


def _delete_on_commit(name: str) -> None:
    """Delete a replaced file once the change is committed (a rollback keeps it in use)."""
    if name:
        storage = User._meta.get_field("photo").storage
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def photo_store(*, by: User, user_id: int, data: bytes) -> None:
    """Keep ``data`` (an uploaded image), re-encoded, as the student's photo, replacing theirs.

    Only a school's administrator overseeing the student (or a platform administrator)."""
    person = _managed_student(by, user_id)
    encoded = photo_normalise(data)
    old = person.photo.name
    person.photo.save(f"{person.pk}-{secrets.token_hex(4)}.jpg", ContentFile(encoded), save=False)
    person.photo_updated_at = timezone.now()
    person.save(update_fields=["photo", "photo_updated_at"])
    _delete_on_commit(old)


@transaction.atomic
def photo_delete(*, by: User, user_id: int) -> None:
    """Remove the student's photo, if they have one (again: nothing happens)."""
    person = _managed_student(by, user_id)
    if not person.photo:
        return
    old = person.photo.name
    person.photo = ""
    person.photo_updated_at = None
    person.save(update_fields=["photo", "photo_updated_at"])
    _delete_on_commit(old)


def photo_of(*, viewer: User, user_id: int) -> tuple[User, File]:
    """The student and their photo file, open for reading, if ``viewer`` may see it.

    ``User.DoesNotExist`` when there is none, the file is gone, or the viewer may not see it:
    a photo one may not see does not exist."""
    person = User.objects.get(pk=user_id)
    if not person.photo or not may_see_photo(viewer, person):
        raise User.DoesNotExist
    try:
        handle = person.photo.open("rb")
    except FileNotFoundError:
        raise User.DoesNotExist from None
    return person, handle
