"""Item text is sanitised on write: allowed HTML and MathML stay, anything active goes."""

from __future__ import annotations

import pytest

from itembank.richtext import sanitize_html


@pytest.mark.parametrize(
    "dirty, clean",
    [
        ('<p onclick="steal()">Câu 1</p>', "<p>Câu 1</p>"),
        ("<script>alert(1)</script>x", "x"),
        ('<img src="http://tracker.example/p.gif" alt="a">', '<img alt="a">'),
        ('<img src="media:12" alt="Hình 1">', '<img src="media:12" alt="Hình 1">'),
        ('<a href="javascript:alert(1)">x</a>', "x"),
        ('<p style="background:url(x)">y</p>', "<p>y</p>"),
        ("<!-- note -->z", "z"),
    ],
)
def test_active_content_is_removed(dirty, clean):
    assert sanitize_html(dirty) == clean


def test_mathml_and_tables_survive():
    fragment = "<table><tr><td>x</td></tr></table><math><mfrac><mi>a</mi><mn>2</mn></mfrac></math>"
    kept = sanitize_html(fragment)
    assert "<mfrac><mi>a</mi><mn>2</mn></mfrac>" in kept and "<td>x</td>" in kept


def test_latex_stays_as_text():
    assert sanitize_html("Tính $\\frac{1}{2} < x$") == "Tính $\\frac{1}{2} &lt; x$"
