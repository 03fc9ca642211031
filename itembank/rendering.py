"""Rich text of items: LaTeX between ``$...$`` or ``$$...$$`` rendered to MathML.

Rendered on the server to HTML with MathML (which browsers draw without any script or
network access), so that the preview and the exam page show exactly the same thing.

- :func:`render_html` renders item content: a sanitised HTML fragment
  (``itembank.richtext``) whose text nodes may hold LaTeX.
- :func:`render_rich_text` renders the older plain-text fields: everything outside the
  math is escaped.

Either way item text can never inject markup: the MathML the converter produces is itself
passed through an allow-list (``\\text{<script>}`` or ``\\href{javascript:...}`` in LaTeX
would otherwise reach the page).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Iterator
from html.parser import HTMLParser

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from latex2mathml.converter import convert as latex_to_mathml

from .chemistry import expand_ce
from .richtext import sanitize_html

__all__ = ["GAP_MARKER", "math_segments", "render_excerpt", "render_html", "render_rich_text"]

# $$display$$ first, then $inline$; a backslash-escaped \$ is a literal dollar sign.
_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$(.+?)(?<!\\)\$", re.DOTALL)

GAP_MARKER = re.compile(r"\{\{([^{}\s]{1,40})\}\}")
"""A cloze gap in an inline-choice stem: ``{{gap id}}``."""

# What latex2mathml emits, minus anything active (href, style, class).
_MATHML_TAGS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac", "msqrt",
    "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
    "menclose", "semantics", "annotation", "mmultiscripts", "mprescripts", "none",
}  # fmt: skip
_MATHML_PRESENTATION = {"mathvariant", "mathsize", "mathcolor", "mathbackground", "displaystyle", "scriptlevel"}
_MATHML_ATTRIBUTES = {
    "*": _MATHML_PRESENTATION,
    "math": {"xmlns", "display"} | _MATHML_PRESENTATION,
    "mo": {"stretchy", "fence", "separator", "form", "lspace", "rspace", "minsize", "maxsize", "symmetric",
           "largeop", "movablelimits", "accent"} | _MATHML_PRESENTATION,
    "mspace": {"width", "height", "depth"} | _MATHML_PRESENTATION,
    "mpadded": {"width", "height", "depth", "lspace", "voffset"} | _MATHML_PRESENTATION,
    "mfrac": {"linethickness"} | _MATHML_PRESENTATION,
    "mtable": {"columnalign", "columnlines", "rowlines", "rowspacing", "columnspacing", "frame", "framespacing"}
    | _MATHML_PRESENTATION,
    "mtr": {"columnalign"} | _MATHML_PRESENTATION,
    "mtd": {"columnalign", "rowspan", "columnspan"} | _MATHML_PRESENTATION,
    "menclose": {"notation"} | _MATHML_PRESENTATION,
    "mover": {"accent"} | _MATHML_PRESENTATION,
    "munder": {"accentunder"} | _MATHML_PRESENTATION,
    "munderover": {"accent", "accentunder"} | _MATHML_PRESENTATION,
    "annotation": {"encoding"},
}  # fmt: skip
# Elements whose text is never read as LaTeX.
_NO_LATEX = {"math", "code", "pre"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_MEDIA_SCHEME = "media:"


def render_rich_text(text: str) -> SafeString:
    """Escape ``text`` and turn its LaTeX segments into MathML; newlines become ``<br>``."""
    parts: list[str] = []
    position = 0
    for match in _MATH.finditer(text):
        parts.append(_plain(text[position : match.start()]))
        display = match.group(1) is not None
        source = match.group(1) if display else match.group(2)
        parts.append(_math(source.strip(), display=display))
        position = match.end()
    parts.append(_plain(text[position:]))
    return mark_safe("".join(parts))


def render_excerpt(text: str, *, limit: int = 200) -> SafeString:
    """The start of plain text (``itembank.content.search_text``) as HTML, its LaTeX as MathML.

    For lists (the bank's rows, the review queue): ``text`` is cut after about ``limit``
    characters, never inside a formula. A formula that would end past the limit is left out,
    unless nothing comes before it (then it is shown whole); ``…`` marks a cut. Everything
    outside the formulas is escaped, as in :func:`render_rich_text`, so the result is safe
    to insert as HTML.
    """
    if len(text) <= limit:
        return render_rich_text(text)
    end = limit
    for match in _MATH.finditer(text):
        if match.start() >= limit:
            break
        if match.end() > limit:
            end = match.start() or match.end()
            break
    return mark_safe(render_rich_text(text[:end].rstrip()) + "…")


def _plain(text: str) -> str:
    return escape(text.replace("\\$", "$")).replace("\n", "<br>")


def _math(source: str, *, display: bool) -> str:
    try:
        mathml = latex_to_mathml(expand_ce(source), display="block" if display else "inline")
    except Exception:  # the converter raises many kinds; show the source rather than fail
        return f'<code class="latex-error" title="LaTeX">{escape(source)}</code>'
    # The converter copies \\text{...} verbatim and passes \\href and \\style through.
    return nh3.clean(
        mathml,
        tags=_MATHML_TAGS,
        attributes=_MATHML_ATTRIBUTES,
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )


def render_html(
    fragment: str,
    *,
    media_url: Callable[[str], str] | None = None,
    gaps: Collection[str] = (),
) -> SafeString:
    """Render a stored HTML fragment of item text for the page.

    The fragment is sanitised again (defence in depth), then, in text nodes only (never in
    tags or attribute values, never inside ``<math>``, ``<code>`` or ``<pre>``), LaTeX
    between ``$...$`` (inline) or ``$$...$$`` (display) becomes MathML; ``\\$`` is a literal
    dollar sign; the LaTeX is read after HTML unescaping (``a &lt; b`` is ``a < b``). A
    formula the converter cannot read shows as ``<code class="latex-error">``.

    ``<img src="media:NAME">`` gets ``media_url(NAME)`` as its source when ``media_url``
    is given. Each ``{{ID}}`` marker in text whose ID is in ``gaps`` becomes
    ``<span class="gap" data-gap="ID"></span>`` (inline-choice stems). The output is a
    function of the input alone: the same fragment always gives the same bytes.
    """
    renderer = _Renderer(media_url=media_url, gaps=frozenset(gaps))
    renderer.feed(sanitize_html(fragment))
    renderer.close()
    return mark_safe("".join(renderer.parts))


class _Renderer(HTMLParser):
    """Re-serialises sanitised HTML, transforming text nodes (see :func:`render_html`)."""

    def __init__(self, *, media_url: Callable[[str], str] | None, gaps: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.media_url = media_url
        self.gaps = gaps
        self.parts: list[str] = []
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        self.parts.append(self._start(tag, attrs))
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        self.parts.append(self._start(tag, attrs) + ("" if tag in _VOID else f"</{tag}>"))

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if tag in _VOID:
            return
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass
        self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)  # may arrive in pieces: joined at the next tag

    def close(self) -> None:
        super().close()
        self._flush()

    def _start(self, tag: str, attrs: list[tuple[str, str | None]]) -> str:
        rendered = [f"<{tag}"]
        for name, value in attrs:
            if value is None:
                rendered.append(f" {name}")
                continue
            if tag == "img" and name == "src" and self.media_url is not None and value.startswith(_MEDIA_SCHEME):
                value = self.media_url(value[len(_MEDIA_SCHEME) :])
            rendered.append(f' {name}="{html.escape(value, quote=True)}"')
        return "".join(rendered) + ">"

    def _flush(self) -> None:
        if not self.text:
            return
        text = "".join(self.text)
        self.text.clear()
        if any(tag in _NO_LATEX for tag in self.open):
            self.parts.append(html.escape(text, quote=False))
            return
        position = 0
        if self.gaps:
            for match in GAP_MARKER.finditer(text):
                if match.group(1) not in self.gaps:
                    continue
                self.parts.append(_text_with_latex(text[position : match.start()]))
                self.parts.append(f'<span class="gap" data-gap="{html.escape(match.group(1), quote=True)}"></span>')
                position = match.end()
        self.parts.append(_text_with_latex(text[position:]))


def math_segments(text: str) -> Iterator[tuple[str, bool | None]]:
    """Unescaped text of one text node, split where its formulas are: ``(plain text, None)``
    with ``\\$`` read as ``$``, ``(LaTeX, False)`` for ``$…$``, ``(LaTeX, True)`` for ``$$…$$``.

    The one reading of formulas in item text: the page's MathML and the printed papers
    (``assess.papers``) both follow it.
    """
    position = 0
    for match in _MATH.finditer(text):
        if match.start() > position:
            yield text[position : match.start()].replace("\\$", "$"), None
        display = match.group(1) is not None
        yield (match.group(1) if display else match.group(2)).strip(), display
        position = match.end()
    if position < len(text):
        yield text[position:].replace("\\$", "$"), None


def _text_with_latex(text: str) -> str:
    """Unescaped text of one text node -> escaped HTML with its LaTeX as MathML."""
    return "".join(
        html.escape(segment, quote=False) if display is None else _math(segment, display=display)
        for segment, display in math_segments(text)
    )
