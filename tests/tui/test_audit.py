"""The audit log: newest first, filtered by cadre and by session, read-only."""

from __future__ import annotations

from zhijin_training.services import attendance, audit
from zhijin_training.services.attendance import Mark
from zhijin_training.tui.screens.audit import AuditScreen

from .conftest import screen_text, settle
from .ops_helpers import forty_person_session, table_rows


def test_filter_by_cadre_then_session(make_app, run_pilot, tui_ctx) -> None:
    session_id, cadres = forty_person_session(tui_ctx)
    attendance.mark(
        tui_ctx, session_id, cadres[0], Mark("on_leave", leave_reason="防汛值班", approved_by="县委组织部")
    )
    attendance.mark(tui_ctx, session_id, cadres[1], Mark("present"))
    from zhijin_training.services import roster

    name = roster.get_cadre(tui_ctx, cadres[0]).name
    # one row per operation (issue 10 item 9): a series created in one go is one row for him too
    expected = len(audit.list_groups(tui_ctx, cadre_id=cadres[0]).groups)

    async def scenario(pilot) -> None:
        await pilot.press("6")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AuditScreen)
        first = table_rows(pilot.app, "#aud-table")[0]
        assert ("请假" in first[4] and "防汛值班" in first[4]) or "出勤" in first[4]  # newest first
        await pilot.press("c")
        await settle(pilot)
        await pilot.press(*name)
        await settle(pilot)
        await pilot.press("enter", "enter")  # to the list, pick the first match
        await settle(pilot)
        rows = table_rows(pilot.app, "#aud-table")
        assert len(rows) == expected
        assert all(name in r[3] for r in rows)
        assert f"干部 {name}" in screen_text(pilot.app)
        await pilot.press("z", "s")  # clear, then by session
        await settle(pilot)
        await pilot.press("enter")  # the picker opens on the newest session: ours is happening today
        await settle(pilot)
        rows = table_rows(pilot.app, "#aud-table")
        assert screen.session_filter is not None and screen.session_filter[0] == session_id
        assert len(rows) == len(audit.list_groups(tui_ctx, session_id=session_id).groups)
        await pilot.press("home", "enter")  # details of one entry
        await settle(pilot)
        assert "修改前" in screen_text(pilot.app)

    run_pilot(make_app(), scenario)


def test_a_unit_in_a_change_is_shown_by_name_not_by_id(tui_ctx) -> None:
    from zhijin_training.services import roster
    from zhijin_training.tui.screens import audit as audit_screen

    unit = roster.list_units(tui_ctx)[0]
    audit_screen.load_page(tui_ctx, {}, None, {}, {})
    assert audit_screen.show_value("unit_id", unit.id) == unit.name
    assert audit_screen.show_value("unit_id", 999_999) == "999999"  # a unit since deleted keeps its number
