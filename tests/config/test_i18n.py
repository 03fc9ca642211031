"""The UI is in Vietnamese by default: every message has a translation, compiled and current."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"


def _po_entries(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a .po file (single- and multi-line strings); a message with a
    context is keyed ``context\x04msgid``, as gettext keys it; one with plural forms by its
    singular, with its only form (Vietnamese has one: ``msgstr[0]``)."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key = None
    fuzzy = False
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr|msgstr\[0\]) (".*")$', line)
        if match:
            key = {"msgstr[0]": "msgstr"}.get(match.group(1), match.group(1))
            current[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line.strip():
            if current.get("msgid"):
                key_of = current["msgid"] if "msgctxt" not in current else f"{current['msgctxt']}\x04{current['msgid']}"
                entries[key_of] = "" if fuzzy else current.get("msgstr", "")
            current, key, fuzzy = {}, None, False
    return entries


def _compiled(compiled: gettext.GNUTranslations, key: str) -> str:
    context, separator, msgid = key.rpartition("\x04")
    if separator:
        return compiled.pgettext(context, msgid)
    if (key, 0) in compiled._catalog:  # a message with plural forms
        return compiled.ngettext(key, key, 1)
    return compiled.gettext(key)


def test_every_vietnamese_message_is_translated_and_compiled():
    entries = _po_entries(LOCALE / "vi" / "LC_MESSAGES" / "django.po")
    assert len(entries) > 100
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert untranslated == []
    with open(LOCALE / "vi" / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [msgid for msgid, msgstr in entries.items() if _compiled(compiled, msgid) != msgstr]
    assert stale == [], "run `make messages` to recompile locale/vi/LC_MESSAGES/django.mo"


def test_default_language_is_vietnamese():
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _ in settings.LANGUAGES] == ["vi", "en"]
