"""Which media files an importer keeps with an item, and under what name.

An item's files travel in ``metadata["files"]`` (``{name: bytes}``, the Moodle importer's
convention) and its text refers to them as ``media:NAME``. A file is kept only if both
its name's extension and its first bytes say it is one of the allowed types:

- images: PNG, JPEG, GIF, WebP. SVG is refused, not sanitised: an SVG is a document that
  can carry scripts, event handlers and links, and the bank shows images as they are.
- audio: MP3, Ogg, WAV, M4A (the bank does not play audio yet; the files are kept so that
  nothing is lost on the way through).

``check_media`` says which type a file is or why it is refused; ``safe_name`` gives a
name that is safe as a zip member, a URL path segment and a file name on any system.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Container

IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
AUDIO_TYPES = {"mp3": "audio/mpeg", "ogg": "audio/ogg", "oga": "audio/ogg", "wav": "audio/wav", "m4a": "audio/mp4"}
_ALLOWED = {"image": IMAGE_TYPES, "audio": AUDIO_TYPES}
_LABELS = {
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image",
    "image/webp": "a WebP image",
    "image/svg+xml": "an SVG image",
    "audio/mpeg": "MP3 audio",
    "audio/ogg": "Ogg audio",
    "audio/wav": "WAV audio",
    "audio/mp4": "M4A (MP4) audio",
    "application/pdf": "a PDF document",
    "application/zip": "a zip archive",
    "text/html": "an HTML document",
}
_MP4_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"mp41", b"mp42", b"isom", b"iso2", b"dash"}
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME_CHARS = 100


class MediaRefused(Exception):
    """The file is not kept; ``str()`` says why."""


def sniff(data: bytes) -> str | None:
    """The content type the first bytes of ``data`` announce, or None if none we know."""
    head = data[:512]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"  # an ID3 tag, or the 11-bit sync of an MPEG audio frame
    if head[4:8] == b"ftyp" and head[8:12] in _MP4_BRANDS:
        return "audio/mp4"
    if head.startswith(b"%PDF"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "image/svg+xml"
    if text.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    return None


def check_media(name: str, data: bytes, *, kind: str) -> str:
    """The content type of the file ``name`` holding ``data``, kept as ``kind`` ("image" or
    "audio"); raises :class:`MediaRefused` saying why not."""
    allowed = _ALLOWED[kind]
    extension = posixpath.splitext(name)[1].lower().lstrip(".")
    found = sniff(data)
    if extension in {"svg", "svgz"} or found == "image/svg+xml":
        raise MediaRefused("SVG images are not accepted (an SVG can carry scripts and links)")
    if extension not in allowed:
        accepted = ", ".join(sorted(set(allowed)))
        shown = f"'.{extension}'" if extension else "no extension"
        raise MediaRefused(f"the file type ({shown}) is not accepted for {kind} (accepted: {accepted})")
    expected = allowed[extension]
    if found != expected:
        actual = _LABELS.get(found or "", "not any image or audio type the bank knows")
        raise MediaRefused(f"its name says {_LABELS[expected]} but its bytes are {actual}")
    return expected


def safe_name(path: str, taken: Container[str]) -> str:
    """A name for the file at ``path``: its base name in ASCII letters, digits, ``.``,
    ``_`` and ``-`` (diacritics dropped: ``hình 1.png`` -> ``hinh_1.png``), at most
    :data:`MAX_NAME_CHARS` characters, made unique against ``taken`` with ``-2``, ``-3``, ..."""
    base = posixpath.basename(path.replace("\\", "/"))
    ascii_base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, extension = posixpath.splitext(_UNSAFE_CHARS.sub("_", ascii_base))
    stem = stem.strip("._-") or "file"
    extension = extension.lower() if re.fullmatch(r"\.[a-z0-9]{1,8}", extension.lower()) else ""
    stem = stem[: MAX_NAME_CHARS - len(extension) - 4]
    name, number = stem + extension, 2
    while name in taken:
        name, number = f"{stem}-{number}{extension}", number + 1
    return name
