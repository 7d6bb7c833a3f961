"""Keys typed in a burst (fast typing, pasting, `tmux send-keys`) land in the right fields of a form."""

from __future__ import annotations

from datetime import date

import pytest

from zhijin_training.services import attendance, schedule
from zhijin_training.tui.kit.dialogs import FormDialog

from .burst import burst
from .conftest import settle

TRIP = "赴青州寿光参观学习（连打）"


def _trip_keys() -> list[str]:
    keys = [
        "t",  # opens the form: the next keys must reach it, not the schedule underneath
        TRIP,
        "tab",
        "2026-12-07",  # replaces the pre-filled date (selected on focus)
        "tab",
        "2026-12-09",
        "tab",
        "青州、寿光",
        "tab",
        "山东",
        "tab",
        "1 青州 农业园区",
        "enter",
        "2 寿光 蔬菜产业化",
        "enter",
        "3 寿光 座谈交流",
        "tab",  # note
        "tab",  # role (township party secretaries preset)
        "tab",  # unit filter
        "tab",  # the people list, filled by a worker
    ]
    for _ in range(8):
        keys += ["space", "down"]
    return [*keys, "ctrl+s"]


@pytest.mark.parametrize("size", [(80, 24)])
def test_whole_trip_form_typed_in_one_burst(make_app, run_pilot, tui_ctx, size) -> None:
    async def scenario(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        await burst(pilot, *_trip_keys())
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)

    run_pilot(make_app(), scenario, size=size)
    trips = [s for s in schedule.list_sessions(tui_ctx, kind="study_trip") if s.programme_title == TRIP]
    assert len(trips) == 1
    trip = trips[0]
    assert (trip.first_day, trip.last_day) == (date(2026, 12, 7), date(2026, 12, 9))
    assert trip.location == "山东"
    assert [(i.day.day, i.place, i.activity) for i in trip.itinerary] == [
        (7, "青州", "农业园区"),
        (8, "寿光", "蔬菜产业化"),
        (9, "寿光", "座谈交流"),
    ]
    people = attendance.session_attendance(tui_ctx, trip.id).participants
    assert len(people) == 8
    assert {p.role for p in people} == {"township_secretary"}


def test_burst_waits_for_a_slow_people_list(make_app, run_pilot, tui_ctx, monkeypatch) -> None:
    """The people list arrives late (a busy shared database): Space still ticks the names the user saw."""
    import time

    from zhijin_training.services import roster

    real = roster.list_cadres

    def slow(*args, **kwargs):
        time.sleep(0.25)
        return real(*args, **kwargs)

    monkeypatch.setattr(roster, "list_cadres", slow)

    async def scenario(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        keys = _trip_keys()
        upto = keys.index("3 寿光 座谈交流") + 1
        # note, role, then the unit filter: typing refills the list under the user; then the list
        keys = [*keys[:upto], "tab", "tab", "tab", "茶店", "tab", "space"]
        await burst(pilot, *keys, "ctrl+s")
        await settle(pilot)

    run_pilot(make_app(), scenario, size=(80, 24))
    trips = [s for s in schedule.list_sessions(tui_ctx, kind="study_trip") if s.programme_title == TRIP]
    assert len(trips) == 1
    people = attendance.session_attendance(tui_ctx, trips[0].id).participants
    assert [p.unit_name for p in people] == ["茶店布依族苗族彝族乡"]


def test_new_session_form_typed_in_one_burst(make_app, run_pilot, tui_ctx) -> None:
    """The generic form: pre-filled date and times are replaced, not appended to."""

    async def scenario(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        await burst(
            pilot,
            "a",
            "tab",  # programme: the first (织金大讲堂)
            "连打测试讲座",
            "tab",
            "作风建设",
            "tab",
            "李老师",
            "tab",
            "县委党校",
            "tab",
            "2026-12-15",
            "tab",
            "09:30",
            "tab",
            "11:00",
            "tab",
            "带笔记本",
            "ctrl+s",
        )
        await settle(pilot)
        from zhijin_training.tui.kit.dialogs import Choice

        if isinstance(pilot.app.screen, Choice):  # a conflict or holiday warning: save anyway
            await burst(pilot, "1")
            await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)

    run_pilot(make_app(), scenario, size=(80, 24))
    found = schedule.list_sessions(tui_ctx, search="连打测试讲座")
    assert len(found) == 1
    s = found[0]
    assert (s.topic, s.speaker, s.location, s.note) == ("作风建设", "李老师", "县委党校", "带笔记本")
    assert s.first_day == date(2026, 12, 15)
    from zhijin_training.timeutil import to_local

    assert (f"{to_local(s.starts_at):%H:%M}", f"{to_local(s.ends_at):%H:%M}") == ("09:30", "11:00")
