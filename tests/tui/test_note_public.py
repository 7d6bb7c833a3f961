"""The session form's internal/public switch for the note (issue 14): unticked keeps the note at home, ticked
lets it into calendars and feeds; new and edit both save it through the service's note_public."""

from __future__ import annotations

from datetime import date

from textual.widgets import Checkbox

from zhijin_training.services import schedule
from zhijin_training.tui.kit.dialogs import FormDialog

from .conftest import screen_text, settle
from .test_schedule import next_field, open_schedule, save_anyway_if_asked, select_row


def test_note_public_switch_new_and_edit(make_app, run_pilot, tui_ctx) -> None:
    day = date(2026, 12, 15)

    def ours() -> schedule.SessionView:
        (found,) = schedule.list_sessions(tui_ctx, search="备注开关讲座")
        return found

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        assert "备注公开" in screen_text(pilot.app)
        assert form.raw_values()["note_public"] is False  # internal unless ticked
        await next_field(pilot, "备注开关讲座")  # title
        for _ in range(3):  # topic, speaker, venue
            await next_field(pilot)
        await next_field(pilot, day.isoformat())
        await next_field(pilot, "09:00")
        await next_field(pilot, "11:00")
        await next_field(pilot, "请带党章")  # note
        await next_field(pilot)  # note public
        assert isinstance(form.focused, Checkbox)
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await save_anyway_if_asked(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)
        created = ours()
        assert created.note == "请带党章" and created.note_public is True

        await select_row(pilot, created.id)
        await pilot.press("e")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        assert form.raw_values()["note_public"] is True  # shown as saved
        for _ in range(7):  # topic, speaker, venue, date, start, end, note
            await next_field(pilot)
        await next_field(pilot)  # note public
        await pilot.press("space")  # back to internal
        await pilot.press("ctrl+s")
        await settle(pilot)
        await save_anyway_if_asked(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)

    run_pilot(make_app(), scenario)
    edited = ours()
    assert edited.note == "请带党章" and edited.note_public is False
