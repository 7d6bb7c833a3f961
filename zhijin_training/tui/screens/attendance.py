"""考勤 Attendance: one key per status, saved as you go.

Each key writes that one record at once (its own transaction, in a thread worker), so nothing typed is
lost if the SSH link drops. Marks are saved in the order typed by one worker at a time (a queue), so
pressing p then l on the same person never races. A correction of a status recorded earlier asks for a
reason and is retried; a record someone else changed meanwhile shows who and when, and the list reloads.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Static

from zhijin_training.enums import status_spec, status_specs
from zhijin_training.i18n import has_key, label, t
from zhijin_training.models import AttendanceStatus
from zhijin_training.services import attendance, schedule
from zhijin_training.services.attendance import Mark, tally
from zhijin_training.services.context import Context
from zhijin_training.services.errors import ConflictError, CorrectionRequired, describe
from zhijin_training.services.hours import LeaveLimitWarning
from zhijin_training.services.views import ParticipantView, SessionAttendance, SessionView
from zhijin_training.textsafe import printable
from zhijin_training.timeutil import format_local, local_date, local_midnight
from zhijin_training.tui.base import SectionScreen
from zhijin_training.tui.files import ask_save_path, default_path
from zhijin_training.tui.kit.dialogs import Confirm, Field, FormDialog
from zhijin_training.tui.kit.keymap import Key, keys
from zhijin_training.tui.kit.lines import LineTable
from zhijin_training.tui.kit.table import Col, Row
from zhijin_training.tui.screens.ops_common import rate_text, short_status, status_cell
from zhijin_training.tui.screens.session_picker import SessionPicker

# one key per attendance status, from the status table (enums.STATUS_SPECS)
STATUS_KEYS: dict[str, str] = {spec.key: spec.value for spec in status_specs()}


def footer_word(status: str) -> str:
    """The catalogue key of a status's footer word: its short form, or its name when it has none."""
    return f"status.key.{status}" if has_key(f"status.key.{status}") else f"status.{status}"


def default_session_id(ctx: Context) -> int | None:
    """The session happening now, else the latest one not fully recorded, else the next one, else the last."""
    now = ctx.now()
    today = local_date(now)
    today_sessions = schedule.list_sessions(ctx, start=today, end=today, include_cancelled=False)
    for s in today_sessions:
        if not s.all_day and s.starts_at <= now < s.ends_at and s.participant_count:
            return s.id
    waiting = [s for s in schedule.awaiting_attendance(ctx, limit=10) if not s.all_day]
    if waiting:
        return waiting[0].id
    coming = [s for s in schedule.upcoming(ctx) if not s.is_cancelled and s.participant_count]
    starting = [s for s in coming if s.starts_at >= local_midnight(today)]  # not a secondment under way
    if starting or coming:
        return (starting or coming)[0].id
    last = schedule.list_sessions(ctx, end=today, descending=True, limit=1, include_cancelled=False)
    return last[0].id if last else None


def neighbour_session_id(ctx: Context, session: SessionView, step: int) -> int | None:
    """The session just before (step -1) or after (step 1) this one in time."""
    day = local_date(session.starts_at)
    if step < 0:
        rows = schedule.list_sessions(ctx, end=day, descending=True, limit=50)
        before = [s for s in rows if (s.starts_at, s.id) < (session.starts_at, session.id)]
        return before[0].id if before else None
    rows = schedule.list_sessions(ctx, start=day, end=day + timedelta(days=400), limit=50)
    after = [s for s in rows if (s.starts_at, s.id) > (session.starts_at, session.id)]
    return after[0].id if after else None


def _status_width() -> int:
    """6 cells hold every status in Chinese; English words ("Not taken", "Left early") need up to 10."""
    from rich.cells import cell_len

    from zhijin_training.tui.screens.ops_common import status_label

    words = [status_label(s.value) for s in AttendanceStatus] + [status_label(None)]
    return min(max(6, *(cell_len(w) for w in words)), 10)


@dataclass(frozen=True)
class MarkJob:
    session_id: int
    cadre_id: int
    mark: Mark
    before: str | None  # status on screen when the key was pressed


class AttendanceScreen(SectionScreen):
    # as default CSS, not CSS_PATH: a screen's CSS_PATH makes Textual re-parse every stylesheet and restyle
    # every widget of the app when the screen first opens (~130 ms); default CSS is added incrementally
    DEFAULT_CSS = (Path(__file__).parent / "attendance.tcss").read_text(encoding="utf-8")
    KEYS: ClassVar = keys(
        # the footer says "p 出" (status.key.*, one character in Chinese) so that every key fits 80 columns;
        # F1 and the palette give the status's full name
        *(
            Key(
                f"attendance.{spec.value}",
                spec.key,
                f"mark('{spec.value}')",
                footer_word(spec.value),
                tooltip=f"status.{spec.value}",
                edits=True,
            )
            for spec in status_specs()
        ),
        # short words for the footer at 80 columns; the palette and F1 show the tooltip's longer wording
        Key(
            "attendance.all_present",
            "A",
            "all_present",
            "kit.short.all_present",
            key_display="A",
            tooltip="attendance.k.all_present_long",
            edits=True,
        ),
        Key("attendance.pick", "s", "pick_session", "kit.short.pick", tooltip="attendance.k.pick_long"),
        Key("attendance.signin", "g", "signin_sheet", "kit.short.signin", tooltip="attendance.k.signin"),
        Key("attendance.venue", "w", "cycle_venue", "attendance.k.venue", show=False),
        Key(
            "attendance.previous",
            "left_square_bracket",
            "neighbour(-1)",
            "attendance.k.previous",
            key_display="[",
            show=False,
        ),
        Key(
            "attendance.next",
            "right_square_bracket",
            "neighbour(1)",
            "attendance.k.next",
            key_display="]",
            show=False,
        ),
        Key("attendance.reload", "r,f5,ctrl+r", "reload", "common.k.reload", show=False),
    )

    def __init__(self) -> None:
        super().__init__()
        self.sheet: SessionAttendance | None = None
        self.people: dict[int, ParticipantView] = {}
        self.order: list[int] = []
        self._number: dict[int, int] = {}  # cadre id -> row number (1-based), not a list search per row
        self.venues: list[str] = []
        self.venue_index = 0
        self.pending: set[int] = set()
        self._forced_cadre = 0  # the cadre whose leave over 1/7 is being saved anyway
        self._queue: deque[MarkJob] = deque()
        self._lock = threading.Lock()
        self._draining = False
        self._requested: int | None = None
        self._sheet_loading = False  # a sheet read is under way (its result not delivered yet)
        self._binding_state = (False, False)  # (cancelled, not yet begun) the footer's keys were chosen for

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static("", id="att-session")
        yield Static("", id="att-counts")
        # a Line-API list: only the rows on screen are drawn, one row redrawn per mark (kit.lines)
        yield LineTable(self._columns(False), id="att-table")
        # the marks offered depend on the session (under way, not yet begun, cancelled): keys once it is known
        yield from self.compose_bottom(footer_waits=True)

    @staticmethod
    def _columns(with_venue: bool) -> list[Col]:
        cols = [
            Col("no", t("common.col.no"), 4, right=True),
            Col("name", t("common.col.name"), 8, grow=1),
            Col("unit", t("common.col.unit"), 12, grow=3),
            Col("post", t("common.col.post"), 10, grow=3, optional=2),
            Col("status", t("common.col.status"), _status_width()),
        ]
        if with_venue:
            cols.append(Col("venue", t("common.col.venue"), 10, grow=2, optional=3))
        cols.append(Col("detail", t("common.col.detail"), 10, grow=3, optional=1))
        return cols

    @property
    def table(self) -> LineTable:
        return self.query_one("#att-table", LineTable)

    def on_mount(self) -> None:
        self.table.focus()
        requested = self.zapp.take_attendance_request()
        if requested is not None:  # opened for a given session: no need to look for the default one
            self.load_session(requested)
        elif self._requested is None:
            self.call_service("default", default_session_id, self.ctx)

    def done_default(self, session_id: int | None) -> None:
        if self._requested is not None:
            return  # someone asked for a session meanwhile (open_attendance)
        if session_id is None:
            self.query_one("#att-session", Static).update(Text(t("attendance.no_sessions")))
            self.show_footer_keys()
            return
        self.load_session(session_id)

    # ------------------------------------------------------------ loading
    def load_session(self, session_id: int) -> None:
        """Show `session_id` (called by the app's `open_attendance`, the picker and [ / ])."""
        self._requested = session_id
        self._read_sheet(session_id)

    def _read_sheet(self, session_id: int) -> None:
        self._sheet_loading = True
        self.call_service("sheet", attendance.session_attendance, self.ctx, session_id)

    def failed_sheet(self, exc: BaseException) -> None:
        self._sheet_loading = False
        self.show_footer_keys()
        self.show_error(exc)

    def failed_default(self, exc: BaseException) -> None:
        self.show_footer_keys()
        self.show_error(exc)

    def done_sheet(self, sheet: SessionAttendance) -> None:
        self._sheet_loading = False
        same = self.sheet is not None and self.sheet.session.id == sheet.session.id
        self.sheet = sheet
        self.people = {p.cadre_id: p for p in sheet.participants}
        self.order = [p.cadre_id for p in sheet.participants]
        self._number = {cadre_id: i for i, cadre_id in enumerate(self.order, start=1)}
        session = sheet.session
        venues = [session.location or t("attendance.main_venue"), *session.branch_venues]
        if not same:
            self.venues = venues if session.branch_venues else []
            self.venue_index = 0
            self.table.replace_all(
                self._columns(bool(session.branch_venues)), [self._row(p) for p in sheet.participants]
            )
            self.table.move_cursor(row=self._first_untaken(), animate=False)
        else:
            self.table.set_rows([self._row(p) for p in sheet.participants])
        self._show_session()
        self._show_counts()
        # what may be marked depends on the session (future, cancelled); the footer is rebuilt only when that
        # changes (no sheet offers what a session under way offers)
        state = (session.is_cancelled, session.starts_at > self.ctx.now())
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()
        # the rows painted first, the footer's keys in the next frame: mounting and styling them took
        # half the time between the data arriving and the sheet showing it
        self.call_after_refresh(self.show_footer_keys)

    def allows(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A cancelled session offers no marks; one not yet begun only leave (v), which is known ahead."""
        if action not in ("mark", "all_present") or self.sheet is None:
            return True
        session = self.sheet.session
        if session.is_cancelled:
            return False
        if session.starts_at > self.ctx.now():
            return action == "mark" and parameters == (AttendanceStatus.ON_LEAVE.value,)
        return True

    def _first_untaken(self) -> int:
        for i, cadre_id in enumerate(self.order):
            if self.people[cadre_id].status is None:
                return i
        return 0

    def on_screen_resume(self) -> None:
        """Back on this section: show what others changed meanwhile (the app polls only the visible screen).

        Not while a read is under way: the one that opened the screen (Textual resumes a new mode's screen
        twice) or the session just picked is as fresh, and a second read of 300 people would only slow it."""
        if not self._sheet_loading:
            self.refresh_data()

    def refresh_data(self) -> None:
        """Someone changed data: reload the list in place (the cursor stays on the same person).

        The session reloaded is the one last asked for: a session just picked (s) must not be replaced by
        the one on screen when the picker closes and this screen resumes."""
        session_id = (
            self._requested
            if self._requested is not None
            else (self.sheet.session.id if self.sheet else None)
        )
        if session_id is not None and not self.pending:
            self._read_sheet(session_id)

    def action_reload(self) -> None:
        if self.sheet is not None:
            self.load_session(self.sheet.session.id)

    # ------------------------------------------------------------ drawing
    def _detail(self, p: ParticipantView) -> str:
        if p.status == AttendanceStatus.ON_LEAVE.value:
            who = t("attendance.approved_by", who=p.approved_by) if p.approved_by else ""
            return f"{p.leave_reason} {who}".strip()
        if p.status == AttendanceStatus.DEPUTY.value:
            return t("attendance.deputy_is", who=p.deputy_name)
        return p.note

    def _row(self, p: ParticipantView) -> Row:
        number = str(self._number[p.cadre_id]) if p.cadre_id in self._number else ""
        status: str | Text = status_cell(p.status)
        if p.cadre_id in self.pending:
            status = Text(status_cell(p.status).plain + "*", style="italic")
        values: list[str | Text] = [number, p.cadre_name, p.unit_name, p.post_title, status]
        if self.venues:
            values.append(p.venue)
        values.append(self._detail(p))
        return (str(p.cadre_id), values)

    def _show_session(self) -> None:
        assert self.sheet is not None
        s = self.sheet.session
        if s.all_day:
            when = f"{s.first_day.isoformat()}" + (
                f" ~ {s.last_day.isoformat()}" if s.last_day != s.first_day else ""
            )
        else:
            when = f"{format_local(s.starts_at, '%Y-%m-%d %H:%M')}-{format_local(s.ends_at, '%H:%M')}"
        text = Text(no_wrap=True, overflow="crop", end="")
        text.append(printable(s.title), style="bold")
        text.append("\n")
        text.append(f"{when}  {label('programme_kind', s.programme_kind)}  ")
        if s.is_cancelled:
            text.append(t("attendance.cancelled_banner"), style="bold reverse red")
        else:
            text.append(label("session_status", s.status), style="dim")
        if self.venues:  # broadcast lecture: which venue the next marks are for
            text.append(
                "  " + t("attendance.venue_now", venue=printable(self.venues[self.venue_index])), style="bold"
            )
        elif s.location:
            text.append("  " + printable(s.location))
        self.query_one("#att-session", Static).update(text)

    def _show_counts(self) -> None:
        if self.sheet is None:
            return
        counts = tally(list(self.people.values()), self.sheet.session.is_cancelled)
        total = len(self.people)
        head = [
            t("attendance.taken", taken=total - counts.not_taken, total=total),
            t("attendance.rate", rate=rate_text(counts.rate)),  # first: narrow screens
        ]
        line = self.query_one("#att-counts", Static)
        room = line.content_region.width or (self.size.width or 80) - 2
        tail = [f"{label('status', st.value)} {counts[st.value]}" for st in status_specs()]
        if cell_len(" ".join(head + tail)) > room:  # English words: the short column headings of Reports
            tail = [f"{short_status(st.value)} {counts[st.value]}" for st in status_specs()]
        # two spaces between figures when they fit (Chinese at 80 columns), else one
        gap = "  " if cell_len("  ".join(head + tail)) <= room else " "
        text = Text(no_wrap=True, overflow="crop", end="")
        text.append(gap.join(head), style="bold")
        text.append(gap + gap.join(tail))
        line.update(text)

    # ------------------------------------------------------------ marking
    def _current(self) -> ParticipantView | None:
        key = self.table.current_key()
        return self.people.get(int(key)) if key else None

    def _can_mark(self) -> bool:
        if self.sheet is None:
            self.show_info(t("attendance.no_session"))
            return False
        if self.sheet.session.is_cancelled:
            self.notify(t("attendance.cancelled_no_marks"), severity="warning", markup=False)
            return False
        return True

    def _venue(self) -> str | None:
        return self.venues[self.venue_index] if self.venues else None

    def action_mark(self, status: str) -> None:
        if not self._can_mark():
            return
        person = self._current()
        if person is None or self.sheet is None:
            return
        session_id = self.sheet.session.id
        if status == AttendanceStatus.ON_LEAVE.value:
            needs = status_spec(status).needs  # the domain's rule decides what is required
            fields = [
                Field(
                    "reason",
                    t("attendance.leave_reason"),
                    required="leave_reason" in needs,
                    value=person.leave_reason,
                ),
                Field(
                    "approved_by",
                    t("attendance.leave_approver"),
                    required="approved_by" in needs,
                    value=person.approved_by,
                ),
            ]

            def leave(values: dict[str, str] | None) -> None:
                if values:
                    mark = Mark(
                        status,
                        leave_reason=values["reason"],
                        approved_by=values["approved_by"],
                        venue=self._venue(),
                    )
                    self._submit(session_id, person, mark)

            title = t("attendance.leave_title", name=person.cadre_name)
            form = FormDialog(
                title,
                fields,
                check=lambda v: attendance.check_mark(
                    Mark(status, leave_reason=v["reason"], approved_by=v["approved_by"])
                ),
                field_map={"leave_reason": "reason", "approved_by": "approved_by"},
            )
            self.app.push_screen(form, leave)
            return
        if status == AttendanceStatus.DEPUTY.value:
            fields = [Field("deputy", t("attendance.deputy_name"), required=True, value=person.deputy_name)]

            def deputy(values: dict[str, str] | None) -> None:
                if values:
                    self._submit(
                        session_id, person, Mark(status, deputy_name=values["deputy"], venue=self._venue())
                    )

            form = FormDialog(
                t("attendance.deputy_title", name=person.cadre_name),
                fields,
                check=lambda v: attendance.check_mark(Mark(status, deputy_name=v["deputy"])),
                field_map={"deputy_name": "deputy"},
            )
            self.app.push_screen(form, deputy)
            return
        self._submit(session_id, person, Mark(status, venue=self._venue()))

    def _submit(self, session_id: int, person: ParticipantView, mark: Mark) -> None:
        """Show the new status at once (marked * until saved), move on, and queue the save."""
        mark = replace(mark, expected_version=person.version)
        job = MarkJob(session_id, person.cadre_id, mark, person.status)
        self.pending.add(person.cadre_id)
        shown = replace(person, status=mark.status)
        self.table.update_row(*self._row(shown))
        index = self._number[person.cadre_id] - 1
        if index + 1 < len(self.order) and self.table.cursor_row == index:
            self.table.move_cursor(row=index + 1, animate=False)
        self._enqueue(job)

    def _enqueue(self, job: MarkJob) -> None:
        with self._lock:
            self._queue.append(job)
            start = not self._draining
            self._draining = True
        if start:
            self.run_worker(self._drain, thread=True, group="ops-marks", exit_on_error=False)

    def _drain(self) -> None:
        """Worker: save queued marks one by one, in the order typed. Touches no widget."""
        saved_versions: dict[int, int] = {}
        while True:
            with self._lock:
                if not self._queue:
                    self._draining = False
                    return
                job = self._queue.popleft()
            mark = job.mark
            if job.cadre_id in saved_versions:  # a second key on the same row while the first was saving
                mark = replace(mark, expected_version=saved_versions[job.cadre_id])
            try:
                view = attendance.mark(self.ctx, job.session_id, job.cadre_id, mark)
            except Exception as exc:
                self.post_message(MarkFailed(job, exc))
            else:
                saved_versions[job.cadre_id] = view.version
                self.post_message(MarkSaved(job, view))

    def _ask_leave_over(self, job: MarkJob, exc: BaseException) -> None:
        """The leave takes the cadre over 1/7 of a full-time course: save anyway (the trainee is withdrawn)?"""

        def answered(yes: bool | None) -> None:
            if yes:
                self.pending.add(job.cadre_id)
                self._forced_cadre = job.cadre_id
                self.call_service(
                    "forced_mark",
                    attendance.mark,
                    self.ctx,
                    job.session_id,
                    job.cadre_id,
                    job.mark,
                    force=True,
                )

        title, text = describe(exc)
        self.app.push_screen(Confirm(title, text + "\n" + t("kit.warn.save_anyway") + "?"), answered)

    def failed_forced_mark(self, exc: BaseException) -> None:
        self.pending.discard(self._forced_cadre)  # the reload shows what is saved
        self.show_error(exc)
        self.action_reload()

    def done_forced_mark(self, view: ParticipantView) -> None:
        self.pending.discard(view.cadre_id)
        if self.sheet is not None and view.session_id == self.sheet.session.id:
            self.people[view.cadre_id] = view
            self.table.update_row(*self._row(view))
            self._show_counts()

    def on_mark_saved(self, message: MarkSaved) -> None:
        message.stop()
        view = message.view
        if self.sheet is None or view.session_id != self.sheet.session.id:
            return
        if not any(j.cadre_id == view.cadre_id for j in list(self._queue)):
            self.pending.discard(view.cadre_id)
        self.people[view.cadre_id] = view
        self.table.update_row(*self._row(view))
        self._show_counts()

    def on_mark_failed(self, message: MarkFailed) -> None:
        message.stop()
        job, exc = message.job, message.error
        self.pending.discard(job.cadre_id)
        person = self.people.get(job.cadre_id)
        if person is not None and self.sheet is not None and job.session_id == self.sheet.session.id:
            self.table.update_row(*self._row(person))  # back to what is saved
        if isinstance(exc, CorrectionRequired) and person is not None:
            self._ask_correction(job, person)
            return
        if isinstance(exc, LeaveLimitWarning):  # Art. 15: ask before a leave crosses 1/7
            self._ask_leave_over(job, exc)
            return
        self.show_error(exc)
        if isinstance(exc, ConflictError):
            self.action_reload()

    def _ask_correction(self, job: MarkJob, person: ParticipantView) -> None:
        note = t(
            "attendance.correction_note",
            before=label("status", person.status),
            after=label("status", job.mark.status),
            who=printable(person.recorded_by),
            at=format_local(person.recorded_at) if person.recorded_at else "?",
        )
        fields = [Field("reason", t("attendance.correction_reason"), required=True)]

        def answered(values: dict[str, str] | None) -> None:
            if values:
                mark = replace(job.mark, correction_reason=values["reason"], expected_version=person.version)
                self.pending.add(job.cadre_id)
                self.table.update_row(*self._row(replace(person, status=job.mark.status)))
                self._enqueue(replace(job, mark=mark))

        self.app.push_screen(
            FormDialog(t("attendance.correction_title", name=person.cadre_name), fields, note=note), answered
        )

    def action_all_present(self) -> None:
        """A: everyone not yet recorded is present, after saying how many that is."""
        if not self._can_mark() or self.sheet is None:
            return
        remaining = sum(1 for p in self.people.values() if p.status is None)
        if not remaining:
            self.show_info(t("attendance.all_present_done", n=0))
            return
        session = self.sheet.session

        def answered(yes: bool | None) -> None:
            if yes and self.sheet is not None and self.sheet.session.id == session.id:
                self._all_present()

        self.app.push_screen(
            Confirm(
                t("kit.att.all_present.title"),
                t("kit.att.all_present.text", n=remaining, title=session.title),
                yes=t("kit.att.all_present.yes", n=remaining),
            ),
            answered,
        )

    def _all_present(self) -> None:
        assert self.sheet is not None
        self.call_service(
            "all_present",
            attendance.mark_remaining_present,
            self.ctx,
            self.sheet.session.id,
            venue=self._venue(),
        )

    def done_all_present(self, changed: int) -> None:
        self.show_info(t("attendance.all_present_done", n=changed))
        self.action_reload()

    # ------------------------------------------------------------ venue, session choice, sign-in sheet
    def action_cycle_venue(self) -> None:
        if not self.venues:
            self.show_info(t("attendance.no_branch_venues"))
            return
        self.venue_index = (self.venue_index + 1) % len(self.venues)
        self._show_session()

    def action_pick_session(self) -> None:
        current = self.sheet.session.id if self.sheet else None

        def picked(session_id: int | None) -> None:
            if session_id is not None:
                self.load_session(session_id)

        self.app.push_screen(SessionPicker(current), picked)

    def action_neighbour(self, step: int) -> None:
        if self.sheet is not None:
            self.call_service("neighbour", neighbour_session_id, self.ctx, self.sheet.session, step)

    def done_neighbour(self, session_id: int | None) -> None:
        if session_id is None:
            self.show_info(t("attendance.no_more_sessions"))
        else:
            self.load_session(session_id)

    def action_signin_sheet(self) -> None:
        try:
            from zhijin_training.sheets.signin import write_signin_sheet
        except ImportError:
            self.show_info(t("common.unavailable"))
            return
        if self.sheet is None:
            return
        session = self.sheet.session
        name = (
            f"{t('attendance.signin_file')}-{local_date(session.starts_at).isoformat()}-{session.title}.xlsx"
        )
        ctx = self.ctx
        ask_save_path(
            self,
            t("attendance.signin_title"),
            default_path(name),
            lambda path: self.call_service("signin", write_signin_sheet, ctx, session.id, path),
        )

    def done_signin(self, path: Any) -> None:
        self.show_info(t("attendance.signin_done", path=str(path)))

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        """Extra palette entries: the status keys are bindings already; offer the neighbours by name."""
        return []

    @on(LineTable.RowSelected, "#att-table")
    def _enter(self) -> None:
        """Enter on a row marks present, the most common case (when marks are offered at all)."""
        if self.check_action("mark", (AttendanceStatus.PRESENT.value,)):
            self.action_mark(AttendanceStatus.PRESENT.value)


class MarkSaved(Message):
    def __init__(self, job: MarkJob, view: ParticipantView) -> None:
        super().__init__()
        self.job = job
        self.view = view


class MarkFailed(Message):
    def __init__(self, job: MarkJob, error: BaseException) -> None:
        super().__init__()
        self.job = job
        self.error = error
