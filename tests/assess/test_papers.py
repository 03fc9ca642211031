"""Printed papers of test codes and key tables as PDF (``assess.papers``, ``printing``)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from accounts.models import Role
from assess import authoring, papers, test_codes
from assess.authoring import AssessmentSpec, PartSpec
from assess.models import Assessment, Form, RecordEntryType
from itembank import services as bank
from itembank.media import media_store
from itembank.models import CognitiveLevel, Item, Subject
from itembank.pdf_text import ItemText, PrintImage
from itembank.richtext import sanitize_html
from printing import formulas, pdf
from tests.factories import logged_in_client, make_department, make_school, make_user, release_version

pytestmark = pytest.mark.django_db

SECRET = "LỜI GIẢI KHÔNG ĐƯỢC IN"  # every item's explanation: never on a paper
ANSWERS = {1: "48.75", 2: "-3.25"}  # short numeric keys: never on a paper
UNDRAWABLE = r"\begin{cases} x = 1 \\ y = 2 \end{cases}"


def _pages(pdf: bytes) -> list[str]:
    """Each page's text, its whitespace made single spaces."""
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(pdf: bytes) -> str:
    return " ".join(_pages(pdf))


class Bank:
    """A department with a school, its board and teachers, and a subject's released items."""

    def __init__(self) -> None:
        self.department = make_department()
        self.school = make_school(self.department)
        self.board = make_user(Role.BOARD, self.department)
        self.teacher = make_user(Role.TEACHER, self.school)
        self.far_teacher = make_user(Role.TEACHER, make_school(self.department))
        self.student = make_user(Role.STUDENT, self.school)
        self.subject = Subject.objects.create(code="toan-in", name="Toán")
        self.count = 0

    def item(self, item_type: str, document: dict, points: str = "1") -> Item:
        self.count += 1
        version = bank.item_create(
            by=self.teacher,
            subject=self.subject,
            level=CognitiveLevel.KNOW,
            item_type=item_type,
            content={**document, "explanation": SECRET},
            points=points,
            visibility="department",
        )
        return release_version(version, author=self.teacher, reviewer=self.board).item

    def choice(self, n: int, *, stem: str = "", pinned: bool = False) -> Item:
        options = [{"id": key, "text": f"Lựa chọn {n}{key} ${n}+{key.lower()}$"} for key in "ABCD"]
        if pinned:
            options[-1] = {"id": "D", "text": "Cả ba phương án trên", "pinned": True}
        stem = stem or rf"Câu hỏi mốc {n:02d}: tính $\frac{{1}}{{{n}}}$ và $\sqrt{{{n}}}$."
        return self.item("single_choice", {"stem": stem, "options": options, "key": "ABCD"[n % 4]}, "0.25")

    def exam(self, parts: tuple[PartSpec, ...], items: list[list[Item]], title: str = "Kiểm tra giữa kỳ I") -> Form:
        spec = AssessmentSpec(
            title=title,
            kind=Assessment.Kind.PERIODIC,
            subject_id=self.subject.pk,
            school_year="2026-2027",
            term=1,
            record_entry_type=RecordEntryType.MIDTERM,
            duration_minutes=90,
            parts=parts,
            organisation_id=self.school.pk,
        )
        assessment = authoring.assessment_create(by=self.board, spec=spec)
        ids = [[item.pk for item in part] for part in items]
        return authoring.form_build(by=self.board, assessment_id=assessment.pk, code="GOC", item_ids=ids)


@pytest.fixture
def world() -> Bank:
    return Bank()


@pytest.fixture
def master(world) -> Form:
    choices = [
        world.choice(1),
        world.choice(2, pinned=True),
        world.choice(3),
        world.choice(4, stem=f"Hệ ${UNDRAWABLE}$"),
    ]
    groups = [
        world.item(
            "true_false_group",
            {
                "stem": f"Câu hỏi mốc {n:02d}: xét các mệnh đề.",
                "statements": [{"id": s, "text": f"Mệnh đề {s} của câu {n}"} for s in "abcd"],
                "keys": {"a": True, "b": False, "c": True, "d": False},
            },
        )
        for n in (5, 6)
    ]
    numbers = [
        world.item(
            "short_numeric",
            {"stem": f"Câu hỏi mốc {6 + n:02d}: tính giá trị.", "boxes": 5, "answer": answer, "tolerance": "0"},
            "0.5",
        )
        for n, answer in ANSWERS.items()
    ]
    parts = (
        PartSpec("Phần I", 4, Decimal("0.25"), "single_choice"),
        PartSpec("Phần II", 2, Decimal("1"), "true_false_group"),
        PartSpec("Phần III", 2, Decimal("0.5"), "short_numeric"),
    )
    return world.exam(parts, [choices, groups, numbers])


def test_a_code_prints_every_item_in_its_order_with_its_own_letters_and_no_key(world, master):
    codes = test_codes.codes_generate(by=world.board, form_id=master.pk, count=3, seed=8)
    client = logged_in_client(world.board)
    for code in codes:
        response = client.get(f"/api/forms/{code.pk}/paper.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "no-store"
        text = _text(response.content)
        assert f"Mã đề {code.code}" in text
        assert "KIỂM TRA GIỮA KỲ I" in text and "Môn: Toán" in text and "90 phút" in text
        assert "Phần I." in text and "Phần II." in text and "Phần III." in text
        assert "Họ, tên thí sinh" in text and "Số báo danh" in text

        rows = list(code.form_items.select_related("item_version__item").order_by("position"))
        shown_at = []
        for fi in rows:
            version = fi.item_version
            marker = re.search(r"mốc \d\d", version.content["stem"])
            number = int(marker.group(0)[-2:]) if marker else 4
            assert f"Câu {fi.position} (" in text
            shown_at.append(text.index(f"Câu {fi.position} ("))
            if marker:
                assert text.index(marker.group(0)) > shown_at[-1]
            if version.item.item_type == "single_choice":
                for letter, option_id in zip("ABCD", fi.arrangement["options"], strict=True):
                    option = next(o for o in version.content["options"] if o["id"] == option_id)
                    shown = option["text"].split(" $")[0]  # the words; the formula is drawn
                    assert f"{letter}. {shown}" in text, (code.code, fi.position, letter, shown)
                if number == 2:  # pinned: "all of the above" stays last whatever the shuffle
                    assert fi.arrangement["options"][-1] == "D" and "D. Cả ba phương án trên" in text
            if version.item.item_type == "true_false_group":
                for letter in "abcd":
                    assert f"{letter}) Mệnh đề {letter} của câu {number}" in text
        assert shown_at == sorted(shown_at)  # items in the code's order

        # Nothing of a key: no explanation, no numeric answer, nothing marked right.
        assert SECRET not in text
        for answer in ANSWERS.values():
            assert answer not in text and answer.replace(".", ",") not in text
        assert "Đáp án" not in text and "Đúng" not in text


def test_codes_print_differently_and_the_master_prints_in_its_own_order(world, master):
    first, second = test_codes.codes_generate(by=world.board, form_id=master.pk, count=2, seed=3)
    client = logged_in_client(world.board)
    texts = [_text(client.get(f"/api/forms/{form.pk}/paper.pdf").content) for form in (first, second, master)]
    assert texts[0] != texts[1]
    assert "Mã đề GOC" in texts[2]
    assert texts[2].index("mốc 01") < texts[2].index("mốc 02") < texts[2].index("mốc 03")
    # Vietnamese with every tone mark, page numbers, the end.
    assert "Câu 1" in texts[0] and "Trang 1/" in texts[0] and "HẾT" in texts[0]


def test_a_formula_mathtext_cannot_draw_prints_as_its_source(world, master):
    text = _text(logged_in_client(world.board).get(f"/api/forms/{master.pk}/paper.pdf").content)
    assert r"\begin{cases}" in text  # the source, in a monospace run
    assert r"\frac" not in text and r"\sqrt" not in text  # drawn, not printed as source

    assert formulas.outline(UNDRAWABLE) is None
    assert formulas.outline(r"\frac{a}{b}" + "x" * formulas.MAX_LENGTH) is None
    fraction = formulas.outline(r"\frac{1}{2}")
    assert fraction is not None and fraction.depth > 0 and fraction.height > 0
    assert fraction.operations[0][0] == "moveTo"
    assert formulas.outline(r"x \le 2") is not None and formulas.outline(r"\tfrac{1}{2}") is not None
    assert formulas.rewrite(r"\left( x \le y \right)") == r"\left( x \leq y \right)"


# No ASCII letter after "<" (it would open a tag, which the sanitiser drops, as on the page).
WORDS = st.text(alphabet="ăâđêôơư <>&;\"'{}\\_^", min_size=1, max_size=15)
LATEX = st.lists(
    st.sampled_from(
        [r"\frac{1}{2}", "x^2", r"\sqrt{", "}", "{", r"\begin{cases}", r"\ce{H2O}", "_", "^", r"\foo", "&"]
    ),
    min_size=1,
    max_size=6,
).map(lambda tokens: "$" + " ".join(tokens) + "$")


@given(st.lists(st.one_of(WORDS, LATEX), min_size=1, max_size=12))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_item_text_prints_and_never_becomes_markup(parts):
    """Whatever a teacher typed (markup characters, broken LaTeX), the paper prints it."""
    text = " ".join(parts)
    formula_set = formulas.FormulaSet()
    printer = ItemText(formulas=formula_set, load_image=lambda name: PrintImage(None))
    story = printer.flowables(sanitize_html(text), papers._styles()["body"], pdf.frame_width(), prefix="<b>Câu 1</b> ")
    printed = _text(pdf.build(story, title="x", formulas=formula_set))
    assert printed.startswith("Câu 1")
    for part in parts:
        if not part.startswith("$") and part.strip():
            assert " ".join(part.split()) in printed


def test_every_item_type_prints_its_content_and_never_its_key(world):
    from assess.management.commands.seed_demo import EVERY_TYPE

    items = [world.item(item_type, document, points) for item_type, _level, document, points in EVERY_TYPE]
    form = world.exam((PartSpec("Phần I", len(items), Decimal("1")),), [items], title="Luyện tập")
    text = _text(papers.form_paper_pdf(form))
    for fi in form.form_items.select_related("item_version__item").order_by("position"):
        assert f"Câu {fi.position} (1 điểm)" in text
    for words in ("Nghiệm của phương trình", "a) Hàm số có hai điểm cực trị.", "Ghép mỗi hàm số", "(1)", "(2)"):
        assert words in text
    assert "A. đồng biến" in text and "B. nghịch biến" in text and "C. e" in text  # the gaps' options
    assert "Tìm tập xác định" in text and "Lập bảng biến thiên" in text
    assert "Tối đa 300 từ" in text
    assert "cos x" not in text and "cosx" not in text  # accepted answers
    assert "-1,5" not in text and "-1.5" not in text  # the numeric answer
    assert "Lời giải" not in text and "Rõ ràng" not in text  # the essay's rubric
    assert SECRET not in text


def test_the_key_table_names_the_labels_the_paper_prints_for_every_type(world):
    """Read off the printed paper (labels and texts, as a marker holds it), every key is the
    key table's: matching "1-B", ordering "c, a, b", a gap's "(1) A"."""
    from assess.management.commands.seed_demo import EVERY_TYPE

    items = [world.item(item_type, document, points) for item_type, _level, document, points in EVERY_TYPE]
    form = world.exam((PartSpec("Phần I", len(items), Decimal("1")),), [items], title="Luyện tập")
    [code] = test_codes.codes_generate(by=world.board, form_id=form.pk, count=1, seed=4)
    printed = {item.number: item for part in papers.paper_of(code).parts for item in part.items}
    [table] = test_codes.key_tables(form)["codes"]
    checked = set()
    for fi in code.form_items.select_related("item_version__item").order_by("position"):
        item_type, document = fi.item_version.item.item_type, fi.item_version.content
        paper, key = printed[fi.position], table["keys"][fi.position - 1]
        if item_type == "matching":
            premises, responses = paper.lists
            number = {text: label.rstrip(".") for label, text in premises.entries}
            letter = {text: label.rstrip(".") for label, text in responses.entries}
            assert all(label.rstrip(".") in "ABCD" for label, _text in responses.entries)  # as the exam page
            text = {entry["id"]: entry["text"] for entry in (*document["premises"], *document["responses"])}
            pairs = sorted((int(number[text[p]]), letter[text[r]]) for p, r in document["pairs"].items())
            assert key == "; ".join(f"{n}-{label}" for n, label in pairs)
        elif item_type == "ordering":
            [elements] = paper.lists
            letter = {text: label.rstrip(")") for label, text in elements.entries}
            text = {entry["id"]: entry["text"] for entry in document["elements"]}
            assert key == ", ".join(letter[text[element]] for element in document["order"])
        elif item_type == "inline_choice":
            keys = []
            for gap in document["gaps"]:
                [options] = [entries for entries in paper.lists if entries.heading == paper.gaps[gap["id"]]]
                letter = {text: label.rstrip(".") for label, text in options.entries}
                text = {option["id"]: option["text"] for option in gap["options"]}
                keys.append(f"{options.heading} {letter[text[document['keys'][gap['id']]]]}")
            assert key == "; ".join(sorted(keys))
        else:
            continue
        checked.add(item_type)
    assert checked == {"matching", "ordering", "inline_choice"}
    assert "(1) A; (2) B" in table["keys"]
    # The printed table, a narrow cell's lines (even a word's) joined: the same row.
    row = "".join(" ".join([table["code"], *table["keys"]]).split())
    assert row in "".join(_text(papers.key_table_pdf(form)).split())


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_images_of_the_bank_are_printed_from_their_files_or_as_their_alternative_text(world):
    shown = media_store(by=world.teacher, owner_id=world.school.pk, name="do-thi.png", data=_png(123, 77))
    lost = media_store(
        by=world.teacher, owner_id=world.school.pk, name="mat.png", data=_png(50, 50), alt_text="Bảng biến thiên"
    )
    items = [
        world.choice(1, stem=f'<p>Quan sát hình mốc 01.</p><p><img src="media:{shown.pk}" alt="Đồ thị"></p>'),
        world.choice(2, stem=f'<p>Hình mốc 02: <img src="media:{lost.pk}"></p>'),
    ]
    form = world.exam((PartSpec("Phần I", 2, Decimal("0.25"), "single_choice"),), [items])
    lost.file.delete(save=False)  # the stored file is gone: the paper says what it showed
    pdf = logged_in_client(world.board).get(f"/api/forms/{form.pk}/paper.pdf").content
    sizes = {image.image.size for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images}
    assert (123, 77) in sizes
    assert (50, 50) not in sizes
    text = _text(pdf)
    assert "[Hình: Bảng biến thiên]" in text and "Quan sát hình mốc 01." in text


def test_the_key_table_pdf_gives_every_codes_keys_by_position(world, master):
    test_codes.codes_generate(by=world.board, form_id=master.pk, count=4, seed=21)
    client = logged_in_client(world.board)
    response = client.get(f"/api/forms/{master.pk}/keys.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    text = _text(response.content)
    tables = client.get(f"/api/forms/{master.pk}/keys/").json()
    assert "BẢNG ĐÁP ÁN" in text and "đề gốc GOC" in text
    assert "Mã đề 1 2 3 4 5 6 7 8" in text
    for table in tables["codes"]:
        assert " ".join([table["code"], *table["keys"]]) in text
    assert "ĐSĐS" in text


def test_a_forty_item_code_prints_quickly_and_its_key_table_in_blocks(world):
    items = [world.choice(n) for n in range(1, 41)]
    master = world.exam((PartSpec("Phần I", 40, Decimal("0.25"), "single_choice"),), [items])
    codes = test_codes.codes_generate(by=world.board, form_id=master.pk, count=4, seed=2)
    started = time.perf_counter()
    pdf = papers.form_paper_pdf(codes[0])
    first = time.perf_counter() - started
    started = time.perf_counter()
    papers.form_paper_pdf(codes[1])  # the same formulas in another order: drawn from the cache
    second = time.perf_counter() - started
    # Printed for the record (bench-free sanity), never asserted.
    print(f"\n40-item code: {len(_pages(pdf))} pages, {len(pdf)} bytes, {first:.2f} s; the next code {second:.2f} s")
    text = _text(pdf)
    assert all(f"Câu {n} (" in text for n in range(1, 41))
    assert "Trang 1/" in text

    keys = _text(papers.key_table_pdf(master))
    for table in test_codes.key_tables(master)["codes"]:
        for start in (0, papers.KEY_COLUMNS):
            assert " ".join([table["code"], *table["keys"][start : start + papers.KEY_COLUMNS]]) in keys
    assert "Mã đề 21 22 23" in keys


def test_papers_and_key_tables_are_for_the_forms_managers_only(world, master):
    [code] = test_codes.codes_generate(by=world.board, form_id=master.pk, count=1)
    for user in (world.teacher, world.far_teacher):
        client = logged_in_client(user)
        for form in (code, master):
            assert client.get(f"/api/forms/{form.pk}/paper.pdf").status_code == 404
        assert client.get(f"/api/forms/{master.pk}/keys.pdf").status_code == 404
    for role in (Role.STUDENT, Role.PROCTOR, Role.SCHOOL_ADMIN):
        client = logged_in_client(make_user(role, world.school))
        assert client.get(f"/api/forms/{code.pk}/paper.pdf").status_code == 403
        assert client.get(f"/api/forms/{master.pk}/keys.pdf").status_code == 403
    assert logged_in_client(world.board).get("/api/forms/999999/paper.pdf").status_code == 404


def test_the_assessment_page_links_the_pdfs(world, master):
    codes = test_codes.codes_generate(by=world.board, form_id=master.pk, count=2)
    html = logged_in_client(world.board).get(f"/assessments/{master.assessment_id}/").content.decode()
    assert f"/api/forms/{master.pk}/keys.pdf" in html
    for code in codes:
        assert f"/api/forms/{code.pk}/paper.pdf" in html


def test_printing_imports_no_django():
    code = (
        "import sys, printing.pdf, printing.formulas; "
        "leaked = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(leaked); sys.exit(1 if leaked else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # The check can fail: the same code over a module that does import Django.
    failing = code.replace("printing.formulas", "printing.formulas, django.conf")
    assert subprocess.run([sys.executable, "-c", failing], capture_output=True, check=False).returncode == 1
