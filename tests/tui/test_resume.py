"""Overview and Schedule reload when they become visible again: a change made elsewhere shows at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from zhijin_training.services import schedule
from zhijin_training.timeutil import LOCAL_TZ

from .conftest import screen_text, settle

TITLE = "返回即见的新讲座"


def _add_session(ctx) -> None:
    """As another user (or another section) would: straight through the service."""
    start = datetime(2026, 11, 26, 9, 0, tzinfo=LOCAL_TZ)
    schedule.create_session(
        ctx,
        schedule.SessionDraft(
            programme="季度工作讲评会",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            title=TITLE,
            participants=(),
        ),
        force=True,
    )


def test_overview_and_schedule_reload_when_shown_again(make_app, run_pilot, tui_ctx) -> None:
    async def scenario(pilot) -> None:
        assert TITLE not in screen_text(pilot.app)
        await pilot.press("2")
        await settle(pilot)
        assert TITLE not in screen_text(pilot.app)
        _add_session(tui_ctx)  # while the schedule shows: the overview is hidden
        await pilot.press("1")
        await settle(pilot)
        assert TITLE in screen_text(pilot.app)  # the overview reloaded on its way back
        tui_ctx_title = "返回即见的改名讲座"
        found = schedule.list_sessions(tui_ctx, search=TITLE)[0]
        schedule.update_session(
            tui_ctx, found.id, schedule.SessionChanges(title=tui_ctx_title), expected_version=found.version
        )
        await pilot.press("2")
        await settle(pilot)
        assert tui_ctx_title in screen_text(pilot.app)  # and so did the schedule

    run_pilot(make_app(), scenario)
