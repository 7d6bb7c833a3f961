"""学时 as the office keeps it on paper: the year's ledger (台账) and the dossier per cadre (一人一档).

The ledger reuses `sheets.ledger` (title row, frozen header, fitted widths, CSV); the dossier is a printable
A4 sheet per cadre. Every user string goes through `cells.safe` (formulas neutralised); files are written
through a temporary file and left readable by the owner only (personal data).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zhijin_training.i18n import label
from zhijin_training.services.hours import Dossier, LedgerRow, UnitLedgerRow
from zhijin_training.sheets.cells import BOX, replacing, safe, sheet_title, value_width
from zhijin_training.sheets.ledger import Column, Ledger, write_csv, write_xlsx

_FILL = PatternFill("solid", fgColor="DDEBF7")


def _private(path: Path) -> Path:
    os.chmod(path, 0o600)
    return path


def cadre_hours_ledger(
    rows: Sequence[LedgerRow], year: int, *, org: str = "", behind: bool = False
) -> Ledger:
    columns = (
        Column("序号", "int"),
        Column("单位"),
        Column("姓名"),
        Column("职务"),
        Column("职级"),
        Column("集中学时"),
        Column("集中天数"),
        Column("网络学时"),
        Column("年度目标"),
        Column("网络目标"),
        Column("缺口"),
        Column("网络缺口"),
        Column("至今应完成"),
        Column("落后"),
        Column("五年累计"),
        Column("待认定", "int"),
        Column("备注", min_width=12),
    )
    data = tuple(
        (
            i,
            r.unit,
            r.name,
            r.post_title,
            label("rank", r.rank, "zh"),
            r.centralised_hours,
            r.centralised_days,
            r.online_hours,
            r.target,
            r.online_target,
            r.shortfall,
            r.online_shortfall,
            r.due,
            r.behind_by,
            "" if r.five_year_hours is None else f"{r.five_year_hours:g}/{r.five_year_target:g}",
            r.pending,
            "",
        )
        for i, r in enumerate(rows, start=1)
    )
    title = f"{year}年干部教育培训学时台账" + ("（未达进度）" if behind else "")
    return Ledger(title, org, columns, data, "学时台账", 1)


def unit_hours_ledger(rows: Sequence[UnitLedgerRow], year: int, *, org: str = "") -> Ledger:
    columns = (
        Column("序号", "int"),
        Column("单位"),
        Column("干部数", "int"),
        Column("有目标", "int"),
        Column("未达进度", "int"),
        Column("集中学时"),
        Column("网络学时"),
        Column("年度目标"),
        Column("缺口"),
        Column("网络缺口"),
    )
    data = tuple(
        (
            i,
            r.unit,
            r.cadres,
            r.with_target,
            r.behind,
            r.centralised_hours,
            r.online_hours,
            r.target,
            r.shortfall,
            r.online_shortfall,
        )
        for i, r in enumerate(rows, start=1)
    )
    return Ledger(f"{year}年各单位干部学时完成情况", org, columns, data, "单位学时")


def write_ledger(ledger: Ledger, path: str | Path, *, per_unit: bool = False) -> Path:
    target = Path(path)
    if target.suffix.lower() == ".csv":
        return _private(write_csv(ledger, target, bom=True))
    return _private(write_xlsx([ledger], target, per_unit=per_unit))


# ---------------------------------------------------------------- dossier
def _cell(
    ws: Worksheet, row: int, column: int, value: Any, *, bold: bool = False, fill: bool = False
) -> None:
    cell = ws.cell(row=row, column=column, value=safe(value))
    cell.border = BOX
    cell.alignment = Alignment(vertical="center", wrap_text=True)
    if bold:
        cell.font = Font(bold=True)
    if fill:
        cell.fill = _FILL


def _table(ws: Worksheet, row: int, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    for i, header in enumerate(headers, start=1):
        _cell(ws, row, i, header, bold=True, fill=True)
    for r in rows:
        row += 1
        for i, value in enumerate(r, start=1):
            _cell(ws, row, i, value)
    return row + 2


def _heading(ws: Worksheet, row: int, text: str) -> int:
    ws.cell(row=row, column=1, value=text).font = Font(bold=True, size=12)
    return row + 1


_STATE = {"submitted": "待认定", "recognised": "已认定", "rejected": "不予认定"}


def _dossier_sheet(ws: Worksheet, d: Dossier, org: str) -> None:
    ncols = 8
    ws.cell(row=1, column=1, value="干部教育培训档案").font = Font(bold=True, size=16)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.cell(row=2, column=1, value=safe(f"{org}　截至 {d.as_of.isoformat()}"))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
    ws["A2"].alignment = Alignment(horizontal="right")
    info = [
        ("姓名", d.name, "性别", d.gender, "民族", d.ethnicity, "出生年月", d.birth_month),
        (
            "学历",
            d.education,
            "政治面貌",
            d.political_status,
            "职级",
            label("rank", d.rank, "zh"),
            "人员编号",
            d.ref or "",
        ),
        ("单位", d.unit, "职务", d.post_title, "", "", "", ""),
    ]
    row = 4
    for line in info:
        for i, value in enumerate(line, start=1):
            _cell(ws, row, i, value, bold=i % 2 == 1, fill=i % 2 == 1 and bool(value))
        row += 1
    row += 1
    row = _heading(ws, row, "一、学时统计")
    first, last = d.five_year_window
    years = [
        (
            y.year,
            y.centralised_hours,
            y.centralised_days,
            y.online_hours,
            y.target,
            y.online_target,
            y.shortfall,
        )
        for y in d.years
    ]
    row = _table(ws, row, ("年度", "集中学时", "集中天数", "网络学时", "集中目标", "网络目标", "缺口"), years)
    ws.cell(row=row - 1, column=1, value=f"{first}—{last} 年集中学时合计：{d.five_year_hours:g}")
    row += 1
    row = _heading(ws, row, "二、培训记录")
    items = [
        (
            i.day.isoformat(),
            i.last_day.isoformat() if i.last_day != i.day else "",
            label("programme_kind", i.kind, "zh")
            if i.source == "session"
            else label("train_source", i.kind, "zh"),
            i.title,
            i.organiser,
            label("status", i.status, "zh") if i.source == "session" else _STATE.get(i.status or "", ""),
            i.hours,
            i.days,
        )
        for i in d.items
    ]
    row = _table(
        ws, row, ("日期", "至", "类别", "项目／课程", "主办单位", "考勤／认定", "学时", "天数"), items
    )
    row = _heading(ws, row, "三、任职经历")
    posts = [
        (p.start.isoformat(), p.end.isoformat() if p.end else "至今", p.unit, p.post_title) for p in d.posts
    ]
    row = _table(ws, row, ("起", "止", "单位", "职务"), posts)
    row = _heading(ws, row, "四、职级")
    ranks = [
        (r.start.isoformat(), r.end.isoformat() if r.end else "至今", label("rank", r.rank, "zh"))
        for r in d.ranks
    ]
    _table(ws, row, ("起", "止", "职级"), ranks)
    widths = [12, 12, 10, 30, 18, 10, 8, 8]
    for i, width in enumerate(widths, start=1):
        seen = max((value_width(c.value) for c in ws[get_column_letter(i)] if c.row > 3), default=0)
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, seen + 2), 40)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"


def write_dossiers(dossiers: Sequence[Dossier], path: str | Path, *, org: str = "") -> Path:
    """One sheet per cadre (a unit's file has one per person), printable on A4."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    used: set[str] = set()
    for d in dossiers:
        _dossier_sheet(wb.create_sheet(sheet_title(d.name, used)), d, org)
    if not dossiers:
        wb.create_sheet("档案")
    target = Path(path)
    with replacing(target) as tmp:
        wb.save(tmp)
    return _private(target)
