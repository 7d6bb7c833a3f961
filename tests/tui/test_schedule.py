"""Planning by keyboard: series, edit one occurrence, cancel, a three-day trip, the "save anyway?" question."""

from __future__ import annotations

from datetime import date

from zhijin_training.services import attendance, schedule
from zhijin_training.tui.kit.dialogs import Choice, FormDialog
from zhijin_training.tui.kit.table import Table

from .conftest import screen_text, settle


async def type_text(pilot, text: str) -> None:
    """Text arrives as the terminal sends typed-in Chinese (IME) or a paste: one bracketed paste event."""
    from textual import events

    pilot.app.post_message(events.Paste(text))  # the app hands it to the focused field, as in a terminal
    await pilot.pause()


async def next_field(pilot, text: str | None = None) -> None:
    """Tab to the next field and (re)type it: a tab selects the old value, typing replaces it."""
    await pilot.press("tab")
    if text is not None:
        await type_text(pilot, text)


async def open_schedule(pilot) -> None:
    await pilot.press("2")
    await settle(pilot)


async def select_row(pilot, session_id: int) -> None:
    table = pilot.app.screen.query_one("#agenda", Table)
    table.focus()
    await pilot.press("home")
    for _ in range(table.keys.index(session_id)):
        await pilot.press("down")
    assert table.selected_key == session_id


async def save_anyway_if_asked(pilot) -> None:
    """A clash or holiday question (the default audience may be booked): save anyway."""
    if isinstance(pilot.app.screen, Choice):
        await pilot.press("1")
        await settle(pilot)


def _test_series(ctx) -> list:
    return [s for s in schedule.list_sessions(ctx, search="乡村振兴专题") if s.series_id]


def test_create_series_then_edit_one_occurrence(make_app, run_pilot, tui_ctx) -> None:
    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)
        await next_field(pilot, "乡村振兴专题")  # title
        await next_field(pilot, "乡村振兴")  # topic
        await next_field(pilot, "王教授")  # speaker
        await next_field(pilot, "县委党校")  # location
        await next_field(pilot, "2026-12-03")  # a Thursday, clear of the Baili Dujuan trip
        await next_field(pilot, "09:00")
        await next_field(pilot, "11:00")
        await next_field(pilot)  # note
        await next_field(pilot)  # note public: no (internal)
        await next_field(pilot)  # repeat: every two weeks (default)
        await next_field(pilot)  # weekday: as the first
        await next_field(pilot, "2027-01-31")
        await next_field(pilot)  # skipped dates
        await next_field(pilot)  # skip holidays: 2027's are not entered in the demo, so the form refuses it
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await settle(pilot)
        sessions = _test_series(tui_ctx)
        assert [s.first_day for s in sessions] == [
            date(2026, 12, 3),
            date(2026, 12, 17),
            date(2026, 12, 31),
            date(2027, 1, 14),
            date(2027, 1, 28),
        ]
        assert len({s.series_id for s in sessions}) == 1
        assert "乡村振兴专题" in screen_text(pilot.app)

        second = sessions[1]
        await select_row(pilot, second.id)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(pilot.app.screen, Choice)  # which sessions: asked before the form
        await pilot.press("1")  # this session only
        await settle(pilot)
        await type_text(pilot, "乡村振兴专题（改期）")  # the title field is focused with its text selected
        await next_field(pilot)  # topic
        await next_field(pilot)  # speaker
        await next_field(pilot, "县委常委会议室")  # location
        await pilot.press("ctrl+s")
        await settle(pilot)

        after = {s.id: s for s in _test_series(tui_ctx)}
        assert after[second.id].title == "乡村振兴专题（改期）"
        assert after[second.id].location == "县委常委会议室"
        assert after[second.id].detached
        for s in sessions:
            if s.id != second.id:
                assert after[s.id].title == "乡村振兴专题"
                assert after[s.id].location == "县委党校"
                assert after[s.id].version == s.version

    run_pilot(make_app(), scenario)


def test_cancel_a_session_with_reason(make_app, run_pilot, tui_ctx) -> None:
    target = next(s for s in schedule.upcoming(tui_ctx) if s.programme_kind == "lecture")

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await select_row(pilot, target.id)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("1")  # this one only (it belongs to the lecture series)
        await settle(pilot)
        await type_text(pilot, "与县委全会冲突")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "已取消" in screen_text(pilot.app)

    run_pilot(make_app(), scenario)
    after = schedule.get_session(tui_ctx, target.id)
    assert after.is_cancelled
    later = [
        s
        for s in schedule.list_sessions(tui_ctx, programme_id=target.programme_id)
        if s.starts_at > target.starts_at
    ]
    assert later and not any(s.is_cancelled for s in later)


def test_three_day_trip_for_eight_township_secretaries(make_app, run_pilot, tui_ctx) -> None:
    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await pilot.press("t")
        await settle(pilot)
        await type_text(pilot, "赴青州、寿光参观学习")
        await next_field(pilot, "2026-12-07")
        await next_field(pilot, "2026-12-09")
        await next_field(pilot, "青州、寿光")
        await next_field(pilot, "山东")
        await next_field(pilot, "1 青州 农业园区\n2 寿光 蔬菜产业化\n3 寿光 座谈交流")
        await next_field(pilot)  # note
        await next_field(pilot)  # role: township party secretaries (preset)
        await next_field(pilot)  # unit filter
        await next_field(pilot)  # the people list
        await settle(pilot)
        for _ in range(8):
            await pilot.press("space", "down")
        assert len(pilot.app.screen.chosen) == 8
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)

    run_pilot(make_app(), scenario)
    trips = [
        s
        for s in schedule.list_sessions(tui_ctx, kind="study_trip")
        if s.programme_title == "赴青州、寿光参观学习"
    ]
    assert len(trips) == 1
    trip = trips[0]
    assert (trip.first_day, trip.last_day, trip.all_day) == (date(2026, 12, 7), date(2026, 12, 9), True)
    assert [(i.day.day, i.place) for i in trip.itinerary] == [(7, "青州"), (8, "寿光"), (9, "寿光")]
    people = attendance.session_attendance(tui_ctx, trip.id).participants
    assert len(people) == 8
    assert {p.role for p in people} == {"township_secretary"}


def test_conflict_asks_then_saves_anyway(make_app, run_pilot, tui_ctx) -> None:
    """A lecture for the default audience on top of an existing lecture: warned, then saved with force."""
    busy = next(s for s in schedule.upcoming(tui_ctx) if s.programme_kind == "lecture" and not s.all_day)
    day = busy.first_day.isoformat()

    def count() -> int:
        return len(schedule.list_sessions(tui_ctx, start=busy.first_day, end=busy.first_day))

    before = count()

    async def fill(pilot) -> None:
        await pilot.press("a")
        await settle(pilot)
        await next_field(pilot, "加开一讲")  # programme stays 织金大讲堂 (its audience: every cadre)
        await next_field(pilot)
        await next_field(pilot)
        await next_field(pilot)
        await next_field(pilot, day)
        await next_field(pilot, "15:30")
        await next_field(pilot, "16:30")
        await pilot.press("ctrl+s")
        await settle(pilot)

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await fill(pilot)
        assert isinstance(pilot.app.screen, Choice)
        text = screen_text(pilot.app)
        assert "已有其他安排" in text and "仍然保存" in text and "返回修改" in text
        await pilot.press("2")  # back to the form: everything typed is still there
        await settle(pilot)
        assert count() == before
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        assert form.raw_values()["title"] == "加开一讲"
        assert form.raw_values()["start"] == "15:30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, Choice)
        await pilot.press("1")  # save anyway
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog | Choice)
        assert count() == before + 1

    run_pilot(make_app(), scenario)


def test_month_view_and_paging_keys(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await pilot.press("v")
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "2026年11月" in text and "一" in text
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert "2026年12月" in screen_text(pilot.app)
        await pilot.press("v", "h")
        await settle(pilot)
        assert "以往场次" in screen_text(pilot.app)

    run_pilot(make_app(), scenario)


def test_enter_on_a_tick_box_moves_on_and_space_ticks_it(make_app, run_pilot) -> None:
    """The form says 回车到下一项: a tick box must not swallow Enter (Space ticks it)."""

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await pilot.press("s")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        tick = form.query_one("#f-skip_holidays")
        tick.focus()
        await settle(pilot)
        before = tick.value
        await pilot.press("enter")
        await settle(pilot)
        assert tick.value == before and pilot.app.focused is not tick
        tick.focus()
        await pilot.press("space")
        await settle(pilot)
        assert tick.value is not before

    run_pilot(make_app(), scenario)
