"""Assessments, forms, sittings, attempts, answers, results and student records."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, validate_school_year  # noqa: F401 (migrations name it here)
from itembank.models import ItemType, ItemVersion, Subject, Topic
from scoring.item_rules import ITEM_TYPES

from . import statuses

BLUEPRINT_ITEM_TYPE_CHOICES = [(name, name) for name in ITEM_TYPES]


class RecordEntryType(models.TextChoices):
    """How a score enters the record (Circular 22/2021): ĐĐGtx, ĐĐGgk, ĐĐGck."""

    CONTINUOUS = "continuous", _("Continuous")
    MIDTERM = "midterm", _("Mid-term")
    ENDTERM = "endterm", _("End-of-term")


class Assessment(models.Model):
    class Kind(models.TextChoices):
        PERIODIC = "periodic", _("Periodic")
        CONTINUOUS = "continuous", _("Continuous")

    class ScoreStep(models.TextChoices):
        """The unit a 10-point score counts in: tenths for school tests (Circular 22), quarters
        for the national graduation exam, whole marks for primary school (Circular 27)."""

        TENTH = "0.1", _("Tenths (0.1): school tests")
        QUARTER = "0.25", _("Quarters (0.25): the national exam")
        HALF = "0.5", _("Halves (0.5)")
        WHOLE = "1", _("Whole marks (1): primary school")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="assessments")
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="assessments")
    duration = models.DurationField(_("duration"))
    school_year = models.CharField(_("school year"), max_length=9, validators=[validate_school_year])
    term = models.PositiveSmallIntegerField(_("term"), choices=[(1, _("Term I")), (2, _("Term II"))])
    record_entry_type = models.CharField(_("record entry type"), max_length=20, choices=RecordEntryType.choices)
    # The unit of the 10-point score (``scoring.scale_to_ten``'s step), as a decimal string.
    score_step = models.CharField(_("score step"), max_length=4, choices=ScoreStep.choices, default=ScoreStep.TENTH)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(duration__gt=timedelta(0)), name="assessment_duration_positive"),
            models.CheckConstraint(
                condition=models.Q(grade__isnull=True) | (models.Q(grade__gte=1) & models.Q(grade__lte=12)),
                name="assessment_grade_range",
            ),
        ]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return self.title

    @property
    def duration_minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)

    def score_text(self, score) -> str:
        """A 10-point score written with the places its step has: ``7.3`` in tenths, ``7.25``
        and ``7.00`` in quarters, ``7`` in whole marks (the API's and the pages' form)."""
        places = int(Decimal(self.score_step).as_tuple().exponent)
        return str(Decimal(score).quantize(Decimal(1).scaleb(places)))


class AssessmentPart(models.Model):
    """One part of an assessment's structure (Phần I, II, III): what its items are and score.

    ``item_type`` blank admits any type. ``scoring`` ``as_authored`` scores each item by its
    own rule (partial credit where the item gives it); ``all_or_nothing`` gives an item's
    points only when every part of it is right (as HUST's TSA scores).
    """

    class Scoring(models.TextChoices):
        AS_AUTHORED = "as_authored", _("Each item's own rule")
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")

    class Navigation(models.TextChoices):
        FREE = "free", _("Free")
        LINEAR = "linear", _("Forward only, item by item")
        NO_RETURN = "no_return", _("Free, no return once left")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveSmallIntegerField(_("position"))
    label = models.CharField(_("label"), max_length=50)
    item_type = models.CharField(_("item type"), max_length=30, blank=True, choices=ItemType.choices)
    item_count = models.PositiveSmallIntegerField(_("number of items"))
    points_per_item = models.DecimalField(_("points per item"), max_digits=6, decimal_places=2)
    scoring = models.CharField(_("scoring"), max_length=20, choices=Scoring.choices, default=Scoring.AS_AUTHORED)
    # Delivery by sections (``assess.sections``): when any part has a time limit, a break or a
    # navigation other than free, the attempt runs part by part, each part a section.
    time_limit = models.DurationField(_("time limit"), null=True, blank=True)
    navigation = models.CharField(_("navigation"), max_length=10, choices=Navigation.choices, default=Navigation.FREE)
    break_after = models.DurationField(_("break after"), null=True, blank=True)

    class Meta:
        ordering = ["assessment_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "position"], name="assessment_part_position_unique"),
            models.CheckConstraint(condition=models.Q(position__gte=1), name="assessment_part_position_positive"),
            models.CheckConstraint(condition=models.Q(item_count__gte=1), name="assessment_part_items_positive"),
            models.CheckConstraint(condition=models.Q(points_per_item__gt=0), name="assessment_part_points_positive"),
            models.CheckConstraint(
                condition=models.Q(time_limit__isnull=True) | models.Q(time_limit__gt=timedelta(0)),
                name="assessment_part_time_limit_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(break_after__isnull=True) | models.Q(break_after__gt=timedelta(0)),
                name="assessment_part_break_positive",
            ),
        ]
        verbose_name = _("assessment part")
        verbose_name_plural = _("assessment parts")

    def __str__(self) -> str:
        return f"{self.assessment} / {self.label}"


class Form(models.Model):
    """One fixed, ordered list of exact item versions.

    A *master* form (đề gốc) is built from the bank, by hand or drawn from a blueprint; its
    *test codes* (mã đề) are the same items shuffled within parts and options shuffled within
    items (``assess.test_codes``), each a form of its own whose ``parent`` is the master. A
    sitting names the master; each attempt gets one form: a code, or the master if it has none.
    """

    class Kind(models.TextChoices):
        MASTER = "master", _("Master form")
        CODE = "code", _("Test code")

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="forms")
    code = models.CharField(_("code"), max_length=20)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MASTER)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="test_codes",
        verbose_name=_("master form"),
    )
    # What made it reproducible: the draw's seed (a drawn master) or the shuffle's (a code).
    seed = models.BigIntegerField(_("seed"), null=True, blank=True)
    blueprint = models.ForeignKey(
        "Blueprint", null=True, blank=True, on_delete=models.SET_NULL, related_name="forms", verbose_name=_("blueprint")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["assessment_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "code"], name="form_code_unique"),
            models.CheckConstraint(
                condition=(models.Q(kind="master") & models.Q(parent__isnull=True))
                | (models.Q(kind="code") & models.Q(parent__isnull=False)),
                name="form_code_has_master",
            ),
        ]
        verbose_name = _("form")
        verbose_name_plural = _("forms")

    def __str__(self) -> str:
        return f"{self.assessment} / {self.code}"


class FormItem(models.Model):
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="form_items")
    position = models.PositiveIntegerField()
    # The assessment part it belongs to (its position), and, on a test code, the position of
    # the same item on the master form: how every code maps back to the form.
    part = models.PositiveSmallIntegerField(default=1)
    master_position = models.PositiveIntegerField(null=True, blank=True)
    item_version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="form_items")
    points = models.DecimalField(max_digits=6, decimal_places=2)
    # The ids a student is shown instead of the version's (itembank.content.ResponseIds):
    # random, drawn when the form is built, so neither their text nor their order tells the
    # key. Answers are stored in the version's ids, the same on every form.
    response_ids = models.JSONField(default=dict)
    # A test code's order of the item's options (itembank.content.Arrangement); {} keeps the
    # authored order.
    arrangement = models.JSONField(default=dict)
    # Scored all or nothing (the part's rule), rather than by the item's own partial credit.
    all_or_nothing = models.BooleanField(default=False)
    # A trial item: delivered and calibrated, never counted in anyone's score.
    trial = models.BooleanField(_("trial item"), default=False)
    # Moderation (the exam board, after the sitting; every change audited by ``results``):
    # a dropped item counts for no one (out of the raw score and the maximum); a re-keyed one
    # is scored with ``key_override``'s fields in place of its version's; ``accepted_keys``
    # are further keys (each a mapping like the version's) under which a response may earn
    # credit: the response scores the best it earns under any of them.
    dropped = models.BooleanField(_("dropped"), default=False)
    key_override = models.JSONField(null=True, blank=True)
    accepted_keys = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["form_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["form", "position"], name="form_item_position_unique"),
            models.UniqueConstraint(fields=["form", "item_version"], name="form_item_version_unique"),
            models.CheckConstraint(condition=models.Q(points__gt=0), name="form_item_points_positive"),
            models.CheckConstraint(condition=models.Q(position__gte=1), name="form_item_position_positive"),
        ]


class Sitting(models.Model):
    """A time window in which candidates take an assessment (``assess.sittings``).

    An *exam* is a periodic assessment's sitting: in a lab, one attempt each, optionally an
    access code the proctor reads out, results released by its owner. An *assignment* is a
    continuous assessment given to classes over days: attempts allowed, which one counts, and
    a feedback policy saying when a student sees what of their results. A practice
    assignment feeds no record.
    """

    class Kind(models.TextChoices):
        EXAM = "exam", _("Exam sitting")
        ASSIGNMENT = "assignment", _("Class assignment")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    class Counting(models.TextChoices):
        BEST = "best", _("The best attempt")
        LAST = "last", _("The last attempt")
        MEAN = "mean", _("The mean of the attempts")

    class FeedbackTiming(models.TextChoices):
        AFTER_ITEM = "after_item", _("After each item, when the student checks it")
        AFTER_SUBMIT = "after_submit", _("After each submission")
        AFTER_CLOSE = "after_close", _("After the window closes")
        ON_RELEASE = "on_release", _("When the results are released")

    class LateRule(models.TextChoices):
        FULL_TIME = "full_time", _("A late starter has the full time (within the window)")
        SAME_END = "same_end", _("A late starter ends with their room")

    class FeedbackDetail(models.TextChoices):
        SCORE = "score", _("The score only")
        ANSWERS = "answers", _("The score and the correct answers")
        EXPLANATIONS = "explanations", _("The score, the correct answers and explanations")

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="sittings")
    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="sittings")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sittings")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EXAM)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    title = models.CharField(_("title"), max_length=200)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    # No attempt starts after this (an exam's late arrivals); null: any time the window is open.
    latest_start = models.DateTimeField(_("latest start"), null=True, blank=True)
    # What a candidate types before starting (read out in the room); blank: none.
    access_code = models.CharField(_("access code"), max_length=20, blank=True)
    # In rooms (``proctoring``): whether a late starter's clock runs from their own start or
    # ends when their room's does (the room opened + the duration).
    late_rule = models.CharField(
        _("late arrivals"), max_length=10, choices=LateRule.choices, default=LateRule.FULL_TIME
    )
    makeup_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="makeups", verbose_name=_("make-up of")
    )
    classes = models.ManyToManyField("accounts.SchoolClass", blank=True, related_name="sittings")
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=1)
    counting = models.CharField(
        _("which attempt counts"), max_length=10, choices=Counting.choices, default=Counting.BEST
    )
    feedback_timing = models.CharField(
        _("feedback"), max_length=20, choices=FeedbackTiming.choices, default=FeedbackTiming.ON_RELEASE
    )
    feedback_detail = models.CharField(
        _("feedback shows"), max_length=20, choices=FeedbackDetail.choices, default=FeedbackDetail.SCORE
    )
    practice = models.BooleanField(_("practice (feeds no record)"), default=False)
    released_at = models.DateTimeField(_("results released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="sitting_window_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(latest_start__isnull=True)
                | (
                    models.Q(latest_start__gte=models.F("opens_at")) & models.Q(latest_start__lte=models.F("closes_at"))
                ),
                name="sitting_latest_start_in_window",
            ),
            models.CheckConstraint(
                condition=models.Q(max_attempts__gte=1) & models.Q(max_attempts__lte=20), name="sitting_attempts_range"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "opens_at"], name="sitting_org_opens")]
        verbose_name = _("sitting")
        verbose_name_plural = _("sittings")

    def __str__(self) -> str:
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.SCHEDULED and self.opens_at <= now < self.closes_at


class SittingEvent(models.Model):
    """Audit of a sitting: scheduled, rescheduled, cancelled, enrolments, released, withdrawn."""

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        CANCELLED = "cancelled", _("Cancelled")
        ENROLLED = "enrolled", _("Candidates enrolled")
        UNENROLLED = "unenrolled", _("Candidates removed")
        RELEASED = "released", _("Results released")
        WITHDRAWN = "withdrawn", _("Results withdrawn")

    sitting = models.ForeignKey(Sitting, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sitting_id", "at", "id"]
        verbose_name = _("sitting event")
        verbose_name_plural = _("sitting events")


class Attempt(models.Model):
    """One candidate in one sitting, and everything they did. See ``assess.statuses``."""

    class SubmitReason(models.TextChoices):
        STUDENT = "student", _("Submitted by the student")
        DEADLINE = "deadline", _("Submitted at the deadline")
        STAFF = "staff", _("Submitted by staff")

    sitting = models.ForeignKey(Sitting, on_delete=models.PROTECT, related_name="attempts")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attempts")
    # The candidate's first, second, ... try (an assignment may allow several).
    number = models.PositiveSmallIntegerField(default=1)
    # Positions the student checked (feedback after each item): their answers no longer change.
    # Kept on the row the answer path locks anyway, so refusing costs no query.
    checked_items = models.JSONField(default=list, blank=True)
    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="attempts")
    status = models.CharField(max_length=20, choices=statuses.CHOICES, default=statuses.SCHEDULED)
    started_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    # While paused the clock stands still: the time left is kept here and given back on resume.
    paused_remaining = models.DurationField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submit_reason = models.CharField(max_length=20, choices=SubmitReason.choices, blank=True)
    # The live connection; a new connection replaces it, and writes from an old one are refused.
    connection_token = models.UUIDField(null=True, blank=True)
    # The highest client sequence number received, so that a client on another PC continues.
    last_seq = models.BigIntegerField(default=0)
    # How many changes (answers and flags) the history holds, raised with last_seq: the cap
    # (ATTEMPT_HISTORY_MAX_EVENTS) is checked without counting rows.
    event_count = models.PositiveIntegerField(default=0)
    # Where the candidate sits (``proctoring``): the room of the sitting and the seat in it.
    # The room's id rides on every event of the attempt (its console's group).
    room = models.ForeignKey(
        "proctoring.SittingRoom", null=True, blank=True, on_delete=models.PROTECT, related_name="attempts"
    )
    seat = models.ForeignKey("proctoring.Seat", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Delivery by sections (``assess.sections``); all null on an attempt that does not run so.
    # The index of the current section (during a break: of the section just left), when it
    # ends, when the break after it ends, and, while paused, the time the section or the break
    # had left (the deadline's is ``paused_remaining``).
    section = models.PositiveSmallIntegerField(null=True, blank=True)
    section_deadline = models.DateTimeField(null=True, blank=True)
    break_until = models.DateTimeField(null=True, blank=True)
    section_paused_remaining = models.DurationField(null=True, blank=True)
    # A linear section: the position of the one item that takes answers now.
    item_reached = models.PositiveIntegerField(null=True, blank=True)
    # The accommodation the attempt started with (``Accommodation``): its times scale by
    # ``time_scale``; ``large_text`` opens the page in large text.
    time_scale = models.FloatField(default=1.0)
    large_text = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sitting_id", "student_id"]
        constraints = [
            models.UniqueConstraint(fields=["sitting", "student", "number"], name="attempt_number_per_candidate"),
            # A seat holds one candidate of a sitting (a move frees the old one first).
            models.UniqueConstraint(
                fields=["sitting", "seat"], condition=models.Q(seat__isnull=False), name="attempt_one_per_seat"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="attempt_status_deadline"),
            models.Index(fields=["student", "sitting"], name="attempt_student_sitting"),
        ]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")

    def __str__(self) -> str:
        return f"attempt {self.pk} ({self.status})"

    def remaining_ms(self, now=None) -> int | None:
        if self.status == statuses.PAUSED and self.paused_remaining is not None:
            return max(0, int(self.paused_remaining.total_seconds() * 1000))
        if self.deadline is None:
            return None
        now = now or timezone.now()
        return max(0, int((self.deadline - now).total_seconds() * 1000))


class Accommodation(models.Model):
    """Access arrangements in one sitting, for one candidate or for a class: more time (extra
    minutes or a multiplier of the duration, not both), larger text, a room of their own.

    Applied by the server when an attempt starts (``assess.accommodations``): its deadline and
    each section's time limit scale; a candidate's own accommodation wins over their class's.
    """

    sitting = models.ForeignKey(Sitting, on_delete=models.CASCADE, related_name="accommodations")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    school_class = models.ForeignKey(
        "accounts.SchoolClass", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    extra_minutes = models.PositiveSmallIntegerField(_("extra minutes"), null=True, blank=True)
    time_multiplier = models.DecimalField(_("time multiplier"), max_digits=3, decimal_places=2, null=True, blank=True)
    large_text = models.BooleanField(_("larger text"), default=False)
    separate_room = models.BooleanField(_("separate room"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sitting_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(student__isnull=False) & models.Q(school_class__isnull=True))
                | (models.Q(student__isnull=True) & models.Q(school_class__isnull=False)),
                name="accommodation_student_or_class",
            ),
            models.CheckConstraint(
                condition=models.Q(extra_minutes__isnull=True) | models.Q(time_multiplier__isnull=True),
                name="accommodation_minutes_or_multiplier",
            ),
            models.CheckConstraint(
                condition=models.Q(extra_minutes__isnull=True)
                | (models.Q(extra_minutes__gte=1) & models.Q(extra_minutes__lte=300)),
                name="accommodation_minutes_range",
            ),
            models.CheckConstraint(
                condition=models.Q(time_multiplier__isnull=True)
                | (models.Q(time_multiplier__gte=1) & models.Q(time_multiplier__lte=3)),
                name="accommodation_multiplier_range",
            ),
            models.UniqueConstraint(
                fields=["sitting", "student"],
                condition=models.Q(student__isnull=False),
                name="accommodation_once_per_student",
            ),
            models.UniqueConstraint(
                fields=["sitting", "school_class"],
                condition=models.Q(school_class__isnull=False),
                name="accommodation_once_per_class",
            ),
        ]
        verbose_name = _("accommodation")
        verbose_name_plural = _("accommodations")

    def __str__(self) -> str:
        return f"accommodation {self.pk} of sitting {self.sitting_id}"


class AttemptTransition(models.Model):
    """Audit of every status change: who, when, from what, to what, why."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attempt_id", "at", "id"]


class AnswerEvent(models.Model):
    """Append-only history of every change a student made, in the order they sent them."""

    class Kind(models.TextChoices):
        ANSWER = "answer"
        FLAG = "flag"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answer_events")
    seq = models.BigIntegerField()
    form_item = models.ForeignKey(FormItem, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.JSONField(null=True)
    received_at = models.DateTimeField(default=timezone.now)
    connection_token = models.UUIDField(null=True)

    class Meta:
        ordering = ["attempt_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["attempt", "seq"], name="answer_event_seq_unique")]


class Answer(models.Model):
    """The latest answer and flag of one item in one attempt (the latest sequence wins)."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    form_item = models.ForeignKey(FormItem, on_delete=models.PROTECT, related_name="+")
    value = models.JSONField(null=True)
    value_seq = models.BigIntegerField(default=0)
    flagged = models.BooleanField(default=False)
    flag_seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "form_item"], name="answer_one_per_item")]


class Result(models.Model):
    """An attempt's score. While ``pending_items`` is above 0 some responses (essays) await a
    marker: ``item_scores`` holds None for them, the scores count them as 0 so far, and the
    result is neither published nor written into the record until they are marked."""

    attempt = models.OneToOneField(Attempt, on_delete=models.CASCADE, related_name="result")
    raw_score = models.DecimalField(max_digits=8, decimal_places=2)
    max_score = models.DecimalField(max_digits=8, decimal_places=2)
    number_correct = models.PositiveIntegerField()
    item_count = models.PositiveIntegerField()
    # In the assessment's step: 7.3 (tenths) or 7.25 (quarters).
    score_10 = models.DecimalField(_("score (10-point scale)"), max_digits=5, decimal_places=2)
    pending_items = models.PositiveIntegerField(_("responses awaiting a marker"), default=0)
    theta = models.FloatField(null=True, blank=True)
    theta_se = models.FloatField(null=True, blank=True)
    item_scores = models.JSONField(default=list)
    computed_at = models.DateTimeField(default=timezone.now)


class ItemMark(models.Model):
    """A person's final mark of one response (an essay), written by the marking workflow
    (``results.marking``, after single or double marking and any adjudication): scoring takes
    it in place of the pending rule, so a rescore never loses it."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="item_marks")
    form_item = models.ForeignKey(FormItem, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    # What the mark was made of: the rubric levels chosen, the marks it settles.
    detail = models.JSONField(default=dict, blank=True)
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "form_item"], name="item_mark_one_per_response"),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="item_mark_points_non_negative"),
        ]


class RecordEntry(models.Model):
    """One assessment in a student's record (per subject, school year, term and entry type).

    A score (10-point scale, one decimal) for a subject assessed by score, or a comment result
    (Đạt / Chưa đạt) for a subject assessed by comment (Circular 22). It comes from an attempt
    (written by scoring, ``source`` attempt) or is entered by the subject teacher (a test on
    paper, an oral check: ``source`` teacher, ``attempt`` empty). Corrections are kept by
    ``records.models.RecordCorrection``.
    """

    class Source(models.TextChoices):
        ATTEMPT = "attempt", _("Taken on the computer")
        TEACHER = "teacher", _("Entered by the teacher")

    class Comment(models.TextChoices):
        PASSED = "Đạt", _("Passed (Đạt)")
        FAILED = "Chưa đạt", _("Not passed (Chưa đạt)")

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="record_entries")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    school_year = models.CharField(max_length=9, validators=[validate_school_year])
    term = models.PositiveSmallIntegerField()
    entry_type = models.CharField(max_length=20, choices=RecordEntryType.choices)
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    comment_result = models.CharField(max_length=10, choices=Comment.choices, blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    attempt = models.OneToOneField(
        Attempt, null=True, blank=True, on_delete=models.PROTECT, related_name="record_entry"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ATTEMPT)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["student_id", "school_year", "term", "subject_id", "created_at"]
        indexes = [
            models.Index(fields=["student", "school_year", "term"], name="record_student_term"),
            models.Index(fields=["school_year", "subject", "student"], name="record_year_subject"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | (models.Q(score__gte=0) & models.Q(score__lte=10)),
                name="record_score_range",
            ),
            models.CheckConstraint(
                condition=(models.Q(score__isnull=False) & models.Q(comment_result=""))
                | (models.Q(score__isnull=True) & models.Q(comment_result__in=["Đạt", "Chưa đạt"])),
                name="record_score_or_comment",
            ),
            models.CheckConstraint(
                condition=models.Q(source="teacher", attempt__isnull=True)
                | models.Q(source="attempt", attempt__isnull=False),
                name="record_source_matches_attempt",
            ),
            models.CheckConstraint(condition=models.Q(term__in=[1, 2]), name="record_term_1_or_2"),
        ]
        verbose_name = _("record entry")
        verbose_name_plural = _("record entries")


# Blueprints (ma trận đề / bảng đặc tả): what a test must hold, per part, topic and level.
# Reads and writes live in ``assess.blueprints``; these models hold only the invariants.

BLUEPRINT_MAX_ITEMS_PER_CELL = 200


class Blueprint(models.Model):
    """A test specification: parts, each a table of topics x cognitive levels -> item counts."""

    owner = models.ForeignKey(
        Organisation, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="blueprints"
    )
    subject = models.ForeignKey(Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="blueprints")
    title = models.CharField(_("title"), max_length=200)
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("assessment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="blueprints",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__isnull=True) | (models.Q(grade__gte=1) & models.Q(grade__lte=12)),
                name="blueprint_grade_range",
            )
        ]
        verbose_name = _("blueprint")
        verbose_name_plural = _("blueprints")

    def __str__(self) -> str:
        return self.title


class BlueprintPart(models.Model):
    """One part of a blueprint (e.g. Phần I): one item type, the same points for each item."""

    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveSmallIntegerField(_("position"))
    label = models.CharField(_("label"), max_length=50)
    item_type = models.CharField(_("item type"), max_length=30, choices=BLUEPRINT_ITEM_TYPE_CHOICES)
    points_per_item = models.DecimalField(_("points per item"), max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["blueprint_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["blueprint", "position"], name="blueprint_part_position_unique"),
            models.CheckConstraint(condition=models.Q(position__gte=1), name="blueprint_part_position_positive"),
            models.CheckConstraint(condition=models.Q(points_per_item__gt=0), name="blueprint_part_points_positive"),
            models.CheckConstraint(condition=models.Q(item_type__in=ITEM_TYPES), name="blueprint_part_item_type_known"),
        ]
        verbose_name = _("blueprint part")
        verbose_name_plural = _("blueprint parts")

    def __str__(self) -> str:
        return f"{self.blueprint} / {self.label}"


class BlueprintCell(models.Model):
    """How many items of one topic (or its subtopics) at one cognitive level a part holds."""

    part = models.ForeignKey(BlueprintPart, on_delete=models.CASCADE, related_name="cells")
    topic = models.ForeignKey(Topic, verbose_name=_("topic"), on_delete=models.PROTECT, related_name="blueprint_cells")
    # A code of ``itembank.models.cognitive_levels()`` (configurable), checked by the services.
    level = models.CharField(_("cognitive level"), max_length=20)
    item_count = models.PositiveSmallIntegerField(_("number of items"))

    class Meta:
        ordering = ["part_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["part", "topic", "level"], name="blueprint_cell_unique"),
            models.CheckConstraint(
                condition=models.Q(item_count__gte=1) & models.Q(item_count__lte=BLUEPRINT_MAX_ITEMS_PER_CELL),
                name="blueprint_cell_item_count_range",
            ),
        ]
        verbose_name = _("blueprint cell")
        verbose_name_plural = _("blueprint cells")

    def __str__(self) -> str:
        return f"{self.part}: {self.topic_id} {self.level} x{self.item_count}"


# Scoring a whole sitting at once (``assess.scoring_runs``): a run split into chunks of
# attempts, each chunk a Celery task of its own, so that several workers share the work.


class ScoringRun(models.Model):
    """One scoring (or rescoring) of a sitting's handed-in attempts, and its progress.

    ``queued -> running -> done | failed``. The counters grow as chunks finish (each in the
    transaction that wrote its results); the item statistics are written when the last
    chunk is done. At most one run of a sitting is queued or running at a time.
    """

    class Mode(models.TextChoices):
        SCORE = "score", _("Score")
        RESCORE = "rescore", _("Rescore")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    sitting = models.ForeignKey(Sitting, on_delete=models.CASCADE, related_name="scoring_runs")
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.SCORE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Null: started by the sweep when the sitting closed.
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    total_attempts = models.PositiveIntegerField(default=0)
    total_chunks = models.PositiveIntegerField(default=0)
    done_chunks = models.PositiveIntegerField(default=0)
    failed_chunks = models.PositiveIntegerField(default=0)
    done_attempts = models.PositiveIntegerField(default=0)
    # What the finished chunks did: attempts scored for the first time, results a rescore
    # changed, attempts published, record entries written or corrected.
    scored = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    published = models.PositiveIntegerField(default=0)
    record_entries = models.PositiveIntegerField(default=0)
    # Item analysis of the sitting (``scoring.classical``), written when the run finishes.
    statistics = models.JSONField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # The last time a chunk finished (or the run was queued): a run that stops moving while
    # chunks wait has lost their tasks (``scoring_runs.scoring_runs_sweep``).
    progressed_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sitting"],
                condition=models.Q(status__in=["queued", "running"]),
                name="scoring_run_one_active_per_sitting",
            )
        ]
        indexes = [models.Index(fields=["sitting", "created_at"], name="scoring_run_sitting_created")]
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")

    def __str__(self) -> str:
        return f"scoring run {self.pk} of sitting {self.sitting_id} ({self.status})"


class ScoringChunk(models.Model):
    """A share of a run's attempts (every attempt of a student together), scored in one
    transaction by one Celery task.

    A worker claims the chunk with a lease (``running``, ``lease_until``) and keeps its row
    locked while it works; the sweep puts a chunk back in the queue when its lease has run out
    and nobody holds its row (its worker died). ``data`` holds its attempts' item scores,
    choices and omissions for the run's item analysis, until the run finishes.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    attempt_ids = models.JSONField(default=list)
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    tries = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True)
    scored = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    published = models.PositiveIntegerField(default=0)
    record_entries = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    data = models.BinaryField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_id", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="scoring_chunk_number_unique")]
        indexes = [models.Index(fields=["status", "lease_until"], name="scoring_chunk_status_lease")]

    def __str__(self) -> str:
        return f"chunk {self.number} of scoring run {self.run_id} ({self.status})"
