"""One table widget: a row-cursor DataTable whose cells are always literal text cut to their column (CJK-aware).

    table = Table([Col("name", "姓名", 8, grow=1), Col("unit", "单位", 12, grow=3, optional=1)])
    table.set_rows([(cadre.id, (cadre.name, cadre.unit_name)), ...])      # (key, values[, row style])
    table.selected_key   # the key as given (an int stays an int), or None
    table.update_row(key, values)   # one row redrawn in place, the cursor stays

- Columns share the width the table has: each has a minimum width in cells and a share (`grow`) of the
  rest; `optional` columns are dropped (highest first) when the terminal is too narrow. The table lays
  itself out again when resized and keeps the cursor on the same row key.
- A value is shown literally (never markup, never terminal escapes) and cut with an ASCII `..`; a rich Text
  keeps its style. Widths are measured with `rich.cells.cell_len`.
- The short form `Table([("day", "日期", 8), ("title", "标题", 0)])` (width <= 0: a flexible column
  weighing `-width`, at least 1) is accepted too.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from zhijin_training.textsafe import printable
from zhijin_training.tui.kit.compat import replace_row_cells, row_cells
from zhijin_training.tui.widgets.text import fit


@dataclass(frozen=True)
class Col:
    """A column: its minimum width in cells, its share of spare width, and when it may be dropped."""

    key: str
    label: str
    width: int
    grow: int = 0
    right: bool = False
    optional: int = 0  # >0: dropped (highest first) when the table is too narrow


Row = tuple[Hashable, Sequence["str | Text | object"]]  # (row key, cell values in column order)


def clip(text: object, width: int) -> str:
    """`text` made printable and cut to at most `width` cells (ends in '..' when cut)."""
    return fit("" if text is None else text, width)


def cell(text: object, width: int | None = None, *, right: bool = False, style: str = "") -> Text:
    """A table cell: always a Text (a plain str would be parsed as markup by DataTable)."""
    raw = "" if text is None else str(text)
    shown = clip(raw, width) if width else printable(raw)
    return Text(shown, style=style, justify="right" if right else "left", no_wrap=True, end="")


def _as_col(spec: Col | tuple[str, str, int]) -> Col:
    if isinstance(spec, Col):
        return spec
    key, label, width = spec
    return Col(key, label, width) if width > 0 else Col(key, label, 1, grow=max(1, -width))


def fit_columns(specs: Sequence[Col], total: int, pad: int) -> dict[str, int]:
    """Column key -> width in cells for a table `total` cells wide (`pad`: the cells around each value)."""
    avail = max(total - 2, 20)  # leave room for the vertical scrollbar
    cols = list(specs)
    while len(cols) > 1 and sum(c.width + pad for c in cols) > avail:
        optional = [c for c in cols if c.optional]
        if not optional:
            break
        cols.remove(max(optional, key=lambda c: c.optional))
    spare = max(avail - sum(c.width + pad for c in cols), 0)
    shares = sum(c.grow for c in cols) or 1
    return {c.key: c.width + (spare * c.grow) // shares for c in cols}


class RowKeys:
    """Rows are keyed by a shown string, and the key as it was given (an int id) is kept beside it: the one
    key API of the kit's tables (`Table`, `LineTable`), which set `_keys` and `data_rows` and say
    `current_key()`."""

    _keys: dict[str, Hashable]
    data_rows: list[tuple[str, Sequence[Any]]]

    def current_key(self) -> str | None:
        raise NotImplementedError

    @property
    def selected_key(self) -> Hashable | None:
        """The key of the row under the cursor, as it was given to set_rows."""
        key = self.current_key()
        return None if key is None else self._keys.get(key, key)

    @property
    def keys(self) -> list[Hashable]:
        return [self._keys.get(k, k) for k, _ in self.data_rows]


class Table(RowKeys, DataTable[Text]):
    """A row-cursor table that fits its columns to its own width and keeps the cursor on re-layout."""

    DEFAULT_CSS = """
    Table { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "first_row", show=False),
        Binding("end", "last_row", show=False),
    ]

    FILL_CHUNK = 250  # rows added per turn of the event loop after the first screenful
    FILL_PAUSE = 0.01  # seconds between chunks
    HIDDEN_PAUSE = 0.25  # seconds between looks while the table's screen is not the one shown

    def __init__(
        self,
        columns: Sequence[Col | tuple[str, str, int]],
        *,
        id: str | None = None,
        first_rows: int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(id=id, **kwargs)
        self.specs = [_as_col(c) for c in columns]
        # None: every row is added at once. N: a long list shows its first N rows at once and the rest is
        # added in chunks after that first paint (DataTable takes ~0.2 ms a row: 8,000 cadres are seconds)
        self.first_rows = first_rows
        self._filled = 0  # data_rows[:_filled] are in the DataTable
        self._fill_turn = 0  # a rebuild makes the chunks of an earlier one stale
        self._keep_when_filled: str | None = None
        self.data_rows: list[tuple[str, Sequence[Any]]] = []
        self.row_styles: dict[str, str] = {}
        self.marker: dict[str, str] = {}  # column key -> suffix shown on its label (sort state)
        self._keys: dict[str, Hashable] = {}  # shown key -> the key as given
        self._widths: dict[str, int] = {}
        self._laid_for = -1

    # ------------------------------------------------------------ layout
    def _fit(self, total: int) -> dict[str, int]:
        return fit_columns(self.specs, total, 2 * self.cell_padding)

    def _label(self, spec: Col, width: int) -> Text:
        text = spec.label + self.marker.get(spec.key, "")
        return Text(clip(text, width), justify="right" if spec.right else "left", no_wrap=True)

    def _render_value(self, spec: Col, value: Any, width: int, row_style: str = "") -> Text:
        if isinstance(value, Text):
            if cell_len(value.plain) <= width:
                return value
            return cell(value.plain, width, right=spec.right, style=str(value.style or ""))
        return cell(value, width, right=spec.right, style=row_style)

    def _cells(self, key: str, values: Sequence[Any]) -> list[Text]:
        index = {s.key: i for i, s in enumerate(self.specs)}
        style = self.row_styles.get(key, "")
        return [
            self._render_value(
                s, values[index[s.key]] if index[s.key] < len(values) else "", self._widths[s.key], style
            )
            for s in self.specs
            if s.key in self._widths
        ]

    def relayout(self, *, force: bool = False) -> None:
        width = self.size.width
        if width <= 0 or (width == self._laid_for and not force):
            return
        self._laid_for = width
        self._widths = self._fit(width)
        self._rebuild()

    def _rebuild(self) -> None:
        keep = self.current_key()
        self.clear(columns=True)
        for spec in self.specs:
            if spec.key in self._widths:
                width = self._widths[spec.key]
                self.add_column(self._label(spec, width), width=width, key=spec.key)
        self._fill_turn += 1
        self._filled = 0
        rows = self.data_rows
        now = len(rows)
        if self.first_rows is not None and len(rows) > 2 * self.first_rows:
            now = self.first_rows
        self._add(now)
        self._keep_when_filled = None
        if not self.select_key(keep) and now < len(rows):
            self._keep_when_filled = keep  # further down: the cursor goes there once it is added
        if now < len(rows):
            self._next_chunk(self._fill_turn)

    def _add(self, stop: int) -> None:
        for key, values in self.data_rows[self._filled : stop]:
            self.add_row(*self._cells(key, values), key=key)
        self._filled = max(self._filled, min(stop, len(self.data_rows)))

    def _fill_more(self, turn: int) -> None:
        if turn != self._fill_turn or not self.is_attached:
            return  # rebuilt (or gone) meanwhile
        if self.screen is not self.app.screen:  # another section or a dialog in front: wait for it
            self._next_chunk(turn, self.HIDDEN_PAUSE)
            return
        self._add(self._filled + self.FILL_CHUNK)
        if self._keep_when_filled is not None and self.select_key(self._keep_when_filled):
            self._keep_when_filled = None
        if self._filled < len(self.data_rows):
            self._next_chunk(turn)

    def _next_chunk(self, turn: int, pause: float | None = None) -> None:
        # a timer, not call_later: the message queue would run every chunk back to back, before any paint
        # or key press; between timer ticks the screen repaints and keys are handled
        self.set_timer(self.FILL_PAUSE if pause is None else pause, lambda: self._fill_more(turn))

    @property
    def filling(self) -> bool:
        """Rows of the last set_rows are still being added (a long list, `first_rows`)."""
        return self._filled < len(self.data_rows)

    def on_resize(self) -> None:
        self.relayout()

    def _ensure_widths(self) -> None:
        if not self._widths:
            if self.size.width:
                self.relayout(force=True)
            if not self._widths:
                self._widths = self._fit(120)

    # ------------------------------------------------------------ data
    def _take(self, rows: Iterable[Any]) -> list[tuple[str, Sequence[Any]]]:
        out = []
        for row in rows:
            key = str(row[0])
            self._keys[key] = row[0]
            if len(row) > 2 and row[2]:
                self.row_styles[key] = row[2]
            else:
                self.row_styles.pop(key, None)
            out.append((key, row[1]))
        return out

    def set_rows(self, rows: Iterable[Any]) -> None:
        """Replace every row; the cursor stays on the same key when it is still there."""
        self._keys, self.row_styles = {}, {}
        self.data_rows = self._take(rows)
        self._ensure_widths()
        self._rebuild()

    def replace_all(self, specs: Sequence[Col], rows: Iterable[Any]) -> None:
        """New columns and rows at once: one rebuild."""
        self.specs = [_as_col(c) for c in specs]
        self._keys, self.row_styles = {}, {}
        self.data_rows = self._take(rows)
        width = self.size.width
        self._laid_for = width if width > 0 else -1
        self._widths = self._fit(width if width > 0 else 120)
        self._rebuild()

    def append_rows(self, rows: Iterable[Any]) -> None:
        self._ensure_widths()
        filling = self.filling
        for key, values in self._take(rows):
            if key in self.rows or any(k == key for k, _ in self.data_rows[self._filled :]):
                continue
            self.data_rows.append((key, values))
            if not filling:  # else the chunks still to come add it in its place
                self.add_row(*self._cells(key, values), key=key)
                self._filled = len(self.data_rows)

    def update_row(self, key: Hashable, values: Sequence[Any]) -> None:
        """Change one row in place (no rebuild, the cursor does not move)."""
        key = str(key)
        for i, (k, _old) in enumerate(self.data_rows):
            if k == key:
                self.data_rows[i] = (key, values)
                break
        else:
            return
        if key not in self.rows:
            return
        shown = [s for s in self.specs if s.key in self._widths]
        old = row_cells(self, key)
        changes = {
            s.key: value
            for s, value in zip(shown, self._cells(key, values), strict=True)
            if old.get(s.key) != value
        }
        if changes and not replace_row_cells(self, key, changes):  # a Textual without these internals
            for column, value in changes.items():
                self.update_cell(key, column, value)

    def set_marker(self, key: str, suffix: str) -> None:
        self.marker = {key: suffix} if suffix else {}
        if self._widths:
            self._rebuild()

    # ------------------------------------------------------------ cursor
    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0, animate=False)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def current_key(self) -> str | None:
        """The shown (string) key of the row under the cursor."""
        if not self.row_count or self.cursor_row < 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # the cursor can point past the end while rows are being replaced
            return None


    def select_key(self, key: Hashable | None) -> bool:
        if key is None or str(key) not in self.rows:
            return False
        self.move_cursor(row=self.get_row_index(str(key)), animate=False)
        return True

    def row_key_at(self, index: int) -> str | None:
        if 0 <= index < len(self.data_rows):
            return self.data_rows[index][0]
        return None
