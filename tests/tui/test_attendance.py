"""Taking attendance by keyboard: one key per status, saved as you go, checked in the database."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_ctx
from zhijin_training.services import attendance, audit, schedule
from zhijin_training.services.attendance import Mark
from zhijin_training.tui.commands import screen_commands
from zhijin_training.tui.kit.dialogs import Confirm, FormDialog
from zhijin_training.tui.screens.attendance import AttendanceScreen

from .conftest import footer_text, notifications, screen_text, settle
from .ops_helpers import forty_person_session


def test_forty_people_with_leave_deputy_and_rest_present(make_app, run_pilot, tui_ctx) -> None:
    session_id, _cadres = forty_person_session(tui_ctx)

    async def scenario(pilot) -> None:
        await pilot.press("4")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AttendanceScreen)
        assert screen.sheet is not None and screen.sheet.session.id == session_id  # the one happening now
        assert "乡镇党建工作专题培训" in screen_text(pilot.app)
        await pilot.press("p", "p", "l")
        await settle(pilot)
        await pilot.press("v")  # on leave: asks reason and approver
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)
        await pilot.press("enter", "enter")  # Enter moves on, then saves: the reason is required
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)
        assert "请填写" in screen_text(pilot.app)
        await pilot.press(*"防汛值班", "enter", *"县委组织部", "enter")
        await settle(pilot)
        await pilot.press("w")  # the next person watched at the branch venue
        await pilot.press("a", "e", "d")
        await settle(pilot)
        await pilot.press(*"本单位副书记", "enter")
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "已记录 7/40" in text
        await pilot.press("A")  # everyone else present: asked first, with the count
        await settle(pilot)
        assert isinstance(pilot.app.screen, Confirm)
        assert "33 人" in screen_text(pilot.app)
        await pilot.press("y")
        await settle(pilot)
        assert "已记录 40/40" in screen_text(pilot.app)

    run_pilot(make_app(), scenario)

    sheet = attendance.session_attendance(tui_ctx, session_id)
    by_cadre = {p.cadre_id: p for p in sheet.participants}
    statuses = [by_cadre[p.cadre_id].status for p in sheet.participants]
    assert statuses[:7] == ["present", "present", "late", "on_leave", "absent", "left_early", "deputy"]
    assert all(s == "present" for s in statuses[7:])
    leave = sheet.participants[3]
    assert (leave.leave_reason, leave.approved_by) == ("防汛值班", "县委组织部")
    assert sheet.participants[6].deputy_name == "本单位副书记"
    assert sheet.participants[4].venue == "猫场镇分会场"  # after `w`
    assert sheet.participants[0].venue == "县委党校报告厅"
    assert sheet.counts.expected == 40 and sheet.counts.on_leave == 1
    entries = audit.list_entries(tui_ctx, session_id=session_id, entity="attendance")
    assert len(entries) == 40
    assert {e.user for e in entries} == {"tester"}
    leave_entry = next(e for e in entries if e.cadre_id == leave.cadre_id)
    assert leave_entry.after and leave_entry.after["leave_reason"] == "防汛值班"


def test_correction_asks_for_a_reason_and_retries(make_app, run_pilot, tui_ctx, demo_path: Path) -> None:
    session_id, cadres = forty_person_session(tui_ctx)
    clerk = make_ctx(demo_path, user="clerk2")
    attendance.mark(clerk, session_id, cadres[0], Mark("present"))
    first = attendance.session_attendance(tui_ctx, session_id).participants[0]
    assert first.recorded_by == "clerk2"

    async def scenario(pilot) -> None:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("home", "a")  # first row: recorded by someone else as present
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)
        assert "更正" in screen_text(pilot.app)
        await pilot.press(*"核实后实为缺席", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, AttendanceScreen)

    run_pilot(make_app(), scenario)
    clerk.db.dispose()
    after = attendance.session_attendance(tui_ctx, session_id).participants[0]
    assert after.status == "absent" and after.recorded_by == "tester"
    entry = audit.list_entries(tui_ctx, session_id=session_id, cadre_id=first.cadre_id, entity="attendance")[
        0
    ]
    assert entry.reason == "核实后实为缺席"
    assert entry.changes["status"] == ("present", "absent")


def test_someone_else_changed_the_record(make_app, run_pilot, tui_ctx, demo_path: Path) -> None:
    session_id, cadres = forty_person_session(tui_ctx)
    clerk = make_ctx(demo_path, user="clerk2")

    async def scenario(pilot) -> None:
        await pilot.press("4")
        await settle(pilot)
        attendance.mark(clerk, session_id, cadres[0], Mark("late"))  # behind the screen's back
        await pilot.press("home", "p")
        await settle(pilot)
        assert any("clerk2" in n for n in notifications(pilot.app))
        screen = pilot.app.screen
        assert isinstance(screen, AttendanceScreen)
        assert screen.people[cadres[0]].status == "late"  # reloaded: shows what is saved

    run_pilot(make_app(), scenario)
    clerk.db.dispose()
    assert attendance.session_attendance(tui_ctx, session_id).participants[0].status == "late"


def test_cancelled_session_takes_no_marks(make_app, run_pilot, tui_ctx) -> None:
    session_id, _ = forty_person_session(tui_ctx)
    version = schedule.get_session(tui_ctx, session_id).version
    schedule.cancel_session(tui_ctx, session_id, expected_version=version, reason="上级临时会议")

    async def scenario(pilot) -> None:
        pilot.app.open_attendance(session_id)
        await settle(pilot)
        assert "本场次已取消" in screen_text(pilot.app)
        titles = {title for title, _key, _run in screen_commands(pilot.app.screen)}
        # nothing to mark: neither the palette nor the footer offers a mark, the keys do nothing
        assert not {"出勤", "请假", "代会", "缺席", "其余全部出勤"} & titles
        assert {"选择场次", "导出签到表"} <= titles
        footer = footer_text(pilot.app)
        assert "p 出" not in footer and "v 假" not in footer and "g 签到表" in footer
        await pilot.press("p", "A")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, Confirm)
        assert all(p.status is None for p in attendance.session_attendance(tui_ctx, session_id).participants)

    run_pilot(make_app(), scenario)
    sheet = attendance.session_attendance(tui_ctx, session_id)
    assert all(p.status is None for p in sheet.participants)


def test_markup_in_a_name_renders_literally_in_the_attendance_list(make_app, run_pilot, tui_ctx) -> None:
    from zhijin_training.services import roster

    _session_id, cadres = forty_person_session(tui_ctx)
    roster.update_cadre(tui_ctx, cadres[0], name="[bold]张[/]")

    async def scenario(pilot) -> None:
        await pilot.press("4")
        await settle(pilot)
        # the 8-cell name column shows the start of the name as typed, cut with "..": never bold markup
        assert "[bold].." in screen_text(pilot.app)

    run_pilot(make_app(), scenario, size=(80, 24))


def test_other_users_marks_appear_within_seconds(make_app, run_pilot, tui_ctx, demo_path: Path) -> None:
    session_id, cadres = forty_person_session(tui_ctx)
    clerk = make_ctx(demo_path, user="clerk2")

    async def scenario(pilot) -> None:
        await pilot.press("4")
        await settle(pilot)
        await pilot.pause(0.5)  # the app's poll has seen the log once
        attendance.mark(clerk, session_id, cadres[5], Mark("absent"))
        await pilot.pause(1.0)
        await settle(pilot)
        assert pilot.app.screen.people[cadres[5]].status == "absent"
        await pilot.press("3")  # away; another change; back: shown at once
        await settle(pilot)
        attendance.mark(clerk, session_id, cadres[6], Mark("late"))
        await pilot.press("4")
        await settle(pilot)
        assert pilot.app.screen.people[cadres[6]].status == "late"

    run_pilot(make_app(refresh_seconds=0.2), scenario)
    clerk.db.dispose()


def test_leave_without_approver_keeps_the_form_and_the_reason(make_app, run_pilot, tui_ctx) -> None:
    """The domain requires an approver for leave: the form says so beside the field and keeps the reason."""
    session_id, _cadres = forty_person_session(tui_ctx)

    async def scenario(pilot) -> None:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        await pilot.press(*"外出考察", "enter")  # reason typed, approver left empty
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form  # still open, nothing typed lost
        assert form.raw_values()["reason"] == "外出考察"
        assert "批准人" in screen_text(pilot.app) and "请填写" in screen_text(pilot.app)
        await pilot.press(*"县委组织部", "ctrl+s")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)

    run_pilot(make_app(), scenario)
    first = attendance.session_attendance(tui_ctx, session_id).participants[0]
    assert (first.status, first.leave_reason, first.approved_by) == ("on_leave", "外出考察", "县委组织部")
