"""学时 by keyboard: the year's ledger with the behind-target filter and drill-down, a recognition (and its
role), and a cadre's dossier on screen and as XLSX."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_ctx
from zhijin_training.services import hours
from zhijin_training.settings import AccessRole
from zhijin_training.tui.app import ZhijinApp
from zhijin_training.tui.kit.dialogs import TableDialog
from zhijin_training.tui.screens.hours import HoursScreen

from .conftest import notifications, screen_text, settle
from .ops_helpers import table_rows


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_ledger_behind_filter_and_drill_down(make_app, run_pilot, tui_ctx) -> None:
    behind = hours.behind_target(tui_ctx, 2026)

    async def scenario(pilot) -> None:
        await pilot.press("7")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HoursScreen)
        text = screen_text(pilot.app)
        assert "学时·按干部" in text and "2026" in text and "88 行" in text
        await pilot.press("b")  # only those behind the target to date, furthest first
        await settle(pilot)
        rows = table_rows(pilot.app, "#hours-table")
        assert len(rows) == len(behind) < 88
        assert rows[0][0] == behind[0].name[: len(rows[0][0].rstrip("."))]
        await pilot.press("home", "enter")  # the sessions and records behind the figure
        await settle(pilot)
        assert isinstance(pilot.app.screen, TableDialog)
        text = screen_text(pilot.app)
        assert "织金大讲堂" in text and "学时明细" in text
        await pilot.press("escape")
        assert "请假超 1/7：1 人" in screen_text(pilot.app)  # the demo's secretary with two days off the trip
        await pilot.press("l")
        await settle(pilot)
        assert "赴山东" in screen_text(pilot.app) and "4.29" in screen_text(pilot.app)
        await pilot.press("escape", "t")  # by unit
        await settle(pilot)
        assert "学时·按单位" in screen_text(pilot.app)
        assert table_rows(pilot.app, "#hours-table")

    run_pilot(make_app(), scenario, size=(80, 24))


def test_recognition_by_admin_and_refused_for_an_editor(make_app, run_pilot, tui_ctx, demo_path) -> None:
    pending = hours.list_records(tui_ctx, state="submitted")
    assert len(pending) == 1

    async def as_editor(pilot) -> None:
        await pilot.press("7", "t", "t")
        await settle(pilot)
        assert "待认定记录" in screen_text(pilot.app)
        screen = pilot.app.screen
        assert not screen.check_action("recognise", ())  # 学时认定 is not offered to an editor
        assert not screen.check_action("reject", ())
        await pilot.press("home", "y")  # the key does nothing
        await settle(pilot)
        assert isinstance(pilot.app.screen, HoursScreen)

    editor = make_ctx(demo_path, user="li", role=AccessRole.EDITOR)
    run_pilot(ZhijinApp(editor, cursor_blink=False, refresh_seconds=0), as_editor)
    assert hours.list_records(tui_ctx, state="submitted")[0].id == pending[0].id

    async def as_admin(pilot) -> None:
        await pilot.press("7", "t", "t")
        await settle(pilot)
        assert pending[0].course in screen_text(pilot.app)
        await pilot.press("home", "y")
        await settle(pilot)
        assert any("已认定" in n for n in notifications(pilot.app))
        assert table_rows(pilot.app, "#hours-table") == []

    run_pilot(make_app(), as_admin)
    record = hours.list_records(tui_ctx, cadre_id=pending[0].cadre_id, state="recognised")
    assert any(r.id == pending[0].id and r.decided_by == "tester" for r in record)


def test_dossier_on_screen_and_exported(make_app, run_pilot, tui_ctx, home) -> None:
    first = hours.ledger(tui_ctx, 2026).rows[0]
    target = home / "档案.xlsx"

    async def scenario(pilot) -> None:
        await pilot.press("7")
        await settle(pilot)
        await pilot.press("home", "d")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TableDialog)
        text = screen_text(pilot.app)
        assert f"干部教育培训档案：{first.name}" in text and "五年集中学时合计" in text
        await pilot.press("escape", "o")
        await settle(pilot)
        field = pilot.app.screen.query_one("#f-path")
        field.value = str(target)
        await pilot.press("enter")
        await settle(pilot)

    run_pilot(make_app(), scenario, size=(80, 24))
    assert target.exists() and target.stat().st_mode & 0o077 == 0


def test_leave_over_one_seventh_asks_before_saving(make_app, run_pilot, tui_ctx) -> None:
    from datetime import date

    from zhijin_training.services import attendance, programmes, roster, schedule
    from zhijin_training.tui.kit.dialogs import Confirm
    from zhijin_training.tui.screens.attendance import AttendanceScreen

    people = [c.id for c in roster.list_cadres(tui_ctx)[:2]]
    prog = programmes.add_programme(tui_ctx, kind="study_trip", title="赴青州参观学习（测试）")
    trip = schedule.create_trip(
        tui_ctx,
        schedule.SessionDraft(
            programme=prog.id,
            first_day=date(2026, 11, 16),
            last_day=date(2026, 11, 18),
            participants=tuple(people),
        ),
        force=True,
    )

    async def scenario(pilot) -> None:
        pilot.app.open_attendance(trip.id)
        await settle(pilot)
        assert isinstance(pilot.app.screen, AttendanceScreen)
        await pilot.press("home", "v")
        await settle(pilot)
        await pilot.press(*"病假", "enter", *"县委组织部", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, Confirm)  # a whole trip's leave is more than 1/7 of it
        assert "1/7" in screen_text(pilot.app)
        await pilot.press("y")
        await settle(pilot)

    run_pilot(make_app(), scenario, size=(80, 24))
    saved = attendance.session_attendance(tui_ctx, trip.id).participants
    assert sorted(p.status or "" for p in saved) == ["", "on_leave"]
    assert any(r.session_id == trip.id for r in hours.leave_over(tui_ctx, 2026))


def test_roster_preview_lists_the_ignored_columns(
    make_app, run_pilot, tui_ctx, tmp_path, monkeypatch
) -> None:
    """A roster with a column the roster keeps no field for (籍贯) is previewed, not refused: the column is
    listed as ignored, and the import writes the rest."""
    import csv

    from zhijin_training.services import roster
    from zhijin_training.tui.screens.preview import PreviewDialog

    from .test_files import type_path

    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "名册-籍贯.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["姓名", "单位", "职务", "职级", "籍贯"])
        writer.writerow(["新人丙", "猫场镇", "镇长助理", "乡科级", "贵州织金"])
    before = roster.count_cadres(tui_ctx)

    async def scenario(pilot) -> None:
        await pilot.press("3", "i")
        await settle(pilot)
        await type_path(pilot, path)
        assert isinstance(pilot.app.screen, PreviewDialog)
        text = screen_text(pilot.app)
        assert "未导入的列 1" in text and "E 籍贯" in text and "新增 1" in text
        await pilot.press("y")
        await settle(pilot)

    run_pilot(make_app(), scenario, size=(80, 24))
    assert roster.count_cadres(tui_ctx) == before + 1
    added = roster.list_cadres(tui_ctx, search="新人丙")[0]
    assert [r.rank for r in hours.rank_history(tui_ctx, added.id)] == ["township_section"]
