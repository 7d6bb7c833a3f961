"""Issue 10, items 1 and 2: a check that fails keeps the form open, marks the field and says what is wrong
next to it in Chinese; a clash or holiday warning offers 仍然保存 / 返回修改 / 去掉这些人员后保存 and "back"
returns to the very form; Esc, a section key or ctrl+q on a changed form asks before discarding."""

from __future__ import annotations

from datetime import date

from textual.widgets import SelectionList

from zhijin_training.services import programmes, roster, schedule
from zhijin_training.tui.kit.dialogs import Choice, Confirm, FormDialog
from zhijin_training.tui.screens.trip_form import TripForm

from .conftest import screen_text, settle
from .test_schedule import next_field, open_schedule, type_text

ENGLISH = ("is not", "characters", "at most", "end ", "start", "Select", "day is out of range")


def field_error(form: FormDialog, name: str) -> str:
    """The text next to a field, and whether the field is marked."""
    cell = form.query_one(f"#cell-{name}")
    assert cell.has_class("-invalid"), f"{name} is not marked"
    return str(form.query_one(f"#e-{name}").render())


async def new_session_form(pilot) -> FormDialog:
    await open_schedule(pilot)
    await pilot.press("a")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, FormDialog)
    return form


def test_end_before_start_stays_open_marks_end_in_chinese(make_app, run_pilot, tui_ctx) -> None:
    before = len(schedule.list_sessions(tui_ctx, search="倒着的讲座"))

    async def scenario(pilot) -> None:
        form = await new_session_form(pilot)
        await next_field(pilot, "倒着的讲座")
        for _ in range(4):
            await next_field(pilot)
        await next_field(pilot, "17:00")  # start
        await next_field(pilot, "15:00")  # end before it
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form  # still open
        text = field_error(form, "end")
        assert "结束" in text and "15:00" in text and "17:00" in text  # what and where, in Chinese
        assert not any(word in text for word in ENGLISH)
        assert form.raw_values()["title"] == "倒着的讲座"  # nothing typed is lost
        assert form.raw_values()["start"] == "17:00"

    run_pilot(make_app(), scenario, size=(80, 24))
    assert len(schedule.list_sessions(tui_ctx, search="倒着的讲座")) == before


def test_long_title_and_bad_date_are_marked_next_to_their_fields(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        form = await new_session_form(pilot)
        await next_field(pilot, "长" * 500)
        for _ in range(3):
            await next_field(pilot)
        await next_field(pilot, "2026-02-30")  # date
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        title = field_error(form, "title")
        assert "500" in title and "200" in title and "最多" in title
        day = field_error(form, "date")
        assert "2026-02-30" in day and "日期" in day
        assert not any(word in title + day for word in ENGLISH)
        assert form.raw_values()["title"] == "长" * 500
        shown = screen_text(pilot.app)
        assert "最多" in shown and "保存" in shown

    run_pilot(make_app(), scenario, size=(80, 24))


def test_bad_phone_from_the_service_is_marked_on_the_phone_field(make_app, run_pilot, tui_ctx) -> None:
    async def scenario(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        await type_text(pilot, "测试干部")
        for _ in range(3):
            await next_field(pilot)
        await next_field(pilot, "=cmd|calc")  # phone
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        text = field_error(form, "phone")
        assert "电话号码" in text and "=cmd|calc" in text
        assert not any(word in text for word in ENGLISH)
        assert form.raw_values()["name"] == "测试干部"
        # the 新增干部 dialog fits at 80x24: its buttons are on screen
        shown = screen_text(pilot.app)
        assert "保存 (ctrl+s)" in shown and "取消 (Esc)" in shown

    run_pilot(make_app(), scenario, size=(80, 24))
    assert roster.list_cadres(tui_ctx, search="测试干部") == []


def test_escape_section_key_and_quit_ask_before_discarding(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        form = await new_session_form(pilot)
        await pilot.press("escape")  # nothing typed yet: closes at once
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)
        await pilot.press("a")
        await settle(pilot)
        form = pilot.app.screen
        await next_field(pilot, "写了一半")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, Confirm)
        assert "放弃" in screen_text(pilot.app)
        await pilot.press("n")  # keep editing
        await settle(pilot)
        assert pilot.app.screen is form and form.raw_values()["title"] == "写了一半"
        form.query_one("#save").focus()  # not in a text field: digits are section keys
        await pilot.press("3")
        await settle(pilot)
        assert isinstance(pilot.app.screen, Confirm)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is form
        await pilot.press("q")  # no bare one-letter quit
        await settle(pilot)
        assert pilot.app.is_running
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert pilot.app.is_running and isinstance(pilot.app.screen, Confirm)
        await pilot.press("n")
        await settle(pilot)
        assert pilot.app.screen is form and form.raw_values()["title"] == "写了一半"

    run_pilot(make_app(), scenario)


def test_trip_clash_back_to_the_form_then_leave_the_seconded_one_out(make_app, run_pilot, tui_ctx) -> None:
    """A 4-day trip for 10 township secretaries, one of them seconded then: back keeps everything."""
    secretaries = roster.list_cadres(tui_ctx, role="township_secretary", limit=500)
    assert len(secretaries) >= 10
    seconded = secretaries[0]
    host = programmes.add_programme(tui_ctx, kind="secondment", title="挂职锻炼（测试）", host_place="贵阳")
    schedule.create_secondment(
        tui_ctx,
        schedule.SessionDraft(
            programme=host.id,
            first_day=date(2026, 12, 1),
            last_day=date(2026, 12, 31),
            participants=(seconded.id,),
        ),
        force=True,
    )
    itinerary = "1 青岛 港口参观\n2 青岛 社区治理\n3 寿光 蔬菜基地\n4 寿光 座谈交流"

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await pilot.press("t")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, TripForm)
        await type_text(pilot, "青岛寿光乡村振兴考察")
        await next_field(pilot, "2026-12-07")
        await next_field(pilot, "2026-12-10")
        await next_field(pilot, "青岛、寿光")
        await next_field(pilot, "山东")
        await next_field(pilot)  # itinerary
        await type_text(pilot, itinerary)
        await settle(pilot)
        picker = form.query_one("#pick-list", SelectionList)
        picker.focus()
        await settle(pilot)
        for _ in range(10):
            await pilot.press("space", "down")
        await settle(pilot)
        assert len(form.chosen) == 10 and seconded.id in form.chosen
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=3)
        assert isinstance(pilot.app.screen, Choice)
        text = screen_text(pilot.app)
        assert "仍然保存" in text and "返回修改" in text and "去掉这些人员" in text
        await pilot.press("2")  # back to the form
        await settle(pilot)
        assert pilot.app.screen is form
        values = form.raw_values()
        assert values["title"] == "青岛寿光乡村振兴考察" and values["itinerary"] == itinerary
        assert (values["first_day"], values["last_day"]) == ("2026-12-07", "2026-12-10")
        assert len(form.chosen) == 10
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=3)
        assert isinstance(pilot.app.screen, Choice)
        await pilot.press("3")  # leave the clashing one out and save
        await settle(pilot, rounds=3)
        assert not isinstance(pilot.app.screen, FormDialog | Choice)

    run_pilot(make_app(), scenario)
    trip = next(s for s in schedule.list_sessions(tui_ctx, kind="study_trip", search="青岛寿光乡村振兴考察"))
    assert trip.participant_count == 9
    assert (trip.first_day, trip.last_day) == (date(2026, 12, 7), date(2026, 12, 10))
    from zhijin_training.services import attendance

    people = {p.cadre_id for p in attendance.session_attendance(tui_ctx, trip.id).participants}
    assert seconded.id not in people
