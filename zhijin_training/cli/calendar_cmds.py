"""`export ics`, `publish`, `import ics`: calendars (see zhijin_training.ical)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from zhijin_training.cli.common import context, fail, opt_date, print_table, say
from zhijin_training.i18n import label, t
from zhijin_training.services import programmes, roster

export_app = typer.Typer(help="导出 Export: calendars (.ics).", no_args_is_help=True)
import_app = typer.Typer(help="导入 Import: calendars (.ics).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
    app.command("publish")(publish_cmd)


@export_app.command("ics")
def export_ics(
    output: str = typer.Option(..., "-o", "--output", help="file to write, or - for standard output"),
    cadre: str = typer.Option(None, "--cadre", help="one person's sessions: #id, person number or name"),
    unit: str = typer.Option(None, "--unit", help="sessions of a unit's cadres: #id, code or name"),
    programme: str = typer.Option(None, "--programme", help="one programme: #id or title"),
    kind: str = typer.Option(None, "--kind", help="lecture, study_trip, secondment, course, meeting"),
    from_: str = typer.Option(None, "--from", help="first day, e.g. 2026-03-01"),
    to: str = typer.Option(None, "--to", help="last day (inclusive)"),
) -> None:
    """Export sessions as an iCalendar file (filters combine)."""
    from zhijin_training.ical import export
    from zhijin_training.services.validation import parse_enum

    ctx = context()
    filters: dict[str, object] = {"start": opt_date(from_, "--from"), "end": opt_date(to, "--to")}
    if cadre:
        filters["cadre_id"] = roster.resolve_cadre(ctx, cadre).id
    if unit:
        filters["unit_id"] = roster.resolve_unit(ctx, unit).id
    if programme:
        filters["programme_id"] = programmes.get_programme(ctx, programme).id
    if kind:
        from zhijin_training.models import ProgrammeKind

        filters["kind"] = parse_enum(ProgrammeKind, kind, "--kind", "programme_kind").value
    if output == "-":
        sys.stdout.buffer.write(export.export_bytes(ctx, **filters))
        sys.stdout.buffer.flush()
        return
    count = export.write_calendar(ctx, Path(output), **filters)
    say("cli.ics_written", count=count, path=output)


def publish_cmd(
    directory: Path = typer.Argument(..., help="directory the web server serves"),
    rotate: bool = typer.Option(
        False, "--rotate", help="new secret: every feed gets a new name, old links stop"
    ),
    secret_file: Path = typer.Option(
        None, "--secret-file", help="the feed secret (default: beside the database)"
    ),
    base_url: str = typer.Option(
        None, "--base-url", help="where DIR is served, e.g. https://calendar.example.cn"
    ),
) -> None:
    """Write all calendar feeds (all, per programme, unit and cadre) into DIR; unchanged files are left as they are."""
    from zhijin_training.ical import feeds

    report = feeds.publish(context(), directory, rotate=rotate, secret_file=secret_file, base_url=base_url)
    counts: dict[str, int] = {}
    for f in report.feeds:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    say(
        "cli.published",
        feeds=len(report.feeds),
        programmes=counts.get("programme", 0),
        units=counts.get("unit", 0),
        cadres=counts.get("cadre", 0),
        sessions=report.sessions,
        directory=str(directory),
        removed=len(report.removed),
        index=str(directory / feeds.INDEX_HTML),
    )
    say("ical.cli.files", changed=report.files_written, unchanged=len(report.feeds) - report.files_written)
    if rotate:
        say("ical.cli.rotated")


@import_app.command("ics")
def import_ics(
    file: Path = typer.Argument(..., help="the .ics file"),
    programme: str = typer.Option(
        None, "--programme", help="existing programme new sessions join: #id or title"
    ),
    new_programme: str = typer.Option(
        None, "--new-programme", help="create a programme with this title for them"
    ),
    kind: str = typer.Option(None, "--kind", help="kind of the new programme (default: what the file says)"),
    from_: str = typer.Option(
        None, "--from", help="recurring events: first day to expand (default 90 days ago)"
    ),
    to: str = typer.Option(None, "--to", help="recurring events: last day to expand (default a year ahead)"),
    yes: bool = typer.Option(False, "--yes", "-y", help="apply without asking"),
    dry_run: bool = typer.Option(False, "--dry-run", help="show the preview only"),
) -> None:
    """Import sessions from a calendar: matched by UID; shows a preview before writing anything."""
    from zhijin_training.ical import importer, parse
    from zhijin_training.timeutil import local_date

    if programme and new_programme:
        fail("ical.cli.programme_both", field="programme")
    data = parse.read_file(file)  # coded errors; size checked before reading (parse.MAX_BYTES, 20 MB)
    ctx = context()
    window = parse.Window.around(local_date(ctx.now()), opt_date(from_, "--from"), opt_date(to, "--to"))
    choice = None
    if programme or new_programme:
        choice = importer.ProgrammeChoice(existing=programme, new_title=new_programme, kind=kind)
    preview = importer.preview_import(ctx, data, file.name, window=window, programme=choice)
    rows = [
        (label, item.title, item.reason, item.where)
        for label, items in (
            ("新增 add", preview.added),
            ("修改 change", preview.changed),
            ("跳过 skip", preview.skipped),
        )
        for item in items
    ]
    print_table(
        f"导入预览 Import preview: {preview.calendar_name or preview.source_name}",
        ["", "标题 title", "说明 detail", "位置 where"],
        rows,
    )
    say("ical.preview.encoding", encoding=preview.encoding)
    if preview.window is not None:
        say("ical.preview.window", first=preview.window.first, last=preview.window.last)
    for name, count in preview.ignored:
        say("ical.preview.ignored", name=name, n=count)
    if preview.programme_new:
        title, new_kind = preview.programme_new
        say("ical.preview.programme_new", title=title, kind=label("programme_kind", new_kind))
    elif preview.programme_id is not None:
        say("ical.preview.programme", title=programmes.get_programme(ctx, preview.programme_id).title)
    elif preview.needs_programme:
        say("ical.cli.programme_missing")
    for title, new_kind in preview.new_programmes:
        if (title, new_kind) != preview.programme_new:
            say("cli.ics_new_programme", title=title, kind=label("programme_kind", new_kind))
    say(
        "cli.ics_preview",
        added=len(preview.added),
        changed=len(preview.changed),
        unchanged=len(preview.unchanged),
        skipped=len(preview.skipped),
    )
    if dry_run or not preview.has_changes:
        return
    if preview.needs_programme:
        importer.apply_import(ctx, preview)  # refuses: says to choose --programme or --new-programme
    if not yes and not typer.confirm(t("cli.confirm_apply"), default=False):
        say("cli.nothing_written")
        raise typer.Exit(1)
    result = importer.apply_import(ctx, preview)
    say(
        "cli.ics_imported",
        added=result.added,
        changed=result.changed,
        programmes=result.programmes_created,
    )
