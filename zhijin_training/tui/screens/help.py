"""F1 / ?: every key of the current screen (and its focused widget), then the global ones."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from zhijin_training.i18n import t
from zhijin_training.tui.commands import own_bindings, textual_label
from zhijin_training.tui.kit.keymap import Key, Keyed, keys
from zhijin_training.tui.kit.table import Table


class HelpScreen(Keyed, ModalScreen[None]):
    KEYS: ClassVar = keys(Key("common.help_close", "escape,f1,question_mark", "close", "key.close"))

    def __init__(self, target: Screen[object]) -> None:
        super().__init__()
        self._target = target

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog"):
            yield Static(t("help.title"), classes="dialog-title", markup=False)
            yield Table(
                [("key", t("help.key"), 16), ("what", t("help.action"), 0), ("where", t("help.where"), 8)],
                id="help-table",
            )
            from zhijin_training.tui.app import SECTIONS

            yield Static(t("help.hint", last=len(SECTIONS)), classes="dialog-hint", markup=False)

    def _rows(self) -> list[tuple[str, tuple[str, str, str]]]:
        app = self.app
        rows: list[tuple[str, tuple[str, str, str]]] = []
        # one row per action: the keys that do the same thing (r, F5, ^r) share it, in the order bound
        groups: dict[str, dict[tuple[str, str], list[str]]] = {"screen": {}, "global": {}, "widget": {}}
        declared = own_bindings(self._target)
        for key, active in self._target.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action.endswith("command_palette"):
                continue  # the palette has its own row below
            if "switch_mode" in binding.action:
                continue  # the section keys have their own rows below (listed once)
            if key.startswith("super+"):
                continue  # the Mac command key never reaches a server over SSH
            if active.node is app:
                group = "global"
            elif active.node is self._target and (binding.action, binding.description) in declared:
                group = "screen"
            else:
                group = "widget"
            words = binding.tooltip if group == "screen" and binding.tooltip else binding.description
            shown = groups[group].setdefault((binding.action, words), [])
            display = app.get_key_display(binding)
            if display not in shown:
                shown.append(display)
        # the screen's own actions first, then the global keys, then the focused widget's movement keys
        i = 0
        for group in ("screen", "global", "widget"):
            where = t("help.global") if group == "global" else t("help.here")
            for (_action, words), shown in groups[group].items():
                rows.append((str(i), (" / ".join(shown), textual_label(words), where)))
                i += 1
        from zhijin_training.tui.app import SECTION_KEYS

        for name, key in SECTION_KEYS.items():
            rows.append((f"s{key}", (key, t("palette.goto", section=t(f"section.{name}")), t("help.global"))))
        rows.append(("palette", ("ctrl+p", t("help.palette"), t("help.global"))))
        return rows

    def on_mount(self) -> None:
        table = self.query_one(Table)
        table.set_rows(self._rows())
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
