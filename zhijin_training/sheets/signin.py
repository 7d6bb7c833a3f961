"""The printable sign-in sheet (签到表) of one session: A4 portrait, one row per participant, by unit."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.page import PageMargins

from zhijin_training.services import attendance
from zhijin_training.services.context import Context
from zhijin_training.services.views import SessionView
from zhijin_training.sheets.cells import BOX, replacing, safe
from zhijin_training.timeutil import format_local, local_date

HEADERS = ("序号", "单位", "姓名", "职务", "签名", "备注")
# widths in characters, summing to about what fits across A4 portrait at 100%
WIDTHS = (6, 24, 11, 26, 18, 10)
HEADER_ROW = 5
ROW_HEIGHT = 30  # points: room for a handwritten signature
_WEEKDAYS = "一二三四五六日"


def _when(session: SessionView) -> str:
    if session.all_day:
        first, last = session.first_day, session.last_day
        return first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"
    day = local_date(session.starts_at)
    return (
        f"{format_local(session.starts_at, '%Y年%m月%d日')}（星期{_WEEKDAYS[day.weekday()]}）"
        f"{format_local(session.starts_at, '%H:%M')}—{format_local(session.ends_at, '%H:%M')}"
    )


def write_signin_sheet(ctx: Context, session_id: int, path: str | Path) -> Path:
    sheet = attendance.session_attendance(ctx, session_id)
    session = sheet.session
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "签到表"
    last = "F"

    ws.append([safe(f"{session.title} 签到表")])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[1].height = 36
    details = [
        ("时间", _when(session)),
        ("地点", "；".join(v for v in (session.location, *session.branch_venues) if v)),
        ("专题", " ".join(v for v in (session.topic, session.speaker) if v)),
    ]
    for row, (name, value) in enumerate(details, start=2):
        ws.cell(row=row, column=1, value=name).font = Font(bold=True)
        ws.cell(row=row, column=2, value=safe(value))
        ws.merge_cells(f"B{row}:{last}{row}")
        ws.row_dimensions[row].height = 20
    for col, header in enumerate(HEADERS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=header)
        cell.font = Font(bold=True, size=12)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.border = BOX
    ws.row_dimensions[HEADER_ROW].height = 24
    for number, p in enumerate(sheet.participants, start=1):
        row = HEADER_ROW + number
        values = (number, p.unit_name, p.cadre_name, p.post_title, "", "")
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=safe(value))
            cell.border = BOX
            cell.font = Font(size=12)
            cell.alignment = Alignment(
                horizontal="center" if col in (1, 3) else "left", vertical="center", wrap_text=True
            )
        ws.row_dimensions[row].height = ROW_HEIGHT
    footer_row = HEADER_ROW + len(sheet.participants) + 2
    ws.cell(
        row=footer_row,
        column=1,
        value=f"应到 {len(sheet.participants)} 人　实到＿＿人　请假＿＿人　缺席＿＿人",
    )
    ws.merge_cells(f"A{footer_row}:{last}{footer_row}")
    ws.cell(row=footer_row + 1, column=1, value="记录人：＿＿＿＿＿＿　　　　核对人：＿＿＿＿＿＿")
    ws.merge_cells(f"A{footer_row + 1}:{last}{footer_row + 1}")

    for letter, width in zip("ABCDEF", WIDTHS, strict=True):
        ws.column_dimensions[letter].width = width
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    ws.print_area = f"A1:{last}{footer_row + 1}"
    target = Path(path)
    with replacing(target) as tmp:
        wb.save(tmp)
    return target
