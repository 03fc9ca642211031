"""Formulas in the bank's list and the review queue: each row's text comes with ``text_html``,
rendered on the server as the previews are (MathML, everything else escaped), cut never
inside a formula."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Role
from itembank import services
from itembank.models import Subject
from itembank.rendering import render_excerpt
from tests.factories import make_school, make_user

STEM = "Đạo hàm của $y = x^2$ là <b>bao nhiêu</b>? a &lt; b"
OPTIONS = [{"id": "A", "text": "$2x$"}, {"id": "B", "text": "$x$"}]


@pytest.fixture
def people(db):
    school = make_school()
    author = make_user(Role.TEACHER, school)
    colleague = make_user(Role.TEACHER, school)
    subject = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})[0]
    version = services.item_create(
        by=author, subject=subject, level="biet", content={"stem": STEM, "options": OPTIONS, "key": "A"}
    )
    services.item_version_submit(by=author, version_id=version.pk)
    return author, colleague


def _get(user, url: str) -> dict:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.json()


def _check_row(row: dict) -> None:
    assert "$y = x^2$" in row["text"]  # the plain text stays as it was
    html = row["text_html"]
    assert html.count("<math") == 3 and "$" not in html
    assert "<b>" not in html and "a &lt; b" in html  # text, escaped: no markup of the item's own
    assert html.startswith("Đạo hàm của <math")


def test_the_list_rows_carry_their_formulas_as_mathml(people):
    author, _colleague = people
    [row] = _get(author, "/api/items/")["results"]
    _check_row(row["latest"])


def test_the_review_queue_carries_formulas_as_mathml(people):
    _author, colleague = people
    [row] = _get(colleague, "/api/review-queue/")["results"]
    _check_row(row)


def test_latex_cannot_smuggle_markup_into_a_row():
    html = str(render_excerpt(r"x $\text{<img src=x onerror=alert(1)>}$ <script>alert(2)</script>"))
    assert "<img" not in html and "<script" not in html and "onerror" not in html
    assert "&lt;script&gt;" in html


def test_a_cut_never_falls_inside_a_formula():
    text = "Tính " + "a" * 10 + " $\\int_0^1 x^2 \\, dx$ rồi so sánh"
    cut = str(render_excerpt(text, limit=20))  # the formula would end past 20: left out
    assert cut == "Tính aaaaaaaaaa…"
    whole = str(render_excerpt(text, limit=len(text)))
    assert "<math" in whole and not whole.endswith("…")
    first = str(render_excerpt("$" + "x+" * 30 + "y$ và phần sau", limit=10))  # a formula first: shown whole
    assert first.startswith("<math") and first.endswith("…") and first.count("<mi>x</mi>") == 30


WORDS = st.text(alphabet="abc xyzđươ<>&", min_size=1, max_size=12)
FORMULAS = st.builds(lambda n, v: f"${v}^{{{n}}}$", st.integers(0, 99), st.sampled_from("xyzab"))


@given(st.lists(st.one_of(WORDS, FORMULAS), min_size=1, max_size=20), st.integers(1, 120))
def test_an_excerpt_shows_whole_formulas_and_escaped_text(parts, limit):
    text = " ".join(parts)
    html = str(render_excerpt(text, limit=limit))
    assert "$" not in html  # every formula whole, none cut open
    formulas = len(re.findall(r"\$[^$]+\$", text))
    assert html.count("<math") <= formulas
    outside = re.sub(r"<math.*?</math>", "", html)
    assert "<" not in outside and ">" not in outside  # the rest is text
    if len(text) <= limit:
        assert html.count("<math") == formulas and not html.endswith("…")
    else:
        assert html.endswith("…")
