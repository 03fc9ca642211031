"""Fonts, markup escaping and page-numbered documents, shared by every printable PDF.

The fonts are the DejaVu TrueType files that matplotlib ships in ``mpl-data/fonts/ttf``
(DejaVu's licence: free to use, embed and redistribute): a machine with no system fonts prints
the same pages, and they cover Vietnamese (Latin Extended Additional, every tone mark on every
vowel). reportlab embeds the subset of glyphs a document uses.

Text reaches reportlab as its paragraph markup (a small XML): every piece of user text goes
through :func:`escape` first, so that no text can become a tag (``<img src=...>`` would make
reportlab open a file of the server).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

from .formulas import FormulaSet

SERIF = "DejaVuSerif"
SERIF_BOLD = "DejaVuSerif-Bold"
SERIF_ITALIC = "DejaVuSerif-Italic"
SERIF_BOLD_ITALIC = "DejaVuSerif-BoldItalic"
SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
SANS_ITALIC = "DejaVuSans-Oblique"
SANS_BOLD_ITALIC = "DejaVuSans-BoldOblique"
MONO = "DejaVuSansMono"
MONO_BOLD = "DejaVuSansMono-Bold"

_FILES = {
    SERIF: "DejaVuSerif.ttf",
    SERIF_BOLD: "DejaVuSerif-Bold.ttf",
    SERIF_ITALIC: "DejaVuSerif-Italic.ttf",
    SERIF_BOLD_ITALIC: "DejaVuSerif-BoldItalic.ttf",
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SANS_ITALIC: "DejaVuSans-Oblique.ttf",
    SANS_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
    MONO: "DejaVuSansMono.ttf",
    MONO_BOLD: "DejaVuSansMono-Bold.ttf",
}
_FAMILIES = {
    SERIF: (SERIF, SERIF_BOLD, SERIF_ITALIC, SERIF_BOLD_ITALIC),
    SANS: (SANS, SANS_BOLD, SANS_ITALIC, SANS_BOLD_ITALIC),
    MONO: (MONO, MONO_BOLD, MONO, MONO_BOLD),
}
_registered = False
_register_lock = threading.Lock()

MARGINS = (18 * mm, 15 * mm, 15 * mm, 18 * mm)
"""Top, right, bottom, left: what most school printers leave printable, with room for the footer."""


def font_dir() -> Path:
    """Where matplotlib keeps its TrueType fonts (``mpl-data/fonts/ttf``)."""
    import matplotlib  # here: a process that prints nothing never imports it

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def register_fonts() -> None:
    """Register the DejaVu fonts with reportlab, once per process (``<b>`` and ``<i>`` work)."""
    global _registered
    with _register_lock:
        if _registered:
            return
        for name, filename in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(font_dir() / filename)))
        for family, (normal, bold, italic, bold_italic) in _FAMILIES.items():
            pdfmetrics.registerFontFamily(family, normal=normal, bold=bold, italic=italic, boldItalic=bold_italic)
        _registered = True


def escape(text: str) -> str:
    """Plain text as reportlab paragraph markup: ``&``, ``<`` and ``>`` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attribute(text: str) -> str:
    """Plain text as a quoted attribute value of reportlab markup."""
    return escape(text).replace('"', "&quot;")


Footer = Callable[[int, int], str]
"""(page, pages) -> the footer line of that page, e.g. "Trang 1/3"."""


def _canvas_class(footer: Footer | None, formulas: FormulaSet | None, font: str) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        """Keeps every page until the end, then writes "page/pages" on each (two passes in one)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []
            if formulas is not None:
                self.setNamedCB(FormulaSet.CALLBACK, formulas.draw)

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                if footer is not None:
                    width, _height = self._pagesize
                    self.saveState()
                    self.setFont(font, 8.5)
                    self.drawCentredString(width / 2, MARGINS[2] / 2, footer(number, total))
                    self.restoreState()
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


def build(
    story: Sequence[Flowable],
    *,
    title: str,
    pagesize: tuple[float, float] = A4,
    footer: Footer | None = None,
    formulas: FormulaSet | None = None,
    margins: tuple[float, float, float, float] = MARGINS,
) -> bytes:
    """Lay ``story`` out on pages of ``pagesize`` and return the PDF.

    ``footer`` writes a line at the foot of each page, knowing the page count; ``formulas``
    is the set whose markup the story's paragraphs hold (they are drawn by its callback).
    The output is a function of the input (reportlab's invariant mode: no creation time, no
    random document id), so the same paper prints the same bytes.
    """
    register_fonts()
    buffer = io.BytesIO()
    top, right, bottom, left = margins
    document = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        topMargin=top,
        rightMargin=right,
        bottomMargin=bottom,
        leftMargin=left,
        title=title,
        author="",
        creator="",
        producer="",
        invariant=True,
    )
    document.build(list(story), canvasmaker=_canvas_class(footer, formulas, SANS))
    return buffer.getvalue()


def frame_width(pagesize: tuple[float, float] = A4, margins: tuple[float, float, float, float] = MARGINS) -> float:
    """The width a story's flowables get between the margins (what :func:`build` uses: its
    frame keeps 6 points of padding on each side)."""
    return pagesize[0] - margins[1] - margins[3] - 12
