"""Cell helpers shared by every workbook: display width of Chinese text, safe string cells, local dates."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl.styles import Border, Side

from zhijin_training.textsafe import neutralise_formula
from zhijin_training.timeutil import to_local

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
_BAD_SHEET_CHARS = set("[]:*?/\\")


def text_width(text: str) -> int:
    """Width in character cells: CJK (wide and fullwidth) characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def value_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return 7
    return max((text_width(line) for line in str(value).splitlines()), default=0)


def safe(value: Any) -> Any:
    """A cell value from user data: formulas neutralised, aware datetimes as local wall time (Excel has no
    time zones)."""
    if isinstance(value, datetime):
        return to_local(value).replace(tzinfo=None)
    return neutralise_formula(value)


def sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique worksheet name (31 characters, none of []:*?/\\)."""
    clean = "".join("_" if ch in _BAD_SHEET_CHARS else ch for ch in name).strip("'") or "Sheet"
    clean = clean[:31]
    candidate, n = clean, 2
    while candidate.lower() in used:
        suffix = f"({n})"
        candidate = clean[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Write to a temporary file beside `path`, then rename it over `path`: an interrupted export never leaves
    half a spreadsheet where the old one was; personal data, so 0600 and never through a symlink."""
    from zhijin_training.safefiles import replacing as safe_replacing

    with safe_replacing(path) as tmp:
        yield tmp
