"""`export ics`, `publish`, `import ics`: calendars (see zhijin_training.ical)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from zhijin_training.cli.common import context, fail, opt_date, print_table, say
from zhijin_training.i18n import label, t
from zhijin_training.services import programmes, roster

MAX_ICS_BYTES = 20 * 2**20  # a year of a county's sessions is well under 1 MB

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


def publish_cmd(directory: Path = typer.Argument(..., help="directory the web server serves")) -> None:
    """Write all calendar feeds (all, per programme, unit and cadre) into DIR, replacing each atomically."""
    from zhijin_training.ical import feeds

    report = feeds.publish(context(), directory)
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


@import_app.command("ics")
def import_ics(
    file: Path = typer.Argument(..., help="the .ics file"),
    yes: bool = typer.Option(False, "--yes", "-y", help="apply without asking"),
    dry_run: bool = typer.Option(False, "--dry-run", help="show the preview only"),
) -> None:
    """Import sessions from a calendar: matched by UID; shows a preview before writing anything."""
    from zhijin_training.ical import importer

    try:
        size = file.stat().st_size
        if size > MAX_ICS_BYTES:  # checked before reading
            fail(
                "file.too_large",
                field="file",
                file=file.name,
                size_mb=round(size / 2**20, 1),
                limit_mb=MAX_ICS_BYTES // 2**20,
            )
        data = file.read_bytes()
    except OSError:
        fail("file.unreadable", field="file", file=str(file))
    ctx = context()
    preview = importer.preview_import(ctx, data, file.name)
    rows = [
        (label, item.title, item.reason, item.uid)
        for label, items in (
            ("新增 add", preview.added),
            ("修改 change", preview.changed),
            ("跳过 skip", preview.skipped),
        )
        for item in items
    ]
    print_table(
        f"导入预览 Import preview: {preview.calendar_name}", ["", "标题 title", "说明 detail", "UID"], rows
    )
    for title, kind in preview.new_programmes:
        say("cli.ics_new_programme", title=title, kind=label("programme_kind", kind))
    say(
        "cli.ics_preview",
        added=len(preview.added),
        changed=len(preview.changed),
        unchanged=len(preview.unchanged),
        skipped=len(preview.skipped),
    )
    if dry_run or not preview.has_changes:
        return
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
