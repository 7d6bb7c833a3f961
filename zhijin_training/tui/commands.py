"""The command palette (ctrl+p) offers what makes sense on the current screen, most specific first.

Where the entries come from, in this order, for the screen the palette was opened on:
1. the screen's own key bindings that have a description (what the footer and the help screen list);
2. `screen.palette_commands()` if the screen defines it: `(title, help, callback)` tuples for actions that have
   no key or need an argument;
3. "go to <section>" for the six sections;
4. the app's keys (help) and what the focused widget offers beyond moving its cursor (e.g. copy);
5. the few Textual system commands worth having (theme, quit), in the interface language.
Pure cursor movement and editing keys (cursor up, page down, delete left ...) are left out: they are not
actions anyone looks for in a palette. Textual's own system provider is replaced by step 5 so that the order
above holds (providers run concurrently and would interleave).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from zhijin_training.i18n import t

PaletteCommand = tuple[str, str, Callable[[], Any]]


# actions that only move a cursor, scroll or edit text: never palette entries
MOVEMENT_PREFIXES = ("cursor_", "scroll_", "page_", "delete_", "select_", "first_", "last_")
MOVEMENT_ACTIONS = {"home", "end", "first_row", "last_row", "focus_next", "focus_previous"}
# generic widget actions worth offering, with their title in the interface language (Textual's are English)
GENERIC_TITLES = {"copy_text": "palette.copy"}
SKIP_ACTIONS = {"command_palette", "quit", "help_quit", "switch_mode"}


def textual_label(description: str) -> str:
    """A description from Textual's own widgets ("Cursor up") in the interface language, when we have it."""
    key = "tx." + description
    text = t(key)
    return description if text == key else text


def _is_movement(action_name: str) -> bool:
    return action_name in MOVEMENT_ACTIONS or action_name.startswith(MOVEMENT_PREFIXES)


def own_bindings(screen: Any) -> set[tuple[str, str]]:
    """(action, description) of the bindings declared by this project's screen classes (not Textual's)."""
    own: set[tuple[str, str]] = set()
    for cls in type(screen).__mro__:
        if cls.__module__.startswith("zhijin_training."):
            for b in cls.__dict__.get("BINDINGS", []):
                if isinstance(b, Binding):
                    own.add((b.action, b.description))
    return own


def screen_commands(screen: Any) -> list[PaletteCommand]:
    """The palette entries for `screen` (also used by tests)."""
    from zhijin_training.tui.app import SECTION_KEYS

    app = screen.app
    own: list[PaletteCommand] = []
    generic: list[PaletteCommand] = []
    seen: set[str] = set()
    declared = own_bindings(screen)

    def add(bucket: list[PaletteCommand], title: str, help_text: str, callback: Callable[[], Any]) -> None:
        if title and title not in seen:
            seen.add(title)
            bucket.append((title, help_text, callback))

    for active in screen.active_bindings.values():
        binding = active.binding
        action_name = binding.action.split("(")[0].removeprefix("app.").removeprefix("screen.")
        if not binding.description or not active.enabled or action_name in SKIP_ACTIONS:
            continue
        callback = partial(app.run_action, binding.action, active.node)
        shown = app.get_key_display(binding)
        if active.node is screen and (binding.action, binding.description) in declared:
            add(own, binding.tooltip or binding.description, shown, callback)  # tooltip: the long wording
        elif active.node is app and not _is_movement(action_name):
            add(generic, binding.description, shown, callback)
        elif action_name in GENERIC_TITLES:
            add(generic, t(GENERIC_TITLES[action_name]), shown, callback)
    custom = getattr(screen, "palette_commands", None)
    if callable(custom):
        for title, help_text, callback in custom():
            add(own, title, help_text, callback)
    sections: list[PaletteCommand] = []
    for name, key in SECTION_KEYS.items():
        add(sections, t("palette.goto", section=t(f"section.{name}")), key, partial(app.switch_mode, name))
    system: list[PaletteCommand] = []
    add(system, t("palette.theme"), "", app.action_change_theme)
    add(system, t("key.quit"), "ctrl+q", app.action_quit)
    return own + sections + generic + system


class SectionCommands(Provider):
    """Context-aware commands: the actions of the screen the palette was opened on."""

    def _commands(self) -> list[PaletteCommand]:
        return screen_commands(self.screen)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
