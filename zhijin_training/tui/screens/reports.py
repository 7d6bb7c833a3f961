"""统计 Reports: attendance per cadre and per unit, and the quarterly ranking, for a quarter or a date range.

Any column sorts (click its header, or `s` for the next column and `S` to reverse); Enter drills down to
the participant records behind a row, and Enter there opens that session's attendance. Figures come from
`services.reports` (one rate definition, in `services.rates`); export goes through `zhijin_training.sheets`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from zhijin_training.i18n import label, t
from zhijin_training.services import reports
from zhijin_training.services.context import Context
from zhijin_training.timeutil import (
    DateParseError,
    format_local,
    local_date,
    parse_date,
    quarter_bounds,
    quarter_of,
)
from zhijin_training.tui.base import SectionScreen
from zhijin_training.tui.files import ask_save_path, default_path
from zhijin_training.tui.screens.ops_common import Col, OpsTable, Row, ServiceCalls, rate_text, status_cell
from zhijin_training.tui.screens.ops_dialogs import Field, FormDialog, TableDialog

VIEWS = ("cadre", "unit", "review")
COUNT_FIELDS = ("expected", "present", "late", "left_early", "on_leave", "absent", "deputy")


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    quarter: str | None = None  # set when the period is exactly one quarter

    @property
    def label(self) -> str:
        span = f"{self.start.isoformat()} ~ {self.end.isoformat()}"
        return f"{self.quarter} ({span})" if self.quarter else span


def quarter_period(quarter: str) -> Period:
    start, end = quarter_bounds(quarter)
    return Period(start, end, reports.quarter_label(quarter))


def shift_quarter(quarter: str, step: int) -> str:
    start, _ = quarter_bounds(quarter)
    month0 = start.month - 1 + 3 * step
    return quarter_of(date(start.year + month0 // 12, month0 % 12 + 1, 1))


def load_report(ctx: Context, view: str, period: Period) -> list[Any]:
    """Worker side: the rows of one view (plain dataclasses from services.reports)."""
    if view == "cadre":
        return reports.attendance_by_cadre(ctx, period.start, period.end)
    if view == "unit":
        return reports.attendance_by_unit(ctx, period.start, period.end)
    quarter = period.quarter or quarter_of(period.end)
    return [reports.quarterly_review(ctx, quarter)]


def _count_cols() -> list[Col]:
    return [
        Col(f, t(f"ops.rep.{f}"), 4, right=True, optional=0 if f in ("expected", "absent") else 2)
        for f in COUNT_FIELDS
    ]


def columns_for(view: str) -> list[Col]:
    rate = Col("rate", t("ops.rep.rate"), 6, right=True)
    if view == "cadre":
        return [
            Col("name", t("ops.col.name"), 8, grow=1),
            Col("unit", t("ops.col.unit"), 10, grow=3),
            Col("post", t("ops.col.post"), 10, grow=2, optional=3),
            *_count_cols(),
            rate,
        ]
    if view == "unit":
        return [
            Col("unit", t("ops.col.unit"), 12, grow=3),
            Col("kind", t("ops.rep.kind"), 8, optional=3),
            *_count_cols(),
            rate,
        ]
    return [
        Col("rank", t("ops.rep.rank"), 4, right=True),
        Col("unit", t("ops.col.unit"), 12, grow=3),
        Col("expected", t("ops.rep.expected"), 4, right=True),
        Col("absent", t("ops.rep.absent"), 4, right=True),
        rate,
        Col("previous", t("ops.rep.previous"), 6, right=True),
        Col("change", t("ops.rep.change"), 7, right=True),
    ]


def _change(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:+.1f}"


def row_values(view: str, item: Any) -> list[str | Text]:
    counts = [str(getattr(item.counts, f)) for f in COUNT_FIELDS]
    if view == "cadre":
        return [item.name, item.unit_name, item.post_title, *counts, rate_text(item.rate)]
    if view == "unit":
        return [
            item.unit_name,
            label("unit_kind", item.unit_kind) if item.unit_kind else "",
            *counts,
            rate_text(item.rate),
        ]
    return [
        str(item.rank),
        item.unit_name,
        str(item.counts.expected),
        str(item.counts.absent),
        rate_text(item.rate),
        rate_text(item.previous_rate),
        _change(item.change),
    ]


def sort_value(view: str, column: str) -> Callable[[Any], tuple[int, Any]]:
    """A key that sorts missing values (an undefined rate) last in either direction's first pass."""

    def key(item: Any) -> tuple[int, Any]:
        if column in COUNT_FIELDS:
            value: Any = getattr(item.counts, column)
        elif column == "name":
            value = item.name
        elif column == "unit":
            value = item.unit_name
        elif column == "post":
            value = item.post_title
        elif column == "kind":
            value = item.unit_kind
        elif column == "rank":
            value = item.rank
        else:  # rate, previous, change
            value = getattr(item, {"rate": "rate", "previous": "previous_rate", "change": "change"}[column])
        return (1, 0) if value is None else (0, value)

    return key


def _key(view: str, item: Any) -> str:
    if view == "cadre":
        return f"c{item.cadre_id}"
    return f"u{item.unit_id if item.unit_id is not None else 'none'}"


class ReportsScreen(ServiceCalls, SectionScreen):
    CSS_PATH = "reports.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "next_view", t("ops.rep.k.view")),
        Binding("left_square_bracket", "quarter(-1)", t("ops.rep.k.prev_quarter"), key_display="["),
        Binding("right_square_bracket", "quarter(1)", t("ops.rep.k.next_quarter"), key_display="]"),
        Binding("p", "period", t("ops.rep.k.period")),
        Binding("s", "sort_next", t("ops.rep.k.sort")),
        Binding("S", "sort_reverse", t("ops.rep.k.reverse"), key_display="S"),
        Binding("x", "export('xlsx')", t("ops.rep.k.export_xlsx"), show=False),
        Binding("c", "export('csv')", t("ops.rep.k.export_csv"), show=False),
        Binding("r", "reload", t("ops.k.reload"), show=False),
        Binding("n", "notice", t("notice.absences_key"), show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "cadre"
        self.period: Period | None = None
        self.items: list[Any] = []
        self.review: Any = None
        self.sort_column: str | None = None
        self.sort_reverse = False

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static("", id="rep-bar")
        yield OpsTable(columns_for(self.view), id="rep-table")
        yield from self.compose_bottom()

    @property
    def table(self) -> OpsTable:
        return self.query_one("#rep-table", OpsTable)

    def on_mount(self) -> None:
        self.period = quarter_period(quarter_of(local_date(self.ctx.now())))
        self.table.focus()
        self.load()

    def load(self) -> None:
        assert self.period is not None
        self._show_bar(loading=True)
        self.call_service("report", lambda v=self.view, p=self.period: (v, p, load_report(self.ctx, v, p)))

    def on_screen_resume(self) -> None:
        """Back on this section: figures may have changed meanwhile (the app polls only the visible screen)."""
        if self.period is not None and self.items:
            self.load()

    def refresh_data(self) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_notice(self) -> None:
        """The 通报 of the quarter shown (or of the quarter the period starts in)."""
        from zhijin_training.tui.screens.notice_form import open_absence_notice

        assert self.period is not None
        open_absence_notice(self, self.period.quarter or quarter_of(self.period.start))

    def done_report(self, result: tuple[str, Period, list[Any]]) -> None:
        view, period, items = result
        if view != self.view or period != self.period:
            return
        if view == "review":
            self.review = items[0]
            items = list(self.review.rows)
        self.items = items
        self.table.specs = columns_for(view)
        self._fill()
        self.table.relayout(force=True)
        self._show_bar()

    def _fill(self) -> None:
        items = list(self.items)
        if self.sort_column:
            known = [i for i in items if sort_value(self.view, self.sort_column)(i)[0] == 0]
            unknown = [i for i in items if sort_value(self.view, self.sort_column)(i)[0] == 1]
            known.sort(key=sort_value(self.view, self.sort_column), reverse=self.sort_reverse)
            items = known + unknown  # undefined figures stay at the bottom either way
        self.table.marker = {self.sort_column: "*"} if self.sort_column else {}
        self.table.set_rows([(_key(self.view, i), row_values(self.view, i)) for i in items])

    def _show_bar(self, *, loading: bool = False) -> None:
        assert self.period is not None
        text = Text(no_wrap=True, overflow="crop", end="")
        text.append(t(f"ops.rep.view.{self.view}"), style="bold reverse")
        text.append("  " + self.period.label)
        if self.sort_column:
            name = next(
                (c.label for c in columns_for(self.view) if c.key == self.sort_column), self.sort_column
            )
            direction = t("ops.rep.desc") if self.sort_reverse else t("ops.rep.asc")
            text.append("  " + t("ops.rep.sorted", column=name, direction=direction))
        if self.view == "review" and self.review is not None:
            text.append(
                "  "
                + t("ops.rep.below", n=len(self.review.below), threshold=rate_text(self.review.threshold))
            )
        if loading:
            text.append("  " + t("ops.loading"), style="dim")
        else:
            text.append("  " + t("ops.rep.rows", n=len(self.items)), style="dim")
        self.query_one("#rep-bar", Static).update(text)

    # ------------------------------------------------------------ view, period, sort
    def action_next_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        if self.view == "review" and self.period is not None and not self.period.quarter:
            self.period = quarter_period(quarter_of(self.period.end))
        self.sort_column = None
        self.sort_reverse = False
        self.items = []
        self.load()

    def action_quarter(self, step: int) -> None:
        assert self.period is not None
        base = self.period.quarter or quarter_of(self.period.start)
        self.period = quarter_period(shift_quarter(base, step))
        self.load()

    def action_period(self) -> None:
        assert self.period is not None
        fields = [
            Field("quarter", t("ops.rep.quarter"), value=self.period.quarter or "", placeholder="2026Q3"),
            Field("start", t("ops.rep.start"), value=self.period.start.isoformat()),
            Field("end", t("ops.rep.end"), value=self.period.end.isoformat()),
        ]
        self.app.push_screen(
            FormDialog(t("ops.rep.period_title"), fields, note=t("ops.rep.period_note")), self._period_chosen
        )

    def _period_chosen(self, values: dict[str, str] | None) -> None:
        if not values:
            return
        try:
            if values["quarter"] and values["quarter"] != (self.period.quarter if self.period else ""):
                self.period = quarter_period(values["quarter"])
            else:
                start = parse_date(values["start"], field=t("ops.rep.start"))
                end = parse_date(values["end"], field=t("ops.rep.end"))
                if end < start:
                    raise DateParseError(t("ops.rep.end_before_start"))
                quarter = quarter_of(start)
                exact = quarter_bounds(quarter) == (start, end)
                self.period = Period(start, end, reports.quarter_label(quarter) if exact else None)
        except DateParseError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if self.view == "review" and not self.period.quarter:
            self.view = "cadre"
        self.load()

    def _sort_by(self, column: str) -> None:
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column = column
            # figures read best largest first, except the rank
            self.sort_reverse = column not in ("name", "unit", "post", "kind", "rank")
        self._fill()
        self._show_bar()

    def action_sort_next(self) -> None:
        keys = [c.key for c in self.table.specs if c.key in self.table.columns]
        if not keys:
            return
        index = keys.index(self.sort_column) + 1 if self.sort_column in keys else 0
        self.sort_column = None
        self._sort_by(keys[index % len(keys)])

    def action_sort_reverse(self) -> None:
        if self.sort_column is None:
            self.action_sort_next()
            return
        self.sort_reverse = not self.sort_reverse
        self._fill()
        self._show_bar()

    @on(DataTable.HeaderSelected, "#rep-table")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        if event.column_key.value:
            self._sort_by(event.column_key.value)

    # ------------------------------------------------------------ drill down
    @on(DataTable.RowSelected, "#rep-table")
    def _drill(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value or ""
        if self.period is None or key.endswith("none"):
            return
        period = self.period
        per_unit = key.startswith("u")
        target_id = int(key[1:])
        if per_unit:
            name = next((i.unit_name for i in self.items if i.unit_id == target_id), "")
        else:
            name = next((i.name for i in self.items if getattr(i, "cadre_id", None) == target_id), "")
        ctx = self.ctx

        def behind() -> tuple[str, bool, list[Any]]:
            which = {"unit_id": target_id} if per_unit else {"cadre_id": target_id}
            return name, per_unit, reports.sessions_behind(ctx, start=period.start, end=period.end, **which)

        self.call_service("behind", behind)

    def done_behind(self, result: tuple[str, bool, list[Any]]) -> None:
        name, per_unit, rows = result
        columns = [Col("when", t("ops.col.when"), 16), Col("title", t("ops.col.title"), 16, grow=3)]
        if per_unit:
            columns.append(Col("who", t("ops.col.name"), 8, grow=1))
        columns.append(Col("status", t("ops.col.status"), 6))
        table_rows: list[Row] = []
        for i, r in enumerate(rows):
            values: list[str | Text] = [format_local(r.starts_at), r.title]
            if per_unit:
                values.append(r.cadre_name)
            values.append(status_cell(r.status))
            table_rows.append((f"{r.session_id}:{i}", values))
        assert self.period is not None
        title = t("ops.rep.behind_title", name=name, period=self.period.label, n=len(rows))

        def picked(key: str | None) -> None:
            if key:
                self.zapp.open_attendance(int(key.split(":")[0]))

        self.app.push_screen(
            TableDialog(title, columns, table_rows, note=t("ops.rep.behind_note"), pickable=True), picked
        )

    # ------------------------------------------------------------ export
    def action_export(self, fmt: str) -> None:
        try:
            from zhijin_training.sheets import ledger
        except ImportError:
            self.show_info(t("ops.unavailable"))
            return
        if self.period is None or not self.items:
            self.show_info(t("ops.rep.nothing"))
            return
        period, view = self.period, self.view
        name = period.quarter or f"{period.start.isoformat()}_{period.end.isoformat()}"
        default = default_path(f"{t('ops.rep.file')}-{t(f'ops.rep.view.{view}')}-{name}.{fmt}")
        org = self.ctx.settings.org_name if self.ctx.settings else ""
        items, review = list(self.items), self.review

        def write(path: Path) -> Path:
            if view == "cadre":
                books = [ledger.cadre_ledger(items, period.start, period.end, org=org)]
            elif view == "unit":
                books = [ledger.unit_ledger(items, period.start, period.end, org=org)]
            else:
                books = ledger.review_ledgers(review, org=org)
            if fmt == "csv":
                return ledger.write_csv(books[0], path, bom=True)
            return ledger.write_xlsx(books, path)

        ask_save_path(
            self, t("ops.rep.export_title"), default, lambda path: self.call_service("exported", write, path)
        )

    def done_exported(self, path: Any) -> None:
        self.show_info(t("ops.saved_to", path=str(path)))
