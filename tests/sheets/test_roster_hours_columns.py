"""Roster import keeps 职级 (as a rank with dates) and the columns every office roster has; unknown columns
are shown as ignored, never a reason to refuse the file."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

from tests.conftest import FIXED_NOW
from zhijin_training.models import Cadre
from zhijin_training.services import hours, roster
from zhijin_training.services.context import Context
from zhijin_training.sheets import roster_io

OFFICE_HEADER = "序号,姓名,性别,民族,出生年月,籍贯,学历,政治面貌,单位,职务,职级,联系电话,备注"


def _write(path: Path, lines: list[str]) -> Path:
    path.write_bytes("\r\n".join(lines).encode("gb18030") + b"\r\n")
    return path


def test_gb18030_office_roster_with_gender_and_rank_imports(ctx: Context, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "名册.csv",
        [
            "织金县干部名册",
            OFFICE_HEADER,
            "1,张伟,男,汉族,1975.03,贵州织金,大学,中共党员,城关镇,镇党委书记,正科级,13800000001,",
            "2,李娜,女,苗族,1982.11,贵州织金,研究生,中共党员,城关镇,镇党委副书记,副处级,,",
        ],
    )
    preview = roster_io.preview_import(ctx, path)
    assert preview.errors == []
    assert preview.ignored == ["F 籍贯"]
    assert len(preview.new) == 2
    roster_io.apply_import(ctx, preview)
    with ctx.db.read() as s:
        zhang = s.get(Cadre, roster.resolve_cadre(ctx, "张伟").id)
        assert zhang is not None
        assert (
            zhang.gender,
            zhang.ethnicity,
            zhang.birth_month,
            zhang.education,
            zhang.political_status,
        ) == (
            "男",
            "汉族",
            "1975.03",
            "大学",
            "中共党员",
        )
    li = roster.resolve_cadre(ctx, "李娜")
    assert [s.rank for s in hours.rank_history(ctx, li.id)] == ["county_division"]
    # importing again changes nothing; a promotion in a later roster starts a new rank period today
    again = roster_io.preview_import(ctx, path)
    assert len(again.unchanged) == 2
    promoted = _write(
        tmp_path / "名册2.csv",
        [
            OFFICE_HEADER,
            "1,张伟,男,汉族,1975.03,贵州织金,大学,中共党员,城关镇,镇党委书记,副处级,13800000001,",
        ],
    )
    later = dataclasses.replace(ctx, clock=lambda: FIXED_NOW + timedelta(days=30))
    plan = roster_io.preview_import(later, promoted)
    assert plan.changed[0].changes["rank"] == ("township_section", "county_division")
    roster_io.apply_import(later, plan)
    spans = hours.rank_history(ctx, roster.resolve_cadre(ctx, "张伟").id)
    assert [s.rank for s in spans] == ["township_section", "county_division"]
    assert (spans[0].end, spans[1].start) == (date(2026, 12, 23), date(2026, 12, 24))


def test_unknown_rank_is_a_row_error(ctx: Context, tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", ["姓名,单位,职级", "王五,城关镇,将军"])
    preview = roster_io.preview_import(ctx, path)
    assert [(e.row, e.column) for e in preview.errors] == [(2, "C 职级")]
