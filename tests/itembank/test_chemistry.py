"""Chemistry in item text: mhchem's \\ce{…} drawn as MathML, on the server, like the mathematics."""

from __future__ import annotations

import pytest

from itembank.chemistry import expand_ce
from itembank.rendering import render_html, render_rich_text


@pytest.mark.parametrize(
    "source, latex",
    [
        (r"\ce{H2SO4}", r"{\mathrm{H_{2}SO_{4}}}"),
        (r"\ce{2H2 + O2 -> 2H2O}", r"{2\mathrm{H_{2}} + \mathrm{O_{2}} \rightarrow 2\mathrm{H_{2}O}}"),
        (r"\ce{SO4^2-}", r"{\mathrm{{SO_{4}}^{2-}}}"),
        (r"\ce{Fe^{3+}}", r"{\mathrm{{Fe}^{3+}}}"),
        (r"\ce{Na+ + Cl- -> NaCl(s)}", r"{\mathrm{{Na}^{+}} + \mathrm{{Cl}^{-}} \rightarrow \mathrm{NaCl}\text{(s)}}"),
        (r"\ce{N2 + 3H2 <=> 2NH3}", r"{\mathrm{N_{2}} + 3\mathrm{H_{2}} \rightleftharpoons 2\mathrm{NH_{3}}}"),
        (r"\ce{CuSO4.5H2O}", r"{\mathrm{CuSO_{4}{\cdot}5H_{2}O}}"),
        (r"\ce{Ca(OH)2}", r"{\mathrm{Ca(OH)_{2}}}"),
        (
            r"\ce{CaCO3 ->[t°] CaO + CO2 ^}",
            r"{\mathrm{CaCO_{3}} \xrightarrow{\text{t°}} \mathrm{CaO} + \mathrm{CO_{2}} \uparrow}",
        ),
        (
            r"\ce{Ba^2+ + SO4^2- -> BaSO4 v}",
            r"{\mathrm{{Ba}^{2+}} + \mathrm{{SO_{4}}^{2-}} \rightarrow \mathrm{BaSO_{4}} \downarrow}",
        ),
        (r"x^2 + \ce{H2O}", r"x^2 + {\mathrm{H_{2}O}}"),
        (r"y = x^2", r"y = x^2"),  # no \ce: untouched
    ],
)
def test_ce_becomes_latex_the_converter_draws(source, latex):
    assert expand_ce(source) == latex


@pytest.mark.parametrize("render", [render_rich_text, render_html])
def test_equations_render_as_mathml_in_stems_and_options(render):
    html = str(render(r"Cân bằng phương trình $\ce{Fe + O2 -> Fe3O4}$ và ion $\ce{SO4^2-}$."))
    assert "latex-error" not in html
    assert html.count("<math") == 2 and "<msub>" in html and "<msup>" in html


def test_unbalanced_or_hostile_ce_is_shown_safely():
    broken = str(render_html(r"$\ce{H2O$"))
    assert "latex-error" in broken or "<math" in broken
    hostile = str(render_html(r"$\ce{<script>alert(1)</script>}$ $\ce{\href{javascript:alert(1)}{x}}$"))
    assert "<script" not in hostile and "javascript:" not in hostile
