"""Fails loudly when a Textual upgrade changes a private internal tui/kit/compat.py relies on.

Textual is pinned to exactly one release (pyproject.toml and requirements.lock); each test here names the
internal and what the kit does with it, so an upgrade shows at once what to look at."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import textual
from textual.app import App
from textual.command import CommandPalette
from textual.dom import DOMNode
from textual.message_pump import MessagePump
from textual.widgets import DataTable, Select, SelectionList

import zhijin_training
from zhijin_training.tui.kit import compat

ROOT = Path(zhijin_training.__file__).parent.parent


def test_textual_is_the_pinned_release() -> None:
    assert textual.__version__ == compat.TEXTUAL_VERSION
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    lock = (ROOT / "requirements.lock").read_text("utf-8")
    assert f'"textual=={compat.TEXTUAL_VERSION}"' in pyproject
    assert f"\ntextual=={compat.TEXTUAL_VERSION}\n" in lock


def test_private_modules_still_hold_the_widgets() -> None:
    from textual.widgets import Checkbox, Footer

    assert issubclass(compat.ToggleButton, object) and issubclass(Checkbox, compat.ToggleButton)
    assert {"BUTTON_LEFT", "BUTTON_RIGHT", "BUTTON_INNER"} <= set(vars(compat.ToggleButton))
    assert "FooterKey" in inspect.getsource(Footer.compose)
    assert {"key_display", "description", "action"} <= set(inspect.signature(compat.FooterKey).parameters)


def test_css_counter_and_screen_stacks() -> None:
    source = inspect.getsource(App)
    assert "_css_update_count" in source and "_screen_stacks" in source and "_current_mode" in source
    from textual import _context

    assert hasattr(_context, "active_app") and hasattr(_context, "active_message_pump")


def test_bindings_are_merged_per_class() -> None:
    assert "_merged_bindings" in vars(DOMNode) and callable(DOMNode._merge_bindings)
    source = inspect.getsource(DOMNode._merge_bindings)
    assert '__dict__.get("BINDINGS"' in source  # each class's own BINDINGS: what kit.keymap rebuilds


def test_datatable_render_caches() -> None:
    table = DataTable()
    for name in ("_data", "_cell_render_cache", "_row_render_cache", "_row_renderable_cache", "_line_cache"):
        assert hasattr(table, name), name
    assert isinstance(table._update_count, int)
    assert callable(table._cell_render_cache.discard) and callable(table._cell_render_cache.keys)
    source = inspect.getsource(DataTable._render_cell)
    assert "row_key" in source  # cell cache keys start with the row key: replace_row_cells drops by it


def test_selection_list_keeps_its_selection_in_selected() -> None:
    picker = SelectionList(("a", 1, True), ("b", 2))
    assert compat.selected_values(picker) == {1}


def test_message_pump_state_used_by_the_type_ahead() -> None:
    pump = MessagePump()
    assert compat.parent_of(pump) is None
    assert compat.is_closing(pump) is False
    assert hasattr(compat.mounted_event(pump), "wait")
    assert "_on_exit_app" in vars(App)  # the type-ahead cancels its settler there


def test_palette_no_matches_internals() -> None:
    source = inspect.getsource(CommandPalette._start_no_matches_countdown)
    assert "No matches found" in source  # the text compat replaces
    for name in ("_stop_no_matches_countdown", "_NO_MATCHES", "_NO_MATCHES_COUNTDOWN"):
        assert hasattr(CommandPalette, name), name
    assert "_list_visible" in inspect.getsource(CommandPalette)


def test_select_opens_on_enter_and_has_a_prompt() -> None:
    keys = {b.key for b in Select._merged_bindings.key_to_bindings.values() for b in b}  # type: ignore[union-attr]
    assert "enter" in keys  # the form's drop-down replaces this one binding
    assert "prompt" in inspect.signature(Select).parameters


def test_no_private_textual_name_outside_compat() -> None:
    """Every `_private` Textual use lives in compat.py (docstrings and comments aside)."""
    pattern = re.compile(
        r"from textual[.\w]*\._|textual\._|\._(?:merged_bindings|screen_stacks|css_update_count|parent|closing|closed|mounted_event|line_cache|row_render_cache|cell_render_cache|notifications|compositor)\b"
    )
    offenders = []
    for path in sorted((ROOT / "zhijin_training" / "tui").rglob("*.py")):
        if path.name == "compat.py":
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if pattern.search(code):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []
