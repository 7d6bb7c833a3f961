"""`notice` and `holidays` end to end: the real executable on a temporary database."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from docx import Document

from tests.cli.test_cli_e2e import _prepare, run
from tests.services.test_holidays import HOLIDAYS_2027_ICS


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    _prepare(path)
    return path


def test_notice_of_a_session_with_reply_slip(db: Path, tmp_path: Path) -> None:
    run(
        db,
        "sessions",
        "add",
        "--programme",
        "织金大讲堂",
        "--start",
        "2026-12-11 15:00",
        "--end",
        "2026-12-11 17:00",
        "--topic",
        "政策理论",
        "--location",
        "县委党校报告厅",
    )
    out = tmp_path / "exports" / "通知.docx"
    proc = run(db, "notice", "1", "-o", str(out), "--reply-slip")
    assert str(out) in proc.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    doc = Document(str(out))
    assert doc.paragraphs[0].text == "关于举办织金大讲堂“政策理论”专题讲座的通知"
    assert doc.tables[0].rows[0].cells[1].text == "单位"
    assert {r.cells[1].text for r in doc.tables[0].rows[1:]} == {"茶店布依族苗族彝族乡", "猫场镇"}
    # bad input: one line, nothing written
    bad = run(db, "notice", "99", "-o", str(tmp_path / "x.docx"), ok=False)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.docx").exists()


def test_absence_notice_of_a_quarter(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "通报.docx"
    run(db, "notice", "--absences", "--quarter", "2026Q4", "-o", str(out))
    doc = Document(str(out))
    assert doc.paragraphs[0].text == "关于2026年第四季度干部教育培训无故缺席情况的通报"
    assert any("无无故缺席情况" in p.text for p in doc.paragraphs)


def test_holidays_for_2027_and_the_sessions_on_them(db: Path, tmp_path: Path) -> None:
    listed = run(db, "holidays", "list", "--year", "2027")
    assert "2027 年的节假日尚未录入" in listed.stdout
    series = ("sessions", "add", "--programme", "织金大讲堂", "--start", "2027-01-01 15:00")
    refused = run(
        db, *series, "--end", "2027-01-01 17:00", "--repeat", "weekly", "--until", "2027-03-31", ok=False
    )
    assert refused.returncode == 1 and "2027" in refused.stderr and "跳过节假日" in refused.stderr
    run(
        db,
        *series,
        "--end",
        "2027-01-01 17:00",
        "--repeat",
        "weekly",
        "--until",
        "2027-03-31",
        "--keep-holidays",
        "--force",
    )
    ics = tmp_path / "cn-2027.ics"
    ics.write_text(HOLIDAYS_2027_ICS, encoding="utf-8")
    preview = run(db, "holidays", "import", str(ics), "--dry-run")
    assert "2027-02-14" in preview.stdout and "补班" in preview.stdout
    assert "2027-02-06" not in run(db, "holidays", "list", "--year", "2027").stdout  # dry run wrote nothing
    imported = run(db, "holidays", "import", str(ics), "--yes")
    assert "已排在这些假日的场次（2）" in imported.stdout
    assert "2027-01-01 15:00" in imported.stdout and "2027-02-12 15:00" in imported.stdout
    moved = run(db, "holidays", "clashes", "--year", "2027", "--move")
    # 2027-02-14 is a Sunday the office made a working day (补班): the next working day after 2027-02-12
    assert "2027-01-04 15:00" in moved.stdout and "2027-02-14 15:00" in moved.stdout
    assert "没有场次" in run(db, "holidays", "clashes", "--year", "2027").stdout
    run(db, "holidays", "workday", "2027-09-26", "--name", "国庆补班")
    added = run(db, "holidays", "add", "2027-10-01..2027-10-07", "--name", "国庆节")
    assert "已保存 7 天" in added.stdout
    table = run(db, "holidays", "list", "--year", "2027", "--json").stdout
    assert '"known": true' in table and "国庆补班" in table


def test_skipping_a_session_on_a_holiday_says_so_in_chinese(db: Path, tmp_path: Path) -> None:
    ics = tmp_path / "cn-2027.ics"
    ics.write_text(HOLIDAYS_2027_ICS, encoding="utf-8")
    run(db, "holidays", "import", str(ics), "--yes")
    run(
        db,
        *("sessions", "add", "--programme", "织金大讲堂", "--title", "假日专题讲座"),
        *("--start", "2027-02-08 15:00", "--end", "2027-02-08 17:00", "--force"),
    )
    assert "2027-02-08 15:00" in run(db, "holidays", "clashes", "--year", "2027").stdout
    skipped = run(db, "holidays", "clashes", "--year", "2027", "--skip").stdout
    assert "已略过（取消）" in skipped and "2027-02-08 15:00" in skipped and "cancelled" not in skipped
    assert "没有场次" in run(db, "holidays", "clashes", "--year", "2027").stdout
