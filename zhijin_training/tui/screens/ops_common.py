"""Shared pieces of the Roster, Attendance, Reports and Audit screens.

- `clip` / `cell`: user text made literal (no markup, no escapes) and cut to a column's width in cells,
  with an ASCII ellipsis (the typographic one is ambiguous-width in CJK terminals);
- `OpsTable`: a row-cursor DataTable whose columns share the width it has, dropping optional columns
  when the terminal is narrow, and re-laying itself out when resized;
- `error_text`: one clear line for any exception a worker caught (never a traceback);
- `ServiceCalls`: service calls in thread workers whose results come back as messages (stale ones dropped).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from zhijin_training.i18n import t
from zhijin_training.services.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from zhijin_training.services.rates import format_rate
from zhijin_training.textsafe import printable
from zhijin_training.timeutil import format_local
from zhijin_training.tui.widgets.text import fit


def clip(text: str | None, width: int) -> str:
    """`text` made printable and cut to at most `width` cells (part A's `fit`: ends in '..' when cut)."""
    return fit(text or "", width)


def cell(text: str | None, width: int | None = None, *, right: bool = False, style: str = "") -> Text:
    """A table cell: always a Text (a plain str would be parsed as markup by DataTable)."""
    shown = clip(text, width) if width else printable(text)
    return Text(shown, style=style, justify="right" if right else "left", no_wrap=True, end="")


def rate_text(rate: float | None) -> str:
    """The rate as the services format it, with an ASCII dash for 'undefined' (the em dash is ambiguous)."""
    return format_rate(rate).replace("\u2014", "-")


def when(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return format_local(value, fmt) if value else ""


def error_text(exc: BaseException) -> str:
    """One line for the user: what kind of problem, then the service's own message."""
    if isinstance(exc, PermissionDenied):
        return t("ops.err.permission", msg=exc.message)
    if isinstance(exc, ConflictError):
        return t(
            "ops.err.conflict",
            who=printable(exc.changed_by) or "?",
            at=when(exc.changed_at) or "?",
        )
    if isinstance(exc, ValidationError | NotFoundError):
        return t("ops.err.invalid", msg=printable(exc.message))
    if isinstance(exc, DomainError):
        return printable(exc.message)
    text = str(exc).splitlines()[0] if str(exc) else ""
    if "locked" in text.lower():
        return t("ops.err.locked")
    return t("ops.err.unexpected", kind=type(exc).__name__, msg=printable(text)[:200])


@dataclass(frozen=True)
class Col:
    """A column: its minimum width in cells, its share of spare width, and when it may be dropped."""

    key: str
    label: str
    width: int
    grow: int = 0
    right: bool = False
    optional: int = 0  # >0: dropped (highest first) when the table is too narrow


Row = tuple[str, Sequence[str | Text]]  # (row key, cell values in column order)


class OpsTable(DataTable[Text]):
    """A row-cursor table that fits its columns to its own width and keeps the cursor on re-layout."""

    DEFAULT_CSS = """
    OpsTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "first_row", show=False),
        Binding("end", "last_row", show=False),
    ]

    def __init__(self, columns: Sequence[Col], *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self.specs = list(columns)
        self.data_rows: list[Row] = []
        self.marker: dict[str, str] = {}  # column key -> suffix shown on its label (sort state)
        self._widths: dict[str, int] = {}
        self._laid_for = -1

    # ------------------------------------------------------------ layout
    def _fit(self, total: int) -> dict[str, int]:
        pad = 2 * self.cell_padding
        avail = max(total - 2, 20)  # leave room for the vertical scrollbar
        cols = list(self.specs)
        while len(cols) > 1 and sum(c.width + pad for c in cols) > avail:
            optional = [c for c in cols if c.optional]
            if not optional:
                break
            cols.remove(max(optional, key=lambda c: c.optional))
        spare = max(avail - sum(c.width + pad for c in cols), 0)
        shares = sum(c.grow for c in cols) or 1
        widths = {c.key: c.width + (spare * c.grow) // shares for c in cols}
        return widths

    def _label(self, spec: Col, width: int) -> Text:
        text = spec.label + self.marker.get(spec.key, "")
        return Text(clip(text, width), justify="right" if spec.right else "left", no_wrap=True)

    def _render_value(self, spec: Col, value: str | Text, width: int) -> Text:
        if isinstance(value, Text):
            if cell_len(value.plain) <= width:
                return value
            return cell(value.plain, width, right=spec.right, style=str(value.style or ""))
        return cell(value, width, right=spec.right)

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
        shown = [s for s in self.specs if s.key in self._widths]
        for spec in shown:
            self.add_column(
                self._label(spec, self._widths[spec.key]), width=self._widths[spec.key], key=spec.key
            )
        index = {s.key: i for i, s in enumerate(self.specs)}
        for key, values in self.data_rows:
            self.add_row(
                *(self._render_value(s, values[index[s.key]], self._widths[s.key]) for s in shown), key=key
            )
        self.select_key(keep)

    def on_resize(self) -> None:
        self.relayout()

    # ------------------------------------------------------------ data
    def set_rows(self, rows: Sequence[Row]) -> None:
        """Replace every row; the cursor stays on the same key when it is still there."""
        self.data_rows = list(rows)
        if not self._widths:
            self.relayout(force=True) if self.size.width else None
            if not self._widths:
                self._widths = self._fit(120)
        self._rebuild()

    def replace_all(self, specs: Sequence[Col], rows: Sequence[Row]) -> None:
        """New columns and rows at once: one rebuild (set_rows then relayout would build the table twice)."""
        self.specs = list(specs)
        self.data_rows = list(rows)
        width = self.size.width
        self._laid_for = width if width > 0 else -1
        self._widths = self._fit(width if width > 0 else 120)
        self._rebuild()

    def append_rows(self, rows: Sequence[Row]) -> None:
        shown = [s for s in self.specs if s.key in self._widths]
        index = {s.key: i for i, s in enumerate(self.specs)}
        for key, values in rows:
            if key in self.rows:
                continue
            self.data_rows.append((key, values))
            self.add_row(
                *(self._render_value(s, values[index[s.key]], self._widths[s.key]) for s in shown), key=key
            )

    def update_row(self, key: str, values: Sequence[str | Text]) -> None:
        """Change one row in place (no rebuild, the cursor does not move)."""
        for i, (k, _old) in enumerate(self.data_rows):
            if k == key:
                self.data_rows[i] = (key, values)
                break
        else:
            return
        if key not in self.rows:
            return
        index = {s.key: i for i, s in enumerate(self.specs)}
        cells = self._data[key]  # type: ignore[index]
        changes = {}
        for spec in self.specs:
            if spec.key in self._widths:
                value = self._render_value(spec, values[index[spec.key]], self._widths[spec.key])
                if cells.get(spec.key) != value:  # type: ignore[call-overload]
                    changes[spec.key] = value
        if changes:
            self._update_cells_of_row(key, changes)

    def _update_cells_of_row(self, key: str, changes: dict[str, Text]) -> None:
        """Change cells of one row and re-render that row alone.

        DataTable.update_cell bumps one update counter that is part of every render cache key, so a single
        changed cell re-renders every visible row (~150 ms for a 300-person list at 120x40). Here the cells
        are replaced and only this row's cache entries dropped; the other rows come from the caches.
        """
        try:
            row_index = self.get_row_index(key)
            data = self._data[key]  # type: ignore[index]
            caches = (self._cell_render_cache, self._row_render_cache)
            renderables = self._row_renderable_cache
        except (AttributeError, KeyError, LookupError):  # a Textual without these internals: the slow path
            for column, value in changes.items():
                self.update_cell(key, column, value)
            return
        for column, value in changes.items():
            data[column] = value  # type: ignore[index]
        for cache in caches:
            for cache_key in [k for k in cache.keys() if k[0] == key]:  # noqa: SIM118 (LRUCache: no __iter__)
                cache.discard(cache_key)
        renderables.discard((self._update_count, row_index))
        self._line_cache.clear()  # keyed by screen line: cheap to rebuild from the row caches
        self.refresh_row(row_index)

    def set_marker(self, key: str, suffix: str) -> None:
        self.marker = {key: suffix} if suffix else {}
        if self._widths:
            self._rebuild()

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0, animate=False)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def current_key(self) -> str | None:
        if not self.row_count or self.cursor_row < 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # the cursor can point past the end while rows are being replaced
            return None

    def select_key(self, key: str | None) -> None:
        if key is None or key not in self.rows:
            return
        self.move_cursor(row=self.get_row_index(key), animate=False)

    def row_key_at(self, index: int) -> str | None:
        if 0 <= index < len(self.data_rows):
            return self.data_rows[index][0]
        return None


def status_label(status: str | None) -> str:
    return t(f"status.{status}") if status else t("status.none")


STATUS_STYLES: dict[str | None, str] = {
    "present": "green",
    "late": "yellow",
    "left_early": "yellow",
    "on_leave": "cyan",
    "absent": "bold red",
    "deputy": "magenta",
    None: "dim",
}


def status_cell(status: str | None) -> Text:
    return Text(status_label(status), style=STATUS_STYLES.get(status, ""), no_wrap=True, end="")


class ServiceDone(Message):
    """A service call made in a thread worker finished: its result or the exception it raised."""

    def __init__(self, tag: str, token: int, result: Any = None, error: BaseException | None = None) -> None:
        super().__init__()
        self.tag = tag
        self.token = token
        self.result = result
        self.error = error


class ServiceCalls:
    """Mixin for screens: run a service function in a thread worker and get `done_<tag>(result)` back.

    The worker only calls the service and posts a message; the handler runs on the UI thread. A newer call
    with the same tag makes older results stale (they are dropped), so a slow search never overwrites a
    newer one. Errors go to `failed_<tag>(exc)` when defined, else to a notification.
    """

    _tokens: dict[str, int]

    def call_service(self, tag: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        tokens = self.__dict__.setdefault("_tokens", {})
        tokens[tag] = token = tokens.get(tag, 0) + 1
        target: Any = self

        def job() -> None:
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:  # every failure becomes a message: no traceback reaches the user
                target.post_message(ServiceDone(tag, token, error=exc))
            else:
                target.post_message(ServiceDone(tag, token, result=result))

        target.run_worker(job, thread=True, group=f"ops-{tag}", exit_on_error=False)

    def on_service_done(self, message: ServiceDone) -> None:
        message.stop()
        if message.token != self.__dict__.get("_tokens", {}).get(message.tag):
            return  # a newer call of the same kind was made meanwhile
        if message.error is not None:
            failed = getattr(self, f"failed_{message.tag}", None)
            if failed is not None:
                failed(message.error)
            else:
                self.show_error(message.error)
            return
        done = getattr(self, f"done_{message.tag}", None)
        if done is not None:
            done(message.result)

    def show_error(self, exc: BaseException) -> None:
        target: Any = self
        target.notify(error_text(exc), severity="error", markup=False, timeout=8)

    def show_info(self, text: str) -> None:
        target: Any = self
        target.notify(text, markup=False, timeout=5)
