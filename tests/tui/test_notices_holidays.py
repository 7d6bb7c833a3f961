"""Pilot: the notice form (Schedule n, Reports n; Reports N the text view), the series form's holiday note, the holidays screen."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import pytest
from docx import Document

from tests.services.test_holidays import HOLIDAYS_2027_ICS
from zhijin_training.services import holidays, schedule
from zhijin_training.timeutil import local_date
from zhijin_training.tui.kit.dialogs import TableDialog
from zhijin_training.tui.screens.holidays import HolidaysScreen, PlanningForm
from zhijin_training.tui.screens.notice_form import NoticeForm

from .conftest import screen_text, settle
from .test_schedule import next_field, open_schedule, select_row, type_text


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))  # ~/zhijin-exports lands in the test's folder
    return tmp_path


def test_notice_form_edits_then_writes_the_docx(make_app, run_pilot, tui_ctx, home: Path) -> None:
    lecture = next(s for s in schedule.upcoming(tui_ctx, days=60) if s.programme_kind == "lecture")

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await select_row(pilot, lecture.id)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NoticeForm)
        text = screen_text(pilot.app)
        assert "专题讲座的通知" in text and "各乡（镇、街道）党委" in text and "一、讲座内容" in text
        # the body is focused: add a paragraph at its end, as a person types
        for _ in range(6):
            await pilot.press("pagedown")
        await pilot.press("end", "enter")
        await type_text(pilot, "（四）请各单位于会后报送学习心得。")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, NoticeForm)

    run_pilot(make_app(), scenario, size=(80, 24))
    (written,) = (home / "zhijin-exports").glob("*.docx")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    paragraphs = [p.text for p in Document(str(written)).paragraphs if p.text]
    assert paragraphs[0].endswith("专题讲座的通知")
    assert "（四）请各单位于会后报送学习心得。" in paragraphs
    assert Document(str(written)).tables  # the reply slip stayed ticked


def test_notice_form_keeps_a_bad_date_in_the_form(make_app, run_pilot, tui_ctx, home: Path) -> None:
    lecture = next(s for s in schedule.upcoming(tui_ctx, days=60) if s.programme_kind == "lecture")

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await select_row(pilot, lecture.id)
        await pilot.press("n")
        await settle(pilot)
        pilot.app.screen.query_one("#f-date").focus()
        await type_text(pilot, "2026-13-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NoticeForm)  # still open, the text kept
        assert "2026-13-01" in screen_text(pilot.app)
        assert pilot.app.screen.focused.id == "f-date"

    run_pilot(make_app(), scenario, size=(80, 24))
    assert not (home / "zhijin-exports").exists() or not list((home / "zhijin-exports").glob("*.docx"))


def test_reports_n_writes_the_quarter_absence_notice(make_app, run_pilot, home: Path) -> None:
    async def scenario(pilot) -> None:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NoticeForm)
        assert "2026年第四季度干部教育培训无故缺席情况的通报" in screen_text(pilot.app)
        await pilot.press("ctrl+s")
        await settle(pilot)

    run_pilot(make_app(), scenario, size=(80, 24))
    (written,) = (home / "zhijin-exports").glob("*.docx")
    assert Document(str(written)).paragraphs[0].text == "关于2026年第四季度干部教育培训无故缺席情况的通报"


def test_series_form_says_the_year_is_unknown_and_refuses_to_skip(make_app, run_pilot, tui_ctx) -> None:
    before = len(schedule.list_sessions(tui_ctx))

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PlanningForm)
        assert "尚未录入" not in screen_text(pilot.app)  # 2026 is known
        await next_field(pilot, "2027 专题")  # title
        for _ in range(4):
            await next_field(pilot)
        await type_text(pilot, "2027-01-08")  # date
        await settle(pilot)
        assert "2027 年的节假日尚未录入" in screen_text(pilot.app)  # in the form, while typing
        # start, end, note, note public, repeat, weekday, until: tabbed as a person does, checked where it lands
        for _ in range(7):
            await next_field(pilot)
        assert pilot.app.screen.focused.id == "f-until"
        await type_text(pilot, "2027-06-30")  # until
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PlanningForm)  # refused in the form, nothing saved
        # next to 跳过节假日 (the text wraps in the field's column, so compare without the line breaks)
        assert "2027年的节假日尚未录入，无法跳过" in "".join(screen_text(pilot.app).split())
        assert pilot.app.screen.focused.id == "f-skip_holidays"

    run_pilot(make_app(), scenario, size=(80, 24))
    assert len(schedule.list_sessions(tui_ctx)) == before


def test_holidays_screen_imports_a_year_and_moves_a_session(make_app, run_pilot, tui_ctx, home: Path) -> None:
    first = schedule.create_series(
        tui_ctx,
        schedule.SessionDraft(
            programme="织金大讲堂",
            starts_at=holidays_at(date(2027, 1, 1)),
            ends_at=holidays_at(date(2027, 1, 1), 17),
            participants=(),
        ),
        schedule.SeriesRule("FREQ=WEEKLY;INTERVAL=6;BYDAY=FR", until=date(2027, 2, 28), skip_holidays=False),
    ).sessions
    assert [local_date(s.starts_at) for s in first] == [date(2027, 1, 1), date(2027, 2, 12)]
    (home / "zhijin-exports").mkdir()
    (home / "zhijin-exports" / "cn-2027.ics").write_text(HOLIDAYS_2027_ICS, encoding="utf-8")

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HolidaysScreen)
        assert "2027 年的节假日尚未录入" in screen_text(pilot.app)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("end")
        await type_text(pilot, "cn-2027.ics")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TableDialog)  # the preview
        preview = screen_text(pilot.app)
        assert "2027-02-06..02-12（7）" in preview and "补班" in preview
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HolidaysScreen)
        text = screen_text(pilot.app)
        assert "已排在这些假日的场次（2）" in text and "2027-01-01 15:00" in text
        await pilot.press("m")  # the first: 元旦 → the next working day
        await settle(pilot)
        await pilot.press("s")  # the other: skipped (cancelled), after saying what that means
        await settle(pilot)
        assert "略过这一场？" in screen_text(pilot.app) and "将取消" in screen_text(pilot.app)
        await pilot.press("n")  # not yet: nothing cancelled
        await settle(pilot)
        assert "已排在这些假日的场次（1）" in screen_text(pilot.app)
        await pilot.press("s", "y")
        await settle(pilot)
        assert "没有场次排在这些日期上" in screen_text(pilot.app)

    run_pilot(make_app(), scenario, size=(80, 24))
    moved, skipped = (schedule.get_session(tui_ctx, s.id) for s in first)
    assert local_date(moved.starts_at) == date(2027, 1, 4)
    assert skipped.status == "cancelled"
    days, known = holidays.list_year(tui_ctx, 2027)
    assert known and len(days) == 11


def holidays_at(day: date, hour: int = 15):
    from tests.services.helpers import at

    return at(day, hour)


def test_single_session_form_names_the_unknown_year(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PlanningForm)
        for _ in range(5):
            await next_field(pilot)
        await type_text(pilot, "2027-01-01")
        await settle(pilot)
        assert "2027 年的节假日尚未录入" in screen_text(pilot.app)

    run_pilot(make_app(), scenario, size=(80, 24))
