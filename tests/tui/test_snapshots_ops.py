"""SVG snapshots of the Roster, Attendance, Reports and Audit screens at 80x24 and 120x40 (Chinese demo data).

Update after an intended change of the look: `.venv/bin/pytest tests/tui/test_snapshots_ops.py --snapshot-update`.
"""

from __future__ import annotations

import pytest

from zhijin_training.tui.widgets.statusbar import StatusBar

from .conftest import settle

SCREENS = {"roster": "3", "attendance": "4", "reports": "5", "audit": "6"}


async def _steady(pilot) -> None:
    await settle(pilot)
    for bar in pilot.app.screen.query(StatusBar):
        bar.set_info("用户 tester（管理员）  数据库 demo.db")  # the temporary path differs on every run
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("section", list(SCREENS))
def test_section_snapshot(section: str, size: tuple[int, int], make_app, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press(SCREENS[section])
        await _steady(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
