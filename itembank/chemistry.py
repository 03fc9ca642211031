"""Chemical formulas and equations written as ``\\ce{…}`` (the mhchem notation teachers use).

latex2mathml knows no ``\\ce``; ``expand_ce`` rewrites each ``\\ce{…}`` of a LaTeX source into
plain LaTeX it draws, before the conversion to MathML. The common subset of mhchem:

- formulas with subscript counts: ``H2SO4`` → H₂SO₄, ``Ca(OH)2``, ``CuSO4.5H2O`` (· for the dot);
- charges: ``Na+``, ``SO4^2-``, ``Fe^{3+}``, ``OH-``;
- leading coefficients: ``2H2O``;
- states: ``(s)``, ``(l)``, ``(g)``, ``(aq)``;
- arrows: ``->``, ``<-``, ``<->``, ``<=>``, and ``->[t°]`` with a condition above;
- ``+`` between species, a gas ``^`` or precipitate ``v`` mark after a species.

Anything else in the braces is kept as upright text. Nested braces are balanced.
"""

from __future__ import annotations

import re

_ARROWS = (
    ("<=>", r"\rightleftharpoons"),
    ("<->", r"\leftrightarrow"),
    ("->", r"\rightarrow"),
    ("<-", r"\leftarrow"),
)
_STATE = re.compile(r"\((s|l|g|aq)\)")
_CHARGE = re.compile(r"\^(\{[0-9]*[+-]\}|[0-9]*[+-])")
_ELEMENT_COUNT = re.compile(r"([A-Z][a-z]?|\))(\d+)")
_TRAILING_CHARGE = re.compile(r"(?<=[A-Za-z\)\]])([0-9]*[+-])$")
_COEFFICIENT = re.compile(r"^(\d+(?:/\d+)?)(?=[A-Z(\[])")


def _species(token: str) -> str:
    """One formula such as ``SO4^2-`` or ``2H2O(l)`` as LaTeX."""
    state = ""
    match = _STATE.search(token)
    if match and match.end() == len(token):
        state = rf"\text{{({match.group(1)})}}"
        token = token[: match.start()]
    mark = ""
    if token.endswith("^") and len(token) > 1:
        mark, token = r"\uparrow", token[:-1]
    coefficient = ""
    match = _COEFFICIENT.match(token)
    if match:
        coefficient, token = match.group(1), token[match.end() :]
    charge = ""
    match = _CHARGE.search(token)
    if match and match.end() == len(token):
        charge, token = match.group(1).strip("{}"), token[: match.start()]
    else:
        match = _TRAILING_CHARGE.search(token)
        if match:
            charge, token = match.group(1), token[: match.start()]
    parts = token.split(".")
    body = r"{\cdot}".join(_ELEMENT_COUNT.sub(lambda m: f"{m.group(1)}_{{{m.group(2)}}}", part) for part in parts)
    if charge:
        body = f"{{{body}}}^{{{charge}}}"
    return f"{coefficient}\\mathrm{{{body}}}{state}{mark}"


def _equation(source: str) -> str:
    out: list[str] = []
    for word in source.split():
        arrow = next((latex for text, latex in _ARROWS if word.startswith(text)), None)
        if arrow is not None:
            text = next(text for text, latex in _ARROWS if word.startswith(text))
            condition = word[len(text) :]
            if condition.startswith("[") and condition.endswith("]"):
                out.append(rf"\xrightarrow{{\text{{{condition[1:-1]}}}}}" if arrow == r"\rightarrow" else arrow)
            else:
                out.append(arrow)
        elif word == "+":
            out.append("+")
        elif word == "v":
            out.append(r"\downarrow")
        elif word == "^":
            out.append(r"\uparrow")
        else:
            out.append(_species(word))
    return " ".join(out)


def expand_ce(latex: str) -> str:
    """Replace every ``\\ce{…}`` of a LaTeX source by plain LaTeX."""
    result: list[str] = []
    position = 0
    while True:
        start = latex.find("\\ce{", position)
        if start < 0:
            result.append(latex[position:])
            return "".join(result)
        depth, index = 1, start + 4
        while index < len(latex) and depth:
            depth += {"{": 1, "}": -1}.get(latex[index], 0)
            index += 1
        if depth:  # unbalanced: leave it for the converter to report
            result.append(latex[position:])
            return "".join(result)
        result.append(latex[position:start])
        result.append("{" + _equation(latex[start + 4 : index - 1]) + "}")
        position = index
