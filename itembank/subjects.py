"""Subjects and their topic trees: every write, checked and transactional, and the two reads
the pages and the API show.

Subjects and topics are one vocabulary for every organisation: items, stimuli and blueprints
are shared across schools and departments, and an import finds a subject by its name or code
anywhere. So everyone who uses the bank reads all of them, and a change reaches everyone:

- the exam board, school administrators and platform administrators
  (``accounts.permissions.TAXONOMY_KEEPERS``) add subjects and topics; what they add is kept
  by their organisation (``owner``);
- renaming, moving and deleting are for those who oversee the keeping organisation, and the
  platform's own list (``owner`` None: the subjects and topics from before, the demo's) for
  administrators only (``accounts.permissions.can_change_taxonomy``);
- teachers read; students and proctors see nothing.

The rules of the vocabulary, checked here whoever calls:

- no two subjects share a name or code as an import compares them (ignoring case, accents
  and spacing: ``itembank.textsearch.search_key``), so a file's ``Địa lí`` names one subject;
- a code is lower-case letters, digits and hyphens (``dia-li``); left empty, it is made from
  the name;
- a topic's parent is a topic of the same subject, never the topic itself or one of its
  descendants (the tree stays a tree), and no two topics under one parent share a name
  (ignoring case);
- a topic is deleted only when nothing uses it: no subtopics, no items, no blueprint cells.

Topic writes lock the subject's row first, so two moves in one subject run one after the
other and cannot make a cycle between them.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, ProtectedError, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import TAXONOMY_KEEPERS, TAXONOMY_READERS, Scope, can_change_taxonomy, require, scope_of

from .models import Item, Subject, Topic
from .textsearch import search_key

CODE_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CODE_MAX = Subject._meta.get_field("code").max_length
NAME_MAX = 200

_KEEP = object()
"""``topic_update``'s ``parent_id`` when the topic stays where it is."""


# --- reads ---------------------------------------------------------------------------------


def subjects_for(user: User) -> QuerySet[Subject]:
    """Every subject, with its keeper and number of topics (one query); none for other roles."""
    if not scope_of(user).has_role(*TAXONOMY_READERS):
        return Subject.objects.none()
    return Subject.objects.select_related("owner").annotate(topic_count=Count("topics")).order_by("name", "pk")


def topics_of(user: User, subject: Subject) -> QuerySet[Topic]:
    """The subject's topics, flat (``parent`` gives the tree), with what uses each (one query)."""
    if not scope_of(user).has_role(*TAXONOMY_READERS):
        return Topic.objects.none()
    return (
        Topic.objects.filter(subject=subject)
        .select_related("owner")
        .annotate(
            item_count=Count("items", distinct=True),
            blueprint_count=Count("blueprint_cells__part__blueprint", distinct=True),
        )
        .order_by("name", "pk")
    )


def keeper_name(owner: Any) -> str:
    """Who keeps a subject or topic, for people: the organisation, or "" for the platform's list."""
    return owner.name if owner is not None else ""


# --- checks --------------------------------------------------------------------------------


def _require_keeper(scope: Scope) -> None:
    require(
        scope.has_role(*TAXONOMY_KEEPERS),
        _("Only the exam board and school administrators manage subjects and topics."),
    )


def _require_change(scope: Scope, owner_id: int | None) -> None:
    _require_keeper(scope)
    if owner_id is None:
        require(scope.is_admin, _("This is on the platform's own list: only an administrator changes it."))
    require(
        can_change_taxonomy(scope, owner_id=owner_id),
        _(
            "Another organisation added this: only its exam board, its school administrators or an administrator change it."
        ),
    )


def _clean_name(value: object, field: str = "name") -> str:
    name = " ".join(str(value or "").split())
    if not name:
        raise ValidationError({field: [_("Give a name.")]})
    if len(name) > NAME_MAX:
        raise ValidationError({field: [_("A name has at most %(max)s characters.") % {"max": NAME_MAX}]})
    return name


def _code_from_name(name: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", search_key(name)))[:CODE_MAX].strip("-")


def _clean_code(value: object, name: str) -> str:
    code = str(value or "").strip().lower()
    if not code:
        code = _code_from_name(name)
        if not code:
            raise ValidationError({"code": [_("Give a code: lower-case letters, digits and hyphens, such as dia-li.")]})
    if len(code) > CODE_MAX or not CODE_PATTERN.fullmatch(code):
        raise ValidationError(
            {
                "code": [
                    _("A code is at most %(max)s lower-case letters, digits and hyphens, such as dia-li.")
                    % {"max": CODE_MAX}
                ]
            }
        )
    return code


def _check_subject_unique(*, name: str, code: str, code_from_name: bool, exclude_id: int | None = None) -> None:
    """No other subject whose name or code an import would confuse with these.

    A clash of a code made from the name is the name's (the person typed no code).
    """
    others = Subject.objects.exclude(pk=exclude_id) if exclude_id else Subject.objects.all()
    errors: dict[str, list[str]] = {}
    for other in others.only("pk", "code", "name"):
        keys = {search_key(other.name), search_key(other.code)}
        message = _("The subject %(subject)s already has this name or code.") % {
            "subject": f"{other.name} ({other.code})"
        }
        clashes = []
        if search_key(name) in keys:
            clashes.append("name")
        if code == other.code or search_key(code) in keys:
            clashes.append("name" if code_from_name else "code")
        for field in dict.fromkeys(clashes):
            errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)


def _clean_kind(value: object) -> str:
    if value not in Topic.Kind.values:
        raise ValidationError({"kind": [_("The kind is one of: %(kinds)s.") % {"kinds": ", ".join(Topic.Kind.values)}]})
    return str(value)


def _lock_subject(subject_id: int) -> Subject:
    try:
        return Subject.objects.select_for_update().get(pk=subject_id)
    except Subject.DoesNotExist:
        raise Subject.DoesNotExist(_("No such subject.")) from None


def _parent_in(subject: Subject, parent_id: int | None) -> Topic | None:
    if parent_id is None:
        return None
    parent = Topic.objects.filter(pk=parent_id).first()
    if parent is None:
        raise ValidationError({"parent": [_("No such topic.")]})
    if parent.subject_id != subject.pk:
        raise ValidationError({"parent": [_("The parent topic belongs to another subject.")]})
    return parent


def _check_sibling_name(subject: Subject, parent: Topic | None, name: str, exclude_id: int | None = None) -> None:
    siblings = Topic.objects.filter(subject=subject, parent=parent)
    if exclude_id:
        siblings = siblings.exclude(pk=exclude_id)
    wanted = name.casefold()
    if any(" ".join(other.split()).casefold() == wanted for other in siblings.values_list("name", flat=True)):
        raise ValidationError({"name": [_("A topic of this name is already there.")]})


# --- subjects ------------------------------------------------------------------------------


@transaction.atomic
def subject_create(*, by: User, name: str, code: str = "") -> Subject:
    """Add a subject, kept by the adder's organisation; ``code`` empty: made from the name."""
    _require_keeper(scope_of(by))
    name = _clean_name(name)
    code_from_name = not str(code or "").strip()
    code = _clean_code(code, name)
    _check_subject_unique(name=name, code=code, code_from_name=code_from_name)
    subject = Subject(code=code, name=name, owner_id=by.organisation_id)
    subject.full_clean()
    subject.save()
    return subject


@transaction.atomic
def subject_update(*, by: User, subject_id: int, name: str | None = None, code: str | None = None) -> Subject:
    """Rename a subject or change its code (items, topics and blueprints keep it)."""
    subject = _lock_subject(subject_id)
    _require_change(scope_of(by), subject.owner_id)
    new_name = subject.name if name is None else _clean_name(name)
    new_code = subject.code if code is None else _clean_code(code, new_name)
    if (new_name, new_code) == (subject.name, subject.code):
        return subject
    code_from_name = code is not None and not str(code).strip()
    _check_subject_unique(name=new_name, code=new_code, code_from_name=code_from_name, exclude_id=subject.pk)
    subject.name, subject.code = new_name, new_code
    subject.full_clean()
    subject.save(update_fields=["name", "code"])
    return subject


# --- topics --------------------------------------------------------------------------------


@transaction.atomic
def topic_create(
    *, by: User, subject_id: int, name: str, kind: str = Topic.Kind.TOPIC, parent_id: int | None = None
) -> Topic:
    """Add a topic to a subject's tree (at the top, or under ``parent_id``)."""
    _require_keeper(scope_of(by))
    subject = _lock_subject(subject_id)
    name = _clean_name(name)
    kind = _clean_kind(kind)
    parent = _parent_in(subject, parent_id)
    _check_sibling_name(subject, parent, name)
    topic = Topic(subject=subject, parent=parent, name=name, kind=kind, owner_id=by.organisation_id)
    topic.full_clean()
    topic.save()
    return topic


@transaction.atomic
def topic_update(
    *, by: User, topic_id: int, name: str | None = None, kind: str | None = None, parent_id: Any = _KEEP
) -> Topic:
    """Rename a topic, change its kind, or move it (``parent_id`` None: to the top), with its subtopics."""
    subject_id = Topic.objects.filter(pk=topic_id).values_list("subject_id", flat=True).first()
    if subject_id is None:
        raise Topic.DoesNotExist(_("No such topic."))
    subject = _lock_subject(subject_id)
    topic = Topic.objects.select_for_update().get(pk=topic_id)
    _require_change(scope_of(by), topic.owner_id)
    changed: list[str] = []
    if name is not None:
        topic.name = _clean_name(name)
        changed.append("name")
    if kind is not None:
        topic.kind = _clean_kind(kind)
        changed.append("kind")
    if parent_id is not _KEEP:
        parent = _parent_in(subject, parent_id)
        if parent is not None and topic.pk in _ancestors(subject, parent.pk):
            raise ValidationError({"parent": [_("A topic cannot move under itself or one of its own subtopics.")]})
        topic.parent = parent
        changed.append("parent")
    if "name" in changed or "parent" in changed:
        _check_sibling_name(subject, topic.parent, topic.name, exclude_id=topic.pk)
    if changed:
        topic.full_clean()
        topic.save(update_fields=changed)
    return topic


def _ancestors(subject: Subject, topic_id: int) -> set[int]:
    """The topic and every topic above it (one query for the whole subject)."""
    parents = dict(Topic.objects.filter(subject=subject).values_list("pk", "parent_id"))
    seen: set[int] = set()
    node: int | None = topic_id
    while node is not None and node not in seen:  # `not in seen`: stops on a cycle the database holds
        seen.add(node)
        node = parents.get(node)
    return seen


@transaction.atomic
def topic_delete(*, by: User, topic_id: int) -> None:
    """Delete a topic nothing uses: refused, saying what uses it, for subtopics, items or blueprints."""
    subject_id = Topic.objects.filter(pk=topic_id).values_list("subject_id", flat=True).first()
    if subject_id is None:
        raise Topic.DoesNotExist(_("No such topic."))
    _lock_subject(subject_id)
    topic = Topic.objects.select_for_update().get(pk=topic_id)
    _require_change(scope_of(by), topic.owner_id)
    problems = []
    subtopics = Topic.objects.filter(parent=topic).count()
    if subtopics:
        problems.append(_("It has subtopics (%(count)s): move or delete them first.") % {"count": subtopics})
    items = Item.objects.filter(topic=topic).count()
    if items:
        problems.append(
            _("Items are classified under it (%(count)s): move them to another topic first.") % {"count": items}
        )
    blueprints = topic.blueprint_cells.values("part__blueprint").distinct().count()
    if blueprints:
        problems.append(_("Blueprints plan items of it (%(count)s): change them first.") % {"count": blueprints})
    if problems:
        raise TopicInUse(problems)
    try:
        topic.delete()
    except ProtectedError:  # something else refers to it; the database says so
        raise TopicInUse([_("Something else in the bank uses it.")]) from None


class TopicInUse(ValidationError):
    """A topic something uses, asked to be deleted. The API answers 400 ``topic_in_use``."""

    code = "topic_in_use"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            _("The topic cannot be deleted. %(reasons)s") % {"reasons": " ".join(problems)}, code=self.code
        )
        self.problems = problems
