"""Literal, width-aware cell text: what a person typed, shown as typed, cut to fit with a visible marker.

Chinese characters take two terminal cells, so widths are measured with `rich.cells.cell_len`, never `len()`.
The cut marker is ASCII ("..") because the usual ellipsis (U+2026) is ambiguous-width in CJK terminals.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from zhijin_training.textsafe import printable

ELLIPSIS = ".."


def fit(value: object, width: int) -> str:
    """`value` as printable text no wider than `width` cells, cut with ELLIPSIS when too long."""
    text = printable("" if value is None else str(value))
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    room = width - cell_len(ELLIPSIS)
    if room <= 0:
        return ELLIPSIS[:width]
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > room:
            break
        out.append(ch)
        used += w
    return "".join(out) + ELLIPSIS


def literal(value: object, width: int | None = None, style: str = "") -> Text:
    """A rich Text that never interprets markup or escapes; cut to `width` cells when given."""
    raw = printable("" if value is None else str(value))
    shown = fit(raw, width) if width is not None else raw
    return Text(shown, style=style, no_wrap=True, overflow="crop", end="")


def pad(value: object, width: int) -> str:
    """Cut and pad to exactly `width` cells (for hand-made grids such as the month view)."""
    text = fit(value, width)
    return text + " " * (width - cell_len(text))
