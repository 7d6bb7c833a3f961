"""Showing text a person typed exactly as typed: no markup, no terminal escapes, no spreadsheet formulas."""

from __future__ import annotations

import unicodedata

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str | None) -> str:
    """Replace control characters (ESC, BEL, NUL, CR ...) with visible `\\xNN` escapes.

    Rich strips only some control codes; an ESC left in a cell would reach the terminal as a command.
    Line breaks become a visible '⏎' so one record stays one line in tables.
    """
    if not text:
        return ""
    if text.isprintable():  # the usual case, in C: no Cc/Cf character (nor a line break) to replace
        return text
    out = []
    for ch in text:
        if ch == "\n":
            out.append(" ⏎ ")
        elif unicodedata.category(ch) in ("Cc", "Cf") and ch != "\u200d":
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def neutralise_formula(value: object) -> object:
    """A string cell that a spreadsheet would execute (=, +, -, @ ...) is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
