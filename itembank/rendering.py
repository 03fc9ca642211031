"""Rich text of items: plain text with LaTeX between ``$...$`` or ``$$...$$``.

Rendered on the server to HTML with MathML (which browsers draw without any script or
network access), so that the preview and the exam page show exactly the same thing.
Everything outside the math is escaped: item text can never inject markup.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from latex2mathml.converter import convert as latex_to_mathml

# $$display$$ first, then $inline$; a backslash-escaped \$ is a literal dollar sign.
_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$(.+?)(?<!\\)\$", re.DOTALL)


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


def _plain(text: str) -> str:
    return escape(text.replace("\\$", "$")).replace("\n", "<br>")


def _math(source: str, *, display: bool) -> str:
    try:
        mathml = latex_to_mathml(source, display="block" if display else "inline")
    except Exception:  # the converter raises many kinds; show the source rather than fail
        return f'<code class="latex-error" title="LaTeX">{escape(source)}</code>'
    return mathml
