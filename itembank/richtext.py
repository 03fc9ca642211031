"""Sanitising of item text: an allow-list of HTML and MathML, applied on every write.

Typed, pasted and imported text all pass through ``sanitize_html`` before they are stored;
LaTeX between ``$…$`` stays as text and is rendered to MathML at display
(``itembank.rendering``).
"""

from __future__ import annotations

import nh3

_HTML_TAGS = {
    "p",
    "br",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "sub",
    "sup",
    "span",
    "div",
    "blockquote",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
    "img",
    "code",
    "pre",
}
_MATHML_TAGS = {
    "math",
    "mrow",
    "mi",
    "mn",
    "mo",
    "ms",
    "mtext",
    "mspace",
    "msub",
    "msup",
    "msubsup",
    "mfrac",
    "msqrt",
    "mroot",
    "mover",
    "munder",
    "munderover",
    "mtable",
    "mtr",
    "mtd",
    "mstyle",
    "mpadded",
    "mphantom",
    "menclose",
    "semantics",
    "annotation",
}
_ATTRIBUTES = {
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "span": {"class"},
    "div": {"class"},
    "math": {"display", "xmlns"},
    "mo": {"stretchy", "fence", "separator"},
    "mfrac": {"linethickness"},
    "mstyle": {"displaystyle", "scriptlevel"},
    "annotation": {"encoding"},
    "*": {"dir", "lang"},
}


def sanitize_html(fragment: str) -> str:
    """Keep the allowed HTML and MathML of ``fragment``; drop everything else (scripts,
    event handlers, styles, links to other sites). Images keep only relative or ``media:``
    sources."""
    return nh3.clean(
        fragment,
        tags=_HTML_TAGS | _MATHML_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"media"},
        link_rel=None,
        strip_comments=True,
    )
