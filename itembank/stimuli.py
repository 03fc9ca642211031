"""Writes of shared stimuli (a passage, table, image or audio clip several items show), and
the one rule of who may change one.

Keyword-only, transactional, checked, like ``itembank.services``:

- ``stimulus_create``: owned by the author's organisation; an image or audio clip is either
  a media file of an organisation the author oversees (``POST /api/media/``) or an upload
  stored here through ``itembank.media.media_store`` (type and size checked by its bytes);
- ``stimulus_update``: by those who may change it (``user_can_edit_stimulus``), and only
  while no approved, published or retired item version uses it (``Stimulus.frozen``);
  otherwise ``StimulusFrozen``: edit a copy instead;
- ``stimulus_copy``: an editable copy of any stimulus the user may see, owned by the user's
  organisation; the media file is shared, not duplicated (files never change).

The text is sanitised (``itembank.richtext.sanitize_html``) on every write, and the model's
own checks (``Stimulus.clean``: an image needs its alternative text, the file must be of the
stimulus's kind, a passage or table needs its text) run through ``full_clean``.

An alternative text given with an existing media file fills a blank one and never replaces
one already written: the file may be shown elsewhere (``media_store`` does the same).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import AUTHORS, scope_of

from . import workflow
from .media import check_media, media_store
from .models import ItemVersion, MediaFile, Stimulus, Subject, Visibility
from .richtext import reference_problems, sanitize_html
from .selectors import can_change_shared, stimuli_visible_to, stimulus_usable_by

FILE_KINDS = (Stimulus.Kind.IMAGE, Stimulus.Kind.AUDIO)
# Fields ``stimulus_update`` changes. The subject stays: the item versions using a stimulus
# must be of its subject (``ItemVersion.clean``).
UPDATABLE = ("title", "kind", "body", "visibility", "media_id", "upload", "alt_text")
LIST_LIMIT = 100


class StimulusFrozen(ValidationError):
    """A change to a stimulus an approved version uses. The API answers 400 ``frozen``."""

    code = "frozen"

    def __init__(self) -> None:
        super().__init__(
            "An approved or published item version uses this stimulus, so it cannot change; "
            "make a copy and edit the copy.",
            code=self.code,
        )


@dataclass(frozen=True)
class Upload:
    """A file sent with the stimulus: its name as given and its bytes."""

    name: str
    data: bytes


# --- reads -----------------------------------------------------------------------------------


def user_can_edit_stimulus(user: User, stimulus: Stimulus) -> bool:
    """Whether the user may change the stimulus (frozen or not): the rule of items
    (``itembank.selectors.can_change_shared``), with the creator as the author."""
    return can_change_shared(
        scope_of(user), owner_id=stimulus.owner_id, visibility=stimulus.visibility, author_id=stimulus.created_by_id
    )


def stimuli_listed(user: User, *, subject: Subject | None = None, q: str = "") -> QuerySet[Stimulus]:
    """The stimuli the user may see, newest first, annotated with ``used_by`` (item versions
    using each) and ``is_frozen``; at most ``LIST_LIMIT``."""
    found = stimuli_visible_to(user).select_related("owner")
    if subject is not None:
        found = found.filter(subject=subject)
    q = q.strip()
    if q:
        found = found.filter(Q(title__icontains=q) | Q(body__icontains=q))
    frozen = ItemVersion.objects.filter(stimulus=OuterRef("pk"), status__in=workflow.FROZEN)
    return found.annotate(used_by=Count("versions", distinct=True), is_frozen=Exists(frozen)).order_by(
        "-created_at", "-id"
    )[:LIST_LIMIT]


def stimuli_editable_ids(user: User, stimuli: list[Stimulus]) -> set[int]:
    """Which of ``stimuli`` the user may change (frozen or not), with no query per row."""
    return {s.pk for s in stimuli if user_can_edit_stimulus(user, s)}


# --- writes ----------------------------------------------------------------------------------


def _check_author(user: User) -> int:
    """The organisation the user's new stimuli belong to; refuse those who have no bank."""
    scope = scope_of(user)
    if not scope.has_role(*AUTHORS):
        raise PermissionDenied(_("Only teachers and the exam board use the item bank."))
    if user.organisation_id is None:
        raise ValidationError({"owner": _("A stimulus belongs to an organisation, and you have none.")})
    if not scope.oversees(user.organisation_id):
        raise PermissionDenied(_("You may not author for this organisation."))
    return user.organisation_id


def _media(
    *,
    by: User,
    owner_id: int,
    kind: str,
    media_id: uuid.UUID | str | None,
    upload: Upload | None,
    alt_text: str,
) -> MediaFile | None:
    """The file of an image or audio stimulus: an existing one the user may use, or the upload."""
    if media_id is not None and upload is not None:
        raise ValidationError({"file": "Send a file or the id of a stored one, not both."})
    if kind not in FILE_KINDS:
        if media_id is not None or upload is not None:
            raise ValidationError({"media": "A passage or table has no file; choose the image or audio kind."})
        return None
    alt_text = alt_text.strip()
    if upload is not None:
        # Checked before storing, so that a refused stimulus leaves no file behind.
        content_type = check_media(upload.data, upload.name)
        if not content_type.startswith(f"{kind}/"):
            raise ValidationError({"file": f"{upload.name}: the file is not of the stimulus's kind ({kind})."})
        if kind == Stimulus.Kind.IMAGE and not alt_text:
            raise ValidationError({"alt_text": "Describe the image for students who cannot see it."})
        return media_store(by=by, owner_id=owner_id, name=upload.name, data=upload.data, alt_text=alt_text)
    if media_id is None:
        return None
    media = MediaFile.objects.filter(pk=media_id).first()
    if media is None or not scope_of(by).oversees(media.owner_id):
        raise ValidationError({"media": "No such media file of your organisation."})
    _describe(by=by, media=media, alt_text=alt_text)
    return media


def _describe(*, by: User, media: MediaFile, alt_text: str) -> None:
    """Fill a blank alternative text of a file the user's organisation holds; never replace one."""
    alt_text = alt_text.strip()[:500]
    if alt_text and not media.alt_text and scope_of(by).oversees(media.owner_id):
        MediaFile.objects.filter(pk=media.pk).update(alt_text=alt_text)
        media.alt_text = alt_text


def _body(text: str | None) -> str:
    """The text as stored: sanitised, refused if it would load anything but the bank's media."""
    problems = reference_problems(text or "")
    if problems:
        raise ValidationError({"body": problems})
    return sanitize_html(text or "")


@transaction.atomic
def stimulus_create(
    *,
    by: User,
    subject: Subject,
    title: str,
    kind: str,
    body: str = "",
    visibility: str = Visibility.SCHOOL,
    media_id: uuid.UUID | str | None = None,
    upload: Upload | None = None,
    alt_text: str = "",
) -> Stimulus:
    """Create a stimulus owned by the author's organisation."""
    owner_id = _check_author(by)
    stimulus = Stimulus(
        owner_id=owner_id,
        subject=subject,
        title=title.strip(),
        kind=kind,
        body=_body(body),
        visibility=visibility,
        created_by=by,
    )
    stimulus.media = _media(by=by, owner_id=owner_id, kind=kind, media_id=media_id, upload=upload, alt_text=alt_text)
    stimulus.full_clean()
    stimulus.save()
    return stimulus


@transaction.atomic
def stimulus_update(*, by: User, stimulus_id: int, **changes: Any) -> Stimulus:
    """Change a stimulus nothing approved uses yet; ``changes`` takes ``UPDATABLE``."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    stimulus = Stimulus.objects.select_for_update(of=("self",)).select_related("media").get(pk=stimulus_id)
    if not user_can_edit_stimulus(by, stimulus):
        raise PermissionDenied("You may not change this stimulus; make a copy of it.")
    if stimulus.frozen:
        raise StimulusFrozen()
    if "title" in changes:
        stimulus.title = changes["title"].strip()
    if "body" in changes:
        stimulus.body = _body(changes["body"])
    if "visibility" in changes:
        stimulus.visibility = changes["visibility"]
    kind = changes.get("kind", stimulus.kind)
    media_id, upload = changes.get("media_id"), changes.get("upload")
    alt_text = changes.get("alt_text", "")
    if media_id is not None or upload is not None:
        stimulus.media = _media(
            by=by, owner_id=stimulus.owner_id, kind=kind, media_id=media_id, upload=upload, alt_text=alt_text
        )
    elif kind not in FILE_KINDS:
        stimulus.media = None  # became a passage or table: the file goes
    elif stimulus.media is not None:
        _describe(by=by, media=stimulus.media, alt_text=alt_text)
    stimulus.kind = kind
    stimulus.full_clean()
    stimulus.save()
    return stimulus


@transaction.atomic
def stimulus_copy(*, by: User, stimulus_id: int, title: str | None = None, visibility: str | None = None) -> Stimulus:
    """An editable copy, owned by the user's organisation, of a stimulus the user may see.

    The copy is shared with the school unless the original was private (then it stays so)
    or ``visibility`` says otherwise.
    """
    owner_id = _check_author(by)
    original = Stimulus.objects.select_related("media").get(pk=stimulus_id)
    if not stimulus_usable_by(by, original):
        raise PermissionDenied("You may not use this stimulus.")
    if visibility is None:
        visibility = Visibility.PRIVATE if original.visibility == Visibility.PRIVATE else Visibility.SCHOOL
    copy = Stimulus(
        owner_id=owner_id,
        subject_id=original.subject_id,
        title=(title or original.title).strip(),
        kind=original.kind,
        body=original.body,
        media=original.media,
        visibility=visibility,
        created_by=by,
    )
    copy.full_clean()
    copy.save()
    return copy
