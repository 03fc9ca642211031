r"""Item text as reportlab flowables: the printed twin of :mod:`itembank.rendering`.

Item text is sanitised HTML (``itembank.richtext``) with LaTeX between ``$…$`` and ``$$…$$``.
On paper it becomes paragraphs (bold, italic, underline, sub- and superscripts, code), lists,
tables, the bank's images (``media:<id>``, drawn from the stored file; a framed placeholder
with the alternative text where there is no readable image) and formulas drawn as outlines by
:mod:`printing.formulas`, or printed as their LaTeX source in a monospace run where mathtext
cannot draw them. Formulas are found by :func:`itembank.rendering.math_segments` and
chemistry (``\ce{…}``) is expanded by :func:`itembank.chemistry.expand_ce` first, as on the
page. Stored MathML (some imports keep it) prints its TeX annotation if it has one, else its
text.

Every piece of text is escaped for reportlab's markup (:func:`printing.pdf.escape`): item
text never becomes a reportlab tag.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.utils.translation import gettext as _
from reportlab.lib.colors import black, grey
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Image, ListFlowable, ListItem, Paragraph, Table, TableStyle, XPreformatted

from printing.formulas import FormulaParagraph, FormulaSet
from printing.pdf import MONO, SANS, SERIF_BOLD, escape, register_fonts

from .chemistry import expand_ce
from .rendering import GAP_MARKER, math_segments
from .richtext import MEDIA_SOURCE

_VOID = {"br", "img", "hr", "col", "wbr"}
# Inline elements and the reportlab markup that opens and closes them.
_INLINE = {
    "b": ("<b>", "</b>"),
    "strong": ("<b>", "</b>"),
    "i": ("<i>", "</i>"),
    "em": ("<i>", "</i>"),
    "u": ("<u>", "</u>"),
    "sub": ("<sub>", "</sub>"),
    "sup": ("<super>", "</super>"),
    "code": (f'<font name="{MONO}">', "</font>"),
}
_NO_LATEX = {"code", "pre", "math"}  # as in itembank.rendering
_PIXEL = 0.75  # an image's pixel at 96 dpi, in points
MAX_IMAGE_HEIGHT = 250.0  # points (8.8 cm): a figure never takes a whole page
INDENT = 16.0


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)


class _Tree(HTMLParser):
    """A sanitised fragment as a small tree (the sanitiser leaves it well nested)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(_Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if any(node.tag == tag for node in self.stack[1:]):
            while self.stack.pop().tag != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(fragment: str) -> _Node:
    tree = _Tree()
    tree.feed(fragment)
    tree.close()
    return tree.root


@dataclass(frozen=True)
class PrintImage:
    """An image of the bank to print: its bytes (``None`` when there is no readable file) and alt text."""

    data: bytes | None
    alt: str = ""


ImageLoader = Callable[[str], PrintImage]
"""``media:<id>``'s id -> the image to print."""


class _Paragraphs:
    """Collects inline markup into paragraphs, closing and reopening inline tags around blocks.

    A prefix (an item's "Câu 1.") opens the first paragraph that has words, even when the text
    starts with ``<p>``; it stands alone only when a block (an image, a table) comes first.
    """

    def __init__(self, style: ParagraphStyle, prefix: str) -> None:
        self.style = style
        self.out: list[Flowable] = []
        self.runs: list[str] = [prefix] if prefix else []
        self.prefix_pending = bool(prefix)
        self.content = False
        self.open: list[tuple[str, str]] = []

    def add(self, markup: str) -> None:
        self.runs.append(markup)
        if markup.strip():
            self.content = True

    def push(self, tags: tuple[str, str]) -> None:
        self.runs.append(tags[0])
        self.open.append(tags)

    def pop(self) -> None:
        self.runs.append(self.open.pop()[1])

    def flush(self) -> None:
        if not self.content:
            return  # nothing written since the last paragraph: keep what is pending
        closing = "".join(close for _open, close in reversed(self.open))
        self.out.append(FormulaParagraph("".join(self.runs) + closing, self.style))
        self.runs = [opening for opening, _close in self.open]
        self.content = self.prefix_pending = False

    def block(self, flowable: Flowable) -> None:
        if self.prefix_pending:
            self.content = True
        self.flush()
        self.out.append(flowable)

    def finish(self) -> list[Flowable]:
        if self.prefix_pending:
            self.content = True
        self.flush()
        return self.out


class ItemText:
    """Turns item text into flowables for one document (its formulas go into ``formulas``)."""

    def __init__(self, *, formulas: FormulaSet, load_image: ImageLoader) -> None:
        register_fonts()
        self.formulas = formulas
        self.load_image = load_image

    def flowables(
        self,
        fragment: str,
        style: ParagraphStyle,
        width: float,
        *,
        prefix: str = "",
        gaps: Mapping[str, str] | None = None,
    ) -> list[Flowable]:
        """``fragment`` as flowables ``width`` wide; ``prefix`` (markup, e.g. "Câu 1.") opens the
        first paragraph; each ``{{gap}}`` marker of ``gaps`` prints as its label and a line."""
        paragraphs = _Paragraphs(style, prefix)
        self._walk(parse(fragment).children, paragraphs, style, width, gaps or {}, latex=True)
        return paragraphs.finish()

    def plain(self, fragment: str, size: float) -> str:
        """``fragment``'s text as one line of markup, formulas drawn (for short labels)."""
        return self._text(parse(fragment).text(), size, {})

    # --- walking the tree -------------------------------------------------------------------

    def _walk(
        self,
        nodes: Sequence[_Node | str],
        out: _Paragraphs,
        style: ParagraphStyle,
        width: float,
        gaps: Mapping[str, str],
        *,
        latex: bool,
    ) -> None:
        for node in nodes:
            if isinstance(node, str):
                if latex:
                    self._text_into(node, out, style, gaps)
                else:
                    out.add(escape(node))
                continue
            tag = node.tag
            if tag in ("p", "div", "li", "caption"):
                out.flush()
                self._walk(node.children, out, style, width, gaps, latex=latex)
                out.flush()
            elif tag == "blockquote":
                indented = ParagraphStyle(f"{style.name}-quote", parent=style, leftIndent=style.leftIndent + INDENT)
                out.flush()
                for flowable in self.flowables_of(node.children, indented, width, gaps):
                    out.block(flowable)
            elif tag in ("ul", "ol"):
                out.block(self._list(node, style, width, gaps))
            elif tag == "table":
                for flowable in self._table(node, style, width, gaps):
                    out.block(flowable)
            elif tag == "pre":
                out.block(XPreformatted(escape(node.text()), ParagraphStyle("pre", parent=style, fontName=MONO)))
            elif tag == "img":
                out.block(self.image(node.attrs, width - style.leftIndent))
            elif tag == "br":
                out.add("<br/>")
            elif tag == "math":
                out.add(self._mathml(node, style.fontSize))
            elif tag in _INLINE:
                out.push(_INLINE[tag])
                self._walk(node.children, out, style, width, gaps, latex=latex and tag not in _NO_LATEX)
                out.pop()
            else:  # span, thead/tbody outside a table, anything the sanitiser let through: its content
                self._walk(node.children, out, style, width, gaps, latex=latex)

    def flowables_of(
        self, nodes: Sequence[_Node | str], style: ParagraphStyle, width: float, gaps: Mapping[str, str]
    ) -> list[Flowable]:
        paragraphs = _Paragraphs(style, "")
        self._walk(nodes, paragraphs, style, width, gaps, latex=True)
        return paragraphs.finish()

    def _text_into(self, text: str, out: _Paragraphs, style: ParagraphStyle, gaps: Mapping[str, str]) -> None:
        for segment, display in math_segments(text):
            if display:
                centred = ParagraphStyle(f"{style.name}-display", parent=style, alignment=TA_CENTER)
                out.block(FormulaParagraph(self._formula(segment, style.fontSize), centred))
            elif display is None:
                out.add(self._words(segment, gaps))
            else:
                out.add(self._formula(segment, style.fontSize))

    def _text(self, text: str, size: float, gaps: Mapping[str, str]) -> str:
        return "".join(
            self._words(segment, gaps) if display is None else self._formula(segment, size)
            for segment, display in math_segments(text)
        )

    def _words(self, text: str, gaps: Mapping[str, str]) -> str:
        if not gaps:
            return escape(text)
        parts: list[str] = []
        position = 0
        for match in GAP_MARKER.finditer(text):
            if match.group(1) not in gaps:
                continue
            parts.append(escape(text[position : match.start()]))
            parts.append(f"<b>{escape(gaps[match.group(1)])}</b> ……………")
            position = match.end()
        parts.append(escape(text[position:]))
        return "".join(parts)

    def _formula(self, latex: str, size: float) -> str:
        try:
            expanded = expand_ce(latex)
        except Exception:  # a malformed \ce{...}: mathtext gets the source as written
            expanded = latex
        drawn = self.formulas.markup(expanded, size=size)
        return drawn if drawn is not None else f'<font name="{MONO}">{escape(latex)}</font>'

    def _mathml(self, node: _Node, size: float) -> str:
        tex = _find(node, lambda n: n.tag == "annotation" and "tex" in n.attrs.get("encoding", "").lower())
        if tex is not None and tex.text().strip():
            return self._formula(tex.text().strip(), size)
        return escape(" ".join(node.text().split()))

    # --- blocks -------------------------------------------------------------------------------

    def _list(self, node: _Node, style: ParagraphStyle, width: float, gaps: Mapping[str, str]) -> Flowable:
        items = [
            ListItem(self.flowables_of(child.children, style, width - INDENT, gaps) or [Paragraph("", style)])
            for child in node.children
            if isinstance(child, _Node) and child.tag == "li"
        ]
        return ListFlowable(
            items,
            bulletType="1" if node.tag == "ol" else "bullet",
            start="1" if node.tag == "ol" else "•",
            leftIndent=INDENT,
            bulletFontName=style.fontName,
            bulletFontSize=style.fontSize,
        )

    def _table(self, node: _Node, style: ParagraphStyle, width: float, gaps: Mapping[str, str]) -> list[Flowable]:
        rows: list[list[_Node]] = []
        captions: list[_Node] = []
        for row in _descendants(node, {"tr", "caption"}, stop={"table"}):
            if row.tag == "caption":
                captions.append(row)
            else:
                rows.append([c for c in row.children if isinstance(c, _Node) and c.tag in ("td", "th")])
        columns = max((len(row) for row in rows), default=0)
        out: list[Flowable] = []
        centred = ParagraphStyle(f"{style.name}-caption", parent=style, alignment=TA_CENTER)
        for caption in captions:
            out.extend(self.flowables_of(caption.children, centred, width, gaps))
        if not columns:
            return out
        column = (width - style.leftIndent) / columns
        header = ParagraphStyle(f"{style.name}-th", parent=style, fontName=SERIF_BOLD, leftIndent=0)
        body = ParagraphStyle(f"{style.name}-td", parent=style, leftIndent=0)
        data = [
            [self.flowables_of(cell.children, header if cell.tag == "th" else body, column - 6, gaps) for cell in row]
            + [[] for _missing in range(columns - len(row))]
            for row in rows
        ]
        table = Table(data, colWidths=[column] * columns, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        out.append(table)
        return out

    def image(self, attrs: Mapping[str, str], width: float) -> Flowable:
        """A bank image at most ``width`` wide and :data:`MAX_IMAGE_HEIGHT` high (a placeholder
        with the alternative text if the file cannot be read)."""
        source = MEDIA_SOURCE.fullmatch(attrs.get("src", "").strip())
        alt = attrs.get("alt", "")
        loaded = self.load_image(source.group(1)) if source else PrintImage(None, alt)
        alt = alt or loaded.alt
        if loaded.data is not None:
            try:
                reader = ImageReader(io.BytesIO(loaded.data))
                pixels_wide, pixels_high = reader.getSize()
                shown_wide = _length(attrs.get("width"), pixels_wide)  # the page's pixels, as the tag asks
                shown_high = _length(attrs.get("height"), pixels_high * shown_wide / pixels_wide)
                wide, high = shown_wide * _PIXEL, shown_high * _PIXEL
                scale = min(1.0, width / wide, MAX_IMAGE_HEIGHT / high)
                return Image(io.BytesIO(loaded.data), width=wide * scale, height=high * scale, hAlign="CENTER")
            except Exception:  # not an image PIL reads (an audio file, a damaged upload)
                pass
        label = _("[Image: %(alt)s]") % {"alt": alt} if alt else _("[Image]")
        style = ParagraphStyle("placeholder", fontName=SANS, fontSize=10, leading=12)
        box = Table([[Paragraph(escape(label), style)]], colWidths=[min(width, stringWidth(label, SANS, 10) + 14)])
        box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.75, grey, None, (3, 2))]))
        box.hAlign = "CENTER"
        return box


def natural_width(flowables: Sequence[Flowable], width: float) -> float:
    """How wide ``flowables`` are when given up to ``width`` (a paragraph: its longest line
    unbroken; anything else: what it asks for)."""
    widest = 0.0
    for flowable in flowables:
        if isinstance(flowable, Paragraph):
            flowable.wrap(100_000, 100_000)
            lines = flowable.getActualLineWidths0()
            widest = max(widest, max(lines, default=0.0) + flowable.style.leftIndent)
        else:
            widest = max(widest, flowable.wrap(width, 100_000)[0])
    return widest


def _length(value: str | None, default: float) -> float:
    try:
        number = float((value or "").removesuffix("px"))
    except ValueError:
        return float(default)
    return number if number > 0 else float(default)


def _find(node: _Node, matches: Callable[[_Node], bool]) -> _Node | None:
    for child in node.children:
        if isinstance(child, _Node):
            if matches(child):
                return child
            found = _find(child, matches)
            if found is not None:
                return found
    return None


def _descendants(node: _Node, tags: set[str], *, stop: set[str]) -> list[_Node]:
    """The descendants of ``node`` with one of ``tags``, not looking inside ``stop`` elements."""
    found: list[_Node] = []
    for child in node.children:
        if isinstance(child, _Node):
            if child.tag in tags:
                found.append(child)
            elif child.tag not in stop:
                found.extend(_descendants(child, tags, stop=stop))
    return found
