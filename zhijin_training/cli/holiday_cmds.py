"""`holidays list/add/workday/remove/import/clashes`: the public holidays and 调休 days the office plans on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.text import Text

from zhijin_training.cli.common import console, context, print_json, print_table
from zhijin_training.i18n import t
from zhijin_training.services import holidays
from zhijin_training.services.views import SessionView
from zhijin_training.textsafe import printable
from zhijin_training.timeutil import local_date

holidays_app = typer.Typer(
    help="节假日 Holidays: public holidays and swapped working days (调休) for planning.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(holidays_app, name="holidays")


def _say(text: str, style: str | None = None) -> None:
    console.print(Text(printable(text), style=style or ""))


def _print_clashes(sessions: list[SessionView], year: int) -> None:
    if not sessions:
        _say(t("holiday.none_clash"))
        return
    _say(t("holiday.clashes", n=len(sessions)), "yellow")
    print_table(
        "",
        ["#", "时间 time", "标题 title", "地点 location"],
        [(s.id, s.start_text, s.title, s.location) for s in sessions],
    )
    _say(t("holiday.clash_hint", year=year))


@holidays_app.command("list")
def list_cmd(
    year: int = typer.Option(..., "--year", help="e.g. 2027"),
    json_out: bool = typer.Option(False, "--json", help="JSON instead of a table"),
) -> None:
    """The year's holidays and working days; says when the year is not entered yet."""
    days, known = holidays.list_year(context(), year)
    if json_out:
        print_json({"year": year, "known": known, "days": days})
        return
    print_table(
        f"{year} 节假日 holidays",
        ["日期 day", "星期", "类别 kind", "名称 name", "来源 source"],
        [
            (
                d.day.isoformat(),
                "一二三四五六日"[d.day.weekday()],
                t(f"holiday.kind.{d.kind}"),
                d.name,
                t(f"holiday.source.{d.source}"),
            )
            for d in days
        ],
    )
    if not known:
        _say(t("holiday.unknown_year", years=year), "yellow")


def _save(entries: list[holidays.DayEntry]) -> None:
    ctx = context()
    result = holidays.save_days(ctx, entries)
    _say(
        t(
            "holiday.saved",
            n=len(result.days),
            first=result.days[0].day.isoformat(),
            last=result.days[-1].day.isoformat(),
            name="、".join(dict.fromkeys(e.name for e in result.days)),
        )
    )
    _print_clashes(result.clashes, result.days[0].day.year)


@holidays_app.command("add")
def add_cmd(
    days: str = typer.Argument(..., help="a day or a range: 2027-02-06..2027-02-12"),
    name: str = typer.Option(..., "--name", help="e.g. 春节"),
) -> None:
    """Days off (public holiday); lists the sessions already planned on them."""
    first, last = holidays.parse_range(days)
    _save(holidays.entries_for(first, last, "holiday", name))


@holidays_app.command("workday")
def workday_cmd(
    days: str = typer.Argument(..., help="a day or a range: 2027-02-14"),
    name: str = typer.Option(..., "--name", help="e.g. 春节补班"),
) -> None:
    """A weekend day that is a working day (调休上班 / 补班)."""
    first, last = holidays.parse_range(days)
    _save(holidays.entries_for(first, last, "workday", name))


@holidays_app.command("remove")
def remove_cmd(days: str = typer.Argument(..., help="a day or a range")) -> None:
    """Remove the office's own entries for these days (built-in data, if any, counts again)."""
    first, last = holidays.parse_range(days)
    n = holidays.remove_days(context(), first, last)
    _say(f"removed {n} day(s)")


@holidays_app.command("import")
def import_cmd(
    file: Path = typer.Argument(
        ..., help="an .ics holiday calendar (all-day events; 补班/上班 marks workdays)"
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="apply without asking"),
    dry_run: bool = typer.Option(False, "--dry-run", help="show the preview only"),
) -> None:
    """Import a year's holidays from an .ics feed: a preview, then all or nothing."""
    preview = holidays.read_ics(file)
    print_table(
        f"导入预览 preview: {file.name}",
        ["日期 day", "星期", "类别 kind", "名称 name"],
        [
            (e.day.isoformat(), "一二三四五六日"[e.day.weekday()], t(f"holiday.kind.{e.kind}"), e.name)
            for e in preview.entries
        ],
    )
    if dry_run:
        return
    if not yes and not typer.confirm("apply this import?", default=False):
        raise typer.Exit(1)
    _save(preview.entries)


@holidays_app.command("clashes")
def clashes_cmd(
    year: int = typer.Option(..., "--year", help="e.g. 2027"),
    move: bool = typer.Option(False, "--move", help="move each to the same time on the next working day"),
    skip: bool = typer.Option(False, "--skip", help="leave each out (cancel, the holiday as reason)"),
) -> None:
    """Sessions planned on holidays or on weekends that are not working days; optionally move or skip them."""
    from zhijin_training.cli.common import fail

    if move and skip:
        fail("holidays.move_or_skip")
    ctx = context()
    sessions = holidays.sessions_on_rest_days(ctx, year)
    if not (move or skip) or not sessions:
        _print_clashes(sessions, year)
        return
    cal = holidays.calendar_for(ctx, date(year, 1, 1), date(year, 12, 31))
    for s in sessions:
        if move:
            done = holidays.move_to_next_workday(ctx, s.id)
            _say(f"#{s.id} {s.start_text} → {done.start_text}")
        else:
            name = cal.day_info(local_date(s.starts_at)).rest_name or ""
            holidays.skip_session(ctx, s.id, name)
            _say(t("holiday.skipped_named", id=s.id, when=s.start_text, name=name))
