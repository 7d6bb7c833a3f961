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
