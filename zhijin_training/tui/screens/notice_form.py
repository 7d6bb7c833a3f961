"""The notice form: the generated text of a 通知 or 通报, editable, then written as .docx (GB/T 9704-2012).

Opened from the Schedule screen (`n` on a session) and from the Reports screen (`n`: the quarter's 通报; `N`
there shows the same absences as plain text to copy). The text is built by a service call, shown in the kit's
form — title, addressees, the body as a multi-line text area (a paragraph a line; 一、（一）1. (1) start the
heading levels), issuing office and date, the file — and written on ctrl+s. A problem (a bad date, a symlink at
the path) is marked at its field; the form stays open with everything typed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.widget import Widget
from textual.widgets import TextArea

from zhijin_training.i18n import t
from zhijin_training.tui.files import default_path, resolve
from zhijin_training.tui.kit.dialogs import Field, FormDialog


def _is_slip(attachment: Any) -> bool:
    return str(attachment.title).endswith("回执")


class NoticeForm(FormDialog):
    """Dismisses with the path written, or None."""

    CSS_PATH = "notice_form.tcss"

    def __init__(self, ctx: Any, notice: Any, file_name: str) -> None:
        self.ctx = ctx
        self.notice = notice
        self.file_name = file_name
        fields = [
            Field("title", t("notice.field.title"), value=notice.title, required=True),
            Field("addressees", t("notice.field.addressees"), value=notice.addressees),
            Field("body", t("notice.field.body_short"), "lines", notice.body_text, height=8),
            Field("office", t("notice.field.office"), value=notice.office),
            Field("date", t("notice.field.date"), "date", notice.issued_on.isoformat(), required=True),
            Field("file", t("notice.field.file"), value=default_path(file_name), required=True),
        ]
        if any(_is_slip(a) for a in notice.attachments):
            fields.append(Field("reply_slip", t("notice.field.reply_slip"), "check", True))
        others = [a.title for a in notice.attachments if not _is_slip(a)]
        note = t("notice.field.body")
        if others:
            note += "\n" + t("notice.attachments", names="、".join(others))
        super().__init__(
            t("notice.form_title", title=notice.title),
            fields,
            note=note,
            submit=self._write,
            save_label=t("notice.write") + " (ctrl+s)",
        )

    def _widget(self, spec: Field) -> Widget:
        widget = super()._widget(spec)
        if isinstance(widget, TextArea):
            widget.soft_wrap = True  # paragraphs are long lines
        return widget

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#f-body", TextArea).focus()  # the text is what a person came to change

    def edited(self, values: dict[str, Any]) -> Any:
        """The notice with the form's text (and without the reply slip when it was unticked)."""
        notice = self.notice.edited(
            title=values["title"],
            addressees=values["addressees"],
            body_text=values["body"],
            office=values["office"],
            issued_on=values["date"],
        )
        if "reply_slip" in values and not values["reply_slip"]:
            notice = replace(notice, attachments=tuple(a for a in notice.attachments if not _is_slip(a)))
        return notice

    def _write(self, values: dict[str, Any], _force: bool) -> Path:
        from zhijin_training.services import notices

        return notices.write_notice(self.ctx, self.edited(values), resolve(values["file"]))

    def _saved(self, result: Any) -> None:
        self.app.notify(t("notice.written", path=str(result)), markup=False, timeout=8)
        super()._saved(result)


def open_session_notice(screen: Any, session: Any) -> None:
    """Build the session's notice in a worker, then open the form (Schedule `n`)."""
    from zhijin_training.services import notices

    ctx = screen.ctx

    def show(notice: Any) -> None:
        screen.app.push_screen(
            NoticeForm(ctx, notice, f"{session.first_day.isoformat()}-{session.title}-通知.docx")
        )

    screen.run_service(lambda: notices.session_notice(ctx, session.id, reply_slip=True), show)


def open_absence_notice(screen: Any, quarter: str) -> None:
    """The quarter's 通报 (Reports `n`)."""
    from zhijin_training.services import notices

    ctx = screen.ctx

    def show(notice: Any) -> None:
        screen.app.push_screen(NoticeForm(ctx, notice, f"{quarter}-无故缺席通报.docx"))

    screen.run_service(lambda: notices.absence_notice(ctx, quarter), show)
