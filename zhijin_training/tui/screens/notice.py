"""The absence notice (通报) of a period, from 统计 Reports (`n`): the text as it will be pasted, literally.

The text sits in a read-only text area, so a person can select and copy it (ctrl+c copies a selection);
`s` saves it as a UTF-8 text file in ~/zhijin-exports, readable by its owner only (it names people).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from zhijin_training.i18n import t
from zhijin_training.textsafe import printable
from zhijin_training.tui.files import ask_save_path, default_path
from zhijin_training.tui.kit.calls import Calls
from zhijin_training.tui.kit.keymap import Key, Keyed, keys


def shown_text(text: str) -> str:
    """Line breaks kept, anything a terminal would act on (escapes, control characters) made visible."""
    return "\n".join(printable(line) for line in text.split("\n"))


class NoticeDialog(Keyed, Calls, ModalScreen[None]):
    CSS_PATH = "notice.tcss"
    KEYS: ClassVar = keys(
        Key("dialog.notice_save", "s,ctrl+s", "save", "feat.notice.save", priority=True),
        Key("dialog.close", "escape", "close", "kit.key.close"),
    )

    def __init__(self, text: str, period_label: str, file_stem: str) -> None:
        super().__init__()
        self.text = shown_text(text)
        self.period_label = period_label
        self.file_stem = file_stem
        self.saved_to: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="kit-dialog wide notice-box"):
            yield Static(
                Text(printable(t("feat.notice.title", period=self.period_label)), style="bold"),
                classes="kit-title",
            )
            yield Static(Text(t("feat.notice.note")), classes="kit-note")
            yield TextArea(
                self.text, id="notice-text", read_only=True, soft_wrap=True, show_line_numbers=False
            )
            with Horizontal(classes="kit-buttons"):
                yield Button(
                    t("feat.notice.save") + " (s)", id="notice-save", variant="primary", compact=True
                )
                yield Button(t("feat.notice.close") + " (Esc)", id="notice-close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#notice-text", TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "notice-save":
            self.action_save()
        else:
            self.action_close()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        from zhijin_training.sheets.textfile import write_private_text

        text = self.text

        def write(path: Path) -> None:
            self.run_service(lambda: write_private_text(path, text), self._saved)

        ask_save_path(
            self,
            t("feat.notice.save_title"),
            default_path(f"{t('feat.notice.file')}-{self.file_stem}.txt"),
            write,
        )

    def _saved(self, path: Path) -> None:
        self.saved_to = path
        self.notify(t("feat.notice.saved", path=str(path)), markup=False, timeout=8)
