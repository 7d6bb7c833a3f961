"""The roster by keyboard: Chinese search, moving a cadre (history kept), literal names, roles enforced."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import make_ctx
from zhijin_training.services import roster
from zhijin_training.tui.app import ZhijinApp
from zhijin_training.tui.kit.dialogs import FormDialog, TableDialog
from zhijin_training.tui.screens.roster import PAGE, RosterScreen

from .conftest import footer_text, notifications, screen_text, settle
from .ops_helpers import table_rows


async def _search(pilot, text: str) -> None:
    await pilot.press("slash", *text)
    await pilot.pause(0.4)  # typing is debounced
    await settle(pilot)


def test_search_in_chinese_finds_the_township(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, RosterScreen)
        assert len(table_rows(pilot.app, "#roster-cadres")) == PAGE  # paged: not every row at once
        assert screen.total == 88
        await _search(pilot, "茶店")
        rows = table_rows(pilot.app, "#roster-cadres")
        assert len(rows) == 2
        assert all(r[1] == "茶店布依族苗族彝族乡" for r in rows)
        assert "茶店布依族苗族彝族乡" in screen_text(pilot.app) or "茶店布依" in screen_text(pilot.app)
        assert "城关镇" not in "".join(r[1] for r in rows)
        await pilot.press("escape")  # clears the search
        await pilot.pause(0.4)
        await settle(pilot)
        assert pilot.app.screen.total == 88

    run_pilot(make_app(), scenario, size=(80, 24))


def test_scrolling_loads_the_next_page(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        assert len(table_rows(pilot.app, "#roster-cadres")) == 88

    run_pilot(make_app(), scenario)


def test_move_a_cadre_keeps_post_history(make_app, run_pilot, tui_ctx) -> None:
    target = roster.list_cadres(tui_ctx, search="茶店")[0]
    assert len(roster.post_history(tui_ctx, target.id)) == 1

    async def scenario(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)
        await _search(pilot, target.name)
        await pilot.press("enter")  # from the search box to the list
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)
        await pilot.press("tab", "ctrl+u", *"县委组织部副部长", "enter")  # unit stays; new post
        await pilot.press("tab", "ctrl+u", *"2026-12-01", "enter")  # role stays; effective date -> save
        await settle(pilot)
        assert isinstance(pilot.app.screen, RosterScreen), notifications(pilot.app)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TableDialog)
        text = screen_text(pilot.app)
        assert "2026-11-30" in text and "2026-12-01" in text and "至今" in text

    run_pilot(make_app(), scenario)
    posts = roster.post_history(tui_ctx, target.id)
    assert len(posts) == 2
    assert posts[0].end_date is not None and posts[0].end_date.isoformat() == "2026-11-30"
    assert posts[1].post_title == "县委组织部副部长" and posts[1].end_date is None
    assert roster.get_cadre(tui_ctx, target.id).post_title == "县委组织部副部长"


def test_add_then_deactivate(make_app, run_pilot, tui_ctx) -> None:
    async def scenario(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"测试干部", "enter", "tab")  # name, past the unit drop-down, to the post
        await pilot.press(*"科员", "ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, RosterScreen), notifications(pilot.app)
        await _search(pilot, "测试干部")
        await pilot.press("enter", "x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert table_rows(pilot.app, "#roster-cadres") == []  # inactive people leave the list
        await pilot.press("t")  # ... unless asked for
        await settle(pilot)
        assert "停用" in table_rows(pilot.app, "#roster-cadres")[0][0]

    run_pilot(make_app(), scenario)
    found = roster.list_cadres(tui_ctx, search="测试干部", active_only=False)
    assert len(found) == 1 and not found[0].active and found[0].post_title == "科员"


def test_names_with_markup_and_escapes_render_as_typed(make_app, run_pilot, tui_ctx, demo_path: Path) -> None:
    roster.add_cadre(tui_ctx, name="[bold]张[/]", unit="茶店", post_title="[red]x[/red]")
    other = roster.add_cadre(tui_ctx, name="李四", unit="茶店")
    # the services refuse control characters; old data written by other tools may still hold them
    with sqlite3.connect(demo_path) as conn:
        conn.execute("UPDATE cadre SET name = ? WHERE id = ?", ("李\x1b[31m四", other.id))

    async def scenario(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)
        await _search(pilot, "茶店")
        text = screen_text(pilot.app)
        assert "[bold]张[/]" in text
        assert "[red]x[/red]" in text
        assert "李\\x1b[31m四" in text  # the escape is shown, never sent to the terminal
        assert "\x1b" not in text

    run_pilot(make_app(), scenario)


def test_viewer_sees_a_read_only_roster(run_pilot, demo_path: Path) -> None:
    """Item 8: no edit keys in the footer or the palette, and an edit form does not open."""
    from zhijin_training.tui.commands import screen_commands

    viewer = make_ctx(demo_path, user="guest", role="viewer")
    app = ZhijinApp(viewer, cursor_blink=False, refresh_seconds=0)

    async def scenario(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)
        text = screen_text(pilot.app)
        footer = footer_text(pilot.app)
        assert "搜索" in footer and "新增" not in footer and "修改" not in footer and "调动" not in footer
        assert "（查看）" in text and "viewer" not in text
        titles = {title for title, _key, _run in screen_commands(pilot.app.screen)}
        assert "任职经历" in titles
        assert not {"新增", "修改", "调动", "停用/启用", "导入名册"} & titles
        await pilot.press("a", "e", "m")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)
        await pilot.press(*"无权新增", "ctrl+s")
        await settle(pilot)

    run_pilot(app, scenario)
    assert roster.list_cadres(viewer, search="无权新增") == []
    viewer.db.dispose()
