"""SVG snapshots of every dialog at 80x24 and 120x40 (Chinese demo data, fixed clock, steady cursor).

Each must fit: its title, fields and buttons on screen at 80x24. Update after an intended change of look:
`.venv/bin/pytest tests/tui/test_snapshots_dialogs.py --snapshot-update`, then review the SVG files.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import make_ctx
from zhijin_training.services import attendance
from zhijin_training.services.attendance import Mark
from zhijin_training.tui.widgets.statusbar import StatusBar

from .conftest import settle
from .ops_helpers import forty_person_session
from .test_schedule import next_field, type_text

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
Step = Callable[[Any], Awaitable[None]]


def keys(*pressed: str) -> Step:
    async def run(pilot) -> None:
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run


def typed(text: str) -> Step:
    async def run(pilot) -> None:
        await next_field(pilot, text)
        await settle(pilot)

    return run


def with_session_now() -> Step:
    async def run(pilot) -> None:
        forty_person_session(pilot.app.ctx)

    return run


def recorded_by_someone_else(demo_path_holder: dict[str, Any]) -> Step:
    async def run(pilot) -> None:
        session_id, cadres = forty_person_session(pilot.app.ctx)
        clerk = make_ctx(demo_path_holder["path"], user="clerk2")
        attendance.mark(clerk, session_id, cadres[0], Mark("present"))
        clerk.db.dispose()

    return run


async def warning_clash(pilot) -> None:
    """A lecture on top of the next lecture: the clash question."""
    from zhijin_training.services import schedule

    busy = next(
        s for s in schedule.upcoming(pilot.app.ctx) if s.programme_kind == "lecture" and not s.all_day
    )
    await pilot.press("2")
    await settle(pilot)
    await pilot.press("a")
    await settle(pilot)
    await next_field(pilot, "加开一讲")
    for _ in range(3):
        await next_field(pilot)
    await next_field(pilot, busy.first_day.isoformat())
    await next_field(pilot, "15:30")
    await next_field(pilot, "16:30")
    await pilot.press("ctrl+s")
    await settle(pilot, rounds=3)


async def bad_end(pilot) -> None:
    """A form with a field marked: the message next to it must fit too."""
    await pilot.press("2")
    await settle(pilot)
    await pilot.press("a")
    await settle(pilot)
    await next_field(pilot, "倒着的讲座")
    for _ in range(4):
        await next_field(pilot)
    await next_field(pilot, "17:00")
    await next_field(pilot, "15:00")
    await pilot.press("ctrl+s")
    await settle(pilot)


async def palette_no_match(pilot) -> None:
    await pilot.press("ctrl+p")
    await settle(pilot)
    await type_text(pilot, "zzzz")
    await pilot.pause(0.8)


HOLDER: dict[str, Any] = {}
DIALOGS: dict[str, list[Step]] = {
    # planning
    "session_new": [keys("2", "a")],
    "session_new_marked": [bad_end],
    "series_new": [keys("2", "s")],
    "trip_new": [keys("2", "t")],
    "secondment_new": [keys("2", "g")],
    "scope_choice": [keys("2", "e")],
    "session_edit": [keys("2", "e", "1")],
    "reschedule": [keys("2", "m", "1")],
    "cancel": [keys("2", "x", "1")],
    "export_choice": [keys("2", "o")],
    "export_path": [keys("2", "o", "1")],
    "import_path": [keys("2", "i")],
    "schedule_warning": [warning_clash],
    "discard_confirm": [keys("2", "a"), typed("写了一半"), keys("escape")],
    "quit_confirm": [keys("2", "a"), typed("写了一半"), keys("ctrl+q")],
    # roster
    "cadre_add": [keys("3", "a")],
    "cadre_edit": [keys("3", "e")],
    "cadre_move": [keys("3", "m")],
    "post_history": [keys("3", "h")],
    "cadre_deactivate": [keys("3", "x")],
    "calendar_path": [keys("3", "o")],
    # attendance
    "leave": [with_session_now(), keys("4", "v")],
    "deputy": [with_session_now(), keys("4", "d")],
    "all_present": [with_session_now(), keys("4", "A")],
    "session_picker": [with_session_now(), keys("4", "s")],
    "signin_path": [with_session_now(), keys("4", "g")],
    "correction": [recorded_by_someone_else(HOLDER), keys("4", "home", "a")],
    # reports and audit
    "period": [keys("5", "p")],
    "report_export": [keys("5", "o")],
    "report_behind": [keys("5", "enter")],
    "audit_session_picker": [keys("6", "s")],
    "audit_cadre_picker": [keys("6", "c")],
    "audit_details": [keys("6", "enter")],
    # app
    "help": [keys("4", "f1")],
    "palette": [palette_no_match],
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dialog", list(DIALOGS))
def test_dialog_snapshot(dialog: str, size: tuple[int, int], make_app, snap_compare, demo_path) -> None:
    HOLDER["path"] = demo_path

    async def run_before(pilot) -> None:
        await settle(pilot)
        for step in DIALOGS[dialog]:
            await step(pilot)
        await settle(pilot)
        for screen in pilot.app.screen_stack:
            for bar in screen.query(StatusBar):
                bar.set_info("用户 tester（管理员）  数据库 demo.db")  # the temporary path differs per run
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
