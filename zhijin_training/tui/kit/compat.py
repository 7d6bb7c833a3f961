"""Every use of a private Textual internal, in one place (Textual is pinned to exactly 8.2.8).

Each function says what it relies on; tests/tui/test_compat.py checks that the pinned Textual still has it and
fails loudly when an upgrade changes it. Nothing outside this module touches a `_private` Textual name
(the tests' own screen reader aside).

- `seed_css_counter`: a new screen starts from the app's stylesheet counter (no full restyle on first visit);
- `remerge_bindings`: a class's merged bindings rebuilt after its BINDINGS changed (language, keymap ids);
- `replace_row_cells`: DataTable cells of one row replaced and only that row re-rendered;
- `ToggleButton`, `FooterKey`: widgets Textual keeps in private modules;
- `selected_values`: the ticked values of a SelectionList, as it stores them;
- `parent_of`, `is_closing`, `mounted_event`: message-pump state the type-ahead waits on;
- `show_palette_no_matches`: the palette's "No matches found" in the interface language.
"""

from __future__ import annotations

import contextlib
from typing import Any

from textual.message_pump import MessagePump
from textual.widgets._footer import FooterKey  # noqa: F401  (re-exported: the footer fits its keys)
from textual.widgets._toggle_button import ToggleButton  # noqa: F401  (re-exported: ASCII check boxes)

TEXTUAL_VERSION = "8.2.8"


# ------------------------------------------------------------------ screens and styles
def seed_css_counter(screen: Any) -> None:
    """Relies on: `textual._context.active_app`, `App._screen_stacks`, `App._current_mode`,
    `App._css_update_count` and `Screen._css_update_count`.

    A new screen is styled from the current stylesheet as it mounts. Without this Textual sees a stale CSS
    counter and re-parses every stylesheet and restyles every widget of the app (~70 ms on the first visit
    of each section). Only once a screen is showing: the first screen needs the start-up refresh.
    """
    from textual._context import active_app

    with contextlib.suppress(LookupError, AttributeError):
        app = active_app.get()
        showing = app._screen_stacks.get(app._current_mode)
        if showing and showing[-1].is_mounted:
            screen._css_update_count = app._css_update_count


def all_screens(app: Any) -> list[Any]:
    """Relies on `App._screen_stacks`: every screen of every mode (a form left open on another section)."""
    out: list[Any] = []
    for stack in getattr(app, "_screen_stacks", {}).values():
        out.extend(stack)
    return out


def remerge_bindings(cls: type) -> None:
    """Relies on `DOMNode._merged_bindings` / `_merge_bindings()`: Textual merges a class's BINDINGS with its
    bases' once, when the class is created; after BINDINGS changed, the merged map must be rebuilt."""
    cls._merged_bindings = cls._merge_bindings()  # type: ignore[attr-defined]


# ------------------------------------------------------------------ tables
def replace_row_cells(table: Any, key: str, changes: dict[str, Any]) -> bool:
    """Change cells of one DataTable row and re-render that row alone; False when the internals are missing.

    Relies on `DataTable._data`, `_cell_render_cache`, `_row_render_cache`, `_row_renderable_cache`,
    `_update_count` and `_line_cache`. DataTable.update_cell bumps one update counter that is part of every
    render cache key, so one changed cell re-renders every visible row (~150 ms for a 300-person list at
    120x40). Here the cells are replaced and only this row's cache entries dropped.
    """
    try:
        row_index = table.get_row_index(key)
        data = table._data[key]
        caches = (table._cell_render_cache, table._row_render_cache)
        renderables = table._row_renderable_cache
        update_count = table._update_count
        line_cache = table._line_cache
    except (AttributeError, KeyError, LookupError):
        return False
    for column, value in changes.items():
        data[column] = value
    for cache in caches:
        for cache_key in [k for k in cache.keys() if k[0] == key]:  # noqa: SIM118 (LRUCache: no __iter__)
            cache.discard(cache_key)
    renderables.discard((update_count, row_index))
    line_cache.clear()  # keyed by screen line: cheap to rebuild from the row caches
    table.refresh_row(row_index)
    return True


def row_cells(table: Any, key: str) -> dict[Any, Any]:
    """Relies on `DataTable._data`: the cells of one row by column key (empty when missing)."""
    with contextlib.suppress(AttributeError, KeyError):
        return dict(table._data[key])
    return {}


def selected_values(selection_list: Any) -> set[Any]:
    """Relies on `SelectionList._selected` (a dict used as an ordered set): cheaper than `.selected`
    (a list) when drawing every line."""
    return set(selection_list._selected)


# ------------------------------------------------------------------ message pumps (type-ahead)
def parent_of(node: MessagePump) -> MessagePump | None:
    """Relies on `MessagePump._parent` (the App is the root: its parent is None)."""
    return node._parent


def is_closing(node: MessagePump) -> bool:
    """Relies on `MessagePump._closing` / `_closed`."""
    return bool(node._closing or node._closed)


def mounted_event(screen: Any) -> Any:
    """Relies on `MessagePump._mounted_event` (an asyncio.Event set once mounted)."""
    return screen._mounted_event


# ------------------------------------------------------------------ the command palette
def show_palette_no_matches(palette: Any, search_value: str, text: str) -> None:
    """The palette's "No matches found" row in our words.

    Relies on `CommandPalette._stop_no_matches_countdown`, `_no_matches_timer`, `_NO_MATCHES_COUNTDOWN`,
    `_NO_MATCHES` and `_list_visible`: the same behaviour as Textual's `_start_no_matches_countdown` with our
    text (Textual's English is a literal in that method).
    """
    from rich.align import Align
    from rich.text import Text
    from textual.command import CommandList
    from textual.widgets.option_list import Option

    palette._stop_no_matches_countdown()

    def show() -> None:
        if search_value:
            palette.query_one(CommandList).add_option(
                Option(Align.center(Text(text, style="not bold")), disabled=True, id=palette._NO_MATCHES)
            )
            palette._list_visible = True
        else:
            palette._list_visible = False

    palette._no_matches_timer = palette.set_timer(palette._NO_MATCHES_COUNTDOWN, show)
