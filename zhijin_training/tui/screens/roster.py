"""人员 Roster: units and cadres, searched as you type, paged from the database.

Left: the units (Enter filters the list to one). Right: the cadres, loaded PAGE rows at a time as the
cursor nears the end. Changes go through `services.roster` (which enforces roles); a refused change
shows the service's "permission denied" line.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from zhijin_training.i18n import label, t
from zhijin_training.models import Role
from zhijin_training.services import roster
from zhijin_training.services.views import CadreView, UnitView
from zhijin_training.timeutil import local_date
from zhijin_training.tui.base import SectionScreen
from zhijin_training.tui.files import ask_open_path, ask_save_path, default_path
from zhijin_training.tui.kit.dialogs import Confirm, Field, FormDialog, TableDialog
from zhijin_training.tui.kit.keymap import Key, keys
from zhijin_training.tui.kit.table import Col, Row, Table, clip

PAGE = 60
ALL_UNITS = "all"
# a service error's field -> the form's field of it
CADRE_FIELDS = {"post_title": "post", "unit_id": "unit", "since": "since", "effective": "effective"}


def _cadre_row(c: CadreView) -> Row:
    name = c.name if c.active else f"{c.name} ({t('roster.inactive')})"
    return (
        str(c.id),
        (name, c.unit_name, c.post_title, label("role", c.role), c.ref or "", c.phone),
    )


def _field_name(key: str) -> str:
    """A roster field as its column is called on screen (姓名, 单位 ...), else the key itself."""
    name = t(f"common.col.{key.removesuffix('_title')}")
    return key if name.startswith("common.col.") else name


class RosterScreen(SectionScreen):
    CSS_PATH = "roster.tcss"
    KEYS: ClassVar = keys(
        Key("roster.search", "slash", "search", "roster.k.search"),
        Key("roster.add", "a", "add", "roster.k.add", edits="admin"),
        Key("roster.edit", "e", "edit", "roster.k.edit", edits="admin"),
        Key("roster.move", "m", "move", "roster.k.move", edits="admin"),
        Key("roster.history", "h", "history", "kit.short.history", tooltip="roster.k.history"),
        Key(
            "roster.deactivate",
            "x",
            "toggle_active",
            "kit.short.deactivate",
            tooltip="roster.k.deactivate",
            edits="admin",
        ),
        Key("roster.units", "u", "units", "kit.short.units", tooltip="roster.k.units"),
        Key("roster.export", "o", "export_calendar", "kit.short.export", tooltip="roster.k.calendar"),
        Key("roster.show_inactive", "t", "toggle_inactive", "roster.k.show_inactive", show=False),
        Key("roster.import", "i", "import_roster", "roster.k.import", show=False, edits="admin"),
        Key("roster.reload", "r,f5,ctrl+r", "reload", "common.k.reload", show=False),
    )

    def __init__(self) -> None:
        super().__init__()
        self.units: list[UnitView] = []
        self.cadres: dict[str, CadreView] = {}
        self.unit_filter: int | None = None
        self.search_text = ""
        self.show_inactive = False
        self.total = 0
        self.loading_more = False
        self._search_timer: Any = None
        self._keep_on: str | None = None  # the cadre just saved: the cursor goes back to it

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with Horizontal(id="roster-bar"):
            yield Input(placeholder=t("roster.search_placeholder"), id="roster-search")
            yield Static("", id="roster-count")
        with Horizontal(id="roster-body"):
            yield OptionList(id="roster-units")
            yield Table(
                [
                    Col("name", t("common.col.name"), 8, grow=2),
                    Col("unit", t("common.col.unit"), 12, grow=3),
                    Col("post", t("common.col.post"), 10, grow=3),
                    Col("role", t("common.col.role"), 10, grow=1, optional=2),
                    Col("ref", t("common.col.ref"), 8, optional=3),
                    Col("phone", t("common.col.phone"), 11, optional=4),
                ],
                id="roster-cadres",
            )
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        self.query_one("#roster-cadres", Table).focus()
        self.call_service("units", roster.list_units, self.ctx, active_only=True)
        self.load_cadres()

    # ------------------------------------------------------------ loading
    @property
    def table(self) -> Table:
        return self.query_one("#roster-cadres", Table)

    def _filters(self) -> dict[str, Any]:
        return {
            "search": self.search_text or None,
            "unit_id": self.unit_filter,
            "active_only": not self.show_inactive,
        }

    def load_cadres(self) -> None:
        """First page and the total, in one worker (the table is replaced when they arrive)."""
        ctx, filters = self.ctx, self._filters()

        def first_page() -> tuple[int, list[CadreView]]:
            return roster.count_cadres(ctx, **filters), roster.list_cadres(
                ctx, limit=PAGE, offset=0, **filters
            )

        self.loading_more = False
        self.call_service("cadres", first_page)

    def done_cadres(self, result: tuple[int, list[CadreView]]) -> None:
        self.total, rows = result
        self.cadres = {str(c.id): c for c in rows}
        self.table.set_rows([_cadre_row(c) for c in rows])
        if self._keep_on is not None:
            self.table.select_key(self._keep_on)
            self._keep_on = None
        self._show_count()

    def _load_more(self) -> None:
        if self.loading_more or len(self.cadres) >= self.total:
            return
        self.loading_more = True
        self.call_service(
            "more", roster.list_cadres, self.ctx, limit=PAGE, offset=len(self.cadres), **self._filters()
        )

    def done_more(self, rows: list[CadreView]) -> None:
        self.loading_more = False
        for c in rows:
            self.cadres[str(c.id)] = c
        self.table.append_rows([_cadre_row(c) for c in rows])
        self._show_count()

    def failed_more(self, exc: BaseException) -> None:
        self.loading_more = False
        self.show_error(exc)

    def _show_count(self) -> None:
        text = t("roster.count", total=self.total, shown=len(self.cadres))
        if self.show_inactive:
            text += " " + t("roster.with_inactive")
        self.query_one("#roster-count", Static).update(Text(text, no_wrap=True))

    def done_units(self, units: list[UnitView]) -> None:
        self.units = units
        options = self.query_one("#roster-units", OptionList)
        options.clear_options()
        width = max((options.size.width or 24) - 3, 8)
        # one call for the whole list: adding them one by one re-measured the list each time (9,000 units at
        # province size took a second)
        options.add_options(
            [
                Option(Text(t("roster.all_units")), id=ALL_UNITS),
                *(Option(Text(clip(u.name, width), no_wrap=True), id=str(u.id)) for u in units),
            ]
        )

    @on(DataTable.RowHighlighted, "#roster-cadres")
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.table.row_count - 10:
            self._load_more()

    @on(DataTable.RowSelected, "#roster-cadres")
    def _row_entered(self) -> None:
        self.action_history()

    # ------------------------------------------------------------ search and unit filter
    @on(Input.Changed, "#roster-search")
    def _typed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.25, lambda: self._apply_search(event.value))

    def _apply_search(self, value: str) -> None:
        if value.strip() != self.search_text:
            self.search_text = value.strip()
            self.load_cadres()

    @on(Input.Submitted, "#roster-search")
    def _search_done(self, event: Input.Submitted) -> None:
        self._apply_search(event.value)
        self.table.focus()

    @on(OptionList.OptionSelected, "#roster-units")
    def _unit_chosen(self, event: OptionList.OptionSelected) -> None:
        chosen = event.option.id
        self.unit_filter = None if chosen in (None, ALL_UNITS) else int(chosen)
        self.load_cadres()
        self.table.focus()

    def action_search(self) -> None:
        self.query_one("#roster-search", Input).focus()

    def action_units(self) -> None:
        units = self.query_one("#roster-units", OptionList)
        if units.has_focus:
            self.table.focus()
        else:
            units.focus()

    def action_toggle_inactive(self) -> None:
        self.show_inactive = not self.show_inactive
        self.load_cadres()

    def action_reload(self) -> None:
        self.load_cadres()

    def key_escape(self) -> None:
        search = self.query_one("#roster-search", Input)
        if search.has_focus and search.value:
            search.value = ""
        self.table.focus()

    def on_screen_resume(self) -> None:
        """Back on this section: show what others changed meanwhile (the app polls only the visible screen)."""
        if self.cadres:
            self.load_cadres()

    def refresh_data(self) -> None:
        """Someone changed data (the app's poll saw a new audit entry): reload, keeping the cursor."""
        self.load_cadres()

    # ------------------------------------------------------------ the selected cadre
    def selected(self) -> CadreView | None:
        key = self.table.current_key()
        cadre = self.cadres.get(key) if key else None
        if cadre is None:
            self.show_info(t("roster.none_selected"))
        return cadre

    def _today(self) -> date:
        return local_date(self.ctx.now())

    def _unit_options(self) -> list[tuple[str, str]]:
        return [(u.name, str(u.id)) for u in self.units]

    @staticmethod
    def _role_options() -> list[tuple[str, str]]:
        return [(label("role", r.value), r.value) for r in Role]

    # ------------------------------------------------------------ add
    def action_add(self) -> None:
        fields = [
            Field("name", t("common.col.name"), required=True),
            Field(
                "unit", t("common.col.unit"), options=self._unit_options(), value=str(self.unit_filter or "")
            ),
            Field("post", t("common.col.post")),
            Field(
                "role",
                t("common.col.role"),
                required=True,
                options=self._role_options(),
                value=Role.OTHER.value,
            ),
            Field("phone", t("common.col.phone")),
            Field("ref", t("common.col.ref")),
            Field("since", t("roster.since"), "date", self._today().isoformat(), required=True),
        ]
        ctx = self.ctx

        def submit(values: dict[str, Any], _force: bool) -> CadreView:
            return roster.add_cadre(
                ctx,
                name=values["name"],
                unit=int(values["unit"]) if values["unit"] else None,
                post_title=values["post"],
                role=values["role"],
                phone=values["phone"],
                ref=values["ref"] or None,
                since=values["since"],
            )

        self.app.push_screen(
            FormDialog(t("roster.add_title"), fields, submit=submit, field_map=CADRE_FIELDS), self._saved
        )

    def _saved(self, cadre: CadreView | None) -> None:
        """A form saved a cadre: say so, reload, and keep the cursor on that cadre."""
        if cadre is None:
            return
        self.show_info(t("roster.saved", name=cadre.name))
        self.cadres[str(cadre.id)] = cadre
        self.table.update_row(*_cadre_row(cadre))
        self._keep_on = str(cadre.id)
        self.load_cadres()

    def done_saved(self, cadre: CadreView) -> None:
        self._saved(cadre)

    def failed_saved(self, exc: BaseException) -> None:
        self.show_error(exc)
        self.load_cadres()

    # ------------------------------------------------------------ edit
    def action_edit(self) -> None:
        cadre = self.selected()
        if cadre is None:
            return
        fields = [
            Field("name", t("common.col.name"), required=True, value=cadre.name),
            Field("phone", t("common.col.phone"), value=cadre.phone),
            Field("ref", t("common.col.ref"), value=cadre.ref or ""),
            Field("note", t("common.col.note"), value=cadre.note),
        ]
        ctx = self.ctx

        def submit(values: dict[str, Any], _force: bool) -> CadreView:
            return roster.update_cadre(
                ctx,
                cadre.id,
                expected_version=cadre.version,
                name=values["name"],
                phone=values["phone"],
                ref=values["ref"],
                note=values["note"],
            )

        self.app.push_screen(
            FormDialog(
                t("roster.edit_title", name=cadre.name),
                fields,
                note=t("roster.edit_note"),
                submit=submit,
                field_map=CADRE_FIELDS,
            ),
            self._saved,
        )

    # ------------------------------------------------------------ move to another post
    def action_move(self) -> None:
        cadre = self.selected()
        if cadre is None:
            return
        fields = [
            Field("unit", t("roster.new_unit"), options=self._unit_options(), value=str(cadre.unit_id or "")),
            Field("post", t("roster.new_post"), required=True, value=cadre.post_title),
            Field(
                "role", t("common.col.role"), required=True, options=self._role_options(), value=cadre.role
            ),
            Field("effective", t("roster.effective"), "date", self._today().isoformat(), required=True),
        ]
        ctx = self.ctx

        def submit(values: dict[str, Any], _force: bool) -> CadreView:
            return roster.move_cadre(
                ctx,
                cadre.id,
                unit=int(values["unit"]) if values["unit"] else None,
                post_title=values["post"],
                role=values["role"],
                effective=values["effective"],
                expected_version=cadre.version,
            )

        self.app.push_screen(
            FormDialog(
                t("roster.move_title", name=cadre.name),
                fields,
                note=t("roster.move_note"),
                submit=submit,
                field_map=CADRE_FIELDS,
            ),
            self._saved,
        )

    # ------------------------------------------------------------ post history
    def action_history(self) -> None:
        cadre = self.selected()
        if cadre is not None:
            self.call_service("history", lambda: (cadre, roster.post_history(self.ctx, cadre.id)))

    def done_history(self, result: tuple[CadreView, list[Any]]) -> None:
        cadre, posts = result
        rows: list[Row] = [
            (
                str(p.id),
                (
                    p.start_date.isoformat(),
                    p.end_date.isoformat() if p.end_date else t("roster.current"),
                    p.unit_name,
                    p.post_title,
                    label("role", p.role),
                ),
            )
            for p in posts
        ]
        columns = [
            Col("start", t("roster.from"), 10),
            Col("end", t("roster.to"), 10),
            Col("unit", t("common.col.unit"), 12, grow=3),
            Col("post", t("common.col.post"), 10, grow=3),
            Col("role", t("common.col.role"), 8, grow=1, optional=1),
        ]
        detail = " ".join(x for x in (cadre.ref or "", cadre.phone, cadre.note) if x)
        self.app.push_screen(
            TableDialog(t("roster.history_title", name=cadre.name, n=len(posts)), columns, rows, note=detail)
        )

    # ------------------------------------------------------------ deactivate / reactivate
    def action_toggle_active(self) -> None:
        cadre = self.selected()
        if cadre is None:
            return
        question = t(
            "roster.confirm_deactivate" if cadre.active else "roster.confirm_activate",
            name=cadre.name,
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(
                    "saved",
                    roster.set_cadre_active,
                    self.ctx,
                    cadre.id,
                    not cadre.active,
                    expected_version=cadre.version,
                )

        self.app.push_screen(Confirm(question), answered)

    # ------------------------------------------------------------ calendar export and import (optional modules)
    def action_export_calendar(self) -> None:
        try:
            from zhijin_training.ical.export import write_calendar
        except ImportError:
            self.show_info(t("common.unavailable"))
            return
        units = self.query_one("#roster-units", OptionList)
        option = units.highlighted_option if units.has_focus else None
        if option is not None and option.id not in (None, ALL_UNITS):
            target: dict[str, int] = {"unit_id": int(option.id)}
            name = next((u.name for u in self.units if u.id == int(option.id)), option.id)
        else:
            cadre = self.selected()
            if cadre is None:
                return
            target, name = {"cadre_id": cadre.id}, cadre.name
        ctx = self.ctx
        ask_save_path(
            self,
            t("roster.calendar_title", name=name),
            default_path(f"{name}.ics"),
            lambda path: self.call_service("exported", lambda: (path, write_calendar(ctx, path, **target))),
        )

    def done_exported(self, result: tuple[Path, int]) -> None:
        path, count = result
        self.show_info(t("common.exported", n=count, path=str(path)))

    def action_import_roster(self) -> None:
        """A roster file: preview (new / changed / unchanged / errors, by row), ask, then write all or nothing."""
        try:
            from zhijin_training.sheets import roster_io
        except ImportError:
            self.show_info(t("common.unavailable"))
            return
        ctx = self.ctx
        ask_open_path(
            self,
            t("roster.import_title"),
            lambda path: self.call_service("preview", roster_io.preview_import, ctx, path),
            note=t("roster.import_note"),
        )

    def done_preview(self, preview: Any) -> None:
        from zhijin_training.sheets import roster_io
        from zhijin_training.tui.screens.preview import PreviewDialog

        def row(plan: Any) -> str:
            text = t("preview.row", n=plan.row) + f"  {plan.name}  {plan.unit_name}"
            if plan.changes:
                text += "  " + "; ".join(
                    f"{_field_name(k)}: {a or '-'} -> {b or '-'}" for k, (a, b) in plan.changes.items()
                )
            return text

        def error(e: Any) -> str:
            where = t("preview.row", n=e.row) + (f" [{e.column}]" if e.column else "")
            return f"{where}  {e.message}"

        sections = [
            (t("preview.errors", n=len(preview.errors)), [error(e) for e in preview.errors], "bold red"),
            (t("preview.added", n=len(preview.new)), [row(p) for p in preview.new], "bold green"),
            (t("preview.changed", n=len(preview.changed)), [row(p) for p in preview.changed], "bold yellow"),
            (t("preview.unchanged", n=len(preview.unchanged)), [row(p) for p in preview.unchanged], "bold"),
        ]
        if preview.ignored:  # columns not kept are shown, never a reason to refuse
            sections.append((t("preview.ignored", n=len(preview.ignored)), list(preview.ignored), "dim"))
        summary = t(
            "roster.import_summary",
            new=len(preview.new),
            changed=len(preview.changed),
            same=len(preview.unchanged),
            errors=len(preview.errors),
        )
        if not preview.errors and not preview.new and not preview.changed:
            self.show_info(t("roster.import_nothing", same=len(preview.unchanged)))
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service("imported", roster_io.apply_import, self.ctx, preview)

        self.app.push_screen(
            PreviewDialog(
                t("roster.import_title") + f"  {preview.path.name}",
                summary,
                sections,
                can_apply=not preview.errors,
            ),
            answered,
        )

    def done_imported(self, result: Any) -> None:
        self.show_info(t("roster.imported", added=result.added, changed=result.changed, moved=result.moved))
        self.load_cadres()
