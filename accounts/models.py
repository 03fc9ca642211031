"""People and organisations: schools grouped under departments, users with one role each,
classes of a school year with their students (history kept) and teachers."""

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
    SCHOOL_ADMIN = "school_admin", _("School administrator")
    ADMIN = "admin", _("Administrator")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


def validate_school_year(value: str) -> None:
    match = re.fullmatch(r"(\d{4})-(\d{4})", value or "")
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValidationError(_("A school year is written like 2026-2027."), code="school_year")


def validate_learner_id(value: str) -> None:
    """Learner identifiers (Circular 42/2021) are opaque; only their pattern is checked."""
    if not re.fullmatch(settings.LEARNER_ID_PATTERN, value or ""):
        raise ValidationError(
            _("Learner identifier %(value)s does not match the configured pattern %(pattern)s."),
            code="learner_id_pattern",
            params={"value": value, "pattern": settings.LEARNER_ID_PATTERN},
        )


def validate_citizen_id(value: str) -> None:
    """A citizen ID number (số CCCD, số định danh cá nhân): exactly 12 digits, 0 to 9."""
    if not re.fullmatch(r"[0-9]{12}", value or ""):
        raise ValidationError(
            _("A citizen ID number has exactly 12 digits: %(value)s does not."),
            code="citizen_id",
            params={"value": value},
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
    staff_id = models.CharField(
        _("staff identifier"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        help_text=_("The identifier of a teacher or other staff member in the education database."),
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    # Not unique: a wrong number in the education database must not stop an import of everyone
    # else; the roster import reports a number given to two learners as a problem instead.
    citizen_id = models.CharField(
        _("citizen ID number"),
        max_length=12,
        blank=True,
        db_index=True,
        validators=[validate_citizen_id],
        help_text=_("The personal identification number of the citizen ID card (12 digits), for check-in."),
    )
    # A student's photo for check-in on exam day, re-encoded by accounts.photos (JPEG, EXIF
    # stripped); served only through GET /api/people/<id>/photo/ to those who may see it.
    photo = models.FileField(_("photo"), upload_to="photos/%Y/", blank=True)
    photo_updated_at = models.DateTimeField(_("photo updated at"), null=True, blank=True)
    # A first password (printed on a login card) or one reset by an administrator must be
    # changed at the next login (accounts/middleware.py sends the person to /password/).
    must_change_password = models.BooleanField(_("must change password"), default=False)

    def get_full_name(self) -> str:
        """Family and middle names first, as Vietnamese names are written (họ tên)."""
        return f"{self.last_name} {self.first_name}".strip()

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
        PASSWORD_RESET = "password_reset", _("password reset")

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


class SchoolClass(models.Model):
    """A class (lớp) of a school in one school year: its students, homeroom and subject teachers."""

    school = models.ForeignKey(Organisation, verbose_name=_("school"), on_delete=models.PROTECT, related_name="classes")
    school_year = models.CharField(_("school year"), max_length=9, validators=[validate_school_year])
    name = models.CharField(_("name"), max_length=30)
    grade = models.PositiveSmallIntegerField(_("grade"))
    homeroom_teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("homeroom teacher"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="homeroom_classes",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["school_year", "grade", "name"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            models.UniqueConstraint(fields=["school", "school_year", "name"], name="class_name_unique_per_year"),
            models.CheckConstraint(condition=models.Q(grade__gte=1, grade__lte=12), name="class_grade_1_to_12"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.school_year})"


class ClassMembership(models.Model):
    """A student's place in a class; moving ends it (``left_at``) and opens another."""

    school_class = models.ForeignKey(
        SchoolClass, verbose_name=_("class"), on_delete=models.PROTECT, related_name="memberships"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("student"), on_delete=models.CASCADE, related_name="class_memberships"
    )
    school_year = models.CharField(_("school year"), max_length=9)  # the class's, for the constraint
    joined_at = models.DateTimeField(_("joined at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        ordering = ["student_id", "joined_at", "id"]
        verbose_name = _("class membership")
        verbose_name_plural = _("class memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school_year"],
                condition=models.Q(left_at__isnull=True),
                name="one_class_per_student_and_year",
            )
        ]
        indexes = [models.Index(fields=["school_class", "left_at"], name="membership_class_current")]


class ClassTeacher(models.Model):
    """A teacher who teaches a subject in a class."""

    school_class = models.ForeignKey(
        SchoolClass, verbose_name=_("class"), on_delete=models.CASCADE, related_name="subject_teachers"
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("teacher"), on_delete=models.CASCADE, related_name="teaching"
    )
    # The bank's subjects (itembank sits above accounts: referenced by name, never imported).
    subject = models.ForeignKey(
        "itembank.Subject", verbose_name=_("subject"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["school_class_id", "subject_id", "teacher_id"]
        verbose_name = _("subject teacher")
        verbose_name_plural = _("subject teachers")
        constraints = [
            models.UniqueConstraint(fields=["school_class", "teacher", "subject"], name="class_teacher_subject_unique")
        ]


class RosterImport(models.Model):
    """The audit of a committed roster import: who, for which organisation and year, what changed."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="roster_imports"
    )
    school_year = models.CharField(_("school year"), max_length=9)
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    counts = models.JSONField(_("counts"), default=dict)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="roster_imports"
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
