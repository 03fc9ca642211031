"""Import of IMS/1EdTech QTI items and content packages (QTI 3.0 and QTI 2.1/2.2).

``parse_qti_item`` reads one item document, ``parse_qti_package`` a content package (zip
with ``imsmanifest.xml``) and ``parse_qti`` chooses between them by the zip signature.
Like the other importers they never raise for bad input: whatever cannot be read becomes an
``ImportIssue`` saying where and why (docs/decisions/0003).

Both QTI generations are read by one code path: the tree is first normalised to the QTI 2
names (``qti-simple-choice`` -> ``simpleChoice``, ``response-identifier`` ->
``responseIdentifier``, namespaces dropped).

Mapping (interaction -> bank type):

- ``choiceInteraction`` single -> ``single_choice``; multiple -> ``multiple_response``
- ``textEntryInteraction`` -> ``text_entry`` (string) or ``short_numeric`` (integer/float)
- ``extendedTextInteraction`` -> ``essay``
- one or more ``inlineChoiceInteraction`` -> ``inline_choice``
- ``matchInteraction`` (directedPair) -> ``matching``; ``orderInteraction`` -> ``ordering``
- ``matchInteraction`` whose second set is exactly two choices, one true and one false by
  identifier (case-insensitive ``true``/``false``, ``T``/``F``, ``dung`` or ``đúng``/``sai``,
  ``D``/``S``)
  -> ``true_false_group``: the first set's choices are the statements, the correct pairs
  the keys (every statement needs exactly one, else the item is refused saying which).
  The scale is read from the response processing (see "True/false groups" below).
- ``gapMatchInteraction`` -> ``inline_choice`` when every gap has exactly one right text
- anything else (hotspot, hottext, associate, graphic*, slider, upload, drawing, media,
  custom, ...) and items mixing interaction types are reported, not imported.

The response processing is not imported: keys come from the correct response and the
mapping; the bank's scoring rules apply. The one exception is the scale of a true/false
group, which is the bank's own rule and the processing is where QTI says it:

True/false groups. The scale (fraction of the points by number of correct statements) is,
in this order: (1) read from response conditions that count, each a ``responseIf`` or
``responseElseIf`` of ``equal`` (an outcome variable and a base value k) and one
``setOutcomeValue`` SCORE of a base value v: scale[k] = v / points (counts 1..n without a
condition keep SCORE's default; count 0 is in the scale only if it has a condition; the
national values for 4 statements and no count 0 read as null, the national scale). Other
settings of SCORE may only set 0 (a ``responseElse``). A count outside 0..n, a count given
twice, or a scale that the bank cannot hold (a score above the points, a falling scale, n
correct not giving all the points) refuses the item with the reason. Without a declared
MAXSCORE or SCORE normal maximum the points are the score for n correct; a 0-point item
has no scale to read (rules 2 to 4 apply). (2) the ``match_correct`` template (or its
written-out form, SCORE set when ``match`` of the response and its correct value holds):
all or nothing, {n: 1, others 0}. (3) ``map_response`` (the template, or SCORE set to
``mapResponse``) with one equal weight per correct pair and no other weight: proportional,
k/n. (4) otherwise the national scale for 4 statements, else proportional, with a warning
saying which was assumed.

Media. A package is opened through the shared zip guard (``accounts.archive``,
with the package limits below). An image (``img``) or audio file (``audio``, or a
``source`` inside one) that an item of the package refers to is resolved against the item
file's folder, must stay inside the package, and is read through the guard (at most
:data:`MAX_MEDIA_BYTES`) and kept only if its extension and its first bytes agree on an
allowed type (``itembank.interchange.media``: PNG, JPEG, GIF, WebP; MP3, Ogg, WAV, M4A;
SVG is refused). Kept files go to ``metadata["files"]`` (``{name: bytes}`` under a safe
name unique in the item, as the Moodle and Word importers do) and the image sources become
``media:NAME``; ``metadata["media"]`` describes every reference (``src``, ``path``,
``kind``, ``size`` and, for kept files, ``name`` and ``content_type``). An image that is
missing, outside the package or refused is an error for its item (the question would lose
what it shows); such audio is a warning (the bank does not play audio yet; the item is
imported without it). Video, subtitle tracks and ``object`` elements are recorded, not
read, and dropped from the text with a warning. A single item file (not a package) keeps
its relative image paths: there are no bytes to read.
"""

from __future__ import annotations

import copy
import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.parsers import expat

import defusedxml
import defusedxml.ElementTree as DET

from accounts.archive import ArchiveError, ArchiveLimits, SafeArchive, open_archive
from itembank.interchange.base import ImportedItem, ImportIssue, ParseResult, SourceLocation
from itembank.interchange.media import MediaRefused, check_media, safe_name
from itembank.richtext import sanitize_html
from scoring.item_rules import DEFAULT_TRUE_FALSE_SCALE

MAX_ITEM_BYTES = 5 * 1024 * 1024
MAX_MANIFEST_BYTES = 5 * 1024 * 1024
MAX_MEDIA_BYTES = 10 * 1024 * 1024
MAX_PACKAGE_MEMBERS = 2000
MAX_PACKAGE_TOTAL_BYTES = 200 * 1024 * 1024
MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# Tiny members compress far better than 100:1 without being bombs (a run of spaces, an
# empty-ish file); the ratio is only checked for members at least this large.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
PACKAGE_LIMITS = ArchiveLimits(
    max_members=MAX_PACKAGE_MEMBERS,
    max_total_bytes=MAX_PACKAGE_TOTAL_BYTES,
    max_member_bytes=MAX_MEMBER_BYTES,
    max_ratio=MAX_COMPRESSION_RATIO,
    ratio_floor_bytes=RATIO_CHECK_MIN_BYTES,
    backslashes="separator",  # some old Windows tools wrote QTI zips with "\\"
    what="package",
)
# Media the bank keeps with an item (read from a package); other references are recorded.
_KEPT_KINDS = {"image", "audio"}

TEST_WARNING = "assessment tests are imported as their items; the form comes later"
STIMULUS_WARNING = "shared stimuli (passages) are not imported yet; they come later"
FEEDBACK_WARNING = "feedback imported without the conditions that show it (response processing is not imported)"

_QTI3_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
_QTI2_VERSIONS = {
    "http://www.imsglobal.org/xsd/imsqti_v2p0": "2.0",
    "http://www.imsglobal.org/xsd/imsqti_v2p1": "2.1",
    "http://www.imsglobal.org/xsd/imsqti_v2p2": "2.2",
}
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"

_SUPPORTED = {
    "choiceInteraction",
    "textEntryInteraction",
    "extendedTextInteraction",
    "inlineChoiceInteraction",
    "matchInteraction",
    "orderInteraction",
    "gapMatchInteraction",
}
_NAMES = {
    "choiceInteraction": "choice",
    "textEntryInteraction": "text entry",
    "extendedTextInteraction": "extended text",
    "inlineChoiceInteraction": "inline choice",
    "matchInteraction": "match",
    "orderInteraction": "order",
    "gapMatchInteraction": "gap match",
    "hotspotInteraction": "hotspot",
    "hottextInteraction": "hottext",
    "associateInteraction": "associate",
    "graphicGapMatchInteraction": "graphic gap match",
    "graphicOrderInteraction": "graphic order",
    "graphicAssociateInteraction": "graphic associate",
    "selectPointInteraction": "select point",
    "positionObjectInteraction": "position object",
    "uploadInteraction": "upload",
    "sliderInteraction": "slider",
    "drawingInteraction": "drawing",
    "mediaInteraction": "media",
    "customInteraction": "custom",
    "portableCustomInteraction": "portable custom",
    "endAttemptInteraction": "end attempt",
}
_FEEDBACK_TAGS = {"feedbackInline", "feedbackBlock", "modalFeedback"}
_DROP_TAGS = {"rubricBlock", "templateBlock", "templateInline", "printedVariable", "stylesheet", "catalogInfo"}
_TEXT_BLANK = "______"
# Identifiers (case-folded) of the second match set that make a match interaction a
# true/false group: a true one and a false one.
_TRUE_IDS = frozenset({"true", "t", "dung", "đúng", "d"})
_FALSE_IDS = frozenset({"false", "f", "sai", "s"})
_LAST_BLANK = re.compile(r"\s*<p>\s*" + _TEXT_BLANK + r"\s*</p>\s*$")


class _Invalid(Exception):
    """The item cannot be imported; the message says why."""

    def __init__(self, message: str, elem: ET.Element | None = None) -> None:
        super().__init__(message)
        self.elem = elem


class _Refused(Exception):
    """The item cannot be imported; ``where`` and the message say where and why."""

    def __init__(self, where: SourceLocation, message: str) -> None:
        super().__init__(message)
        self.where = where


@dataclass
class _Package:
    """An open package and the media already read from it (path -> bytes and type, or why
    not), shared by its items."""

    archive: SafeArchive
    media: dict[str, tuple[bytes, str] | str] = field(default_factory=dict)


@dataclass
class _Media:
    """Where an item's media are: inside a package or beside a loose file."""

    item_path: str = ""  # the item's path inside the package ("" for a loose file)
    package: _Package | None = None


@dataclass
class _Item:
    root: ET.Element
    filename: str
    version: str
    lines: dict[int, int]
    media: _Media
    warnings: list[str] = field(default_factory=list)
    media_refs: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # name -> bytes (metadata["files"])
    file_names: dict[str, str] = field(default_factory=dict)  # package path -> name
    issues: list[ImportIssue] = field(default_factory=list)  # warnings about this item's media
    src_lines: dict[str, int] = field(default_factory=dict)  # media reference -> line
    points: Decimal | None = None  # set by a reader that finds the points elsewhere

    def where(self, elem: ET.Element | None = None, element: str | None = None) -> SourceLocation:
        node = elem if elem is not None else self.root
        return SourceLocation(file=self.filename, line=self.lines.get(id(node)), element=element)


@dataclass
class _Declaration:
    identifier: str
    cardinality: str
    base_type: str
    correct: list[str]
    mapping: dict[str, Decimal]
    case_sensitive: dict[str, bool]
    upper_bound: Decimal | None


# --- entry points -----------------------------------------------------------------------


def parse_qti(data: bytes, *, filename: str) -> ParseResult:
    """A QTI content package (zip) or a single item document, by the zip signature."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return parse_qti_package(data, filename=filename)
    return parse_qti_item(data, filename=filename)


def parse_qti_item(data: bytes, *, filename: str) -> ParseResult:
    """Read one QTI 3.0 or 2.x item document; never raises for bad input."""
    try:
        return _parse_item(data, filename, _Media())
    except Exception as exc:  # noqa: BLE001 - a report, never a crash, for any input
        return _refuse(SourceLocation(file=filename), f"could not read the item ({type(exc).__name__}: {exc})")


def parse_qti_package(data: bytes, *, filename: str) -> ParseResult:
    """Read a QTI content package: every item resource of its manifest; never raises."""
    try:
        return _parse_package(data, filename)
    except Exception as exc:  # noqa: BLE001 - a report, never a crash, for any input
        return _refuse(SourceLocation(file=filename), f"could not read the package ({type(exc).__name__}: {exc})")


# --- XML --------------------------------------------------------------------------------


def _refuse(where: SourceLocation, message: str, severity: str = "error") -> ParseResult:
    return ParseResult(items=(), issues=(ImportIssue(where, message, severity),))


def _parse_xml(data: bytes, filename: str) -> tuple[ET.Element, dict[int, int]] | ImportIssue:
    """The root element and the line of every element, or the issue saying why not."""
    whole = SourceLocation(file=filename)
    try:
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        return ImportIssue(whole, "refused: the file has a DOCTYPE declaration (DTDs are not allowed)")
    except defusedxml.EntitiesForbidden as exc:
        return ImportIssue(whole, f"refused: the file declares the entity {getattr(exc, 'name', '?')!r}")
    except defusedxml.ExternalReferenceForbidden:
        return ImportIssue(whole, "refused: the file refers to an external resource")
    except defusedxml.DefusedXmlException as exc:
        return ImportIssue(whole, f"refused: unsafe XML ({type(exc).__name__})")
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        code = getattr(exc, "code", None)
        reason = expat.ErrorString(code) if code else str(exc)
        return ImportIssue(
            SourceLocation(file=filename, line=line), f"not well-formed XML at line {line}, column {column}: {reason}"
        )
    except (ValueError, UnicodeError) as exc:
        return ImportIssue(whole, f"cannot read the file as XML: {exc}")
    return root, _element_lines(data, root)


def _element_lines(data: bytes, root: ET.Element) -> dict[int, int]:
    """``id(element) -> line``: ElementTree keeps no lines, so expat reads them again (only
    after defusedxml accepted the document, so there is no DTD and no entity)."""
    parser = expat.ParserCreate()
    lines: list[int] = []
    parser.StartElementHandler = lambda _name, _attrs: lines.append(parser.CurrentLineNumber)
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return {}
    elements = list(root.iter())
    if len(elements) != len(lines):
        return {}
    return {id(elem): line for elem, line in zip(elements, lines, strict=True)}


def _local(name: str) -> tuple[str, str]:
    if name.startswith("{"):
        ns, _, local = name[1:].partition("}")
        return ns, local
    return "", name


def _camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _normalise(root: ET.Element) -> None:
    """Drop namespaces and rename QTI 3 elements and attributes to the QTI 2 names."""
    for elem in root.iter():
        if not isinstance(elem.tag, str):
            continue
        _, local = _local(elem.tag)
        qti3 = local.startswith("qti-")
        if qti3:
            local = _camel(local[4:])
        elem.tag = local
        if elem.attrib:
            attrs = {}
            for name, value in elem.attrib.items():
                if name.startswith(_XML_NS):
                    name = name[len(_XML_NS) :]
                else:
                    name = _local(name)[1]
                attrs[_camel(name) if qti3 else name] = value
            elem.attrib.clear()
            elem.attrib.update(attrs)


# --- one item ---------------------------------------------------------------------------


def _parse_item(data: bytes, filename: str, media: _Media) -> ParseResult:
    whole = SourceLocation(file=filename)
    if len(data) > MAX_ITEM_BYTES:
        return _refuse(whole, f"item file too large: {len(data)} bytes (at most {MAX_ITEM_BYTES})")
    parsed = _parse_xml(data, filename)
    if isinstance(parsed, ImportIssue):
        return ParseResult(items=(), issues=(parsed,))
    root, lines = parsed
    ns, local = _local(root.tag)
    where = SourceLocation(file=filename, line=lines.get(id(root)), element=local)
    if local in {"qti-assessment-test", "assessmentTest"}:
        return _refuse(where, TEST_WARNING, "warning")
    if local in {"qti-assessment-stimulus", "assessmentStimulus"}:
        return _refuse(where, STIMULUS_WARNING, "warning")
    if local == "qti-assessment-item" and ns == _QTI3_NS:
        version = "3.0"
    elif local == "assessmentItem" and ns in _QTI2_VERSIONS:
        version = _QTI2_VERSIONS[ns]
    else:
        label = f"{{{ns}}}{local}" if ns else local
        return _refuse(
            where,
            f"not a QTI item: the root element is <{label}>, expected <qti-assessment-item> (QTI 3.0) "
            "or <assessmentItem> (QTI 2.x) in the QTI namespace",
        )
    _normalise(root)
    item = _Item(root=root, filename=filename, version=version, lines=lines, media=media)
    for elem in root.iter():
        for attr in ("src", "data"):
            if (ref := elem.get(attr)) and id(elem) in lines:
                item.src_lines.setdefault(ref, lines[id(elem)])
    try:
        read = _read_item(item)
        return ParseResult(items=(read,), issues=tuple(item.issues))
    except _Invalid as exc:
        label = root.get("identifier") or root.get("title") or "item"
        loc = item.where(exc.elem, element=label)
        return _refuse(loc, str(exc))
    except _Refused as exc:
        return _refuse(exc.where, str(exc))
    except Exception as exc:  # noqa: BLE001 - a report, never a crash, for any input
        return _refuse(item.where(), f"could not read this item ({type(exc).__name__}: {exc})")


def _read_item(item: _Item) -> ImportedItem:
    root = item.root
    body = root.find("itemBody")
    if body is None:
        raise _Invalid("the item has no item body")
    if root.find("templateDeclaration") is not None or root.find("templateProcessing") is not None:
        raise _Invalid("template (randomised) items are not supported yet")
    declarations = {d.identifier: d for d in (_declaration(e) for e in root.findall("responseDeclaration"))}

    interactions = [e for e in body.iter() if e.tag.endswith("Interaction") and e.tag != "positionObjectStage"]
    if not interactions:
        raise _Invalid("the item has no interaction (nothing to answer)", body)
    unsupported = [e for e in interactions if e.tag not in _SUPPORTED]
    if unsupported:
        names = sorted({_NAMES.get(e.tag, e.tag) for e in unsupported})
        raise _Invalid(f"{', '.join(names)} interactions are not supported yet", unsupported[0])
    kinds = {e.tag for e in interactions}
    if len(interactions) > 1 and kinds != {"inlineChoiceInteraction"}:
        names = ", ".join(_NAMES[e.tag] for e in interactions)
        if len(kinds) > 1:
            raise _Invalid(f"items with several interaction types are not supported yet ({names})", interactions[0])
        raise _Invalid(f"items with several {_NAMES[interactions[0].tag]} interactions are not supported yet")

    metadata: dict[str, Any] = {"qti_version": item.version}
    if identifier := root.get("identifier"):
        metadata["identifier"] = identifier
    if lang := root.get("lang"):
        metadata["language"] = lang
    stimulus = [ref.get("href") for ref in root.iter("assessmentStimulusRef") if ref.get("href")]
    if stimulus:
        metadata["stimulus_href"] = _resolve(item, stimulus[0]) or stimulus[0]
        item.warnings.append(STIMULUS_WARNING)

    feedback = _feedback(item, body)
    kind = interactions[0].tag
    reader = _READERS[kind]
    item_type, content, extra = reader(item, body, interactions, declarations)
    metadata.update(extra)
    points = item.points if item.points is not None else _points(item, declarations, interactions)
    if item.media_refs:
        metadata["media"] = item.media_refs
    if item.files:
        metadata["files"] = dict(item.files)
    return ImportedItem(
        item_type=item_type,
        content=content,
        source=item.where(element=root.get("identifier") or None),
        title=(root.get("title") or "").strip(),
        points=points,
        metadata=metadata,
        feedback=feedback,
        warnings=tuple(dict.fromkeys(item.warnings)),
    )


def _decimal(text: str | None, what: str) -> Decimal:
    try:
        value = Decimal((text or "").strip())
    except (InvalidOperation, ValueError) as exc:
        raise _Invalid(f"{what} {text!r} is not a number") from exc
    if not value.is_finite():
        raise _Invalid(f"{what} {text!r} is not a number")
    return value


def _declaration(elem: ET.Element) -> _Declaration:
    identifier = elem.get("identifier") or ""
    correct = [(v.text or "").strip() for v in elem.findall("correctResponse/value")]
    mapping: dict[str, Decimal] = {}
    case_sensitive: dict[str, bool] = {}
    upper = None
    map_elem = elem.find("mapping")
    if map_elem is not None:
        if map_elem.get("upperBound"):
            upper = _decimal(map_elem.get("upperBound"), f"{identifier}: upper bound")
        for entry in map_elem.findall("mapEntry"):
            key = (entry.get("mapKey") or "").strip()
            mapping[key] = _decimal(entry.get("mappedValue"), f"{identifier}: mapped value of {key!r}")
            case_sensitive[key] = (entry.get("caseSensitive") or "true").lower() == "true"
    return _Declaration(
        identifier=identifier,
        cardinality=elem.get("cardinality") or "single",
        base_type=elem.get("baseType") or "",
        correct=correct,
        mapping=mapping,
        case_sensitive=case_sensitive,
        upper_bound=upper,
    )


def _decl(item: _Item, interaction: ET.Element, declarations: dict[str, _Declaration]) -> _Declaration:
    rid = interaction.get("responseIdentifier") or ""
    decl = declarations.get(rid)
    if decl is None:
        raise _Invalid(f"the interaction's response {rid!r} is not declared", interaction)
    return decl


def _points(item: _Item, declarations: dict[str, _Declaration], interactions: list[ET.Element]) -> Decimal:
    """MAXSCORE's default value, or SCORE's normal maximum, or what the mapping can give,
    else 1."""
    declared = _declared_points(item)
    if declared is not None:
        return declared
    if len(interactions) == 1:
        decl = declarations.get(interactions[0].get("responseIdentifier") or "")
        if decl is not None and decl.mapping:
            positive = [v for v in decl.mapping.values() if v > 0]
            if positive:
                total = max(positive) if decl.cardinality == "single" else sum(positive)
                if decl.upper_bound is not None:
                    total = min(total, decl.upper_bound)
                if total > 0:
                    return _tidy(total)
    return Decimal("1")


def _declared_points(item: _Item) -> Decimal | None:
    """MAXSCORE's default value, or SCORE's normal maximum, or None."""
    for outcome in item.root.findall("outcomeDeclaration"):
        if outcome.get("identifier") == "MAXSCORE":
            value = outcome.find("defaultValue/value")
            if value is not None and (value.text or "").strip():
                return _tidy(_decimal(value.text, "MAXSCORE"))
    for outcome in item.root.findall("outcomeDeclaration"):
        if outcome.get("identifier") == "SCORE" and outcome.get("normalMaximum"):
            return _tidy(_decimal(outcome.get("normalMaximum"), "SCORE normal maximum"))
    return None


def _tidy(value: Decimal) -> Decimal:
    if value < 0:
        raise _Invalid(f"the maximum score {value} is negative")
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral() else value


# --- text -------------------------------------------------------------------------------


def _html(item: _Item, elem: ET.Element, *, with_tail: bool = False) -> str:
    """The content of ``elem`` (not the element itself) as sanitised HTML."""
    holder = copy.deepcopy(elem)
    holder.tail = None
    _prepare(item, holder)
    parts = [_escape(holder.text or "")]
    parts += [ET.tostring(child, encoding="unicode", method="html") for child in holder]
    return sanitize_html("".join(parts)).strip()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _prepare(item: _Item, holder: ET.Element) -> None:
    """Remove feedback and QTI-only blocks, record media (reading a package's images and
    audio into ``item.files``), in place."""
    _remove(holder, lambda e: e.tag in _FEEDBACK_TAGS or e.tag in _DROP_TAGS)
    audio_sources = {id(child) for parent in holder.iter() if parent.tag == "audio" for child in parent}
    for elem in holder.iter():
        if elem.tag == "img" and elem.get("src"):
            src = _media_ref(item, elem.get("src") or "", "image")
            if src is None:
                elem.attrib.pop("src", None)
            else:
                elem.set("src", src)
        elif elem.tag == "object" and elem.get("data"):
            _media_ref(item, elem.get("data") or "", "object")
            item.warnings.append("embedded objects (audio, video, ...) are not shown by the bank yet; dropped")
        elif elem.tag in {"audio", "video", "source", "track"} and elem.get("src"):
            audio = elem.tag == "audio" or (elem.tag == "source" and id(elem) in audio_sources)
            kept = _media_ref(item, elem.get("src") or "", "audio" if audio else elem.tag)
            if audio and kept is not None and kept.startswith("media:"):
                item.warnings.append("audio is not played by the bank yet: the player is dropped, the file is kept")
            else:
                item.warnings.append("audio and video are not shown by the bank yet; dropped")


def _remove(holder: ET.Element, condition: Any) -> None:
    """Remove matching descendants, keeping their tail text."""
    for parent in list(holder.iter()):
        for index, child in reversed(list(enumerate(parent))):
            if condition(child):
                _replace(parent, index, child, "")


def _replace(parent: ET.Element, index: int, child: ET.Element, text: str) -> None:
    """Replace ``parent[index]`` (``child``) by ``text``, keeping its tail."""
    joined = text + (child.tail or "")
    if index == 0:
        parent.text = (parent.text or "") + joined
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + joined
    parent.remove(child)


def _media_ref(item: _Item, src: str, kind: str) -> str | None:
    """Record a media reference; return the source to keep in the text (None: dropped).

    In a package, images and audio are read (``media:NAME``); other kinds, and every
    reference of a loose item file, keep their path."""
    # A scheme has two letters or more: "C:" is a drive letter, refused by _join.
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+:", src) or src.startswith("//"):
        item.warnings.append(f"external {kind} {src!r} dropped (only files in the package are kept)")
        return None
    package = item.media.package
    read = package is not None and kind in _KEPT_KINDS
    path = _resolve(item, src)
    if path is None:
        if read:
            _media_refused(item, kind, src, "points outside the package")
            return None
        item.warnings.append(f"{kind} {src!r} points outside the package; dropped")
        return None
    ref: dict[str, Any] = {"src": src, "path": path, "kind": kind}
    kept = path
    if package is not None:
        if path in package.archive:
            ref["size"] = package.archive.member(path).size
        if read:
            found = _media_file(package, path, kind)
            if isinstance(found, str):
                _media_refused(item, kind, src, found)
                return None
            data, content_type = found
            name = item.file_names.get(path)
            if name is None:
                name = safe_name(path, item.files)
                item.file_names[path] = name
                item.files[name] = data
            ref.update(name=name, content_type=content_type)
            kept = f"media:{name}"
        elif "size" not in ref:
            item.warnings.append(f"{kind} {path!r} is not in the package")
    if ref not in item.media_refs:
        item.media_refs.append(ref)
    return kept


def _media_file(package: _Package, path: str, kind: str) -> tuple[bytes, str] | str:
    """The bytes and content type of the media file at ``path``, or why it is not kept
    (read once per package)."""
    key = f"{kind}:{path}"
    if key not in package.media:
        if path not in package.archive:
            package.media[key] = f"is not in the package (no file {path!r})"
        else:
            try:
                data = package.archive.read(path, max_bytes=MAX_MEDIA_BYTES)
                package.media[key] = (data, check_media(path, data, kind=kind))
            except (ArchiveError, MediaRefused) as exc:
                package.media[key] = f"is refused: {exc}"
    return package.media[key]


def _media_refused(item: _Item, kind: str, src: str, reason: str) -> None:
    """An image the item shows cannot be kept: the item is not imported. Audio (not played
    yet) is a warning and the item is imported without it."""
    message = f"{kind} {src!r} {reason}"
    where = SourceLocation(
        file=item.filename, line=item.src_lines.get(src), element=item.root.get("identifier") or None
    )
    if kind == "image":
        raise _Refused(where, message)
    item.issues.append(ImportIssue(where, f"{message}; the item is imported without it", "warning"))


def _resolve(item: _Item, href: str) -> str | None:
    """``href`` relative to the item, as a normalised path under the package root (or
    beside the item file); ``None`` if it leaves it."""
    return _join(posixpath.dirname(item.media.item_path), href)


def _join(base: str, href: str) -> str | None:
    """``href`` (a relative reference) against the folder ``base``, normalised; ``None`` if
    it is absolute or leaves the package."""
    href = href.split("#", 1)[0].split("?", 1)[0].replace("\\", "/").strip()
    if not href or href.startswith("/") or re.match(r"^[A-Za-z]:", href):
        return None
    path = posixpath.normpath(posixpath.join(base, href))
    if path == ".." or path.startswith("../") or path.startswith("/"):
        return None
    return path


def _feedback(item: _Item, body: ET.Element) -> dict[str, str]:
    feedback: dict[str, str] = {}
    found = [*item.root.findall("modalFeedback"), *(e for e in body.iter() if e.tag in _FEEDBACK_TAGS)]
    for elem in found:
        kind = {"modalFeedback": "modal", "feedbackInline": "inline", "feedbackBlock": "block"}[elem.tag]
        name = f"{kind}:{elem.get('outcomeIdentifier') or 'FEEDBACK'}={elem.get('identifier') or ''}"
        if elem.get("showHide") == "hide":
            name += " (hidden)"
        text = _html(item, elem)
        if text:
            key, n = name, 2
            while key in feedback:
                key, n = f"{name} #{n}", n + 1
            feedback[key] = text
    if feedback:
        item.warnings.append(FEEDBACK_WARNING)
    return feedback


def _stem(item: _Item, body: ET.Element, replace: dict[int, str]) -> str:
    """The item body as HTML, with every interaction replaced: by the text in ``replace``
    (by element id), else by its prompt."""
    holder = copy.deepcopy(body)
    originals = list(body.iter())
    copies = list(holder.iter())
    mapping = {id(c): replace[id(o)] for o, c in zip(originals, copies, strict=True) if id(o) in replace}
    for parent in list(holder.iter()):
        for index, child in reversed(list(enumerate(parent))):
            if id(child) in mapping:
                _replace(parent, index, child, mapping[id(child)])
            elif child.tag.endswith("Interaction"):
                prompt = child.find("prompt")
                child.tail = child.tail or ""
                if prompt is not None:
                    prompt.tag = "div"
                    prompt.tail = child.tail
                    parent.remove(child)
                    parent.insert(index, prompt)
                else:
                    _replace(parent, index, child, "")
    return _html(item, holder)


# --- the types --------------------------------------------------------------------------

_Read = tuple[str, dict[str, Any], dict[str, Any]]


def _choices(item: _Item, interaction: ET.Element, tag: str, *, pinnable: bool = False) -> list[dict[str, Any]]:
    """The choices' ids and texts; with ``pinnable``, ``fixed="true"`` pins a choice in place."""
    options: list[dict[str, Any]] = []
    seen = set()
    for choice in interaction.iter(tag):
        cid = choice.get("identifier") or ""
        if not cid or cid in seen:
            raise _Invalid(f"a choice has a missing or repeated identifier {cid!r}", choice)
        seen.add(cid)
        option: dict[str, Any] = {"id": cid, "text": _html(item, choice)}
        if pinnable and choice.get("fixed") == "true":
            option["pinned"] = True
        options.append(option)
    return options


def _correct_or_mapped(decl: _Declaration) -> list[str]:
    if decl.correct:
        return decl.correct
    return [key for key, value in decl.mapping.items() if value > 0]


def _read_choice(item: _Item, body: ET.Element, interactions: list[ET.Element], decls: dict) -> _Read:
    interaction = interactions[0]
    decl = _decl(item, interaction, decls)
    options = _choices(item, interaction, "simpleChoice", pinnable=True)
    if len(options) < 2:
        raise _Invalid("a choice interaction needs at least two choices", interaction)
    ids = {o["id"] for o in options}
    stem = _stem(item, body, {})
    metadata = {"shuffle": interaction.get("shuffle") == "true"}
    keys = _correct_or_mapped(decl)
    if not keys:
        raise _Invalid("no correct response and no positive mapping, so there is no key", interaction)
    unknown = [k for k in keys if k not in ids]
    if unknown:
        raise _Invalid(f"the correct response {unknown} is not among the choices", interaction)
    if decl.cardinality == "single":
        if len(keys) > 1:
            raise _Invalid(f"a single-choice response has several correct values {keys}", interaction)
        if decl.mapping and any(0 < v < max(decl.mapping.values()) for v in decl.mapping.values()):
            item.warnings.append("partial credit of the mapping dropped")
        return "single_choice", {"stem": stem, "options": options, "key": keys[0]}, metadata
    scoring = "partial" if decl.mapping else "all_or_nothing"
    if any(v < 0 for v in decl.mapping.values()):
        item.warnings.append("negative mapped values dropped; the bank's partial rule (right minus wrong) applies")
    content = {"stem": stem, "options": options, "scoring": scoring, "keys": list(dict.fromkeys(keys))}
    return "multiple_response", content, metadata


def _tolerance(item: _Item, decl: _Declaration) -> Decimal:
    """An absolute tolerance from ``equal`` in the response processing, else 0."""
    for equal in item.root.iter("equal"):
        refs = {v.get("identifier") for v in equal.iter("variable")}
        if decl.identifier not in refs:
            continue
        mode = equal.get("toleranceMode") or "exact"
        values = (equal.get("tolerance") or "").split()
        if mode == "absolute" and values:
            if len(values) > 1 and values[0] != values[1]:
                item.warnings.append("an asymmetric tolerance was made symmetric (the larger bound)")
            return max(abs(_decimal(v, "tolerance")) for v in values)
        if mode == "relative":
            item.warnings.append("a relative tolerance is not supported; tolerance 0 used")
    return Decimal(0)


def _read_text_entry(item: _Item, body: ET.Element, interactions: list[ET.Element], decls: dict) -> _Read:
    interaction = interactions[0]
    decl = _decl(item, interaction, decls)
    stem = _stem(item, body, {id(interaction): _TEXT_BLANK})
    # An answer box alone in the last paragraph is where the box goes, not text of the stem:
    # the exam page draws the box after the stem (and our exporter writes it so).
    bare = _LAST_BLANK.sub("", stem)
    if bare.strip() and _TEXT_BLANK not in bare:
        stem = bare
    metadata: dict[str, Any] = {}
    if interaction.get("expectedLength"):
        metadata["expected_length"] = interaction.get("expectedLength")
    if interaction.get("patternMask"):
        item.warnings.append(f"the pattern mask {interaction.get('patternMask')!r} is not enforced")
    full_value = max(decl.mapping.values()) if decl.mapping else None
    answers = list(decl.correct)
    answers += [k for k, v in decl.mapping.items() if full_value is not None and v == full_value and v > 0]
    answers = [a for a in dict.fromkeys(answers) if a]
    dropped = [f"{k!r} ({v.normalize():f})" for k, v in decl.mapping.items() if 0 < v < (full_value or 0)]
    if dropped:
        item.warnings.append(f"partial-credit answers dropped: {', '.join(dropped)}")
    if not answers:
        raise _Invalid("no correct response, so there is no key", interaction)
    if decl.base_type in {"integer", "float"}:
        values = [_decimal(a, "the correct response") for a in answers]
        if len(set(values)) > 1:
            item.warnings.append(f"{len(set(values))} numeric answers are correct; only the first is kept")
        tolerance = _tolerance(item, decl)
        content = {"stem": stem, "boxes": None, "answer": f"{values[0]:f}", "tolerance": f"{tolerance:f}"}
        return "short_numeric", content, metadata
    if decl.base_type not in {"string", ""}:
        raise _Invalid(f"a text entry with base type {decl.base_type!r} is not supported", interaction)
    # match_correct compares exactly; a mapping may say case does not matter.
    insensitive = decl.mapping and not any(decl.case_sensitive.get(a, True) for a in answers if a in decl.mapping)
    content = {
        "stem": stem,
        "match": "normalised" if insensitive else "exact",
        "ignore_diacritics": False,
        "answers": answers,
    }
    return "text_entry", content, metadata


def _read_extended_text(item: _Item, body: ET.Element, interactions: list[ET.Element], decls: dict) -> _Read:
    interaction = interactions[0]
    stem = _stem(item, body, {})
    metadata: dict[str, Any] = {}
    for attr, key in (("expectedLength", "expected_length"), ("expectedLines", "expected_lines")):
        if interaction.get(attr):
            metadata[key] = interaction.get(attr)
    return "essay", {"stem": stem, "rubric": [], "max_words": None}, metadata


def _gap_marker(gap_id: str, interaction: ET.Element) -> str:
    if not gap_id or "{" in gap_id or "}" in gap_id:
        raise _Invalid(f"the gap identifier {gap_id!r} cannot be used", interaction)
    return "{{" + gap_id + "}}"


def _read_inline_choice(item: _Item, body: ET.Element, interactions: list[ET.Element], decls: dict) -> _Read:
    gaps: list[dict[str, Any]] = []
    keys: dict[str, str] = {}
    replace: dict[int, str] = {}
    for interaction in interactions:
        decl = _decl(item, interaction, decls)
        gap_id = decl.identifier
        if gap_id in keys:
            raise _Invalid(f"two gaps share the response {gap_id!r}", interaction)
        options = _choices(item, interaction, "inlineChoice")
        if len(options) < 2:
            raise _Invalid(f"the gap {gap_id!r} needs at least two choices", interaction)
        correct = _correct_or_mapped(decl)
        if len(correct) != 1:
            raise _Invalid(f"the gap {gap_id!r} has {len(correct)} correct choices; exactly one is needed", interaction)
        if correct[0] not in {o["id"] for o in options}:
            raise _Invalid(f"the correct response {correct[0]!r} of gap {gap_id!r} is not a choice", interaction)
        gaps.append({"id": gap_id, "options": options})
        keys[gap_id] = correct[0]
        replace[id(interaction)] = _gap_marker(gap_id, interaction)
    stem = _stem(item, body, replace)
    scoring = "per_gap" if len(gaps) > 1 else "all_or_nothing"
    return "inline_choice", {"stem": stem, "gaps": gaps, "scoring": scoring, "keys": keys}, {}


def _pairs(item: _Item, decl: _Declaration, interaction: ET.Element) -> list[tuple[str, str]]:
    values = _correct_or_mapped(decl)
    pairs = []
    for value in values:
        parts = value.split()
        if len(parts) != 2:
            raise _Invalid(f"the correct response {value!r} is not a pair of identifiers", interaction)
        pairs.append((parts[0], parts[1]))
    if not pairs:
        raise _Invalid("no correct response, so there is no key", interaction)
    return pairs


def _read_match(item: _Item, body: ET.Element, interactions: list[ET.Element], decls: dict) -> _Read:
    interaction = interactions[0]
    decl = _decl(item, interaction, decls)
    if decl.base_type != "directedPair":
        raise _Invalid(f"a match interaction with base type {decl.base_type!r} is not supported", interaction)
    sets = interaction.findall("simpleMatchSet")
    if len(sets) != 2:
        raise _Invalid(f"a match interaction needs two match sets, found {len(sets)}", interaction)
    premises = _choices(item, sets[0], "simpleAssociableChoice")
    responses = _choices(item, sets[1], "simpleAssociableChoice")
    truth = _truth_choices(responses)
    if truth is not None:
        return _read_true_false(item, body, interaction, decls, premises, truth)
    premise_ids = {p["id"] for p in premises}
    response_ids = {r["id"] for r in responses}
    pairs: dict[str, str] = {}
    for premise, response in _pairs(item, decl, interaction):
        if premise not in premise_ids or response not in response_ids:
            raise _Invalid(f"the correct pair '{premise} {response}' does not join the first set to the second")
        if premise in pairs:
            raise _Invalid(
                f"the premise {premise!r} has several correct matches ({pairs[premise]}, {response}); "
                "the bank's matching has one match per premise",
                interaction,
            )
        pairs[premise] = response
    unmatched = [p["id"] for p in premises if p["id"] not in pairs]
    if unmatched:
        raise _Invalid(f"the premises {unmatched} have no correct match", interaction)
    positive = {v for v in decl.mapping.values() if v > 0}
    if len(positive) > 1:
        item.warnings.append("unequal pair weights of the mapping replaced by equal shares per pair")
    scoring = "per_pair" if decl.mapping else "all_or_nothing"
    stem = _stem(item, body, {})
    content = {"stem": stem, "premises": premises, "responses": responses, "scoring": scoring, "pairs": pairs}
    return "matching", content, {"shuffle": interaction.get("shuffle") == "true"}


def _truth_choices(responses: list[dict[str, str]]) -> dict[str, bool] | None:
    """``{identifier: truth}`` when the choices are exactly a true one and a false one."""
    truth: dict[str, bool] = {}
    for response in responses:
        word = response["id"].casefold()
        if word in _TRUE_IDS:
            truth[response["id"]] = True
        elif word in _FALSE_IDS:
            truth[response["id"]] = False
    if len(responses) != 2 or len(truth) != 2 or set(truth.values()) != {True, False}:
        return None
    return truth


def _read_true_false(
    item: _Item,
    body: ET.Element,
    interaction: ET.Element,
    decls: dict[str, _Declaration],
    statements: list[dict[str, str]],
    truth: dict[str, bool],
) -> _Read:
    """A match of statements to true/false as a true/false group (see the module docstring)."""
    decl = _decl(item, interaction, decls)
    ids = [s["id"] for s in statements]
    if not ids:
        raise _Invalid("a true/false match needs at least one statement in its first set", interaction)
    keys: dict[str, bool] = {}
    for statement, answer in _pairs(item, decl, interaction):
        if statement not in ids or answer not in truth:
            raise _Invalid(
                f"the correct pair '{statement} {answer}' does not join a statement to "
                f"{' or '.join(repr(t) for t in truth)}",
                interaction,
            )
        if keys.get(statement, truth[answer]) != truth[answer]:
            raise _Invalid(f"the statement {statement!r} is both true and false in the correct response", interaction)
        keys[statement] = truth[answer]
    missing = [s for s in ids if s not in keys]
    if missing:
        raise _Invalid(
            f"the statements {missing} have no correct pair: a true/false match needs one "
            f"('{missing[0]} {_truth_id(truth, True)}' or '{missing[0]} {_truth_id(truth, False)}') "
            "for every statement",
            interaction,
        )
    count = len(ids)
    scale = _counted_scale(item, decl, count, decls, interaction)
    if scale is _NO_SCALE:
        scale = _assumed_scale(item, decl, count)
    stem = _stem(item, body, {})
    content = {"stem": stem, "statements": statements, "scale": scale, "keys": {s: keys[s] for s in ids}}
    return "true_false_group", content, {}


def _truth_id(truth: dict[str, bool], value: bool) -> str:
    return next(k for k, v in truth.items() if v is value)


_NO_SCALE: Any = object()  # the processing has no counting conditions to read


def _fraction_text(value: Decimal) -> str:
    value = value.normalize()
    if value == value.to_integral():
        value = value.quantize(Decimal(1))
    return f"{value:f}"


def _scale_of(table: dict[int, Decimal], count: int) -> dict[str, str] | None:
    """The content's scale for ``table``: null when it is the national one."""
    national = {k: v for k, v in DEFAULT_TRUE_FALSE_SCALE.items() if k}
    if count == len(national) and table == national:
        return None
    return {str(k): _fraction_text(v) for k, v in sorted(table.items())}


def _sets_score(elem: ET.Element) -> bool:
    return elem.tag == "setOutcomeValue" and elem.get("identifier") == "SCORE"


def _sets_zero(setter: ET.Element) -> bool:
    """SCORE = base value 0 (the usual ``responseElse``): it changes no count's score."""
    children = list(setter)
    if len(children) != 1 or children[0].tag != "baseValue":
        return False
    try:
        return Decimal((children[0].text or "").strip()) == 0
    except InvalidOperation:
        return False


def _count_branch(branch: ET.Element) -> tuple[str, str, str] | None:
    """``(variable, count, score)`` texts of a branch ``equal(variable, base value) ->
    SCORE = base value``, else None."""
    children = list(branch)
    if len(children) != 2 or children[0].tag != "equal" or not _sets_score(children[1]):
        return None
    operands = list(children[0])
    setter = list(children[1])
    if len(operands) != 2 or len(setter) != 1 or setter[0].tag != "baseValue":
        return None
    variables = [o for o in operands if o.tag == "variable"]
    values = [o for o in operands if o.tag == "baseValue"]
    if len(variables) != 1 or len(values) != 1:
        return None
    return variables[0].get("identifier") or "", (values[0].text or "").strip(), (setter[0].text or "").strip()


def _counted_scale(
    item: _Item, decl: _Declaration, count: int, decls: dict[str, _Declaration], interaction: ET.Element
) -> Any:
    """The scale read from counting conditions (``_NO_SCALE`` if there are none, or the
    processing also sets SCORE otherwise, or the points are 0)."""
    processing = item.root.find("responseProcessing")
    if processing is None:
        return _NO_SCALE
    branches: list[tuple[ET.Element, tuple[str, str, str]]] = []
    for branch in processing.iter():
        if branch.tag in {"responseIf", "responseElseIf"} and (found := _count_branch(branch)) is not None:
            branches.append((branch, found))
    counted = {id(branch[1]) for branch, _ in branches}
    others = [e for e in processing.iter() if _sets_score(e) and id(e) not in counted and not _sets_zero(e)]
    variables = {variable for _, (variable, _, _) in branches}
    responses = set(decls)
    if not branches or others or len(variables) != 1 or variables & (responses | {"SCORE"}):
        return _NO_SCALE
    scores: dict[int, Decimal] = {}
    for branch, (_variable, count_text, score_text) in branches:
        number = _decimal(count_text, "the number correct")
        if number != number.to_integral_value() or not 0 <= number <= count:
            raise _Invalid(
                f"the response processing gives a score for {count_text} correct; "
                f"a true/false group of {count} statements has 0 to {count} correct",
                branch,
            )
        correct = int(number)
        if correct in scores:
            raise _Invalid(f"the response processing gives {correct} correct two scores", branch)
        scores[correct] = _decimal(score_text, f"the score for {correct} correct")
    points = _declared_points(item)
    if points is None:  # the score for all correct is the item's worth
        top = scores.get(count)
        points = _tidy(top) if top is not None and top > 0 else _points(item, decls, [interaction])
        item.points = points
    if points == 0:
        item.warnings.append("the item is worth 0 points: its scale cannot be read from the response processing")
        return _NO_SCALE
    default = _score_default(item)
    given = {k: scores.get(k, default) for k in range(1, count + 1)}
    if 0 in scores:
        given[0] = scores[0]
    for correct, score in sorted(given.items()):
        if not 0 <= score <= points:
            raise _Invalid(
                f"the response processing gives {_fraction_text(score)} for {correct} correct, "
                f"outside 0 to the item's {_fraction_text(points)} points",
                processing,
            )
        if correct and score < given.get(correct - 1, Decimal(0)):
            raise _Invalid(
                f"the response processing gives less for {correct} correct than for {correct - 1}; "
                "the bank's scale must not fall",
                processing,
            )
    if given[count] != points:
        raise _Invalid(
            f"the response processing gives {_fraction_text(given[count])} for all {count} correct, "
            f"not the item's {_fraction_text(points)} points",
            processing,
        )
    table = {k: score / points for k, score in given.items()}
    return _scale_of(table, count)


def _score_default(item: _Item) -> Decimal:
    for outcome in item.root.findall("outcomeDeclaration"):
        if outcome.get("identifier") == "SCORE":
            value = outcome.find("defaultValue/value")
            if value is not None and (value.text or "").strip():
                return _decimal(value.text, "SCORE's default value")
    return Decimal(0)


def _template_name(processing: ET.Element | None) -> str:
    """``match_correct``, ``map_response``, ... of a template processing ("" if none)."""
    if processing is None:
        return ""
    template = (processing.get("template") or "").strip().rstrip("/")
    name = posixpath.basename(template).lower()
    return name[: -len(".xml")] if name.endswith(".xml") else name


def _assumed_scale(item: _Item, decl: _Declaration, count: int) -> dict[str, str] | None:
    """The scale when the processing has no counting conditions (rules 2 to 4)."""
    processing = item.root.find("responseProcessing")
    template = _template_name(processing)
    rid = decl.identifier
    setters = [e for e in processing.iter() if _sets_score(e)] if processing is not None else []
    matched = any(
        branch.tag == "responseIf"
        and len(branch) > 1
        and branch[0].tag == "match"
        and {(e.tag, e.get("identifier")) for e in branch[0]} == {("variable", rid), ("correct", rid)}
        and any(_sets_score(e) for e in branch[1:])
        for branch in (processing.iter() if processing is not None else ())
    )
    proportional = {str(k): _fraction_text(Decimal(k) / Decimal(count)) for k in range(1, count + 1)}
    if template == "match_correct" or (not template and matched):
        return {str(k): "1" if k == count else "0" for k in range(1, count + 1)}
    mapped = template == "map_response" or (
        not template
        and len(setters) == 1
        and len(setters[0]) == 1
        and setters[0][0].tag == "mapResponse"
        and setters[0][0].get("identifier") == rid
    )
    pairs = set(_correct_or_mapped(decl))
    weights = {decl.mapping.get(p) for p in pairs}
    others = [v for k, v in decl.mapping.items() if k not in pairs and v != 0]
    if mapped and len(weights) == 1 and (weights.pop() or 0) > 0 and not others:
        return proportional
    if count == len(DEFAULT_TRUE_FALSE_SCALE) - 1:
        item.warnings.append(
            "the response processing gives no true/false scale the bank reads: "
            "the national scale (1/2/3/4 correct: 0.1/0.25/0.5/1 of the points) was assumed"
        )
        return None
    item.warnings.append(
        f"the response processing gives no true/false scale the bank reads: "
        f"a proportional scale (k of {count} correct: k/{count} of the points) was assumed"
    )
    return proportional


def _read_order(item: _Item, body: ET.Element, interactions: list[ET.Element], decls: dict) -> _Read:
    interaction = interactions[0]
    decl = _decl(item, interaction, decls)
    elements = _choices(item, interaction, "simpleChoice")
    if len(elements) < 2:
        raise _Invalid("an order interaction needs at least two choices", interaction)
    order = decl.correct
    if sorted(order) != sorted(e["id"] for e in elements):
        raise _Invalid(f"the correct order {order} does not list every choice once", interaction)
    processing = item.root.find("responseProcessing")
    template = (processing.get("template") or "") if processing is not None else ""
    if processing is None or "match_correct" in template:
        scoring = "all_or_nothing"
    else:
        scoring = "partial"
        item.warnings.append("the item's own response processing replaced by the bank's partial ordering rule")
    stem = _stem(item, body, {})
    content = {"stem": stem, "elements": elements, "scoring": scoring, "order": list(order)}
    return "ordering", content, {"shuffle": interaction.get("shuffle") == "true"}


def _read_gap_match(item: _Item, body: ET.Element, interactions: list[ET.Element], decls: dict) -> _Read:
    interaction = interactions[0]
    decl = _decl(item, interaction, decls)
    if interaction.find(".//gapImg") is not None:
        raise _Invalid("gap match with images cannot be expressed as inline choice; not supported yet", interaction)
    texts = interaction.findall("gapText")
    options = _choices(item, interaction, "gapText")
    text_ids = {o["id"] for o in options}
    gaps_elems = list(interaction.iter("gap"))
    gap_ids = [g.get("identifier") or "" for g in gaps_elems]
    keys: dict[str, str] = {}
    pairs = _pairs(item, decl, interaction)
    if all(a in gap_ids and b in text_ids for a, b in pairs):
        pairs = [(b, a) for a, b in pairs]  # written gap first
    repeated = sorted({f"{a} {b}" for a, b in pairs if pairs.count((a, b)) > 1})
    if repeated:
        raise _Invalid(
            f"the correct response repeats {repeated} (a gap holding a text several times); "
            "gap match cannot be expressed as inline choice",
            interaction,
        )
    for text_id, gap_id in pairs:
        if text_id not in text_ids or gap_id not in gap_ids:
            raise _Invalid(f"the correct pair '{text_id} {gap_id}' does not join a gap text to a gap", interaction)
        if gap_id in keys:
            raise _Invalid(
                f"the gap {gap_id!r} accepts several texts ({keys[gap_id]}, {text_id}); "
                "gap match cannot be expressed as inline choice",
                interaction,
            )
        keys[gap_id] = text_id
    empty = [g for g in gap_ids if g not in keys]
    if empty:
        raise _Invalid(
            f"the gaps {empty} have no correct text; gap match cannot be expressed as inline choice", interaction
        )
    reused = [
        t.get("identifier")
        for t in texts
        if t.get("matchMax") == "1" and list(keys.values()).count(t.get("identifier")) > 1
    ]
    if reused:
        raise _Invalid(f"the texts {reused} may be used once but are the key of several gaps", interaction)
    item.warnings.append("gap match imported as inline choice: each gap offers every gap text")
    replace = {id(g): _gap_marker(gid, interaction) for g, gid in zip(gaps_elems, gap_ids, strict=True)}
    # The interaction's own content (prompt and text with gaps) becomes the stem.
    holder = copy.deepcopy(body)
    originals, copies = list(body.iter()), list(holder.iter())
    index_of = {id(o): c for o, c in zip(originals, copies, strict=True)}
    copy_interaction = index_of[id(interaction)]
    copy_replace = {id(index_of[k]): v for k, v in replace.items()}
    for child in list(copy_interaction):
        if child.tag == "gapText":
            copy_interaction.remove(child)  # tails of gap texts are whitespace
        elif child.tag == "prompt":
            child.tag = "div"
    for parent in list(copy_interaction.iter()):
        for index, child in reversed(list(enumerate(parent))):
            if id(child) in copy_replace:
                _replace(parent, index, child, copy_replace[id(child)])
    copy_interaction.tag = "div"
    stem = _html(item, holder)
    gaps = [{"id": gid, "options": [dict(o) for o in options]} for gid in gap_ids]
    scoring = "per_gap" if decl.mapping and len(gaps) > 1 else "all_or_nothing"
    return "inline_choice", {"stem": stem, "gaps": gaps, "scoring": scoring, "keys": keys}, {}


_READERS = {
    "choiceInteraction": _read_choice,
    "textEntryInteraction": _read_text_entry,
    "extendedTextInteraction": _read_extended_text,
    "inlineChoiceInteraction": _read_inline_choice,
    "matchInteraction": _read_match,
    "orderInteraction": _read_order,
    "gapMatchInteraction": _read_gap_match,
}


# --- packages ---------------------------------------------------------------------------


def _archive_issue(filename: str, exc: ArchiveError) -> ImportIssue:
    """The one issue for a package the zip guard refused, at the member at fault."""
    file = f"{filename}!{exc.member}" if exc.member else filename
    message = str(exc) if exc.code == "not_zip" else f"refused: {exc}"
    return ImportIssue(SourceLocation(file=file), message)


def _parse_package(data: bytes, filename: str) -> ParseResult:
    try:
        archive = open_archive(data, limits=PACKAGE_LIMITS)
    except ArchiveError as exc:
        return ParseResult(items=(), issues=(_archive_issue(filename, exc),))
    if "imsmanifest.xml" not in archive:
        return _refuse(
            SourceLocation(file=filename),
            "not a QTI content package: there is no imsmanifest.xml at the top of the zip",
        )
    manifest_where = SourceLocation(file=f"{filename}!imsmanifest.xml")
    try:
        manifest_data = archive.read("imsmanifest.xml", max_bytes=MAX_MANIFEST_BYTES)
    except ArchiveError as exc:
        return _refuse(manifest_where, f"cannot read the manifest: {exc}")
    parsed = _parse_xml(manifest_data, manifest_where.file)
    if isinstance(parsed, ImportIssue):
        return ParseResult(items=(), issues=(parsed,))
    manifest, lines = parsed
    if _local(manifest.tag)[1] != "manifest":
        return _refuse(manifest_where, f"the manifest's root element is <{_local(manifest.tag)[1]}>, not <manifest>")

    package = _Package(archive)
    items: list[ImportedItem] = []
    issues_out: list[ImportIssue] = []
    test_warned = False
    resources = [e for e in manifest.iter() if _local(e.tag)[1] == "resource"]
    for resource in resources:
        rtype = (resource.get("type") or "").lower()
        href = resource.get("href") or ""
        at = SourceLocation(file=manifest_where.file, line=lines.get(id(resource)), element=href or None)
        if not rtype.startswith("imsqti"):
            continue  # webcontent, stylesheets, ...: reached through the items
        if "test" in rtype:
            if not test_warned:
                issues_out.append(ImportIssue(at, TEST_WARNING, "warning"))
                test_warned = True
            continue
        if "stimulus" in rtype or "passage" in rtype:
            issues_out.append(ImportIssue(at, STIMULUS_WARNING, "warning"))
            continue
        if not ("item" in rtype or re.fullmatch(r"imsqti_(xml)?v?2p[0-2]", rtype)):
            issues_out.append(ImportIssue(at, f"resource type {rtype!r} is not supported", "warning"))
            continue
        path = _join("", href) if href else None
        if path is None:
            issues_out.append(ImportIssue(at, f"the item resource has an unusable href {href!r}"))
            continue
        if path not in archive:
            issues_out.append(ImportIssue(at, f"the item file {path!r} is not in the package"))
            continue
        item_file = f"{filename}!{path}"
        try:
            item_data = archive.read(path, max_bytes=MAX_ITEM_BYTES)
        except ArchiveError as exc:
            issues_out.append(ImportIssue(SourceLocation(file=item_file), f"cannot read the item file: {exc}"))
            continue
        result = _parse_item(item_data, item_file, _Media(item_path=path, package=package))
        items.extend(result.items)
        issues_out.extend(result.issues)
    if not resources:
        issues_out.append(ImportIssue(manifest_where, "the manifest lists no resources", "warning"))
    return ParseResult(items=tuple(items), issues=tuple(issues_out))
