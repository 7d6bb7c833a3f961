"""Files in and out of the interface, by keyboard: calendars (.ics) out and in, the roster in with a preview,
sign-in sheets and report ledgers out. Exports default to ~/zhijin-exports (HOME is a temporary folder here);
imports show what would change and write nothing unless the user says y."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from zhijin_training.ical.export import export_bytes
from zhijin_training.services import roster, schedule
from zhijin_training.tui.kit.dialogs import Confirm, FormDialog
from zhijin_training.tui.screens.preview import PreviewDialog

from .burst import burst
from .conftest import notifications, screen_text, settle
from .ops_helpers import forty_person_session
from .test_schedule import select_row


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def exports(home: Path) -> list[Path]:
    folder = home / "zhijin-exports"
    return sorted(folder.iterdir()) if folder.exists() else []


async def type_path(pilot, path: Path | str) -> None:
    """Replace the suggested path (selected when the field gets focus) and press Enter."""
    field = pilot.app.screen.query_one("#f-path")
    assert pilot.app.screen.focused is field
    assert field.selection.end - field.selection.start == len(field.value)  # the suggestion is selected ...
    await burst(pilot, str(path), "enter")  # ... so typing replaces it
    await settle(pilot)


def test_session_and_programme_calendars_from_the_schedule(make_app, run_pilot, tui_ctx, home) -> None:
    lecture = next(s for s in schedule.upcoming(tui_ctx) if s.programme_kind == "lecture")

    async def scenario(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        await select_row(pilot, lecture.id)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("1")  # this session only
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)
        assert "~/zhijin-exports/" + lecture.first_day.isoformat() in screen_text(pilot.app)
        await pilot.press("enter")  # accept the suggestion
        await settle(pilot)
        assert any("已导出 1 个日程" in n for n in notifications(pilot.app)), notifications(pilot.app)

        await pilot.press("o", "2")  # the whole programme
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

        await pilot.press("o", "1")  # the same session again: asks before replacing the file
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, Confirm)
        assert "已存在" in screen_text(pilot.app)
        await pilot.press("n")
        await settle(pilot)

    run_pilot(make_app(), scenario, size=(80, 24))
    files = exports(home)
    assert len(files) == 2
    one = next(f for f in files if f.name.startswith(lecture.first_day.isoformat()))
    programme = next(f for f in files if f != one)
    assert one.read_bytes().count(b"BEGIN:VEVENT") == 1
    assert lecture.title.encode() in one.read_bytes()
    assert programme.read_bytes().count(b"BEGIN:VEVENT") > 5


def _foreign_calendar(ctx, path: Path, title: str) -> None:
    """A calendar from elsewhere (the city's): one of our lectures under a new UID and title."""
    session = next(s for s in schedule.upcoming(ctx) if s.programme_kind == "lecture")
    data = export_bytes(ctx, session_ids=[session.id]).decode()
    uid = next(line for line in data.split("\r\n") if line.startswith("UID:"))
    summary = next(line for line in data.split("\r\n") if line.startswith("SUMMARY:"))
    data = data.replace(uid, "UID:city-2026-001@bijie.example").replace(summary, f"SUMMARY:{title}")
    path.write_bytes(data.encode())


def test_calendar_import_previews_and_writes_only_on_yes(make_app, run_pilot, tui_ctx, home) -> None:
    source = home / "市委党校培训日历.ics"
    _foreign_calendar(tui_ctx, source, "市委党校专题：数字乡村")
    before = len(schedule.list_sessions(tui_ctx, limit=5000))

    async def open_preview(pilot) -> None:
        await pilot.press("i")
        await settle(pilot)
        await type_path(pilot, source)
        assert isinstance(pilot.app.screen, PreviewDialog)
        text = screen_text(pilot.app)
        assert "新增 1" in text and "市委党校专题：数字乡村" in text

    async def scenario(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        await open_preview(pilot)
        await pilot.press("n")  # decline: nothing written
        await settle(pilot)
        assert len(schedule.list_sessions(tui_ctx, limit=5000)) == before
        await open_preview(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert any("已导入：新增 1" in n for n in notifications(pilot.app))
        await pilot.press("i")  # the same file again: nothing to do, no question
        await settle(pilot)
        await type_path(pilot, source)
        assert not isinstance(pilot.app.screen, PreviewDialog)
        assert any("没有需要导入的变化" in n for n in notifications(pilot.app))

    run_pilot(make_app(), scenario, size=(80, 24))
    found = schedule.list_sessions(tui_ctx, search="数字乡村", limit=10)
    assert len(found) == 1
    assert len(schedule.list_sessions(tui_ctx, limit=5000)) == before + 1


def _roster_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["姓名", "单位", "职务", "电话"])
        writer.writerows(rows)


def test_roster_import_refuses_errors_by_row_and_asks_before_writing(
    make_app, run_pilot, tui_ctx, home
) -> None:
    broken = home / "名册-有错.csv"
    _roster_csv(
        broken, [["新人甲", "猫场镇", "镇长助理", "13800000001"], ["新人乙", "不存在乡", "干事", "138"]]
    )
    good = home / "名册.csv"
    _roster_csv(good, [["新人甲", "猫场镇", "镇长助理", "13800000001"]])
    before = roster.count_cadres(tui_ctx)

    async def preview(pilot, path: Path) -> None:
        await pilot.press("i")
        await settle(pilot)
        await type_path(pilot, path)
        assert isinstance(pilot.app.screen, PreviewDialog)

    async def scenario(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)
        await preview(pilot, broken)
        text = screen_text(pilot.app)
        assert "错误" in text and "第 3 行" in text and "未写入" in text
        await pilot.press("y")  # refused: y does nothing
        await settle(pilot)
        assert isinstance(pilot.app.screen, PreviewDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert roster.count_cadres(tui_ctx) == before

        await preview(pilot, good)
        assert "新增 1" in screen_text(pilot.app) and "第 2 行" in screen_text(pilot.app)
        await pilot.press("n")
        await settle(pilot)
        assert roster.count_cadres(tui_ctx) == before
        await preview(pilot, good)
        await pilot.press("y")
        await settle(pilot)

    run_pilot(make_app(), scenario, size=(80, 24))
    assert roster.count_cadres(tui_ctx) == before + 1
    assert [c.unit_name for c in roster.list_cadres(tui_ctx, search="新人甲")] == ["猫场镇"]


def test_signin_sheet_cadre_calendar_and_report_ledgers(make_app, run_pilot, tui_ctx, home) -> None:
    session_id, _cadres = forty_person_session(tui_ctx)

    async def scenario(pilot) -> None:
        pilot.app.open_attendance(session_id)
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        # the field shows the end of the suggestion (~/zhijin-exports/ is scrolled off at 80 columns)
        assert "zhijin-exports/签到表-2026-11-24-乡镇党建工作专题培训.xlsx" in screen_text(pilot.app)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("3")  # roster: the first cadre's own calendar
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("5", "o", "1")  # reports: the ledger as xlsx, then as csv
        await settle(pilot)
        assert "~/zhijin-exports/统计-" in screen_text(pilot.app)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("o", "2", "enter")
        await settle(pilot)

    run_pilot(make_app(), scenario, size=(80, 24))
    sheet = home / "zhijin-exports" / "签到表-2026-11-24-乡镇党建工作专题培训.xlsx"
    ws = load_workbook(sheet).active
    cells = " ".join(str(c.value) for row in ws.iter_rows(max_row=6) for c in row if c.value)
    assert "乡镇党建工作专题培训" in cells
    first = roster.list_cadres(tui_ctx, limit=1)[0]
    calendar = home / "zhijin-exports" / f"{first.name}.ics"
    assert calendar.read_bytes().count(b"BEGIN:VEVENT") >= 1
    ledgers = [f for f in exports(home) if f.name.startswith("统计-")]
    assert sorted(f.suffix for f in ledgers) == [".csv", ".xlsx"]
    book = next(f for f in ledgers if f.suffix == ".xlsx")
    assert load_workbook(book).active.max_row > 10
