"""学时 Hours: the year's ledger by cadre or by unit against the regulation's targets, the records awaiting
recognition (学时认定), and the dossier of a cadre (一人一档).

`t` switches cadre / unit / pending records, `b` shows only those behind the target to date, `[` `]` change
the year. Enter drills down: a cadre's sessions and records behind the figure, a unit's cadres. On pending
records `y` recognises and `n` rejects with a reason (administrators; the services check the role). `d` shows
the dossier of the highlighted cadre and `x` writes it (or the unit's file) as A4 XLSX.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from zhijin_training.i18n import label, t
from zhijin_training.services import hours
from zhijin_training.settings import AccessRole
from zhijin_training.timeutil import local_date
from zhijin_training.tui.base import SectionScreen
from zhijin_training.tui.files import ask_save_path, default_path
from zhijin_training.tui.kit.dialogs import Field, FormDialog, TableDialog
from zhijin_training.tui.kit.keymap import Key, keys
from zhijin_training.tui.kit.table import Col, Row, Table

VIEWS = ("cadre", "unit", "pending")
FIRST_ROWS = 120  # a long ledger shows this many rows at once, the rest right after (kit.table.Table)
# a ledger opened afresh is painted first for this many cadres of the roster, then whole: a province's
# 45,000 cadres take seconds to be set against their targets
FIRST_CADRES = 300


def num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def columns_for(view: str) -> list[Col]:
    if view == "cadre":
        return [
            Col("name", t("hours.col.name"), 6, grow=1),
            Col("unit", t("hours.col.unit"), 8, grow=2),
            Col("rank", t("hours.col.rank"), 6, optional=2),
            Col("central", t("hours.col.central"), 4, right=True),
            Col("days", t("hours.col.days"), 3, right=True, optional=1),
            Col("online", t("hours.col.online"), 4, right=True),
            Col("target", t("hours.col.target"), 5, right=True),
            Col("short", t("hours.col.short"), 4, right=True),
            Col("behind", t("hours.col.behind"), 4, right=True),
        ]
    if view == "unit":
        return [
            Col("unit", t("hours.col.unit"), 10, grow=3),
            Col("cadres", t("hours.col.cadres"), 4, right=True),
            Col("behind_n", t("hours.col.behind_n"), 4, right=True),
            Col("central", t("hours.col.central"), 5, right=True),
            Col("online", t("hours.col.online"), 5, right=True),
            Col("target", t("hours.col.target"), 5, right=True),
            Col("short", t("hours.col.short"), 5, right=True),
        ]
    return [
        Col("id", "#", 3, right=True),
        Col("name", t("hours.col.name"), 6, grow=1),
        Col("course", t("hours.col.course"), 10, grow=3),
        Col("from", t("hours.col.from"), 10, optional=1),
        Col("hours", t("hours.col.hours"), 4, right=True),
        Col("cat", t("hours.col.category"), 4),
    ]


def row_values(view: str, item: Any) -> list[str | Text]:
    if view == "cadre":
        behind = Text(num(item.behind_by), style="bold red" if item.behind_by > 0 else "", justify="right")
        online = Text(
            num(item.online_hours), style="red" if item.online_behind_by > 0 else "", justify="right"
        )
        return [
            item.name,
            item.unit,
            label("rank", item.rank),
            num(item.centralised_hours),
            num(item.centralised_days),
            online,
            num(item.target),
            num(item.shortfall),
            behind,
        ]
    if view == "unit":
        return [
            item.unit,
            str(item.cadres),
            str(item.behind),
            num(item.centralised_hours),
            num(item.online_hours),
            num(item.target),
            num(item.shortfall),
        ]
    return [
        str(item.id),
        item.cadre_name,
        item.course,
        item.start_date.isoformat(),
        num(item.hours),
        label("train_category", item.category),
    ]


def item_key(view: str, item: Any) -> str:
    if view == "cadre":
        return f"c{item.cadre_id}"
    if view == "unit":
        return f"u{item.unit_id if item.unit_id is not None else 'none'}"
    return f"r{item.id}"


def _with_rows(view: str, items: list[Any]) -> tuple[list[Any], list[Row]]:
    """Worker side too: the table's rows of the items (thousands of cells, no widget touched)."""
    return items, [(item_key(view, i), row_values(view, i)) for i in items]


def load_view(ctx: Any, view: str, year: int, behind: bool, first_cadres: int | None = None) -> list[Any]:
    """Worker side: the rows of one view, plain dataclasses from services.hours; `first_cadres`: the start
    of the whole ledger only (services.hours.ledger)."""
    if view == "cadre":
        if behind:
            return hours.behind_target(ctx, year)
        return hours.ledger(ctx, year, first_cadres=first_cadres).rows
    if view == "unit":
        units = hours.unit_ledger(ctx, year)
        return [u for u in units if u.behind] if behind else units
    return hours.list_records(ctx, state="submitted")


def dossier_rows(d: hours.Dossier) -> list[Row]:
    """The dossier as lines of a table: the person, 学时 per year, then every record, posts and ranks."""
    rows: list[Row] = []

    def line(key: str, a: str, b: str, c: str = "", e: str = "") -> None:
        rows.append((key, [a, b, c, e]))

    line(
        "i0",
        t("hours.dossier.person"),
        f"{d.name} {d.gender} {d.ethnicity} {d.birth_month}",
        label("rank", d.rank),
        d.education,
    )
    line("i1", t("hours.col.unit"), d.unit, d.post_title, d.political_status)
    for y in d.years:
        line(
            f"y{y.year}",
            str(y.year),
            t(
                "hours.dossier.year",
                central=num(y.centralised_hours),
                online=num(y.online_hours),
                target=num(y.target),
            ),
            t("hours.col.short"),
            num(y.shortfall),
        )
    first, last = d.five_year_window
    line("five", f"{first}-{last}", t("hours.dossier.five", n=num(d.five_year_hours)))
    for i, item in enumerate(d.items):
        state = (
            label("status", item.status) if item.source == "session" else label("record_state", item.status)
        )
        line(f"t{i}", item.day.isoformat(), item.title, state, num(item.hours))
    for i, post in enumerate(d.posts):
        line(
            f"p{i}",
            post.start.isoformat(),
            f"{post.unit} {post.post_title}",
            post.end.isoformat() if post.end else t("hours.dossier.now"),
        )
    return rows


RECOGNITION_ACTIONS = ("recognise", "reject")  # 学时认定 is the administrators' (the services check it too)


class HoursScreen(SectionScreen):
    CSS_PATH = "hours.tcss"
    KEYS: ClassVar = keys(
        Key("hours.view", "t", "next_view", "hours.k.view"),
        Key("hours.behind", "b", "toggle_behind", "hours.k.behind"),
        Key("hours.prev_year", "left_square_bracket", "year(-1)", "hours.k.prev_year", key_display="["),
        Key("hours.next_year", "right_square_bracket", "year(1)", "hours.k.next_year", key_display="]"),
        Key("hours.recognise", "y", "recognise", "hours.k.recognise", edits="admin"),
        Key("hours.reject", "n", "reject", "hours.k.reject", show=False, edits="admin"),
        Key("hours.dossier", "d", "dossier", "hours.k.dossier"),
        Key("hours.export", "o", "export", "hours.k.export"),
        Key("hours.leave_over", "l", "leave_over", "hours.k.leave_over", show=False),
        Key("hours.reload", "r,f5,ctrl+r", "reload", "common.k.reload", show=False),
    )

    def __init__(self) -> None:
        super().__init__()
        self.view = "cadre"
        self.behind = False
        self.year = 0
        self.items: list[Any] = []
        self.leave_over: list[hours.LeaveOver] = []
        # the view, year and filter whose whole list is shown
        self._whole: tuple[str, int, bool] | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static("", id="hours-bar")
        yield Table(columns_for(self.view), id="hours-table", first_rows=FIRST_ROWS)
        yield from self.compose_bottom()

    @property
    def table(self) -> Table:
        return self.query_one("#hours-table", Table)

    def allows(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Recognition is offered to administrators, and only where there are records awaiting it."""
        if action in RECOGNITION_ACTIONS:
            return self.ctx.actor.role == AccessRole.ADMIN and self.view == "pending"
        return True

    def on_mount(self) -> None:
        self.year = local_date(self.ctx.now()).year
        self.table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        if self.items:
            self.load()

    def refresh_data(self) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load()

    def load(self, *, top: bool = False) -> None:
        self._to_top = top
        self._bar(loading=True)
        view, year, behind = self.view, self.year, self.behind
        # the ledger not shown yet: a first screenful, then the whole (a refresh replaces the rows at once)
        first = (
            FIRST_CADRES if view == "cadre" and not behind and self._whole != (view, year, behind) else None
        )
        self._load_rows(view, year, behind, first)
        if first is None:  # else after the first screenful, which it would only slow down
            self._load_leave(year)

    def _load_rows(self, view: str, year: int, behind: bool, first: int | None = None) -> None:
        """The rows in a worker: the first `first` cadres (then `done_rows` asks for the rest), or all."""
        ctx = self.ctx
        self.call_service(
            "rows",
            lambda: (
                view,
                year,
                behind,
                *_with_rows(view, load_view(ctx, view, year, behind, first)),
                first is None,
            ),
        )

    def _load_leave(self, year: int) -> None:
        ctx = self.ctx
        self.call_service("leave", lambda: (year, hours.leave_over(ctx, year)))

    def done_leave(self, result: tuple[int, list[hours.LeaveOver]]) -> None:
        year, rows = result
        if year == self.year:
            self.leave_over = rows
            self._bar()

    def done_rows(self, result: tuple[str, int, bool, list[Any], list[Row], bool]) -> None:
        view, year, behind, items, rows, whole = result
        if (view, year, behind) != (self.view, self.year, self.behind):
            return
        self.items = items
        self.table.replace_all(columns_for(view), rows)
        if getattr(self, "_to_top", False) and items:
            self.table.move_cursor(row=0)  # a new view or filter starts at its first (furthest behind) row
            self._to_top = False  # the whole list that follows a first screenful keeps the cursor
        if whole:
            self._whole = (view, year, behind)
            self._bar()
            return
        self._bar(loading=True)
        self._load_rows(view, year, behind)
        self._load_leave(year)

    def _bar(self, *, loading: bool = False) -> None:
        text = Text(no_wrap=True, overflow="crop", end="")
        text.append(t(f"hours.view.{self.view}"), style="bold reverse")
        text.append(f"  {self.year}")
        if self.behind and self.view != "pending":
            text.append("  " + t("hours.behind_only"), style="bold")
        text.append(
            "  " + (t("common.loading") if loading else t("hours.rows", n=len(self.items))), style="dim"
        )
        if self.leave_over:
            text.append("  " + t("hours.leave_over_bar", n=len(self.leave_over)), style="bold red")
        self.query_one("#hours-bar", Static).update(text)

    # ------------------------------------------------------------ view, filter, year
    def action_next_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.items = []
        self.refresh_bindings()  # y / n are offered on the pending records only
        self.load(top=True)

    def action_toggle_behind(self) -> None:
        self.behind = not self.behind
        self.load(top=True)

    def action_year(self, step: int) -> None:
        self.year += step
        self.load(top=True)

    def _current(self) -> Any:
        key = self.table.current_key()
        return next((i for i in self.items if item_key(self.view, i) == key), None)

    # ------------------------------------------------------------ drill down
    @on(DataTable.RowSelected, "#hours-table")
    def _drill(self, event: DataTable.RowSelected) -> None:
        item = self._current()
        if item is None:
            return
        ctx, year = self.ctx, self.year
        if self.view == "cadre":
            self.call_service("items", lambda: (item.name, hours.hours_items(ctx, item.cadre_id, year=year)))
        elif self.view == "unit" and item.unit_id is not None:
            self.call_service(
                "unit_cadres", lambda: (item.unit, hours.ledger(ctx, year, unit_id=item.unit_id).rows)
            )

    def done_items(self, result: tuple[str, list[hours.HoursItem]]) -> None:
        name, items = result
        columns = [
            Col("day", t("hours.col.from"), 10),
            Col("title", t("hours.col.course"), 12, grow=3),
            Col("state", t("hours.col.state"), 6),
            Col("hours", t("hours.col.hours"), 4, right=True),
            Col("worth", t("hours.col.worth"), 4, right=True, optional=1),
        ]
        rows: list[Row] = []
        for i, item in enumerate(items):
            state = (
                label("status", item.status)
                if item.source == "session"
                else label("record_state", item.status)
            )
            if item.category == "online":
                state = f"{state}/{label('train_category', 'online')}"
            rows.append(
                (
                    f"{item.source}:{item.ref_id}:{i}",
                    [item.day.isoformat(), item.title, state, num(item.hours), num(item.worth)],
                )
            )
        total = sum(i.hours for i in items)
        title = t("hours.items_title", name=name, year=self.year, n=len(items), total=num(round(total, 2)))
        self.app.push_screen(TableDialog(title, columns, rows, note=t("hours.items_note")))

    def done_unit_cadres(self, result: tuple[str, list[hours.LedgerRow]]) -> None:
        name, rows = result
        columns = columns_for("cadre")
        table_rows = [(item_key("cadre", r), row_values("cadre", r)) for r in rows]
        self.app.push_screen(
            TableDialog(t("hours.unit_title", unit=name, year=self.year), columns, table_rows)
        )

    def action_leave_over(self) -> None:
        columns = [
            Col("name", t("hours.col.name"), 6, grow=1),
            Col("course", t("hours.col.course"), 10, grow=3),
            Col("total", t("hours.col.hours"), 4, right=True),
            Col("leave", t("hours.col.leave"), 4, right=True),
            Col("limit", t("hours.col.limit"), 4, right=True),
        ]
        rows: list[Row] = [
            (
                f"{r.session_id}:{r.cadre_id}",
                [r.name, r.course, num(r.total_hours), num(r.leave_hours), num(r.limit_hours)],
            )
            for r in self.leave_over
        ]
        self.app.push_screen(
            TableDialog(t("hours.leave_over_title", year=self.year, n=len(rows)), columns, rows)
        )

    # ------------------------------------------------------------ recognition
    def action_recognise(self) -> None:
        item = self._current()
        if self.view != "pending" or item is None:
            self.show_info(t("hours.pick_pending"))
            return
        ctx = self.ctx
        self.call_service("decided", hours.recognise, ctx, item.id, expected_version=item.version)

    def action_reject(self) -> None:
        item = self._current()
        if self.view != "pending" or item is None:
            self.show_info(t("hours.pick_pending"))
            return
        fields = [Field("reason", t("hours.reject_reason"), required=True)]

        def chosen(values: dict[str, str] | None) -> None:
            if values:
                self.call_service(
                    "decided",
                    hours.reject,
                    self.ctx,
                    item.id,
                    values["reason"],
                    expected_version=item.version,
                )

        self.app.push_screen(FormDialog(t("hours.reject_title", course=item.course), fields), chosen)

    def done_decided(self, view: hours.RecordView) -> None:
        self.show_info(
            t(
                "hours.decided",
                name=view.cadre_name,
                course=view.course,
                state=label("record_state", view.state),
            )
        )
        self.load()

    # ------------------------------------------------------------ dossier
    def _cadre_id(self) -> int | None:
        item = self._current()
        if item is None:
            return None
        return getattr(item, "cadre_id", None)

    def action_dossier(self) -> None:
        cadre_id = self._cadre_id()
        if cadre_id is None:
            self.show_info(t("hours.pick_cadre"))
            return
        ctx = self.ctx
        self.call_service("dossier", hours.dossier, ctx, cadre_id)

    def done_dossier(self, d: hours.Dossier) -> None:
        columns = [
            Col("a", "", 10),
            Col("b", "", 16, grow=3),
            Col("c", "", 6, grow=1),
            Col("d", "", 4, right=True),
        ]
        self.app.push_screen(
            TableDialog(
                t("hours.dossier_title", name=d.name), columns, dossier_rows(d), note=t("hours.dossier_note")
            )
        )

    def action_export(self) -> None:
        from zhijin_training.sheets.hours_sheets import write_dossiers

        item = self._current()
        if item is None:
            self.show_info(t("hours.pick_cadre"))
            return
        ctx = self.ctx
        org = ctx.settings.org_name if ctx.settings else ""
        if self.view == "unit" and item.unit_id is not None:
            name, unit_id = item.unit, item.unit_id

            def write(path: Path) -> Path:
                _n, ids = hours.unit_cadre_ids(ctx, unit_id)
                return write_dossiers([hours.dossier(ctx, i) for i in ids], path, org=org)

        else:
            cadre_id = getattr(item, "cadre_id", None)
            if cadre_id is None:
                self.show_info(t("hours.pick_cadre"))
                return
            name = getattr(item, "name", None) or getattr(item, "cadre_name", "")

            def write(path: Path) -> Path:
                return write_dossiers([hours.dossier(ctx, cadre_id)], path, org=org)

        default = default_path(f"{t('hours.dossier_file')}-{name}-{local_date(ctx.now()).isoformat()}.xlsx")
        ask_save_path(
            self, t("hours.export_title"), default, lambda path: self.call_service("exported", write, path)
        )

    def done_exported(self, path: Any) -> None:
        self.show_info(t("common.saved_to", path=str(path)))
