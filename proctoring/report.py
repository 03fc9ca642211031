"""The room report (biên bản phòng thi) of one room of a sitting, as a PDF to print and sign.

It holds, in this order: the sitting and the room (date, window, when and how the room was
opened, its proctors); the seat map with each candidate's name, learner id and test code;
attendance (present, absent, voided, each listed and counted); the incidents (when, what, who,
minutes lost and given back, how decided); the room's log of actions (check-in, opening,
moves, pauses, extensions, voids, messages: who, when, why); and the signature lines of the
room's proctors and of the exam board, each with the name printed.

Only reads: ``room_report_pdf`` takes a ``SittingRoom`` id and returns the bytes. Every piece
of text goes through :func:`printing.pdf.escape` (reportlab markup). The DejaVu fonts of
``printing.pdf`` cover Vietnamese.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from assess import statuses
from assess.models import Attempt
from printing.pdf import MARGINS, SANS, SANS_BOLD, build, escape, frame_width, register_fonts

from . import incidents
from .models import Action, SittingRoom

_title = ParagraphStyle("report-title", fontName=SANS_BOLD, fontSize=15, leading=19, alignment=TA_CENTER)
_subtitle = ParagraphStyle("report-subtitle", fontName=SANS, fontSize=10, leading=13, alignment=TA_CENTER)
_h2 = ParagraphStyle("report-h2", fontName=SANS_BOLD, fontSize=11.5, leading=15, spaceBefore=9, spaceAfter=4)
_body = ParagraphStyle("report-body", fontName=SANS, fontSize=9, leading=12)
_cell = ParagraphStyle("report-cell", fontName=SANS, fontSize=8, leading=10)
_cell_bold = ParagraphStyle("report-cell-bold", parent=_cell, fontName=SANS_BOLD)
_muted = ParagraphStyle("report-muted", parent=_body, textColor=colors.grey)
_sign = ParagraphStyle("report-sign", fontName=SANS, fontSize=9, leading=12, alignment=TA_CENTER)
_sign_name = ParagraphStyle("report-sign-name", parent=_sign, fontName=SANS_BOLD)

_GRID = [
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
]
_HEAD = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8"))]
WIDE_AFTER_COLUMNS = 6  # a room of more seats across prints on landscape pages


def _p(text: Any, style: ParagraphStyle = _cell) -> Paragraph:
    return Paragraph(escape("" if text is None else str(text)), style)


def _time(at: datetime | None, pattern: str = "%H:%M") -> str:
    return timezone.localtime(at).strftime(pattern) if at else "–"


def _name(user) -> str:
    return "" if user is None else user.get_full_name() or user.username


def _table(rows: list[list[Any]], widths: list[float], *, head: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if head else 0)
    table.setStyle(TableStyle(_GRID + (_HEAD if head else [])))
    return table


def _scaled(shares: list[float], width: float) -> list[float]:
    total = sum(shares)
    return [width * share / total for share in shares]


def _seat_map(room: SittingRoom, attempts: list[Attempt], width: float) -> Flowable:
    """The room's grid, row A (the front) at the top: each seat with its candidate."""
    lab = room.room
    seats = {(seat.row, seat.column): seat for seat in lab.seats.all()}
    sitting_at = {attempt.seat_id: attempt for attempt in attempts if attempt.seat_id is not None}
    size = 7 if lab.columns <= 8 else 5.5
    style = ParagraphStyle("seat", parent=_cell, fontSize=size, leading=size + 2)
    bold = ParagraphStyle("seat-bold", parent=style, fontName=SANS_BOLD)
    rows, commands = [], list(_GRID)
    for r in range(1, lab.rows + 1):
        line: list[Any] = []
        for c in range(1, lab.columns + 1):
            seat = seats.get((r, c))
            if seat is None:
                line.append("")
                commands.append(("BACKGROUND", (c - 1, r - 1), (c - 1, r - 1), colors.HexColor("#d0d0d0")))
                continue
            attempt = sitting_at.get(seat.pk)
            parts = [Paragraph(escape(seat.label), bold)]
            if attempt is not None:
                student = attempt.student
                parts.append(Paragraph(escape(student.get_full_name() or student.username), style))
                ids = " · ".join(x for x in (student.learner_id or student.username, attempt.form.code) if x)
                parts.append(Paragraph(escape(ids), style))
                if attempt.status == statuses.VOIDED:
                    parts.append(Paragraph(escape(pgettext("candidate state", "Voided")), bold))
            elif seat.spare:
                parts.append(Paragraph(escape(pgettext("seat", "Spare")), style))
            line.append(parts)
        rows.append(line)
    table = Table(rows, colWidths=[width / lab.columns] * lab.columns)
    table.setStyle(TableStyle(commands))
    return table


def _attendance(attempts: list[Attempt], width: float) -> list[Flowable]:
    voided = [a for a in attempts if a.status == statuses.VOIDED]
    absent = [a for a in attempts if a.status == statuses.SCHEDULED]
    present = [a for a in attempts if a not in voided and a not in absent]
    story: list[Flowable] = [
        _p(
            _("Candidates: %(all)d. Present: %(present)d. Absent: %(absent)d. Voided: %(voided)d.")
            % {"all": len(attempts), "present": len(present), "absent": len(absent), "voided": len(voided)},
            _body,
        )
    ]
    widths = _scaled([0.5, 0.7, 3, 1.6, 3.2], width)
    for title, group in ((_("Present"), present), (_("Absent"), absent), (_("Voided"), voided)):
        story.append(_p(f"{title} ({len(group)})", _cell_bold))
        if not group:
            story.append(_p("–", _muted))
            continue
        rows: list[list[Any]] = [
            [_p(h, _cell_bold) for h in ("#", pgettext("console", "Seat"), _("Name"), _("Learner ID"), _("Notes"))]
        ]
        for n, attempt in enumerate(group, start=1):
            rows.append(
                [
                    _p(n),
                    _p(attempt.seat.label if attempt.seat else "–"),
                    _p(attempt.student.get_full_name() or attempt.student.username),
                    _p(attempt.student.learner_id or attempt.student.username),
                    _p(_attendance_note(attempt)),
                ]
            )
        story.append(_table(rows, widths))
        story.append(Spacer(1, 3 * mm))
    return story


def _attendance_note(attempt: Attempt) -> str:
    if attempt.status in (statuses.SUBMITTED, statuses.SCORED, statuses.PUBLISHED):
        return _("Started %(start)s, handed in %(end)s") % {
            "start": _time(attempt.started_at),
            "end": _time(attempt.submitted_at),
        }
    if attempt.status in statuses.OPEN:
        return _("Started %(start)s, still working") % {"start": _time(attempt.started_at)}
    if attempt.status == statuses.CHECKED_IN:
        return _("Checked in, not started")
    return ""


def _incidents(room: SittingRoom, width: float) -> list[Flowable]:
    found = list(incidents.incidents_of(sitting_id=room.sitting_id, room_id=room.pk))
    if not found:
        return [_p(_("No incident."), _muted)]
    head = (
        _("Time"),
        _("Kind"),
        pgettext("console", "Candidate"),
        _("What happened"),
        _("Minutes lost"),
        _("Given back"),
        _("Decision"),
    )
    rows: list[list[Any]] = [[_p(h, _cell_bold) for h in head]]
    for incident in found:
        attempt = incident.attempt
        who = (
            f"{attempt.student.get_full_name() or attempt.student.username}"
            + (f" ({attempt.seat.label})" if attempt.seat else "")
            if attempt is not None
            else _("Whole room")
        )
        decision = incident.get_status_display()
        if incident.decided_by is not None:
            decision += f" – {_name(incident.decided_by)} {_time(incident.decided_at)}"
        if incident.decision_note:
            decision += f": {incident.decision_note}"
        reporter = _name(incident.reported_by) or _("the server")
        rows.append(
            [
                _p(_time(incident.reported_at)),
                _p(incident.get_kind_display()),
                _p(who),
                _p(f"{incidents.describe(incident)} ({reporter})"),
                _p(incident.time_lost),
                _p(incident.minutes_given if incident.status == incidents.CONFIRMED else "–"),
                _p(decision),
            ]
        )
    return [_table(rows, _scaled([0.8, 1.3, 2, 3.2, 1.1, 1.1, 2.4], width))]


def _action_detail(action: Action) -> str:
    detail = action.detail or {}
    parts = [action.reason] if action.reason else []
    if action.kind == Action.Kind.MOVE and detail.get("from"):
        parts.append(_("seat %(from)s → %(to)s") % {"from": detail.get("from"), "to": detail.get("to")})
    if detail.get("minutes"):
        parts.append(_("%(n)s minutes") % {"n": detail["minutes"]})
    if isinstance(detail.get("attempts"), list) and action.attempt_id is None:
        parts.append(_("%(n)d candidates") % {"n": len(detail["attempts"])})
    return "; ".join(str(part) for part in parts)


def _actions(room: SittingRoom, width: float) -> list[Flowable]:
    actions = list(room.actions.select_related("by", "attempt__student", "attempt__seat").order_by("at", "pk"))
    if not actions:
        return [_p(_("No action."), _muted)]
    head = (_("Time"), _("Action"), _("By"), pgettext("console", "Candidate"), _("Reason, detail"))
    rows: list[list[Any]] = [[_p(h, _cell_bold) for h in head]]
    for action in actions:
        attempt = action.attempt
        who = (
            (attempt.student.get_full_name() or attempt.student.username)
            + (f" ({attempt.seat.label})" if attempt.seat else "")
            if attempt is not None
            else "–"
        )
        rows.append(
            [
                _p(_time(action.at, "%H:%M:%S")),
                _p(action.get_kind_display()),
                _p(_name(action.by)),
                _p(who),
                _p(_action_detail(action)),
            ]
        )
    return [_table(rows, _scaled([1, 1.8, 1.8, 2.2, 4], width))]


def _signatures(room: SittingRoom, width: float) -> Flowable:
    proctors = [_name(user) for user in room.proctors.all().order_by("last_name", "first_name", "username")]
    board = _name(room.sitting.created_by)
    signers = [(_("Proctor %(n)d") % {"n": n}, name) for n, name in enumerate(proctors, start=1)]
    signers.append((_("For the exam board"), board))
    cells = [
        [
            Paragraph(escape(role), _sign),
            Paragraph(escape(_("(signature, full name)")), _sign),
            Spacer(1, 16 * mm),
            Paragraph(escape(name or "……………………"), _sign_name),
        ]
        for role, name in signers
    ]
    across = 3
    rows = [cells[start : start + across] for start in range(0, len(cells), across)]
    rows[-1] = rows[-1] + [""] * (across - len(rows[-1]))
    table = Table(rows, colWidths=[width / across] * across)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 6)]))
    return table


def room_report_pdf(sitting_room_id: int) -> bytes:
    """The report of one room of a sitting as a PDF (A4; landscape for a room of many columns)."""
    register_fonts()
    room = (
        SittingRoom.objects.select_related("sitting__assessment__subject", "sitting__created_by", "room__organisation")
        .select_related("opened_by")
        .prefetch_related("room__seats", "proctors")
        .get(pk=sitting_room_id)
    )
    sitting, lab = room.sitting, room.room
    attempts = list(
        Attempt.objects.filter(room=room)
        .select_related("student", "seat", "form")
        .order_by("seat__row", "seat__column", "student__username")
    )
    pagesize = landscape(A4) if lab.columns > WIDE_AFTER_COLUMNS else A4
    width = frame_width(pagesize, MARGINS)
    if room.opened_at is None:
        opened = _("The room was not opened.")
    else:
        opened = _("Opened at %(time)s by %(name)s (%(how)s).") % {
            "time": _time(room.opened_at),
            "name": _name(room.opened_by),
            "how": _("everyone together") if room.together else _("each when ready"),
        }
    facts = [
        (_("Sitting"), sitting.title),
        (_("Subject"), str(sitting.assessment.subject)),
        (_("School"), lab.organisation.name),
        (pgettext("console", "Room"), lab.name),
        (_("Date"), _time(sitting.opens_at, "%d/%m/%Y")),
        (
            pgettext("sitting", "Window"),
            f"{_time(sitting.opens_at, '%d/%m/%Y %H:%M')} – {_time(sitting.closes_at, '%d/%m/%Y %H:%M')}",
        ),
        (_("Opening"), opened),
        (_("Proctors"), ", ".join(_name(user) for user in room.proctors.all()) or "–"),
    ]
    fact_rows = [[_p(label, _cell_bold), _p(value, _body)] for label, value in facts]
    fact_table = Table(fact_rows, colWidths=_scaled([1, 4], width))
    fact_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story: list[Flowable] = [
        Paragraph(escape(_("ROOM REPORT")), _title),
        Paragraph(escape(f"{sitting.title} · {lab.name}"), _subtitle),
        Spacer(1, 5 * mm),
        fact_table,
        Paragraph(escape(_("Seat map (row A at the front)")), _h2),
        _seat_map(room, attempts, width),
        Paragraph(escape(_("Attendance")), _h2),
        *_attendance(attempts, width),
        Paragraph(escape(_("Incidents")), _h2),
        *_incidents(room, width),
        Paragraph(escape(_("Actions of the proctors and the board")), _h2),
        *_actions(room, width),
        KeepTogether(
            [
                Paragraph(escape(_("Signatures")), _h2),
                _p(_("Made at %(time)s.") % {"time": _time(timezone.now(), "%H:%M %d/%m/%Y")}, _muted),
                _signatures(room, width),
            ]
        ),
    ]
    heading = f"{sitting.title} – {lab.name}"

    def footer(page: int, pages: int) -> str:
        return heading + " – " + _("Page %(page)d/%(pages)d") % {"page": page, "pages": pages}

    return build(story, title=_("Room report: %(room)s") % {"room": heading}, pagesize=pagesize, footer=footer)
