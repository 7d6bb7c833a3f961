"""A generic modal form: labelled fields, parsed and checked before the dialog closes.

`FormScreen(title, fields, validate=None)` dismisses with a dict {field name: parsed value} or None (Esc).
Field kinds: text, date (2026-12-04), time (15:00), select (options), check (bool), lines (multi-line text).
Enter moves to the next field; ctrl+s or F2 (or the Save button) saves. A bad value shows one message naming
the field and keeps the dialog open with that field focused, so nothing half-typed is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from zhijin_training.i18n import t
from zhijin_training.textsafe import printable
from zhijin_training.timeutil import DateParseError, parse_date, parse_time
from zhijin_training.tui.widgets.narrow import AsciiSelect, TickBox


@dataclass
class Field:
    name: str
    label: str
    kind: str = "text"  # text | date | time | select | check | lines
    value: Any = ""
    required: bool = False
    options: Sequence[tuple[str, Any]] = field(default_factory=list)  # select: (label, value)
    placeholder: str = ""
    height: int = 5  # lines


class FormError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name


class FormScreen(ModalScreen[dict[str, Any] | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s,f2", "save", t("key.save"), priority=True),
        Binding("escape", "close", t("key.cancel")),
    ]

    def __init__(
        self,
        title: str,
        fields: Sequence[Field],
        *,
        validate: Callable[[dict[str, Any]], None] | None = None,
        hint: str = "",
    ) -> None:
        super().__init__()
        self._title = title
        self._fields = list(fields)
        self._validate = validate
        self._hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Static(Text(printable(self._title), style="bold"), classes="dialog-title")
            with VerticalScroll(classes="form-body"):
                for spec in self._fields:
                    with Horizontal(classes=f"form-row form-{spec.kind}"):
                        yield Label(
                            printable(spec.label) + ("*" if spec.required else ""),
                            classes="form-label",
                            markup=False,
                        )
                        yield self._widget(spec)
                yield from self.compose_extra()
            yield Static("", id="form-error", classes="form-error", markup=False)
            yield Static(self._hint or t("form.hint"), classes="dialog-hint", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("key.save") + " (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button(t("key.cancel") + " (Esc)", id="cancel", compact=True)

    def compose_extra(self) -> ComposeResult:
        """Subclasses add widgets after the fields (e.g. the participant picker)."""
        yield from ()

    def _widget(self, spec: Field) -> Widget:
        wid = f"f-{spec.name}"
        if spec.kind == "select":
            return AsciiSelect(list(spec.options), value=spec.value, allow_blank=False, id=wid, compact=True)
        if spec.kind == "check":
            return TickBox("", value=bool(spec.value), id=wid, compact=True)
        if spec.kind == "lines":
            area = TextArea(
                str(spec.value or ""), id=wid, soft_wrap=False, show_line_numbers=False, compact=True
            )
            area.styles.height = spec.height
            return area
        return Input(str(spec.value or ""), placeholder=spec.placeholder, id=wid, compact=True)

    def on_mount(self) -> None:
        if self._fields:
            self.query_one(f"#f-{self._fields[0].name}").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    def raw_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in self._fields:
            widget = self.query_one(f"#f-{spec.name}")
            if isinstance(widget, Select | Checkbox):
                out[spec.name] = widget.value
            elif isinstance(widget, TextArea):
                out[spec.name] = widget.text
            else:
                out[spec.name] = widget.value.strip()  # type: ignore[attr-defined]
        return out

    def parse(self) -> dict[str, Any]:
        values = self.raw_values()
        for spec in self._fields:
            raw = values[spec.name]
            if spec.required and (raw is None or raw == "" or raw is Select.BLANK):
                raise FormError(spec.name, t("form.required", field=spec.label))
            try:
                if spec.kind == "date":
                    values[spec.name] = parse_date(raw, field=spec.label) if raw else None
                elif spec.kind == "time":
                    values[spec.name] = parse_time(raw, field=spec.label) if raw else None
            except DateParseError as exc:
                raise FormError(spec.name, str(exc)) from None
        if self._validate is not None:
            self._validate(values)
        return values

    def action_save(self) -> None:
        try:
            values = self.parse()
        except FormError as exc:
            self.show_error(str(exc), exc.field_name)
            return
        except ValueError as exc:
            self.show_error(str(exc))
            return
        self.dismiss(values)

    def show_error(self, message: str, field_name: str | None = None) -> None:
        self.query_one("#form-error", Static).update(Text(printable(message)))
        if field_name:
            for widget in self.query(f"#f-{field_name}"):
                widget.focus()
