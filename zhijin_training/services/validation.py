"""Checks shared by every service: text a person typed, phone numbers, enumerations, versions."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import TypeVar

from zhijin_training.enums import StatusSpec, status_specs, status_values
from zhijin_training.services.errors import TextTooLong, ValidationError

E = TypeVar("E", bound=StrEnum)

_PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")


def clean_text(value: str | None, field: str, *, max_len: int = 200, required: bool = False) -> str:
    """Trim, refuse control characters (escape sequences, NUL, ...) and over-long text."""
    text = (value or "").strip()
    if required and not text:
        raise ValidationError("text.required", field=field)
    for ch in text:
        if ch in "\n\t" and max_len > 200:
            continue  # multi-line notes and descriptions may keep line breaks
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") and ch not in "\u200d":
            raise ValidationError("text.control_char", field=field, codepoint=f"U+{ord(ch):04X}")
    if len(text) > max_len:
        raise TextTooLong(field=field, length=len(text), limit=max_len)
    return text


def clean_phone(value: str | None, field: str = "phone") -> str:
    text = (value or "").strip()
    if not text:
        return ""
    if not _PHONE_RE.match(text):
        raise ValidationError("phone.invalid", field=field, value=text)
    return text


def parse_enum(enum: type[E], value: str | None, field: str, label_kind: str | None = None) -> E:
    """Accept the English value, or its Chinese or English display label (出勤, "On leave" ...)."""
    from zhijin_training.i18n import LANGS, label

    text = (value or "").strip()
    for member in enum:
        if text.lower() == member.value or (
            label_kind
            and any(text.lower() == label(label_kind, member.value, lang).lower() for lang in LANGS)
        ):
            return member
    raise ValidationError("value.unknown", field=field, value=value or "", allowed=[m.value for m in enum])


def parse_status(value: str | None, field: str = "status") -> StatusSpec:
    """An attendance status from its value or its Chinese or English label (出勤, "On leave" ...)."""
    from zhijin_training.i18n import LANGS, label

    text = (value or "").strip().lower()
    for spec in status_specs():
        if text == spec.value or any(text == label("status", spec.value, lang).lower() for lang in LANGS):
            return spec
    raise ValidationError("value.unknown", field=field, value=value or "", allowed=list(status_values()))


def like_pattern(word: str) -> str:
    """`%word%` for SQL LIKE with the wildcards a person typed taken literally (use escape="\\")."""
    escaped = word.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
