"""What an import would do, before anything is written: counts, then the rows behind them, then a question.

`PreviewDialog(title, summary, sections, can_apply)` dismisses with True (y: write it) or False (n / Esc).
`sections` are (heading, lines): "新增 3" and one line per row, e.g. "第 5 行  张三  猫场镇". When the file
has errors `can_apply` is False: the dialog lists them row by row and only closes (nothing is written).
Every line is shown literally: names come from a file someone else made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from zhijin_training.i18n import t
from zhijin_training.textsafe import printable
from zhijin_training.tui.kit.keymap import Key, Keyed, keys

Section = tuple[str, Sequence[str], str]  # heading, lines, style of the heading
MAX_LINES = 200  # per section: the counts say how many there are in all


class PreviewDialog(Keyed, ModalScreen[bool]):
    KEYS: ClassVar = keys(
        Key("dialog.apply", "y", "answer(True)", "preview.apply"),
        Key("dialog.reject", "n,escape", "answer(False)", "preview.cancel"),
    )

    def __init__(
        self, title: str, summary: str, sections: Sequence[Section], *, can_apply: bool, question: str = ""
    ) -> None:
        super().__init__()
        self.dialog_title = title
        self.summary = summary
        self.sections = list(sections)
        self.can_apply = can_apply
        self.question = question  # instead of the default line (nothing to write is not an error)

    def compose(self) -> ComposeResult:
        with Vertical(classes="kit-dialog wide preview-box"):
            yield Static(Text(printable(self.dialog_title)), classes="kit-title")
            yield Static(Text(printable(self.summary), style="bold"), id="preview-summary")
            with VerticalScroll(id="preview-body"):
                yield Static(self._body(), id="preview-lines")
            question = self.question or (t("preview.question") if self.can_apply else t("preview.refused"))
            red = not self.can_apply and not self.question
            yield Static(Text(question, style="bold red" if red else "bold"), id="preview-question")
            with Horizontal(classes="kit-buttons"):
                if self.can_apply:
                    yield Button(t("preview.apply_key"), variant="warning", id="yes", compact=True)
                yield Button(
                    t("preview.cancel_key") if self.can_apply else t("preview.close_key"),
                    id="no",
                    compact=True,
                )

    def _body(self) -> Text:
        text = Text(no_wrap=True, overflow="crop", end="")
        for heading, lines, style in self.sections:
            if not lines:
                continue
            text.append(printable(heading) + "\n", style=style or "bold")
            for line in list(lines)[:MAX_LINES]:
                text.append("  " + printable(line) + "\n")
            if len(lines) > MAX_LINES:
                text.append("  " + t("preview.more", n=len(lines) - MAX_LINES) + "\n", style="dim")
        return text

    def on_mount(self) -> None:
        self.query_one("#preview-body", VerticalScroll).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # a refused file: y does nothing (and the footer does not offer it)
        return not (action == "answer" and parameters and parameters[0] is True and not self.can_apply)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(bool(yes) and self.can_apply)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes" and self.can_apply)


class WindowedPreviewDialog(PreviewDialog):
    """The .ics import preview, with w to change the days recurring events are expanded over (the CLI's
    --from/--to). It closes with False and `wants_window` set; the screen asks for the days and previews again.
    """

    KEYS: ClassVar = [
        *PreviewDialog.KEYS,
        *keys(Key("preview.window", "w", "window", "icalwindow.key", tooltip="icalwindow.tooltip")),
    ]

    wants_window = False

    def on_mount(self) -> None:
        super().on_mount()
        buttons = self.query_one(".kit-buttons", Horizontal)
        buttons.mount(Button(t("icalwindow.button"), id="window", compact=True), before=0)

    def action_window(self) -> None:
        self.wants_window = True
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "window":
            event.stop()
            self.action_window()
            return
        super().on_button_pressed(event)
