"""The overview shows its sessions before the slower figures (quarter rate, 学时 behind target) are counted."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from zhijin_training.tui.screens import overview

from .conftest import screen_text


def test_sessions_are_shown_while_the_figures_are_still_counted(make_app, monkeypatch) -> None:
    release = threading.Event()
    real = overview.load_secondary

    def slow(ctx: Any) -> Any:
        assert release.wait(20)
        return real(ctx)

    monkeypatch.setattr(overview, "load_secondary", slow)
    app = make_app()
    seen: dict[str, Any] = {}

    async def scenario(pilot: Any) -> None:
        for _ in range(200):
            if app.screen.first_data_shown:
                break
            await pilot.pause(0.02)
        seen["first"] = app.screen.first_data_shown
        seen["while"] = screen_text(app)
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        seen["after"] = screen_text(app)

    async def main() -> None:  # not run_pilot: it waits for every worker before the scenario starts
        async with app.run_test(size=(120, 40)) as pilot:
            await scenario(pilot)

    try:
        asyncio.run(main())
    finally:
        release.set()
    assert seen["first"]
    assert "正在统计本季度出勤率和学时进度" in seen["while"]
    assert "个日程" in seen["while"]  # the status line: the lists are there
    assert "出勤率" in seen["after"] and "正在统计" not in seen["after"]


def test_a_busy_fortnight_lists_the_first_sessions_and_says_there_are_more(
    make_app, run_pilot, monkeypatch
) -> None:
    """A province database has a thousand sessions in two weeks: the overview lists the first ones (fast at
    any size) and says where the rest are, instead of drawing them all."""
    from zhijin_training.services import first_look
    from zhijin_training.tui.kit.lines import LineTable

    monkeypatch.setattr(first_look, "UPCOMING_LIMIT", 1)  # the demo has two sessions in the fortnight

    async def scenario(pilot: Any) -> None:
        rows = app.screen.query_one("#upcoming", LineTable).data_rows
        assert len(rows) == 1
        text = screen_text(app)
        assert "仅列前 1 场，全部见日程" in text, text

    app = make_app()
    run_pilot(app, scenario)


def test_the_more_line_fits_80_columns_beside_the_user_and_database() -> None:
    from rich.cells import cell_len

    from zhijin_training.i18n import t

    for lang in ("zh", "en"):
        info = t("status.info", lang, user="zhangsan", role=t("kit.role.editor", lang), db="zhijin.db")
        more = t("overview.loaded_more", lang, n=100, m=20)
        assert cell_len(info) + 2 + cell_len(more) <= 80, (lang, info, more)


def test_the_heap_is_settled_once_the_first_screen_is_complete_and_handed_back_on_exit(
    make_app, run_pilot
) -> None:
    """app.settle_heap: after the overview's figures, the objects alive are frozen (later collections skip
    them), once; leaving the app unfreezes them, so a longer process does not keep its cycles forever."""
    import gc

    app = make_app()
    seen: dict[str, Any] = {}
    calls: list[int] = []
    real = app.settle_heap

    def counted() -> None:
        calls.append(1)
        real()

    app.settle_heap = counted  # type: ignore[method-assign]

    async def scenario(pilot: Any) -> None:
        for _ in range(100):
            if gc.get_freeze_count():
                break
            await pilot.pause(0.02)
        seen["frozen"] = gc.get_freeze_count()
        app.screen.refresh_data()  # a second load of the overview settles nothing again
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()

    gc.unfreeze()
    run_pilot(app, scenario)
    assert seen["frozen"] > 1000 and calls == [1]
    assert gc.get_freeze_count() == 0


def test_panels_read_ahead_are_shown_at_mount_without_a_load(
    make_app, run_pilot, tui_ctx, monkeypatch
) -> None:
    """launch.open_tui reads the first panels before the interface is imported; the overview shows that read
    with its first paint and asks no worker for it."""
    from zhijin_training.services import first_look
    from zhijin_training.tui.kit.lines import LineTable

    expected = first_look.overview_sessions(tui_ctx)
    loads: list[int] = []
    real = overview.load_sessions

    def counted(ctx: Any) -> Any:
        loads.append(1)
        return real(ctx)

    monkeypatch.setattr(overview, "load_sessions", counted)
    first_look.read_ahead(tui_ctx)
    app = make_app()

    async def scenario(pilot: Any) -> None:
        shown = [key for key, _values in app.screen.query_one("#upcoming", LineTable).data_rows]
        assert shown == [str(s.id) for s in expected[0]] and shown
        assert loads == []  # nothing read again
        await pilot.press("r")  # a reload reads the database, not the read ahead
        await app.workers.wait_for_complete()
        assert loads == [1]

    run_pilot(app, scenario)


def test_a_click_on_a_session_opens_its_attendance(make_app, run_pilot) -> None:
    from zhijin_training.services import schedule
    from zhijin_training.tui.screens.attendance import AttendanceScreen

    async def scenario(pilot: Any) -> None:
        await pilot.click("#awaiting", offset=(20, 2))  # the second session awaiting attendance
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, AttendanceScreen)
        assert app.screen.sheet is not None and app.screen.sheet.session.id == second

    app = make_app()
    second = schedule.awaiting_attendance(app.ctx, limit=2)[1].id
    run_pilot(app, scenario)


def test_the_collector_is_on_again_when_the_first_screen_never_completes(
    make_app, run_pilot, monkeypatch
) -> None:
    """launch.open_tui turns the collector off for the start-up; the figures failing to load must not leave it
    off for the rest of the day."""
    import gc

    from zhijin_training.tui import app as tui_app

    def broken(ctx: Any) -> Any:
        raise RuntimeError("figures unavailable")

    monkeypatch.setattr(overview, "load_secondary", broken)
    monkeypatch.setattr(tui_app, "HEAP_SETTLE_SECONDS", 0.2)
    app = make_app()
    seen: dict[str, bool] = {}

    async def scenario(pilot: Any) -> None:
        await pilot.pause(0.5)
        seen["enabled"] = gc.isenabled()

    gc.disable()
    try:
        run_pilot(app, scenario)
    finally:
        gc.enable()
        gc.unfreeze()
    assert seen["enabled"]
