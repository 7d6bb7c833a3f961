"""Reports as office ledgers (台账): XLSX with a title row, frozen header and fitted widths; or CSV.

A `Ledger` is a plain table (title, typed columns, rows). Builders turn each report of
`services.reports` into ledgers; `write_xlsx` and `write_csv` write them. Every string cell goes through
`textsafe.neutralise_formula`, so a name like `=HYPERLINK(...)` is text, never a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zhijin_training.i18n import label
from zhijin_training.services.rates import Counts, count_headers, count_values, format_rate
from zhijin_training.services.reports import (
    AbsenceGroup,
    CadreRow,
    ProgrammeSummary,
    Review,
    UnitRow,
    elsewhere_note,
)
from zhijin_training.sheets.cells import BOX, replacing, safe, sheet_title, value_width
from zhijin_training.timeutil import format_local

REMARKS = "签字／备注"
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text, int, date, datetime, rate (0..1), change (percentage points as 0..1)
    min_width: int = 0


@dataclass(frozen=True)
class Ledger:
    title: str
    subtitle: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    sheet_name: str = "台账"
    group_column: int | None = None  # split into one sheet per value of this column (e.g. the unit)


# ---------------------------------------------------------------- builders
def _period(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "全部"
    return f"{start.isoformat() if start else '…'} 至 {end.isoformat() if end else '…'}"


def _count_columns() -> tuple[Column, ...]:
    return tuple(Column(h, "int") for h in count_headers("zh"))  # ledgers are office records: Chinese


def _count_values(counts: Counts) -> tuple[int, ...]:
    return count_values(counts)


def cadre_ledger(rows: Sequence[CadreRow], start: date, end: date, *, org: str = "") -> Ledger:
    columns = (
        Column("序号", "int"),
        Column("单位"),
        Column("姓名"),
        Column("职务"),
        *_count_columns(),
        Column("出勤率", "rate"),
        Column(REMARKS, min_width=16),
    )
    data = tuple(
        (i, r.unit_name, r.name, r.post_title, *_count_values(r.counts), r.counts.rate, elsewhere_note(r))
        for i, r in enumerate(rows, start=1)
    )
    return Ledger(f"干部参训出勤台账（{_period(start, end)}）", org, columns, data, "干部出勤", 1)


def unit_ledger(rows: Sequence[UnitRow], start: date, end: date, *, org: str = "") -> Ledger:
    columns = (
        Column("序号", "int"),
        Column("单位"),
        Column("类别"),
        *_count_columns(),
        Column("出勤率", "rate"),
        Column(REMARKS, min_width=16),
    )
    data = tuple(
        (
            i,
            r.unit_name,
            label("unit_kind", r.unit_kind, "zh") if r.unit_kind else "",
            *_count_values(r.counts),
            r.counts.rate,
            "",
        )
        for i, r in enumerate(rows, start=1)
    )
    return Ledger(f"各单位参训出勤台账（{_period(start, end)}）", org, columns, data, "单位出勤")


def review_ledgers(review: Review, *, org: str = "") -> list[Ledger]:
    period = f"{review.quarter}（{review.start.isoformat()} 至 {review.end.isoformat()}）"
    columns = (
        Column("排名", "int"),
        Column("单位"),
        *_count_columns(),
        Column("出勤率", "rate"),
        Column(f"上季度（{review.previous_quarter}）", "rate"),
        Column("变化", "change"),
        Column(REMARKS, min_width=16),
    )
    ranking = tuple(
        (r.rank, r.unit_name, *_count_values(r.counts), r.rate, r.previous_rate, r.change, "")
        for r in review.rows
    )
    below = cadre_ledger(review.below, review.start, review.end, org=org)
    return [
        Ledger(f"{period}干部教育培训出勤季度讲评", org, columns, ranking, "单位排名"),
        Ledger(
            f"{review.quarter}出勤率低于{review.threshold * 100:g}%的干部",
            org,
            below.columns,
            below.rows,
            "低于阈值",
        ),
    ]


def absence_ledger(groups: Sequence[AbsenceGroup], start: date, end: date, *, org: str = "") -> Ledger:
    columns = (
        Column("序号", "int"),
        Column("单位"),
        Column("姓名"),
        Column("职务"),
        Column("时间", "datetime"),
        Column("场次"),
        Column(REMARKS, min_width=16),
    )
    data: list[tuple[Any, ...]] = []
    for group in groups:
        for item in group.items:
            data.append(
                (
                    len(data) + 1,
                    group.unit_name,
                    item.cadre_name,
                    item.post_title,
                    item.starts_at,
                    item.session_title,
                    "",
                )
            )
    return Ledger(f"无故缺席情况（{_period(start, end)}）", org, columns, tuple(data), "缺席", 1)


def programme_ledgers(summary: ProgrammeSummary, *, org: str = "") -> list[Ledger]:
    period = _period(summary.start, summary.end)
    session_columns = (
        Column("序号", "int"),
        Column("开始时间", "datetime"),
        Column("场次"),
        Column("专题"),
        Column("地点"),
        Column("状态"),
        Column("参训人数", "int"),
        *_count_columns(),
        Column("出勤率", "rate"),
        Column(REMARKS, min_width=12),
    )
    sessions = tuple(
        (
            i,
            t.starts_at,
            t.title,
            t.topic,
            t.location,
            label("session_status", t.status, "zh"),
            t.participants,
            *_count_values(t.counts),
            t.rate if t.status != "cancelled" else None,
            "",
        )
        for i, t in enumerate(summary.sessions, start=1)
    )
    out = [Ledger(f"{summary.title} 各场次出勤（{period}）", org, session_columns, sessions, "场次")]
    if summary.kind == "lecture" and summary.topics:
        topic_columns = (Column("专题"), Column("场次数", "int"), *_count_columns(), Column("出勤率", "rate"))
        topics = tuple(
            (t.topic or "（未定）", t.sessions, *_count_values(t.counts), t.rate) for t in summary.topics
        )
        out.append(Ledger(f"{summary.title} 各专题出勤（{period}）", org, topic_columns, topics, "专题"))
    if summary.attendees:
        who_columns = (
            Column("序号", "int"),
            Column("单位"),
            Column("姓名"),
            Column("职务"),
            Column("考勤"),
            Column("是否成行"),
            Column(REMARKS, min_width=12),
        )
        who = tuple(
            (
                i,
                a.unit_name,
                a.cadre_name,
                a.post_title,
                label("status", a.status, "zh"),
                "是" if a.went else "否",
                "",
            )
            for i, a in enumerate(summary.attendees, start=1)
        )
        out.append(Ledger(f"{summary.title} 参加人员", org, who_columns, who, "人员"))
    return out


# ---------------------------------------------------------------- XLSX
@dataclass
class _Widths:
    values: list[int] = field(default_factory=list)

    def see(self, index: int, width: int) -> None:
        while len(self.values) <= index:
            self.values.append(0)
        self.values[index] = max(self.values[index], width)


def _write_sheet(ws: Worksheet, ledger: Ledger, rows: Sequence[tuple[Any, ...]], title: str) -> None:
    ncols = len(ledger.columns)
    last = get_column_letter(ncols)
    ws.append([safe(title)])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    ws.append([safe(ledger.subtitle or "") + ("　" if ledger.subtitle else "") + f"共 {len(rows)} 行"])
    ws.merge_cells(f"A2:{last}2")
    ws["A2"].alignment = Alignment(horizontal="right")
    header_row = 3
    ws.append([c.header for c in ledger.columns])
    widths = _Widths()
    for i, column in enumerate(ledger.columns):
        cell = ws.cell(row=header_row, column=i + 1)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BOX
        widths.see(i, max(value_width(column.header), column.min_width))
    for row in rows:
        ws.append([safe(v) for v in row])
        r = ws.max_row
        for i, column in enumerate(ledger.columns):
            cell = ws.cell(row=r, column=i + 1)
            cell.border = BOX
            if column.kind == "date":
                cell.number_format = "yyyy-mm-dd"
            elif column.kind == "datetime":
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif column.kind in ("rate", "change"):
                cell.number_format = "0.0%" if column.kind == "rate" else "+0.0%;-0.0%;0.0%"
                if row[i] is None:
                    cell.value = "—"
                    cell.alignment = Alignment(horizontal="right")
            widths.see(i, value_width(row[i]))
    for i, width in enumerate(widths.values):
        ws.column_dimensions[get_column_letter(i + 1)].width = min(max(width + 2, 6), 60)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if ncols > 8 else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"


def write_xlsx(ledgers: Ledger | Sequence[Ledger], path: str | Path, *, per_unit: bool = False) -> Path:
    """Write one sheet per ledger; with `per_unit`, ledgers that have a group column get one sheet per
    group (e.g. per unit) after a sheet with everything."""
    items = [ledgers] if isinstance(ledgers, Ledger) else list(ledgers)
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    used: set[str] = set()
    for ledger in items:
        ws = wb.create_sheet(sheet_title(ledger.sheet_name, used))
        _write_sheet(ws, ledger, ledger.rows, ledger.title)
        if per_unit and ledger.group_column is not None:
            groups: dict[str, list[tuple[Any, ...]]] = {}
            for row in ledger.rows:
                groups.setdefault(str(row[ledger.group_column]), []).append(row)
            for name, rows in groups.items():
                numbered = [
                    (i, *row[1:]) if ledger.columns[0].header == "序号" else row
                    for i, row in enumerate(rows, start=1)
                ]
                ws = wb.create_sheet(sheet_title(name, used))
                _write_sheet(ws, ledger, numbered, f"{name} {ledger.title}")
    target = Path(path)
    with replacing(target) as tmp:
        wb.save(tmp)
    return target


# ---------------------------------------------------------------- CSV
def _csv_value(value: Any, column: Column) -> Any:
    if value is None:
        return "" if column.kind not in ("rate", "change") else "—"
    if column.kind == "rate":
        return format_rate(value)
    if column.kind == "change":
        return f"{value * 100:+.1f}%"
    if isinstance(value, datetime):
        return format_local(value)
    if isinstance(value, date):
        return value.isoformat()
    return safe(value)


def write_csv(ledger: Ledger, path: str | Path, *, bom: bool = False) -> Path:
    """UTF-8 CSV, header then rows (no title row, so it reads back as a table). `bom` for Excel on Chinese
    Windows, which otherwise takes the file for GBK."""
    target = Path(path)
    with replacing(target) as tmp, tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.header for c in ledger.columns])
        for row in ledger.rows:
            writer.writerow([_csv_value(v, c) for v, c in zip(row, ledger.columns, strict=True)])
    return target
