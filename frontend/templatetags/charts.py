"""Template filters of the board's charts (frontend.chart_views)."""

from __future__ import annotations

from django import template

register = template.Library()


def _with(src: str, parameter: str) -> str:
    return f"{src}{'&' if '?' in src else '?'}{parameter}"


@register.filter
def chart_language(src: str, language: str) -> str:
    """A chart's address naming the language it is drawn in (``?lang=vi``): a browser keeps a
    picture by its address, so a picture in another language must have another one."""
    return _with(src, f"lang={language}")


@register.filter
def narrow_chart(src: str) -> str:
    """The address of a chart's picture drawn for a phone (``?size=narrow``)."""
    return _with(src, "size=narrow")
