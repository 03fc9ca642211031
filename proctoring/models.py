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
