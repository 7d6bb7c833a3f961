"""Issue 10 items 4 and 9 in the interface, pressed like a clerk: branch venues and broadcast time in the
session form (new and edit), the absence notice from Reports, participants of an existing session, a trip's
itinerary, and the audit log one row per operation."""

from __future__ import annotations

import stat
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import TextArea

from zhijin_training.services import attendance, audit, reports, roster, schedule
from zhijin_training.services.attendance import Mark
from zhijin_training.timeutil import LOCAL_TZ, quarter_bounds, to_utc
from zhijin_training.tui.kit.dialogs import Confirm, FormDialog, TableDialog
from zhijin_training.tui.screens.cadre_picker import CadrePicker
from zhijin_training.tui.screens.notice import NoticeDialog, shown_text
from zhijin_training.tui.screens.participants_edit import ParticipantsDialog

from .conftest import screen_text, settle
from .ops_helpers import forty_person_session, table_rows
from .test_schedule import next_field, open_schedule, save_anyway_if_asked, select_row, type_text


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return to_utc(datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ))


# ---------------------------------------------------------------- branch venues and broadcast time
def test_session_form_takes_branch_venues_and_broadcast_new_and_edit(make_app, run_pilot, tui_ctx) -> None:
    day = date(2026, 12, 10)

    def ours() -> schedule.SessionView:
        (found,) = schedule.list_sessions(tui_ctx, search="第30讲")
        return found

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)
        await next_field(pilot, "织金大讲堂 第30讲：乡村振兴")  # title
        await next_field(pilot, "乡村振兴")  # topic
        await next_field(pilot, "李教授")  # speaker
        await next_field(pilot, "县委党校报告厅")  # main venue
        await next_field(pilot, day.isoformat())
        await next_field(pilot, "09:00")
        await next_field(pilot, "11:00")
        await next_field(pilot)  # note
        await next_field(pilot)  # note public: no (internal)
        await next_field(pilot, "猫场镇分会场、牛场镇分会场")
        await next_field(pilot, "25:00")  # not a time: marked, nothing saved, nothing lost
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        assert "25:00" in screen_text(pilot.app) and "不是时间" in screen_text(pilot.app)
        assert form.raw_values()["branch_venues"] == "猫场镇分会场、牛场镇分会场"
        assert schedule.list_sessions(tui_ctx, search="第30讲") == []
        await pilot.press("end", "ctrl+u")  # the broadcast field has the focus: clear it, type again
        await type_text(pilot, "20:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await save_anyway_if_asked(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)
        created = ours()
        assert created.branch_venues == ("猫场镇分会场", "牛场镇分会场")
        assert created.broadcast_at == _local(day, 20)

        # edit: a new topic (the title follows it), one branch venue left, broadcast the next morning
        await select_row(pilot, created.id)
        await pilot.press("e")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        assert form.raw_values()["branch_venues"] == "猫场镇分会场、牛场镇分会场"
        assert form.raw_values()["broadcast"] == "20:00"
        await next_field(pilot, "新型工业化")  # topic
        for _ in range(8):  # speaker, venue, date, start, end, note, note public, branch venues
            await next_field(pilot)
        await type_text(pilot, "猫场镇分会场")
        await next_field(pilot, "2026-12-11 08:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await save_anyway_if_asked(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)

    run_pilot(make_app(), scenario)
    edited = ours()
    assert edited.topic == "新型工业化"
    assert edited.title == "织金大讲堂 第30讲：新型工业化"
    assert edited.branch_venues == ("猫场镇分会场",)
    assert edited.broadcast_at == _local(date(2026, 12, 11), 8)


# ---------------------------------------------------------------- the absence notice
def test_notice_of_the_quarter_from_reports_shown_literally_and_saved_private(
    make_app, run_pilot, tui_ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # ~/zhijin-exports of this test only
    start, end = quarter_bounds("2026Q4")
    # a name a terminal would act on: shown as text, never as an escape
    session_id, cadres = forty_person_session(tui_ctx)
    attendance.mark(tui_ctx, session_id, cadres[0], Mark("absent"))
    expected = reports.absence_notice_text(reports.absences(tui_ctx, start, end), start, end)
    assert roster.get_cadre(tui_ctx, cadres[0]).name in expected

    async def scenario(pilot) -> None:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("N")  # n is the editable .docx 通报 (issue 13); N the same as text
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, NoticeDialog)
        area = dialog.query_one("#notice-text", TextArea)
        assert area.text == shown_text(expected)
        assert area.read_only
        assert "无故缺席情况的通报" in screen_text(pilot.app)
        area.select_all()  # what a person selects is the whole text, ready to copy
        assert area.selected_text == shown_text(expected)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)  # where to: ~/zhijin-exports/通报-2026Q4.txt
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NoticeDialog)
        assert "已保存通报" in screen_text(pilot.app)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, NoticeDialog)

    run_pilot(make_app(), scenario)
    saved = tmp_path / "zhijin-exports" / "通报-2026Q4.txt"
    assert saved.read_text("utf-8") == shown_text(expected)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600


# ---------------------------------------------------------------- participants of an existing session
def test_add_and_remove_participants_of_a_session(make_app, run_pilot, tui_ctx) -> None:
    session_id, cadres = forty_person_session(tui_ctx)
    attendance.mark(tui_ctx, session_id, cadres[1], Mark("present"))  # recorded: cannot be removed
    outsider = next(c for c in roster.list_cadres(tui_ctx, limit=200) if c.id not in cadres)

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await select_row(pilot, session_id)
        await pilot.press("p")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ParticipantsDialog)
        assert len(table_rows(pilot.app, "#people-table")) == 40
        await pilot.press("home", "d")  # the first one: removed (on save)
        await pilot.press("down", "d")  # the second has attendance: refused, said why
        await settle(pilot)
        assert "已记考勤" in screen_text(pilot.app)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CadrePicker)
        await pilot.press(*outsider.name)  # search the roster
        await settle(pilot)
        await pilot.press("enter", "enter")  # to the list, the first match
        await settle(pilot)
        assert pilot.app.screen is dialog
        rows = table_rows(pilot.app, "#people-table")
        assert [r[0] for r in rows].count("新增") == 1 and [r[0] for r in rows].count("移除") == 1
        assert "新增 1 人，移除 1 人" in screen_text(pilot.app)
        # nothing written yet
        assert len(attendance.session_attendance(tui_ctx, session_id).participants) == 40
        await pilot.press("ctrl+s")
        await settle(pilot)
        await save_anyway_if_asked(pilot)
        assert not isinstance(pilot.app.screen, ParticipantsDialog)

    run_pilot(make_app(), scenario)
    now = {p.cadre_id for p in attendance.session_attendance(tui_ctx, session_id).participants}
    assert now == (set(cadres) - {cadres[0]}) | {outsider.id}


def test_closing_the_participants_list_with_changes_asks(make_app, run_pilot, tui_ctx) -> None:
    session_id, _cadres = forty_person_session(tui_ctx)

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await select_row(pilot, session_id)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("home", "d", "escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, Confirm)
        await pilot.press("n")  # keep editing
        await settle(pilot)
        assert isinstance(pilot.app.screen, ParticipantsDialog)
        await pilot.press("escape", "y")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ParticipantsDialog | Confirm)

    run_pilot(make_app(), scenario)
    assert len(attendance.session_attendance(tui_ctx, session_id).participants) == 40


# ---------------------------------------------------------------- a trip's itinerary
def test_edit_the_itinerary_of_an_existing_trip(make_app, run_pilot, tui_ctx) -> None:
    from zhijin_training.services import programmes

    programme = programmes.add_programme(tui_ctx, kind="study_trip", title="赴青州、寿光参观学习")
    people = [c.id for c in roster.list_cadres(tui_ctx, role="township_secretary", limit=3)]
    first = date(2026, 12, 14)
    trip = schedule.create_trip(
        tui_ctx,
        schedule.SessionDraft(
            programme=programme.id,
            first_day=first,
            last_day=first + timedelta(days=2),
            location="山东",
            participants=tuple(people),
            itinerary=(
                schedule.ItineraryStop(first, "青州", "农业园区"),
                schedule.ItineraryStop(first + timedelta(days=1), "寿光", "蔬菜产业化"),
            ),
        ),
        force=True,
    )

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await select_row(pilot, trip.id)
        await pilot.press("l")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        assert form.raw_values()["itinerary"] == "2026-12-14 青州 农业园区\n2026-12-15 寿光 蔬菜产业化"
        await type_text(pilot, "9 青岛 座谈\n")  # day 9 of a 3-day trip: refused, kept, line named
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)
        assert "第 1 行" in screen_text(pilot.app) or "第1行" in screen_text(pilot.app)
        assert "9 青岛 座谈" in form.raw_values()["itinerary"]
        assert len(schedule.get_session(tui_ctx, trip.id).itinerary) == 2
        await pilot.press("ctrl+z")  # undo the bad line, as in any editor
        await type_text(pilot, "3 寿光 交流总结、返程\n")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)
        assert "行程已更新" in screen_text(pilot.app)

    run_pilot(make_app(), scenario)
    after = schedule.get_session(tui_ctx, trip.id)
    assert [(i.day, i.place, i.activity) for i in after.itinerary] == [
        (first, "青州", "农业园区"),
        (first + timedelta(days=1), "寿光", "蔬菜产业化"),
        (first + timedelta(days=2), "寿光", "交流总结、返程"),
    ]
    assert after.sequence > trip.sequence  # calendars see the change


# ---------------------------------------------------------------- audit: one row per operation
def test_audit_shows_a_new_session_as_one_row_that_opens_up(make_app, run_pilot, tui_ctx) -> None:
    session_id, _cadres = forty_person_session(tui_ctx)

    async def scenario(pilot) -> None:
        await pilot.press("6")
        await settle(pilot)
        rows = table_rows(pilot.app, "#aud-table")
        first = rows[0]
        assert first[2] == "新增场次" and "乡镇党建工作专题培训" in first[3]
        assert first[4].startswith("含 40 名参训人员")
        assert not any("乡镇党建工作专题培训" in r[3] for r in rows[1:])  # not 40 more rows
        assert "含 40 名参训人员" in screen_text(pilot.app)
        await pilot.press("home", "enter")  # open the operation
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, TableDialog)
        entries = table_rows(pilot.app, "#dialog-table")
        assert len(entries) == 41
        assert sum(1 for e in entries if e[0] == "新增参训人员") == 40
        await pilot.press("home", "enter")  # one entry: before and after
        await settle(pilot)
        assert "修改前" in screen_text(pilot.app)

    run_pilot(make_app(), scenario)
    (group,) = [g for g in audit.list_groups(tui_ctx, session_id=session_id).groups]
    assert group.size == 41


# ---------------------------------------------------------------- one rule for "below the threshold" (item 5c)
def test_overview_and_reports_review_say_the_same_number_below_the_threshold(
    make_app, run_pilot, tui_ctx
) -> None:
    import re

    review = reports.quarterly_review(tui_ctx, "2026Q4")
    assert review.below  # the demo has some: the comparison means something

    async def scenario(pilot) -> None:
        await settle(pilot)
        home = re.search(r"低于 80\.0% 的干部 (\d+) 人", screen_text(pilot.app))
        await pilot.press("5", "t", "t")  # Reports: by cadre -> by unit -> the quarterly review
        await settle(pilot)
        review_line = re.search(r"低于 80\.0%：(\d+) 人", screen_text(pilot.app))
        assert home is not None and review_line is not None
        assert int(home.group(1)) == int(review_line.group(1)) == len(review.below)

    run_pilot(make_app(), scenario)
