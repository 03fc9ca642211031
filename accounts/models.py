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


class LoginThrottle(models.Model):
    """Shared state of the login throttle (accounts/throttle.py holds the rules).

    One row per key and scope: an account name (``account``: consecutive wrong passwords and
    the lock; the name need not exist, so the lock reveals nothing about who does), a client
    address (``address``: a token bucket of wrong passwords), or an address with an account
    name that logged in from it (``known``: exempt from that address's bucket). Rows live in
    the database so that every web node agrees, and locks can be listed, lifted and audited.
    """

    class Scope(models.TextChoices):
        ACCOUNT = "account", _("account")
        ADDRESS = "address", _("address")
        KNOWN = "known", _("known address")

    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    key = models.CharField(_("key"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The account a locked name belongs to, when one does."),
    )
    failures = models.PositiveIntegerField(_("failures"), default=0)
    pending = models.PositiveIntegerField(
        _("pending"), default=0, help_text=_("Attempts of this name being checked right now.")
    )
    first_failure_at = models.DateTimeField(_("first failure"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_until = models.DateTimeField(
        _("locked until"), null=True, blank=True, help_text=_("Empty on a lock: until a person lifts it.")
    )
    tokens = models.FloatField(_("tokens"), default=0.0)
    last_address = models.CharField(_("last address"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated at"))
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, db_index=True, help_text=_("After this the row means nothing.")
    )

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_scope_key")]
        indexes = [models.Index(fields=["scope", "locked_at"], name="login_throttle_locks")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class AccountEvent(models.Model):
    """The audit trail of an account's security: locked, unlocked (by whom), password changed."""

    class Kind(models.TextChoices):
        LOCKED = "locked", _("locked")
        UNLOCKED = "unlocked", _("unlocked")
        PASSWORD_CHANGED = "password_changed", _("password changed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="account_events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Who did it; empty when the system did (a lock) or an operator's command."),
    )
    at = models.DateTimeField(_("at"))
    address = models.CharField(_("address"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        indexes = [models.Index(fields=["user", "at"], name="account_event_user_at")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
