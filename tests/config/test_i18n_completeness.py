"""One language at a time: a guard that fails on any text a user would see untranslated.

Three checks, each listing what it finds by file and line:

- **Messages of the code** are extracted the way ``make messages`` does
  (``manage.py makemessages -l vi --ignore=.venv --ignore=var``), but in a temporary copy of
  the project, never in ``locale/``; every one needs a Vietnamese translation in
  ``locale/vi/LC_MESSAGES/django.po``, neither missing, empty nor fuzzy. Needs GNU gettext
  (``apt-get install gettext``); skipped with that reason without it.
- **Templates** hold no words outside ``{% translate %}`` and ``{% blocktranslate %}``: text
  between tags, the attributes people read (``title``, ``placeholder``, ``aria-label``, ...)
  and ``|default:"..."`` arguments. Whitespace, punctuation, numbers, single letters, template
  variables and ``ALLOWED_TEMPLATE_WORDS`` pass.
- **Scripts** (``frontend/static/**/*.js``) hold no words of their own: they show what the
  page hands them translated (``json_script``: ``#bank-text``, ``#runner-text``,
  ``#item-text``). A string literal fails when it has a letter with diacritics, reads like an
  English phrase ("Save changes", "Not saved."), or holds a word where a person reads it:
  ``textContent``/``title``/``placeholder`` assignments, ``setAttribute("aria-label", ...)``,
  ``createTextNode``, ``alert``/``confirm``, a ``label``/``text``/``title`` property, or an
  argument of a function of the scripts whose parameter is named so (``make(tag, className,
  text)``, ``field(label, ...)``). Comments and regular expressions are skipped.
"""

from __future__ import annotations

import ast
import html.parser
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.po"
GETTEXT_TOOLS = ("xgettext", "msgmerge", "msguniq", "msgattrib")

# --- messages of the code against the catalogue ------------------------------------------------


@dataclass
class Entry:
    """One message of a .po or .pot file."""

    msgid: str
    context: str | None = None
    plural: str | None = None
    strings: list[str] = field(default_factory=list)
    fuzzy: bool = False
    references: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str | None, str]:
        return self.context, self.msgid

    def label(self) -> str:
        return f"{self.context}|{self.msgid}" if self.context else self.msgid


def read_po(text: str) -> list[Entry]:
    """The entries of a .po/.pot file, the header and obsolete (``#~``) entries left out."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags: list[str] = []
    references: list[str] = []
    current: str | None = None

    def close() -> None:
        nonlocal fields, flags, references, current
        if fields.get("msgid"):
            strings = [value for name, value in sorted(fields.items()) if name.startswith("msgstr")]
            entries.append(
                Entry(
                    msgid=fields["msgid"],
                    context=fields.get("msgctxt"),
                    plural=fields.get("msgid_plural"),
                    strings=strings,
                    fuzzy="fuzzy" in flags,
                    references=references,
                )
            )
        fields, flags, references, current = {}, [], [], None

    for line in text.splitlines() + [""]:
        line = line.strip()
        if not line:
            close()
        elif line.startswith("#,"):
            flags += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#:"):
            references += line[2:].split()
        elif line.startswith("#"):
            continue  # comments, and obsolete entries (#~), which the code no longer has
        elif line.startswith('"') and current:
            fields[current] += ast.literal_eval(line)
        else:
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                if match.group(1) in ("msgctxt", "msgid") and "msgid" in fields and match.group(1) not in fields:
                    close()  # an entry with no blank line before the next
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
    return entries


def untranslated(code: list[Entry], catalogue: list[Entry]) -> list[str]:
    """One line per message of the code the catalogue lacks: ``file:line  "msgid" (why)``."""
    translated = {entry.key: entry for entry in catalogue}
    problems = []
    for entry in code:
        known = translated.get(entry.key)
        if known is None:
            why = "missing"
        elif known.fuzzy:
            why = "fuzzy"
        elif not known.strings or not all(known.strings):
            why = "empty"
        else:
            continue
        where = ", ".join(entry.references[:3]) + (" ..." if len(entry.references) > 3 else "")
        problems.append(f"{where or '?'}  {entry.label()!r} ({why})")
    return problems


def _copy_ignored(directory: str, names: list[str]) -> set[str]:
    """What makemessages is told to skip (.venv, var) or skips itself (hidden), and caches."""
    return {
        name
        for name in names
        if name.startswith(".")
        or name in {"var", "__pycache__", "node_modules", "staticfiles"}
        or name.endswith((".pyc", ".sqlite3"))
    }


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> list[Entry]:
    """The messages of the code, by ``makemessages`` run in a copy of the project."""
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs GNU gettext ({', '.join(missing)} not found): apt-get install gettext")
    copy = tmp_path_factory.mktemp("makemessages") / "project"
    shutil.copytree(ROOT, copy, ignore=_copy_ignored, symlinks=True)
    command = [sys.executable, "manage.py", "makemessages", "-l", "vi", "--ignore=.venv", "--ignore=var"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [*command, "--keep-pot", "--verbosity=0"], cwd=copy, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return read_po((copy / "locale" / "django.pot").read_text(encoding="utf-8"))


def test_every_message_of_the_code_has_a_vietnamese_translation(extracted) -> None:
    labels = {entry.label() for entry in extracted}
    # The copy held the code: messages of Python, templates and the settings came out.
    assert len(extracted) > 300
    assert {"Online assessment", "Back to the home page", "Vietnamese"} <= labels
    problems = untranslated(extracted, read_po(PO.read_text(encoding="utf-8")))
    assert not problems, (
        f"{len(problems)} messages of the code have no Vietnamese translation in {PO.relative_to(ROOT)}; "
        "run `make messages` and translate them:\n" + "\n".join(problems)
    )


# A message written in both languages: "Biết (knowing)", "Mệnh đề / Statement". The English
# reader sees Vietnamese, the Vietnamese one the English.
VIETNAMESE_LETTER = r"[À-ỹĐđ]"
DOUBLED = re.compile(
    rf"^[^()]*{VIETNAMESE_LETTER}[^()]*\s\([a-z][a-z ,:;'/-]*\)\.?$"  # Vietnamese (english)
    rf"|^[^/]*{VIETNAMESE_LETTER}[^/]*\s/\s[A-Za-z][A-Za-z ,.;:'()-]*$"  # Vietnamese / English
)


def doubled(entries: list[Entry]) -> list[str]:
    return [
        f"{', '.join(entry.references[:3]) or '?'}  {entry.msgid!r}" for entry in entries if DOUBLED.match(entry.msgid)
    ]


def test_no_message_is_written_in_both_languages(extracted) -> None:
    problems = doubled(extracted)
    assert not problems, (
        "messages written in both languages: write the English as the msgid and the Vietnamese in "
        f"{PO.relative_to(ROOT)}:\n" + "\n".join(problems)
    )


def test_the_doubled_check_tells_a_pair_from_an_example() -> None:
    entries = [
        Entry("Biết (knowing)", references=["m.py:1"]),
        Entry("Riêng tư (private: author only)", references=["m.py:2"]),
        Entry("Mệnh đề / Statement", references=["m.js:3"]),
        Entry("Đúng/Sai nhiều ý (true/false group)", references=["m.py:4"]),
        Entry("Ignore diacritics (Ha Noi counts as Hà Nội)"),
        Entry("Not a gender: %(value)s (write Nam or Nữ)."),
        Entry("Words of the question; accents are optional (ham so finds Hàm số)."),
        Entry("Statement"),
    ]
    assert doubled(entries) == [
        "m.py:1  'Biết (knowing)'",
        "m.py:2  'Riêng tư (private: author only)'",
        "m.js:3  'Mệnh đề / Statement'",
        "m.py:4  'Đúng/Sai nhiều ý (true/false group)'",
    ]


def test_the_comparison_names_what_the_catalogue_lacks() -> None:
    code = read_po(
        '#: a.py:1\nmsgid "Kept"\nmsgstr ""\n\n'
        '#: a.py:2\nmsgid "New"\nmsgstr ""\n\n'
        '#: t.html:3\nmsgctxt "box"\nmsgid "Open"\nmsgstr ""\n\n'
        '#: b.py:4\nmsgid "Guessed"\nmsgstr ""\n\n'
        '#: b.py:5\nmsgid "%(n)s item"\nmsgid_plural "%(n)s items"\nmsgstr[0] ""\nmsgstr[1] ""\n\n'
        '#: b.py:6\nmsgid "Blank"\nmsgstr ""\n'
    )
    catalogue = read_po(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Kept"\nmsgstr "Giữ"\n\n'
        'msgid "Open"\nmsgstr "Mở"\n\n'
        '#, fuzzy\nmsgid "Guessed"\nmsgstr "Đoán"\n\n'
        'msgid "%(n)s item"\nmsgid_plural "%(n)s items"\nmsgstr[0] "%(n)s câu"\n\n'
        'msgid "Blank"\nmsgstr ""\n""\n\n'
        '#~ msgid "New"\n#~ msgstr "Mới"\n'
    )
    assert untranslated(code, catalogue) == [
        "a.py:2  'New' (missing)",
        "t.html:3  'box|Open' (missing)",
        "b.py:4  'Guessed' (fuzzy)",
        "b.py:6  'Blank' (empty)",
    ]


# --- words in templates ------------------------------------------------------------------------

TEMPLATES = sorted(path for path in ROOT.glob("*/templates/**/*.html"))
# Attributes whose value a person reads (or hears, from a screen reader).
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription", "label"}
# Texts that are the same in every language: names of file formats, language codes. Keep it short.
ALLOWED_TEMPLATE_TEXTS = {
    "QTI",
    "QTI 3.0",
    "Moodle XML",
    "GIFT",
    "Excel",
    "Excel (.xlsx)",
    "Word (.docx)",
    "vi, en, fr…",
}
# Not words of the page: examples of what to type.
CODE_TAGS = {"script", "style", "code", "kbd", "samp"}
WORD = re.compile(r"[^\W\d_]{2,}")
DEFAULT_FILTER = re.compile(r"\|\s*(?:default|default_if_none|yesno)\s*:\s*(\"[^\"]*\"|'[^']*')")
TRANSLATED_BLOCKS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans", "comment": "endcomment"}


def has_words(text: str) -> bool:
    return bool(WORD.search(text)) and " ".join(text.split()) not in ALLOWED_TEMPLATE_TEXTS


class _ReadableText(html.parser.HTMLParser):
    """Text between tags and the attributes people read, with their line; not scripts, styles or code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in CODE_TAGS:
            self.skipping.append(tag)
        kinds = dict(attrs)
        for name, value in attrs:
            readable = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input" and kinds.get("type") in ("submit", "button", "reset")
            )
            if readable and value:
                self.found.append((self.getpos()[0], value))

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            leading = data[: len(data) - len(data.lstrip())]
            self.found.append((self.getpos()[0] + leading.count("\n"), data))


def untranslated_template_text(source: str) -> list[tuple[int, str]]:
    """(line, text) of every word a template shows that no translate tag holds."""
    kept: list[str] = []
    found: list[tuple[int, str]] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        blank = "\n" * token.contents.count("\n") or " "  # keeps the lines where they were
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if closing is None and name in TRANSLATED_BLOCKS:
                closing = TRANSLATED_BLOCKS[name]
            elif name == closing:
                closing = None
            for match in DEFAULT_FILTER.finditer(token.contents):
                found.append((token.lineno, match.group(1)[1:-1]))
            kept.append(blank)
        elif token.token_type == TokenType.VAR:
            for match in DEFAULT_FILTER.finditer(token.contents):
                found.append((token.lineno, match.group(1)[1:-1]))
            kept.append(blank)
        elif token.token_type == TokenType.TEXT and closing is None:
            kept.append(token.contents)
        else:
            kept.append(blank)
    parser = _ReadableText()
    parser.feed("".join(kept))
    parser.close()
    return [(line, text.strip()) for line, text in found + parser.found if has_words(text)]


def test_templates_show_no_untranslated_words() -> None:
    assert TEMPLATES, "no templates found"
    problems = [
        f"{path.relative_to(ROOT)}:{line}  {' '.join(text.split())!r}"
        for path in TEMPLATES
        for line, text in untranslated_template_text(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "words outside {% translate %} / {% blocktranslate %}:\n" + "\n".join(problems)


def test_the_template_check_finds_words_and_passes_translations() -> None:
    source = (
        '{% load i18n %}<h1>{% translate "Results" %}</h1>\n'
        "<p>Kết quả</p>\n"
        '<input placeholder="Search" value="{{ q }}">\n'
        "{% blocktranslate with n=count %}{{ n }} items{% endblocktranslate %}\n"
        '<td>{{ score|default:"none" }} · 1/2 – {{ x }}</td>\n'
        "{% comment %}A note{% endcomment %}<script>var a = 'Hello world';</script>\n"
        '<button type="submit">OK</button> <th>A</th> <th>θ</th> <option>Moodle XML</option>\n'
        '<p>{% translate "Chemistry:" %} <code>$\\ce{H2O}$</code></p>\n'
    )
    assert untranslated_template_text(source) == [(5, "none"), (2, "Kết quả"), (3, "Search"), (7, "OK")]


# --- words in the pages' scripts -------------------------------------------------------------

SCRIPTS = sorted(ROOT.glob("frontend/static/**/*.js"))
# Where a person reads what is assigned or passed.
TEXT_PROPERTIES = {"textContent", "innerText", "innerHTML", "outerHTML", "title", "placeholder", "alt", "ariaLabel"}
TEXT_CALLS = {"createTextNode": 0, "alert": 0, "confirm": 0, "prompt": 0, "Option": 0}
TEXT_PARAMETERS = re.compile(r"(?i)^(?:.*label|text|content|message|title|hint|caption|heading|placeholder)$")
TEXT_KEYS = {"label", "text", "title", "message", "hint", "caption", "placeholder"}
# Literals that pass where a person reads them: (file name, literal). Keep it short.
ALLOWED_SCRIPT_LITERALS: set[tuple[str, str]] = set()
PHRASE = re.compile(r"[A-Z][a-z]*(?:[,;:]?\s+[A-Za-z][a-z]*)+\s*[.!?…:]?")
REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^") | {
    "return",
    "typeof",
    "case",
    "do",
    "else",
    "in",
    "new",
    "delete",
    "void",
    "throw",
}
# A line break ends a statement unless the line ends or the next begins with one of these.
CONTINUES_AFTER = set("+-*/%=(,?:[&|.<>!{")
CONTINUES_BEFORE = set("+-*/%=?:.&|)]<>,")


@dataclass
class Token:
    kind: str  # "string", "name", "regex", "number", "punct"
    value: str
    line: int


def js_tokens(source: str) -> list[Token]:
    """The tokens of a script, without comments; strings decoded, regular expressions kept whole."""
    tokens: list[Token] = []
    i, line, n = 0, 1, len(source)

    def significant() -> Token | None:
        return tokens[-1] if tokens else None

    while i < n:
        char = source[i]
        if char == "\n":
            line += 1
            i += 1
        elif char.isspace():
            i += 1
        elif source.startswith("//", i):
            i = source.find("\n", i) if "\n" in source[i:] else n
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end == -1 else end + 2
            line += source.count("\n", i, end)
            i = end
        elif char in "'\"`":
            j = i + 1
            while j < n and source[j] != char:
                j += 2 if source[j] == "\\" else 1
            raw = source[i + 1 : j]
            tokens.append(Token("string", _decode(raw), line))
            line += raw.count("\n")
            i = j + 1
        elif char == "/" and (significant() is None or significant().value in REGEX_BEFORE):
            j, in_class = i + 1, False
            while j < n and (in_class or source[j] != "/") and source[j] != "\n":
                if source[j] == "\\":
                    j += 1
                elif source[j] == "[":
                    in_class = True
                elif source[j] == "]":
                    in_class = False
                j += 1
            j += 1
            while j < n and source[j].isalpha():
                j += 1
            tokens.append(Token("regex", source[i:j], line))
            i = j
        elif char.isalpha() or char in "_$":
            match = re.compile(r"[\w$]+").match(source, i)
            assert match is not None
            tokens.append(Token("name", match.group(), line))
            i = match.end()
        elif char.isdigit():
            match = re.compile(r"[\w.]+").match(source, i)
            assert match is not None
            tokens.append(Token("number", match.group(), line))
            i = match.end()
        else:
            tokens.append(Token("punct", char, line))
            i += 1
    return tokens


def _decode(raw: str) -> str:
    def escape(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "ux":
            return chr(int(code[1:].strip("{}"), 16))
        return {"n": "\n", "t": "\t", "r": "\r"}.get(code, code)

    return re.sub(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", escape, raw, flags=re.S)


def _text_parameters(tokens: list[Token]) -> dict[str, set[int]]:
    """Functions of the scripts (``function name(a, b)``) -> the places of their text parameters."""
    found: dict[str, set[int]] = {}
    for k, token in enumerate(tokens[:-2]):
        if token.value == "function" and tokens[k + 1].kind == "name" and tokens[k + 2].value == "(":
            params, j = [], k + 3
            while j < len(tokens) and tokens[j].value != ")":
                if tokens[j].kind == "name":
                    params.append(tokens[j].value)
                j += 1
            places = {place for place, name in enumerate(params) if TEXT_PARAMETERS.match(name)}
            if places:
                found.setdefault(tokens[k + 1].value, set()).update(places)
    return found


def _expression(tokens: list[Token], start: int) -> list[Token]:
    """The literals of the expression starting at ``start``, up to the end of its statement or
    argument; literals inside a nested call (``t("key")``) are that call's business."""
    literals: list[Token] = []
    depth, calls = 0, []  # calls: the depths at which a call, a subscript or an object opened
    for k in range(start, len(tokens)):
        token = tokens[k]
        if token.kind == "punct" and token.value in "([{":
            previous = tokens[k - 1] if k else None
            follows_value = previous is not None and (previous.kind in ("name", "string") or previous.value in ")]")
            keyword = previous is not None and previous.value in {"if", "while", "for", "switch", "return", "typeof"}
            if token.value == "{" or (follows_value and not keyword):
                calls.append(depth)  # f(...), a[...], {...}: not what is shown here
            depth += 1
        elif token.kind == "punct" and token.value in ")]}":
            depth -= 1
            if depth < 0:
                break
            if calls and calls[-1] == depth:
                calls.pop()
        elif depth == 0 and token.value in {";", ","}:
            break
        elif depth == 0 and k > start and token.line != tokens[k - 1].line:
            if tokens[k - 1].value not in CONTINUES_AFTER and token.value not in CONTINUES_BEFORE:
                break
        elif token.kind == "string" and not calls and not _compared(tokens, k):
            literals.append(token)
    return literals


def _compared(tokens: list[Token], k: int) -> bool:
    """Whether the literal at ``k`` is an operand of ``==``, ``===``, ``!=`` or ``!==``: a code."""

    def punct(at: int) -> str:
        return tokens[at].value if 0 <= at < len(tokens) and tokens[at].kind == "punct" else ""

    return (punct(k - 1) == "=" and punct(k - 2) in ("=", "!")) or (punct(k + 1) in ("=", "!") and punct(k + 2) == "=")


def _arguments(tokens: list[Token], open_paren: int) -> list[int]:
    """The token indexes where each argument of the call opening at ``open_paren`` starts."""
    starts, depth = [open_paren + 1], 0
    for k in range(open_paren, len(tokens)):
        value = tokens[k].value if tokens[k].kind == "punct" else ""
        if value in ("(", "[", "{"):
            depth += 1
        elif value in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                break
        elif value == "," and depth == 1:
            starts.append(k + 1)
    return starts


def words_shown_by_script(source: str, text_parameters: dict[str, set[int]] | None = None) -> list[tuple[int, str]]:
    """(line, literal) of every string literal of a script that is a word a person would read."""
    tokens = js_tokens(source)
    sinks = _text_parameters(tokens) if text_parameters is None else text_parameters
    shown: dict[int, Token] = {}
    for k, token in enumerate(tokens):
        if token.kind == "string":
            letters = [c for c in token.value if ord(c) > 127 and unicodedata.category(c).startswith("L")]
            if letters or PHRASE.fullmatch(token.value.strip()):
                shown[id(token)] = token
            continue
        following = tokens[k + 1] if k + 1 < len(tokens) else None
        if following is None:
            continue
        previous = tokens[k - 1] if k else None
        starts: list[int] = []
        if token.kind == "name" and following.value == "=" and previous is not None and previous.value == ".":
            if token.value in TEXT_PROPERTIES and tokens[k + 2].value != "=":
                starts = [k + 2]
        elif token.kind == "name" and following.value == "(":
            arguments = _arguments(tokens, k + 1)
            places = set(sinks.get(token.value, set()))
            if token.value in TEXT_CALLS:
                places.add(TEXT_CALLS[token.value])
            if token.value == "setAttribute" and tokens[k + 2].kind == "string":
                if tokens[k + 2].value in READ_ATTRIBUTES or tokens[k + 2].value.startswith("aria-label"):
                    places.add(1)
            starts = [arguments[place] for place in sorted(places) if place < len(arguments)]
        elif token.kind in ("name", "string") and following.value == ":" and token.value in TEXT_KEYS:
            if previous is not None and previous.value in "{,":
                starts = [k + 2]
        for start in starts:
            for literal in _expression(tokens, start):
                if re.search(r"[A-Za-z]{2,}", literal.value):
                    shown[id(literal)] = literal
    return sorted((token.line, token.value) for token in shown.values())


def test_scripts_show_no_words_of_their_own() -> None:
    assert SCRIPTS, "no scripts found"
    sources = {path: path.read_text(encoding="utf-8") for path in SCRIPTS}
    # The bank pages' helpers (bank.js, window.Bank) serve every script; a script's own
    # functions come first.
    shared = {
        name: places
        for path, source in sources.items()
        if path.name == "bank.js"
        for name, places in _text_parameters(js_tokens(source)).items()
    }
    assert {"make", "field", "button"} <= set(shared), "bank.js's helpers were not recognised"
    problems = [
        f"{path.relative_to(ROOT)}:{line}  {literal!r}"
        for path, source in sources.items()
        for line, literal in words_shown_by_script(source, {**shared, **_text_parameters(js_tokens(source))})
        if (path.name, literal) not in ALLOWED_SCRIPT_LITERALS
    ]
    assert not problems, (
        "words written in the scripts instead of taken from the page's translated text "
        "(frontend/bank_text.py, json_script):\n" + "\n".join(problems)
    )


def test_the_script_check_finds_words_and_passes_keys() -> None:
    source = """
    function make(tag, className, text) {}   // "Not a word shown"
    function label(text) { return text; }
    /* node.textContent = "Hidden in a comment"; */
    var pattern = /"Hello world"|[/"]x/g, empty = "\u2014";
    var key = t("saved");
    node.textContent = t("saved") + " · " + count;
    node.textContent = "Saved";
    node.textContent = ok ?
      t("yes") : "none";
    make("p", "hint", "Lưu");
    make("p", "error hint", t("error") + " (" + status + ")");
    node.setAttribute("aria-label", "Close");
    node.setAttribute("data-kind", "error");
    list.push({ value: "draft", label: "Draft" });
    var klass = "move move-up";
    var sentence = "Not saved.";
    """
    assert words_shown_by_script(source) == [
        (8, "Saved"),
        (10, "none"),
        (11, "Lưu"),
        (13, "Close"),
        (15, "Draft"),
        (17, "Not saved."),
    ]
