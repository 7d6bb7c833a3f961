"""`attendance …`: take and show attendance."""

from __future__ import annotations

import typer
from rich.text import Text

from zhijin_training.cli.common import console, context, opt_date, print_json, print_table, say
from zhijin_training.enums import status_values
from zhijin_training.i18n import label
from zhijin_training.services import attendance, roster
from zhijin_training.services.rates import count_headers, count_values, format_rate
from zhijin_training.timeutil import format_local

attendance_app = typer.Typer(help="考勤 Attendance.", no_args_is_help=True)


@attendance_app.command("mark")
def attendance_mark(
    session: int,
    cadre: str = typer.Argument(..., help="#id, person number or name@unit"),
    status: str = typer.Argument(..., help=", ".join(status_values()) + " (or 出勤 迟到 …)"),
    reason: str = typer.Option("", help="leave reason (required for on_leave)"),
    approved_by: str = typer.Option("", help="who approved the leave"),
    deputy: str = typer.Option("", help="who attended in the cadre's place (required for deputy)"),
    venue: str = typer.Option(None, help="main or branch venue where the cadre attended"),
    note: str = typer.Option(""),
    correction: str = typer.Option("", help="reason for correcting an earlier record"),
    version: int = typer.Option(None, help="the record version you looked at"),
) -> None:
    """Record one cadre's attendance."""
    p = attendance.mark(
        context(),
        session,
        cadre,
        attendance.Mark(
            status=status,
            leave_reason=reason,
            approved_by=approved_by,
            deputy_name=deputy,
            venue=venue,
            note=note,
            correction_reason=correction,
            expected_version=version,
        ),
    )
    console.print(Text(f"#{session} {p.cadre_name}: {label('status', p.status)}"))


@attendance_app.command("all-present")
def attendance_all_present(session: int, venue: str = typer.Option(None)) -> None:
    """Mark everyone not yet recorded as present (then record the exceptions)."""
    n = attendance.mark_remaining_present(context(), session, venue=venue)
    say("cli.marked_present", count=n)


@attendance_app.command("show")
def attendance_show(session: int, json_: bool = typer.Option(False, "--json")) -> None:
    """The attendance of one session, with counts and rate."""
    sheet = attendance.session_attendance(context(), session)
    if json_:
        print_json(sheet)
        return
    c = sheet.counts
    print_table(
        f"考勤 #{sheet.session.id} {sheet.session.title} {format_local(sheet.session.starts_at)}",
        ["#", "姓名 name", "单位 unit", "职务 post", "状态 status", "说明 detail", "记录 by"],
        [
            (
                p.cadre_id,
                p.cadre_name,
                p.unit_name,
                p.post_title,
                label("status", p.status),
                " ".join(
                    x
                    for x in (
                        p.leave_reason,
                        p.approved_by and f"批准:{p.approved_by}",
                        p.deputy_name and f"代:{p.deputy_name}",
                        p.venue,
                        p.note,
                    )
                    if x
                ),
                p.recorded_by,
            )
            for p in sheet.participants
        ],
    )
    # 应到 here is everyone on the list, recorded or not
    figures = (c.expected + c.not_taken, *count_values(c)[1:])
    console.print(
        "  ".join(f"{h} {n}" for h, n in zip(count_headers(), figures, strict=True))
        + f"  出勤率 {format_rate(c.rate)}",
        markup=False,
    )


@attendance_app.command("summary")
def attendance_summary(
    cadre: str,
    from_: str = typer.Option(None, "--from"),
    to: str = typer.Option(None, "--to"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """A cadre's attendance over a period."""
    ctx = context()
    person = roster.resolve_cadre(ctx, cadre)
    counts = attendance.cadre_counts(
        ctx, person.id, start=opt_date(from_, "--from"), end=opt_date(to, "--to")
    )
    if json_:
        print_json({"cadre": person, "counts": counts})
        return
    print_table(
        f"{person.name}（{person.unit_name}）",
        [*count_headers()[:-1], "出勤率"],
        [(*count_values(counts)[:-1], format_rate(counts.rate))],
    )
