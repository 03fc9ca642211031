"""People and organisations: schools grouped under departments, users with one role each."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A department of education (Sở/Phòng GD&ĐT) or a school under one."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("Department of education")
        SCHOOL = "school", _("School")

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == self.Kind.SCHOOL and self.parent and self.parent.kind != self.Kind.DEPARTMENT:
            raise ValidationError({"parent": _("A school belongs to a department.")})
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": _("An organisation cannot contain itself.")})
            ancestor = ancestor.parent


class Role(models.TextChoices):
    STUDENT = "student", _("Student")
    TEACHER = "teacher", _("Teacher")
    PROCTOR = "proctor", _("Proctor")
    BOARD = "board", _("Exam board")
    ADMIN = "admin", _("Administrator")


def validate_learner_id(value: str) -> None:
    """Learner identifiers (Circular 42/2021) are opaque; only their pattern is checked."""
    if not re.fullmatch(settings.LEARNER_ID_PATTERN, value or ""):
        raise ValidationError(
            _("Learner identifier %(value)s does not match the configured pattern %(pattern)s."),
            code="learner_id_pattern",
            params={"value": value, "pattern": settings.LEARNER_ID_PATTERN},
        )


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STUDENT)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    learner_id = models.CharField(
        _("learner identifier"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_learner_id],
        help_text=_("The learner's national identifier; students only."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(learner_id__isnull=True) | models.Q(role="student"),
                name="learner_id_only_for_students",
            )
        ]

    def clean(self) -> None:
        super().clean()
        if self.role == Role.STUDENT and not self.learner_id:
            raise ValidationError({"learner_id": _("A student needs a learner identifier.")})
        if self.role != Role.STUDENT and self.learner_id:
            raise ValidationError({"learner_id": _("Only students have a learner identifier.")})
        if self.role != Role.ADMIN and self.organisation_id is None and not self.is_superuser:
            raise ValidationError({"organisation": _("Everyone but an administrator belongs to an organisation.")})
