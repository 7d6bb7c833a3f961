"""A footer that never overflows: keys that do not fit the width are left out, last first.

Textual's footer just cuts at the right edge, and the docked palette key then overlaps the cut key (half a
Chinese character shows). Chinese labels are wide and 80 columns is the minimum we support, so the footer
keeps the screen's keys in their declared order while they fit, always keeps F1 (help) and the palette key,
and leaves the rest to F1 and ctrl+p, which list every key anyway.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.widgets import Footer

from zhijin_training.tui.kit.compat import FooterKey

ALWAYS = {"help", "app.help"}


def _width(key: FooterKey) -> int:
    # compact style: "k desc" and one cell of margin; the palette key also has a one-cell border
    extra = 2 if key.has_class("-command-palette") else 1
    return cell_len(key.key_display) + (1 + cell_len(key.description) if key.description else 0) + extra


class FitFooter(Footer):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(**kwargs)
        self._fitted_for = 0

    def compose(self) -> ComposeResult:
        items = list(super().compose())
        keys = [w for w in items if isinstance(w, FooterKey)]
        if len(keys) != len(items):  # key groups: not used here; leave Textual's layout alone
            yield from items
            return
        room = (self.size.width or self.app.size.width or 80) - 1
        fixed = [k for k in keys if k.action in ALWAYS or k.has_class("-command-palette")]
        room -= sum(_width(k) for k in fixed)
        for key in keys:
            if key in fixed:
                yield key
            elif _width(key) <= room:
                room -= _width(key)
                yield key
            else:
                room = -1  # keep the order: once one key is left out, the later ones are too

    def on_resize(self) -> None:
        if self.size.width != self._fitted_for:
            self._fitted_for = self.size.width
            self.call_after_refresh(self.recompose)
