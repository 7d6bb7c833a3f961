"""A DataTable whose cells are always literal text, cut to their column's width (CJK-aware).

Usage::

    table = LiteralTable(columns=[("date", "日期", 10), ("title", "标题", 30)])
    table.set_rows([(key, ("2026-11-24", "织金大讲堂 [bold]x[/]")), ...])  # key: any hashable, e.g. session id
    table.selected_key  # the key of the row under the cursor, or None

A width of 0 or below means "share the rest": the cells left by the fixed columns are shared by the flexible
ones in proportion to their weight (0 and -1 weigh 1, -3 weighs 3; at least 4 cells each), so the table fits
the screen at 80 columns and uses the room at 120. Values are run through `textsafe.printable` and never parsed as Rich markup.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from zhijin_training.tui.widgets.text import literal

Column = tuple[str, str, int]  # key, header label, width in cells (0 = flexible)


class LiteralTable(DataTable[Text]):
    DEFAULT_CSS = """
    LiteralTable { height: 1fr; }
    """

    def __init__(self, columns: Sequence[Column], **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        self._specs = list(columns)
        self._rows: list[tuple[Hashable, Sequence[object], str]] = []

    def on_mount(self) -> None:
        self._build_columns()

    def _widths(self) -> list[int]:
        # each column has one cell of padding either side; keep room for the vertical scrollbar
        fixed = sum(w for _, _, w in self._specs if w > 0) + 2 * len(self._specs) + 2
        room = max(0, (self.size.width or 80) - fixed)
        weights = [max(1, -w) for _, _, w in self._specs if w <= 0]
        total = sum(weights) or 1
        out, i = [], 0
        for _, _, w in self._specs:
            if w > 0:
                out.append(w)
            else:
                out.append(max(4, room * weights[i] // total))
                i += 1
        return out

    def _build_columns(self) -> None:
        self.clear(columns=True)
        for (key, label, _), width in zip(self._specs, self._widths(), strict=True):
            self.add_column(literal(label, width), width=width, key=key)

    def on_resize(self) -> None:
        if any(w <= 0 for _, _, w in self._specs):
            self._build_columns()
            self._fill()

    def set_rows(
        self, rows: Iterable[tuple[Hashable, Sequence[object]] | tuple[Hashable, Sequence[object], str]]
    ) -> None:
        """Replace all rows, keeping the cursor on the same key when it is still there.

        Each row is (key, values) or (key, values, style) where style is a Rich style string for the whole row.
        """
        keep = self.selected_key
        self._rows = [(r[0], r[1], r[2] if len(r) > 2 else "") for r in rows]  # type: ignore[misc]
        self._fill()
        if keep is not None:
            self.select_key(keep)

    def _fill(self) -> None:
        self.clear()
        widths = self._widths()
        for key, values, style in self._rows:
            cells = [literal(v, w, style) for v, w in zip(values, widths, strict=False)]
            self.add_row(*cells, key=str(key))

    @property
    def keys(self) -> list[Hashable]:
        return [k for k, _, _ in self._rows]

    @property
    def selected_key(self) -> Hashable | None:
        if not self._rows or self.row_count == 0:
            return None
        index = self.cursor_row
        return self._rows[index][0] if 0 <= index < len(self._rows) else None

    def select_key(self, key: Hashable) -> bool:
        for index, (k, _, _) in enumerate(self._rows):
            if k == key:
                self.move_cursor(row=index)
                return True
        return False
