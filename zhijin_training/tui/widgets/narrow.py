"""No East Asian "ambiguous width" symbols from Textual's widgets.

Terminals set up for Chinese (Xshell, PuTTY with "CJK ambiguous characters are wide") draw symbols such as
▼ ▁ ▏ — … two cells wide, which shifts everything after them on the line. Textual uses a few of them in
widgets we keep; this module swaps them for ASCII or whole cells:

- `AsciiSelect`: a Select whose arrow is `v` / `^` instead of ▼ / ▲;
- `CellScrollBarRender`: scrollbar thumbs in whole cells (Textual draws the thumb's ends with ▁▂▃ / ▏▎▍
  eighth blocks); installed for every scrollbar by `install()`;
- check boxes drawn `[X]` / `[ ]` instead of ▐X▌ (`TickBox`, `TickList`): the state shows in the glyph,
  not only in a colour (16-colour terminals draw a ticked and an unticked X alike);
- `key_display`: arrow keys as words (↑ ↓ ← → are ambiguous-width).
Borders are chosen in the .tcss files (none / ascii); box-drawing borders are avoided there too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from rich.segment import Segment
from textual.content import Content
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.widgets import Checkbox, Select, SelectionList

from zhijin_training.tui.kit.compat import ToggleButton, selected_values

ARROW_WORDS = {
    "\u2191": "kit.arrow.up",
    "\u2193": "kit.arrow.down",
    "\u2190": "kit.arrow.left",
    "\u2192": "kit.arrow.right",
}  # the arrows Textual shows -> catalogue keys of their words


class AsciiSelect(Select[Any]):
    def on_mount(self) -> None:
        for arrow in self.query(".down-arrow"):
            arrow.update("v")  # type: ignore[attr-defined]
        for arrow in self.query(".up-arrow"):
            arrow.update("^")  # type: ignore[attr-defined]


class TickBox(Checkbox):
    @property
    def _button(self) -> Content:
        button = self.get_visual_style("toggle--button")
        side = self.get_visual_style("toggle--label")
        inner = self.BUTTON_INNER if self.value else " "
        return Content.assemble((self.BUTTON_LEFT, side), (inner, button), (self.BUTTON_RIGHT, side))


class TickList(SelectionList[Any]):
    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if len(segments) < 4 or segments[1].text != ToggleButton.BUTTON_INNER:
            return strip
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except Exception:  # past the last option
            return strip
        row = segments[3].style  # the prompt's own style: brackets in the text colour, visible in any palette
        inner = segments[1].text if option.value in selected_values(self) else " "
        segments[0:3] = [
            Segment(ToggleButton.BUTTON_LEFT, row),
            Segment(inner, segments[1].style),
            Segment(ToggleButton.BUTTON_RIGHT, row),
        ]
        return Strip(segments, strip.cell_length)


class CellScrollBarRender(ScrollBarRender):
    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


def install() -> None:
    """Whole-cell scrollbars (Textual's documented way: set ScrollBar.renderer) and ASCII check boxes."""
    ScrollBar.renderer = CellScrollBarRender
    ToggleButton.BUTTON_LEFT = "["
    ToggleButton.BUTTON_RIGHT = "]"


def key_display(shown: str, words: Callable[[str], str] | None = None) -> str:
    """Arrow keys as words in the interface language (`words` is the catalogue lookup); function keys as
    printed on the keyboard (F5, not f5)."""
    shown = re.sub(r"\bf([1-9]|1[0-9]|2[0-4])\b", r"F\1", shown)
    for arrow, key in ARROW_WORDS.items():
        if arrow in shown:
            shown = shown.replace(arrow, words(key) if words else key.rsplit(".", 1)[-1].title())
    return shown
