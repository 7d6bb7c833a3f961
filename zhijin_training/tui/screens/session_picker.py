"""Choose a session for attendance: recent and coming sessions, searchable by title, topic, speaker, place."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from zhijin_training.i18n import label, t
from zhijin_training.services import schedule
from zhijin_training.services.context import Context
from zhijin_training.services.views import SessionView
from zhijin_training.timeutil import format_local, local_date
from zhijin_training.tui.kit.calls import Calls
from zhijin_training.tui.kit.keymap import Key, Keyed, keys
from zhijin_training.tui.kit.table import Col, Row, Table
from zhijin_training.tui.widgets.fmt import state_width

WINDOW_BEFORE = timedelta(days=120)
WINDOW_AFTER = timedelta(days=60)


def candidate_sessions(ctx: Context, search: str) -> list[SessionView]:
    """Sessions from four months back to two months ahead, newest first (search: all time)."""
    today = local_date(ctx.now())
    if search:
        return schedule.list_sessions(ctx, search=search, descending=True, limit=200)
    return schedule.list_sessions(
        ctx, start=today - WINDOW_BEFORE, end=today + WINDOW_AFTER, descending=True, limit=200
    )


def session_row(s: SessionView) -> Row:
    recorded = f"{s.recorded_count}/{s.participant_count}"
    state = label("session_status", s.status)
    return (
        str(s.id),
        (format_local(s.starts_at, "%Y-%m-%d %H:%M"), s.title, recorded, state),
    )


class SessionPicker(Keyed, Calls, ModalScreen[int | None]):
    KEYS: ClassVar = keys(
        Key("dialog.close", "escape", "close", "kit.key.close"),
        Key("dialog.search", "slash", "search", "roster.k.search"),
    )

    def __init__(self, current: int | None = None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="kit-dialog wide"):
            yield Static(Text(t("picker.title")), classes="kit-title")
            yield Input(
                placeholder=t("picker.search"), id="picker-search", compact=True, select_on_focus=False
            )
            yield Table(
                [
                    Col("when", t("common.col.when"), 16),
                    Col("title", t("common.col.title"), 16, grow=1),
                    Col("taken", t("common.col.taken"), 7, right=True),
                    Col("state", t("common.col.state"), state_width(), optional=1),  # "Scheduled" whole
                ],
                id="picker-table",
            )

    def on_mount(self) -> None:
        self.query_one(Table).focus()
        self.call_service("sessions", candidate_sessions, self.app.ctx, "")  # type: ignore[attr-defined]

    def done_sessions(self, sessions: list[SessionView]) -> None:
        table = self.query_one(Table)
        table.set_rows([session_row(s) for s in sessions])
        if self.current is not None:
            table.select_key(str(self.current))
        else:  # newest first: start on the latest session that has begun, not on next month's
            now = self.app.ctx.now()  # type: ignore[attr-defined]
            begun = next((s for s in sessions if s.starts_at <= now), None)
            if begun is not None:
                table.select_key(str(begun.id))

    def on_key(self, event: events.Key) -> None:
        """Typing on the list searches: the letters go to the search box (Down/Enter come back to the list)."""
        search = self.query_one("#picker-search", Input)
        if self.focused is search:
            if event.key == "down":
                event.stop()
                self.query_one(Table).focus()
            return
        if event.is_printable and event.character and event.character not in "/":
            event.stop()
            search.focus()
            search.insert_text_at_cursor(event.character)

    @on(Input.Changed, "#picker-search")
    def _typed(self, event: Input.Changed) -> None:
        self.call_service("sessions", candidate_sessions, self.app.ctx, event.value.strip())  # type: ignore[attr-defined]

    @on(Input.Submitted, "#picker-search")
    def _to_table(self) -> None:
        table = self.query_one(Table)
        if table.row_count == 1 and table.selected_key is not None:  # one match: Enter takes it
            self.dismiss(int(table.selected_key))
            return
        table.focus()

    @on(DataTable.RowSelected, "#picker-table")
    def _picked(self, event: DataTable.RowSelected) -> None:
        self.dismiss(int(event.row_key.value or 0))

    def action_search(self) -> None:
        self.query_one("#picker-search", Input).focus()

    def action_close(self) -> None:
        self.dismiss(None)
