"""XLSX/CSV ledgers and the sign-in sheet: layout, types, widths, formula neutralisation."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from zhijin_training.services import reports, roster
from zhijin_training.sheets import ledger
from zhijin_training.sheets.cells import text_width
from zhijin_training.sheets.signin import HEADER_ROW, write_signin_sheet

Q3 = (date(2026, 7, 1), date(2026, 9, 30))


def test_text_width_counts_cjk_double() -> None:
    assert text_width("abc") == 3 and text_width("城关镇") == 6 and text_width("Ａ1") == 3


def test_cadre_ledger_xlsx_layout_types_and_per_unit_sheets(world, tmp_path: Path) -> None:
    rows = reports.attendance_by_cadre(world.ctx, *Q3)
    path = ledger.write_xlsx(ledger.cadre_ledger(rows, *Q3, org="组织部"), tmp_path / "l.xlsx", per_unit=True)
    wb = load_workbook(path)
    assert wb.sheetnames == ["干部出勤", "城关镇", "桂果镇", "猫场镇", "县委组织部"]
    ws = wb["干部出勤"]
    assert ws["A1"].value == "干部参训出勤台账（2026-07-01 至 2026-09-30）"
    assert "A1:N1" in [str(r) for r in ws.merged_cells.ranges]
    assert ws.freeze_panes == "A4"
    assert [c.value for c in ws[3]][:4] == ["序号", "单位", "姓名", "职务"]
    rate = ws.cell(row=4, column=13)
    assert rate.value == 1.0 and rate.number_format == "0.0%"
    assert ws.cell(row=5, column=13).value == ws.cell(row=5, column=13).value  # B: 2/3 as a number
    assert abs(ws.cell(row=5, column=13).value - 2 / 3) < 1e-9
    assert ws.cell(row=3, column=14).value == "签字／备注"
    # widths fit the widest Chinese text of the column
    assert ws.column_dimensions["D"].width >= text_width("镇党委副书记（抓党建）")
    assert ws.page_setup.fitToWidth == 1 and ws.print_title_rows == "$3:$3"
    unit_sheet = wb["城关镇"]
    assert [unit_sheet.cell(row=r, column=3).value for r in (4, 5)] == ["甲一", "乙二"]
    assert unit_sheet.max_row == 5


def test_absence_ledger_has_real_local_datetimes(world, tmp_path: Path) -> None:
    groups = reports.absences(world.ctx, *Q3)
    path = ledger.write_xlsx(ledger.absence_ledger(groups, *Q3), tmp_path / "a.xlsx")
    ws = load_workbook(path).active
    when = ws.cell(row=4, column=5)
    assert when.value == datetime(2026, 8, 7, 15, 0)  # Zhijin wall time, a real date cell
    assert when.number_format == "yyyy-mm-dd hh:mm"


def test_review_ledger_has_ranking_and_below_sheets(world, tmp_path: Path) -> None:
    review = reports.quarterly_review(world.ctx, "2026Q3", threshold=0.8)
    wb = load_workbook(ledger.write_xlsx(ledger.review_ledgers(review), tmp_path / "r.xlsx"))
    assert wb.sheetnames == ["单位排名", "低于阈值"]
    ranking = wb["单位排名"]
    assert [ranking.cell(row=r, column=1).value for r in range(4, 8)] == [1, 1, 3, 4]
    assert ranking.cell(row=8, column=11).value == "—"  # no data: no rate
    assert wb["低于阈值"].cell(row=4, column=3).value == "丁四"


def test_formulas_are_neutralised_in_xlsx_and_csv(world, tmp_path: Path) -> None:
    evil = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"]
    for i, name in enumerate(evil):
        roster.update_cadre(world.ctx, [world.a, world.b, world.c, world.d][i], name=name)
    rows = reports.attendance_by_cadre(world.ctx, *Q3)
    sheet = ledger.cadre_ledger(rows, *Q3)
    ws = load_workbook(ledger.write_xlsx(sheet, tmp_path / "x.xlsx")).active
    names = [ws.cell(row=r, column=3).value for r in range(4, 8)]
    assert names == ["'" + n for n in evil]
    assert all(ws.cell(row=r, column=3).data_type == "s" for r in range(4, 8))
    text = ledger.write_csv(sheet, tmp_path / "x.csv", bom=True).read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    body = text.decode("utf-8-sig")
    for n in evil:
        assert f",'{n}," in body or f',"\'{n}",' in body.replace('""', '"')
    plain = ledger.write_csv(sheet, tmp_path / "y.csv").read_bytes()
    assert not plain.startswith(b"\xef\xbb\xbf") and "出勤率" in plain.decode("utf-8")


def test_signin_sheet(world, tmp_path: Path) -> None:
    path = write_signin_sheet(world.ctx, world.sessions["S3"], tmp_path / "s.xlsx")
    ws = load_workbook(path).active
    assert ws["A1"].value == "织金大讲堂 签到表"
    assert "2026年09月04日（星期五）15:00—17:00" in ws["B2"].value
    assert ws["B3"].value == "县委党校报告厅"
    assert [c.value for c in ws[HEADER_ROW]] == ["序号", "单位", "姓名", "职务", "签名", "备注"]
    units = [ws.cell(row=HEADER_ROW + i, column=2).value for i in range(1, 7)]
    assert units == [
        "城关镇",
        "城关镇",
        "桂果镇",
        "桂果镇",
        "猫场镇",
        "县委组织部",
    ]  # by unit, townships first
    assert ws.row_dimensions[HEADER_ROW + 1].height == 30
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToWidth == 1 and ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert ws.cell(row=HEADER_ROW + 1, column=5).border.left.style == "thin"
