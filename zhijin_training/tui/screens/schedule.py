"""日程 Schedule: an agenda list paged from the database and a month view, both filtered by programme kind,
topic, unit and cadre. Plan sessions, lecture series, study trips and secondments; edit (this / all following),
reschedule, cancel, export to .ics. Conflicts and public holidays ask "save anyway?" before saving.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, DataTable, Input, Select, Static

from zhijin_training.i18n import label, t
from zhijin_training.services.views import ProgrammeView, SessionView
from zhijin_training.timeutil import LOCAL_TZ, local_date, to_local
from zhijin_training.tui.base import SectionScreen
from zhijin_training.tui.files import ask_open_path, ask_save_path, default_path
from zhijin_training.tui.kit.dialogs import Choice, Field, FormDialog
from zhijin_training.tui.kit.keymap import Key, keys
from zhijin_training.tui.kit.table import Table
from zhijin_training.tui.widgets.calendar import MonthCalendar
from zhijin_training.tui.widgets.fmt import (
    count_text,
    day_text,
    kind_text,
    kind_width,
    state_text,
    state_width,
    time_text,
)
from zhijin_training.tui.widgets.narrow import AsciiSelect

PAGE_SIZE = 50
KINDS = ("lecture", "study_trip", "secondment", "course", "meeting")


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    topic: str = ""
    unit: str = ""
    cadre: str = ""


@dataclass(frozen=True)
class Page:
    sessions: list[SessionView]
    offset: int
    has_more: bool


def _local_dt(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=LOCAL_TZ)


def _query_args(ctx: Any, f: Filters) -> dict[str, Any]:
    """Resolve the typed unit and cadre to ids (in the worker): a name that matches nothing is an error."""
    from zhijin_training.services import roster

    args: dict[str, Any] = {"kind": f.kind or None, "topic": f.topic or None}
    if f.unit:
        args["unit_id"] = roster.resolve_unit(ctx, f.unit).id
    if f.cadre:
        args["cadre_id"] = roster.resolve_cadre(ctx, f.cadre).id
    return args


class ScheduleScreen(SectionScreen):
    KEYS: ClassVar = keys(
        Key("schedule.new", "a", "new_session", "kit.short.new", tooltip="schedule.key.new", edits=True),
        Key(
            "schedule.series",
            "s",
            "new_series",
            "kit.short.series",
            tooltip="schedule.key.series",
            edits=True,
        ),
        Key("schedule.trip", "t", "new_trip", "kit.short.trip", tooltip="schedule.key.trip", edits=True),
        Key(
            "schedule.secondment",
            "g",
            "new_secondment",
            "kit.short.secondment",
            tooltip="schedule.key.secondment",
            edits=True,
        ),
        Key("schedule.edit", "e", "edit", "schedule.key.edit", edits=True),
        Key("schedule.reschedule", "m", "reschedule", "schedule.key.reschedule", edits=True),
        Key(
            "schedule.cancel",
            "x",
            "cancel_session",
            "kit.short.cancel",
            tooltip="schedule.key.cancel",
            edits=True,
        ),
        Key("schedule.export", "o", "export", "kit.short.export", tooltip="schedule.key.export"),
        Key(
            "schedule.participants",
            "p",
            "participants",
            "feat.short.people",
            tooltip="feat.people.key",
            edits=True,
        ),
        Key(
            "schedule.itinerary",
            "l",
            "itinerary",
            "feat.itinerary.key",
            tooltip="feat.itinerary.long",
            edits=True,
            show=False,
        ),
        Key("schedule.view", "v", "toggle_view", "schedule.key.view"),
        Key("schedule.attendance", "k", "attendance", "key.attendance", show=False),
        Key("schedule.import", "i", "import", "schedule.key.import", edits=True, show=False),
        Key("schedule.filter", "f", "filters", "schedule.key.filter", show=False),
        Key("schedule.next_page", "right_square_bracket", "page(1)", "schedule.key.next_page", show=False),
        Key("schedule.prev_page", "left_square_bracket", "page(-1)", "schedule.key.prev_page", show=False),
        Key("schedule.past", "h", "toggle_past", "schedule.key.past", show=False),
        Key("schedule.reload", "r,f5,ctrl+r", "reload", "key.reload", show=False),
        Key("schedule.notice", "n", "notice", "notice.key", show=False),
        Key("schedule.holidays", "H", "holidays", "holiday.key", key_display="H", show=False),
    )

    def __init__(self) -> None:
        super().__init__()
        self.filters = Filters()
        self.page_offset = 0
        self.past = False
        self.programmes: list[ProgrammeView] = []
        self._month: list[SessionView] = []
        self._sessions: dict[int, SessionView] = {}
        self._loaded = False
        self._keep_on: int | None = None  # the session just saved: the cursor goes back to it

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        today = local_date(self.ctx.now())
        yield from self.compose_top()
        with Horizontal(id="filters"):
            yield AsciiSelect(
                [(t("schedule.all_kinds"), "")] + [(label("programme_kind", k), k) for k in KINDS],
                value="",
                allow_blank=False,
                id="filter-kind",
                compact=True,
            )
            yield Input(placeholder=t("schedule.filter.topic"), id="filter-topic", compact=True)
            yield Input(placeholder=t("schedule.filter.unit"), id="filter-unit", compact=True)
            yield Input(placeholder=t("schedule.filter.cadre"), id="filter-cadre", compact=True)
        with ContentSwitcher(initial="agenda", id="views"):
            yield Table(
                [
                    ("day", t("col.date"), 8),
                    ("time", t("col.time"), 11),
                    ("kind", t("col.kind"), kind_width()),
                    ("title", t("col.title"), -3),
                    ("place", t("col.location"), -1),
                    ("people", t("col.people"), 6),
                    ("state", t("col.state"), state_width()),
                ],
                id="agenda",
            )
            with Vertical(id="month"):
                yield MonthCalendar(today, today, id="calendar")
                yield Table(
                    [
                        ("time", t("col.time"), 11),
                        ("kind", t("col.kind"), kind_width()),
                        ("title", t("col.title"), 0),
                        ("state", t("col.state"), state_width()),
                    ],
                    id="day-list",
                )
        yield Static("", id="pager", markup=False)
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        self.query_one("#agenda", Table).focus()
        ctx = self.ctx
        from zhijin_training.services import programmes

        self.run_service(
            lambda: programmes.list_programmes(ctx, active_only=True), self._set_programmes, tag="programmes"
        )
        self.refresh_data()

    def _set_programmes(self, items: list[ProgrammeView]) -> None:
        self.programmes = items

    def on_screen_resume(self) -> None:
        """Back on this section (or a dialog closed): show what changed elsewhere meanwhile."""
        if self._loaded:
            ctx = self.ctx
            from zhijin_training.services import programmes

            self.run_service(
                lambda: programmes.list_programmes(ctx, active_only=True),
                self._set_programmes,
                tag="programmes",
            )
            self.refresh_data()

    @property
    def in_month_view(self) -> bool:
        return self.query_one("#views", ContentSwitcher).current == "month"

    # ------------------------------------------------------------ loading
    def refresh_data(self) -> None:
        if self.in_month_view:
            self._load_month()
        else:
            self._load_page()

    def _load_page(self) -> None:
        ctx, f, offset, past = self.ctx, self.filters, self.page_offset, self.past
        today = local_date(ctx.now())

        def load() -> Page:
            from zhijin_training.services import schedule

            args = _query_args(ctx, f)
            if past:
                args |= {"end": today - timedelta(days=1), "descending": True}
            else:
                args |= {"start": today}
            rows = schedule.list_sessions(ctx, limit=PAGE_SIZE + 1, offset=offset, **args)
            return Page(rows[:PAGE_SIZE], offset, len(rows) > PAGE_SIZE)

        self.run_service(load, self._show_page, tag="load")

    def _show_page(self, page: Page) -> None:
        self._loaded = True
        now = self.ctx.now()
        self._sessions = {s.id: s for s in page.sessions} | {s.id: s for s in self._month}
        self.query_one("#agenda", Table).set_rows(
            (
                s.id,
                (
                    day_text(s.first_day),
                    time_text(s),
                    kind_text(s),
                    s.title,
                    s.location,
                    count_text(s),
                    state_text(s, now),
                ),
                "strike" if s.is_cancelled else "",
            )
            for s in page.sessions
        )
        self._restore_cursor("#agenda")
        first = page.offset + 1 if page.sessions else 0
        last = page.offset + len(page.sessions)
        where = t("schedule.past") if self.past else t("schedule.from_today")
        more = t("schedule.more") if page.has_more else ""
        self.query_one("#pager", Static).update(
            t("schedule.pager", first=first, last=last, where=where, more=more)
        )
        self.set_status(t("schedule.filters_now", text=self._filter_text()))

    def _load_month(self) -> None:
        cal = self.query_one("#calendar", MonthCalendar)
        first, last = cal.month_bounds()
        ctx, f = self.ctx, self.filters

        def load() -> tuple[list[SessionView], dict[date, str]]:
            from zhijin_training.services import holidays, schedule

            rows = schedule.list_sessions(ctx, start=first, end=last, limit=2000, **_query_args(ctx, f))
            names: dict[date, str] = {}
            calendar = holidays.calendar_for(ctx, first, last)
            day = first
            while day <= last:
                info = calendar.day_info(day)
                if info.holiday:
                    names[day] = info.holiday
                day += timedelta(days=1)
            return rows, names

        self.run_service(load, self._show_month, tag="load")

    def _show_month(self, result: tuple[list[SessionView], dict[date, str]]) -> None:
        rows, names = result
        self._loaded = True
        self._month = rows
        self._sessions |= {s.id: s for s in rows}
        cal = self.query_one("#calendar", MonthCalendar)
        first, last = cal.month_bounds()
        marks: dict[date, list[str]] = {}
        for s in sorted(
            rows, key=lambda r: (r.all_day, r.starts_at)
        ):  # a lecture reads better than a long trip
            if s.is_cancelled:
                continue
            day = max(s.first_day, first)
            while day <= min(s.last_day, last):
                marks.setdefault(day, []).append(s.title)
                day += timedelta(days=1)
        cal.set_marks(marks, names)
        self._show_day(cal.day)
        self._restore_cursor("#day-list")
        self.query_one("#pager", Static).update(t("schedule.month_pager", n=len(rows)))

    def _show_day(self, day: date) -> None:
        now = self.ctx.now()
        todays = [s for s in self._month if s.first_day <= day <= s.last_day]
        self.query_one("#day-list", Table).set_rows(
            (
                s.id,
                (time_text(s), kind_text(s), s.title, state_text(s, now)),
                "strike" if s.is_cancelled else "",
            )
            for s in todays
        )

    def _restore_cursor(self, selector: str) -> None:
        if self._keep_on is not None and self.query_one(selector, Table).select_key(self._keep_on):
            self._keep_on = None

    @on(MonthCalendar.MonthChanged)
    def _month_changed(self) -> None:
        self._load_month()

    @on(MonthCalendar.DayChanged)
    def _day_changed(self, event: MonthCalendar.DayChanged) -> None:
        self._show_day(event.day)

    @on(MonthCalendar.DayChosen)
    def _day_chosen(self) -> None:
        self.query_one("#day-list", Table).focus()

    # ------------------------------------------------------------ filters and paging
    def _filter_text(self) -> str:
        f = self.filters
        parts = [label("programme_kind", f.kind) if f.kind else "", f.topic, f.unit, f.cadre]
        return " / ".join(p for p in parts if p) or t("schedule.no_filter")

    def _read_filters(self) -> None:
        kind = self.query_one("#filter-kind", Select).value
        self.filters = Filters(
            kind=str(kind or ""),
            topic=self.query_one("#filter-topic", Input).value.strip(),
            unit=self.query_one("#filter-unit", Input).value.strip(),
            cadre=self.query_one("#filter-cadre", Input).value.strip(),
        )
        self.page_offset = 0
        self.refresh_data()

    @on(Select.Changed, "#filter-kind")
    def _kind_changed(self) -> None:
        self._read_filters()

    @on(Input.Submitted, "#filters Input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._read_filters()
        self._current_table().focus()

    def action_filters(self) -> None:
        self.query_one("#filter-topic", Input).focus()

    def action_page(self, step: int) -> None:
        if self.in_month_view:
            self.query_one("#calendar", MonthCalendar).action_month(step)
            return
        self.page_offset = max(0, self.page_offset + step * PAGE_SIZE)
        self._load_page()

    def action_toggle_past(self) -> None:
        self.past = not self.past
        self.page_offset = 0
        self._load_page()

    def action_toggle_view(self) -> None:
        switcher = self.query_one("#views", ContentSwitcher)
        if switcher.current == "agenda":
            switcher.current = "month"
            self.query_one("#calendar", MonthCalendar).focus()
            self._load_month()
        else:
            switcher.current = "agenda"
            self._current_table().focus()
            self._load_page()

    def action_reload(self) -> None:
        self.refresh_data()

    # ------------------------------------------------------------ selection
    def _current_table(self) -> Table:
        return self.query_one("#day-list" if self.in_month_view else "#agenda", Table)

    def selected(self) -> SessionView | None:
        key = self._current_table().selected_key
        if key is None:
            self.notify(t("overview.nothing_selected"), severity="warning")
            return None
        return self._sessions.get(int(key))  # type: ignore[call-overload]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.zapp.open_attendance(int(event.row_key.value))

    def action_attendance(self) -> None:
        session = self.selected()
        if session is not None:
            self.zapp.open_attendance(session.id)

    def action_notice(self) -> None:
        """The selected session's notice (通知): the generated text in a form, then a .docx."""
        from zhijin_training.tui.screens.notice_form import open_session_notice

        session = self.selected()
        if session is not None:
            open_session_notice(self, session)

    def action_holidays(self) -> None:
        from zhijin_training.tui.screens.holidays import HolidaysScreen

        self.app.push_screen(HolidaysScreen(self.ctx), lambda _changed: self.refresh_data())

    def _saved(self, message: str) -> Callable[[Any], None]:
        def done(_result: Any) -> None:
            self.notify(message, markup=False)
            self.refresh_data()

        return done

    # ------------------------------------------------------------ create
    def _programme_options(self, *kinds: str) -> list[tuple[str, Any]]:
        return [(p.title, p.id) for p in self.programmes if p.kind in kinds]

    def action_new_session(self) -> None:
        from zhijin_training.services import schedule
        from zhijin_training.tui.screens.session_form import SESSION_FIELD_MAP, draft_from, session_fields

        options = self._programme_options("lecture", "course", "meeting")
        if not options:
            self.notify(t("schedule.no_programme"), severity="warning")
            return
        day = (
            self.query_one("#calendar", MonthCalendar).day
            if self.in_month_view
            else local_date(self.ctx.now())
        )
        from zhijin_training.tui.screens.holidays import PlanningForm

        ctx = self.ctx
        form = PlanningForm(
            ctx,
            t("schedule.form.new"),
            session_fields(options, day),
            submit=lambda values, force: schedule.create_session(ctx, draft_from(values), force=force),
            field_map=SESSION_FIELD_MAP,
        )
        self.app.push_screen(form, self._saved(t("schedule.created")))

    def action_new_series(self) -> None:
        from zhijin_training.services import schedule
        from zhijin_training.tui.screens.session_form import (
            SESSION_FIELD_MAP,
            draft_from,
            rule_from,
            series_fields,
        )

        options = self._programme_options("lecture", "course", "meeting")
        if not options:
            self.notify(t("schedule.no_programme"), severity="warning")
            return
        from zhijin_training.tui.screens.holidays import PlanningForm

        today = local_date(self.ctx.now())
        ctx = self.ctx

        def done(result: schedule.SeriesResult | None) -> None:
            if result is None:
                return
            text = t("schedule.series_created", n=len(result.sessions), skipped=len(result.skipped_holidays))
            if result.warning:
                text += " " + result.warning
            self.notify(text, markup=False, timeout=8)
            self._focus_session(result.sessions[0].id if result.sessions else None)

        form = PlanningForm(
            ctx,
            t("schedule.form.series"),
            series_fields(options, today),
            check=lambda values: values.__setitem__("rule", rule_from(values)),
            submit=lambda values, force: schedule.create_series(
                ctx, draft_from(values), values["rule"], force=force
            ),
            field_map=SESSION_FIELD_MAP,
        )
        self.app.push_screen(form, done)

    def action_new_trip(self) -> None:
        from zhijin_training.tui.screens.trip_form import TripForm

        self.app.push_screen(
            TripForm("study_trip", local_date(self.ctx.now())), self._saved(t("trip.created.study_trip"))
        )

    def action_new_secondment(self) -> None:
        from zhijin_training.tui.screens.trip_form import TripForm

        self.app.push_screen(
            TripForm("secondment", local_date(self.ctx.now())), self._saved(t("trip.created.secondment"))
        )

    def _saved(self, message: str) -> Callable[[Any], None]:
        def done(result: Any) -> None:
            if result is None:
                return  # the form was closed without saving
            self.notify(message, markup=False)
            first = result[0] if isinstance(result, list) and result else result
            self._focus_session(getattr(first, "id", None))

        return done

    def _focus_session(self, session_id: int | None) -> None:
        """Reload and keep the cursor on the session just saved (not on an unrelated row)."""
        self._keep_on = session_id
        self.refresh_data()

    # ------------------------------------------------------------ change
    def _ask_scope(self, session: SessionView, then: Callable[[str], None]) -> None:
        if session.series_id is None:
            then("this")
            return

        def chosen(scope: str | None) -> None:
            if scope:
                then(scope)

        self.app.push_screen(
            Choice(
                t("schedule.scope.title"),
                [("this", t("schedule.scope.this")), ("following", t("schedule.scope.following"))],
            ),
            chosen,
        )

    def action_edit(self) -> None:
        from zhijin_training.tui.screens.session_form import edit_fields

        session = self.selected()
        if session is not None:
            self._ask_scope(
                session,
                lambda scope: self._edit_form(
                    session, scope, t("schedule.form.edit", title=session.title), edit_fields(session)
                ),
            )

    def action_reschedule(self) -> None:
        from zhijin_training.tui.screens.session_form import time_fields

        session = self.selected()
        if session is not None:
            self._ask_scope(
                session,
                lambda scope: self._edit_form(
                    session, scope, t("schedule.form.reschedule", title=session.title), time_fields(session)
                ),
            )

    def _edit_form(self, session: SessionView, scope: str, title: str, fields: list[Field]) -> None:
        from zhijin_training.services import schedule
        from zhijin_training.tui.screens.session_form import SESSION_FIELD_MAP, changes_from

        ctx = self.ctx

        def submit(values: dict[str, Any], force: bool) -> list[SessionView] | str:
            changes = changes_from(session, values)
            if changes is None:
                return "unchanged"
            return schedule.update_session(
                ctx, session.id, changes, expected_version=session.version, scope=scope, force=force
            )

        def done(rows: list[SessionView] | str | None) -> None:
            if rows is None:
                return
            if rows == "unchanged":
                self.notify(t("schedule.unchanged"))
                return
            self.notify(t("schedule.updated", n=len(rows)), markup=False)
            self._focus_session(session.id)

        self.app.push_screen(FormDialog(title, fields, submit=submit, field_map=SESSION_FIELD_MAP), done)

    def action_cancel_session(self) -> None:
        session = self.selected()
        if session is None:
            return
        if session.is_cancelled:
            self.notify(t("schedule.already_cancelled"), severity="warning")
            return
        self._ask_scope(session, lambda scope: self._cancel_form(session, scope))

    def _cancel_form(self, session: SessionView, scope: str) -> None:
        from zhijin_training.services import schedule

        ctx = self.ctx

        def submit(values: dict[str, Any], _force: bool) -> list[SessionView]:
            return schedule.cancel_session(
                ctx, session.id, expected_version=session.version, reason=values["reason"], scope=scope
            )

        def done(rows: list[SessionView] | None) -> None:
            if rows is not None:
                self.notify(t("schedule.cancelled", n=len(rows)))
                self._focus_session(session.id)

        form = FormDialog(
            t("schedule.form.cancel", title=session.title),
            [Field("reason", t("schedule.cancel_reason"), required=True)],
            submit=submit,
        )
        self.app.push_screen(form, done)

    # ------------------------------------------------------------ calendar export and import
    def action_export(self) -> None:
        """.ics of the selected session, or of its whole programme (a lecture series, a trip)."""
        session = self.selected()
        if session is None:
            return

        def chosen(what: str | None) -> None:
            if what == "programme":
                name = f"{session.programme_title}.ics"
                selector: dict[str, Any] = {"programme_id": session.programme_id}
            elif what == "session":
                name = f"{session.first_day.isoformat()}-{session.title}.ics"
                selector = {"session_ids": [session.id]}
            else:
                return
            ask_save_path(
                self,
                t("schedule.form.export", title=session.title),
                default_path(name),
                lambda path: self._export(path, selector),
            )

        self.app.push_screen(
            Choice(
                t("schedule.form.export", title=session.title),
                [("session", t("schedule.export_session")), ("programme", t("schedule.export_programme"))],
            ),
            chosen,
        )

    def _export(self, path: Path, selector: dict[str, Any]) -> None:
        from zhijin_training.ical.export import write_calendar

        ctx = self.ctx
        self.run_service(
            lambda: write_calendar(ctx, path, **selector),
            lambda n: self.notify(t("schedule.exported", n=n, path=str(path)), markup=False, timeout=8),
        )

    def action_import(self) -> None:
        """Sessions from another calendar (.ics): a preview of what changes, then a question, then writing."""
        ask_open_path(self, t("schedule.import_title"), self._preview_import, note=t("schedule.import_note"))

    def _preview_import(self, path: Path, choice: Any = None) -> None:
        from zhijin_training.ical.importer import preview_import
        from zhijin_training.ical.parse import read_file

        ctx = self.ctx
        self._import_choice = choice
        self.run_service(
            lambda: preview_import(ctx, read_file(path), path.name, programme=choice),  # size checked first
            lambda preview: self._show_import(preview, path),
        )

    def _choose_window(self, preview: Any, path: Path) -> None:
        """The days recurring events are expanded over (the CLI's --from/--to): asked in a form that previews
        again with them; a reversed range stays in the form with the field marked."""
        from zhijin_training.ical.importer import preview_import
        from zhijin_training.ical.parse import Window, read_file

        ctx = self.ctx
        choice = getattr(self, "_import_choice", None)
        fields = [
            Field(
                "first",
                t("icalwindow.from"),
                kind="date",
                value=preview.window.first.isoformat(),
                required=True,
            ),
            Field(
                "last", t("icalwindow.to"), kind="date", value=preview.window.last.isoformat(), required=True
            ),
        ]

        def submit(values: dict[str, Any], force: bool) -> Any:
            window = Window.around(local_date(ctx.now()), values["first"], values["last"])
            return preview_import(ctx, read_file(path), path.name, window=window, programme=choice)

        def previewed(again: Any) -> None:
            if again is not None:
                self._show_import(again, path)

        self.app.push_screen(
            FormDialog(
                t("icalwindow.title"),
                fields,
                note=t("icalwindow.note"),
                submit=submit,
                field_map={"from": "first", "to": "last"},
            ),
            previewed,
        )

    def _choose_programme(self, preview: Any, path: Path) -> None:
        """Foreign sessions join a programme the person picks or creates here, never one named after the file.
        The form previews again with the choice; a refusal (e.g. the programme is gone) stays in the form."""
        from zhijin_training.ical.importer import ProgrammeChoice, preview_import
        from zhijin_training.ical.parse import read_file
        from zhijin_training.services.programmes import list_programmes
        from zhijin_training.tui.kit.dialogs import FieldError

        ctx = self.ctx

        def choice_from(values: dict[str, Any]) -> ProgrammeChoice:
            if values["programme"] == "new":
                chosen = ProgrammeChoice(new_title=str(values["title"]).strip(), kind=preview.suggested_kind)
            else:
                chosen = ProgrammeChoice(existing=int(values["programme"]))
            self._import_choice = chosen  # kept when the expansion window is changed afterwards
            return chosen

        def ask(existing: Any) -> None:
            options = [(t("ical.new_programme"), "new")] + [(p.title, str(p.id)) for p in existing]
            fields = [
                Field(
                    "programme",
                    t("ical.choose_programme"),
                    kind="select",
                    options=options,
                    value="new",
                    required=True,
                ),
                Field("title", t("ical.new_programme_field"), max_length=200),
            ]

            def check(values: dict[str, Any]) -> None:
                if values["programme"] == "new" and not str(values.get("title") or "").strip():
                    raise FieldError("title", t("error.ical.programme_required"))

            def submit(values: dict[str, Any], force: bool) -> Any:
                return preview_import(
                    ctx, read_file(path), path.name, window=preview.window, programme=choice_from(values)
                )

            def previewed(again: Any) -> None:
                if again is not None:
                    self._show_import(again, path)

            self.app.push_screen(
                FormDialog(
                    t("schedule.import_title"),
                    fields,
                    note=path.name,
                    check=check,
                    submit=submit,
                    field_map={"programme": "programme", "title": "title"},
                ),
                previewed,
            )

        self.run_service(lambda: list_programmes(ctx, active_only=True), ask)

    def _show_import(self, preview: Any, path: Path | None = None) -> None:
        from zhijin_training.tui.screens.preview import WindowedPreviewDialog

        if not preview.has_changes and not (
            preview.has_series and preview.window is not None and path is not None
        ):
            self.notify(
                t("schedule.import_nothing", same=len(preview.unchanged), skipped=len(preview.skipped)),
                markup=False,
                timeout=8,
            )
            return
        if preview.needs_programme and path is not None:
            self._choose_programme(preview, path)
            return

        def line(item: Any) -> str:
            extra = f"  ({item.reason})" if item.reason else ""
            return f"{item.where}  {item.title}{extra}"

        about = [t("ical.preview.encoding", encoding=preview.encoding)]
        if preview.window is not None:
            about.append(t("ical.preview.window", first=preview.window.first, last=preview.window.last))
        if preview.programme_new:
            about.append(
                t(
                    "ical.preview.programme_new",
                    title=preview.programme_new[0],
                    kind=label("programme_kind", preview.programme_new[1]),
                )
            )
        about += [t("ical.preview.ignored", name=name, n=n) for name, n in preview.ignored]
        sections = [
            (t("preview.added", n=len(preview.added)), [line(i) for i in preview.added], "bold green"),
            (t("preview.changed", n=len(preview.changed)), [line(i) for i in preview.changed], "bold yellow"),
            (t("preview.skipped", n=len(preview.skipped)), [line(i) for i in preview.skipped], "bold"),
            (
                t("preview.new_programmes", n=len(preview.new_programmes)),
                [f"{title} ({label('programme_kind', kind)})" for title, kind in preview.new_programmes],
                "bold",
            ),
            (t("ical.preview.file"), about, "bold"),
        ]
        summary = t(
            "schedule.import_summary",
            name=preview.calendar_name or preview.source_name,
            added=len(preview.added),
            changed=len(preview.changed),
            same=len(preview.unchanged),
            skipped=len(preview.skipped),
        )

        # recurring events outside the window import nothing: the preview still opens, so w can widen the days
        dialog = WindowedPreviewDialog(
            t("schedule.import_title"),
            summary,
            sections,
            can_apply=preview.has_changes,
            question="" if preview.has_changes else t("icalwindow.nothing_in_window"),
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._apply_import(preview)
            elif dialog.wants_window and path is not None and preview.window is not None:
                self._choose_window(preview, path)

        self.app.push_screen(dialog, answered)

    def _apply_import(self, preview: Any) -> None:
        from zhijin_training.ical.importer import apply_import

        ctx = self.ctx

        def done(result: Any) -> None:
            self.notify(
                t("schedule.imported", added=result.added, changed=result.changed), markup=False, timeout=8
            )
            self.refresh_data()

        self.run_service(lambda: apply_import(ctx, preview), done, on_conflict=self.refresh_data)

    # ------------------------------------------------------------ participants and itinerary (issue 10)
    def action_participants(self) -> None:
        from zhijin_training.tui.screens.participants_edit import ParticipantsDialog

        session = self.selected()
        if session is None:
            return
        if session.is_cancelled:
            self.notify(t("feat.people.cancelled"), severity="warning", markup=False)
            return

        def done(change: Any) -> None:
            if change is not None:
                self.notify(
                    t("feat.people.saved", added=len(change.added), removed=len(change.removed)), markup=False
                )
                self._focus_session(session.id)

        self.app.push_screen(ParticipantsDialog(session), done)

    def action_itinerary(self) -> None:
        from zhijin_training.tui.screens.itinerary_edit import itinerary_dialog

        session = self.selected()
        if session is None:
            return
        if not session.all_day or session.programme_kind not in ("study_trip", "secondment"):
            self.notify(t("feat.itinerary.not_trip"), severity="warning", markup=False)
            return

        def done(updated: Any) -> None:
            if updated is not None:
                self.notify(t("feat.itinerary.saved", n=len(updated.itinerary)), markup=False)
                self._focus_session(session.id)

        self.app.push_screen(itinerary_dialog(self.ctx, session), done)


def session_local_start(session: SessionView) -> datetime:
    return to_local(session.starts_at)
