"""A row-cursor list drawn with Textual's Line API, for lists too long for DataTable (the attendance sheet).

    table = LineTable([Col("no", "序号", 4, right=True), Col("name", "姓名", 8, grow=1), ...])
    table.replace_all(columns, [(cadre_id, (no, name, ...)), ...])   # (key, values[, row style])
    table.update_row(key, values)    # one row's line re-rendered, the cursor stays
    table.current_key()              # the shown (string) key under the cursor

Only the lines on screen are drawn (`render_line`), each row's line is built once and kept until that row
changes (a per-row Strip cache), so opening a 300-person session or marking one person costs a few rows,
not the list. Columns are laid out exactly as kit.table.Table lays them out (same minimum widths, shares,
optional columns, CJK-aware cutting with `rich.cells`), so the two look alike. Public Textual API only.

Keys: up/down, page up/down, home/end move the cursor; Enter posts `LineTable.RowSelected`. A click moves
the cursor to the row clicked; it selects the row too only with `click_selects` (as a DataTable does: the
overview opens the session clicked), never on the attendance sheet, where selecting records a mark.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from zhijin_training.tui.kit.table import Col, RowKeys, _as_col, clip, fit_columns

CELL_PADDING = 1  # one blank cell each side of a value, as DataTable draws it


class LineTable(RowKeys, ScrollView, can_focus=True):
    """A header line and one line per row; the header stays while the rows scroll."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "line-table--header",
        "line-table--cursor",
        "line-table--even-row",
    }
    DEFAULT_CSS = """
    LineTable {
        height: 1fr;
        overflow-x: hidden;
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .line-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .line-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .line-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .line-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .line-table--even-row { background: $surface-darken-1 40%; }
        & > .line-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "first_row", show=False),
        Binding("end", "last_row", show=False),
        Binding("enter", "select", show=False),
    ]

    class RowSelected(Message):
        """Enter on a row."""

        def __init__(self, table: LineTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> LineTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Col | tuple[str, str, int]],
        *,
        id: str | None = None,
        click_selects: bool = False,
    ) -> None:
        super().__init__(id=id)
        self.click_selects = click_selects
        self._use_columns(columns)
        self.data_rows: list[tuple[str, Sequence[Any]]] = []
        self.row_styles: dict[str, str] = {}
        self._index: dict[str, int] = {}
        self._keys: dict[str, Hashable] = {}
        self._widths: dict[str, int] = {}
        self._laid_for = -1
        self._strips: dict[str, Strip] = {}  # row key -> its line (no cursor), until the row changes
        self._header: Strip | None = None
        self._styles_for: tuple[Any, ...] | None = None
        self._frame_styles: tuple[Style, Style, Style, Style] | None = None  # while one frame is drawn
        self.cursor_row = 0

    def _use_columns(self, columns: Sequence[Col | tuple[str, str, int]]) -> None:
        self.specs = [_as_col(c) for c in columns]
        self._spec_index = {s.key: i for i, s in enumerate(self.specs)}  # column key -> its value's index

    # ------------------------------------------------------------ layout
    def _lay_out(self, width: int) -> None:
        self._laid_for = width
        self._widths = fit_columns(self.specs, width, 2 * CELL_PADDING)
        self._forget()

    def _forget(self) -> None:
        self._strips.clear()
        self._header = None

    def _ensure_layout(self) -> None:
        width = self.size.width
        if width > 0 and width != self._laid_for:
            self._lay_out(width)
        elif not self._widths:
            self._widths = fit_columns(self.specs, 120, 2 * CELL_PADDING)

    def on_resize(self) -> None:
        self._ensure_layout()
        self._update_virtual_size()
        self.refresh()

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self._line_width(), len(self.data_rows) + 1)

    def _line_width(self) -> int:
        """Cells a line fills: the width left beside the vertical scrollbar."""
        return max(self.scrollable_content_region.width, 1)

    @property
    def row_count(self) -> int:
        return len(self.data_rows)

    # ------------------------------------------------------------ data
    def _take(self, rows: Iterable[Any]) -> None:
        self._keys, self.row_styles, self.data_rows = {}, {}, []
        for row in rows:
            key = str(row[0])
            self._keys[key] = row[0]
            if len(row) > 2 and row[2]:
                self.row_styles[key] = row[2]
            self.data_rows.append((key, row[1]))
        self._index = {key: i for i, (key, _values) in enumerate(self.data_rows)}
        self._forget()
        self._update_virtual_size()

    def set_rows(self, rows: Iterable[Any]) -> None:
        """Replace every row; the cursor stays on the same key when it is still there."""
        keep = self.current_key()
        self._take(rows)
        if keep is None or not self.select_key(keep):
            self._set_cursor(min(self.cursor_row, max(self.row_count - 1, 0)))
        self.refresh()

    def replace_all(self, specs: Sequence[Col], rows: Iterable[Any]) -> None:
        """New columns and rows at once; the cursor goes to the first row."""
        self._use_columns(specs)
        self._laid_for = -1
        self._take(rows)
        self._ensure_layout()
        self.cursor_row = 0
        self.scroll_to(y=0, animate=False)
        self.refresh()

    def update_row(self, key: Hashable, values: Sequence[Any]) -> None:
        """Change one row in place: only its line is drawn again, the cursor does not move."""
        key = str(key)
        index = self._index.get(key)
        if index is None:
            return
        self.data_rows[index] = (key, values)
        self._strips.pop(key, None)
        self._refresh_row(index)

    # ------------------------------------------------------------ cursor
    def current_key(self) -> str | None:
        if 0 <= self.cursor_row < self.row_count:
            return self.data_rows[self.cursor_row][0]
        return None

    def select_key(self, key: Hashable | None) -> bool:
        index = None if key is None else self._index.get(str(key))
        if index is None:
            return False
        self._set_cursor(index)
        return True

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        self._set_cursor(row)

    def _set_cursor(self, row: int) -> None:
        if not self.row_count:
            self.cursor_row = 0
            return
        row = max(0, min(row, self.row_count - 1))
        old, self.cursor_row = self.cursor_row, row
        if old != row:
            self._refresh_row(old)
            self._refresh_row(row)
        self._scroll_to_cursor()

    def _rows_shown(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)  # the header takes a line

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_offset.y)
        shown = self._rows_shown()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + shown:
            self.scroll_to(y=self.cursor_row - shown + 1, animate=False)

    def _refresh_row(self, index: int) -> None:
        y = index - round(self.scroll_offset.y) + 1
        if 1 <= y < self.size.height:
            self.refresh_line(y)

    def action_cursor(self, step: int) -> None:
        self._set_cursor(self.cursor_row + step)

    def action_page(self, step: int) -> None:
        self._set_cursor(self.cursor_row + step * self._rows_shown())

    def action_first_row(self) -> None:
        self._set_cursor(0)

    def action_last_row(self) -> None:
        self._set_cursor(self.row_count - 1)

    def action_select(self) -> None:
        key = self.current_key()
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = round(self.scroll_offset.y) + offset.y - 1
        if 0 <= index < self.row_count:
            self._set_cursor(index)
            if self.click_selects:
                self.action_select()

    # ------------------------------------------------------------ drawing
    def _row_styles(self) -> tuple[Style, Style, Style, Style]:
        base = self.rich_style
        header = self.get_component_rich_style("line-table--header")
        even = self.get_component_rich_style("line-table--even-row")
        cursor = self.get_component_rich_style("line-table--cursor")
        styles = (base, header, even, cursor)
        if styles != self._styles_for:  # theme, focus or dark/light changed: every line anew
            self._styles_for = styles
            self._forget()
        return base, base + header, base + even, cursor

    def _line(self, cells: list[tuple[str, int, bool, Style | None]], style: Style) -> Strip:
        segments: list[Segment] = []
        pad = " " * CELL_PADDING
        for text, width, right, cell_style in cells:
            room = width - cell_len(text)
            shown = (" " * room + text) if right else (text + " " * room)
            segments.append(Segment(pad, style))
            segments.append(Segment(shown, style + cell_style if cell_style else style))
            segments.append(Segment(pad, style))
        strip = Strip(segments)
        width = self._line_width()
        return strip.extend_cell_length(width, style) if width > strip.cell_length else strip.crop(0, width)

    def _render_header(self, style: Style) -> Strip:
        if self._header is None:
            cells = []
            for spec in self.specs:
                if spec.key in self._widths:
                    width = self._widths[spec.key]
                    cells.append((clip(spec.label, width), width, spec.right, None))
            self._header = self._line(cells, style)
        return self._header

    def _render_row(self, index: int, style: Style) -> Strip:
        """One row's line (cache miss: a row new or changed since it was last drawn)."""
        key, values = self.data_rows[index]
        index_of = self._spec_index
        row_style = Style.parse(self.row_styles[key]) if key in self.row_styles else None
        cells = []
        for spec in self.specs:
            width = self._widths.get(spec.key)
            if width is None:
                continue
            i = index_of[spec.key]
            value = values[i] if i < len(values) else ""
            if isinstance(value, Text):
                cell_style = (
                    value.style if isinstance(value.style, Style) else Style.parse(str(value.style or ""))
                )
                text = clip(value.plain, width)
            else:
                cell_style, text = row_style, clip(value, width)
            cells.append((text, width, spec.right, cell_style))
        return self._line(cells, style)

    def render_lines(self, crop: Region) -> list[Strip]:
        # the styles are read once a frame, not once a line: reading them was a quarter of a frame's cost
        self._frame_styles = self._row_styles()
        try:
            return super().render_lines(crop)
        finally:
            self._frame_styles = None

    def render_line(self, y: int) -> Strip:
        self._ensure_layout()
        base, header, even, cursor = self._frame_styles or self._row_styles()
        if y == 0:
            return self._render_header(header)
        index = round(self.scroll_offset.y) + y - 1
        if not 0 <= index < self.row_count:
            return Strip.blank(self._line_width(), base)
        key = self.data_rows[index][0]
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._render_row(index, base if index % 2 else even)
        if index == self.cursor_row:
            return Strip(Segment.apply_style(strip, post_style=cursor), strip.cell_length)
        return strip
