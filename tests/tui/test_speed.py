"""What keeps the interface quick and the process well-behaved: lazy services at start-up, one row
re-rendered per mark, no default-session lookup when a session was asked for, no hang after SIGHUP."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import zhijin_training.tui.app as tui_app
from zhijin_training.tui.screens import attendance as attendance_screen
from zhijin_training.tui.screens.attendance import AttendanceScreen

from .conftest import footer_text, screen_text, settle
from .ops_helpers import forty_person_session

READY_PROBE = """
import sys
import threading

on_main_thread = []  # SQLAlchemy imported by the UI thread (a worker thread may import it meanwhile)


class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "sqlalchemy" and threading.current_thread() is threading.main_thread():
            on_main_thread.append(name)
        return None


sys.meta_path.insert(0, Watch())
import zhijin_training.tui.app as tui_app

class Probe(tui_app.ZhijinApp):
    CSS_PATH = str(__import__("pathlib").Path(tui_app.__file__).parent / "app.tcss")

    def on_ready(self) -> None:
        print(bool(on_main_thread), flush=True)
        self.exit()

tui_app.run = lambda ctx: Probe(ctx, refresh_seconds=0).run(headless=True, size=(100, 30))
from zhijin_training.__main__ import main
sys.argv = ["zhijin-training", "--db", sys.argv[1]]
main()
"""


def test_first_screen_is_ready_before_sqlalchemy_is_imported(demo_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", READY_PROBE, str(demo_path)], capture_output=True, timeout=60, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[0] == "False"


def test_a_mark_re_renders_one_row_not_the_whole_list(make_app, run_pilot, tui_ctx) -> None:
    forty_person_session(tui_ctx)
    counted: list[int] = []

    async def scenario(pilot: Any) -> None:
        await pilot.press("4")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AttendanceScreen)
        table = screen.table
        first_name = screen.people[screen.order[0]].cadre_name
        assert "未记录" in screen_text(pilot.app)
        render_row = table._render_row

        def counting(*args: Any, **kwargs: Any) -> Any:
            counted.append(1)
            return render_row(*args, **kwargs)

        table._render_row = counting  # type: ignore[method-assign]
        await pilot.press("p")
        await settle(pilot)
        row = next(line for line in screen_text(pilot.app).splitlines() if first_name in line)
        assert "出勤" in row and "*" not in row  # saved: the pending star is gone
        assert "已记录 1/40" in screen_text(pilot.app)
        # the marked row drawn again (shown pending, then saved); the cursor's move redraws no row
        assert 0 < len(counted) <= 3, len(counted)

    run_pilot(make_app(), scenario)


def test_open_attendance_for_a_session_skips_the_default_lookup(
    make_app, run_pilot, tui_ctx, monkeypatch
) -> None:
    session_id, _ = forty_person_session(tui_ctx)
    looked_up: list[int] = []
    real = attendance_screen.default_session_id

    def spy(ctx: Any) -> int | None:
        looked_up.append(1)
        return real(ctx)

    monkeypatch.setattr(attendance_screen, "default_session_id", spy)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_attendance(session_id)
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AttendanceScreen)
        assert screen.sheet is not None and screen.sheet.session.id == session_id
        assert len(screen.order) == 40

    run_pilot(make_app(), scenario)
    assert looked_up == []


def test_hang_up_exits_and_arms_a_hard_exit(make_app, run_pilot, monkeypatch) -> None:
    fired = threading.Event()
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        fired.set()

    monkeypatch.setattr(os, "_exit", fake_exit)
    monkeypatch.setattr(tui_app, "HANGUP_GRACE_SECONDS", 0.05)
    app = make_app()

    async def scenario(pilot: Any) -> None:
        app._hang_up()
        app._hang_up()  # a second signal arms no second timer
        await pilot.pause()

    run_pilot(app, scenario)
    assert not app.is_running
    assert fired.wait(5)
    assert codes == [129]


def _future_session(ctx: Any, cadres: list[int]) -> int:
    """A lecture tomorrow for the same people: only leave (v) may be marked ahead."""
    from datetime import datetime, timedelta

    from zhijin_training.services import schedule
    from zhijin_training.timeutil import LOCAL_TZ

    lecture = schedule.list_sessions(ctx, kind="lecture", limit=1)[0]
    start = datetime(2026, 11, 25, 9, 0, tzinfo=LOCAL_TZ)
    draft = schedule.SessionDraft(
        programme=lecture.programme_id,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        title="明日专题讲座",
        participants=tuple(cadres),
    )
    return schedule.create_session(ctx, draft, force=True).id


def test_opening_attendance_reads_the_sheet_once_and_composes_the_footer_once(
    make_app, run_pilot, tui_ctx, monkeypatch
) -> None:
    """Textual resumes a new mode's screen twice and asks the footer to recompose after every focus, stack
    and binding change: neither may turn into another read of the people or another footer of keys."""
    from zhijin_training.services import attendance as attendance_service
    from zhijin_training.tui.widgets.footer import FitFooter

    session_id, _ = forty_person_session(tui_ctx)
    reads: list[int] = []
    real_read = attendance_service.session_attendance

    def counting_read(ctx: Any, sid: int) -> Any:
        reads.append(sid)
        return real_read(ctx, sid)

    composed: list[int] = []
    real_compose = FitFooter.compose

    def counting_compose(self: FitFooter) -> Any:
        widgets = list(real_compose(self))
        if widgets and isinstance(self.screen, AttendanceScreen):
            composed.append(len(widgets))
        yield from widgets

    monkeypatch.setattr(attendance_service, "session_attendance", counting_read)
    monkeypatch.setattr(FitFooter, "compose", counting_compose)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_attendance(session_id)
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AttendanceScreen) and screen.sheet is not None
        assert "p 出" in footer_text(pilot.app)

    run_pilot(make_app(), scenario)
    assert reads == [session_id]
    assert len(composed) == 1, composed


def test_the_footer_follows_the_session_shown(make_app, run_pilot, tui_ctx) -> None:
    """The footer composes only when its keys change, so it must still change when they do: a session not
    yet begun offers leave only, one under way every mark."""
    now_id, cadres = forty_person_session(tui_ctx)
    later_id = _future_session(tui_ctx, cadres)

    async def scenario(pilot: Any) -> None:
        pilot.app.open_attendance(later_id)
        await settle(pilot)
        footer = footer_text(pilot.app)
        assert "v 假" in footer and "p 出" not in footer, footer
        screen = pilot.app.screen
        assert isinstance(screen, AttendanceScreen)
        screen.load_session(now_id)
        await settle(pilot)
        footer = footer_text(pilot.app)
        assert "p 出" in footer and "v 假" in footer, footer
        await pilot.press("2")  # another section and back: the same keys
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        assert "p 出" in footer_text(pilot.app)

    run_pilot(make_app(), scenario)
