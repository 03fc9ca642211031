"""Labs and their seats, and the rooms a sitting is split over (``proctoring.services``).

A ``Room`` is a school's computer lab: a grid of rows x columns with a ``Seat`` (a machine) in
the cells that have one, some kept spare, and the network ranges its PCs use. A
``SittingRoom`` is one room used by one sitting: its proctors, the access code shown on their
screen, and when they let the room start. Each attempt of the sitting is placed in one of
them, on one seat (``assess.models.Attempt.sitting_room`` and ``.seat``).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation

from . import placement

MAX_ROWS = 40
MAX_COLUMNS = 40
MAX_NETWORKS = 20


def validate_networks(value: object) -> None:
    """A list of network ranges in CIDR notation (IPv4 or IPv6), e.g. ["10.1.2.0/24"]."""
    if not isinstance(value, list) or len(value) > MAX_NETWORKS:
        raise ValidationError(_("List at most %(max)d network ranges."), code="networks", params={"max": MAX_NETWORKS})
    for entry in value:
        try:
            ipaddress.ip_network(str(entry), strict=False)
        except ValueError:
            raise ValidationError(
                _("%(value)s is not a network range (write it as 10.1.2.0/24)."),
                code="network",
                params={"value": str(entry)[:60]},
            ) from None


class Room(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("school")
    )
    name = models.CharField(_("name"), max_length=100)
    rows = models.PositiveSmallIntegerField(_("rows"), validators=[MinValueValidator(1), MaxValueValidator(MAX_ROWS)])
    columns = models.PositiveSmallIntegerField(
        _("columns"), validators=[MinValueValidator(1), MaxValueValidator(MAX_COLUMNS)]
    )
    networks = models.JSONField(_("network ranges"), default=list, blank=True, validators=[validate_networks])
    proctors_needed = models.PositiveSmallIntegerField(
        _("proctors needed"), default=2, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="room_name_per_school")]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")

    def __str__(self) -> str:
        return self.name

    def admits(self, address: str | None) -> bool:
        """Whether a PC at ``address`` is in one of the room's networks (any, if it lists none)."""
        if not self.networks:
            return True
        try:
            ip = ipaddress.ip_address((address or "").split("%")[0])
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(network, strict=False) for network in self.networks)


class Seat(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="seats")
    row = models.PositiveSmallIntegerField(_("row"))
    column = models.PositiveSmallIntegerField(_("column"))
    spare = models.BooleanField(_("spare"), default=False)
    computer = models.CharField(_("computer"), max_length=60, blank=True)

    class Meta:
        ordering = ["room", "row", "column"]
        constraints = [
            models.UniqueConstraint(fields=["room", "row", "column"], name="seat_cell_once"),
            models.CheckConstraint(condition=models.Q(row__gte=1, column__gte=1), name="seat_cell_from_one"),
        ]
        verbose_name = _("seat")
        verbose_name_plural = _("seats")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return placement.seat_label(self.cell)

    @property
    def cell(self) -> placement.Seat:
        return placement.Seat(self.row, self.column, self.spare)


class SittingRoom(models.Model):
    sitting = models.ForeignKey("assess.Sitting", on_delete=models.CASCADE, related_name="rooms")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="sittings")
    proctors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="proctored_rooms", verbose_name=_("proctors")
    )
    # Shown on the proctors' screen; a candidate of the room types it to start.
    access_code = models.CharField(_("room access code"), max_length=12, blank=True)
    # Nobody of the room starts before a proctor opens it: all together (every candidate checked
    # in starts at that moment) or each when ready. Late starters follow the sitting's rule.
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    together = models.BooleanField(_("started together"), default=False)
    order = models.PositiveSmallIntegerField(default=0)  # the board's order: the rooms fill in it
    # Kept for the candidates whose accommodation asks for a room of their own (they sit nowhere
    # else, and nobody else sits here).
    separate = models.BooleanField(_("separate room"), default=False)

    class Meta:
        ordering = ["sitting", "order", "room__name"]
        constraints = [models.UniqueConstraint(fields=["sitting", "room"], name="sitting_room_once")]
        verbose_name = _("sitting room")
        verbose_name_plural = _("sitting rooms")

    def __str__(self) -> str:
        return f"{self.room} ({self.sitting})"


class Action(models.Model):
    """What a proctor or the board did on the exam day, with who, when and why: the room's log
    (the room report lists it; the board sees every room's)."""

    class Kind(models.TextChoices):
        CHECK_IN = "check_in", _("Checked in")
        OPEN = "open", _("Opened the room")
        START_TOGETHER = "start_together", _("Started the room together")
        MOVE = "move", _("Moved to another seat")
        PAUSE = "pause", _("Paused")
        RESUME = "resume", _("Resumed")
        EXTEND = "extend", _("Gave more time")
        VOID = "void", _("Voided")
        MESSAGE = "message", _("Sent a message")
        REOPEN_REQUEST = "reopen_request", _("Asked to reopen")
        REOPEN = "reopen", _("Reopened")
        REOPEN_REFUSED = "reopen_refused", _("Refused to reopen")

    room = models.ForeignKey(SittingRoom, null=True, on_delete=models.CASCADE, related_name="actions")
    sitting = models.ForeignKey("assess.Sitting", null=True, on_delete=models.CASCADE, related_name="+")
    attempt = models.ForeignKey("assess.Attempt", null=True, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("action"), max_length=20, choices=Kind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("proctor action")
        verbose_name_plural = _("proctor actions")


class Refusal(models.Model):
    """Something refused on the exam day (a start from the wrong network or with a wrong code, a
    forged Safe Exam Browser header, a proctor's action that lost a race): the audit of refusals."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    attempt = models.ForeignKey("assess.Attempt", null=True, on_delete=models.CASCADE, related_name="refusals")
    room = models.ForeignKey(SittingRoom, null=True, on_delete=models.CASCADE, related_name="refusals")
    code = models.CharField(max_length=40)
    address = models.GenericIPAddressField(null=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at"]


# --- integrity and incidents ----------------------------------------------------------------------


class IntegrityPolicy(models.Model):
    """When a sitting's integrity events raise an incident (``proctoring.integrity``): set by the
    board; a sitting without a row has the defaults. 0 turns a threshold off."""

    sitting = models.OneToOneField(
        "assess.Sitting", primary_key=True, on_delete=models.CASCADE, related_name="integrity_policy"
    )
    focus_loss_times = models.PositiveSmallIntegerField(_("focus lost (times)"), default=3)
    focus_loss_seconds = models.PositiveIntegerField(_("focus lost (seconds in all)"), default=60)
    fullscreen_exit_times = models.PositiveSmallIntegerField(_("full screen left (times)"), default=3)
    copy_paste_times = models.PositiveSmallIntegerField(_("copy or paste (times)"), default=3)
    context_menu_times = models.PositiveSmallIntegerField(_("context menu (times)"), default=5)
    second_session_times = models.PositiveSmallIntegerField(_("second session (times)"), default=1)
    ip_change_times = models.PositiveSmallIntegerField(_("address changed (times)"), default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("integrity policy")
        verbose_name_plural = _("integrity policies")


class AttemptIntegrity(models.Model):
    """What the integrity events of one attempt add up to, in one row: the counts per kind (every
    event counts, even past the cap on kept rows), the time away in all, the address of its last
    connection, and the thresholds that raised an incident already (each raises one)."""

    attempt = models.OneToOneField("assess.Attempt", primary_key=True, on_delete=models.CASCADE, related_name="+")
    counts = models.JSONField(default=dict, blank=True)
    focus_ms = models.BigIntegerField(default=0)
    # Updated on every connection, whatever the attempt's status: a change counts once started.
    last_address = models.GenericIPAddressField(null=True, blank=True)
    last_session = models.CharField(max_length=64, blank=True)  # a hash of the login session, never the key
    raised = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class IntegrityEvent(models.Model):
    """One integrity event of an attempt, as reported by the exam page (focus lost, full screen
    left, copy, paste, context menu) or seen by the server (a second session, a new address).
    Kept up to ``integrity.MAX_ROWS_PER_KIND`` a kind an attempt; past that only counted."""

    class Kind(models.TextChoices):
        FOCUS_LOSS = "focus_loss", _("Left the exam page")
        FULLSCREEN_EXIT = "fullscreen_exit", _("Left full screen")
        COPY = "copy", _("Copied")
        PASTE = "paste", _("Pasted")
        CONTEXT_MENU = "context_menu", _("Opened the context menu")
        SECOND_SESSION = "second_session", _("Opened in a second session")
        IP_CHANGE = "ip_change", _("Connected from another address")

    attempt = models.ForeignKey("assess.Attempt", on_delete=models.CASCADE, related_name="integrity_events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["attempt", "kind"], name="integrity_attempt_kind")]


class Incident(models.Model):
    """Something that happened in a room on the exam day (``proctoring.incidents``): to one
    candidate, or to the whole room (a power cut: no attempt). Logged with the minutes it cost;
    confirmed (the minutes given back as extra time) or dismissed, once.

    Statuses (values never translated)::

        open ──> confirmed
          └────> dismissed
    """

    class Kind(models.TextChoices):
        POWER = "power", _("Power cut")
        NETWORK = "network", _("Network failure")
        PC_FAILURE = "pc_failure", _("Computer failure")
        ILLNESS = "illness", _("Illness")
        MISCONDUCT = "misconduct", _("Misconduct")
        INTEGRITY = "integrity", _("Integrity alert")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("incident", "Open")
        CONFIRMED = "confirmed", pgettext_lazy("incident", "Confirmed")
        DISMISSED = "dismissed", pgettext_lazy("incident", "Dismissed")

    sitting = models.ForeignKey("assess.Sitting", on_delete=models.CASCADE, related_name="incidents")
    room = models.ForeignKey(SittingRoom, null=True, blank=True, on_delete=models.CASCADE, related_name="incidents")
    attempt = models.ForeignKey(
        "assess.Attempt", null=True, blank=True, on_delete=models.CASCADE, related_name="incidents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)  # an integrity alert: its threshold, count and limit
    time_lost = models.PositiveSmallIntegerField(_("minutes lost"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    minutes_given = models.PositiveSmallIntegerField(_("minutes given back"), default=0)
    given_to = models.JSONField(default=list, blank=True)  # the attempts that got them

    class Meta:
        ordering = ["reported_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(attempt__isnull=False) | models.Q(room__isnull=False), name="incident_has_a_place"
            ),
        ]
        indexes = [
            models.Index(fields=["sitting", "status"], name="incident_sitting_status"),
            models.Index(fields=["room", "status"], name="incident_room_status"),
        ]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")


# --- reopening and Safe Exam Browser --------------------------------------------------------------


class ReopenRequest(models.Model):
    """A proctor's request to reopen an attempt the candidate handed in by mistake, and the exam
    board's decision (``proctoring.reopening``). At most one pending per attempt.

    Statuses (values never translated)::

        pending ──> approved   (the attempt is paused again with the time it had left)
           └──────> refused
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("request", "Pending")
        APPROVED = "approved", pgettext_lazy("request", "Approved")
        REFUSED = "refused", pgettext_lazy("request", "Refused")

    attempt = models.ForeignKey("assess.Attempt", on_delete=models.CASCADE, related_name="reopen_requests")
    sitting = models.ForeignKey("assess.Sitting", on_delete=models.CASCADE, related_name="reopen_requests")
    room = models.ForeignKey(SittingRoom, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt"], condition=models.Q(status="pending"), name="one_pending_reopen_per_attempt"
            ),
        ]
        indexes = [models.Index(fields=["sitting", "status"], name="reopen_sitting_status")]
        verbose_name = _("reopen request")
        verbose_name_plural = _("reopen requests")


class SebSettings(models.Model):
    """Whether a sitting requires Safe Exam Browser, and the keys its configuration and browsers
    may have (``proctoring.seb``): checked on every exam page and at the websocket handshake.
    Keys are 64 hexadecimal characters; a kind with no key is not checked."""

    sitting = models.OneToOneField("assess.Sitting", primary_key=True, on_delete=models.CASCADE, related_name="seb")
    required = models.BooleanField(_("requires Safe Exam Browser"), default=False)
    config_keys = models.JSONField(_("Config Keys"), default=list, blank=True)
    browser_exam_keys = models.JSONField(_("Browser Exam Keys"), default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Safe Exam Browser settings")
        verbose_name_plural = _("Safe Exam Browser settings")
