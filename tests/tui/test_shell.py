"""The shell: sections, help, palette, errors as messages, literal user text."""

from __future__ import annotations

from datetime import datetime, timedelta

from zhijin_training.services import schedule
from zhijin_training.services.errors import ConflictError
from zhijin_training.timeutil import LOCAL_TZ
from zhijin_training.tui.commands import screen_commands
from zhijin_training.tui.screens.help import HelpScreen
from zhijin_training.tui.widgets.text import fit, literal

from .conftest import notifications, screen_text, settle


def test_number_keys_switch_sections(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        assert "今天及未来14天" in screen_text(pilot.app)
        await pilot.press("2")
        await settle(pilot)
        assert pilot.app.current_mode == "schedule"
        assert "织金大讲堂" in screen_text(pilot.app)
        await pilot.press("1")
        assert pilot.app.current_mode == "overview"

    run_pilot(make_app(), scenario)


def test_help_lists_screen_and_global_keys(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
        text = screen_text(pilot.app)
        for words in ("新建场次", "系列讲座", "取消场次", "改期", "退出", "帮助"):
            assert words in text
        from zhijin_training.tui.kit.table import Table

        rows = [tuple(values) for _key, values in pilot.app.screen.query_one(Table).data_rows]
        assert sum(1 for r in rows if r[0] == "1") == 1  # 1 首页 listed once
        assert ("ctrl+p", "命令面板：搜索本页所有操作", "全局") in rows
        assert ("4", "前往：考勤", "全局") in rows
        # the keys of one action share its row: 刷新 is listed once, with r, F5 and ^r
        reload_rows = [r for r in rows if r[1] == "刷新"]
        assert len(reload_rows) == 1 and reload_rows[0][0].count("/") == 2, reload_rows
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, HelpScreen)

    run_pilot(make_app(), scenario)


def test_palette_offers_the_current_screens_actions(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        overview = [title for title, _, _ in screen_commands(pilot.app.screen)]
        assert "考勤" in overview and "新建场次" not in overview
        await pilot.press("2")
        await settle(pilot)
        titles = [title for title, _, _ in screen_commands(pilot.app.screen)]
        assert {"新建场次", "系列讲座", "改期", "新建挂职", "前往：统计"} <= set(titles)

    run_pilot(make_app(), scenario)


def test_conflict_error_is_a_message_not_a_traceback(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        def boom() -> None:
            raise ConflictError("session", 7, "李四", None)

        pilot.app.screen.run_service(boom)
        await settle(pilot)
        assert any("李四" in n for n in notifications(pilot.app))
        assert pilot.app.is_running

    run_pilot(make_app(), scenario)


def test_unexpected_error_keeps_the_app_alive(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        pilot.app.screen.run_service(lambda: 1 / 0)
        await settle(pilot)
        assert any("ZeroDivisionError" in n for n in notifications(pilot.app))
        assert pilot.app.is_running

    run_pilot(make_app(), scenario)


def test_user_text_is_shown_literally(make_app, run_pilot, tui_ctx) -> None:
    start = datetime(2026, 11, 25, 9, 0, tzinfo=LOCAL_TZ)
    schedule.create_session(
        tui_ctx,
        schedule.SessionDraft(
            programme="季度工作讲评会",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            title="[bold]张[/] [red]红",
            participants=(),
        ),
        force=True,
    )

    async def scenario(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "[bold]张[/]" in text
        assert "[red]红" in text

    run_pilot(make_app(), scenario)


def test_fit_is_cjk_aware() -> None:
    assert fit("茶店布依族苗族彝族乡", 10) == "茶店布依.."
    assert fit("abc", 10) == "abc"
    assert literal("[b]x[/b]").plain == "[b]x[/b]"
    # services refuse control characters; should one reach a cell anyway it is shown, not obeyed
    assert literal("\x1b[31mred").plain == "\\x1b[31mred"


def test_english_interface(make_app, run_pilot) -> None:
    from zhijin_training.i18n import set_lang

    set_lang("en")

    async def scenario(pilot) -> None:
        assert "Today and the next 14 days" in screen_text(pilot.app)

    run_pilot(make_app(), scenario)


def test_palette_puts_the_screens_actions_first_without_cursor_keys(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        for key, first in (("2", "新建场次"), ("4", "出勤"), ("5", "切换视图")):
            await pilot.press(key)
            await settle(pilot)
            titles = [title for title, _, _ in screen_commands(pilot.app.screen)]
            assert titles[0] == first
            for generic in ("Cursor up", "Page down", "Focus Next", "Select", "Top", "光标上移"):
                assert generic not in titles
            goto = titles.index("前往：首页")
            own = [t for t in titles[:goto]]
            assert "帮助" not in own and "复制选中文字" not in own  # app and widget keys come after
            assert titles[-2:] == ["更换配色主题", "退出"]

    run_pilot(make_app(), scenario)


def test_palette_opens_with_the_screens_actions_on_top(make_app, run_pilot) -> None:
    from textual.command import CommandPalette

    async def scenario(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CommandPalette)
        await pilot.pause(0.3)
        lines = [line for line in screen_text(pilot.app).splitlines() if line.strip()]
        first_entry = next(i for i, line in enumerate(lines) if "新建场次" in line)
        assert not any("Cursor" in line or "Theme" in line for line in lines)
        assert all("前往" not in line for line in lines[:first_entry])
        await pilot.press("escape")

    run_pilot(make_app(), scenario, size=(80, 24))
