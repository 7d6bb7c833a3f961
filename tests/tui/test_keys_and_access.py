"""Issue 10, items 3, 6, 7 and 8, and the key map: keys mean one thing everywhere, the picked session stays,
no English on screen in Chinese mode, only what can be done is offered, a user keymap moves keys."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from textual.widgets import Select

from tests.conftest import make_ctx
from zhijin_training.i18n import set_lang
from zhijin_training.services import attendance, roster, schedule
from zhijin_training.timeutil import LOCAL_TZ
from zhijin_training.tui.app import ZhijinApp
from zhijin_training.tui.commands import screen_commands
from zhijin_training.tui.kit.dialogs import FormDialog
from zhijin_training.tui.kit.table import Table
from zhijin_training.tui.screens.attendance import AttendanceScreen
from zhijin_training.tui.screens.session_picker import SessionPicker

from .conftest import footer_text, screen_text, settle
from .ops_helpers import forty_person_session
from .test_schedule import next_field, open_schedule, type_text

ENGLISH_LEFT_OVER = ("Select", "No matches", "Up", "Down", "Left", "Right", "viewer", "admin")


def footer(app) -> str:
    return footer_text(app)


def test_picked_session_stays_when_the_picker_closes(make_app, run_pilot, tui_ctx) -> None:
    """Item 3: `s` picks another session; the screen's resume reload must not bring the old one back."""
    now_id, _ = forty_person_session(tui_ctx)
    other = next(s for s in schedule.upcoming(tui_ctx) if s.id != now_id and not s.all_day)

    async def scenario(pilot) -> None:
        await pilot.press("4")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AttendanceScreen) and screen.sheet.session.id == now_id
        await pilot.press("s")
        await settle(pilot)
        picker = pilot.app.screen
        assert isinstance(picker, SessionPicker)
        picker.query_one(Table).select_key(str(other.id))
        await pilot.press("enter")
        await settle(pilot, rounds=3)
        assert pilot.app.screen is screen
        assert screen.sheet.session.id == other.id
        assert other.title[:6] in screen_text(pilot.app)

    run_pilot(make_app(), scenario)


def test_keys_mean_one_thing_and_q_does_not_quit(make_app, run_pilot, tui_ctx) -> None:
    """Item 6: r reloads on every screen (reschedule is m), o exports, i imports, x takes out; q is no quit."""
    import importlib
    import pkgutil

    import zhijin_training.tui.screens as screens
    from zhijin_training.tui.kit.keymap import REGISTRY

    # every screen's keys registered, not only those this run happens to import (the 学时 dossier's x hid here)
    for module in pkgutil.iter_modules(screens.__path__):
        importlib.import_module(f"{screens.__name__}.{module.name}")

    async def scenario(pilot) -> None:
        for section in "1234567":
            await pilot.press(section)
            await settle(pilot)
            reload = [b for b in pilot.app.screen._bindings.key_to_bindings.get("r", [])]
            assert [b.action for b in reload] == ["reload"], section
        await pilot.press("q")
        await settle(pilot)
        assert pilot.app.is_running
        await open_schedule(pilot)
        assert "m 改期" in footer(pilot.app) and "o 导出" in footer(pilot.app)
        await pilot.press("r")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)  # r reloads, it does not reschedule
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)

    run_pilot(make_app(), scenario)
    by_key: dict[str, set[str]] = {}
    for key in REGISTRY.values():
        for k in key.keys.split(","):
            by_key.setdefault(k, set()).add(key.id.split(".")[1])
    assert by_key["o"] <= {"export"} and by_key["i"] <= {"import"} and by_key["r"] == {"reload"}
    assert by_key["x"] <= {"cancel", "deactivate"}  # taking something out of use
    assert by_key["c"] <= {"cadre"}


def test_enter_on_a_drop_down_moves_on_and_the_cursor_stays_after_saving(
    make_app, run_pilot, tui_ctx
) -> None:
    """Item 6: Enter on a Select goes to the next field; after saving, the cursor is on the edited row."""
    target = roster.list_cadres(tui_ctx, limit=30)[20]

    async def scenario(pilot) -> None:
        await open_schedule(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form.focused, Select)  # the programme
        await pilot.press("enter")
        await settle(pilot)
        assert form.focused.id == "f-title" and not form.query_one(Select).expanded
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        table = pilot.app.screen.query_one("#roster-cadres", Table)
        table.select_key(str(target.id))
        await pilot.press("e")
        await settle(pilot)
        await next_field(pilot, "13800000000")  # phone
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=3)
        assert table.selected_key == str(target.id)

    run_pilot(make_app(), scenario)
    assert roster.get_cadre(tui_ctx, target.id).phone == "13800000000"


def test_no_english_left_on_screen_in_chinese_mode(make_app, run_pilot, demo_path: Path) -> None:
    """Item 7: the Select prompt, the palette's no-match line, arrow keys and the role are in Chinese;
    help lists 1 首页 once."""
    viewer = make_ctx(demo_path, user="guest", role="viewer")
    app = ZhijinApp(viewer, cursor_blink=False, refresh_seconds=0)

    async def scenario(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        shown = screen_text(pilot.app)
        assert "（查看）" in shown
        await pilot.press("f1")
        await settle(pilot)
        helped = screen_text(pilot.app)
        assert "上" in helped or "下" in helped
        await pilot.press("escape", "ctrl+p")
        await settle(pilot)
        await type_text(pilot, "zzzzqqqq")
        await asyncio.sleep(0.8)
        await pilot.pause()
        palette = screen_text(pilot.app)
        assert "没有找到" in palette
        for text in (shown, helped, palette):
            for word in ENGLISH_LEFT_OVER:
                assert word not in text, word

    run_pilot(app, scenario, size=(80, 24))
    viewer.db.dispose()


def test_form_select_prompt_is_chinese(make_app, run_pilot) -> None:
    async def scenario(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "请选择" in text and "Select" not in text  # the unit: not chosen yet

    run_pilot(make_app(), scenario, size=(80, 24))


def test_future_session_offers_only_leave(make_app, run_pilot, tui_ctx) -> None:
    """Item 8: a session not yet begun offers v (leave) and nothing else that marks."""
    cadres = [c.id for c in roster.list_cadres(tui_ctx, limit=5)]
    lecture = next(p for p in schedule.list_sessions(tui_ctx, kind="lecture", limit=1))
    start = datetime(2026, 12, 2, 9, 0, tzinfo=LOCAL_TZ)
    future = schedule.create_session(
        tui_ctx,
        schedule.SessionDraft(
            programme=lecture.programme_id,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            title="下周的讲座",
            participants=tuple(cadres),
        ),
        force=True,
    )

    async def scenario(pilot) -> None:
        pilot.app.open_attendance(future.id)
        await settle(pilot)
        line = footer(pilot.app)
        assert "v 假" in line
        for word in ("p 出", "l 迟", "a 缺", "d 代", "A 其余"):
            assert word not in line
        titles = {title for title, _key, _run in screen_commands(pilot.app.screen)}
        assert "请假" in titles and not {"出勤", "迟到", "缺席", "代会", "其余全部出勤"} & titles
        await pilot.press("p", "a", "enter")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)  # leave is known ahead

    run_pilot(make_app(), scenario)
    assert all(p.status is None for p in attendance.session_attendance(tui_ctx, future.id).participants)


def test_viewer_schedule_and_attendance_are_read_only(run_pilot, demo_path: Path, tui_ctx) -> None:
    session_id, _ = forty_person_session(tui_ctx)
    viewer = make_ctx(demo_path, user="guest", role="viewer")
    app = ZhijinApp(viewer, cursor_blink=False, refresh_seconds=0)

    async def scenario(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        line = footer(pilot.app)
        assert "v 月历" in line and "新建" not in line and "编辑" not in line
        await pilot.press("a", "t", "e")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)
        await pilot.press("4")
        await settle(pilot)
        line = footer(pilot.app)
        assert "s 场次" in line and "出勤" not in line and "请假" not in line
        await pilot.press("p", "v", "A")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)

    run_pilot(app, scenario)
    assert all(p.status is None for p in attendance.session_attendance(tui_ctx, session_id).participants)
    viewer.db.dispose()


def test_user_keymap_moves_a_key(tui_ctx, run_pilot) -> None:
    """`[keys] "attendance.absent" = "x"` in the config: x marks absent, a no longer does."""
    session_id, _ = forty_person_session(tui_ctx)
    app = ZhijinApp(
        tui_ctx,
        cursor_blink=False,
        refresh_seconds=0,
        keymap={"keys": {"attendance.absent": "x", "nonsense": "y"}},
    )

    async def scenario(pilot) -> None:
        await pilot.press("4")
        await settle(pilot)
        assert "x 缺" in footer(pilot.app) and "a 缺" not in footer(pilot.app)
        await pilot.press("home", "x")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)

    run_pilot(app, scenario)
    statuses = [p.status for p in attendance.session_attendance(tui_ctx, session_id).participants]
    assert statuses[0] == "absent" and statuses[1] is None


def test_bindings_follow_the_language_chosen_at_start(make_app, run_pilot, tui_ctx) -> None:
    forty_person_session(tui_ctx)
    set_lang("en")

    async def scenario(pilot) -> None:
        await pilot.press("4")
        await settle(pilot)
        line = footer(pilot.app)
        assert "p Present" in line and "出勤" not in line

    run_pilot(make_app(), scenario)


def test_poll_timer_does_not_raise_when_the_app_exits(make_app) -> None:
    app = make_app(refresh_seconds=0.01)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.1)
            app.exit()
            await pilot.pause(0.05)

    asyncio.run(main())
    assert app.return_code in (0, None)


def test_typing_in_the_session_picker_searches(make_app, run_pilot, tui_ctx) -> None:
    """Walked in tmux: typed letters went nowhere (the list had focus). Typing searches; with one match Enter
    takes it (walked again: a person types 18, Enter, and expects the session)."""
    forty_person_session(tui_ctx)
    wanted = next(s for s in schedule.list_sessions(tui_ctx) if "第17讲" in s.title)

    async def scenario(pilot) -> None:
        await pilot.press("4")
        await settle(pilot)
        screen = pilot.app.screen
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*"第17讲")
        await settle(pilot, rounds=3)
        picker = pilot.app.screen
        assert isinstance(picker, SessionPicker)
        assert picker.query_one("#picker-search").value == "第17讲"
        await pilot.press("enter")
        await settle(pilot, rounds=3)
        assert pilot.app.screen is screen and screen.sheet.session.id == wanted.id

    run_pilot(make_app(), scenario)


def test_an_editor_is_not_offered_the_admins_roster_keys(run_pilot, demo_path: Path) -> None:
    """The roster is an admin's: an editor sees it without 新增/修改/调动/停用 and `a` opens no form to type into
    and be refused afterwards; the sessions keys stay offered to him."""
    editor = make_ctx(demo_path, user="lihua", role="editor")
    app = ZhijinApp(editor, cursor_blink=False, refresh_seconds=0)

    async def scenario(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)
        footer = screen_text(pilot.app).splitlines()[-2:]
        assert not any(word in " ".join(footer) for word in ("a 新增", "e 修改", "m 调动", "x 停用")), footer
        assert "o 导出" in " ".join(footer)
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormDialog)
        await pilot.press("2")
        await settle(pilot)
        assert "a 新建" in screen_text(pilot.app)

    run_pilot(app, scenario, size=(120, 40))
    editor.db.dispose()
