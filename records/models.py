"""School records by Circular 22/2021: how each subject is assessed, teachers' comments, the
closing of a semester, and every correction of an entry. The entries themselves are
``assess.RecordEntry`` (scoring writes them; teachers enter the rest); the rules and the
arithmetic live in ``records.services`` and ``scoring.grades``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, SchoolClass, validate_school_year


class SubjectRule(models.Model):
    """How a subject is assessed in a grade of a school (or of every school of a department):
    by score or by comment only, and its periods a year, which set how many continuous
    assessments a semester takes (``RECORDS_CONTINUOUS_COUNTS``). A school's rule wins over its
    department's."""

    class Mode(models.TextChoices):
        SCORED = "scored", _("By comment and score")
        COMMENT = "comment", _("By comment only (Đạt / Chưa đạt)")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="subject_rules")
    school_year = models.CharField(_("school year"), max_length=9, validators=[validate_school_year])
    grade = models.PositiveSmallIntegerField(_("grade"))
    subject = models.ForeignKey("itembank.Subject", on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(_("assessed"), max_length=10, choices=Mode.choices, default=Mode.SCORED)
    periods = models.PositiveSmallIntegerField(_("periods a year"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["school_year", "grade", "subject_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "school_year", "grade", "subject"], name="subject_rule_unique"
            ),
            models.CheckConstraint(condition=models.Q(grade__gte=1, grade__lte=12), name="subject_rule_grade"),
            models.CheckConstraint(condition=models.Q(periods__gte=1, periods__lte=400), name="subject_rule_periods"),
        ]
        verbose_name = _("subject rule")
        verbose_name_plural = _("subject rules")


class TeacherComment(models.Model):
    """A teacher's comment on a student for a semester: the subject teacher's on their subject,
    the homeroom teacher's on the whole (``subject`` empty)."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="record_comments")
    school_year = models.CharField(max_length=9, validators=[validate_school_year])
    term = models.PositiveSmallIntegerField()
    subject = models.ForeignKey("itembank.Subject", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"), max_length=1000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school_year", "term", "subject"], name="comment_one_per_subject"
            ),
            models.UniqueConstraint(
                fields=["student", "school_year", "term"],
                condition=models.Q(subject__isnull=True),
                name="comment_one_homeroom",
            ),
            models.CheckConstraint(condition=models.Q(term__in=[1, 2]), name="comment_term_1_or_2"),
        ]
        verbose_name = _("teacher comment")
        verbose_name_plural = _("teacher comments")


class SemesterClosing(models.Model):
    """The homeroom teacher closed a class's semester: its entries no longer change (a school
    administrator may reopen it, with a reason). Closing semester II closes the year."""

    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="closings")
    term = models.PositiveSmallIntegerField()
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(default=timezone.now)
    # What the class's results were when closed (levels and averages), as the transcript reads them.
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school_class", "term"], name="closing_one_per_term"),
            models.CheckConstraint(condition=models.Q(term__in=[1, 2]), name="closing_term_1_or_2"),
        ]
        verbose_name = _("semester closing")
        verbose_name_plural = _("semester closings")


class RecordEvent(models.Model):
    """Every change of a record, kept: an entry entered, corrected or removed by a teacher, a
    semester closed or reopened. ``before`` and ``after`` hold the entry's score or comment."""

    class Kind(models.TextChoices):
        ENTERED = "entered", _("Entered")
        CORRECTED = "corrected", _("Corrected")
        REMOVED = "removed", _("Removed")
        CLOSED = "closed", _("Semester closed")
        REOPENED = "reopened", _("Semester reopened")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    entry = models.ForeignKey(
        "assess.RecordEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school_class = models.ForeignKey(
        SchoolClass, null=True, blank=True, on_delete=models.PROTECT, related_name="record_events"
    )
    subject = models.ForeignKey("itembank.Subject", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    school_year = models.CharField(max_length=9)
    term = models.PositiveSmallIntegerField()
    entry_type = models.CharField(max_length=20, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["student", "school_year"], name="record_event_student")]
        verbose_name = _("record event")
        verbose_name_plural = _("record events")


class SchoolKey(models.Model):
    """A school's signing key for its transcripts: a self-signed certificate (published: its
    fingerprint is what a verifier trusts) and the private key, stored encrypted with a
    passphrase derived from ``TRANSCRIPT_KEY_SECRET`` (the site's secret when unset), so that a
    copy of the database alone signs nothing. One active key a school; a retired one still
    verifies what it signed."""

    school = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="signing_keys")
    cert_pem = models.TextField()
    key_pem = models.TextField(help_text="PKCS#8, encrypted.")
    fingerprint = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school"], condition=models.Q(retired_at__isnull=True), name="school_key_one_active"
            )
        ]
        verbose_name = _("school signing key")
        verbose_name_plural = _("school signing keys")


class TranscriptIssue(models.Model):
    """One issued copy of a student's transcript (học bạ): its serial, what it covers, who
    issued it when, the key that signed it and the signed PDF itself (its SHA-256 too)."""

    serial = models.CharField(max_length=40, unique=True)
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transcripts")
    school = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    years = models.JSONField(default=list)
    key = models.ForeignKey(SchoolKey, on_delete=models.PROTECT, related_name="issues")
    sha256 = models.CharField(max_length=64)
    pdf = models.BinaryField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["sha256"], name="transcript_sha256")]
        verbose_name = _("issued transcript")
        verbose_name_plural = _("issued transcripts")


class LevelEntry(models.Model):
    """Primary school (Circular 27): a teacher's level of a pupil for a semester: a subject's
    (Hoàn thành tốt / Hoàn thành / Chưa hoàn thành, by its teacher) or a quality's or
    competence's (Tốt / Đạt / Cần cố gắng, by the homeroom teacher, ``aspect``)."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="level_entries")
    school_year = models.CharField(max_length=9, validators=[validate_school_year])
    term = models.PositiveSmallIntegerField()
    subject = models.ForeignKey("itembank.Subject", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    aspect = models.CharField(max_length=40, blank=True)
    level = models.CharField(_("level"), max_length=30)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school_year", "term", "subject"],
                condition=models.Q(aspect=""),
                name="level_one_per_subject",
            ),
            models.UniqueConstraint(
                fields=["student", "school_year", "term", "aspect"],
                condition=models.Q(subject__isnull=True),
                name="level_one_per_aspect",
            ),
            models.CheckConstraint(
                condition=(models.Q(subject__isnull=False) & models.Q(aspect=""))
                | (models.Q(subject__isnull=True) & ~models.Q(aspect="")),
                name="level_subject_or_aspect",
            ),
            models.CheckConstraint(condition=models.Q(term__in=[1, 2]), name="level_term_1_or_2"),
        ]
        verbose_name = _("level")
        verbose_name_plural = _("levels")
