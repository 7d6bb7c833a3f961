"""Small dialogs: yes/no confirmation (with the ScheduleWarning text) and a choice between options."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from zhijin_training.i18n import t
from zhijin_training.textsafe import printable
from zhijin_training.timeutil import format_local


def warning_text(warning: Any) -> str:
    """A ScheduleWarning in the user's language: who is double-booked where, which holidays."""
    lines: list[str] = []
    conflicts = list(getattr(warning, "conflicts", []))
    if conflicts:
        people = {c.cadre_id for c in conflicts}
        lines.append(t("warn.conflicts", n=len(people)))
        for c in conflicts[:8]:
            lines.append(
                "  - "
                + t(
                    "warn.conflict_line",
                    name=printable(c.cadre_name),
                    title=printable(c.other_title),
                    when=format_local(c.other_starts_at, "%Y-%m-%d %H:%M"),
                )
            )
        if len(conflicts) > 8:
            lines.append("  " + t("warn.more", n=len(conflicts) - 8))
    holidays = list(getattr(warning, "holidays", []))
    if holidays:
        lines.append(
            t("warn.holidays", days="、".join(f"{d.isoformat()} {printable(n)}" for d, n in holidays[:5]))
        )
    if not lines:
        lines.append(printable(str(warning)))
    return "\n".join(lines)


class ConfirmScreen(ModalScreen[bool]):
    """Yes (y / Enter on the button) or no (n / Esc). The message is shown literally."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", t("key.yes")),
        Binding("n,escape", "answer(False)", t("key.no")),
    ]

    def __init__(self, title: str, message: str, *, yes: str | None = None, no: str | None = None) -> None:
        super().__init__()
        self._title = title
        self._message = message
        self._yes = yes or t("key.yes")
        self._no = no or t("key.no")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(Text(printable(self._title), style="bold"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(Text(self._message), markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._yes} (y)", id="yes", variant="warning", compact=True)
                yield Button(f"{self._no} (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one of a few options by its number key (1, 2 ...) or the arrow keys and Enter; Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", t("key.cancel"))]

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self._title = title
        self._options = options

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(printable(self._title), style="bold"), classes="dialog-title")
            for i, (value, label) in enumerate(self._options, start=1):
                yield Button(f"{i} {label}", id=f"choice-{value}", compact=True, classes="choice")

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_key(self, event: Any) -> None:
        if event.key.isdigit() and 1 <= int(event.key) <= len(self._options):
            event.stop()
            self.dismiss(self._options[int(event.key) - 1][0])
        elif event.key in ("down", "up"):
            event.stop()
            self.focus_next() if event.key == "down" else self.focus_previous()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
