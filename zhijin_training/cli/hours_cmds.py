"""`hours …` and `dossier`: 学时 against the regulation's targets, training taken elsewhere, 一人一档."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from zhijin_training.cli.common import console, context, fail, opt_date, print_json, print_table, say
from zhijin_training.i18n import label, t
from zhijin_training.timeutil import local_date

hours_app = typer.Typer(
    help="学时 Training hours: ledger, training taken elsewhere, recognition.", no_args_is_help=True
)

FORMATS = ("table", "json", "csv", "xlsx")
# the JSON of `hours report` names these fields first (scripts rely on them)
JSON_CADRE_FIELDS = (
    "cadre_id",
    "name",
    "unit",
    "rank",
    "centralised_hours",
    "online_hours",
    "target",
    "shortfall",
)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _format(fmt: str | None, out: Path | None) -> str:
    chosen = fmt or (out.suffix.lower().lstrip(".") if out is not None else "table")
    if chosen not in FORMATS:
        fail("value.unknown", field="--format", value=chosen, allowed=list(FORMATS))
    if chosen in ("csv", "xlsx") and out is None:
        fail("cli.format_needs_output", field="--format", format=chosen)
    return chosen


@hours_app.command("report")
def hours_report(
    year: int = typer.Option(None, "--year", help="the year (default: this year)"),
    by: str = typer.Option("cadre", "--by", help="cadre or unit"),
    behind: bool = typer.Option(False, "--behind", help="only cadres behind the target to date"),
    fmt: str = typer.Option(None, "--format", "-f", help="table, json, csv or xlsx"),
    out: Path = typer.Option(None, "--output", "-o", help="write to this file (.xlsx or .csv)"),
) -> None:
    """The year's 学时 per cadre (or unit) against the targets: hours, target, shortfall, behind."""
    from zhijin_training.services import hours

    if by not in ("cadre", "unit"):
        fail("value.unknown", field="--by", value=by, allowed=["cadre", "unit"])
    chosen = _format(fmt, out)
    ctx = context()
    year = year or local_date(ctx.now()).year
    org = ctx.settings.org_name if ctx.settings else ""
    if by == "unit":
        units = hours.unit_ledger(ctx, year)
        if behind:
            units = [u for u in units if u.behind]
        if chosen == "json":
            print_json(units)
            return
        if chosen in ("csv", "xlsx"):
            from zhijin_training.sheets.hours_sheets import unit_hours_ledger, write_ledger

            path = write_ledger(unit_hours_ledger(units, year, org=org), out)
            say("cli.written", path=str(path))
            return
        print_table(
            f"{year} 学时 by unit",
            [
                "单位 unit",
                "人数",
                "有目标",
                "未达进度 behind",
                "集中 central",
                "网络 online",
                "目标 target",
                "缺口 short",
            ],
            [
                (
                    u.unit,
                    u.cadres,
                    u.with_target,
                    u.behind,
                    _num(u.centralised_hours),
                    _num(u.online_hours),
                    _num(u.target),
                    _num(u.shortfall),
                )
                for u in units
            ],
        )
        return
    rows = hours.behind_target(ctx, year) if behind else hours.ledger(ctx, year).rows
    if chosen == "json":
        from zhijin_training.cli.common import jsonable

        print_json([{**{k: jsonable(getattr(r, k)) for k in JSON_CADRE_FIELDS}, **jsonable(r)} for r in rows])
        return
    if chosen in ("csv", "xlsx"):
        from zhijin_training.sheets.hours_sheets import cadre_hours_ledger, write_ledger

        path = write_ledger(
            cadre_hours_ledger(rows, year, org=org, behind=behind), out, per_unit=chosen == "xlsx"
        )
        say("cli.written", path=str(path))
        return
    print_table(
        f"{year} 学时" + (" 未达进度 behind target" if behind else ""),
        [
            "#",
            "姓名 name",
            "单位 unit",
            "职级 rank",
            "集中 central",
            "天 days",
            "网络 online",
            "目标 target",
            "缺口 short",
            "落后 behind",
        ],
        [
            (
                r.cadre_id,
                r.name,
                r.unit,
                label("rank", r.rank),
                _num(r.centralised_hours),
                _num(r.centralised_days),
                _num(r.online_hours),
                _num(r.target),
                _num(r.shortfall),
                _num(r.behind_by),
            )
            for r in rows
        ],
    )


@hours_app.command("leave-over")
def hours_leave_over(
    year: int = typer.Option(None, "--year", help="the year (default: this year)"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Art. 15: who took leave above 1/7 of a full-time course or trip of several days (its own 学时)."""
    from zhijin_training.services import hours

    ctx = context()
    rows = hours.leave_over(ctx, year or local_date(ctx.now()).year)
    if json_:
        print_json(rows)
        return
    print_table(
        "请假超过 1/7 leave over 1/7",
        ["#", "姓名 name", "单位 unit", "课程 course", "起 from", "学时 total", "请假 leave", "上限 limit"],
        [
            (
                r.cadre_id,
                r.name,
                r.unit,
                r.course,
                r.first_day,
                _num(r.total_hours),
                _num(r.leave_hours),
                _num(r.limit_hours),
            )
            for r in rows
        ],
    )


@hours_app.command("add")
def hours_add(
    cadre: str = typer.Argument(..., help="#id, person number or name@unit"),
    course: str = typer.Option(..., "--course", help="course or class name"),
    organiser: str = typer.Option("", "--organiser", help="who organised it (主办单位)"),
    institution: str = typer.Option("", "--institution", help="where (培训机构)"),
    start: str = typer.Option(..., "--from", help="first day, e.g. 2026-04-06"),
    end: str = typer.Option(None, "--to", help="last day (default: the first)"),
    hours_: float = typer.Option(..., "--hours", help="学时"),
    days: float = typer.Option(None, "--days", help="days (default: the days from --from to --to)"),
    category: str = typer.Option("centralised", "--category", help="centralised or online"),
    source: str = typer.Option("outside", "--source", help="outside, upper, party_school, online_academy"),
    evidence: str = typer.Option("", "--evidence", help="certificate number or file name"),
) -> None:
    """Record training taken elsewhere; it counts once an administrator recognises it."""
    from zhijin_training.services import hours

    first = opt_date(start, "--from")
    assert first is not None
    last = opt_date(end, "--to") or first
    record = hours.add_record(
        context(),
        hours.RecordDraft(
            cadre=cadre,
            course=course,
            start_date=first,
            end_date=last,
            hours=hours_,
            category=category,
            organiser=organiser,
            institution=institution,
            days=days,
            evidence=evidence,
            source=source,
        ),
    )
    console.print(
        Text(
            f"#{record.id} {record.cadre_name} {record.course} {record.hours:g} 学时: "
            f"{label('record_state', record.state)}"
        )
    )


@hours_app.command("list")
def hours_list(
    state: str = typer.Option(None, "--state", help="submitted, recognised or rejected"),
    year: int = typer.Option(None, "--year"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Training taken elsewhere, newest first (e.g. --state submitted: what awaits recognition)."""
    from zhijin_training.services import hours

    records = hours.list_records(context(), state=state, year=year)
    if json_:
        print_json(records)
        return
    print_table(
        "外出培训 Training elsewhere",
        ["#", "姓名 name", "单位 unit", "课程 course", "起 from", "止 to", "学时", "类别", "状态 state"],
        [
            (
                r.id,
                r.cadre_name,
                r.unit_name,
                r.course,
                r.start_date,
                r.end_date,
                _num(r.hours),
                label("train_category", r.category),
                label("record_state", r.state),
            )
            for r in records
        ],
    )


@hours_app.command("recognise")
def hours_recognise(record: int = typer.Argument(..., help="record id")) -> None:
    """学时认定: the record counts in the ledger (administrators)."""
    from zhijin_training.services import hours

    view = hours.recognise(context(), record)
    console.print(Text(f"#{view.id} {view.cadre_name} {view.course}: {label('record_state', view.state)}"))


@hours_app.command("reject")
def hours_reject(
    record: int = typer.Argument(..., help="record id"),
    reason: str = typer.Option(..., "--reason", help="why it is not recognised"),
) -> None:
    """Refuse a record, with the reason (administrators)."""
    from zhijin_training.services import hours

    view = hours.reject(context(), record, reason)
    console.print(Text(f"#{view.id} {view.cadre_name} {view.course}: {label('record_state', view.state)}"))


@hours_app.command("import")
def hours_import(
    file: Path = typer.Argument(..., help="CSV or XLSX, e.g. the online academy's export"),
    yes: bool = typer.Option(False, "--yes", "-y", help="apply without asking"),
) -> None:
    """Preview an import of training taken elsewhere (rows to add, duplicates, errors), then apply it all."""
    from zhijin_training.sheets import hours_io

    ctx = context()
    preview = hours_io.preview_import(ctx, file)
    print_table(
        f"{file.name}: 新增 new {len(preview.new)} · 已有 on record {len(preview.duplicates)} · "
        f"错误 errors {len(preview.errors)}",
        ["行 row", "姓名 name", "课程 course", "起 from", "学时", "类别"],
        [
            (
                p.row,
                p.cadre_name,
                p.values["course"],
                p.values["start_date"],
                _num(p.values["hours"]),
                label("train_category", p.values["category"]),
            )
            for p in preview.new
        ],
    )
    if preview.ignored:
        say("hours.cli.ignored_columns", columns="、".join(preview.ignored))
    if preview.errors:
        print_table(
            "错误 Errors (nothing was imported)",
            ["行 row", "列 column", "问题 problem"],
            [(e.row, e.column, e.text) for e in preview.errors],
        )
        fail("cli.import_has_errors", field="file", count=len(preview.errors), file=file.name)
    if not preview.new:
        say("hours.cli.nothing_to_add")
        return
    if not yes and not typer.confirm(t("hours.cli.confirm_import", n=len(preview.new)), default=False):
        say("cli.nothing_written")
        raise typer.Exit(1)
    n = hours_io.apply_import(ctx, preview)
    say("hours.cli.imported", n=n)


@hours_app.command("rules")
def hours_rules(
    set_: list[str] = typer.Option(None, "--set", help="KEY=VALUE (administrators; audited)"),
) -> None:
    """The 学时 rules in force and where each comes from; --set changes an office rule."""
    from zhijin_training.services import hours

    ctx = context()
    for item in set_ or []:
        key, sep, value = item.partition("=")
        if not sep:
            fail("hours.set_format", field="--set", value=item)
        hours.set_rule(ctx, key.strip(), value.strip())
    print_table("学时规则 rules", ["规则 key", "值 value", "来源 source"], hours.rules_table(ctx))


@hours_app.command("rank")
def hours_rank(
    cadre: str = typer.Argument(..., help="#id, person number or name@unit"),
    rank: str = typer.Argument(..., help="县处级, 乡科级 (正科级, 副处级 …) or other"),
    since: str = typer.Option(..., "--since", help="first day the rank is held"),
) -> None:
    """Record a cadre's rank from a date (administrators); the previous one ends the day before."""
    from zhijin_training.services import hours, roster

    ctx = context()
    person = roster.resolve_cadre(ctx, cadre)
    day = opt_date(since, "--since")
    assert day is not None
    hours.set_rank(ctx, person.id, rank, day)
    for span in hours.rank_history(ctx, person.id):
        console.print(Text(f"{span.start} ~ {span.end or ''}  {label('rank', span.rank)}"))


def dossier_cmd(
    cadre: str = typer.Argument(None, help="#id, person number or name@unit"),
    unit: str = typer.Option(None, "--unit", help="a whole unit: one sheet per cadre"),
    out: Path = typer.Option(..., "--output", "-o", help="the .xlsx file to write"),
) -> None:
    """干部教育培训档案 (一人一档): everything on record for a cadre, or for each cadre of a unit, as A4 XLSX."""
    from zhijin_training.services import hours
    from zhijin_training.sheets.hours_sheets import write_dossiers

    if (cadre is None) == (unit is None):
        fail("hours.dossier_target")
    if out.suffix.lower() != ".xlsx":
        fail("hours.dossier_xlsx", field="--output", path=out.name)
    ctx = context()
    org = ctx.settings.org_name if ctx.settings else ""
    if unit is not None:
        _name, ids = hours.unit_cadre_ids(ctx, unit)
        books = [hours.dossier(ctx, i) for i in ids]
    else:
        books = [hours.dossier(ctx, cadre)]
    path = write_dossiers(books, out, org=org)
    say("hours.cli.dossiers_written", path=str(path), n=len(books))


def register(app: typer.Typer) -> None:
    app.add_typer(hours_app, name="hours")
    app.command("dossier")(dossier_cmd)
