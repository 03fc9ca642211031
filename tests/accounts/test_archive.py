"""The zip guard (accounts.archive): hostile zips are refused before anything is
decompressed, members are read with a hard cap, and each importer turns a refusal into one
precise issue.

The hostile zips are built here with ``zipfile`` and, where ``zipfile`` will not write
them (lying sizes, encryption, overlapping members), by patching header bytes.
"""

from __future__ import annotations

import dataclasses
import io
import struct
import tracemalloc
import warnings
import zipfile
import zlib

import pytest

from accounts import archive as archive_module
from accounts.archive import ArchiveError, ArchiveLimits, member_path, open_archive
from itembank.interchange import docx, qti, xlsx
from itembank.interchange.detect import parse_file

LIMITS = ArchiveLimits(
    max_members=10,
    max_total_bytes=1_000_000,
    max_member_bytes=500_000,
    max_ratio=100,
    ratio_floor_bytes=100_000,
    what="package",
)


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about duplicate names
        with zipfile.ZipFile(buffer, "w", compression) as zf:
            for name, data in members.items():
                zf.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


def _zip_entries(entries: list[tuple[str, bytes]]) -> bytes:
    """Like ``_zip`` but allows the same name twice."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in entries:
                zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _headers(data: bytes, name: str) -> tuple[int, int]:
    """The offsets of the local header and the central directory entry of ``name``."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        local = zf.getinfo(name).header_offset
    position = data.find(b"PK\x01\x02")
    while position >= 0:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + name_length] == name.encode():
            return local, position
        position = data.find(b"PK\x01\x02", position + 4)
    raise AssertionError(f"no central entry for {name}")


def _patch(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    patched = bytearray(data)
    struct.pack_into(fmt, patched, offset, value)
    return bytes(patched)


def _declare_size(data: bytes, name: str, size: int, *, local: bool = True) -> bytes:
    """Rewrite the uncompressed size ``name`` declares (the central entry, and the local
    header unless ``local`` is false)."""
    local_offset, central_offset = _headers(data, name)
    data = _patch(data, central_offset + 24, "<L", size)
    return _patch(data, local_offset + 22, "<L", size) if local else data


def _set_flags(data: bytes, name: str, flags: int) -> bytes:
    local_offset, central_offset = _headers(data, name)
    data = _patch(data, central_offset + 8, "<H", flags)
    return _patch(data, local_offset + 6, "<H", flags)


def _refusal(data: bytes, limits: ArchiveLimits = LIMITS) -> ArchiveError:
    with pytest.raises(ArchiveError) as caught:
        open_archive(data, limits=limits)
    return caught.value


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../x", "it leaves the package ('..')"),
        ("a/../../x", "it leaves the package ('..')"),
        ("a/../x", "it leaves the package ('..')"),  # stays inside, but no zipper writes it
        ("/etc/x", "it is absolute"),
        ("\\x", "it is absolute"),
        ("C:\\x", "it starts with a drive letter (absolute)"),
        ("c:x", "it starts with a drive letter (absolute)"),
        ("a\\b", "it contains a backslash"),
        ("a\x01b", "it contains control characters"),
    ],
)
def test_unsafe_names_are_refused_before_reading(name: str, why: str) -> None:
    error = _refusal(_zip({"ok.txt": b"x", name: b"y"}))
    assert error.code == "unsafe_path"
    assert error.member == name
    assert str(error) == f"unsafe path {name!r}: {why}"


def test_backslash_is_a_separator_only_where_the_policy_says_so() -> None:
    data = _zip({"items\\a.xml": b"<a/>"})
    assert _refusal(data).code == "unsafe_path"
    archive = open_archive(data, limits=dataclasses.replace(LIMITS, backslashes="separator"))
    assert archive.files() == ["items/a.xml"]
    assert archive.read("items/a.xml") == b"<a/>"
    for name in ("..\\x", "a\\..\\..\\x", "C:\\x"):
        error = _refusal(_zip({name: b"y"}), dataclasses.replace(LIMITS, backslashes="separator"))
        assert error.code == "unsafe_path" and error.member == name


def test_member_path_normalises_harmless_segments() -> None:
    assert member_path("a/./b//c.xml") == "a/b/c.xml"
    assert member_path("dir/") == "dir"


def test_duplicate_names_are_refused() -> None:
    error = _refusal(_zip_entries([("a.xml", b"1"), ("a.xml", b"2")]))
    assert error.code == "duplicate" and "'a.xml' is in the package twice" in str(error)
    error = _refusal(_zip_entries([("a/b.xml", b"1"), ("a/./b.xml", b"2")]))
    assert error.code == "duplicate" and "also as 'a/b.xml'" in str(error)


def test_a_folder_entry_and_its_files_are_fine() -> None:
    archive = open_archive(_zip({"a/": b"", "a/b.xml": b"<b/>"}), limits=LIMITS)
    assert archive.files() == ["a/b.xml"] and "a" not in archive and "a/b.xml" in archive


def test_symbolic_links_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        link = zipfile.ZipInfo("link")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
    error = _refusal(buffer.getvalue())
    assert error.code == "symlink" and "'link' is a symbolic link" in str(error)


def test_encrypted_members_are_refused() -> None:
    data = _set_flags(_zip({"secret.xml": b"<s/>"}), "secret.xml", 0x01)
    error = _refusal(data)
    assert error.code == "encrypted" and "'secret.xml' is encrypted" in str(error)


def test_other_compression_methods_are_refused() -> None:
    error = _refusal(_zip({"a.xml": b"<a/>" * 100}, zipfile.ZIP_BZIP2))
    assert error.code == "compression" and "method 12 (bzip2)" in str(error)


# --- sizes ------------------------------------------------------------------------------


def test_not_a_zip() -> None:
    assert _refusal(b"hello").code == "not_zip"
    error = _refusal(b"PK\x03\x04junk")
    assert error.code == "not_zip" and "not a readable zip archive" in str(error)


def test_too_large_a_file() -> None:
    error = _refusal(_zip({"a": b"x" * 100}), dataclasses.replace(LIMITS, max_archive_bytes=50))
    assert error.code == "too_large" and "at most 50" in str(error)


def test_too_many_members() -> None:
    error = _refusal(_zip({f"f{n}": b"" for n in range(11)}))
    assert error.code == "too_many_members"
    assert str(error) == "the package has 11 files (zip members; at most 10)"


def test_total_too_big() -> None:
    members = {f"f{n}": bytes(range(256)) * 1000 for n in range(5)}  # 256,000 bytes each
    error = _refusal(_zip(members, zipfile.ZIP_STORED))
    assert error.code == "total_too_large"
    assert str(error) == "the package expands to 1280000 bytes (at most 1000000)"


def test_one_member_too_big() -> None:
    error = _refusal(_zip({"big": bytes(range(256)) * 2000}, zipfile.ZIP_STORED))
    assert error.code == "member_too_large" and error.member == "big"
    assert "'big' is 512000 bytes uncompressed (at most 500000)" in str(error)


def test_zip_bomb_by_compression_ratio() -> None:
    data = _zip({"bomb": b"\0" * 400_000})
    error = _refusal(data)
    assert error.code == "ratio" and "a zip bomb?" in str(error) and error.member == "bomb"
    # Below the floor the same ratio is an ordinary small file.
    assert open_archive(_zip({"small": b"\0" * 90_000}), limits=LIMITS).read("small") == b"\0" * 90_000


def test_every_reason_of_the_first_bad_member_is_given() -> None:
    error = _refusal(_zip({"bomb": b"\0" * 600_000}))
    assert "600000 bytes uncompressed (at most 500000)" in str(error) and "compression ratio" in str(error)


def test_overlapping_members_are_refused() -> None:
    # "a" is declared to span "b"'s header and data: a quoted-overlap zip bomb.
    data = _zip({"a": b"A" * 100, "b": b"B" * 100}, zipfile.ZIP_STORED)
    local_a, central_a = _headers(data, "a")
    local_b, _ = _headers(data, "b")
    span = local_b + 30 + 1 + 100 - (local_a + 30 + 1)
    for offset in (central_a + 20, central_a + 24):
        data = _patch(data, offset, "<L", span)
    for offset in (local_a + 18, local_a + 22):
        data = _patch(data, offset, "<L", span)
    error = _refusal(data)
    assert error.code == "overlap" and "'b' overlaps the data of 'a'" in str(error)


# --- reading with a hard cap ------------------------------------------------------------


def test_lying_header_is_stopped_at_the_declared_size() -> None:
    # 50 MB of zeros (about 50 KB compressed) declared as 1,000 bytes: every check on the
    # declared sizes passes; reading must stop at byte 1,001, not unpack 50 MB.
    data = _declare_size(_zip({"liar": b"\0" * (50 * 1024 * 1024)}), "liar", 1000)
    archive = open_archive(data, limits=LIMITS)
    assert archive.member("liar").size == 1000
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveError) as caught:
            archive.read("liar")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == "size_mismatch"
    assert "'liar' unpacks to more than the 1000 bytes its header declares" in str(caught.value)
    assert peak < 2 * 1024 * 1024
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        archive.verify()


def test_header_declaring_more_than_there_is_is_refused() -> None:
    data = _declare_size(_zip({"short": b"x" * 1000}), "short", 2000)
    with pytest.raises(ArchiveError, match="'short' unpacks to 1000 bytes, not the 2000 its header declares"):
        open_archive(data, limits=LIMITS).read("short")


def test_local_and_central_headers_must_agree() -> None:
    data = _declare_size(_zip({"a": b"x" * 1000}), "a", 10, local=False)
    error = _refusal(data)
    assert error.code == "size_mismatch" and "declare different sizes" in str(error)


def test_damaged_data_fails_the_crc() -> None:
    data = bytearray(_zip({"a.txt": b"hello world"}, zipfile.ZIP_STORED))
    data[data.index(b"hello")] = ord("j")
    with pytest.raises(ArchiveError, match="CRC") as caught:
        open_archive(bytes(data), limits=LIMITS).read("a.txt")
    assert caught.value.code == "damaged"


def test_read_respects_the_callers_cap_before_decompressing() -> None:
    archive = open_archive(_zip({"a": b"x" * 100}), limits=LIMITS)
    with pytest.raises(ArchiveError, match="'a' is 100 bytes uncompressed \\(at most 10\\)"):
        archive.read("a", max_bytes=10)
    assert archive.bytes_read == 0
    assert archive.read("a", max_bytes=100) == b"x" * 100


def test_everything_read_counts_against_the_total() -> None:
    archive = open_archive(_zip({"a": b"x" * 100}), limits=dataclasses.replace(LIMITS, max_total_bytes=150))
    assert archive.read("a") == b"x" * 100
    with pytest.raises(ArchiveError) as caught:
        archive.read("a")
    assert caught.value.code == "total_too_large"


def test_missing_member_and_honest_reads() -> None:
    payload = zlib.compress(b"not zip")  # any bytes
    archive = open_archive(_zip({"a/b.bin": payload, "empty": b""}), limits=LIMITS)
    assert archive.read("a/b.bin") == payload
    assert archive.read("empty") == b""
    archive.verify()
    with pytest.raises(ArchiveError) as caught:
        archive.read("nope")
    assert caught.value.code == "missing"


# --- the same refusals reach every importer as one precise issue ------------------------

_MARKERS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "qti": "imsmanifest.xml"}
_MANIFEST = b"""<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>
  <resource identifier="i" type="imsqti_item_xmlv2p1" href="item.xml"/></resources></manifest>"""


def _package(fmt: str, extra: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    marker = _MANIFEST if fmt == "qti" else b"<x/>"
    return _zip({_MARKERS[fmt]: marker, **extra}, compression)


def _only_error(data: bytes, fmt: str, filename: str = "upload.zip") -> tuple[str, str]:
    result = parse_file(data, filename=filename)  # the format is detected from the members
    assert result.items == ()
    assert len(result.issues) == 1, result.issues
    (issue,) = result.issues
    assert issue.severity == "error"
    assert parse_file(data, filename=filename, format=fmt).issues == result.issues
    return issue.message, issue.source.file


FORMATS = ["docx", "xlsx", "qti"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../x", "leaves the"),
        ("/etc/x", "it is absolute"),
        ("C:\\x", "drive letter"),
        ("a/../../x", "leaves the"),
    ],
)
def test_unsafe_paths_reach_each_importer(fmt: str, name: str, why: str) -> None:
    message, file = _only_error(_package(fmt, {name: b"y"}), fmt)
    assert message.startswith(f"refused: unsafe path {name!r}") and why in message
    assert file == ("upload.zip!" + name if fmt == "qti" else "upload.zip")


@pytest.mark.parametrize("fmt", FORMATS)
def test_zip_bomb_reaches_each_importer(fmt: str) -> None:
    size = 11 * 1024 * 1024  # above every importer's ratio floor
    message, _ = _only_error(_package(fmt, {"bomb.bin": b"\0" * size}), fmt)
    assert "refused: 'bomb.bin'" in message and "compression ratio" in message and "zip bomb?" in message


@pytest.mark.parametrize("fmt", FORMATS)
def test_duplicate_names_reach_each_importer(fmt: str) -> None:
    marker = _MANIFEST if fmt == "qti" else b"<x/>"
    data = _zip_entries([(_MARKERS[fmt], marker), ("dup.xml", b"1"), ("dup.xml", b"2")])
    message, _ = _only_error(data, fmt)
    assert message == "refused: 'dup.xml' is in the package twice; which copy is meant is ambiguous".replace(
        "package", "workbook" if fmt == "xlsx" else "package"
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_encrypted_members_reach_each_importer(fmt: str) -> None:
    data = _set_flags(_package(fmt, {"secret.xml": b"<s/>"}), "secret.xml", 0x01)
    message, _ = _only_error(data, fmt)
    assert message == "refused: 'secret.xml' is encrypted (password-protected files cannot be read)"


@pytest.mark.parametrize("fmt", FORMATS)
def test_lying_header_reaches_each_importer(fmt: str) -> None:
    # Word and Excel read every member before the library opens the zip; a QTI package
    # reads only what its manifest uses, so here the lying member is the item.
    name = "item.xml" if fmt == "qti" else "part.xml"
    data = _declare_size(_package(fmt, {name: b"<a/>" + b" " * 5_000_000}), name, 100)
    result = parse_file(data, filename="upload.zip")
    assert result.items == ()
    (issue,) = result.errors
    assert f"{name!r} unpacks to more than the 100 bytes its header declares" in issue.message
    if fmt == "qti":
        assert issue.source.file == "upload.zip!item.xml"


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("docx", "not a Word .docx file (a .docx is a zip package): not a zip archive"),
        ("xlsx", "not an Excel workbook (.xlsx): not a zip archive"),
        ("qti", "not a readable zip archive"),
    ],
)
def test_not_a_zip_reaches_each_importer(fmt: str, expected: str) -> None:
    data = b"PK\x03\x04 not really a zip" if fmt == "qti" else b"just text"
    result = parse_file(data, filename="f", format=fmt)
    (issue,) = result.issues
    assert result.items == () and issue.message.startswith(expected)


@pytest.mark.parametrize(
    ("fmt", "module", "setting"),
    [("docx", docx, "MAX_ZIP_MEMBERS"), ("xlsx", xlsx, "MAX_ZIP_MEMBERS"), ("qti", qti, "PACKAGE_LIMITS")],
)
def test_too_many_members_reaches_each_importer(
    fmt: str, module: object, setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = dataclasses.replace(qti.PACKAGE_LIMITS, max_members=3) if fmt == "qti" else 3
    monkeypatch.setattr(module, setting, value)
    message, _ = _only_error(_package(fmt, {f"f{n}": b"" for n in range(3)}), fmt)
    assert "has 4 files (zip members; at most 3)" in message


@pytest.mark.parametrize(
    ("fmt", "module", "setting"),
    [
        ("docx", docx, "MAX_UNCOMPRESSED_BYTES"),
        ("xlsx", xlsx, "MAX_UNCOMPRESSED_BYTES"),
        ("qti", qti, "PACKAGE_LIMITS"),
    ],
)
def test_total_too_big_reaches_each_importer(
    fmt: str, module: object, setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = dataclasses.replace(qti.PACKAGE_LIMITS, max_total_bytes=1000) if fmt == "qti" else 1000
    monkeypatch.setattr(module, setting, value)
    message, _ = _only_error(_package(fmt, {"a.bin": b"a" * 600, "b.bin": b"b" * 600}), fmt)
    assert "expands to" in message and "(at most 1000)" in message


def test_opening_decompresses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("decompressed while opening")

    monkeypatch.setattr(archive_module.zlib, "decompressobj", refuse)
    archive = open_archive(_zip({"a": b"x" * 1000, "b/c": b"y" * 1000}), limits=LIMITS)
    assert archive.files() == ["a", "b/c"]
    with pytest.raises(AssertionError, match="decompressed while opening"):
        archive.read("a")  # the patch is really in the reading path
