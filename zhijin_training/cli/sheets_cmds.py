"""`report …`, `signin`, `roster import|export`: ledgers and spreadsheets (see zhijin_training.sheets)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import typer
from rich.text import Text

from zhijin_training import i18n
from zhijin_training.cli.common import console, context, fail, opt_date, print_json, print_table, say
from zhijin_training.enums import status_specs
from zhijin_training.i18n import label
from zhijin_training.services import programmes, reports, roster
from zhijin_training.services.context import Context
from zhijin_training.services.errors import EndBeforeStart
from zhijin_training.services.rates import Counts, count_headers, count_values, format_rate
from zhijin_training.textsafe import printable
from zhijin_training.timeutil import local_date, quarter_bounds, quarter_of

if TYPE_CHECKING:
    from zhijin_training.sheets import ledger as ledgers

report_app = typer.Typer(
    help="报表 Attendance reports: ledgers, quarterly review, notices.", no_args_is_help=True
)
roster_app = typer.Typer(help="名册导入导出 Roster import and export (XLSX or CSV).", no_args_is_help=True)

FORMATS = ("table", "csv", "xlsx", "json")

OPT_FROM = typer.Option(None, "--from", help="first day, e.g. 2026-07-01")
OPT_TO = typer.Option(None, "--to", help="last day (inclusive)")
OPT_QUARTER = typer.Option(None, "--quarter", "-q", help="a quarter, e.g. 2026Q3")
OPT_YEAR = typer.Option(None, "--year", help="a whole year, e.g. 2026")
OPT_FORMAT = typer.Option(
    None, "--format", "-f", help="table, csv, xlsx or json (default: from -o, else table)"
)
OPT_OUT = typer.Option(None, "--output", "-o", help="write to this file (.xlsx or .csv)")
OPT_BOM = typer.Option(False, "--bom", help="CSV with a BOM, for Excel on Chinese Windows")


# ---------------------------------------------------------------- shared
def _period(
    ctx: Context, start: str | None, end: str | None, quarter: str | None, year: int | None
) -> tuple[date, date]:
    if quarter:
        return quarter_bounds(quarter)
    if year:
        return date(year, 1, 1), date(year, 12, 31)
    first, last = opt_date(start, "--from"), opt_date(end, "--to")
    if first is None and last is None:
        return quarter_bounds(quarter_of(local_date(ctx.now())))
    if first is None or last is None:
        fail("cli.period_needs_both", field="--from")
    assert first is not None and last is not None
    if last < first:
        raise EndBeforeStart(start=first, end=last, field="--to")
    return first, last


def _format(fmt: str | None, out: Path | None) -> str:
    if fmt is None:
        if out is None:
            return "table"
        fmt = out.suffix.lower().lstrip(".")
    fmt = fmt.lower()
    if fmt not in FORMATS:
        fail("value.unknown", field="--format", value=fmt, allowed=list(FORMATS))
    if fmt in ("csv", "xlsx") and out is None:
        fail("cli.format_needs_output", field="--format", format=fmt)
    return fmt


def _ledgers() -> ModuleType:
    """openpyxl is heavy to import: only the commands that write spreadsheets pay for it."""
    from zhijin_training.sheets import ledger

    return ledger


def _write(
    fmt: str, out: Path | None, sheets: list[ledgers.Ledger], *, bom: bool, per_unit: bool = False
) -> bool:
    """Write csv/xlsx files; True when the output was handled."""
    if fmt == "xlsx" and out is not None:
        _ledgers().write_xlsx(sheets, out, per_unit=per_unit)
    elif fmt == "csv" and out is not None:
        _ledgers().write_csv(sheets[0], out, bom=bom)
        for extra, sheet in enumerate(sheets[1:], start=2):
            _ledgers().write_csv(sheet, out.with_name(f"{out.stem}-{extra}{out.suffix}"), bom=bom)
    else:
        return False
    say("cli.written", path=str(out))
    return True


def _counts(c: Counts) -> tuple[int, ...]:
    return count_values(c)


def _not_attended() -> list[str]:
    """Statuses that are not attendance in person (请假, 缺席, 代会 …), for the short tables."""
    return [spec.value for spec in status_specs() if not spec.attended]


def _change(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}"


def trend_chart(points: list[tuple[str, float | None]], *, width: int = 24) -> Text:
    """One line per quarter: label, a bar of unicode blocks, the rate."""
    blocks = " ▏▎▍▌▋▊▉█"
    text = Text()
    for quarter, rate in points:
        text.append(f"{quarter}  ")
        if rate is None:
            text.append("·" * width, style="dim")
        else:
            eighths = round(rate * width * 8)
            full, part = divmod(eighths, 8)
            bar = "█" * full + (blocks[part] if part else "")
            text.append(bar.ljust(width), style="green" if rate >= 0.8 else "yellow")
        text.append(f"  {format_rate(rate)}\n")
    return text


def _org(ctx: Context) -> str:
    return ctx.settings.org_name if ctx.settings else ""


# ---------------------------------------------------------------- report attendance
@report_app.command("attendance")
def report_attendance(
    start: str = OPT_FROM,
    end: str = OPT_TO,
    quarter: str = OPT_QUARTER,
    year: int = OPT_YEAR,
    by: str = typer.Option("cadre", "--by", help="cadre or unit"),
    unit: str = typer.Option(None, "--unit", help="only this unit (sessions held while in it)"),
    unit_kind: str = typer.Option(None, "--unit-kind", help="township or department"),
    kind: str = typer.Option(None, "--kind", help="programme kind: lecture, study_trip, secondment …"),
    search: str = typer.Option(None, "--search", "-s", help="name, unit, post or person number"),
    fmt: str = OPT_FORMAT,
    out: Path = OPT_OUT,
    bom: bool = OPT_BOM,
    per_unit: bool = typer.Option(False, "--per-unit", help="XLSX: also one sheet per unit"),
) -> None:
    """Attendance per cadre or per unit over a period (default: the current quarter)."""
    ctx = context()
    first, last = _period(ctx, start, end, quarter, year)
    form = _format(fmt, out)
    if by not in ("cadre", "unit"):
        fail("value.unknown", field="--by", value=by, allowed=["cadre", "unit"])
    title = f"{first.isoformat()} — {last.isoformat()}"
    if by == "unit":
        units = reports.attendance_by_unit(ctx, first, last, unit_kind=unit_kind)
        if form == "json":
            print_json(units)
        elif not _write(form, out, [_ledgers().unit_ledger(units, first, last, org=_org(ctx))], bom=bom):
            print_table(
                f"各单位出勤 Attendance by unit  {title}",
                ["单位 unit", *count_headers(), "出勤率 rate"],
                [(u.unit_name, *_counts(u.counts), format_rate(u.rate)) for u in units],
            )
        return
    unit_id = roster.resolve_unit(ctx, unit).id if unit else None
    rows = reports.attendance_by_cadre(
        ctx, first, last, unit_id=unit_id, kind=kind, search=search, unit_kind=unit_kind
    )
    if form == "json":
        print_json(rows)
        return
    sheet = _ledgers().cadre_ledger(rows, first, last, org=_org(ctx))
    if _write(form, out, [sheet], bom=bom, per_unit=per_unit):
        return
    print_table(
        f"干部出勤 Attendance by cadre  {title}",
        ["单位 unit", "姓名 name", "职务 post", *count_headers(), "出勤率 rate", "备注 note"],
        [
            (
                r.unit_name,
                r.name,
                r.post_title,
                *_counts(r.counts),
                format_rate(r.rate),
                reports.elsewhere_note(r),
            )
            for r in rows
        ],
    )
    if unit_id is not None:
        console.print(Text("出勤率趋势 rate per quarter", style="bold"))
        console.print(
            trend_chart(
                reports.rate_trend(ctx, reports.quarters_before(quarter_of(last), 4), unit_id=unit_id)
            )
        )


# ---------------------------------------------------------------- report review
@report_app.command("review")
def report_review(
    quarter: str = OPT_QUARTER,
    threshold: float = typer.Option(None, "--threshold", help="e.g. 0.8 (default: the office setting)"),
    unit_kind: str = typer.Option("township", "--unit-kind", help="township, department or all"),
    fmt: str = OPT_FORMAT,
    out: Path = OPT_OUT,
    bom: bool = OPT_BOM,
) -> None:
    """季度讲评: units ranked by attendance rate, change on the previous quarter, cadres below the threshold."""
    ctx = context()
    quarter = quarter or quarter_of(local_date(ctx.now()))
    kind = None if unit_kind == "all" else unit_kind
    review = reports.quarterly_review(ctx, quarter, threshold=threshold, unit_kind=kind)
    form = _format(fmt, out)
    if form == "json":
        print_json(review)
        return
    if _write(form, out, _ledgers().review_ledgers(review, org=_org(ctx)), bom=bom):
        return
    print_table(
        f"季度讲评 Quarterly review {review.quarter} ({review.start} — {review.end})",
        [
            "排名 rank",
            "单位 unit",
            *count_headers(),
            "出勤率 rate",
            f"上季度 {review.previous_quarter}",
            "变化 change",
        ],
        [
            (
                r.rank,
                r.unit_name,
                *_counts(r.counts),
                format_rate(r.rate),
                format_rate(r.previous_rate),
                _change(r.change),
            )
            for r in review.rows
        ],
    )
    print_table(
        f"出勤率低于 {review.threshold * 100:g}% 的干部 Cadres below the threshold ({len(review.below)})",
        [
            "单位 unit",
            "姓名 name",
            "职务 post",
            i18n.t("count.expected"),
            i18n.t("count.attended"),
            *(label("status", v) for v in _not_attended()),
            "出勤率 rate",
        ],
        [
            (
                c.unit_name,
                c.name,
                c.post_title,
                c.counts.expected,
                c.counts.attended,
                *(c.counts[v] for v in _not_attended()),
                format_rate(c.rate),
            )
            for c in review.below
        ],
    )
    console.print(Text("全县出勤率趋势 county rate per quarter", style="bold"))
    console.print(trend_chart(reports.rate_trend(ctx, reports.quarters_before(review.quarter, 4))))


# ---------------------------------------------------------------- report absences
@report_app.command("absences")
def report_absences(
    start: str = OPT_FROM,
    end: str = OPT_TO,
    quarter: str = OPT_QUARTER,
    year: int = OPT_YEAR,
    fmt: str = typer.Option(None, "--format", "-f", help="table, text (the notice), csv, xlsx or json"),
    out: Path = OPT_OUT,
    bom: bool = OPT_BOM,
) -> None:
    """Unexcused absences by unit; `--format text` prints the notice (通报) ready to paste."""
    ctx = context()
    first, last = _period(ctx, start, end, quarter, year)
    groups = reports.absences(ctx, first, last)
    if fmt == "text" or (fmt is None and out is not None and out.suffix.lower() == ".txt"):
        text = reports.absence_notice_text(groups, first, last)
        if out is not None:
            from zhijin_training.sheets.cells import replacing

            with replacing(out) as tmp:  # names of absentees: not readable by other users, never half-written
                tmp.write_text(text, encoding="utf-8")
            say("cli.written", path=str(out))
        else:
            sys.stdout.write(printable_block(text))
        return
    form = _format(fmt, out)
    if form == "json":
        print_json(groups)
        return
    if _write(form, out, [_ledgers().absence_ledger(groups, first, last, org=_org(ctx))], bom=bom):
        return
    print_table(
        f"无故缺席 Unexcused absences {first} — {last}",
        ["单位 unit", "姓名 name", "职务 post", "时间 time", "场次 session"],
        [
            (g.unit_name, i.cadre_name, i.post_title, i.starts_at, i.session_title)
            for g in groups
            for i in g.items
        ],
    )


def printable_block(text: str) -> str:
    """Multi-line text with control characters made visible, line breaks kept."""
    return "\n".join(printable(line) for line in text.split("\n"))


# ---------------------------------------------------------------- report programme
@report_app.command("programme")
def report_programme(
    programme: str = typer.Argument(..., help="programme id or title"),
    start: str = OPT_FROM,
    end: str = OPT_TO,
    quarter: str = OPT_QUARTER,
    year: int = OPT_YEAR,
    fmt: str = OPT_FORMAT,
    out: Path = OPT_OUT,
    bom: bool = OPT_BOM,
) -> None:
    """Per-programme summary: turnout per session and topic; for trips and secondments, who went."""
    ctx = context()
    view = programmes.get_programme(ctx, programme)
    first: date | None = None
    last: date | None = None
    if quarter or year or start or end:
        first, last = _period(ctx, start, end, quarter, year)
    summary = reports.programme_summary(ctx, view.id, first, last)
    form = _format(fmt, out)
    if form == "json":
        print_json(summary)
        return
    if _write(form, out, _ledgers().programme_ledgers(summary, org=_org(ctx)), bom=bom):
        return
    print_table(
        f"{summary.title} — {label('programme_kind', summary.kind)}  出勤率 {format_rate(summary.rate)}",
        ["#", "时间 time", "场次 session", "专题 topic", "状态 status", *count_headers(), "出勤率 rate"],
        [
            (
                t.session_id,
                t.starts_at,
                t.title,
                t.topic,
                label("session_status", t.status),
                *_counts(t.counts),
                format_rate(t.rate),
            )
            for t in summary.sessions
        ],
    )
    if summary.kind == "lecture" and summary.topics:
        print_table(
            "各专题 By topic",
            ["专题 topic", "场次 sessions", *count_headers(), "出勤率 rate"],
            [(t.topic, t.sessions, *_counts(t.counts), format_rate(t.rate)) for t in summary.topics],
        )
    if summary.attendees:
        print_table(
            "参加人员 Who went",
            ["单位 unit", "姓名 name", "职务 post", "考勤 status", "成行 went"],
            [
                (a.unit_name, a.cadre_name, a.post_title, label("status", a.status), "是" if a.went else "否")
                for a in summary.attendees
            ],
        )


# ---------------------------------------------------------------- signin
def signin(
    session: int = typer.Argument(..., help="session id"),
    out: Path = typer.Option(..., "--output", "-o", help="the .xlsx file to write"),
) -> None:
    """The printable sign-in sheet (签到表) of a session: A4, one row per participant, by unit."""
    from zhijin_training.sheets.signin import write_signin_sheet

    if out.suffix.lower() != ".xlsx":
        fail("cli.signin_xlsx", field="--output", path=str(out))
    write_signin_sheet(context(), session, out)
    say("cli.written", path=str(out))


# ---------------------------------------------------------------- roster
@roster_app.command("import")
def roster_import(
    file: Path = typer.Argument(..., help="the roster (.xlsx or .csv)"),
    yes: bool = typer.Option(False, "--yes", "-y", help="apply without asking"),
) -> None:
    """Preview a roster import (new / changed / unchanged / errors by row), then apply it all or nothing."""
    from zhijin_training.sheets import roster_io

    ctx = context()
    preview = roster_io.preview_import(ctx, file)
    print_table(
        f"{file.name}: 新增 new {len(preview.new)} · 变更 changed {len(preview.changed)} · "
        f"不变 unchanged {len(preview.unchanged)} · 错误 errors {len(preview.errors)}",
        ["行 row", "操作 action", "姓名 name", "单位 unit", "变化 changes"],
        [
            (
                p.row,
                {"new": "新增", "changed": "变更"}[p.action],
                p.name,
                p.unit_name,
                "；".join(
                    f"{roster_io.FIELD_LABELS.get(k, k)}: {a or '∅'} → {b or '∅'}"
                    for k, (a, b) in p.changes.items()
                ),
            )
            for p in preview.plans
            if p.action != "unchanged"
        ],
    )
    if preview.errors:
        print_table(
            "错误（未导入任何内容） Errors (nothing was imported)",
            ["行 row", "列 column", "问题 problem"],
            [(e.row, e.column, e.message) for e in preview.errors],
        )
        fail("cli.import_has_errors", field="file", count=len(preview.errors), file=file.name)
    if not preview.new and not preview.changed:
        say("cli.nothing_to_change")
        return
    if not yes:
        if not sys.stdin.isatty():
            fail("cli.needs_yes", field="--yes")
        if not typer.confirm(i18n.t("cli.confirm_apply"), default=False):
            say("cli.nothing_written", err=True)
            raise typer.Exit(1)
    result = roster_io.apply_import(ctx, preview)
    say(
        "cli.roster_imported",
        added=result.added,
        changed=result.changed,
        moved=result.moved,
        unchanged=result.unchanged,
    )


@roster_app.command("export")
def roster_export(
    file: Path = typer.Argument(..., help="where to write (.xlsx or .csv)"),
    no_bom: bool = typer.Option(False, "--no-bom", help="CSV without BOM"),
) -> None:
    """Write the active roster to a file that `roster import` reads back unchanged."""
    from zhijin_training.sheets import roster_io

    roster_io.export_roster(context(), file, bom=not no_bom)
    say("cli.written", path=str(file))


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
    app.add_typer(roster_app, name="roster")
    app.command("signin")(signin)


__all__ = ["register", "trend_chart"]
