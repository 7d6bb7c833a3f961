"""Importing an Outlook invitation by keyboard: the preview asks which programme (or a new one) the sessions join,
shows the file's encoding and the window recurring events are expanded over, and writes only on y."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from zhijin_training.services import schedule
from zhijin_training.tui.kit.dialogs import FormDialog
from zhijin_training.tui.screens.preview import PreviewDialog

from .burst import burst
from .conftest import screen_text, settle
from .test_files import type_path

SERIES = Path(__file__).parents[1] / "ical" / "files" / "outlook-weekly-v1.ics"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


async def _import_file(pilot, source) -> None:
    """Schedule → i → the file's path: what a person does to start every import."""
    await pilot.press("2")
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    await type_path(pilot, source)
    await settle(pilot, 3)


def test_outlook_series_asks_for_a_programme_then_previews(make_app, run_pilot, tui_ctx, home) -> None:
    source = home / "invite.ics"
    shutil.copyfile(SERIES, source)
    before = len(schedule.list_sessions(tui_ctx, limit=5000))

    async def scenario(pilot) -> None:
        await _import_file(pilot, source)
        assert isinstance(pilot.app.screen, FormDialog)  # which programme? (not "invite")
        assert "所属项目" in screen_text(pilot.app) and "新建培训项目" in screen_text(pilot.app)
        await pilot.press("ctrl+s")  # "new programme" without a name: refused in the form
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)
        assert pilot.app.screen.focused is pilot.app.screen.query_one("#f-title")  # the field at fault
        await burst(pilot, "党建工作例会")
        await pilot.press("ctrl+s")
        await settle(pilot, 3)
        assert isinstance(pilot.app.screen, PreviewDialog)
        text = screen_text(pilot.app)
        assert "新增 5" in text and "党建工作例会（改到下午）" in text
        await pilot.press("end")
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "文件编码：UTF-8" in text and "重复日程展开范围" in text
        await pilot.press("y")
        await settle(pilot, 3)

    run_pilot(make_app(), scenario, size=(80, 24))
    found = [s for s in schedule.list_sessions(tui_ctx, limit=5000) if s.programme_title == "党建工作例会"]
    assert len(found) == 5 and len(schedule.list_sessions(tui_ctx, limit=5000)) == before + 5


async def _retype(pilot, field_id: str, text: str) -> None:
    """Focus a form field, clear what it holds and type `text`, as a person would."""
    field = pilot.app.screen.query_one(field_id)
    field.focus()
    await settle(pilot)
    await pilot.press("end", *["backspace"] * len(field.value))
    await burst(pilot, text)


def test_the_expansion_window_is_changed_in_the_preview(make_app, run_pilot, tui_ctx, home) -> None:
    """The CLI's --from/--to in the interface: w in the preview asks for the days, a reversed range stays in the
    form with the field marked, and the preview is made again over the new days."""
    source = home / "invite.ics"
    shutil.copyfile(SERIES, source)
    before = len(schedule.list_sessions(tui_ctx, limit=5000))

    async def scenario(pilot) -> None:
        await _import_file(pilot, source)
        await _retype(pilot, "#f-title", "党建工作例会")  # the new programme's name (see the test above)
        await pilot.press("ctrl+s")
        await settle(pilot, 3)
        assert isinstance(pilot.app.screen, PreviewDialog)
        assert "新增 5" in screen_text(pilot.app)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)
        assert "重复日程展开范围" in screen_text(pilot.app)
        await _retype(pilot, "#f-first", "2026-12-10")
        await _retype(pilot, "#f-last", "2026-12-01")
        await pilot.press("ctrl+s")  # the end before the start: refused in the form, the field marked
        await settle(pilot, 3)
        assert isinstance(pilot.app.screen, FormDialog)
        assert pilot.app.screen.focused is pilot.app.screen.query_one("#f-last")
        await _retype(pilot, "#f-first", "2026-12-01")
        await _retype(pilot, "#f-last", "2026-12-10")
        await pilot.press("ctrl+s")
        await settle(pilot, 3)
        assert isinstance(pilot.app.screen, PreviewDialog)  # previewed again over 1–10 December
        text = screen_text(pilot.app)
        assert "新增 2" in text and "党建工作例会（改到下午）" in text
        await pilot.press("end")
        await settle(pilot)
        assert "2026-12-01 至 2026-12-10" in screen_text(pilot.app)
        await pilot.press("y")
        await settle(pilot, 3)

    run_pilot(make_app(), scenario, size=(80, 24))
    found = [s for s in schedule.list_sessions(tui_ctx, limit=5000) if s.programme_title == "党建工作例会"]
    assert len(found) == 2 and len(schedule.list_sessions(tui_ctx, limit=5000)) == before + 2


def test_a_window_with_nothing_to_import_can_still_be_changed(make_app, run_pilot, tui_ctx, home) -> None:
    """A recurring file whose days hold nothing new used to end in a toast, and the days could be changed only in the
    CLI. The preview now opens, says there is nothing in these days, offers no write, and w widens the window."""
    source = home / "invite.ics"
    shutil.copyfile(SERIES, source)

    async def scenario(pilot) -> None:
        await _import_file(pilot, source)
        await _retype(pilot, "#f-title", "党建工作例会")
        await pilot.press("ctrl+s")
        await settle(pilot, 3)
        await pilot.press("w")
        await settle(pilot)
        await _retype(pilot, "#f-first", "2031-01-01")  # years after the series: nothing in these days
        await _retype(pilot, "#f-last", "2031-01-31")
        await pilot.press("ctrl+s")
        await settle(pilot, 3)
        assert isinstance(pilot.app.screen, PreviewDialog)
        assert "这段日期内没有需要导入的变化" in screen_text(pilot.app)
        await pilot.press("y")  # nothing to write: y does nothing
        await settle(pilot)
        assert isinstance(pilot.app.screen, PreviewDialog)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog) and "重复日程展开范围" in screen_text(pilot.app)

    run_pilot(make_app(), scenario, size=(80, 24))
    assert not [s for s in schedule.list_sessions(tui_ctx, limit=5000) if s.programme_title == "党建工作例会"]
