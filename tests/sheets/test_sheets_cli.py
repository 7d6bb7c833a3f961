"""`report`, `signin` and `roster` end to end through the CLI, on a temp copy of the demo database."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from zhijin_training.cli.main import app

runner = CliRunner()


def run(db: Path, *args: str, input: str | None = None):
    return runner.invoke(app, ["--db", str(db), *args], input=input, catch_exceptions=False)


def test_report_review_json_and_table(demo_path: Path) -> None:
    result = run(demo_path, "report", "review", "--quarter", "2026Q3", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["quarter"] == "2026Q3" and len(data["rows"]) == 32
    assert data["rows"][0]["rank"] == 1 and data["threshold"] == 0.8
    table = run(demo_path, "report", "review", "-q", "2026Q3")
    assert table.exit_code == 0 and "季度讲评" in table.output and "█" in table.output


def test_report_attendance_xlsx_csv_and_unit(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "l.xlsx"
    assert (
        run(demo_path, "report", "attendance", "--year", "2026", "-o", str(out), "--per-unit").exit_code == 0
    )
    assert len(load_workbook(out).sheetnames) > 30
    csv_out = tmp_path / "u.csv"
    result = run(
        demo_path,
        "report",
        "attendance",
        "--from",
        "2026-07-01",
        "--to",
        "2026-09-30",
        "--by",
        "unit",
        "-o",
        str(csv_out),
        "--bom",
    )
    assert result.exit_code == 0
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")
    bad = run(demo_path, "report", "attendance", "--from", "2026-09-30", "--to", "2026-07-01")
    assert bad.exit_code == 1 and "错误 error: --to：2026-07-01 不晚于 2026-09-30，结束须晚于开始" in bad.output


def test_report_absences_notice_and_programme(demo_path: Path) -> None:
    notice = run(demo_path, "report", "absences", "-q", "2026Q3", "--format", "text")
    assert notice.exit_code == 0 and notice.output.startswith("关于2026年7月1日至2026年9月30日")
    programme = run(demo_path, "report", "programme", "1", "--format", "json")
    assert programme.exit_code == 0 and json.loads(programme.output)["kind"] == "lecture"


def test_signin_command(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.xlsx"
    result = run(demo_path, "signin", "1", "-o", str(out))
    assert result.exit_code == 0 and out.exists()
    assert load_workbook(out).active["A1"].value.endswith("签到表")


def test_roster_export_import_round_trip_and_confirmation(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    assert run(demo_path, "roster", "export", str(out)).exit_code == 0
    same = run(demo_path, "roster", "import", str(out))
    assert same.exit_code == 0 and "没有需要更改的内容" in same.output
    new = tmp_path / "new.csv"
    new.write_text("姓名,单位,职务\n新人甲,城关镇,镇长\n", encoding="utf-8")
    refused = run(demo_path, "roster", "import", str(new), input="")
    assert refused.exit_code == 1 and "--yes" in refused.output
    done = run(demo_path, "roster", "import", str(new), "--yes")
    assert done.exit_code == 0 and "新增 1，" in done.output
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,单位,电话\n某人,没有这个乡,123\n", encoding="utf-8")
    failed = run(demo_path, "roster", "import", str(bad), "--yes")
    assert failed.exit_code == 1 and "未写入任何内容" in failed.output and "没有这个乡" in failed.output


def test_outputs_go_into_new_folders_and_are_not_world_readable(tmp_path: Path) -> None:
    from zhijin_training.sheets.cells import replacing

    target = tmp_path / "new" / "folder" / "台账.csv"
    with replacing(target) as tmp:
        tmp.write_text("a,b\n", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "a,b\n"
    assert oct(target.stat().st_mode & 0o777) == "0o640"
    assert [p.name for p in target.parent.iterdir()] == ["台账.csv"]  # no temporary file left behind
