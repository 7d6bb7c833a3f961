"""SVG snapshots of the dialogs added for issue 10 items 4 and 9, at 80x24 and 120x40 (see test_snapshots_dialogs).

Update after an intended change of look: `.venv/bin/pytest tests/tui/test_snapshots_features.py --snapshot-update`.
"""

from __future__ import annotations

import pytest

from zhijin_training.tui.widgets.statusbar import StatusBar

from .conftest import settle
from .test_snapshots_dialogs import SIZES, Step, keys, with_session_now

FEATURE_DIALOGS: dict[str, list[Step]] = {
    # the agenda from today: the secondment under way, then the course happening now
    "participants": [with_session_now(), keys("2", "home", "down", "p")],
    "participants_picker": [with_session_now(), keys("2", "home", "down", "p", "a")],
    "itinerary": [keys("2", "home", "l")],
    "notice": [keys("5", "n")],
    "audit_operation": [with_session_now(), keys("6", "home", "enter")],
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dialog", list(FEATURE_DIALOGS))
def test_feature_dialog_snapshot(dialog: str, size: tuple[int, int], make_app, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        for step in FEATURE_DIALOGS[dialog]:
            await step(pilot)
        await settle(pilot)
        for screen in pilot.app.screen_stack:
            for bar in screen.query(StatusBar):
                bar.set_info("用户 tester（管理员）  数据库 demo.db")  # the temporary path differs per run
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
