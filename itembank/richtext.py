"""Sanitising of item text: an allow-list of HTML and MathML, applied on every write.

Typed, pasted and imported text all pass through ``sanitize_html`` before they are stored;
LaTeX between ``$…$`` stays as text and is rendered to MathML at display
(``itembank.rendering``).

Item text loads nothing but the engine's own media. The only address the allow-list keeps
is an image's ``src``, and only as ``media:NAME`` (a file of the bank, or within an import a
file of the import; ``/media/<id>/`` is read as ``media:<id>``). Every door that stores text
(the editor's API through ``itembank.content.validate_content``, every importer, stimuli)
first asks :func:`reference_problems` and refuses the text, naming the field, when it would
load anything else: an image from another site or path, ``srcset``, ``poster``,
``background``, CSS ``url()``, SVG or MathML ``href``, audio, video, objects, frames. Links
(``<a href>``) load nothing: like every element outside the allow-list they become their text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3
from django.utils.translation import gettext as _

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


MEDIA_SOURCE = re.compile(r"media:([^\s\"'<>\\/?#]+)")
"""An image source that is one of the engine's media files: ``media:NAME``."""
_MEDIA_PATH = re.compile(r"/media/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/?")
# Attributes whose value is an address a browser loads (or, for href, follows).
_URL_ATTRIBUTES = frozenset(
    {"src", "srcset", "href", "xlink:href", "poster", "background", "data", "action", "formaction", "longdesc",
     "lowsrc", "dynsrc", "ping", "manifest", "codebase", "archive", "usemap", "icon", "cite", "imagesrcset"}
)  # fmt: skip
_LINKS = frozenset({"a", "area"})  # their href loads nothing: the element becomes its text
_CSS_LOAD = re.compile(r"url\s*\(|@import|image-set\s*\(|image\s*\(", re.IGNORECASE)


def media_source(value: str) -> str | None:
    """``value`` as ``media:NAME`` if it names one of the engine's media files, else ``None``."""
    value = value.strip()
    if MEDIA_SOURCE.fullmatch(value):
        return value
    path = _MEDIA_PATH.fullmatch(value)
    return f"media:{path.group(1).lower()}" if path else None


def _keep_media_only(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return media_source(value)
    return value


def sanitize_html(fragment: str) -> str:
    """Keep the allowed HTML and MathML of ``fragment``; drop everything else (scripts,
    event handlers, styles, links). An image keeps its source only if it is one of the
    engine's media (``media:NAME``; ``/media/<id>/`` becomes ``media:<id>``)."""
    return nh3.clean(
        fragment,
        tags=_HTML_TAGS | _MATHML_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_media_only,
        url_schemes={"media"},
        link_rel=None,
        strip_comments=True,
    )


class _References(HTMLParser):
    """Every address in a fragment that a page showing it would load from elsewhere."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.foreign: list[str] = []
        self.images_without_file = 0
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name == "style" and _CSS_LOAD.search(value):
                self.foreign.append(f"style={value.strip()[:200]}")
            elif name in _URL_ATTRIBUTES and not (name == "href" and tag in _LINKS):
                if not (tag == "img" and name == "src" and media_source(value)):
                    self.foreign.append(value.strip()[:200] or f'{name}=""')
        if tag == "img" and not values.get("src", "").strip():
            self.images_without_file += 1
        self.in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.in_style = False

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False

    def handle_data(self, data: str) -> None:
        if self.in_style and _CSS_LOAD.search(data):
            self.foreign.append(" ".join(data.split())[:200])


def reference_problems(fragment: str) -> list[str]:
    """Why ``fragment`` may not be stored as item text: each thing it would load from anywhere
    but the engine's media, and each image without its file (the form an image from elsewhere
    takes once an importer has sanitised it). Empty if it may be stored."""
    parser = _References()
    parser.feed(fragment)
    parser.close()
    problems = [
        _("It would load %(address)s, which is not a file of the bank: add pictures and sound to the bank "
          "and show them from there.") % {"address": repr(address)}
        for address in dict.fromkeys(parser.foreign)
    ]  # fmt: skip
    if parser.images_without_file:
        problems.append(
            _("It shows an image without its file (an image from another site or from a path outside the "
              "imported file is not kept): add the picture to the bank and show it from there.")
        )  # fmt: skip
    return problems
