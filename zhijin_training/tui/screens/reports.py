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
from textual.widgets import DataTable, Static

from zhijin_training.enums import status_spec, status_values
from zhijin_training.i18n import label, t
from zhijin_training.services import reports
from zhijin_training.services.context import Context
from zhijin_training.timeutil import (
    format_local,
    local_date,
    quarter_bounds,
    quarter_of,
)
from zhijin_training.tui.base import SectionScreen
from zhijin_training.tui.files import ask_save_path, default_path
from zhijin_training.tui.kit.dialogs import Choice, Field, FieldError, FormDialog, TableDialog
from zhijin_training.tui.kit.keymap import Key, keys
from zhijin_training.tui.kit.table import Col, Row, Table
from zhijin_training.tui.screens.ops_common import rate_text, short_status, status_cell

VIEWS = ("cadre", "unit", "review")
# 应到 then one column per attendance status, from the status table (enums.STATUS_SPECS)
COUNT_FIELDS = ("expected", *status_values())


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


def load_report(ctx: Context, view: str, period: Period, first_cadres: int | None = None) -> list[Any]:
    """Worker side: the rows of one view (plain dataclasses from services.reports); `first_cadres`: the
    start of the per-cadre list only (services.reports.attendance_by_cadre)."""
    if view == "cadre":
        return reports.attendance_by_cadre(ctx, period.start, period.end, first_cadres=first_cadres)
    if view == "unit":
        return reports.attendance_by_unit(ctx, period.start, period.end)
    quarter = period.quarter or quarter_of(period.end)
    return [reports.quarterly_review(ctx, quarter)]


FIRST_ROWS = 120  # a long report shows this many rows at once, the rest right after (kit.table.Table)
# a report opened afresh on a large roster is painted first for this many cadres of the roster (a few
# screenfuls of participants), then whole: a province's 40,000 rows take a second more to read
FIRST_CADRES = 300


def _with_rows(view: str, items: list[Any]) -> tuple[Any, list[Any], list[Row]]:
    """Worker side too: the review (or None), the items listed (a review's rows) and their table rows."""
    review = items[0] if view == "review" else None
    listed = list(review.rows) if review is not None else items
    return review, listed, [(_key(view, i), row_values(view, i)) for i in listed]


def _count(counts: Any, field: str) -> int:
    return int(counts.expected if field == "expected" else counts[field])


def _count_cols() -> list[Col]:
    return [
        Col(
            f,
            t("reports.expected") if f == "expected" else short_status(f),
            4,
            right=True,
            optional=0 if f == "expected" or status_spec(f).in_notice else 2,
        )
        for f in COUNT_FIELDS
    ]


def columns_for(view: str) -> list[Col]:
    rate = Col("rate", t("reports.rate"), 6, right=True)
    if view == "cadre":
        return [
            Col("name", t("common.col.name"), 8, grow=1),
            Col("unit", t("common.col.unit"), 10, grow=3),
            Col("post", t("common.col.post"), 10, grow=2, optional=3),
            *_count_cols(),
            rate,
        ]
    if view == "unit":
        return [
            Col("unit", t("common.col.unit"), 12, grow=3),
            Col("kind", t("reports.kind"), 8, optional=3),
            *_count_cols(),
            rate,
        ]
    return [
        Col("rank", t("reports.rank"), 4, right=True),
        Col("unit", t("common.col.unit"), 12, grow=3),
        Col("expected", t("reports.expected"), 4, right=True),
        Col("absent", short_status("absent"), 4, right=True),
        rate,
        Col("previous", t("reports.previous"), 6, right=True),
        Col("change", t("reports.change"), 7, right=True),
    ]


def _change(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:+.1f}"


def row_values(view: str, item: Any) -> list[str | Text]:
    counts = [str(_count(item.counts, f)) for f in COUNT_FIELDS]
    if view == "cadre":
        # "*": some of these sessions were attended from another unit (the drill-down says which)
        unit = item.unit_name + (" *" if getattr(item, "elsewhere", ()) else "")
        return [item.name, unit, item.post_title, *counts, rate_text(item.rate)]
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
            value: Any = _count(item.counts, column)
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


class ReportsScreen(SectionScreen):
    CSS_PATH = "reports.tcss"
    KEYS: ClassVar = keys(
        Key("reports.view", "t", "next_view", "reports.k.view"),
        Key(
            "reports.previous",
            "left_square_bracket",
            "quarter(-1)",
            "reports.k.prev_quarter",
            key_display="[",
        ),
        Key("reports.next", "right_square_bracket", "quarter(1)", "reports.k.next_quarter", key_display="]"),
        Key("reports.period", "p", "period", "reports.k.period"),
        Key("reports.sort", "s", "sort_next", "reports.k.sort"),
        Key("reports.reverse", "S", "sort_reverse", "reports.k.reverse", key_display="S"),
        Key("reports.export", "o", "export_as", "reports.k.export"),
        # n: the quarter's 通报 as the editable notice form that writes the .docx (issue 13);
        # N: the same absences as plain text to read, copy or save (the i10 text view)
        Key("reports.notice", "n", "notice", "notice.absences_key", tooltip="notice.absences_long"),
        Key(
            "reports.notice_text",
            "N",
            "notice_text",
            "notice.absences_text_key",
            tooltip="notice.absences_text_long",
            key_display="N",
            show=False,
        ),
        Key("reports.reload", "r,f5,ctrl+r", "reload", "common.k.reload", show=False),
    )

    def __init__(self) -> None:
        super().__init__()
        self.view = "cadre"
        self.period: Period | None = None
        self.items: list[Any] = []
        self.review: Any = None
        self.sort_column: str | None = None
        self.sort_reverse = False
        self._whole: tuple[str, Period] | None = None  # the view and period whose whole list is shown

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static("", id="rep-bar")
        yield Table(columns_for(self.view), id="rep-table", first_rows=FIRST_ROWS)
        yield from self.compose_bottom()

    @property
    def table(self) -> Table:
        return self.query_one("#rep-table", Table)

    def on_mount(self) -> None:
        self.period = quarter_period(quarter_of(local_date(self.ctx.now())))
        self.table.focus()
        self.load()

    def load(self) -> None:
        assert self.period is not None
        self._show_bar(loading=True)
        view, period = self.view, self.period
        # a first screenful, then the whole list: only when this view and period are not shown yet (a
        # refresh replaces the rows in one go) and the rows keep the roster's order (no sort by a figure)
        first = (
            view == "cadre"
            and self._whole != (view, period)
            and not self.sort_column
            and reports.first_cadres_pay(period.start, period.end)
        )
        self._load_rows(view, period, FIRST_CADRES if first else None)

    def _load_rows(self, view: str, period: Period, first: int | None = None) -> None:
        """The rows in a worker: the first `first` cadres (then `done_report` asks for the rest), or all."""
        ctx = self.ctx
        self.call_service(
            "report",
            lambda: (view, period, *_with_rows(view, load_report(ctx, view, period, first)), first is None),
        )

    def on_screen_resume(self) -> None:
        """Back on this section: figures may have changed meanwhile (the app polls only the visible screen)."""
        if self.period is not None and self.items:
            self.load()

    def refresh_data(self) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_notice(self) -> None:
        """n: the 通报 of the quarter shown (or of the quarter the period starts in), as a .docx notice form."""
        from zhijin_training.tui.screens.notice_form import open_absence_notice

        if self.period is None:
            self.show_info(t("feat.notice.none"))
            return
        open_absence_notice(self, self.period.quarter or quarter_of(self.period.start))

    def done_report(self, result: tuple[str, Period, Any, list[Any], list[Row], bool]) -> None:
        view, period, review, items, rows, whole = result
        if view != self.view or period != self.period:
            return
        if view == "review":
            self.review = review
        self.items = items
        if self.sort_column:
            self._fill(columns_for(view))  # new columns and rows: one rebuild
        else:  # the rows in the service's order, built by the worker
            self.table.marker = {}
            self.table.replace_all(columns_for(view), rows)
        if whole:
            self._whole = (view, period)
            self._show_bar()
        else:
            self._show_bar(loading=True)
            self._load_rows(view, period)

    def _fill(self, specs: list[Col] | None = None) -> None:
        items = list(self.items)
        if self.sort_column:
            known = [i for i in items if sort_value(self.view, self.sort_column)(i)[0] == 0]
            unknown = [i for i in items if sort_value(self.view, self.sort_column)(i)[0] == 1]
            known.sort(key=sort_value(self.view, self.sort_column), reverse=self.sort_reverse)
            items = known + unknown  # undefined figures stay at the bottom either way
        self.table.marker = {self.sort_column: "*"} if self.sort_column else {}
        rows = [(_key(self.view, i), row_values(self.view, i)) for i in items]
        if specs is None:
            self.table.set_rows(rows)
        else:
            self.table.replace_all(specs, rows)

    def _show_bar(self, *, loading: bool = False) -> None:
        assert self.period is not None
        text = Text(no_wrap=True, overflow="crop", end="")
        text.append(t(f"reports.view.{self.view}"), style="bold reverse")
        text.append("  " + self.period.label)
        if self.sort_column:
            name = next(
                (c.label for c in columns_for(self.view) if c.key == self.sort_column), self.sort_column
            )
            direction = t("reports.desc") if self.sort_reverse else t("reports.asc")
            text.append("  " + t("reports.sorted", column=name, direction=direction))
        if self.view == "review" and self.review is not None:
            text.append(
                "  "
                + t("reports.below", n=len(self.review.below), threshold=rate_text(self.review.threshold))
            )
        if loading:
            text.append("  " + t("common.loading"), style="dim")
        else:
            text.append("  " + t("reports.rows", n=len(self.items)), style="dim")
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
        current = self.period.quarter or ""
        fields = [
            Field("quarter", t("reports.quarter"), value=current, placeholder="2026Q3"),
            Field("start", t("reports.start"), "date", self.period.start.isoformat(), required=True),
            Field("end", t("reports.end"), "date", self.period.end.isoformat(), required=True),
        ]

        def check(values: dict[str, Any]) -> None:
            """The period, worked out in the form: a bad quarter or range is marked there, nothing lost."""
            if values["quarter"] and values["quarter"] != current:
                try:
                    values["period"] = quarter_period(values["quarter"])
                except Exception:  # not a quarter (the service's own words are about its code)
                    raise FieldError("quarter", t("kit.form.bad_quarter", value=values["quarter"])) from None
                return
            start, end = values["start"], values["end"]
            if end < start:
                raise FieldError("end", t("reports.end_before_start"))
            quarter = quarter_of(start)
            exact = quarter_bounds(quarter) == (start, end)
            values["period"] = Period(start, end, reports.quarter_label(quarter) if exact else None)

        self.app.push_screen(
            FormDialog(t("reports.period_title"), fields, note=t("reports.period_note"), check=check),
            self._period_chosen,
        )

    def _period_chosen(self, values: dict[str, Any] | None) -> None:
        if not values:
            return
        self.period = values["period"]
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
        columns = [Col("when", t("common.col.when"), 16), Col("title", t("common.col.title"), 16, grow=3)]
        if per_unit:
            columns.append(Col("who", t("common.col.name"), 8, grow=1))
        else:  # a cadre's sessions: the unit he held each time, marked when it is not today's
            columns.append(Col("unit", t("feat.report.unit_then"), 10, grow=1))
        columns.append(Col("status", t("common.col.status"), 6))
        table_rows: list[Row] = []
        for i, r in enumerate(rows):
            values: list[str | Text] = [format_local(r.starts_at), r.title]
            if per_unit:
                values.append(r.cadre_name)
            else:
                values.append(r.unit_name + (" *" if r.unit_changed else ""))
            values.append(status_cell(r.status))
            table_rows.append((f"{r.session_id}:{i}", values))
        assert self.period is not None
        title = t("reports.behind_title", name=name, period=self.period.label, n=len(rows))
        note = t("reports.behind_note")
        if not per_unit and any(r.unit_changed for r in rows):
            note += "  " + t("feat.report.moved_note", unit=rows[0].current_unit_name)

        def picked(key: str | None) -> None:
            if key:
                self.zapp.open_attendance(int(key.split(":")[0]))

        self.app.push_screen(TableDialog(title, columns, table_rows, note=note, pickable=True), picked)

    # ------------------------------------------------------------ absence notice (通报)
    def action_notice_text(self) -> None:
        """N: the 通报 of the period on screen, as text to read, copy or save."""
        if self.period is None:
            self.show_info(t("feat.notice.none"))
            return
        period, ctx = self.period, self.ctx

        def load() -> tuple[Period, str]:
            groups = reports.absences(ctx, period.start, period.end)
            return period, reports.absence_notice_text(groups, period.start, period.end)

        self.call_service("notice", load)

    def done_notice(self, result: tuple[Period, str]) -> None:
        from zhijin_training.tui.screens.notice import NoticeDialog

        period, text = result
        stem = period.quarter or f"{period.start.isoformat()}_{period.end.isoformat()}"
        self.app.push_screen(NoticeDialog(text, period.label, stem))

    # ------------------------------------------------------------ export
    def action_export_as(self) -> None:
        """o: one key for every export; the format is the question."""

        def chosen(fmt: str | None) -> None:
            if fmt:
                self.action_export(fmt)

        self.app.push_screen(
            Choice(
                t("reports.export_title"),
                [("xlsx", t("reports.k.export_xlsx")), ("csv", t("reports.k.export_csv"))],
            ),
            chosen,
        )

    def action_export(self, fmt: str) -> None:
        try:
            from zhijin_training.sheets import ledger
        except ImportError:
            self.show_info(t("common.unavailable"))
            return
        if self.period is None or not self.items:
            self.show_info(t("reports.nothing"))
            return
        if self._whole != (self.view, self.period):  # a first screenful only: the file has every row
            self.show_info(t("reports.still_loading"))
            return
        period, view = self.period, self.view
        name = period.quarter or f"{period.start.isoformat()}_{period.end.isoformat()}"
        default = default_path(f"{t('reports.file')}-{t(f'reports.view.{view}')}-{name}.{fmt}")
        org = self.ctx.settings.org_name if self.ctx.settings else ""
        items, review = list(self.items), self.review

        def write(path: Path) -> Path:
            if view == "cadre":
                books = [ledger.cadre_ledger(items, period.start, period.end, org=org)]
            elif view == "unit":
                books = [ledger.unit_ledger(items, period.start, period.end, org=org)]
            else:
                books = ledger.review_ledgers(review, org=org)
            from zhijin_training.services.audit import receipt

            books = ledger.with_receipt(books, receipt(self.ctx))  # the printout can be proven later
            if fmt == "csv":
                return ledger.write_csv(books[0], path, bom=True)
            return ledger.write_xlsx(books, path)

        ask_save_path(
            self, t("reports.export_title"), default, lambda path: self.call_service("exported", write, path)
        )

    def done_exported(self, path: Any) -> None:
        self.show_info(t("common.saved_to", path=str(path)))
