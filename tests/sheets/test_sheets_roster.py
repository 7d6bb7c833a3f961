"""Roster import/export: encodings, title rows, merged cells, row-numbered errors, all or nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from tests.errors import raises_code
from zhijin_training.services import audit, roster
from zhijin_training.services.context import Context
from zhijin_training.services.errors import PermissionDenied, ValidationError
from zhijin_training.sheets import roster_io
from zhijin_training.sheets.roster_io import RosterFileError

HEADER = "人员编号,姓名,单位,职务,角色,电话,备注"
ROWS = [
    "R01,张伟,城关镇,镇党委书记,乡镇党委书记,13800000001,",
    "R02,李娜,城关镇,镇党委副书记（抓党建）,党委副书记（抓党建）,0857-7621234,新任",
    ",张伟,猫场镇,镇党委书记,township_secretary,,同名不同人",
]


def dump(ctx: Context) -> str:
    with ctx.db.engine.connect() as conn:
        return "\n".join(conn.connection.iterdump())  # type: ignore[attr-defined]


def write_csv(path: Path, lines: list[str], encoding: str) -> Path:
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_with_title_row_import_and_reimport_is_a_no_op(
    ctx: Context, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(tmp_path / "r.csv", ["织金县干部名册（2026年）,,,", "", HEADER, *ROWS], encoding)
    preview = roster_io.preview_import(ctx, path)
    assert preview.errors == []
    assert [(p.row, p.action, p.name, p.unit_name) for p in preview.plans] == [
        (4, "new", "张伟", "城关镇"),
        (5, "new", "李娜", "城关镇"),
        (6, "new", "张伟", "猫场镇"),
    ]
    result = roster_io.apply_import(ctx, preview)
    assert (result.added, result.changed, result.unchanged) == (3, 0, 0)
    people = {(c.name, c.unit_name, c.role, c.phone) for c in roster.list_cadres(ctx)}
    assert ("李娜", "城关镇", "deputy_party_building", "0857-7621234") in people
    assert ("张伟", "猫场镇", "township_secretary", "") in people
    entries = audit.list_entries(ctx, entity="cadre")
    assert len(entries) == 3 and all(e.reason == "roster import r.csv" for e in entries)
    before = dump(ctx)
    again = roster_io.preview_import(ctx, path)
    assert [p.action for p in again.plans] == ["unchanged"] * 3
    assert roster_io.apply_import(ctx, again).added == 0
    assert dump(ctx) == before


def test_xlsx_title_rows_merged_cells_and_any_column_order(ctx: Context, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["2026年织金县乡镇干部名册"])
    ws.merge_cells("A1:F1")
    ws.append(["填报单位：县委组织部"])
    ws.append(["序号", "单位", "姓名", "电话", "职务", "角色"])
    ws.append([1, "茶店布依族苗族彝族乡", "王芳", 13800000002, "乡党委书记", "乡镇党委书记"])
    ws.append([2, None, "赵强", "13800000003", "乡党委副书记（抓党建）", "党委副书记（抓党建）"])
    ws.merge_cells("B4:B5")  # one unit cell for both people
    ws.append([3, None, None, None, None, None])  # a numbered blank line at the bottom of a form
    path = tmp_path / "r.xlsx"
    wb.save(path)
    preview = roster_io.preview_import(ctx, path)
    assert preview.errors == []
    assert [(p.row, p.name, p.unit_name, p.values["phone"]) for p in preview.plans] == [
        (4, "王芳", "茶店布依族苗族彝族乡", "13800000002"),
        (5, "赵强", "茶店布依族苗族彝族乡", "13800000003"),
    ]


def test_broken_file_is_refused_row_by_row_and_nothing_written(ctx: Context, tmp_path: Path) -> None:
    roster.add_cadre(ctx, name="张伟", unit="城关镇", ref="R01")
    lines = [
        "干部名册",
        HEADER + ",籍贯",
        "R01,张伟,城关镇,镇党委书记,乡镇党委书记,13800000001,,贵州",
        "R09,刘洋,不存在乡,乡长,,13800000009,,",
        "R01,张伟,城关镇,镇党委书记,乡镇党委书记,13800000001,,",
        "R10,,城关镇,镇长,,,,",
        "R11,陈静,城关镇,镇长,,call me,,",
        "R12,周杰,城关镇,镇长,校长,,,",
    ]
    path = write_csv(tmp_path / "bad.csv", lines, "utf-8-sig")
    before = dump(ctx)
    preview = roster_io.preview_import(ctx, path)
    messages = [(e.row, e.column.split(" ")[-1], e.code, e.params.get("field")) for e in preview.errors]
    assert messages == [
        (2, "籍贯", "roster.unknown_column", None),
        (4, "单位", "roster.unknown_unit", None),
        (5, "", "roster.duplicate_ref", None),
        (6, "姓名", "text.required", "name"),
        (7, "电话", "phone.invalid", "phone"),
        (8, "角色", "value.unknown", "role"),
    ]
    assert preview.errors[1].params == {"unit": "不存在乡"}
    assert str(preview.errors[1]) == "第 4 行 C 单位 列：未知单位「不存在乡」"  # where and what, in Chinese
    assert preview.errors[4].message == "电话：'call me' 不是电话号码（只能有数字、空格和「-」，可以 + 开头）"
    with raises_code(ValidationError, "roster.import_has_errors", count=6, file="bad.csv"):
        roster_io.apply_import(ctx, preview)
    assert dump(ctx) == before


def test_changed_unit_is_a_post_move_with_history(ctx: Context, tmp_path: Path) -> None:
    cadre = roster.add_cadre(
        ctx, name="张伟", unit="城关镇", post_title="镇长", ref="R01", since=date(2025, 1, 1)
    )
    path = write_csv(tmp_path / "r.csv", ["人员编号,姓名,单位,职务", "R01,张伟,猫场镇,镇党委书记"], "utf-8")
    preview = roster_io.preview_import(ctx, path)
    assert preview.changed[0].changes == {"post_title": ("镇长", "镇党委书记"), "unit": ("城关镇", "猫场镇")}
    result = roster_io.apply_import(ctx, preview)
    assert (result.changed, result.moved) == (1, 1)
    posts = roster.post_history(ctx, cadre.id)
    today = date(2026, 11, 24)
    assert [(p.unit_name, p.post_title, p.start_date, p.end_date) for p in posts] == [
        ("城关镇", "镇长", date(2025, 1, 1), today - timedelta(days=1)),
        ("猫场镇", "镇党委书记", today, None),
    ]


def test_round_trip_export_import_changes_nothing(ctx: Context, tmp_path: Path) -> None:
    roster.add_cadre(
        ctx,
        name="张伟",
        unit="城关镇",
        post_title="镇党委书记",
        role="township_secretary",
        phone="13800000001",
        ref="R01",
    )
    roster.add_cadre(ctx, name="张伟", unit="猫场镇", post_title="=1+1", note="@SUM(A1)")
    roster.add_cadre(
        ctx, name="-李", unit="县委组织部", post_title="+部长", role="department_head", note="两行\n备注"
    )
    before = dump(ctx)
    for name in ("r.xlsx", "r.csv"):
        path = roster_io.export_roster(ctx, tmp_path / name)
        preview = roster_io.preview_import(ctx, path)
        assert preview.errors == []
        assert [p.action for p in preview.plans] == ["unchanged"] * 3, preview.changed
        roster_io.apply_import(ctx, preview)
    assert dump(ctx) == before
    ws = load_workbook(tmp_path / "r.xlsx").active
    cells = [c.value for row in ws.iter_rows() for c in row]
    assert "'=1+1" in cells and "'@SUM(A1)" in cells and "'-李" in cells and "'+部长" in cells
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in cells)
    assert ws["A1"].value.startswith("干部名册") and ws.freeze_panes == "A3"
    raw = (tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"'=1+1" in raw


def test_only_admins_import(ctx: Context, tmp_path: Path) -> None:
    from zhijin_training.services.context import Actor

    path = write_csv(tmp_path / "r.csv", [HEADER, ROWS[0]], "utf-8")
    viewer = Context(db=ctx.db, actor=Actor("v", "editor"), settings=ctx.settings, clock=ctx.clock)
    with pytest.raises(PermissionDenied):
        roster_io.apply_import(viewer, roster_io.preview_import(viewer, path))


def test_unreadable_files(ctx: Context, tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with raises_code(RosterFileError, "roster.no_header", field="path", file="x.csv"):
        roster_io.preview_import(ctx, tmp_path / "x.csv")
    (tmp_path / "x.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with raises_code(RosterFileError, "roster.old_xls", file="x.xls"):
        roster_io.preview_import(ctx, tmp_path / "x.xls")
    (tmp_path / "y.xlsx").write_bytes(b"not a zip")
    with raises_code(RosterFileError, "roster.bad_xlsx", file="y.xlsx"):
        roster_io.preview_import(ctx, tmp_path / "y.xlsx")


def test_oversized_file_is_refused_before_reading(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "big.csv", [HEADER, *ROWS], "utf-8")
    monkeypatch.setattr(roster_io, "MAX_ROSTER_BYTES", 10)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read before the size check"))
    with raises_code(RosterFileError, "file.too_large", field="path", file="big.csv", limit_mb=0):
        roster_io.preview_import(ctx, path)
