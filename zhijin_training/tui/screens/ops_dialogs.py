"""Small modal dialogs used by the Roster, Attendance, Reports and Audit screens.

`FormDialog` asks for a few fields (leave reason and approver, deputy, correction reason, a cadre's
details, a move to another post, a date range); `ChoiceDialog` picks one of a few values; `ConfirmDialog`
asks yes or no; `TableDialog` shows rows (post history, the sessions behind a figure) and returns the
chosen row's key. Every label that may hold user text is a rich Text, so nothing is read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from zhijin_training.i18n import t
from zhijin_training.textsafe import printable
from zhijin_training.tui.screens.ops_common import Col, OpsTable, Row
from zhijin_training.tui.widgets.narrow import AsciiSelect


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    required: bool = False
    value: str = ""
    options: Sequence[tuple[str, str]] | None = None  # (shown, value): a drop-down instead of a text box
    placeholder: str = ""


def _plain(text: str) -> Text:
    return Text(printable(text), no_wrap=False, end="")


class FormDialog(ModalScreen[dict[str, str] | None]):
    """A few labelled fields; Enter moves on and saves on the last field, Escape cancels."""

    CSS_PATH = "ops_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", t("ops.dlg.cancel")),
        Binding("ctrl+s", "save", t("ops.dlg.save")),
    ]

    def __init__(self, title: str, fields: Sequence[Field], *, note: str = "") -> None:
        super().__init__(classes="ops-dialog")
        self.dialog_title = title
        self.fields = list(fields)
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(_plain(self.dialog_title), classes="dialog-title")
            if self.note:
                yield Static(_plain(self.note), classes="dialog-note")
            for f in self.fields:
                mark = " *" if f.required else ""
                yield Label(_plain(f.label + mark), classes="field-label")
                if f.options is not None:
                    yield AsciiSelect(
                        [(Text(printable(shown)), value) for shown, value in f.options],
                        value=f.value if f.value else Select.NULL,
                        allow_blank=not f.required,
                        id=f"f-{f.key}",
                        compact=True,
                    )
                else:
                    yield Input(value=f.value, placeholder=f.placeholder, id=f"f-{f.key}", compact=True)
            yield Static("", id="dialog-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ops.dlg.save"), variant="primary", id="ok", compact=True)
                yield Button(t("ops.dlg.cancel"), id="cancel", compact=True)

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#f-{f.key}")
            if isinstance(widget, Select):
                value = widget.value
                out[f.key] = "" if value is Select.NULL or value is None else str(value)
            elif isinstance(widget, Input):
                out[f.key] = widget.value.strip()
        return out

    def action_save(self) -> None:
        values = self.values()
        for f in self.fields:
            if f.required and not values.get(f.key):
                self.query_one("#dialog-error", Static).update(
                    Text(t("ops.dlg.required", field=f.label), style="bold red")
                )
                self.query_one(f"#f-{f.key}").focus()
                return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _next_or_save(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = [w for w in self.query("Input, Select") if w.id and w.id.startswith("f-")]
        if event.input is inputs[-1]:
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one value from a short list."""

    CSS_PATH = "ops_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", t("ops.dlg.cancel"))]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], current: str | None = None) -> None:
        super().__init__(classes="ops-dialog")
        self.dialog_title = title
        self.choices = list(choices)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(_plain(self.dialog_title), classes="dialog-title")
            yield OptionList(
                *(Option(Text(printable(shown)), id=str(i)) for i, (shown, _v) in enumerate(self.choices)),
                id="choices",
            )

    def on_mount(self) -> None:
        options = self.query_one("#choices", OptionList)
        for i, (_shown, value) in enumerate(self.choices):
            if value == self.current:
                options.highlighted = i
        options.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)][1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    CSS_PATH = "ops_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", t("ops.dlg.no")),
        Binding("y", "answer(True)", t("ops.dlg.yes")),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="ops-dialog")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(_plain(self.question), classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ops.dlg.yes_key"), variant="warning", id="yes", compact=True)
                yield Button(t("ops.dlg.no_key"), id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class TableDialog(ModalScreen[str | None]):
    """A read-only list; Enter returns the highlighted row's key (when `pickable`), Escape closes."""

    CSS_PATH = "ops_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", t("ops.dlg.close"))]

    def __init__(
        self,
        title: str,
        columns: Sequence[Col],
        rows: Sequence[Row],
        *,
        note: str = "",
        pickable: bool = False,
    ) -> None:
        super().__init__(classes="ops-dialog table-dialog")
        self.dialog_title = title
        self.columns = list(columns)
        self.rows = list(rows)
        self.note = note
        self.pickable = pickable

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Static(_plain(self.dialog_title), classes="dialog-title")
            if self.note:
                yield Static(_plain(self.note), classes="dialog-note")
            yield OpsTable(self.columns, id="dialog-table")

    def on_mount(self) -> None:
        table = self.query_one(OpsTable)
        table.set_rows(self.rows)
        table.focus()

    def on_data_table_row_selected(self, event: Any) -> None:
        if self.pickable:
            self.dismiss(event.row_key.value)

    def action_close(self) -> None:
        self.dismiss(None)
