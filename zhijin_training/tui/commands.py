"""The command palette (ctrl+p) offers what makes sense on the current screen.

Where the entries come from, for the screen the palette was opened on:
1. `screen.palette_commands()` if the screen defines it: a list of `(title, help, callback)` tuples, for actions
   that have no key or need an argument (e.g. "open attendance for this session");
2. every active key binding that has a description (the screen's, its focused widget's and the app's), so each
   action listed in the footer and the help screen is also one palette entry: title = description,
   help = the key;
3. "go to <section>" for the six sections.
Textual's own system commands (theme, quit, keys, screenshot) stay available beside this provider.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from zhijin_training.i18n import t

PaletteCommand = tuple[str, str, Callable[[], Any]]


def screen_commands(screen: Any) -> list[PaletteCommand]:
    """The palette entries for `screen` (also used by tests)."""
    from zhijin_training.tui.app import SECTION_KEYS

    app = screen.app
    out: list[PaletteCommand] = []
    seen: set[str] = set()
    custom = getattr(screen, "palette_commands", None)
    if callable(custom):
        for title, help_text, callback in custom():
            out.append((title, help_text, callback))
            seen.add(title)
    skip = {"command_palette", "quit", "help_quit"}
    for active in screen.active_bindings.values():
        binding = active.binding
        action_name = binding.action.split("(")[0]
        if (
            not binding.description
            or not active.enabled
            or action_name in skip
            or action_name == "switch_mode"
        ):
            continue
        if binding.description in seen:
            continue
        seen.add(binding.description)
        shown = app.get_key_display(binding)
        out.append((binding.description, shown, partial(app.run_action, binding.action, active.node)))
    for name, key in SECTION_KEYS.items():
        title = t("palette.goto", section=t(f"section.{name}"))
        out.append((title, key, partial(app.switch_mode, name)))
    return out


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
