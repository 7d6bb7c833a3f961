"""Reports by keyboard: the current quarter by default, sort by any column, drill down to the sessions."""

from __future__ import annotations

from zhijin_training.tui.kit.dialogs import TableDialog
from zhijin_training.tui.screens.attendance import AttendanceScreen
from zhijin_training.tui.screens.reports import ReportsScreen

from .conftest import screen_text, settle
from .ops_helpers import table_rows


def _rate(text: str) -> float:
    return -1.0 if text == "-" else float(text.rstrip("%"))


def test_sort_by_rate_and_drill_down_to_attendance(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        await pilot.press("5")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ReportsScreen)
        assert "2026Q4 (2026-10-01 ~ 2026-12-31)" in screen_text(pilot.app)  # the quarter of the fixed clock
        for _ in range(12):  # `s` walks the columns until the rate
            if screen.sort_column == "rate":
                break
            await pilot.press("s")
        assert "按出勤率降序" in screen_text(pilot.app)
        rates = [_rate(r[-1]) for r in table_rows(pilot.app, "#rep-table")]
        known = [r for r in rates if r >= 0]
        assert known == sorted(known, reverse=True) and len(set(known)) > 1
        await pilot.press("S")  # reverse
        rates = [_rate(r[-1]) for r in table_rows(pilot.app, "#rep-table") if r[-1] != "-"]
        assert rates == sorted(rates)
        lowest = table_rows(pilot.app, "#rep-table")[0][0]
        await pilot.press("home", "enter")  # the sessions behind the lowest rate
        await settle(pilot)
        assert isinstance(pilot.app.screen, TableDialog)
        text = screen_text(pilot.app)
        assert lowest in text and "织金大讲堂" in text
        await pilot.press("enter")  # open that session's attendance
        await settle(pilot)
        assert isinstance(pilot.app.screen, AttendanceScreen)
        assert pilot.app.screen.sheet is not None

    run_pilot(make_app(), scenario)


def test_unit_view_previous_quarter_and_review(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("t")  # by unit
        await settle(pilot)
        rows = table_rows(pilot.app, "#rep-table")
        assert rows[0][0] == "城关镇"
        assert any(r[0] == "茶店布依族苗族彝族乡" for r in rows)
        await pilot.press("left_square_bracket")  # previous quarter
        await settle(pilot)
        assert "2026Q3" in screen_text(pilot.app)
        await pilot.press("t")  # quarterly review: ranking
        await settle(pilot)
        rows = table_rows(pilot.app, "#rep-table")
        assert rows[0][0] == "1"
        assert "季度讲评" in screen_text(pilot.app)

    run_pilot(make_app(), scenario, size=(80, 24))
