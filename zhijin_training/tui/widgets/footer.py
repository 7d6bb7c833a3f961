"""A footer that never overflows and never hides a key: keys that do not fit one line go on a second one.

Textual's footer just cuts at the right edge, and the docked palette key then overlaps the cut key (half a
Chinese character shows). Chinese labels are wide and 80 columns is the minimum we support; every key a screen
offers must still be visible (F1 and ctrl+p list them all, but a clerk should not need them for the
screen's own actions). So the footer keeps the screen's keys in their declared order on one line while they
fit, and only when they do not, wraps onto a second line (the palette key stays at the right of the first).
Screens keep their footers to one line at 80 columns with short labels (the attendance statuses are one
character in Chinese); the second line is the safety net, e.g. for the longer English words.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer

from zhijin_training.tui.kit.compat import FooterKey

MAX_LINES = 3  # more than this and the screen has too many keys: a test walks every screen at 80x24


def _width(key: FooterKey) -> int:
    # compact style: "k desc" and one cell of margin; the palette key also has a one-cell border
    extra = 2 if key.has_class("-command-palette") else 1
    return cell_len(key.key_display) + (1 + cell_len(key.description) if key.description else 0) + extra


def fit_lines(widths: list[int], room: int, first_line_taken: int) -> list[list[int]]:
    """Indexes of `widths` laid out in order on lines of `room` cells (the first has `first_line_taken` less)."""
    lines: list[list[int]] = [[]]
    free = room - first_line_taken
    for i, width in enumerate(widths):
        if width > free and lines[-1]:
            lines.append([])
            free = room
        lines[-1].append(i)
        free -= width
    return lines


class FitFooter(Footer):
    DEFAULT_CSS = """
    FitFooter.-lines { layout: vertical; }
    FitFooter.-lines > HorizontalGroup { height: 1; }
    """

    def __init__(self, *, waits: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(**kwargs)
        self._fitted_for = 0
        self._shown: tuple[Any, ...] | None = None  # what the last compose showed, at which width
        self._waits = waits  # no keys until `show_keys()`: the screen's keys depend on data still loading

    def show_keys(self) -> None:
        """The screen knows what it offers now: show its keys (once; later changes follow by themselves)."""
        if self._waits:
            self._waits = False
            self.refresh(recompose=True)

    def _wanted(self) -> tuple[Any, ...]:
        """What the footer would show now: the width and the keys (without building their widgets)."""
        app = self.app
        palette = app.COMMAND_PALETTE_BINDING
        keys = tuple(
            (binding.key, binding.action, app.get_key_display(binding), binding.description, enabled, tooltip)
            for binding, enabled, tooltip in (
                (active.binding, active.enabled, active.tooltip)
                for key, active in self.screen.active_bindings.items()
                if active.binding.show or key == palette
            )
        )
        return (self.size.width or app.size.width or 80, keys)

    async def recompose(self) -> None:
        """Only when the keys shown or the width changed: Textual asks after every focus, stack and binding
        change (seven times while the attendance sheet opens), and each recompose mounts and styles every
        key again."""
        if self._waits or (self.is_attached and self._shown is not None and self._wanted() == self._shown):
            return
        await super().recompose()

    def compose(self) -> ComposeResult:
        items = [] if self._waits else list(super().compose())
        # nothing yet (Textual's footer waits for the screen's first bindings): compose again when asked
        self._shown = self._wanted() if items else None
        keys = [w for w in items if isinstance(w, FooterKey)]
        if len(keys) != len(items):  # key groups: not used here; leave Textual's layout alone
            yield from items
            return
        for key in keys:  # the class the compact reactive gives each key on mount (else each is restyled)
            compact = key.compact if key.has_class("-command-palette") else self.compact  # not bound to ours
            key.set_class(compact, "-compact", update=False)
        room = (self.size.width or self.app.size.width or 80) - 1
        palette = [k for k in keys if k.has_class("-command-palette")]
        others = [k for k in keys if k not in palette]
        lines = fit_lines([_width(k) for k in others], room, sum(_width(k) for k in palette))
        lines = lines[:MAX_LINES]
        self.set_class(len(lines) > 1, "-lines")
        self.styles.height = len(lines)
        if len(lines) == 1:
            yield from keys
            return
        for number, line in enumerate(lines):
            row = [others[i] for i in line]
            yield HorizontalGroup(*(palette if number == 0 else []), *row)

    def on_resize(self) -> None:
        if self.size.width != self._fitted_for:
            self._fitted_for = self.size.width
            self.call_after_refresh(self.recompose)
