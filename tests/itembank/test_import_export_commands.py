"""Round trips through the bank (export, then import), the import/export commands and the API.

What each format keeps is what ``itembank.exporting`` and the writers' docstrings say; the
tests below spell it out per format (``LOSSES``) so that a change in either shows here.
"""

from __future__ import annotations

import copy
import io
import json
import random
import struct
import zlib
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from itembank.exporting import export_versions, versions_for_export
from itembank.importing import ImportDefaults, import_commit, import_preview
from itembank.interchange.xlsx import parse_xlsx
from itembank.media import media_store
from itembank.models import ImportBatch, Item, ItemVersion, MediaFile, Subject, Topic, Visibility
from itembank.services import item_create
from jobs.models import Job
from jobs.services import job_start, run_job
from tests.factories import make_department, make_school, make_user, post_job, release_version

pytestmark = pytest.mark.django_db

NATIONAL_SCALE = {"1": "0.1", "2": "0.25", "3": "0.5", "4": "1"}


def png(seed: int) -> bytes:
    noise = random.Random(seed).randbytes(12)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 4, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" + noise))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def world(db):
    department = make_department()
    school, other_school, far_school = make_school(department), make_school(department), make_school()
    toan = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})[0]
    chapter = Topic.objects.create(subject=toan, name="Giải tích", kind=Topic.Kind.CHAPTER)
    return {
        "school": school,
        "other_school": other_school,
        "teacher": make_user(Role.TEACHER, school),
        "colleague": make_user(Role.TEACHER, school),
        "reviewer": make_user(Role.BOARD, department),
        "importer": make_user(Role.TEACHER, other_school),  # another school: its own media rows
        "far_teacher": make_user(Role.TEACHER, far_school),
        "student": make_user(Role.STUDENT, school),
        "admin": make_user(Role.ADMIN, None),
        "toan": toan,
        "ly": Subject.objects.get_or_create(code="ly", defaults={"name": "Vật lý"})[0],
        "topic": Topic.objects.create(subject=toan, name="Đạo hàm", parent=chapter),
    }


# --- one item of every type (content per the contract) ----------------------------------

CONTENT = {
    "single_choice": {
        "stem": "<p>Đạo hàm của $y = x^2$ là</p>",
        "options": [{"id": "A", "text": "$2x$"}, {"id": "B", "text": "$x$"}, {"id": "C", "text": "$x^2$"}],
        "key": "A",
    },
    "multiple_response": {
        "stem": "Những số nào là số nguyên tố?",
        "options": [{"id": "A", "text": "2"}, {"id": "B", "text": "4"}, {"id": "C", "text": "5"}],
        "scoring": "partial",
        "keys": ["A", "C"],
    },
    "true_false_group": {
        "stem": "Cho hàm số $y = x^3 - 3x$.",
        "statements": [
            {"id": "a", "text": "Hàm số đồng biến trên $(1; +\\infty)$"},
            {"id": "b", "text": "Hàm số có ba cực trị"},
            {"id": "c", "text": "$y(0) = 0$"},
            {"id": "d", "text": "Đồ thị đi qua $(1; 1)$"},
        ],
        "scale": None,
        "keys": {"a": True, "b": False, "c": True, "d": False},
    },
    "true_false_one": {
        "stem": "",
        "statements": [{"id": "a", "text": "Hà Nội là thủ đô của Việt Nam."}],
        "scale": {"1": "1"},
        "keys": {"a": True},
    },
    "short_numeric": {"stem": "Tính $1 : 4$ (viết số thập phân).", "boxes": 4, "answer": "0.25", "tolerance": "0.01"},
    "text_entry": {
        "stem": "Thủ đô của Việt Nam là ______.",
        "match": "normalised",
        "ignore_diacritics": False,
        "answers": ["Hà Nội", "Thành phố Hà Nội"],
    },
    "text_entry_pattern": {
        "stem": "Viết một số chẵn có hai chữ số: ______",
        "match": "pattern",
        "ignore_diacritics": False,
        "answers": ["[1-9][02468]"],
    },
    "inline_choice": {
        "stem": "Nước sôi ở {{1}} °C và đông đặc ở {{2}} °C.",
        "gaps": [
            {"id": "1", "options": [{"id": "A", "text": "100"}, {"id": "B", "text": "50"}]},
            {"id": "2", "options": [{"id": "A", "text": "0"}, {"id": "B", "text": "10"}]},
        ],
        "scoring": "per_gap",
        "keys": {"1": "A", "2": "A"},
    },
    "matching": {
        "stem": "Nối nước với thủ đô.",
        "premises": [{"id": "1", "text": "Việt Nam"}, {"id": "2", "text": "Pháp"}],
        "responses": [{"id": "A", "text": "Hà Nội"}, {"id": "B", "text": "Paris"}, {"id": "C", "text": "Roma"}],
        "scoring": "per_pair",
        "pairs": {"1": "A", "2": "B"},
    },
    "ordering": {
        "stem": "Sắp xếp theo thứ tự thời gian.",
        "elements": [{"id": "A", "text": "Nhà Lý"}, {"id": "B", "text": "Nhà Trần"}, {"id": "C", "text": "Nhà Lê"}],
        "scoring": "all_or_nothing",
        "order": ["A", "B", "C"],
    },
    "essay": {"stem": "Trình bày ý nghĩa của chiến thắng Điện Biên Phủ.", "rubric": [], "max_words": 300},
    "essay_rubric": {
        "stem": "Viết đoạn văn về mùa thu.",
        "rubric": [
            {"criterion": "Nội dung", "levels": [{"label": "Tốt", "points": "1"}, {"label": "Đạt", "points": "0.5"}]},
            {"criterion": "Trình bày", "levels": [{"label": "Tốt", "points": "1"}, {"label": "Chưa", "points": "0"}]},
        ],
        "max_words": 150,
    },
}
TYPE_OF = {"true_false_one": "true_false_group", "essay_rubric": "essay", "text_entry_pattern": "text_entry"}

# The kinds each format holds (the others raise ValueError on export).
FORMAT_KINDS = {
    "qti3": [
        "single_choice",
        "multiple_response",
        "true_false_group",
        "true_false_one",
        "short_numeric",
        "text_entry",
        "inline_choice",
        "matching",
        "ordering",
        "essay",
    ],
    "moodle": [
        "single_choice",
        "multiple_response",
        "true_false_one",
        "short_numeric",
        "text_entry",
        "inline_choice",
        "matching",
        "ordering",
        "essay",
    ],
    "xlsx": ["single_choice", "multiple_response", "true_false_group", "short_numeric", "text_entry", "essay_rubric"],
}
FILENAMES = {"qti3": "bank.zip", "moodle": "bank.xml", "xlsx": "bank.xlsx"}


def _qti3_content(kind: str, content: dict) -> dict:
    content = copy.deepcopy(content)
    if kind == "short_numeric":
        content["boxes"] = None  # written only as expected-length, read back as null
    if kind == "essay":
        content["max_words"] = None  # no place in QTI the importer reads
    return content


def _moodle_content(kind: str, content: dict) -> dict:
    content = copy.deepcopy(content)
    if kind == "short_numeric":
        content["boxes"] = None  # numerical has no boxes
    return content


def _xlsx_content(kind: str, content: dict) -> dict:
    content = copy.deepcopy(content)
    if kind == "true_false_group" and content["scale"] is None:
        content["scale"] = NATIONAL_SCALE  # an empty scoring cell is read as the national scale, spelt out
    return content


# Per format: the content that comes back, and which metadata the file keeps.
LOSSES = {
    "qti3": (_qti3_content, {"title", "language"}),
    "moodle": (_moodle_content, {"title", "subject", "level", "topic", "source", "expected_seconds", "language"}),
    "xlsx": (_xlsx_content, {"title", "subject", "level", "topic", "source", "expected_seconds"}),
}


def _create(world, kind: str, *, content: dict | None = None, **extra) -> ItemVersion:
    fields = {
        "level": "hieu",
        "topic": world["topic"],
        "source": "Đề minh họa 2025",
        "expected_seconds": 90,
        "title": f"Câu {kind}",
        "points": "2",
    }
    fields.update(extra)
    return item_create(
        by=world["teacher"],
        subject=world["toan"],
        item_type=TYPE_OF.get(kind, kind),
        content=content or CONTENT[kind],
        **fields,
    )


def _bank(world, kinds: list[str]) -> list[ItemVersion]:
    """One item per kind; every other one published through review."""
    versions = []
    for n, kind in enumerate(kinds):
        version = _create(world, kind)
        if n % 2 == 0:
            version = release_version(version, author=world["teacher"], reviewer=world["reviewer"])
        versions.append(version)
    return versions


def _picture_item(world, seed: int = 1) -> tuple[ItemVersion, MediaFile]:
    media = media_store(by=world["teacher"], owner_id=world["school"].pk, name="hình 1.png", data=png(seed))
    content = copy.deepcopy(CONTENT["single_choice"])
    content["stem"] = f'<p>Quan sát hình:</p><p><img src="media:{media.pk}" alt="Đồ thị hàm số"></p>'
    return _create(world, "single_choice", content=content, title="Câu có hình"), media


@pytest.mark.parametrize("fmt", ["qti3", "moodle", "xlsx"])
def test_round_trip_through_the_bank_keeps_content_keys_and_metadata(world, fmt: str) -> None:
    originals = _bank(world, FORMAT_KINDS[fmt])
    data = export_versions(versions_for_export(world["teacher"]), format=fmt)
    chosen = ImportDefaults(subject=world["ly"])  # what the importer picks for what the file does not say
    report, imported = import_commit(by=world["importer"], data=data, filename=FILENAMES[fmt], defaults=chosen)
    assert report.ok and report.imported == len(originals) == len(imported)
    expected_content, kept = LOSSES[fmt]
    for kind, original, version in zip(FORMAT_KINDS[fmt], originals, imported, strict=True):
        item, source = version.item, original.item
        assert item.item_type == source.item_type, kind
        assert version.content == expected_content(kind, original.content), kind
        assert version.points == original.points == Decimal("2.00")
        assert version.status == ItemVersion.Status.DRAFT  # an import is a draft, whatever it was
        assert item.owner == world["other_school"] and item.author == world["importer"]
        assert item.title == source.title
        assert item.language == source.language
        assert item.subject == (world["toan"] if "subject" in kept else world["ly"]), kind
        assert item.level == (source.level if "level" in kept else "biet")
        topic_path = (item.topic.parent.name, item.topic.name) if item.topic else None
        assert topic_path == (("Giải tích", "Đạo hàm") if "topic" in kept else None)
        assert item.source == (source.source if "source" in kept else "")
        assert item.expected_seconds == (90 if "expected_seconds" in kept else None)
        assert (item.visibility, item.grade) == (Visibility.SCHOOL, None)  # the import's choice


@pytest.mark.parametrize("fmt", ["qti3", "moodle"])
def test_round_trip_keeps_a_picture_in_the_stem(world, fmt: str, media_root) -> None:
    version, media = _picture_item(world)
    data = export_versions([version], format=fmt)
    _report, (imported,) = import_commit(
        by=world["importer"], data=data, filename=FILENAMES[fmt], defaults=ImportDefaults(subject=world["toan"])
    )
    (copy_,) = MediaFile.objects.filter(owner=world["other_school"])
    assert copy_.pk != media.pk and copy_.content_type == "image/png"
    with copy_.file.open("rb") as handle:
        assert handle.read() == png(1)
    expected = copy.deepcopy(version.content)
    expected["stem"] = expected["stem"].replace(f"media:{media.pk}", f"media:{copy_.pk}")
    assert imported.content == expected  # alt text, key and options included


def test_qti3_round_trip_of_a_short_numeric_keeps_its_stem(world) -> None:
    version = _create(world, "short_numeric")
    data = export_versions([version], format="qti3")
    _report, (imported,) = import_commit(
        by=world["importer"], data=data, filename="bank.zip", defaults=ImportDefaults(subject=world["toan"])
    )
    assert imported.content["stem"] == version.content["stem"]


@pytest.mark.parametrize(
    ("fmt", "kind", "message"),
    [
        ("qti3", "text_entry_pattern", "a text entry matched by a pattern cannot be exported to QTI 3.0 yet"),
        ("moodle", "true_false_group", "statements"),
        ("moodle", "essay_rubric", "rubric"),
        ("xlsx", "matching", "cannot hold a matching item"),
    ],
)
def test_an_item_a_format_cannot_hold_is_named(world, fmt: str, kind: str, message: str) -> None:
    version = _create(world, kind)
    with pytest.raises(ValueError, match=message):
        export_versions([version], format=fmt)


# --- the commands -----------------------------------------------------------------------

GIFT = """::Câu 1:: 1 + 1 = ? {=2 ~3 ~4}

::Câu 2:: Trái Đất quay quanh Mặt Trời. {T}
""".encode()
GIFT_BAD = GIFT + b"\n::C\xc3\xa2u 3:: Th\xe1\xbb\xa7 \xc4\x91\xc3\xb4? {~Hu\xe1\xba\xbf ~Vinh}\n"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def gift_file(tmp_path) -> Path:
    path = tmp_path / "de.gift"
    path.write_bytes(GIFT)
    return path


def test_import_items_dry_run_prints_the_report_and_writes_nothing(world, gift_file) -> None:
    output = run("import_items", str(gift_file), "--dry-run", "--subject", "toan")
    lines = output.splitlines()
    assert lines[0] == "ok      #1 single_choice      de.gift, line 1 (Câu 1): 1 + 1 = ?"
    assert lines[1].startswith("ok      #2 true_false_group   de.gift, line 3 (Câu 2): ")
    assert lines[-1] == "2 item(s), 0 problem(s), 0 imported"
    assert Item.objects.count() == 0


def test_import_items_imports_for_a_user_and_a_subject(world, gift_file) -> None:
    output = run("import_items", str(gift_file), "--user", world["teacher"].username, "--subject", "toan")
    assert output.splitlines()[-1] == "2 item(s), 0 problem(s), 2 imported"
    items = Item.objects.order_by("pk")
    assert [item.title for item in items] == ["Câu 1", "Câu 2"]
    assert {(i.author, i.owner, i.subject, i.level) for i in items} == {
        (world["teacher"], world["school"], world["toan"], "biet")
    }
    report = json.loads(run("import_items", str(gift_file), "--dry-run", "--subject", "toan", "--json"))
    assert report["ok"] and report["item_count"] == 2


def test_import_items_with_errors_exits_non_zero_naming_each_problem(world, tmp_path) -> None:
    path = tmp_path / "de.gift"
    path.write_bytes(GIFT_BAD)
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"1 problem\(s\); nothing was imported"):
        call_command("import_items", str(path), "--user", world["teacher"].username, "--subject", "toan", stdout=out)
    assert "ERROR   de.gift, line 5 (Câu 3): " in out.getvalue()
    assert Item.objects.count() == 0


def test_import_items_item_errors_are_printed_under_their_item(world, tmp_path) -> None:
    path = tmp_path / "de.gift"
    path.write_bytes(GIFT)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_items", str(path), "--dry-run", stdout=out)  # no subject for the items
    assert "ERROR   #1 single_choice      de.gift, line 1 (Câu 1)" in out.getvalue()
    assert "          error: no subject: choose one for the items of this file" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "ghost", "--subject", "toan"], "no user 'ghost'"),
        (["--user", "{teacher}", "--subject", "hoa"], "no subject with code 'hoa'"),
        (["--subject", "toan"], "--user is needed to import"),
        (["--user", "{teacher}", "--subject", "toan", "--topic", "999999"], "no topic with id 999999"),
        (["--user", "{teacher}", "--subject", "toan", "--level", "kho"], "unknown cognitive level 'kho'"),
        (["--user", "{teacher}", "--subject", "toan", "--grade", "13"], "grade 13 is not one of 1 to 12"),
        (["--user", "{teacher}", "--subject", "toan", "--owner", "nowhere"], "no organisation with code 'nowhere'"),
        (["--user", "{admin}", "--subject", "toan"], "belongs to no organisation; name the owner with --owner"),
        (["--user", "{student}", "--subject", "toan"], "không được nhập câu hỏi cho đơn vị này"),  # in Vietnamese
    ],
)
def test_import_items_refuses_unknown_or_unfit_options_clearly(world, gift_file, args, message) -> None:
    names = {"teacher": world["teacher"].username, "admin": world["admin"].username}
    names["student"] = world["student"].username
    args = [arg.format(**names) for arg in args]
    with pytest.raises(CommandError, match=message):
        run("import_items", str(gift_file), *args)
    assert Item.objects.count() == 0


def test_import_items_missing_file(world, tmp_path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        run("import_items", str(tmp_path / "none.gift"), "--dry-run")


def test_an_administrator_imports_for_a_named_organisation(world, gift_file) -> None:
    output = run(
        "import_items", str(gift_file), "--user", world["admin"].username, "--subject", "toan",
        "--owner", world["other_school"].code,
    )  # fmt: skip
    assert output.endswith("2 imported\n")
    assert set(Item.objects.values_list("owner", flat=True)) == {world["other_school"].pk}


def test_export_items_writes_the_file_and_prints_the_count(world, tmp_path) -> None:
    _bank(world, FORMAT_KINDS["xlsx"])
    out = tmp_path / "bank.xlsx"
    output = run("export_items", "--format", "xlsx", "--out", str(out))
    assert output.startswith(f"6 item(s) written to {out} (")
    parsed = parse_xlsx(out.read_bytes(), filename="bank.xlsx")
    assert [item.item_type for item in parsed.items] == [TYPE_OF.get(k, k) for k in FORMAT_KINDS["xlsx"]]
    dry = run("import_items", str(out), "--dry-run")
    assert dry.splitlines()[-1] == "6 item(s), 0 problem(s), 0 imported"  # the file names its subject


def test_export_items_as_a_user_exports_what_sharing_lets_them_see(world, tmp_path) -> None:
    def titled(title: str, visibility: str, by=None) -> None:
        item_create(
            by=by or world["teacher"], subject=world["toan"], level="biet", content=CONTENT["single_choice"],
            title=title, visibility=visibility,
        )  # fmt: skip

    titled("riêng", Visibility.PRIVATE)
    titled("trường", Visibility.SCHOOL)
    titled("sở", Visibility.DEPARTMENT)
    titled("toàn quốc", Visibility.NATIONAL)
    titled("của trường xa", Visibility.SCHOOL, by=world["far_teacher"])

    def exported(username: str | None) -> list[str]:
        out = tmp_path / f"{username}.xml"
        run("export_items", "--format", "moodle", "--out", str(out), *(["--user", username] if username else []))
        report, _ = import_preview(data=out.read_bytes(), filename=out.name)
        return sorted(item.title for item in report.items)

    assert exported(world["teacher"].username) == ["riêng", "sở", "toàn quốc", "trường"]
    assert exported(world["colleague"].username) == ["sở", "toàn quốc", "trường"]
    assert exported(world["importer"].username) == ["sở", "toàn quốc"]  # same department, other school
    assert exported(world["far_teacher"].username) == ["của trường xa", "toàn quốc"]
    assert len(exported(None)) == 5  # the console operator: the whole bank
    with pytest.raises(CommandError, match="there are no items to export"):
        run("export_items", "--format", "moodle", "--out", str(tmp_path / "s.xml"), "--user", world["student"].username)


def test_export_items_refusals(world, tmp_path) -> None:
    with pytest.raises(CommandError, match="no user 'ghost'"):
        run("export_items", "--format", "qti3", "--out", str(tmp_path / "x.zip"), "--user", "ghost")
    with pytest.raises(CommandError, match="there are no items to export"):
        run("export_items", "--format", "qti3", "--out", str(tmp_path / "x.zip"))
    _create(world, "text_entry_pattern")
    with pytest.raises(CommandError, match="a text entry matched by a pattern cannot be exported to QTI 3.0"):
        run("export_items", "--format", "qti3", "--out", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()


# --- the API ----------------------------------------------------------------------------


def upload(client: Client, data: bytes, name: str = "de.gift", **fields):
    return client.post("/api/imports/", {"file": SimpleUploadedFile(name, data), **fields})


def test_upload_answers_the_report_and_keeps_the_batch(client, world) -> None:
    client.force_login(world["teacher"])
    response = upload(client, GIFT, subject="toan", level="hieu")
    assert response.status_code == 201
    body = response.json()
    report = body["report"]
    assert report["ok"] and report["item_count"] == 2 and report["imported"] == 0
    assert [item["source"] for item in report["items"]] == ["de.gift, line 1 (Câu 1)", "de.gift, line 3 (Câu 2)"]
    assert {item["level"] for item in report["items"]} == {"hieu"}
    batch = ImportBatch.objects.get(pk=body["id"])
    assert (batch.status, batch.owner, batch.created_by, batch.filename) == (
        ImportBatch.Status.PREVIEWED, world["school"], world["teacher"], "de.gift",
    )  # fmt: skip
    assert batch.report == report and batch.size == len(GIFT)
    with batch.file.open("rb") as handle:
        assert handle.read() == GIFT
    assert Item.objects.count() == 0


def test_commit_imports_once_and_a_second_commit_changes_nothing(client, world) -> None:
    client.force_login(world["teacher"])
    batch_id = upload(client, GIFT, subject="toan").json()["id"]
    code, job = post_job(client, f"/api/imports/{batch_id}/commit/")
    assert code == 202 and job["kind"] == "item_import" and job["status"] == "succeeded", job
    assert job["percent"] == 100
    items = job["result"]["items"]
    assert len(items) == 2 and job["result"]["report"]["imported"] == 2
    assert sorted(Item.objects.values_list("pk", flat=True)) == sorted(items)
    batch = ImportBatch.objects.get(pk=batch_id)
    assert batch.status == ImportBatch.Status.IMPORTED and batch.item_ids == items and batch.committed_at
    assert str(batch.job_id) == job["id"]
    again = client.post(f"/api/imports/{batch_id}/commit/")  # done already: the items, at once
    assert again.status_code == 200 and again.json()["items"] == items
    assert Item.objects.count() == 2


def test_a_second_click_while_the_import_waits_follows_the_same_job(client, world) -> None:
    client.force_login(world["teacher"])
    batch_id = upload(client, GIFT, subject="toan").json()["id"]
    first = client.post(f"/api/imports/{batch_id}/commit/")  # the worker has not taken it yet
    second = client.post(f"/api/imports/{batch_id}/commit/")
    assert first.status_code == second.status_code == 202
    assert first.json()["job"]["id"] == second.json()["job"]["id"]
    assert first.json()["job"]["status"] == "queued" and Item.objects.count() == 0
    run_job(first.json()["job"]["id"])
    run_job(first.json()["job"]["id"])  # a repeated delivery of the task does nothing more
    assert Item.objects.count() == 2
    assert client.get(f"/api/jobs/{first.json()['job']['id']}/").json()["status"] == "succeeded"


def test_a_job_for_a_batch_imported_meanwhile_answers_its_items_and_writes_nothing_more(client, world) -> None:
    """Two jobs for one batch (the first finished while the second waited): one import."""
    client.force_login(world["teacher"])
    batch_id = upload(client, GIFT, subject="toan").json()["id"]
    code, job = post_job(client, f"/api/imports/{batch_id}/commit/")
    assert code == 202 and job["status"] == "succeeded"
    late = job_start(by=world["teacher"], kind="item_import", params={"batch": batch_id})
    assert run_job(str(late.pk)) == "succeeded"
    assert Job.objects.get(pk=late.pk).result["items"] == job["result"]["items"]
    assert Item.objects.count() == 2


def test_an_import_job_is_its_owners_and_checks_the_permission_again(client, world) -> None:
    client.force_login(world["teacher"])
    batch_id = upload(client, GIFT, subject="toan").json()["id"]
    stranger = job_start(by=world["colleague"], kind="item_import", params={"batch": batch_id})
    assert run_job(str(stranger.pk)) == "failed"
    assert Job.objects.get(pk=stranger.pk).error["code"] == "not_found"
    world["teacher"].role = Role.STUDENT  # no longer an author by the time the worker runs
    world["teacher"].save()
    job = job_start(by=world["teacher"], kind="item_import", params={"batch": batch_id})
    assert run_job(str(job.pk)) == "failed"
    assert Job.objects.get(pk=job.pk).error["code"] == "forbidden"
    assert Item.objects.count() == 0
    assert ImportBatch.objects.get(pk=batch_id).status == ImportBatch.Status.PREVIEWED


def test_only_the_uploader_commits_a_batch(client, world) -> None:
    client.force_login(world["teacher"])
    batch_id = upload(client, GIFT, subject="toan").json()["id"]
    client.force_login(world["colleague"])
    response = client.post(f"/api/imports/{batch_id}/commit/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert Item.objects.count() == 0


def test_students_are_forbidden_and_strangers_unauthenticated(client, world) -> None:
    client.force_login(world["teacher"])
    batch_id = upload(client, GIFT, subject="toan").json()["id"]
    client.force_login(world["student"])
    for response in (
        upload(client, GIFT, subject="toan"),
        client.post(f"/api/imports/{batch_id}/commit/"),
        client.get("/api/exports/?format=moodle"),
        client.get("/api/items/template.xlsx"),
    ):
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    client.logout()
    for response in (
        upload(client, GIFT, subject="toan"),
        client.post(f"/api/imports/{batch_id}/commit/"),
        client.get("/api/exports/?format=moodle"),
        client.get("/api/items/template.xlsx"),
    ):
        assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    assert Item.objects.count() == 0 and ImportBatch.objects.count() == 1


def test_posts_need_the_csrf_token(world) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["teacher"])
    refused = upload(client, GIFT, subject="toan")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    assert ImportBatch.objects.count() == 0
    token = client.get("/api/auth/csrf/").json()["csrf_token"]
    response = client.post(
        "/api/imports/", {"file": SimpleUploadedFile("de.gift", GIFT), "subject": "toan"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201
    batch_id = response.json()["id"]
    commit = f"/api/imports/{batch_id}/commit/"
    assert client.post(commit, content_type="application/json").status_code == 403
    assert Item.objects.count() == 0
    code, job = post_job(client, commit, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert code == 202 and job["status"] == "succeeded"
    assert Item.objects.count() == 2


def test_a_rejected_commit_answers_400_with_the_report_and_writes_nothing(client, world) -> None:
    client.force_login(world["teacher"])
    body = upload(client, GIFT_BAD, subject="toan").json()
    assert not body["report"]["ok"] and body["report"]["error_count"] == 1
    assert body["report"]["file_errors"][0].startswith("de.gift, line 5 (Câu 3): ")
    response = client.post(f"/api/imports/{body['id']}/commit/")
    assert response.status_code == 400
    error = response.json()
    assert error["error"]["code"] == "import_rejected"
    assert error["error"]["message"] == "Có 1 lỗi trong de.gift; chưa nhập câu hỏi nào."  # translated
    assert error["report"]["file_errors"] == body["report"]["file_errors"]
    assert [item["title"] for item in error["report"]["items"]] == ["Câu 1", "Câu 2"]
    assert ImportBatch.objects.get(pk=body["id"]).status == ImportBatch.Status.REJECTED
    assert (Item.objects.count(), MediaFile.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        (
            "xxe.xml",
            b'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<quiz>&x;</quiz>',
            "DOCTYPE",
        ),
        ("anh.png", png(3), "this is a PNG image, not a file of questions"),
        ("rong.gift", b"\n \n", "the file is empty"),
        ("upload.bin", random.Random(1).randbytes(2000), "binary data"),
    ],
)
def test_hostile_uploads_are_reported_and_never_imported(client, world, name, data, reason) -> None:
    client.force_login(world["teacher"])
    response = upload(client, data, name, subject="toan")
    assert response.status_code == 201
    report = response.json()["report"]
    assert not report["ok"] and report["file_errors"][0].startswith(f"{name}: ") and reason in report["file_errors"][0]
    commit = client.post(f"/api/imports/{response.json()['id']}/commit/")
    assert commit.status_code == 400 and commit.json()["error"]["code"] == "import_rejected"
    assert Item.objects.count() == 0


def test_an_empty_upload_is_refused_by_the_form(client, world) -> None:
    client.force_login(world["teacher"])
    response = upload(client, b"", "rong.gift", subject="toan")
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]
    assert ImportBatch.objects.count() == 0


def test_an_upload_with_an_unknown_level_is_refused(client, world) -> None:
    client.force_login(world["teacher"])
    response = upload(client, GIFT, subject="toan", level="kho")
    assert response.status_code == 400 and "unknown cognitive level 'kho'" in response.json()["error"]["message"]


def test_an_administrator_names_the_owner(client, world) -> None:
    client.force_login(world["admin"])
    missing = upload(client, GIFT, subject="toan")
    assert missing.status_code == 400 and "owner" in missing.json()["error"]["fields"]
    response = upload(client, GIFT, subject="toan", owner=world["other_school"].pk)
    assert response.status_code == 201
    code, job = post_job(client, f"/api/imports/{response.json()['id']}/commit/")
    assert code == 202 and job["status"] == "succeeded", job
    assert set(Item.objects.values_list("owner", flat=True)) == {world["other_school"].pk}


def test_a_teacher_cannot_import_into_another_school(client, world) -> None:
    client.force_login(world["teacher"])
    response = upload(client, GIFT, subject="toan", owner=world["other_school"].pk)
    assert response.status_code == 403 and ImportBatch.objects.count() == 0


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [
        ("qti3", "application/zip", "zip"),
        ("moodle", "application/xml", "xml"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ],
)
def test_export_download_has_its_type_and_imports_again(client, world, fmt, content_type, extension) -> None:
    kinds = FORMAT_KINDS[fmt]
    _bank(world, kinds)
    client.force_login(world["teacher"])
    response = client.get(f"/api/exports/?format={fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="ngan-hang-cau-hoi.{extension}"'
    data = b"".join(response) if response.streaming else response.content
    report, planned = import_preview(
        data=data, filename=f"export.{extension}", defaults=ImportDefaults(subject=world["toan"])
    )
    assert report.ok and [p.item_type for p in planned] == [TYPE_OF.get(k, k) for k in kinds]


def test_export_refusals(client, world) -> None:
    client.force_login(world["teacher"])
    assert client.get("/api/exports/?format=pdf").status_code == 400
    empty = client.get("/api/exports/?format=moodle")
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "not_exportable"
    pattern = _create(world, "text_entry_pattern")
    refused = client.get("/api/exports/?format=qti3")
    assert refused.status_code == 400 and refused.json()["error"]["message"] == (
        f"Câu hỏi #{pattern.item_id} (phiên bản 1) không ghi được sang QTI 3.0: định dạng này không chứa được "
        "đáp án so khớp theo mẫu. Hãy chọn định dạng khác, hoặc dùng bộ lọc để bỏ câu hỏi này ra."
    )
    group = _create(world, "true_false_group")
    refused = client.get("/api/exports/?format=moodle&item_type=true_false_group")
    assert refused.json()["error"]["message"].startswith(f"Câu hỏi #{group.item_id} (phiên bản 1) không ghi được")
    assert "nhóm đúng/sai nhiều mệnh đề" in refused.json()["error"]["message"]
    # The filters leave the item out: the rest is written.
    _create(world, "single_choice")
    kept = client.get("/api/exports/?format=qti3&item_type=single_choice")
    assert kept.status_code == 200 and kept["Content-Type"] == "application/zip"
    # In English when chosen.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/api/exports/?format=moodle&item_type=true_false_group").json()["error"]["message"]
    assert english == (
        f"Item #{group.item_id} (version 1) cannot be written as Moodle XML: it has no true/false group of "
        "several statements. Choose another format, or leave the item out with the filters."
    )


def test_an_export_job_makes_the_file_its_owner_downloads_and_the_sweep_deletes_it(
    client, world, media_root, settings
) -> None:
    kinds = FORMAT_KINDS["moodle"]
    _bank(world, kinds)
    client.force_login(world["teacher"])
    code, job = post_job(
        client, "/api/exports/", {"format": "moodle", "subject": "toan"}, content_type="application/json"
    )
    assert code == 202 and job["kind"] == "item_export" and job["status"] == "succeeded", job
    assert job["percent"] == 100 and job["result"]["items"] == len(kinds)
    assert job["result"]["download"] == f"/api/jobs/{job['id']}/file/"
    download = client.get(job["result"]["download"])
    assert download.status_code == 200 and download["Content-Type"] == "application/xml"
    assert download["Content-Disposition"] == 'attachment; filename="ngan-hang-cau-hoi.xml"'
    assert download["Cache-Control"] == "no-store"
    data = b"".join(download.streaming_content)
    assert data == client.get("/api/exports/?format=moodle&subject=toan").content  # the same file as at once
    # Only its owner downloads it.
    client.force_login(world["colleague"])
    assert client.get(job["result"]["download"]).status_code == 404
    # A day after the job ended, the sweep deletes the file; the row says it is gone.
    from jobs.services import jobs_sweep

    assert jobs_sweep() == 0
    Job.objects.filter(pk=job["id"]).update(
        finished_at=timezone.now() - timedelta(seconds=settings.JOB_FILE_MAX_AGE_SECONDS + 1)
    )
    assert jobs_sweep() == 1 and jobs_sweep() == 0
    assert not list((media_root / "jobs").rglob("*.xml"))
    client.force_login(world["teacher"])
    gone = client.get(job["result"]["download"])
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "file_gone"


def test_an_export_job_that_cannot_be_written_fails_with_the_reason_and_keeps_no_file(
    client, world, media_root
) -> None:
    client.force_login(world["teacher"])
    bad = client.post("/api/exports/", {"format": "pdf"}, content_type="application/json")
    assert bad.status_code == 400 and "format" in bad.json()["error"]["fields"] and Job.objects.count() == 0
    code, job = post_job(client, "/api/exports/", {"format": "moodle"}, content_type="application/json")
    assert job["status"] == "failed" and job["error"]["code"] == "not_exportable"
    assert job["error"]["message"] == "Không có câu hỏi nào khớp: không có gì để xuất."
    _create(world, "text_entry_pattern")
    code, job = post_job(client, "/api/exports/", {"format": "qti3"}, content_type="application/json")
    assert job["status"] == "failed" and "so khớp theo mẫu" in job["error"]["message"]
    assert client.get(f"/api/jobs/{job['id']}/file/").status_code == 404
    assert not (media_root / "jobs").exists() or not list((media_root / "jobs").rglob("*.*"))
    client.force_login(world["student"])
    assert client.post("/api/exports/", {"format": "moodle"}, content_type="application/json").status_code == 403


def test_the_excel_template_downloads_and_reads_as_example_items(client, world) -> None:
    client.force_login(world["teacher"])
    response = client.get("/api/items/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "mau-ngan-hang-cau-hoi.xlsx" in response["Content-Disposition"]
    parsed = parse_xlsx(response.content, filename="mau.xlsx")
    assert parsed.ok
    assert {item.item_type for item in parsed.items} == {
        "single_choice", "multiple_response", "true_false_group", "short_numeric", "text_entry", "essay",
    }  # fmt: skip
    report, _ = import_preview(data=response.content, filename="mau.xlsx")
    assert [item.errors for item in report.items if item.errors] == [
        ["no subject: the file names 'Địa lí', which the bank does not have, and none was chosen"]
    ]  # the others name Toán, which the bank has
    Subject.objects.create(code="dia-li", name="Địa lí")
    report, planned = import_preview(data=response.content, filename="mau.xlsx")
    assert report.ok and len(planned) == len(parsed.items)
    assert [plan.subject.code for plan in planned] == ["toan"] * 4 + ["dia-li", "toan"]


@pytest.mark.django_db(transaction=True)
def test_a_commit_racing_another_waits_for_it_and_imports_nothing_more(world) -> None:
    """The competing commit goes first and holds the batch; the request waits, then sees it done."""
    import threading

    from django.db import connection, transaction

    client = Client()
    client.force_login(world["teacher"])
    batch_id = upload(client, GIFT, subject="toan").json()["id"]
    locked, go, done = threading.Event(), threading.Event(), {}

    def competing_commit() -> None:
        try:
            with transaction.atomic():
                batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
                locked.set()
                go.wait(10)
                _report, versions = import_commit(
                    by=world["teacher"], data=GIFT, filename="de.gift", defaults=ImportDefaults(subject=world["toan"])
                )
                ImportBatch.objects.filter(pk=batch.pk).update(
                    status=ImportBatch.Status.IMPORTED, item_ids=[v.item_id for v in versions]
                )
        finally:
            connection.close()

    def request_commit() -> None:
        try:
            done["response"] = client.post(f"/api/imports/{batch_id}/commit/", content_type="application/json")
        finally:
            connection.close()

    first = threading.Thread(target=competing_commit)
    first.start()
    assert locked.wait(10)
    second = threading.Thread(target=request_commit)
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting for the lock
    go.set()
    first.join(10)
    second.join(20)
    response = done["response"]
    assert response.status_code == 200
    assert sorted(response.json()["items"]) == sorted(Item.objects.values_list("pk", flat=True))
    assert Item.objects.count() == 2
