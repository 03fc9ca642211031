"""Login cards of a class as a PDF to print and cut: ten cards an A4 page, two across.

Each card holds the school, the class, the student's full name, learner identifier, user
name, first password and the login address, and says that the password is changed at the
first login. The passwords come from ``accounts.services.class_first_passwords`` (issued when
the cards are asked for, audited, stored hashed): this module only lays out what that call
returned, and its response is never cached (``Cache-Control: no-store``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from reportlab.lib.colors import grey
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepInFrame, Paragraph, Table, TableStyle

from printing.pdf import MONO, MONO_BOLD, SANS, SANS_BOLD, build, escape, frame_width, register_fonts

from .models import SchoolClass, User

CARDS_ACROSS = 2
CARDS_DOWN = 5
MARGINS = (12 * mm, 10 * mm, 14 * mm, 10 * mm)  # the cards take the page; the footer fits below

_school = ParagraphStyle("card-school", fontName=SANS, fontSize=8.5, leading=10.5, textColor=grey)
_name = ParagraphStyle("card-name", fontName=SANS_BOLD, fontSize=12.5, leading=15.5, spaceBefore=3, spaceAfter=4)
_field = ParagraphStyle("card-field", fontName=SANS, fontSize=9.5, leading=14)
_large = ParagraphStyle("card-large", parent=_field, leading=17)  # the password, in larger type
_note = ParagraphStyle("card-note", fontName=SANS, fontSize=8, leading=10, spaceBefore=4, textColor=grey)
_empty = ParagraphStyle("card-empty", fontName=SANS, fontSize=11, leading=15, alignment=TA_CENTER)


def _card(school_class: SchoolClass, student: User, password: str, login_url: str) -> list[Flowable]:
    def field(label: str, value: str, *, font: str = MONO, size: float = 10.5) -> Paragraph:
        style = _large if size > 11 else _field
        return Paragraph(f'{escape(label)}: <font name="{font}" size="{size}">{escape(value)}</font>', style)

    heading = f"{school_class.school.name} · " + _("Class %(name)s") % {"name": school_class.name}
    return [
        Paragraph(escape(heading), _school),
        Paragraph(escape(student.get_full_name() or student.username), _name),
        field(_("Learner identifier"), student.learner_id or "–", font=SANS, size=9.5),
        field(_("Username"), student.username, font=MONO_BOLD, size=11),
        field(_("Password"), password, font=MONO_BOLD, size=12.5),
        field(_("Address"), login_url, size=9),
        Paragraph(escape(_("At your first login you choose a password of your own.")), _note),
    ]


def login_cards_pdf(school_class: SchoolClass, issued: Sequence[tuple[User, str]], login_url: str) -> bytes:
    """The cards of ``issued`` (student, first password), in that order, as an A4 PDF."""
    register_fonts()
    width = frame_width(A4, MARGINS)
    height = A4[1] - MARGINS[0] - MARGINS[2] - 12
    card_width, card_height = width / CARDS_ACROSS, height / CARDS_DOWN
    inner = (card_width - 20, card_height - 16)
    cards = [
        KeepInFrame(*inner, content=_card(school_class, student, password, login_url), mode="shrink")
        for student, password in issued
    ]
    story: list[Flowable]
    if cards:
        rows = [cards[start : start + CARDS_ACROSS] for start in range(0, len(cards), CARDS_ACROSS)]
        rows[-1] = rows[-1] + [""] * (CARDS_ACROSS - len(rows[-1]))
        grid = Table(rows, colWidths=[card_width] * CARDS_ACROSS, rowHeights=[card_height] * len(rows))
        grid.setStyle(
            TableStyle(
                [
                    # Cut lines: dashed, around every card.
                    ("GRID", (0, 0), (-1, -1), 0.5, grey, None, (4, 3)),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 10),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                    ("TOPPADDING", (0, 0), (-1, -1), 8),
                ]
            )
        )
        story = [grid]
    else:
        story = [
            Paragraph(
                escape(
                    _(
                        "Every student of this class has logged in already: a forgotten password is reset one by "
                        "one on the class page."
                    )
                ),
                _empty,
            )
        ]
    class_name = _("Class %(name)s") % {"name": school_class.name}

    def footer(page: int, pages: int) -> str:
        return class_name + " – " + _("Page %(page)d/%(pages)d") % {"page": page, "pages": pages}

    title = _("Login cards, class %(name)s") % {"name": school_class.name}
    return build(story, title=title, footer=footer, margins=MARGINS)


def login_cards_response(school_class: SchoolClass, issued: Sequence[tuple[User, str]], login_url: str) -> HttpResponse:
    """The cards as a PDF download, never cached: the passwords are shown only in it."""
    response = HttpResponse(login_cards_pdf(school_class, issued, login_url), content_type="application/pdf")
    filename = f"the-dang-nhap-lop-{slugify(school_class.name) or school_class.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
