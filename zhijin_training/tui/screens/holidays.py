"""Holidays the office plans on (Schedule `H`), and the planning forms that say when a year is unknown.

`HolidaysScreen`: one year's public holidays and 调休 working days, the office's own entries over the built-in
ones. Admins add days off (`a`), working days (`w`) or a whole year from an .ics feed (`i`, a preview first, all
or nothing). After a change it lists the sessions already planned on rest days of the year; `m` moves the
highlighted one to the next working day, `s` leaves it out (cancels it, the holiday as reason). Those keys
change data (`edits=True`) and are offered to admins only (the services refuse anyone else anyway).

`PlanningForm`: the kit's FormDialog for a single session or a series, with a line under the fields that says,
as the dates are typed, when the plan reaches a year whose holidays nobody has entered, and refuses "skip
holidays" for it in the form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from zhijin_training.i18n import t
from zhijin_training.settings import AccessRole
from zhijin_training.textsafe import printable
from zhijin_training.timeutil import DateParseError, local_date, parse_date
from zhijin_training.tui.kit.calls import Calls, explain, run_call
from zhijin_training.tui.kit.dialogs import Confirm, Field, FormDialog, TableDialog
from zhijin_training.tui.kit.keymap import Key, Keyed, edit_actions, keys
from zhijin_training.tui.kit.table import Col, Table

_WEEKDAYS = "一二三四五六日"


class HolidaysScreen(Keyed, Calls, ModalScreen[bool]):
    """Dismisses with True when something changed (the schedule reloads)."""

    CSS_PATH = "holidays.tcss"
    KEYS: ClassVar = keys(
        Key("dialog.close", "escape", "close", "kit.key.close"),
        Key("holidays.previous", "left_square_bracket", "year(-1)", "holiday.k.prev", key_display="["),
        Key("holidays.next", "right_square_bracket", "year(1)", "holiday.k.next", key_display="]"),
        Key("holidays.add", "a", "add('holiday')", "holiday.k.add", edits=True),
        Key("holidays.workday", "w", "add('workday')", "holiday.k.workday", edits=True),
        Key("holidays.import", "i", "import_ics", "holiday.k.import", edits=True),
        Key("holidays.move", "m", "move", "holiday.k.move", edits=True),
        Key("holidays.skip", "s", "skip", "holiday.k.skip", edits=True),
    )

    def __init__(self, ctx: Any, year: int | None = None) -> None:
        super().__init__(classes="holidays-screen")
        self.ctx = ctx
        today = local_date(ctx.now())
        # from October on, the office is planning next year
        self.year = year or (today.year + 1 if today.month >= 10 else today.year)
        self.changed = False
        self.clashes: list[Any] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="holidays-box"):
            yield Static("", id="h-title", classes="holidays-title")
            yield Static("", id="h-state", classes="holidays-state")
            yield Table(
                [
                    Col("day", t("holiday.col.day"), 10),
                    Col("weekday", t("holiday.col.weekday"), 4),
                    Col("kind", t("holiday.col.kind"), 12),
                    Col("name", t("holiday.col.name"), 16, grow=1),
                ],
                id="h-days",
                zebra_stripes=False,
            )
            yield Static("", id="h-clash-title", classes="holidays-state")
            yield Table(
                [
                    Col("id", "#", 4, right=True),
                    Col("when", t("holiday.col.when"), 16),
                    Col("title", t("holiday.col.title"), 20, grow=1),
                    Col("rest", t("holiday.col.rest"), 8),
                ],
                id="h-clashes",
                zebra_stripes=False,
            )
            yield Static("", id="h-msg", classes="holidays-msg")
            yield Static(t("holiday.hint"), classes="holidays-hint", markup=False)

    def on_mount(self) -> None:
        self.load()

    # ------------------------------------------------------------ what may be done
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # holidays are the admins' (the screen says so): the keys that change them are not offered to others
        return not (action in edit_actions(type(self)) and self.ctx.actor.role != AccessRole.ADMIN)

    # ------------------------------------------------------------ loading
    def load(self) -> None:
        from zhijin_training.services import holidays

        ctx, year = self.ctx, self.year

        def work() -> tuple[int, list[Any], bool, list[Any], Any]:
            days, known = holidays.list_year(ctx, year)
            clashes = holidays.sessions_on_rest_days(ctx, year) if known else []
            cal = holidays.calendar_for(ctx, date(year, 1, 1), date(year, 12, 31))
            return year, days, known, clashes, cal

        self._run(work, self._show, tag="load")

    def _run(self, fn: Callable[[], Any], done: Callable[[Any], Any], tag: str | None = None) -> None:
        # errors are shown in the screen itself, in the interface language; never a traceback
        run_call(self, fn, done, tag=tag, failed=lambda exc: self._say(explain(exc)[1], True))

    def _show(self, result: tuple[int, list[Any], bool, list[Any], Any]) -> None:
        year, days, known, clashes, cal = result
        if year != self.year:
            return
        self.query_one("#h-title", Static).update(Text(t("holiday.title", year=year), style="bold"))
        state = t("holiday.known", n=len(days)) if known else t("holiday.unknown_year", years=year)
        if self.ctx.actor.role != AccessRole.ADMIN:
            state += "  " + t("holiday.admin_only")
        self.query_one("#h-state", Static).update(Text(state, style="" if known else "bold $warning"))
        self.query_one("#h-days", Table).set_rows(
            (
                d.day.isoformat(),
                [
                    d.day.isoformat(),
                    _WEEKDAYS[d.day.weekday()],
                    t(f"holiday.kind.{d.kind}")
                    + ("" if d.source == "office" else f" ({t('holiday.source.library')})"),
                    Text(printable(d.name)),
                ],
            )
            for d in days
        )
        self.clashes = clashes
        self.query_one("#h-clash-title", Static).update(
            Text(t("holiday.clashes", n=len(clashes)) if clashes else t("holiday.none_clash"))
        )
        self.query_one("#h-clashes", Table).set_rows(
            (
                str(s.id),
                [
                    str(s.id),
                    s.start_text,
                    Text(printable(s.title)),
                    Text(printable(cal.day_info(local_date(s.starts_at)).rest_name or "")),
                ],
            )
            for s in clashes
        )

    def _say(self, text: str, error: bool = False) -> None:
        self.query_one("#h-msg", Static).update(Text(printable(text), style="bold $error" if error else ""))

    # ------------------------------------------------------------ keys
    def action_close(self) -> None:
        self.dismiss(self.changed)

    def action_year(self, step: int) -> None:
        self.year += step
        self._say("")
        self.load()

    def action_add(self, kind: str) -> None:
        from zhijin_training.services import holidays

        fields = [
            Field(
                "dates",
                t("holiday.f.days"),
                required=True,
                placeholder=f"{self.year}-02-06..{self.year}-02-12",
            ),
            Field(
                "name",
                t("holiday.f.name"),
                required=True,
                placeholder=t(f"holiday.f.name_hint.{kind}"),
            ),
        ]
        title = t("holiday.k.add") if kind == "holiday" else t("holiday.k.workday")
        ctx = self.ctx

        def submit(values: dict[str, Any], _force: bool) -> Any:
            first, last = holidays.parse_range(values["dates"])
            return holidays.save_days(ctx, holidays.entries_for(first, last, kind, values["name"]))

        # a bad range or name is marked in the form, which stays open with what was typed
        self.app.push_screen(
            FormDialog(title, fields, note=t("holiday.f.note"), submit=submit),
            lambda result: self._saved(result) if result is not None else None,
        )

    def _saved(self, result: Any) -> None:
        self.changed = True
        days = result.days
        self._say(
            t(
                "holiday.saved",
                n=len(days),
                first=days[0].day.isoformat(),
                last=days[-1].day.isoformat(),
                name="、".join(dict.fromkeys(e.name for e in days)),
            )
        )
        self.year = days[0].day.year
        self.load()

    def action_import_ics(self) -> None:
        from zhijin_training.tui.files import ask_open_path

        ask_open_path(self, t("holiday.k.import"), self._preview, note=t("holiday.import_note"))

    def _preview(self, path: Any) -> None:
        from zhijin_training.services import holidays

        def shown(preview: Any) -> None:
            off = sum(1 for e in preview.entries if e.kind == "holiday")
            title = t(
                "holiday.import_confirm",
                years="、".join(map(str, preview.years)),
                off=off,
                work=len(preview.entries) - off,
            )
            columns = [
                Col("kind", t("holiday.col.kind"), 6),
                Col("span", t("holiday.col.day"), 22),
                Col("name", t("holiday.col.name"), 16, grow=1),
            ]
            rows = [(str(n), cells) for n, cells in enumerate(_periods(preview.entries))]
            self.app.push_screen(
                TableDialog(title, columns, rows, note=t("holiday.import_enter"), pickable=True),
                lambda picked: self._apply(preview) if picked is not None else None,
            )

        self._run(lambda: holidays.read_ics(path), shown)

    def _apply(self, preview: Any) -> None:
        from zhijin_training.services import holidays

        ctx = self.ctx
        self._run(lambda: holidays.save_days(ctx, preview.entries), self._saved)

    def _selected_clash(self) -> Any | None:
        key = self.query_one("#h-clashes", Table).selected_key
        session = next((s for s in self.clashes if str(s.id) == key), None)
        if session is None:
            self._say(t("holiday.no_clash_selected"), True)
        return session

    def action_move(self) -> None:
        from zhijin_training.services import holidays

        session = self._selected_clash()
        if session is None:
            return
        ctx = self.ctx

        def moved(view: Any) -> None:
            self.changed = True
            self._say(t("holiday.moved", id=view.id, when=view.start_text))
            self.load()

        self._run(lambda: holidays.move_to_next_workday(ctx, session.id), moved)

    def action_skip(self) -> None:
        from zhijin_training.services import holidays

        session = self._selected_clash()
        if session is None:
            return
        ctx, year = self.ctx, self.year

        def work() -> Any:
            cal = holidays.calendar_for(ctx, date(year, 1, 1), date(year, 12, 31))
            return holidays.skip_session(
                ctx, session.id, cal.day_info(local_date(session.starts_at)).rest_name or ""
            )

        def skipped(view: Any) -> None:
            self.changed = True
            self._say(t("holiday.skipped", id=view.id))
            self.load()

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(work, skipped)

        # skipping cancels the session for everyone invited: asked first, like every cancellation
        self.app.push_screen(
            Confirm(
                t("holiday.skip_confirm.title"),
                t(
                    "holiday.skip_confirm.text",
                    title=session.title,
                    when=session.start_text,
                    people=session.participant_count,
                ),
            ),
            answered,
        )


def _periods(entries: list[Any]) -> list[list[str | Text]]:
    """Consecutive days of the same name and kind as one line: 春节 假期  2027-02-06..02-12 (7)."""
    out: list[list[Any]] = []
    for e in entries:
        if (
            out
            and out[-1][0].name == e.name
            and out[-1][0].kind == e.kind
            and (e.day - out[-1][-1].day).days == 1
        ):
            out[-1].append(e)
        else:
            out.append([e])
    lines: list[list[str | Text]] = []
    for run in out:
        first, last = run[0].day, run[-1].day
        span = first.isoformat() if first == last else f"{first.isoformat()}..{last:%m-%d}（{len(run)}）"
        lines.append([t(f"holiday.kind.{run[0].kind}"), span, Text(printable(run[0].name))])
    return lines


class PlanningForm(FormDialog):
    """A planning form (a series, or a single session) with a holiday note under the fields.

    The form opens at once (keys typed ahead land in it); which years have holiday data is loaded by a worker
    and the note appears when it arrives. Until then the service's own refusal still holds.
    """

    def __init__(
        self,
        ctx: Any,
        title: str,
        fields: Sequence[Field],
        *,
        check: Callable[[dict[str, Any]], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(title, fields, check=self._check_all, **kwargs)
        self.ctx = ctx
        self._own_check = check
        self.known_years: set[int] | None = None

    def on_mount(self) -> None:
        super().on_mount()
        # under the scrolling fields, next to the form's own message: seen whichever field is being typed
        form_error = self.query_one("#form-error")
        assert form_error.parent is not None
        form_error.parent.mount(
            Static("", id="holiday-note", classes="kit-error", markup=False), before=form_error
        )
        from zhijin_training.services import holidays

        ctx = self.ctx
        today = local_date(ctx.now())
        # the note is a courtesy: without it the service still refuses, so a failure stays silent
        run_call(
            self,
            lambda: holidays.known_years(ctx, today.year - 1, today.year + 5),
            self._known,
            tag="holiday-years",
            failed=lambda _exc: None,
        )

    def _known(self, years: set[int]) -> None:
        self.known_years = years
        self._update_note()

    @on(Input.Changed)
    def _dates_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("f-date", "f-until"):
            self._update_note()

    def _unknown(self, first: date, until: date) -> list[int]:
        if self.known_years is None:
            return []
        low, high = min(first, until), max(first, until)
        return [y for y in range(low.year, high.year + 1) if y not in self.known_years]

    def _update_note(self) -> None:
        if not self.is_mounted:
            return
        first_text = self.query_one("#f-date", Input).value.strip()
        untils = self.query("#f-until")  # a single session's form has no end of series
        until_text = untils.first(Input).value.strip() if untils else ""
        try:
            first = parse_date(first_text, field="date")
            until = parse_date(until_text, field="until") if until_text else first
        except DateParseError:
            return
        unknown = self._unknown(first, until)
        note = self.query_one("#holiday-note", Static)
        note.update(Text(t("holiday.unknown_year", years="、".join(map(str, unknown)))) if unknown else "")

    def _check_all(self, values: dict[str, Any]) -> None:
        if self._own_check is not None:
            self._own_check(values)
        if not values.get("skip_holidays") or values.get("date") is None:
            return
        unknown = self._unknown(values["date"], values.get("until") or values["date"])
        if unknown:
            from zhijin_training.services.errors import ValidationError

            # marked next to "skip holidays" by the form, in the interface language
            raise ValidationError("holidays.year_unknown", field="skip_holidays", years=unknown)
