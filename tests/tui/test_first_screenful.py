"""A report or 学时 ledger opened afresh paints the first cadres of the roster, then every row (a province's
40,000 rows take a second or more); a refresh replaces the rows at once, and nothing is exported until the
whole list is there."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from zhijin_training.services import hours, reports
from zhijin_training.tui.screens import hours as hours_screen
from zhijin_training.tui.screens import reports as reports_screen
from zhijin_training.tui.screens.hours import HoursScreen
from zhijin_training.tui.screens.reports import ReportsScreen

from .conftest import notifications, screen_text, settle
from .ops_helpers import table_rows


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))  # ~/zhijin-exports lands in the test's folder
    return tmp_path


def _spy(monkeypatch: pytest.MonkeyPatch, screen: type, handler: str, rows_at: int) -> list[tuple[int, bool]]:
    """(rows delivered, whole?) for every result that reaches `handler`."""
    seen: list[tuple[int, bool]] = []
    original = getattr(screen, handler)

    def spy(self: Any, result: tuple[Any, ...]) -> None:
        seen.append((len(result[rows_at]), result[-1]))
        original(self, result)

    monkeypatch.setattr(screen, handler, spy)
    return seen


def test_report_paints_the_first_cadres_then_every_row(make_app, run_pilot, tui_ctx, monkeypatch) -> None:
    monkeypatch.setattr(reports_screen, "FIRST_CADRES", 5)
    seen = _spy(monkeypatch, ReportsScreen, "done_report", rows_at=4)
    whole = reports.attendance_by_cadre(tui_ctx, date(2026, 10, 1), date(2026, 12, 31))
    assert len(whole) > 20

    async def scenario(pilot) -> None:
        await pilot.press("5")
        await settle(pilot, rounds=4)
        assert isinstance(pilot.app.screen, ReportsScreen)
        first, last = seen[0], seen[-1]
        assert not first[1] and 0 < first[0] <= 5  # the participants among the roster's first five
        assert last == (len(whole), True) and len(seen) == 2
        names = [r[0] for r in table_rows(pilot.app, "#rep-table")]
        assert names == [r.name for r in whole]
        assert f"{len(whole)} 行" in screen_text(pilot.app)
        seen.clear()
        await pilot.press("r")  # a refresh: the whole list at once, the rows on screen stay meanwhile
        await settle(pilot)
        assert seen == [(len(whole), True)]
        seen.clear()
        await pilot.press("left_square_bracket")  # another quarter: its first cadres first again
        await settle(pilot, rounds=4)
        assert [w for _n, w in seen] == [False, True]

    run_pilot(make_app(), scenario)


def test_report_is_not_exported_from_a_first_screenful(make_app, run_pilot, monkeypatch, home: Path) -> None:
    monkeypatch.setattr(reports_screen, "FIRST_CADRES", 5)
    first_only = ReportsScreen._load_rows

    def never_whole(self: ReportsScreen, view: str, period: Any, first: int | None = None) -> None:
        if first is not None:  # the whole list never comes
            first_only(self, view, period, first)

    monkeypatch.setattr(ReportsScreen, "_load_rows", never_whole)

    async def scenario(pilot) -> None:
        await pilot.press("5")
        await settle(pilot)
        assert "载入中" in screen_text(pilot.app)
        await pilot.press("o")  # export: the format is asked
        await settle(pilot)
        await pilot.press("enter")  # xlsx
        await settle(pilot)
        assert any("报表仍在载入" in n for n in notifications(pilot.app)), notifications(pilot.app)
        assert isinstance(pilot.app.screen, ReportsScreen)  # no save dialog

    run_pilot(make_app(), scenario)
    assert not (home / "zhijin-exports").exists() or not any((home / "zhijin-exports").iterdir())


def test_ledger_paints_the_first_cadres_then_every_row(make_app, run_pilot, tui_ctx, monkeypatch) -> None:
    monkeypatch.setattr(hours_screen, "FIRST_CADRES", 5)
    seen = _spy(monkeypatch, HoursScreen, "done_rows", rows_at=4)
    whole = hours.ledger(tui_ctx, 2026).rows

    async def scenario(pilot) -> None:
        await pilot.press("7")
        await settle(pilot, rounds=4)
        assert isinstance(pilot.app.screen, HoursScreen)
        assert seen == [(5, False), (len(whole), True)]
        assert [r[0] for r in table_rows(pilot.app, "#hours-table")] == [r.name for r in whole]
        assert f"{len(whole)} 行" in screen_text(pilot.app)
        seen.clear()
        await pilot.press("r")
        await settle(pilot)
        assert seen == [(len(whole), True)]
        seen.clear()
        await pilot.press("b")  # behind the target: its own order, read whole
        await settle(pilot)
        assert [w for _n, w in seen] == [True]

    run_pilot(make_app(), scenario)
