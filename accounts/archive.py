"""Reading zip files that strangers sent: one guard for every importer that opens a zip (the
bank's Word, Excel and QTI importers, the roster import), at the bottom of the layers.

``open_archive(data, limits=...)`` reads only the zip's directories (the central directory
and every member's local header) and refuses the file, raising :class:`ArchiveError`,
before any member is decompressed when

- the file is not a zip, or is larger than ``max_archive_bytes``;
- it has more than ``max_members`` members (files and folders);
- a member's name is unsafe: absolute (``/etc/x``, ``\\x``), a drive letter (``C:x``), a
  ``..`` segment (``../x``, ``a/../../x``), control characters, or a backslash (refused,
  or read as ``/`` where the policy says so: see below);
- a member is a symbolic link, is encrypted, or is compressed with anything but stored or
  deflated (what Office and every QTI tool write);
- two members have the same name once normalised (``a/b``, ``a/./b``): which one a reader
  gets would be an accident of the zip library;
- a member is declared larger than ``max_member_bytes``, or compresses better than
  ``max_ratio`` to 1 while being at least ``ratio_floor_bytes`` (smaller members compress
  far better than that without being bombs: a run of spaces, an empty sheet);
- the members are declared to unpack to more than ``max_total_bytes`` together;
- the local and central headers disagree (name, method, sizes), or two members' data
  overlap (the "overlapping files" zip bomb), or a member's data runs past the file end.

The declared sizes are then not trusted: :meth:`SafeArchive.read` decompresses a member
itself (``zlib``, not ``zipfile``) and stops as soon as it has one byte more than the
member declared (or than the caller's ``max_bytes``), so a lying header costs at most that
much; a member that unpacks to a different size than declared, or fails its CRC, is
refused. Everything read from one archive counts against ``max_total_bytes`` too.
:meth:`SafeArchive.verify` reads every member once that way (and keeps nothing): the Word
and Excel importers call it before handing the bytes to python-docx or openpyxl, which
open the zip themselves.

Each importer keeps its own limits; they differ where the formats do:

============================  =============  =============  ==============
limit                         QTI package    Word (.docx)   Excel (.xlsx)
============================  =============  =============  ==============
file (``max_archive_bytes``)  none (1)       20 MB          50 MB
members                       2000           2000           1000
one member, unpacked          50 MB          100 MB         512 MB
all members, unpacked         200 MB         200 MB         1 GB (2)
ratio (members from)          100:1 (1 MB)   200:1 (1 MB)   200:1 (10 MB)
backslash in a name           a separator    refused        refused
============================  =============  =============  ==============

(1) QTI items are read one by one (each at most 5 MB, media at most 10 MB), so the zip's
own size is bounded only by what the upload accepts. (2) openpyxl streams the sheets in
read-only mode, so a workbook of 100,000 rows may unpack to far more than a document.
Office packages (OPC) forbid backslashes in part names, so one is an attack or a broken
file; some old Windows tools wrote QTI packages with ``\\`` as the separator, so there it
is read as ``/`` (the path is checked after that). Everything else (links, encryption,
duplicates, ``..``, methods, overlaps, lying sizes) is refused the same way everywhere.

The error carries a ``code`` (for an importer that words one case its own way, such as
"not a zip") and the ``member`` at fault; its text is the precise reason, which each
importer reports as its usual single ``ImportIssue``.
"""

from __future__ import annotations

import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Literal

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_READ_CHUNK = 64 * 1024
_STORED, _DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
_METHODS = {1: "shrunk", 6: "imploded", 9: "deflate64", 12: "bzip2", 14: "lzma", 93: "zstandard", 99: "AES"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_ENCRYPTED = 0x01 | 0x40  # traditional PKWARE encryption, strong encryption


@dataclass(frozen=True)
class ArchiveLimits:
    """What one importer accepts in a zip (see the table in the module docstring)."""

    max_members: int
    max_total_bytes: int
    max_member_bytes: int
    max_ratio: int
    ratio_floor_bytes: int
    max_archive_bytes: int | None = None
    backslashes: Literal["refuse", "separator"] = "refuse"
    what: str = "archive"  # how messages name the file: "package", "workbook"


class ArchiveError(Exception):
    """The zip, or one member of it, is refused; ``str()`` is the reason."""

    def __init__(self, code: str, reason: str, *, member: str | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.member = member


@dataclass(frozen=True)
class Member:
    """One file or folder of the archive, under its normalised path."""

    path: str
    raw_name: str  # the name as the zip spells it
    size: int  # uncompressed, as declared
    compressed_size: int
    is_dir: bool
    crc: int
    method: int
    data_start: int  # offset of the compressed data in the zip
    data_end: int


def member_path(name: str, *, backslashes: Literal["refuse", "separator"] = "refuse", what: str = "archive") -> str:
    """The normalised path of a member named ``name`` (``a/./b`` -> ``a/b``); raises
    :class:`ArchiveError` for an unsafe name."""

    def unsafe(why: str) -> ArchiveError:
        return ArchiveError("unsafe_path", f"unsafe path {name!r}: {why}", member=name)

    if not name:
        raise unsafe("the name is empty")
    if _CONTROL.search(name):
        raise unsafe("it contains control characters")
    if name.startswith(("/", "\\")):
        raise unsafe("it is absolute")
    if _DRIVE.match(name):
        raise unsafe("it starts with a drive letter (absolute)")
    if "\\" in name and backslashes == "refuse":
        raise unsafe("it contains a backslash")
    parts = [part for part in name.replace("\\", "/").split("/") if part not in ("", ".")]
    if ".." in parts:
        raise unsafe(f"it leaves the {what} ('..')")
    if not parts:
        raise unsafe("the name is empty")
    return "/".join(parts)


class SafeArchive:
    """A zip that passed :func:`open_archive`; members are read with hard caps."""

    def __init__(self, data: bytes, members: dict[str, Member], limits: ArchiveLimits) -> None:
        self._data = memoryview(data)
        self._members = members
        self.limits = limits
        self.bytes_read = 0

    def __contains__(self, path: object) -> bool:
        member = self._members.get(path) if isinstance(path, str) else None
        return member is not None and not member.is_dir

    def files(self) -> list[str]:
        """The normalised paths of the files (not the folders), in zip order."""
        return [m.path for m in self._members.values() if not m.is_dir]

    def member(self, path: str) -> Member:
        member = self._members.get(path)
        if member is None or member.is_dir:
            raise ArchiveError("missing", f"{path!r} is not in the {self.limits.what}", member=path)
        return member

    def read(self, path: str, *, max_bytes: int | None = None) -> bytes:
        """The bytes of the file at ``path``, never more than its declared size nor
        ``max_bytes`` (nor the archive's per-member limit); raises :class:`ArchiveError`."""
        chunks: list[bytes] = []
        self._stream(self.member(path), max_bytes, chunks.append)
        return b"".join(chunks)

    def verify(self) -> None:
        """Read every member once (keeping nothing): proves that no header lies."""
        for member in self._members.values():
            if not member.is_dir:
                self._stream(member, None, lambda _chunk: None)

    def _stream(self, member: Member, max_bytes: int | None, sink: Callable[[bytes], object]) -> None:
        name = member.raw_name
        cap = self.limits.max_member_bytes if max_bytes is None else min(max_bytes, self.limits.max_member_bytes)
        if member.size > cap:
            raise ArchiveError(
                "member_too_large", f"{name!r} is {member.size} bytes uncompressed (at most {cap})", member=name
            )
        budget = self.limits.max_total_bytes - self.bytes_read
        if member.size > budget:
            raise ArchiveError(
                "total_too_large",
                f"reading stopped at {name!r}: more than {self.limits.max_total_bytes} bytes read from the "
                f"{self.limits.what}",
                member=name,
            )
        # The member's own declaration is the hard cap: one byte more and it lied.
        limit = member.size
        produced = 0
        crc = 0
        raw = self._data[member.data_start : member.data_end]
        decompressor = zlib.decompressobj(-zlib.MAX_WBITS) if member.method == _DEFLATED else None
        position = 0
        while True:
            if decompressor is not None and decompressor.unconsumed_tail:
                piece = decompressor.decompress(decompressor.unconsumed_tail, limit + 1 - produced)
            elif position < len(raw):
                chunk = raw[position : position + _READ_CHUNK]
                position += len(chunk)
                if decompressor is None:
                    piece = bytes(chunk[: limit + 1 - produced])
                else:
                    piece = decompressor.decompress(chunk, limit + 1 - produced)
            else:
                break
            produced += len(piece)
            if produced > limit:
                raise ArchiveError(
                    "size_mismatch",
                    f"{name!r} unpacks to more than the {limit} bytes its header declares "
                    "(reading stopped there; a zip bomb?)",
                    member=name,
                )
            crc = zlib.crc32(piece, crc)
            sink(piece)
            if decompressor is not None and decompressor.eof:
                break
        if decompressor is not None and not decompressor.eof and len(raw) > 0:
            raise ArchiveError("damaged", f"{name!r} is damaged: its compressed data ends early", member=name)
        if produced != limit:
            raise ArchiveError(
                "size_mismatch",
                f"{name!r} unpacks to {produced} bytes, not the {limit} its header declares",
                member=name,
            )
        if crc != member.crc:
            raise ArchiveError("damaged", f"{name!r} is damaged: its CRC does not match", member=name)
        self.bytes_read += produced


def open_archive(data: bytes, *, limits: ArchiveLimits) -> SafeArchive:
    """Check the zip ``data`` against ``limits`` without decompressing anything; raises
    :class:`ArchiveError` with the first refusal (every reason of the first bad member)."""
    what = limits.what
    if limits.max_archive_bytes is not None and len(data) > limits.max_archive_bytes:
        raise ArchiveError("too_large", f"file too large: {len(data)} bytes (at most {limits.max_archive_bytes})")
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise ArchiveError("not_zip", "not a zip archive (no zip signature at the start)")
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise ArchiveError("not_zip", f"not a readable zip archive ({exc})") from exc
    if len(infos) > limits.max_members:
        raise ArchiveError(
            "too_many_members", f"the {what} has {len(infos)} files (zip members; at most {limits.max_members})"
        )

    members: dict[str, Member] = {}
    spans: list[tuple[int, int, str]] = []
    for info in infos:
        name = info.orig_filename
        path = member_path(name, backslashes=limits.backslashes, what=what)
        problems: list[tuple[str, str]] = []
        if stat.S_ISLNK(info.external_attr >> 16):
            problems.append(("symlink", f"{name!r} is a symbolic link (links are not allowed)"))
        if info.flag_bits & _ENCRYPTED:
            problems.append(("encrypted", f"{name!r} is encrypted (password-protected files cannot be read)"))
        if info.compress_type not in (_STORED, _DEFLATED):
            label = _METHODS.get(info.compress_type, "unknown")
            problems.append(
                (
                    "compression",
                    f"{name!r} uses compression method {info.compress_type} ({label}); "
                    "only stored and deflated are read",
                )
            )
        seen = members.get(path)
        if seen is not None and not (seen.is_dir and info.is_dir()):
            again = "twice" if seen.raw_name == name else f"twice (also as {seen.raw_name!r})"
            problems.append(("duplicate", f"{name!r} is in the {what} {again}; which copy is meant is ambiguous"))
        if info.file_size > limits.max_member_bytes:
            problems.append(
                (
                    "member_too_large",
                    f"{name!r} is {info.file_size} bytes uncompressed (at most {limits.max_member_bytes})",
                )
            )
        if info.file_size >= limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                problems.append(
                    (
                        "ratio",
                        f"{name!r} has compression ratio {ratio:.0f}:1 (at most {limits.max_ratio}:1), a zip bomb?",
                    )
                )
        if problems:
            raise ArchiveError(problems[0][0], "; ".join(text for _, text in problems), member=name)
        start, end = _data_range(data, info)
        spans.append((info.header_offset, end, name))
        members[path] = Member(
            path=path,
            raw_name=name,
            size=info.file_size,
            compressed_size=info.compress_size,
            is_dir=info.is_dir(),
            crc=info.CRC,
            method=info.compress_type,
            data_start=start,
            data_end=end,
        )

    total = sum(info.file_size for info in infos)
    if total > limits.max_total_bytes:
        raise ArchiveError("total_too_large", f"the {what} expands to {total} bytes (at most {limits.max_total_bytes})")
    spans.sort()
    for (_, end, first), (start, _, second) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise ArchiveError(
                "overlap",
                f"{second!r} overlaps the data of {first!r} (overlapping members: a zip bomb?)",
                member=second,
            )
    return SafeArchive(data, members, limits)


def _data_range(data: bytes, info: zipfile.ZipInfo) -> tuple[int, int]:
    """Where the member's compressed data is, after checking its local header against the
    central directory."""
    name = info.orig_filename

    def damaged(why: str) -> ArchiveError:
        return ArchiveError("damaged", f"{name!r} is damaged: {why}", member=name)

    offset = info.header_offset
    header = data[offset : offset + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size:
        raise damaged("its local header is past the end of the file")
    (signature, _, _, flags, method, _, _, _, compressed, size, name_length, extra_length) = _LOCAL_HEADER.unpack(
        header
    )
    if signature != _LOCAL_SIGNATURE:
        raise damaged("its local header is missing")
    raw_name = data[offset + _LOCAL_HEADER.size : offset + _LOCAL_HEADER.size + name_length]
    local_name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
    if local_name != name:
        raise damaged(f"its local header names {local_name!r}")
    if flags & _ENCRYPTED:
        raise ArchiveError("encrypted", f"{name!r} is encrypted (password-protected files cannot be read)", member=name)
    if method != info.compress_type:
        raise damaged("its local and central headers name different compression methods")
    if (
        not flags & 0x08
        and 0xFFFFFFFF not in (compressed, size)
        and (compressed, size)
        != (
            info.compress_size,
            info.file_size,
        )
    ):
        raise ArchiveError(
            "size_mismatch",
            f"the local and central headers of {name!r} declare different sizes "
            f"({size} and {info.file_size} bytes uncompressed)",
            member=name,
        )
    start = offset + _LOCAL_HEADER.size + name_length + extra_length
    end = start + info.compress_size
    if end > len(data):
        raise damaged("its data runs past the end of the file")
    return start, end
