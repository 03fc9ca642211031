"""Password validators of our own, beside Django's (settings.AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from django.contrib.auth.password_validation import MinimumLengthValidator as DjangoMinimumLengthValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

COMMON_VI = Path(__file__).with_name("common_passwords_vi.txt")


def _plain(text: str) -> str:
    """Lower case, without Vietnamese diacritics (đ as d) or spaces: how such words get typed."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    return "".join(char for char in decomposed if not unicodedata.combining(char) and not char.isspace())


@cache
def _common_words() -> frozenset[str]:
    lines = COMMON_VI.read_text(encoding="utf-8").splitlines()
    return frozenset(_plain(line) for line in lines if line.strip() and not line.startswith("#"))


class VietnameseCommonPasswordValidator:
    """Refuse the passwords people in Vietnamese schools choose first (``matkhau``,
    ``anhyeuem``, ``hocsinh``...), also with digits or symbols around them (``matkhau2026``),
    which Django's English list of common passwords does not know."""

    def validate(self, password: str, user=None) -> None:
        plain = _plain(password)
        core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", plain)
        if plain in _common_words() or core in _common_words():
            raise ValidationError(_("This password is too common."), code="password_too_common")

    def get_help_text(self) -> str:
        return _("Your password can’t be a word or a name often used as a password in Vietnam (matkhau, anhyeuem…).")


class MinimumLengthValidator(DjangoMinimumLengthValidator):
    """Django's, with messages translated into Vietnamese (Django's own catalogue lacks them)."""

    def get_error_message(self) -> str:
        return _("This password is too short: it must have at least %(min_length)d characters.")

    def get_help_text(self) -> str:
        return _("Your password must have at least %(min_length)d characters.") % {"min_length": self.min_length}
