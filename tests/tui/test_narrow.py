"""No East Asian ambiguous-width characters (▼ — … ─ ▁ ▏ ↑ ...) on any screen, nor in the interface's source
and message catalogues: CJK terminals (Xshell, PuTTY set to "ambiguous = wide") draw them two cells wide
and every line after them shifts. Nothing is excluded: the dialogs have no box-drawing borders, scrollbars
and check boxes are drawn in ASCII or whole cells (see zhijin_training.tui.widgets.narrow)."""

from __future__ import annotations

import ast
import json
import re
import unicodedata
from pathlib import Path

import pytest

import zhijin_training
from zhijin_training.i18n import set_lang

from .conftest import footer_text, screen_text, settle
from .ops_helpers import forty_person_session

PACKAGE = Path(zhijin_training.__file__).parent


def ambiguous(text: str) -> set[str]:
    return {ch for ch in text if unicodedata.east_asian_width(ch) == "A"}


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module except docstrings (which may name the characters they avoid)."""
    tree = ast.parse(path.read_text("utf-8"))
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


# literals that name a character in order to replace it with ASCII
REPLACED = {"narrow.py": set("\u2191\u2193\u2190\u2192"), "ops_common.py": {"\u2014"}}


def test_tui_source_and_catalogues_have_no_ambiguous_width_characters() -> None:
    found: dict[str, set[str]] = {}
    for path in sorted((PACKAGE / "tui").rglob("*.py")):
        for line, text in _code_strings(path):
            if ambiguous(text) - REPLACED.get(path.name, set()):
                found[f"{path.name}:{line}"] = ambiguous(text)
    for path in sorted((PACKAGE / "tui").rglob("*.tcss")):
        text = re.sub(r"/\*.*?\*/", "", path.read_text("utf-8"), flags=re.S)  # comments may name them
        if ambiguous(text):
            found[path.name] = ambiguous(text)
    for path in [*(PACKAGE / "locale").glob("*.tui.json"), *(PACKAGE / "locale").glob("*.ops.json")]:
        for key, text in json.loads(path.read_text("utf-8")).items():
            if ambiguous(text):
                found[f"{path.name}:{key}"] = ambiguous(text)
    assert found == {}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_ambiguous_width_characters_on_screen_and_footer_fits(make_app, run_pilot, tui_ctx, lang) -> None:
    set_lang(lang)
    session_id, _ = forty_person_session(tui_ctx)
    seen: dict[str, set[str]] = {}

    async def look(pilot, name: str) -> None:
        await settle(pilot)
        chars = ambiguous(screen_text(pilot.app))
        if chars:
            seen[name] = chars

    palette = "^p 命令" if lang == "zh" else "^p Palette"
    footers: list[str] = []

    async def scenario(pilot) -> None:
        for key in "123456":
            await pilot.press(key)
            await look(pilot, f"section {key}")
            footers.append(footer_text(pilot.app).splitlines()[0].rstrip())  # the palette's line
        if lang == "en":
            return  # the dialogs draw the same widgets in either language
        await pilot.press("2", "v")
        await look(pilot, "month")
        await pilot.press("v", "t")
        await look(pilot, "trip form")
        await pilot.press("tab", "tab", "tab", "tab", "tab", "tab", "tab", "tab", "tab")
        await look(pilot, "trip form, people list")
        await pilot.press("escape", "s")
        await look(pilot, "series form")
        await pilot.press("escape", "f1")
        await look(pilot, "help")
        await pilot.press("escape", "ctrl+p")
        await look(pilot, "palette")
        await pilot.press("escape")
        pilot.app.open_attendance(session_id)
        await look(pilot, "attendance (40 people, branch venue)")
        await pilot.press("s")
        await look(pilot, "session picker")
        await pilot.press("escape", "g")
        await look(pilot, "sign-in path")
        await pilot.press("escape", "v")
        await look(pilot, "leave dialog")
        await pilot.press("escape")
        pilot.app.notify("保存失败：示例", severity="error")
        pilot.app.notify("提示：示例")
        await look(pilot, "notifications")

    run_pilot(make_app(), scenario, size=(80, 24))
    assert seen == {}
    # the palette key shows whole at the right of the footer's first line (help: test_footer_keys)
    for footer in footers:
        assert footer.endswith(palette), footer
