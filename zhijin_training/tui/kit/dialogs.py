"""One dialog family: forms that never lose what was typed, a yes/no question, a choice, a list.

    FormDialog(title, [Field("title", "标题", required=True), Field("date", "日期", "date", today)],
               submit=lambda values, force: schedule.create_session(ctx, draft_from(values), force=force))

- `Field(name, label, kind, value, required, options, placeholder, height, max_length)`; kinds: text, date
  (2026-12-04), time (15:00), select (options: (label, value)), check (bool), lines (multi-line text).
- `FormDialog` parses and checks the fields (required, dates, times, lengths, then `check(values)`), then
  runs `submit(values, force)` in a worker while the form stays open. A failed check — in the form or a
  DomainError with `.field` from the service — keeps the dialog open, marks the field and shows the text next
  to it in the interface language; nothing typed is lost. A ScheduleWarning asks 仍然保存 / 返回修改 / (for
  clashes) 去掉这些人员后保存; "back" returns to the very form. It dismisses with submit's result (or the
  parsed values when there is no submit), None when closed.
  Esc or a section key (1-6) on a changed form asks before discarding. Enter moves to the next field (on a
  drop-down too: Space or Down opens it); Enter on the last one-line field saves; ctrl+s / F2 save.
- `Confirm(title, message)` -> bool; `Choice(title, [(value, label)], message=...)` -> value or None;
  `TableDialog(title, columns, rows, pickable=...)` -> the chosen row key or None.
Everything a person typed or a file held is shown literally (rich Text, never markup).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from zhijin_training.i18n import t
from zhijin_training.textsafe import printable
from zhijin_training.timeutil import DateParseError, parse_date, parse_time
from zhijin_training.tui.kit.calls import Calls, explain, run_call
from zhijin_training.tui.kit.keymap import Key, Keyed, keys
from zhijin_training.tui.kit.table import Col, Row, Table
from zhijin_training.tui.widgets.narrow import AsciiSelect, TickBox

SECTION_ORDER = ("overview", "schedule", "roster", "attendance", "reports", "audit", "hours")


# ------------------------------------------------------------------ fields
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
    max_length: int | None = None

    def __post_init__(self) -> None:
        if self.options and self.kind == "text":
            self.kind = "select"


class FieldError(ValueError):
    """A value the form itself cannot accept: which field, and what to say next to it."""

    def __init__(self, field_name: str, text: str) -> None:
        super().__init__(text)
        self.field_name = field_name
        self.text = text


def warning_text(warning: Any) -> str:
    """A ScheduleWarning in the user's language: who is double-booked where, which holidays."""
    lines: list[str] = []
    conflicts = list(getattr(warning, "conflicts", []))
    # a series clashes once per occurrence with the same trip: one line per person and other session
    seen: set[tuple[Any, Any]] = set()
    conflicts = [
        c
        for c in conflicts
        if (c.cadre_id, c.other_session_id) not in seen and not seen.add((c.cadre_id, c.other_session_id))
    ]
    if conflicts:
        people = {c.cadre_id for c in conflicts}
        lines.append(t("warn.conflicts", n=len(people)))
        for c in conflicts[:6]:
            lines.append(
                "  - "
                + t(
                    "warn.conflict_line",
                    name=printable(c.cadre_name),
                    title=printable(c.other_title),
                    when=c.other_when,
                )
            )
        if len(conflicts) > 6:
            lines.append("  " + t("warn.more", n=len(conflicts) - 6))
    holidays = list(getattr(warning, "holidays", []))
    if holidays:
        lines.append(
            t("warn.holidays", days="、".join(f"{d.isoformat()} {printable(n)}" for d, n in holidays[:5]))
        )
    return "\n".join(lines) or t("warn.title")


class FormSelect(AsciiSelect):
    """A drop-down in a form: Enter goes to the next field (Space or Down opens the list), Chinese prompt."""

    BINDINGS: ClassVar = [("enter", "next_field")]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prompt", t("kit.select.prompt"))
        super().__init__(*args, **kwargs)

    def action_next_field(self) -> None:
        self.screen.focus_next()


class FormTickBox(TickBox):
    """A tick box in a form: Enter goes to the next field like everywhere in the form; Space ticks it."""

    BINDINGS: ClassVar = [("enter", "next_field"), ("space", "toggle_button")]

    def action_next_field(self) -> None:
        self.screen.focus_next()


# ------------------------------------------------------------------ the form
class FormDialog(Keyed, Calls, ModalScreen[Any]):
    KEYS: ClassVar = keys(
        Key("form.save", "ctrl+s,f2", "save", "kit.key.save", priority=True),
        Key("form.cancel", "escape", "close", "kit.key.cancel"),
        *(
            Key(f"form.section_{i}", str(i), f"leave_for('{name}')", f"section.{name}", show=False)
            for i, name in enumerate(SECTION_ORDER, start=1)
        ),
    )

    def __init__(
        self,
        title: str,
        fields: Sequence[Field],
        *,
        note: str = "",
        hint: str = "",
        check: Callable[[dict[str, Any]], None] | None = None,
        submit: Callable[[dict[str, Any], bool], Any] | None = None,
        field_map: dict[str, str] | None = None,
        save_label: str = "",
    ) -> None:
        super().__init__()
        self.dialog_title = title
        self.fields = list(fields)
        self.note = note
        self.hint = hint
        self._check = check
        self._submit = submit
        self.field_map = field_map or {}  # service field name -> this form's field name
        self.save_label = save_label
        self._initial: dict[str, Any] | None = None
        self.saving = False
        self.last_values: dict[str, Any] | None = None

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with Vertical(classes="kit-dialog kit-form"):
            yield Static(Text(printable(self.dialog_title), style="bold"), classes="kit-title")
            if self.note:
                yield Static(Text(printable(self.note)), classes="kit-note")
            with VerticalScroll(classes="kit-body"):
                for spec in self.fields:
                    with Horizontal(classes=f"kit-row kit-{spec.kind}", id=f"row-{spec.name}"):
                        yield Label(
                            printable(spec.label) + ("*" if spec.required else ""),
                            classes="kit-label",
                            markup=False,
                        )
                        with Vertical(classes="kit-cell", id=f"cell-{spec.name}"):
                            yield self._widget(spec)
                            yield Static("", classes="kit-field-error", id=f"e-{spec.name}", markup=False)
                yield from self.compose_extra()
            yield Static("", id="form-error", classes="kit-error", markup=False)
            yield Static(self.hint or t("kit.form.hint"), classes="kit-hint", markup=False)
            with Horizontal(classes="kit-buttons"):
                yield Button(
                    self.save_label or t("kit.form.save"), id="save", variant="primary", compact=True
                )
                yield Button(t("kit.form.cancel"), id="cancel", compact=True)

    def compose_extra(self) -> ComposeResult:
        """Subclasses add widgets after the fields (e.g. the participant picker)."""
        yield from ()

    def _widget(self, spec: Field) -> Widget:
        wid = f"f-{spec.name}"
        if spec.kind == "select":
            options = [(Text(printable(str(shown))), value) for shown, value in spec.options]
            values = [v for _, v in spec.options]
            blank = not spec.required and spec.value not in values
            return FormSelect(
                options,
                value=spec.value if spec.value in values else Select.NULL,
                allow_blank=blank or not spec.required,
                id=wid,
                compact=True,
            )
        if spec.kind == "check":
            return FormTickBox("", value=bool(spec.value), id=wid, compact=True)
        if spec.kind == "lines":
            area = TextArea(
                str(spec.value or ""), id=wid, soft_wrap=False, show_line_numbers=False, compact=True
            )
            area.styles.height = spec.height
            return area
        return Input(str(spec.value or ""), placeholder=spec.placeholder, id=wid, compact=True)

    def on_mount(self) -> None:
        width = max((cell_len(f.label) + 1 for f in self.fields), default=6)
        for label in self.query(".kit-label"):
            label.styles.width = min(max(width + 1, 6), 16)
        if self.fields:
            self.query_one(f"#f-{self.fields[0].name}").focus()
        self._initial = self.raw_values()

    # ------------------------------------------------------------ values
    def raw_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in self.fields:
            widget = self.query_one(f"#f-{spec.name}")
            if isinstance(widget, Select | Checkbox):
                out[spec.name] = widget.value
            elif isinstance(widget, TextArea):
                out[spec.name] = widget.text
            else:
                out[spec.name] = widget.value.strip()  # type: ignore[attr-defined]
        return out

    def is_changed(self) -> bool:
        """Has the person typed or chosen anything since the form opened?"""
        return self._initial is not None and self.raw_values() != self._initial

    def parse(self) -> dict[str, Any]:
        """The values, parsed; raises FieldError naming the first bad field (all bad fields are marked)."""
        values = self.raw_values()
        errors: dict[str, str] = {}
        for spec in self.fields:
            raw = values[spec.name]
            if spec.required and (raw is None or raw == "" or raw is Select.NULL):
                errors[spec.name] = t("kit.form.required", field=spec.label)
                continue
            if raw is Select.NULL:
                values[spec.name] = None
            if spec.max_length and isinstance(raw, str) and len(raw) > spec.max_length:
                errors[spec.name] = t("kit.form.too_long", length=len(raw), limit=spec.max_length)
                continue
            try:
                if spec.kind == "date":
                    values[spec.name] = parse_date(raw, field=spec.label) if raw else None
                elif spec.kind == "time":
                    values[spec.name] = parse_time(raw, field=spec.label) if raw else None
            except DateParseError as exc:
                errors[spec.name] = _date_text(spec, raw, exc)
        if errors:
            self._mark(errors)
            name = next(iter(errors))
            error = FieldError(name, errors[name])
            error.marked = True  # every bad field is marked already
            raise error
        if self._check is not None:
            self._check(values)
        return values

    # ------------------------------------------------------------ errors next to the fields
    def _mark(self, errors: dict[str, str], general: str = "") -> None:
        for spec in self.fields:
            cell = self.query_one(f"#cell-{spec.name}")
            text = errors.get(spec.name, "")
            cell.set_class(bool(text), "-invalid")
            self.query_one(f"#e-{spec.name}", Static).update(Text(text))
        self.query_one("#form-error", Static).update(Text(general))
        first = next((s.name for s in self.fields if s.name in errors), None)
        if first is not None:
            widget = self.query_one(f"#f-{first}")
            widget.focus()
            # after the next layout: the row has only just grown by its (wrapped) error text
            row = self.query_one(f"#row-{first}")
            self.call_after_refresh(row.scroll_visible, animate=False)

    def show_error(self, exc: BaseException | str, field_name: str | None = None) -> None:  # type: ignore[override]
        """Say what is wrong: next to `field_name` (or the error's own `.field`) when the form has it."""
        if isinstance(exc, str):
            text = exc
        elif isinstance(exc, FieldError):
            text = exc.text
        else:
            text = explain(exc)[1]
        if not isinstance(exc, str):
            name = field_name or getattr(exc, "field", None) or getattr(exc, "field_name", None)
            field_name = self.field_map.get(name, name) if name else None
        if field_name and any(s.name == field_name for s in self.fields):
            self._mark({field_name: text})
        else:
            self._mark({}, text)

    # ------------------------------------------------------------ saving
    def action_save(self) -> None:
        if self.saving:
            return
        try:
            values = self.parse()
        except FieldError as exc:
            if not getattr(exc, "marked", False):
                self.show_error(exc.text, exc.field_name)
            return
        except Exception as exc:  # a DomainError (or a FieldError-like error) from check()
            self.show_error(exc)
            return
        self._mark({})
        self.last_values = values
        if self._submit is None:
            self.dismiss(values)
            return
        self._run(values, force=False)

    def _run(self, values: dict[str, Any], *, force: bool) -> None:
        submit = self._submit
        assert submit is not None
        self.saving = True
        self.query_one("#form-error", Static).update(Text(t("kit.form.saving")))
        run_call(self, lambda: submit(values, force), self._saved, failed=self._refused, tag="save")

    def _saved(self, result: Any) -> None:
        self.saving = False
        self.dismiss(result)

    def _refused(self, exc: BaseException) -> None:
        from zhijin_training.services.schedule import ScheduleWarning

        self.saving = False
        if isinstance(exc, ScheduleWarning):
            self._ask_warning(exc)
            return
        self.show_error(exc)

    def _ask_warning(self, warning: Any) -> None:
        values = self.last_values or {}
        clash = sorted({c.cadre_id for c in getattr(warning, "conflicts", [])})
        options = [("save", t("kit.warn.save_anyway")), ("back", t("kit.warn.back"))]
        if clash and self.can_leave_out(values):
            options.append(("leave_out", t("kit.warn.leave_out", n=len(clash))))
        self._mark({})

        def answered(choice: str | None) -> None:
            if choice == "save":
                self._run(values, force=True)
            elif choice == "leave_out":
                self.leave_out(set(clash))
                kept = dict(values, participants=[p for p in values["participants"] if p not in clash])
                if not kept["participants"]:
                    self.show_error(t("kit.warn.nobody_left"))
                    return
                self.last_values = kept
                self._run(kept, force=True)
            else:  # back to the form, everything as it was
                self.query_one("#form-error", Static).update(Text(t("kit.warn.back_note")))

        self.app.push_screen(Choice(t("warn.title"), options, message=warning_text(warning)), answered)

    def can_leave_out(self, values: dict[str, Any]) -> bool:
        return bool(values.get("participants"))

    def leave_out(self, cadre_ids: set[int]) -> None:
        """Clashing people taken off the form (subclasses untick them in their picker)."""

    # ------------------------------------------------------------ leaving
    def _discard_then(self, then: Callable[[], Any]) -> None:
        if not self.is_changed():
            then()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(
            Confirm(
                t("kit.discard.title"),
                t("kit.discard.text"),
                yes=t("kit.discard.yes"),
                no=t("kit.discard.no"),
            ),
            answered,
        )

    def action_close(self) -> None:
        self._discard_then(lambda: self.dismiss(None))

    def action_leave_for(self, section: str) -> None:
        def go() -> None:
            self.dismiss(None)
            self.app.switch_mode(section)

        self._discard_then(go)

    @on(Input.Submitted)
    def _next_or_save(self, event: Input.Submitted) -> None:
        event.stop()
        one_line = [s for s in self.fields if s.kind not in ("lines",)]
        if one_line and event.input.id == f"f-{one_line[-1].name}":
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()


def _lines(message: str) -> Text:
    """A message of several lines, each shown literally (printable() would show the line breaks)."""
    return Text("\n".join(printable(line) for line in message.splitlines()))


def _date_text(spec: Field, raw: str, exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    if code:
        return explain(exc)[1]
    return t("kit.form.bad_time" if spec.kind == "time" else "kit.form.bad_date", value=printable(str(raw)))


# ------------------------------------------------------------------ questions
class Confirm(Keyed, ModalScreen[bool]):
    """Yes (y, or Enter on its button) or no (n / Esc). The message is shown literally."""

    KEYS: ClassVar = keys(
        Key("dialog.yes", "y", "answer(True)", "kit.key.yes"),
        Key("dialog.no", "n,escape", "answer(False)", "kit.key.no"),
    )

    def __init__(
        self, title: str, message: str = "", *, yes: str | None = None, no: str | None = None
    ) -> None:
        super().__init__()
        self.dialog_title = title
        self.message = message
        self.yes = yes or t("kit.key.yes")
        self.no = no or t("kit.key.no")

    def compose(self) -> ComposeResult:
        with Vertical(classes="kit-dialog"):
            yield Static(Text(printable(self.dialog_title), style="bold"), classes="kit-title")
            if self.message:
                with VerticalScroll(classes="kit-message"):
                    yield Static(_lines(self.message), markup=False)
            with Horizontal(classes="kit-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="warning", compact=True)
                yield Button(f"{self.no} (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class Choice(Keyed, ModalScreen[str | None]):
    """Several labelled answers: a number key (1, 2 ...) or the arrows and Enter; Esc answers None."""

    KEYS: ClassVar = keys(Key("dialog.cancel", "escape", "cancel", "kit.key.cancel"))

    def __init__(
        self, title: str, options: Sequence[tuple[str, str]], *, message: str = "", current: str | None = None
    ) -> None:
        super().__init__()
        self.dialog_title = title
        self.options = list(options)
        self.message = message
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="kit-dialog"):
            yield Static(Text(printable(self.dialog_title), style="bold"), classes="kit-title")
            if self.message:
                with VerticalScroll(classes="kit-message"):
                    yield Static(_lines(self.message), markup=False)
            with VerticalScroll(classes="kit-body"):
                for i, (_value, label) in enumerate(self.options, start=1):
                    number = f"{i} " if i <= 9 else ""
                    yield Button(
                        Text(number + printable(label)), id=f"choice-{i}", compact=True, classes="kit-choice"
                    )

    def on_mount(self) -> None:
        buttons = list(self.query(Button))
        index = next((i for i, (v, _l) in enumerate(self.options) if v == self.current), 0)
        if buttons:
            buttons[min(index, len(buttons) - 1)].focus()

    def on_key(self, event: Any) -> None:
        if event.key.isdigit() and 1 <= int(event.key) <= min(len(self.options), 9):
            event.stop()
            self.dismiss(self.options[int(event.key) - 1][0])
        elif event.key in ("down", "up"):
            event.stop()
            self.focus_next() if event.key == "down" else self.focus_previous()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        index = int((event.button.id or "choice-1").removeprefix("choice-")) - 1
        self.dismiss(self.options[index][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class TableDialog(Keyed, ModalScreen[str | None]):
    """A read-only list; Enter returns the highlighted row's key (when `pickable`), Esc closes."""

    KEYS: ClassVar = keys(Key("dialog.close", "escape", "close", "kit.key.close"))

    def __init__(
        self,
        title: str,
        columns: Sequence[Col],
        rows: Sequence[Row],
        *,
        note: str = "",
        pickable: bool = False,
    ) -> None:
        super().__init__()
        self.dialog_title = title
        self.columns = list(columns)
        self.rows = list(rows)
        self.note = note
        self.pickable = pickable

    def compose(self) -> ComposeResult:
        with Vertical(classes="kit-dialog wide"):
            yield Static(Text(printable(self.dialog_title), style="bold"), classes="kit-title")
            if self.note:
                yield Static(Text(printable(self.note)), classes="kit-note")
            yield Table(self.columns, id="dialog-table")

    def on_mount(self) -> None:
        table = self.query_one(Table)
        table.set_rows(self.rows)
        table.focus()

    @on(Table.RowSelected)
    def _picked(self, event: Table.RowSelected) -> None:
        event.stop()
        if self.pickable:
            self.dismiss(event.row_key.value)

    def action_close(self) -> None:
        self.dismiss(None)
