"""The notice form: the generated text of a 通知 or 通报, editable, then written as .docx (GB/T 9704-2012).

Opened from the Schedule screen (`n` on a session) and from the Reports screen (`n`: the quarter's 通报).
The text is built by a worker (services.notices), shown in the form — title, addressees, the body as a multi-line
TextArea (a paragraph a line; 一、（一）1. (1) start the heading levels), issuing office and date, the file — and
written on ctrl+s. A problem (a bad date, a symlink at the path) is shown in the form, which stays open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from zhijin_training.i18n import t
from zhijin_training.services.errors import describe
from zhijin_training.textsafe import printable
from zhijin_training.timeutil import DateParseError, parse_date
from zhijin_training.tui.files import default_path, resolve
from zhijin_training.tui.widgets.narrow import TickBox


class NoticeForm(ModalScreen[Path | None]):
    """Dismisses with the path written, or None."""

    CSS_PATH = "notice_form.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s,f2", "save", t("notice.write"), priority=True),
        Binding("escape", "close", t("notice.cancel")),
    ]

    def __init__(self, ctx: Any, notice: Any, file_name: str) -> None:
        super().__init__(classes="notice-screen")
        self.ctx = ctx
        self.notice = notice
        self.file_name = file_name

    def compose(self) -> ComposeResult:
        n = self.notice
        with Vertical(classes="notice-dialog"):
            yield Static(
                Text(printable(t("notice.form_title", title=n.title)), style="bold"), classes="notice-title"
            )
            yield from self._row("title", Input(n.title, id="n-title", compact=True))
            yield from self._row("addressees", Input(n.addressees, id="n-addressees", compact=True))
            yield Label(t("notice.field.body"), classes="notice-label-wide", markup=False)
            yield TextArea(n.body_text, id="n-body", soft_wrap=True, show_line_numbers=False, compact=True)
            yield from self._row("office", Input(n.office, id="n-office", compact=True))
            yield from self._row("date", Input(n.issued_on.isoformat(), id="n-date", compact=True))
            yield from self._row("file", Input(default_path(self.file_name), id="n-file", compact=True))
            slips = [a for a in n.attachments if a.title.endswith("回执")]
            others = [a.title for a in n.attachments if not a.title.endswith("回执")]
            if slips:
                yield from self._row("reply_slip", TickBox("", value=True, id="n-slip", compact=True))
            if others:
                yield Static(
                    Text(printable(t("notice.attachments", names="、".join(others)))), classes="notice-note"
                )
            yield Static("", id="n-error", classes="notice-error", markup=False)
            with Horizontal(classes="notice-buttons"):
                yield Button(t("notice.write") + " (ctrl+s)", id="n-save", variant="primary", compact=True)
                yield Button(t("notice.cancel") + " (Esc)", id="n-cancel", compact=True)

    def _row(self, name: str, widget: Any) -> ComposeResult:
        with Horizontal(classes="notice-row"):
            yield Label(t(f"notice.field.{name}"), classes="notice-label", markup=False)
            yield widget

    def on_mount(self) -> None:
        self.query_one("#n-body", TextArea).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "n-save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    def show_error(self, message: str, focus: str | None = None) -> None:
        self.query_one("#n-error", Static).update(Text(printable(message)))
        if focus:
            self.query_one(f"#{focus}").focus()

    def edited(self) -> Any:
        from dataclasses import replace

        date_text = self.query_one("#n-date", Input).value.strip()
        try:
            issued = parse_date(date_text, field=t("notice.field.date"))
        except DateParseError as exc:
            self.show_error(str(exc), "n-date")
            return None
        notice = self.notice.edited(
            title=self.query_one("#n-title", Input).value,
            addressees=self.query_one("#n-addressees", Input).value,
            body_text=self.query_one("#n-body", TextArea).text,
            office=self.query_one("#n-office", Input).value,
            issued_on=issued,
        )
        slips = self.query("#n-slip")
        if slips and not slips.first(TickBox).value:
            notice = replace(
                notice, attachments=tuple(a for a in notice.attachments if not a.title.endswith("回执"))
            )
        return notice

    def action_save(self) -> None:
        from zhijin_training.services import notices

        notice = self.edited()
        if notice is None:
            return
        if not notice.title:
            self.show_error(t("form.required", field=t("notice.field.title")), "n-title")
            return
        path = resolve(self.query_one("#n-file", Input).value or default_path(self.file_name))
        ctx = self.ctx

        def failed(exc: BaseException) -> None:
            self.show_error(describe(exc)[1], "n-file" if getattr(exc, "field", None) == "file" else None)

        def work() -> None:
            try:
                written = notices.write_notice(ctx, notice, path)
            except Exception as exc:  # shown in the form; the form stays open
                self.app.call_from_thread(failed, exc)
                return
            self.app.call_from_thread(self._written, written)

        self.show_error("")
        self.run_worker(work, thread=True, group="notice", exclusive=True, exit_on_error=False)

    def _written(self, path: Path) -> None:
        self.app.notify(t("notice.written", path=str(path)), markup=False, timeout=8)
        self.dismiss(path)


def open_session_notice(screen: Any, session: Any) -> None:
    """Build the session's notice in a worker, then open the form (Schedule `n`)."""
    from zhijin_training.services import notices

    ctx = screen.ctx

    def build() -> Any:
        return notices.session_notice(ctx, session.id, reply_slip=True)

    def show(notice: Any) -> None:
        screen.app.push_screen(
            NoticeForm(ctx, notice, f"{session.first_day.isoformat()}-{session.title}-通知.docx")
        )

    screen.run_service(build, show)


def open_absence_notice(screen: Any, quarter: str) -> None:
    """The quarter's 通报 (Reports `n`)."""
    from zhijin_training.services import notices

    ctx = screen.ctx

    def show(notice: Any) -> None:
        screen.app.push_screen(NoticeForm(ctx, notice, f"{quarter}-无故缺席通报.docx"))

    screen.run_service(lambda: notices.absence_notice(ctx, quarter), show)
