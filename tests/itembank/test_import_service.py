"""The import service (itembank.importing): every corpus file, all-or-nothing, hostile files.

Real parsers, real database, real media storage (under a temporary MEDIA_ROOT). The corpus is
the shared one (``../shared/corpus``); the tests that need it are skipped when it is absent.
"""

from __future__ import annotations

import base64
import io
import random
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import IntegrityError
from django.utils import translation
from docx import Document
from openpyxl import load_workbook

from accounts.models import Role
from itembank import importing
from itembank.importing import ImportDefaults, ImportRejected, import_commit, import_preview
from itembank.interchange.xlsx import template_xlsx
from itembank.models import Item, ItemVersion, MediaFile, Subject, Topic
from tests.factories import make_school, make_user

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
_NOT_INPUT = re.compile(r"^(readme|licen[cs]e|copying|notice|sources)(\.[a-z]+)?$", re.IGNORECASE)
_MEDIA_REF = re.compile(r'src="media:([^"]+)"')


# --- helpers ----------------------------------------------------------------------------


def corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file() and not _NOT_INPUT.match(p.name)
    )


def png(seed: int = 0, *, pixels: int = 4) -> bytes:
    """A real PNG of ``pixels`` x 1 noisy RGB pixels (noise: it does not compress)."""
    noise = random.Random(seed).randbytes(3 * pixels)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", pixels, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" + noise))
        + chunk(b"IEND", b"")
    )


def moodle_question(name: str, *, image: tuple[str, bytes] | None = None, grade: str = "1") -> str:
    picture, file_elem = "", ""
    if image is not None:
        picture = f'<img src="@@PLUGINFILE@@/{image[0]}" alt="hình">'
        file_elem = f'<file name="{image[0]}" path="/" encoding="base64">{base64.b64encode(image[1]).decode()}</file>'
    return f"""<question type="multichoice">
  <name><text>{name}</text></name>
  <questiontext format="html"><text><![CDATA[<p>{name}: chọn A {picture}</p>]]></text>{file_elem}</questiontext>
  <defaultgrade>{grade}</defaultgrade><single>true</single>
  <answer fraction="100" format="html"><text>A</text></answer>
  <answer fraction="0" format="html"><text>B</text></answer>
</question>
"""


def moodle_quiz(*questions: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "".join(questions) + "</quiz>\n").encode()


QTI_ITEM = b"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="q1" title="Q1">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>A</qti-value></qti-correct-response></qti-response-declaration>
  <qti-item-body><qti-choice-interaction response-identifier="RESPONSE" max-choices="1"><qti-prompt>Q?</qti-prompt>
    <qti-simple-choice identifier="A">a</qti-simple-choice><qti-simple-choice identifier="B">b</qti-simple-choice>
  </qti-choice-interaction></qti-item-body></qti-assessment-item>"""
QTI_MANIFEST = b"""<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>
  <resource identifier="i" type="imsqti_item_xmlv3p0" href="item.xml"/></resources></manifest>"""


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def docx(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def all_errors(report) -> list[str]:
    return report.file_errors + [error for item in report.items for error in item.errors]


def bank_state() -> tuple[int, int, int, int]:
    return Item.objects.count(), ItemVersion.objects.count(), MediaFile.objects.count(), Topic.objects.count()


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def world(db):
    school = make_school()
    return {
        "school": school,
        "teacher": make_user(Role.TEACHER, school),
        "subject": Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})[0],
    }


def defaults(world) -> ImportDefaults:
    return ImportDefaults(subject=world["subject"])


# --- every corpus file ------------------------------------------------------------------


@dataclass(frozen=True)
class Imports:
    items: int


@dataclass(frozen=True)
class Rejected:
    errors: int  # how many problems the report lists
    reason: str  # a phrase every reader of the report must find
    line: bool  # every problem names a line (the format has lines and the problem is on one)


NOT_ITEMS = "not a file of questions"
LONE_IMAGE = "shows an image without its file (an image from another site or from a path outside the imported file"
PACKAGE = "import the content package (a .zip with imsmanifest.xml)"

# Per corpus file: imports fully (how many items) or is rejected (how many problems, why).
EXPECTED: dict[str, Imports | Rejected] = {
    "gift/category1.gift": Rejected(1, "the file holds no items", line=False),
    "gift/description1.gift": Imports(1),
    "gift/escapeAll.gift": Imports(1),
    "gift/essay1.gift": Imports(1),
    "gift/giftFormatPhpExamples.gift": Imports(10),
    "gift/matching1.gift": Imports(2),
    "gift/mc5.gift": Imports(4),
    "gift/mcHTMLComment.gift": Imports(1),
    "gift/moodle-examples.txt": Imports(43),
    "gift/moodle-questions.gift.txt": Imports(9),
    "gift/moodle-questions_encoding_windows-1252.gift.txt": Imports(3),
    "gift/moodle-questions_in_category.gift.txt": Imports(4),
    "gift/multiLineFeedback1.gift": Imports(2),
    "gift/multipleAnswersFloat.gift": Imports(1),
    "gift/numerical1.gift": Imports(10),
    "gift/options1.gift": Imports(14),
    "gift/shortAnswer2.gift": Imports(2),
    "gift/tf2.gift": Imports(2),
    "moodlexml/qformat_multianswer-multianswer-all-types.xml": Rejected(
        1, "cloze with MULTIRESPONSE/NUMERICAL/SHORTANSWER sub-questions is not supported yet", line=True
    ),
    "moodlexml/qformat_xml-broken_cloze_questions.xml": Rejected(5, "has no completely correct (100%)", line=True),
    "moodlexml/qformat_xml-category_with_description.xml": Imports(1),
    "moodlexml/qformat_xml-error_invalid_grades.xml": Rejected(
        1, "answer 2 has the grade 33%, which is not one of Moodle's grades", line=True
    ),
    "moodlexml/qformat_xml-html_chars_in_idnumbers.xml": Imports(1),
    "moodlexml/qformat_xml-multianswer.xml": Rejected(1, "cloze with SHORTANSWER sub-questions", line=True),
    "moodlexml/qformat_xml-multichoice.xml": Imports(1),
    "moodlexml/qformat_xml-nested_categories_with_questions.xml": Imports(5),
    "moodlexml/qtype_description-testquestion.moodle.xml": Rejected(1, "the file holds no items", line=False),
    "moodlexml/qtype_essay-testquestion.moodle.xml": Imports(1),
    "moodlexml/qtype_gapselect-testquestion.moodle.xml": Imports(1),
    "moodlexml/qtype_match-testquestion.moodle.xml": Imports(1),
    "moodlexml/qtype_multichoice-testquestion.moodle.xml": Imports(1),
    "moodlexml/qtype_numerical-testquestion.moodle.xml": Imports(1),
    "moodlexml/qtype_ordering-testquestion.moodle.xml": Imports(1),
    "moodlexml/qtype_shortanswer-testquestion.moodle.xml": Imports(1),
    "moodlexml/qtype_truefalse-testquestion.moodle.xml": Imports(1),
    "qti21/packages/qtiv2p2-examples-items.zip": Rejected(30, "are not supported yet", line=True),
    "qti21/v2p1/associate.xml": Rejected(1, "associate interactions are not supported yet", line=True),
    "qti21/v2p1/choice.xml": Rejected(1, LONE_IMAGE, line=True),
    "qti21/v2p1/choice_multiple.xml": Imports(1),
    "qti21/v2p1/extended_text.xml": Imports(1),
    "qti21/v2p1/feedback.xml": Imports(1),
    "qti21/v2p1/gap_match.xml": Imports(1),
    "qti21/v2p1/hotspot.xml": Rejected(1, "hotspot interactions are not supported yet", line=True),
    "qti21/v2p1/hottext.xml": Rejected(1, "hottext interactions are not supported yet", line=True),
    "qti21/v2p1/inline_choice.xml": Imports(1),
    "qti21/v2p1/match.xml": Imports(1),
    "qti21/v2p1/order.xml": Imports(1),
    "qti21/v2p1/text_entry.xml": Imports(1),
    "qti21/v2p1-test-simple-linear/addition-feedback.xml": Imports(1),
    "qti21/v2p1-test-simple-linear/choice-feedback.xml": Imports(1),
    "qti21/v2p1-test-simple-linear/choice-min.xml": Imports(1),
    "qti21/v2p1-test-simple-linear/simple-linear-individual.xml": Rejected(1, PACKAGE, line=False),
    "qti21/v2p2/inline_choice_math.xml": Imports(1),
    "qti21/v2p2/multi-input.xml": Rejected(1, "items with several interaction types are not supported yet", line=True),
    "qti21/v2p2/order_partial_scoring.xml": Imports(1),
    "qti3/items/Example01-modalFeedback.xml": Imports(1),
    "qti3/items/MathML.xml": Imports(1),
    "qti3/items/QTI3-associate.xml": Rejected(1, "associate interactions are not supported yet", line=True),
    "qti3/items/QTI3-hotspot.xml": Rejected(1, "hotspot interactions are not supported yet", line=True),
    "qti3/items/QTI3-inline-choice.xml": Imports(1),
    "qti3/items/QTI3-match.xml": Imports(1),
    "qti3/items/QTI3-order.xml": Imports(1),
    "qti3/items/QTI3multiplechoice2.xml": Imports(1),
    "qti3/items/RTL_Hebrew.xml": Imports(1),
    "qti3/items/gap-match-example-1.xml": Imports(1),
    "qti3/items/graphic-gap-match-item1.xml": Rejected(
        1, "graphic gap match interactions are not supported yet", line=True
    ),
    "qti3/items/hot-text-example-1.xml": Rejected(1, "hottext interactions are not supported yet", line=True),
    "qti3/items/images/cbg.png": Rejected(1, f"this is a PNG image, {NOT_ITEMS}", line=False),
    "qti3/items/images/ebg.png": Rejected(1, f"this is a PNG image, {NOT_ITEMS}", line=False),
    "qti3/items/images/edi.png": Rejected(1, f"this is a PNG image, {NOT_ITEMS}", line=False),
    "qti3/items/images/gla.png": Rejected(1, f"this is a PNG image, {NOT_ITEMS}", line=False),
    "qti3/items/images/man.png": Rejected(1, f"this is a PNG image, {NOT_ITEMS}", line=False),
    "qti3/items/images/map_cape_cod.svg": Rejected(1, f"this is an SVG image, {NOT_ITEMS}", line=False),
    "qti3/items/images/mch.png": Rejected(1, f"this is a PNG image, {NOT_ITEMS}", line=False),
    "qti3/items/images/ukairtags2024.png": Rejected(1, f"this is a PNG image, {NOT_ITEMS}", line=False),
    "qti3/items/shakespeare_biography.xml": Rejected(
        1, "items with several interaction types are not supported yet (inline choice, inline choice, text entry)", True
    ),
    "qti3/items/unbelievable_night_item2.xml": Imports(1),
    "qti3/package-beginners-guide/BGtest.xml": Rejected(1, PACKAGE, line=False),
    "qti3/package-beginners-guide/imsmanifest.xml": Rejected(1, "import the whole package as a .zip", line=False),
    "qti3/package-beginners-guide/items/BG007.xml": Imports(1),
    "qti3/package-beginners-guide/items/BG008.xml": Imports(1),
    "qti3/package-beginners-guide/items/BG009.xml": Imports(1),
    "qti3/package-beginners-guide/items/BG010.xml": Imports(1),
    "qti3/package-beginners-guide/items/BG011.xml": Rejected(1, LONE_IMAGE, line=True),
    "qti3/package-beginners-guide/items/firstexample.xml": Imports(1),
    "qti3/package-beginners-guide/items/resources/crows.jpg": Rejected(
        1, f"this is a JPEG image, {NOT_ITEMS}", line=False
    ),
    "qti3/package-beginners-guide/items/resources/subtitles_en.vtt": Rejected(
        1, "not a file this bank can import", line=False
    ),
    "qti3/packages/BBQsTest.zip": Rejected(10, "select point interactions are not supported yet", line=True),
    "qti3/packages/basicFeedbackTest.zip": Rejected(2, "end attempt interactions are not supported yet", line=True),
    "qti3/passages/images/exemplarSection01_title.png": Rejected(1, f"this is a PNG image, {NOT_ITEMS}", line=False),
    "qti3/passages/stylesheets/unbelievable_night.css": Rejected(1, f"a .css file is {NOT_ITEMS}", line=False),
    "qti3/passages/unbelievableNight.xml": Rejected(1, "a QTI shared stimulus (a reading passage)", line=False),
    "vi/MET_His_IE_2019.docx": Imports(40),
    "vi/MET_His_IE_2019.json": Rejected(1, f"a .json file is {NOT_ITEMS}", line=False),
    "vi/MET_Phy_IE_2019.docx": Imports(40),
}
IMPORTABLE = sorted(name for name, outcome in EXPECTED.items() if isinstance(outcome, Imports))


@needs_corpus
def test_the_table_names_every_corpus_file() -> None:
    assert corpus_files() == sorted(EXPECTED)


def _located(error: str, filename: str, *, line: bool) -> None:
    """``error`` starts with the file (or a member of it), then where in it, then the reason."""
    assert error.startswith(filename), error
    where, _, reason = error.partition(": ")
    assert reason.strip(), error
    if line:
        assert re.match(rf"{re.escape(filename)}(![^,]+)?, line \d+", where), error


@needs_corpus
@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_every_corpus_file_imports_or_is_rejected_with_located_reasons(world, relative: str) -> None:
    path = CORPUS / relative
    expected = EXPECTED[relative]
    with translation.override("en"):  # the reasons below are the English messages
        report, planned = import_preview(data=path.read_bytes(), filename=path.name, defaults=defaults(world))
    for error in report.file_errors:
        _located(error, path.name, line=isinstance(expected, Rejected) and expected.line)
    for item in report.items:
        assert item.source.startswith(path.name)
        assert ", line " in item.source or ", row " in item.source, item.source
        assert all(error.strip() for error in item.errors)
    if isinstance(expected, Imports):
        assert report.ok, all_errors(report)
        assert (len(report.items), len(planned)) == (expected.items, expected.items)
        assert report.as_dict()["item_count"] == expected.items
    else:
        assert not report.ok
        assert report.error_count == expected.errors, all_errors(report)
        assert any(expected.reason in error for error in all_errors(report)), all_errors(report)


def _with_media_ids(document, names: dict[str, str]):
    if isinstance(document, str):
        return _MEDIA_REF.sub(lambda m: f'src="media:{names[m.group(1)]}"', document)
    if isinstance(document, list):
        return [_with_media_ids(part, names) for part in document]
    if isinstance(document, dict):
        return {key: _with_media_ids(part, names) for key, part in document.items()}
    return document


@needs_corpus
@pytest.mark.parametrize("relative", IMPORTABLE)
def test_every_importable_corpus_file_is_committed_with_its_media(world, relative: str) -> None:
    path = CORPUS / relative
    data = path.read_bytes()
    preview, planned = import_preview(data=data, filename=path.name, defaults=defaults(world))
    before = Item.objects.count()
    report, versions = import_commit(by=world["teacher"], data=data, filename=path.name, defaults=defaults(world))
    assert report.imported == len(versions) == len(preview.items) == EXPECTED[relative].items
    assert Item.objects.count() - before == report.imported
    for plan, version in zip(planned, versions, strict=True):
        version.refresh_from_db()
        assert version.status == ItemVersion.Status.DRAFT and version.number == 1
        assert version.item.item_type == plan.item_type
        assert (version.item.owner_id, version.item.author_id) == (world["school"].pk, world["teacher"].pk)
        assert version.item.subject == world["subject"] and version.points == plan.points
        names = _MEDIA_REF.findall(str(plan.content))
        ids = _MEDIA_REF.findall(str(version.content))
        assert len(names) == len(ids)
        mapping = dict(zip(names, ids, strict=True))
        assert version.content == _with_media_ids(plan.content, mapping)
        for name, media_id in mapping.items():
            media = MediaFile.objects.get(pk=media_id)
            assert media.owner_id == world["school"].pk
            with media.file.open("rb") as handle:
                assert handle.read() == plan.files[name]


@needs_corpus
@pytest.mark.parametrize(
    ("relative", "media"),
    [("moodlexml/qformat_xml-multichoice.xml", 4), ("vi/MET_Phy_IE_2019.docx", None)],
)
def test_corpus_pictures_reach_the_bank(world, relative: str, media: int | None) -> None:
    """The files with pictures bring them (so the test above meets real media)."""
    path = CORPUS / relative
    _report, versions = import_commit(
        by=world["teacher"], data=path.read_bytes(), filename=path.name, defaults=defaults(world)
    )
    referenced = {media_id for v in versions for media_id in _MEDIA_REF.findall(str(v.content))}
    stored = {str(pk) for pk in MediaFile.objects.values_list("pk", flat=True)}
    assert referenced and referenced == stored
    if media is not None:
        assert len(stored) == media  # four flags; the unreferenced sound file stays out


# --- all or nothing ---------------------------------------------------------------------


def _key_column(sheet) -> int:
    header = [cell.value for cell in next(sheet.iter_rows(min_row=1, max_row=1))]
    return header.index("Đáp án / Key") + 1


def test_excel_row_without_its_key_rejects_the_whole_file(world) -> None:
    workbook = load_workbook(io.BytesIO(template_xlsx()))
    sheet = workbook["Items"]
    column = _key_column(sheet)
    assert sheet.cell(row=3, column=column).value  # the template's second example has a key
    sheet.cell(row=3, column=column).value = None
    out = io.BytesIO()
    workbook.save(out)
    before = bank_state()
    report, _ = import_preview(data=out.getvalue(), filename="bank.xlsx", defaults=defaults(world))
    assert not report.ok and report.items  # the other rows are read, and shown
    (error,) = report.file_errors
    letter = chr(ord("A") + column - 1)
    assert error.startswith(f"bank.xlsx, row 3 ({letter}): ")
    assert f"column {letter} (Đáp án / Key) is empty" in error
    with pytest.raises(ImportRejected) as rejected:
        import_commit(by=world["teacher"], data=out.getvalue(), filename="bank.xlsx", defaults=defaults(world))
    assert rejected.value.report.file_errors == [error]
    assert bank_state() == before


GIFT_ONE_BAD = """::Q1:: 1 + 1 = ? {=2 ~3 ~4}

::Q2:: Thủ đô của Việt Nam? {~Huế ~Đà Nẵng}

::Q3:: Trái Đất quay quanh Mặt Trời. {T}
""".encode()


def test_gift_file_with_one_bad_question_writes_nothing(world) -> None:
    before = bank_state()
    with pytest.raises(ImportRejected) as rejected:
        import_commit(by=world["teacher"], data=GIFT_ONE_BAD, filename="de.gift", defaults=defaults(world))
    report = rejected.value.report
    assert [item.title for item in report.items] == ["Q1", "Q3"]
    (error,) = report.file_errors
    assert error.startswith("de.gift, line 3 (Q2): ")
    assert bank_state() == before


def test_a_failure_while_writing_rolls_back_items_and_media(world, monkeypatch, media_root) -> None:
    data = moodle_quiz(*(moodle_question(f"Câu {n}", image=(f"h{n}.png", png(n))) for n in range(1, 5)))
    report, planned = import_preview(data=data, filename="q.xml", defaults=defaults(world))
    assert report.ok and len(planned) == 4
    real_create, calls = importing.items_create_bulk, []

    def create_then_fail(**kwargs):
        written = real_create(**kwargs)  # every item and version is in the database ...
        calls.extend(row.content for row in kwargs["rows"])
        assert Item.objects.count() == len(written) + before[0]
        raise IntegrityError("... when the database refuses the end of the transaction")

    monkeypatch.setattr(importing, "items_create_bulk", create_then_fail)
    before = bank_state()
    with pytest.raises(IntegrityError):
        import_commit(by=world["teacher"], data=data, filename="q.xml", defaults=defaults(world))
    assert len(calls) == 4 and all("media:" in str(content) for content in calls)
    assert bank_state() == before
    assert stored_files(media_root) == []  # the bytes of the rolled-back media rows are gone too


def test_media_stored_before_the_import_survive_a_failed_import(world, monkeypatch, media_root) -> None:
    from itembank.media import media_store

    kept = media_store(by=world["teacher"], owner_id=world["school"].pk, name="h1.png", data=png(1))
    data = moodle_quiz(moodle_question("Câu 1", image=("h1.png", png(1))), moodle_question("Câu 2"))

    def fail(**kwargs):
        raise IntegrityError("no")

    monkeypatch.setattr(importing, "items_create_bulk", fail)
    with pytest.raises(IntegrityError):
        import_commit(by=world["teacher"], data=data, filename="q.xml", defaults=defaults(world))
    assert list(MediaFile.objects.all()) == [kept]
    assert [p.name for p in stored_files(media_root)] == [Path(kept.file.name).name]


def test_points_with_more_than_two_decimals_are_refused_at_preview(world) -> None:
    data = moodle_quiz(moodle_question("Câu 1"), moodle_question("Câu 2", grade="0.3333333"))
    report, planned = import_preview(data=data, filename="q.xml", defaults=defaults(world))
    assert len(planned) == 1
    assert report.items[1].errors == ["points 0.3333333 have more than 2 decimals"]
    assert report.items[1].source == "q.xml, line 10 (Câu 2)"
    with pytest.raises(ImportRejected):
        import_commit(by=world["teacher"], data=data, filename="q.xml", defaults=defaults(world))
    assert Item.objects.count() == 0


def test_expected_time_out_of_range_is_left_out_with_a_warning(world) -> None:
    from itembank.interchange.base import ImportedItem, SourceLocation
    from itembank.interchange.xlsx import write_xlsx

    item = ImportedItem(
        "single_choice",
        {"stem": "1 + 1?", "options": [{"id": "A", "text": "2"}, {"id": "B", "text": "3"}], "key": "A"},
        SourceLocation("x"),
        metadata={"expected_seconds": 10**10},
    )
    data = write_xlsx([item])
    report, versions = import_commit(by=world["teacher"], data=data, filename="x.xlsx", defaults=defaults(world))
    assert report.imported == 1 and versions[0].item.expected_seconds is None
    assert any("expected time 10000000000" in warning for warning in report.items[0].warnings)


def test_defaults_are_checked_before_anything_is_read(world) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as unknown:
        import_preview(data=GIFT_ONE_BAD, filename="x.gift", defaults=ImportDefaults(level="very_hard"))
    assert "unknown cognitive level 'very_hard'" in str(unknown.value)
    other = Subject.objects.create(code="ly", name="Vật lý")
    topic = Topic.objects.create(subject=other, name="Điện học")
    with pytest.raises(ValidationError) as mismatch:
        import_preview(
            data=GIFT_ONE_BAD, filename="x.gift", defaults=ImportDefaults(subject=world["subject"], topic=topic)
        )
    assert "is not a topic of Toán" in str(mismatch.value)


def test_an_item_without_a_subject_is_an_item_error(world) -> None:
    report, planned = import_preview(data=moodle_quiz(moodle_question("Câu 1")), filename="q.xml")
    assert planned == [] and report.items[0].errors == ["no subject: choose one for the items of this file"]


# --- hostile files ----------------------------------------------------------------------

XXE_MOODLE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<quiz><question type="essay"><name><text>&xxe;</text></name></question></quiz>'
)
LAUGHS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
LAUGHS_MOODLE = f'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY l0 "lol">{LAUGHS}]>\n<quiz>&l9;</quiz>'.encode()
XXE_QTI = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0">&e;</qti-assessment-item>"""
LAUGHS_QTI = (
    f'<?xml version="1.0"?>\n<!DOCTYPE qti-assessment-item [<!ENTITY l0 "lol">{LAUGHS}]>\n'
    '<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0">&l9;</qti-assessment-item>'
).encode()
HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def _hostile() -> list:
    return [
        pytest.param("xxe.xml", lambda: XXE_MOODLE, "DOCTYPE", id="moodle-xxe"),
        pytest.param("lol.xml", lambda: LAUGHS_MOODLE, "refused", id="moodle-billion-laughs"),
        pytest.param("xxe.xml", lambda: XXE_QTI, "refused", id="qti-xxe"),
        pytest.param("lol.xml", lambda: LAUGHS_QTI, "refused", id="qti-billion-laughs"),
        pytest.param(
            "bad.xml", lambda: b"<quiz>\n<question type='essay'>\n</quiz>", "not well-formed XML", id="malformed"
        ),
        pytest.param(
            "p.zip",
            lambda: zipped({"imsmanifest.xml": QTI_MANIFEST, "item.xml": QTI_ITEM, "../evil.xml": QTI_ITEM}),
            "leaves the package",
            id="zip-path-traversal",
        ),
        pytest.param(
            "bomb.zip",
            lambda: zipped({"imsmanifest.xml": QTI_MANIFEST, "item.xml": QTI_ITEM, "b.bin": b"0" * (60 << 20)}),
            "compression ratio",
            id="zip-bomb",
        ),
        pytest.param(
            "pic.xml",
            lambda: moodle_quiz(moodle_question("Câu 1", image=("flag.jpg", png(7)))),
            "its name says a JPEG image but its bytes are a PNG image",
            id="png-named-jpg",
        ),
        pytest.param(
            "pic.xml",
            lambda: moodle_quiz(moodle_question("Câu 1", image=("flag.png", HTML_PAGE))),
            "its name says a PNG image but its bytes are an HTML document",
            id="html-named-png",
        ),
        pytest.param(
            "pic.xml",
            lambda: moodle_quiz(moodle_question("Câu 1", image=("flag.svg", b"<svg onload='alert(1)'/>"))),
            "SVG images are not accepted",
            id="svg-image",
        ),
        pytest.param(
            "letter.docx",
            lambda: docx("Kính gửi quý thầy cô,", "Đây là thư mời họp phụ huynh.", "Trân trọng."),
            "no questions found",
            id="docx-other-layout",
        ),
        pytest.param("empty.gift", lambda: b"", "the file is empty", id="empty"),
        pytest.param("blank.xml", lambda: b" \n\t\n", "the file is empty", id="blank"),
        pytest.param(
            "upload.bin", lambda: random.Random(5).randbytes(3000), "binary data, not a file of questions", id="random"
        ),
        pytest.param("page.xml", lambda: HTML_PAGE, "this is an HTML page, not a file of questions", id="html-page"),
        pytest.param("de.docx", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "this is a PDF document", id="pdf"),
        pytest.param(
            "de.xlsx", lambda: b"PK\x03\x04 not really a zip", "not a file this bank can import", id="bad-zip"
        ),
    ]


@pytest.mark.parametrize(("filename", "build", "reason"), _hostile())
def test_hostile_files_get_a_clear_report_and_write_nothing(world, filename, build, reason) -> None:
    data = build()
    report, planned = import_preview(data=data, filename=filename, defaults=defaults(world))
    assert not report.ok and planned == []
    errors = all_errors(report)
    assert any(reason in error for error in errors), errors
    for error in report.file_errors:
        _located(error, filename, line=False)
    for item in report.items:
        assert item.source.startswith(filename)
    before = bank_state()
    with pytest.raises(ImportRejected):
        import_commit(by=world["teacher"], data=data, filename=filename, defaults=defaults(world))
    assert bank_state() == before


def test_oversized_image_in_a_moodle_file_is_refused(world, settings) -> None:
    settings.MEDIA_IMAGE_MAX_BYTES = 1024
    big = png(9, pixels=600)  # 1800 bytes of noise: it stays over the limit after compression
    assert len(big) > 1024
    data = moodle_quiz(
        moodle_question("Câu 1", image=("small.png", png(1))), moodle_question("Câu 2", image=("big.png", big))
    )
    report, planned = import_preview(data=data, filename="pic.xml", defaults=defaults(world))
    assert len(planned) == 1
    assert report.items[1].source == "pic.xml, line 10 (Câu 2)"
    assert report.items[1].errors == [f"the file big.png: {len(big)} bytes; the limit for this kind is 1024 bytes."]
    before = bank_state()
    with pytest.raises(ImportRejected):
        import_commit(by=world["teacher"], data=data, filename="pic.xml", defaults=defaults(world))
    assert bank_state() == before


def test_a_hostile_file_can_still_be_read_with_an_explicit_format(world) -> None:
    """The refusals for ``auto`` are about detection; an explicit format goes to its reader."""
    report, _ = import_preview(data=b"::Q:: 1+1=2 {T}\n", filename="notes.css", defaults=defaults(world))
    assert not report.ok and "a .css file" in report.file_errors[0]
    report, planned = import_preview(
        data=b"::Q:: 1+1=2 {T}\n", filename="notes.css", format="gift", defaults=defaults(world)
    )
    assert report.ok and len(planned) == 1


def test_unknown_format_is_refused() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        import_preview(data=b"x", filename="x", format="pdf")


def test_the_report_shows_each_stem_as_a_person_reads_it(world) -> None:
    report, _ = import_preview(data=template_xlsx(), filename="mau.xlsx", defaults=defaults(world))
    assert report.items[0].preview == "Đạo hàm của $y = x^2$ là"


def test_a_bulk_write_refuses_the_whole_batch_on_a_bad_row(world) -> None:
    from django.core.exceptions import ValidationError

    from itembank.services import NewItem, items_create_bulk

    good = {"stem": "Câu", "options": [{"id": "A", "text": "1"}, {"id": "B", "text": "2"}], "key": "A"}
    rows = [
        NewItem(subject=world["subject"], level="biet", item_type="single_choice", content=good, points=Decimal("1")),
        NewItem(subject=world["subject"], level="expert", item_type="single_choice", content=good, points=Decimal("1")),
    ]
    before = bank_state()
    with pytest.raises(ValidationError, match="Row 2"):
        items_create_bulk(by=world["teacher"], owner_id=world["school"].pk, rows=rows)
    assert bank_state() == before
    written = items_create_bulk(by=world["teacher"], owner_id=world["school"].pk, rows=rows[:1])
    item = written[0].item
    assert (written[0].number, written[0].status, item.search_text) == (1, "draft", "cau 1 2")
