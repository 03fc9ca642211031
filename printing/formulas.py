r"""LaTeX formulas drawn as vector outlines by matplotlib's mathtext, inline in reportlab text.

mathtext reads a large part of TeX's mathematics with no TeX installed: fractions, roots,
powers and indices, Greek letters, sums, integrals and limits, arrows, accents (``\vec``,
``\overline``, ``\widehat``), ``\mathbb``, ``\text`` (Vietnamese included). A formula becomes
the outlines of its glyphs and rules, so it prints sharp at any size and embeds no font. A few
common spellings mathtext does not know are rewritten first (:data:`REWRITES`: ``\le``,
``\tfrac``, ``\displaystyle``, ``\xrightarrow``, ...); anything it still cannot read (an
environment such as ``cases``, an unknown macro, a formula of more than :data:`MAX_LENGTH`
characters) gives ``None``, and the caller prints the source instead: a formula never stops
a document.

How a formula sits in a paragraph: reportlab's paragraphs place inline images but not
drawings, so a formula is an invisible image of its size (which the line breaking and, with
``autoLeading="max"``, the line height take into account: a fraction makes its line taller),
followed by an ``<ondraw>`` callback that draws the outlines where the image went. The callback
comes after the image because reportlab binds a zero-width fragment to the word before it: so
placed, image and drawing never land on different lines. Paragraphs holding formulas must not
be justified: the stretched spaces of a justified line move the image but not the callback's
position. Paragraphs holding formulas are :class:`FormulaParagraph`, which lowers a first line
that a formula makes taller than the text so that it stays inside the paragraph.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib.colors import black
from reportlab.pdfgen.canvas import FILL_NON_ZERO, Canvas
from reportlab.platypus import Paragraph

if TYPE_CHECKING:
    from matplotlib.path import Path as MplPath

MAX_LENGTH = 1_000
"""Longer sources are printed as source: mathtext's parser is slow and deep on huge input."""

SPACER = Path(__file__).with_name("spacer.png")
"""A 1×1 transparent PNG: the invisible image that holds a formula's place in a line."""
_SPACER_SOURCE = str(SPACER).replace("&", "&amp;").replace('"', "&quot;")

_UNITS = 100.0  # outlines are computed at 100 points and scaled to the text's size

# (pattern, replacement): LaTeX spellings teachers use that mathtext does not know.
REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\\le(?![a-zA-Z])", r"\\leq"),
        (r"\\ge(?![a-zA-Z])", r"\\geq"),
        (r"\\tfrac(?![a-zA-Z])", r"\\frac"),
        (r"\\(?:displaystyle|textstyle|limits|nolimits)(?![a-zA-Z])", ""),
        (r"\\iff(?![a-zA-Z])", r"\\Leftrightarrow"),
        (r"\\[lr]vert(?![a-zA-Z])", "|"),
        (r"\\[lr]Vert(?![a-zA-Z])", r"\\Vert"),
        (r"\\textbf(?![a-zA-Z])", r"\\mathbf"),
        # \xrightarrow{above}: one level of braces inside (mhchem's conditions are \text{...}).
        (r"\\xrightarrow\{((?:[^{}]|\{[^{}]*\})*)\}", r"\\overset{\1}{\\longrightarrow}"),
        (r"\\xleftarrow\{((?:[^{}]|\{[^{}]*\})*)\}", r"\\overset{\1}{\\longleftarrow}"),
    )
)

# mathtext logs at INFO each glyph it takes from another font (\vec's arrow, \mathbb's letters).
logging.getLogger("matplotlib.mathtext").setLevel(logging.WARNING)

_lock = threading.Lock()  # mathtext's parser and its FreeType fonts are shared, not thread-safe


@functools.cache
def _mathtext() -> tuple[Any, Any]:
    """matplotlib's text-to-outline converter and the formulas' font, made on first use (a
    process that prints nothing never imports matplotlib)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    return TextToPath(), FontProperties(family="DejaVu Serif", size=_UNITS, math_fontfamily="dejavuserif")


@dataclass(frozen=True)
class Outline:
    """A formula at 100 points: advance width, height above and depth below the baseline, and
    its outline as reportlab path operations from the baseline's left end."""

    width: float
    height: float
    depth: float
    operations: tuple[tuple[str, tuple[float, ...]], ...]


def rewrite(latex: str) -> str:
    """``latex`` with the spellings of :data:`REWRITES` replaced."""
    for pattern, replacement in REWRITES:
        latex = pattern.sub(replacement, latex)
    return latex


@functools.lru_cache(maxsize=2048)
def outline(latex: str) -> Outline | None:
    """The outline of a LaTeX formula (without its ``$``), or ``None`` if mathtext cannot draw it."""
    source = rewrite(latex.strip())
    if not source or len(source) > MAX_LENGTH:
        return None
    text = f"${source}$"
    from matplotlib.path import Path as MplPath

    try:
        with _lock:
            to_path, font = _mathtext()
            width, height, depth, _glyphs, _rects = to_path.mathtext_parser.parse(text, 72, font)
            vertices, codes = to_path.get_text_path(font, text, ismath=True)
    except Exception:  # pyparsing, FreeType and recursion errors alike: print the source instead
        return None
    return Outline(float(width), float(height - depth), float(depth), _operations(MplPath(vertices, codes)))


def _operations(path: MplPath) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """matplotlib path segments as reportlab path calls (quadratic curves raised to cubic)."""
    from matplotlib.path import Path as MplPath

    operations: list[tuple[str, tuple[float, ...]]] = []
    x0 = y0 = 0.0
    for points, code in path.iter_segments(curves=True, simplify=False):
        xy = [float(value) for value in points]
        if code == MplPath.MOVETO:
            operations.append(("moveTo", tuple(xy)))
        elif code == MplPath.LINETO:
            operations.append(("lineTo", tuple(xy)))
        elif code == MplPath.CURVE3:
            qx, qy, x, y = xy
            c1 = (x0 + 2 / 3 * (qx - x0), y0 + 2 / 3 * (qy - y0))
            c2 = (x + 2 / 3 * (qx - x), y + 2 / 3 * (qy - y))
            operations.append(("curveTo", (*c1, *c2, x, y)))
        elif code == MplPath.CURVE4:
            operations.append(("curveTo", tuple(xy)))
        elif code == MplPath.CLOSEPOLY:
            operations.append(("close", ()))
            continue
        else:  # STOP
            continue
        x0, y0 = xy[-2], xy[-1]
    return tuple(operations)


class FormulaSet:
    """The formulas of one document: markup for its paragraphs, drawn by the canvas callback.

    Give it to :func:`printing.pdf.build` with the story whose paragraphs hold its markup.
    """

    CALLBACK = "formula"

    def __init__(self) -> None:
        self._placed: list[tuple[Outline, float]] = []

    def __len__(self) -> int:
        return len(self._placed)

    def markup(self, latex: str, *, size: float) -> str | None:
        """Paragraph markup drawing ``latex`` at ``size`` points inline, or ``None`` if it cannot."""
        drawn = outline(latex)
        if drawn is None:
            return None
        scale = size / _UNITS
        self._placed.append((drawn, scale))
        label = len(self._placed) - 1
        return (
            f'<img src="{_SPACER_SOURCE}" width="{drawn.width * scale:.2f}" height="{(drawn.height + drawn.depth) * scale:.2f}"'
            f' valign="{-drawn.depth * scale:.2f}"/><ondraw name="{self.CALLBACK}" label="{label}"/>'
        )

    def draw(self, canvas: Canvas, kind: str, label: str) -> None:
        """reportlab's ``<ondraw>`` callback: the formula ``label`` ends where the text now is."""
        drawn, scale = self._placed[int(label)]
        where: dict[str, Any] = canvas._curr_tx_info  # the line's current x and baseline
        canvas.saveState()
        canvas.translate(where["cur_x"] - drawn.width * scale, where["cur_y"])
        canvas.scale(scale, scale)
        canvas.setFillColor(black)
        path = canvas.beginPath()
        for name, arguments in drawn.operations:
            getattr(path, name)(*arguments)
        canvas.drawPath(path, stroke=0, fill=1, fillMode=FILL_NON_ZERO)
        canvas.restoreState()


class FormulaParagraph(Paragraph):
    """A paragraph whose first line may hold formulas taller than its text.

    reportlab puts a paragraph's first baseline one font size below its top whatever the
    line holds, and counts a taller line's extra height below it: an integral's upper limit
    would rise into the paragraph above. This moves the lines down by that extra height, so
    that the paragraph's box holds its first line (later lines are spaced by their own height).
    """

    def draw(self) -> None:
        lines = getattr(getattr(self, "blPara", None), "lines", None) or []
        first = lines[0] if lines else None
        above = getattr(first, "ascent", 0.0) - self.style.fontSize
        if above > 0:
            self.canv.translate(0, -above)
        super().draw()
