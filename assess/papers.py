"""Printed papers of test codes and key tables as PDF, for an exam's paper fallback.

- :func:`form_paper_pdf`: a code (or a master form) as candidates get it on paper, A4: the
  header (organisation, title, subject, duration, test code, lines for the candidate's name
  and number), each part with its label and instructions, every item in the code's order with
  its number and points, its stem, and what it lists in the code's order and labels: options
  A, B, C, D by position after the shuffle (pinned ones in place), true/false statements a),
  b), c), d), answer boxes of short numeric items, inline choice gaps (1), (2) with options A.,
  B., matching premises 1., 2. and responses A., B. (as the exam page shows them), ordering
  elements a), b); the bank's images; "Trang 1/3" on each page. The key table names the same
  labels (``itembank.content.arranged_key``).
- :func:`key_table_pdf`: the key table of every code (as the XLSX: a row per code, the key of
  each position), landscape, positions in blocks of :data:`KEY_COLUMNS`.

A paper is made in two steps. :func:`paper_of` reads the form and keeps only what a candidate
sees (:class:`Paper`: texts and labels, never a key, a scale, a tolerance, accepted answers,
an explanation or a rubric); :func:`paper_pdf` lays that out. Item text is printed from its
stored source (``itembank.pdf_text``: LaTeX drawn by mathtext), not from the page's MathML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _
from reportlab.lib.colors import Color, black
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from itembank import content
from itembank.models import MediaFile, Stimulus
from itembank.pdf_text import INDENT, ItemText, PrintImage, natural_width
from printing.formulas import FormulaSet
from printing.pdf import SANS, SANS_BOLD, SERIF, SERIF_BOLD, build, escape, frame_width, register_fonts

from . import test_codes
from .models import Form, FormItem

KEY_COLUMNS = 20
"""Positions per row block of the printed key table: 20 fit a landscape A4 in 9-point type."""

STATEMENT_LETTERS = content.PAPER_LETTERS
BODY_SIZE = 12.0


# --- what a paper shows (no key) ------------------------------------------------------------


@dataclass(frozen=True)
class PaperList:
    """Entries of an item printed under its stem: ``(label, text)`` in the code's order.

    ``kind``: ``choices`` (laid out in 4, 2 or 1 columns as they fit, as national papers do)
    or ``lines`` (one entry a line); ``heading`` is printed above it (a gap's "(1)").
    """

    kind: str
    entries: tuple[tuple[str, str], ...]
    heading: str = ""


@dataclass(frozen=True)
class PaperStimulus:
    title: str
    body: str
    image: str | None = None  # a media id
    audio: bool = False


@dataclass(frozen=True)
class PaperItem:
    number: int
    points: str
    stem: str
    note: str = ""
    lists: tuple[PaperList, ...] = ()
    gaps: Mapping[str, str] = field(default_factory=dict)  # gap id -> its label on paper
    boxes: int | None = None  # short numeric: answer boxes to print
    answer_line: str = ""  # a label followed by a dotted line to write on
    stimulus: PaperStimulus | None = None


@dataclass(frozen=True)
class PaperPart:
    label: str
    instructions: str
    items: tuple[PaperItem, ...]


@dataclass(frozen=True)
class Paper:
    title: str
    organisation: str
    department: str
    subject: str
    duration_minutes: int
    school_year: str
    code: str
    parts: tuple[PaperPart, ...]


# --- reading a form ---------------------------------------------------------------------------


def _lettered(entries: Sequence[Mapping[str, Any]], letters: str, suffix: str) -> tuple[tuple[str, str], ...]:
    return tuple((f"{letters[index]}{suffix}", str(entry["text"])) for index, entry in enumerate(entries))


def _item(fi: FormItem) -> PaperItem:
    """One form item as printed: its texts in the code's order, never its key."""
    version = fi.item_version
    item_type = version.item.item_type
    document = content.arrange(item_type, version.content, fi.arrangement)
    points = _("(%(points)s points)") % {"points": floatformat(fi.points, "-2")}
    common: dict[str, Any] = {"number": fi.position, "points": points, "stem": str(document.get("stem", ""))}
    if version.stimulus_id:
        stimulus = version.stimulus
        common["stimulus"] = PaperStimulus(
            title=stimulus.title,
            body=stimulus.body,
            image=str(stimulus.media_id) if stimulus.kind == Stimulus.Kind.IMAGE and stimulus.media_id else None,
            audio=stimulus.kind == Stimulus.Kind.AUDIO,
        )
    letters = content.OPTION_LETTERS
    if item_type in ("single_choice", "multiple_response"):
        note = _("Choose every correct option.") if item_type == "multiple_response" else ""
        return PaperItem(
            **common, note=note, lists=(PaperList("choices", _lettered(document["options"], letters, ".")),)
        )
    if item_type == "true_false_group":
        return PaperItem(
            **common, lists=(PaperList("lines", _lettered(document["statements"], STATEMENT_LETTERS, ")")),)
        )
    if item_type == "short_numeric":
        boxes = document.get("boxes")
        if boxes:
            return PaperItem(**common, boxes=int(boxes))
        return PaperItem(**common, answer_line=_("Answer:"))
    if item_type == "text_entry":
        return PaperItem(**common, answer_line=_("Answer:"))
    if item_type == "inline_choice":
        gaps = {gap["id"]: f"({number})" for number, gap in enumerate(document["gaps"], start=1)}
        lists = tuple(
            PaperList("choices", _lettered(gap["options"], letters, "."), heading=gaps[gap["id"]])
            for gap in document["gaps"]
        )
        return PaperItem(**common, lists=lists, gaps=gaps)
    if item_type == "matching":
        responses = content.shown_order(item_type, document, "responses", seed=version.pk)
        premises = tuple((f"{n}.", str(entry["text"])) for n, entry in enumerate(document["premises"], start=1))
        return PaperItem(
            **common,
            note=_("Match each numbered entry with a lettered one."),
            lists=(PaperList("lines", premises), PaperList("lines", _lettered(responses, letters, "."))),
            answer_line=_("Answer:"),
        )
    if item_type == "ordering":
        elements = content.shown_order(item_type, document, "elements", seed=version.pk)
        return PaperItem(
            **common,
            note=_("Put the entries in the right order."),
            lists=(PaperList("lines", _lettered(elements, STATEMENT_LETTERS, ")")),),
            answer_line=_("Order:"),
        )
    if item_type == "essay" and document.get("max_words"):
        return PaperItem(**common, note=_("At most %(count)d words.") % {"count": document["max_words"]})
    return PaperItem(**common)


def _items_text(first: int, last: int) -> str:
    if first == last:
        return _("item %(number)d") % {"number": first}
    return _("items %(first)d to %(last)d") % {"first": first, "last": last}


def _instructions(item_types: set[str], first: int, last: int) -> str:
    items = _items_text(first, last)
    if item_types == {"single_choice"}:
        return _("Multiple choice. Answer %(items)s; choose one option in each.") % {"items": items}
    if item_types == {"true_false_group"}:
        return _("True or false. Answer %(items)s; in each, mark every statement true or false.") % {"items": items}
    if item_types == {"short_numeric"}:
        return _("Short answers. Answer %(items)s.") % {"items": items}
    if item_types == {"essay"}:
        return _("Essay. Answer %(items)s on your answer sheet.") % {"items": items}
    return _("Answer %(items)s.") % {"items": items}


def paper_of(form: Form) -> Paper:
    """What a form (a test code or a master form) shows on paper, in its order."""
    assessment = form.assessment
    organisation = assessment.organisation
    parts = {part.position: part for part in assessment.parts.all()}
    form_items = list(
        FormItem.objects.filter(form=form)
        .select_related("item_version__item", "item_version__stimulus")
        .order_by("position")
    )
    by_part: dict[int, list[FormItem]] = {}
    for fi in form_items:
        by_part.setdefault(fi.part, []).append(fi)
    printed = []
    for position in sorted(by_part):
        rows = by_part[position]
        part = parts.get(position)
        printed.append(
            PaperPart(
                label=part.label if part else str(position),
                instructions=_instructions(
                    {fi.item_version.item.item_type for fi in rows}, rows[0].position, rows[-1].position
                ),
                items=tuple(_item(fi) for fi in rows),
            )
        )
    return Paper(
        title=assessment.title,
        organisation=organisation.name,
        department=organisation.parent.name if organisation.parent_id else "",
        subject=assessment.subject.name,
        duration_minutes=assessment.duration_minutes,
        school_year=assessment.school_year,
        code=form.code,
        parts=tuple(printed),
    )


def load_media_image(name: str) -> PrintImage:
    """A bank image by its id, from its stored file (``data`` None when there is none to read)."""
    try:
        media = MediaFile.objects.filter(pk=name).first()
    except (ValidationError, ValueError):  # not a media id at all
        return PrintImage(None)
    if media is None:
        return PrintImage(None)
    if not media.content_type.startswith("image/"):
        return PrintImage(None, media.alt_text)
    try:
        with media.file.open("rb") as stored:
            return PrintImage(stored.read(), media.alt_text)
    except OSError:  # the file is gone from the storage
        return PrintImage(None, media.alt_text)


# --- laying a paper out -----------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body", fontName=SERIF, fontSize=BODY_SIZE, leading=15, autoLeading="max", alignment=TA_LEFT, spaceAfter=2
    )
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=10, leading=12.5, spaceAfter=0),
        "centre": ParagraphStyle("centre", parent=body, alignment=TA_CENTER, spaceAfter=0),
        "title": ParagraphStyle(
            "title", parent=body, fontName=SERIF_BOLD, fontSize=13, leading=17, alignment=TA_CENTER
        ),
        "part": ParagraphStyle("part", parent=body, spaceBefore=8, spaceAfter=4),
        "note": ParagraphStyle("note", parent=body, fontSize=11, leading=14, leftIndent=INDENT),
        "entry": ParagraphStyle("entry", parent=body, spaceAfter=0),
        "line": ParagraphStyle("line", parent=body, leftIndent=INDENT, spaceAfter=1),
    }


class _PaperLayout:
    def __init__(self, paper: Paper, load_image: Any) -> None:
        self.paper = paper
        self.formulas = FormulaSet()
        self.text = ItemText(formulas=self.formulas, load_image=load_image)
        self.styles = _styles()
        self.width = frame_width()

    def story(self) -> list[Flowable]:
        story = self.header()
        for part in self.paper.parts:
            story.append(Paragraph(f"<b>{escape(part.label)}.</b> {escape(part.instructions)}", self.styles["part"]))
            shown: set[PaperStimulus] = set()
            for index, item in enumerate(part.items):
                if item.stimulus is not None and item.stimulus not in shown:
                    shown.add(item.stimulus)
                    run = [later.number for later in part.items[index:] if later.stimulus == item.stimulus]
                    story.extend(self.stimulus(item.stimulus, run[0], run[-1]))
                story.append(KeepTogether(self.item(item)))
        story.append(Spacer(1, 10))
        end = _("—— THE END ——")
        story.append(Paragraph(f"<b>{escape(end)}</b>", self.styles["centre"]))
        return story

    def header(self) -> list[Flowable]:
        paper, styles = self.paper, self.styles
        left: list[Flowable] = []
        if paper.department:
            left.append(Paragraph(escape(paper.department.upper()), styles["centre"]))
        left.append(Paragraph(f"<b>{escape(paper.organisation.upper())}</b>", styles["centre"]))
        left.append(Spacer(1, 6))
        code_label = _("Test code %(code)s") % {"code": paper.code}
        subject = _("Subject: %(subject)s") % {"subject": paper.subject}
        duration = _("Time allowed: %(minutes)d minutes, not counting the time to hand out the paper") % {
            "minutes": paper.duration_minutes
        }
        code = Table([[Paragraph(f"<b>{escape(code_label)}</b>", styles["centre"])]])
        code.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, black)]))
        left.append(code)
        right = [
            Paragraph(escape(paper.title.upper()), styles["title"]),
            Paragraph(escape(_("School year %(year)s") % {"year": paper.school_year}), styles["centre"]),
            Paragraph(f"<b>{escape(subject)}</b>", styles["centre"]),
            Paragraph(
                f"<i>{escape(duration)}</i>",
                styles["centre"],
            ),
        ]
        head = Table([[left, right]], colWidths=[self.width * 0.38, self.width * 0.62])
        head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 2)]))
        name_width = self.width * 0.62
        candidate = Table(
            [
                [
                    Paragraph(_dotted(_("Candidate's full name:"), name_width - 8), styles["body"]),
                    Paragraph(_dotted(_("Candidate number:"), self.width - name_width - 8), styles["body"]),
                ]
            ],
            colWidths=[name_width, self.width - name_width],
        )
        candidate.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        return [head, Spacer(1, 10), candidate, Spacer(1, 4)]

    def stimulus(self, stimulus: PaperStimulus, first: int, last: int) -> list[Flowable]:
        styles = self.styles
        use = _("Use the following for %(items)s.") % {"items": _items_text(first, last)}
        out: list[Flowable] = [
            Paragraph(
                f"<i>{escape(use)}</i>",
                styles["body"],
            )
        ]
        if stimulus.title:
            out.append(Paragraph(f"<b>{escape(stimulus.title)}</b>", styles["centre"]))
        if stimulus.image:
            out.append(self.text.image({"src": f"media:{stimulus.image}"}, self.width))
        if stimulus.audio:
            out.append(Paragraph(escape(_("[Audio clip: %(title)s]") % {"title": stimulus.title}), styles["centre"]))
        out.extend(self.text.flowables(stimulus.body, styles["body"], self.width))
        return out

    def item(self, item: PaperItem) -> list[Flowable]:
        styles = self.styles
        label = _("Item %(number)d") % {"number": item.number}
        prefix = f"<b>{escape(label)}</b> {escape(item.points)}. "
        out = self.text.flowables(item.stem, styles["body"], self.width, prefix=prefix, gaps=item.gaps)
        if item.note:
            out.append(Paragraph(f"<i>{escape(item.note)}</i>", styles["note"]))
        for entries in item.lists:
            if entries.kind == "choices":
                out.append(self.choices(entries.entries, entries.heading))
            else:
                for entry_label, text in entries.entries:
                    out.extend(
                        self.text.flowables(text, styles["line"], self.width, prefix=f"<b>{escape(entry_label)}</b> ")
                    )
        if item.boxes:
            out.append(self.boxes(item.boxes))
        if item.answer_line:
            out.append(Paragraph(_dotted(item.answer_line, self.width * 0.8, 11), styles["note"]))
        out.append(Spacer(1, 4))
        return out

    def choices(self, entries: Sequence[tuple[str, str]], heading: str = "") -> Flowable:
        """Options as national papers set them: four on a line if they fit, else two, else one
        (``heading``, a gap's "(1)", before the first)."""
        indent = INDENT + (26.0 if heading else 0.0)
        room = self.width - indent
        cells = [
            self.text.flowables(text, self.styles["entry"], room - 6, prefix=f"<b>{escape(label)}</b> ")
            for label, text in entries
        ]
        widest = max((natural_width(cell, room - 6) for cell in cells), default=0.0)
        columns = next((n for n in (4, 2) if widest <= room / n - 8), 1)
        first = Paragraph(f"<b>{escape(heading)}</b>", self.styles["entry"]) if heading else ""
        rows = [
            [first if start == 0 else "", *cells[start : start + columns]]
            + [""] * (columns - len(cells[start : start + columns]))
            for start in range(0, len(cells), columns)
        ]
        table = Table(rows, colWidths=[indent] + [room / columns] * columns, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                    ("LEFTPADDING", (0, 0), (0, -1), INDENT),
                    ("RIGHTPADDING", (0, 0), (0, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        return table

    def boxes(self, count: int) -> Flowable:
        """A short numeric item's answer boxes: ``count`` empty squares after "Answer:"."""
        side = 18.0
        label = Paragraph(escape(_("Answer:")), self.styles["note"])
        table = Table([[label] + [""] * count], colWidths=[90.0] + [side] * count, rowHeights=[side], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (1, 0), (-1, -1), 0.8, black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (0, 0), 0),
                ]
            )
        )
        return table


def _dotted(label: str, width: float, size: float = BODY_SIZE) -> str:
    """``label`` followed by dots filling ``width`` points: a line to write on."""
    room = width - stringWidth(label + " ", SERIF, size)
    return f"{escape(label)} " + "." * max(3, int(room / stringWidth(".", SERIF, size)))


def paper_pdf(paper: Paper, *, load_image: Any = load_media_image) -> bytes:
    """The printed paper (A4 PDF) of ``paper``."""
    layout = _PaperLayout(paper, load_image)
    code_label = _("Test code %(code)s") % {"code": paper.code}

    def footer(page: int, pages: int) -> str:
        return _("Page %(page)d/%(pages)d") % {"page": page, "pages": pages} + " – " + code_label

    return build(layout.story(), title=f"{paper.title} – {paper.code}", footer=footer, formulas=layout.formulas)


def form_paper_pdf(form: Form) -> bytes:
    """The printed paper of a test code (or of a master form), as its candidates would get it."""
    return paper_pdf(paper_of(form))


# --- key tables ----------------------------------------------------------------------------------


def key_table_pdf(form: Form) -> bytes:
    """Every code's key, position by position (``assess.test_codes.key_tables``), landscape A4:
    a row per code, positions in blocks of :data:`KEY_COLUMNS` columns."""
    register_fonts()
    tables = test_codes.key_tables(form)
    assessment = form.assessment
    styles = _styles()
    cell = ParagraphStyle("key", fontName=SANS, fontSize=9, leading=11, alignment=TA_CENTER)
    head = ParagraphStyle("key-head", parent=cell, fontName=SANS_BOLD)
    pagesize = landscape(A4)
    width = frame_width(pagesize)
    story: list[Flowable] = [
        Paragraph(escape(_("Key table")).upper(), styles["title"]),
        Paragraph(
            escape(
                _("%(title)s · %(subject)s · master form %(master)s")
                % {"title": assessment.title, "subject": assessment.subject.name, "master": tables["master"]}
            ),
            styles["centre"],
        ),
        Spacer(1, 10),
    ]
    code_width = 56.0
    positions = tables["positions"]
    for start in range(0, positions, KEY_COLUMNS):
        numbers = range(start + 1, min(start + KEY_COLUMNS, positions) + 1)
        column = (width - code_width) / KEY_COLUMNS
        data = [[Paragraph(escape(_("Test code")), head)] + [Paragraph(str(n), head) for n in numbers]]
        for table in tables["codes"]:
            keys = table["keys"][start : start + KEY_COLUMNS]
            data.append(
                [Paragraph(f"<b>{escape(table['code'])}</b>", cell)] + [Paragraph(escape(str(k)), cell) for k in keys]
            )
        grid = Table(data, colWidths=[code_width] + [column] * len(numbers), repeatRows=1, hAlign="LEFT")
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, black),
                    ("BACKGROUND", (0, 0), (-1, 0), Color(0.9, 0.9, 0.9)),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 1),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        story.extend([grid, Spacer(1, 12)])

    def footer(page: int, pages: int) -> str:
        return _("Page %(page)d/%(pages)d") % {"page": page, "pages": pages}

    return build(story, title=_("Key table"), pagesize=pagesize, footer=footer)
