"""`notice`: a session's training notice (通知) or a quarter's absence notice (通报) as .docx (GB/T 9704-2012)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from zhijin_training.cli.common import console, context
from zhijin_training.i18n import t
from zhijin_training.services.errors import ValidationError
from zhijin_training.textsafe import printable


def register(app: typer.Typer) -> None:
    app.command("notice")(notice_cmd)


def notice_cmd(
    session: int = typer.Argument(None, help="the session (#id) the notice is about"),
    output: Path = typer.Option(
        ..., "-o", "--output", help="the .docx to write (owner-only, replaced atomically)"
    ),
    reply_slip: bool = typer.Option(
        False, "--reply-slip", help="attach a reply slip (回执) of the invited units"
    ),
    absences: bool = typer.Option(False, "--absences", help="the quarter's absence notice (通报) instead"),
    quarter: str = typer.Option(None, "--quarter", help="with --absences: e.g. 2026Q4"),
    body: Path = typer.Option(None, "--body", help="a text file that replaces the body (a paragraph a line)"),
    print_text: bool = typer.Option(False, "--text", help="also print the generated text"),
) -> None:
    """Write a notice as .docx in the official layout; edit its text first with --text and --body."""
    from zhijin_training.services import notices

    ctx = context()
    if absences:
        if not quarter:
            raise ValidationError("notice.needs_target", field="quarter")
        notice = notices.absence_notice(ctx, quarter)
    elif session is not None:
        notice = notices.session_notice(ctx, session, reply_slip=reply_slip)
    else:
        raise ValidationError("notice.needs_target", field="session")
    if body is not None:
        notice = notice.edited(
            title=notice.title,
            addressees=notice.addressees,
            body_text=_read_body(body),
            office=notice.office,
            issued_on=notice.issued_on,
        )
    if print_text:
        for line in (notice.title, notice.addressees, *notice.body):
            console.print(Text(printable(line)))
    written = notices.write_notice(ctx, notice, output)
    console.print(Text(t("notice.written", path=printable(str(written)))))


MAX_BODY_BYTES = 200_000


def _read_body(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BODY_BYTES:
            raise ValidationError("notice.cannot_write", field="file", path=str(path), reason="too large")
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError("holidays.ics_unreadable", field="file", path=str(path)) from exc
