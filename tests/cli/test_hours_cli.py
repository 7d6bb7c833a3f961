"""`hours …` and `dossier` end to end: the real executable on a copy of the demo database."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from openpyxl import load_workbook

from tests.cli.test_cli_e2e import EXE


def run(
    db: Path, *args: str, ok: bool = True, user: str = "clerk", config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ZHIJIN_TRAINING_USER": user,
        "ZHIJIN_TRAINING_CONFIG": str(config or "/nonexistent.toml"),
        "COLUMNS": "160",
    }
    proc = subprocess.run([EXE, "--db", str(db), *args], capture_output=True, text=True, env=env, timeout=60)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_report_json_fields_behind_and_files(demo_path: Path, tmp_path: Path) -> None:
    rows = json.loads(run(demo_path, "hours", "report", "--year", "2026", "--format", "json").stdout)
    assert len(rows) == 88
    first = rows[0]
    for key in (
        "cadre_id",
        "name",
        "unit",
        "rank",
        "centralised_hours",
        "online_hours",
        "target",
        "shortfall",
    ):
        assert key in first
    behind = json.loads(run(demo_path, "hours", "report", "--year", "2026", "--behind", "-f", "json").stdout)
    assert 0 < len(behind) < len(rows)
    assert all(r["behind_by"] > 0 or r["online_behind_by"] > 0 for r in behind)
    assert behind[0]["behind_by"] == max(r["behind_by"] for r in behind)
    out = tmp_path / "ledger.xlsx"
    run(demo_path, "hours", "report", "--year", "2026", "-o", str(out))
    assert out.stat().st_mode & 0o077 == 0
    ws = load_workbook(out).worksheets[0]
    assert ws["A1"].value == "2026年干部教育培训学时台账"
    units = json.loads(run(demo_path, "hours", "report", "--by", "unit", "-f", "json").stdout)
    assert sum(u["cadres"] for u in units) == 88
    over = json.loads(run(demo_path, "hours", "leave-over", "--year", "2026", "--json").stdout)
    assert [(r["total_hours"], r["leave_hours"], r["limit_hours"]) for r in over] == [(30.0, 12.0, 4.29)]
    bad = run(demo_path, "hours", "report", "--format", "pdf", ok=False)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1


def test_add_recognise_reject_and_the_role(demo_path: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[roles]\nadmins = ["boss"]\neditors = ["clerk"]\n', encoding="utf-8")
    added = run(
        demo_path,
        "hours",
        "add",
        "DEMO0002",
        "--course",
        '=HYPERLINK("x")班',
        "--organiser",
        "市委组织部",
        "--from",
        "2026-06-01",
        "--to",
        "2026-06-03",
        "--hours",
        "24",
        "--category",
        "centralised",
        "--evidence",
        "证书 001",
        config=config,
    )
    record_id = added.stdout.split()[0].lstrip("#")
    before = json.loads(run(demo_path, "hours", "report", "-f", "json", config=config).stdout)
    denied = run(demo_path, "hours", "recognise", record_id, config=config, ok=False)
    assert denied.returncode == 1 and "hours" not in denied.stdout
    run(demo_path, "hours", "recognise", record_id, user="boss", config=config)
    after = json.loads(run(demo_path, "hours", "report", "-f", "json", config=config).stdout)
    was = next(r for r in before if r["ref"] == "DEMO0002")
    now = next(r for r in after if r["ref"] == "DEMO0002")
    assert now["centralised_hours"] == was["centralised_hours"] + 24
    other = (
        run(
            demo_path,
            "hours",
            "add",
            "DEMO0002",
            "--course",
            "另一班",
            "--from",
            "2026-06-10",
            "--hours",
            "6",
            config=config,
        )
        .stdout.split()[0]
        .lstrip("#")
    )
    run(demo_path, "hours", "reject", other, "--reason", "无证明材料", user="boss", config=config)
    listed = json.loads(run(demo_path, "hours", "list", "--json").stdout)
    assert {r["id"]: r["state"] for r in listed}[int(other)] == "rejected"
    bad = run(
        demo_path,
        "hours",
        "add",
        "DEMO0002",
        "--course",
        "x",
        "--from",
        "2026-06-10",
        "--to",
        "2026-06-01",
        "--hours",
        "6",
        ok=False,
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


def test_import_all_or_nothing_then_dossier(demo_path: Path, tmp_path: Path) -> None:
    header = "姓名,人员编号,课程名称,开始日期,结束日期,学时,类别,籍贯"
    bad = tmp_path / "academy.csv"
    bad.write_text(
        "\n".join(
            [
                header,
                ",DEMO0004,网络必修课,2026-03-01,2026-05-01,20,网络,贵州",
                ",DEMO0005,网络必修课,2026-03-01,2026-05-01,很多,网络,",
            ]
        )
        + "\n",
        encoding="gb18030",
    )
    count = len(json.loads(run(demo_path, "hours", "list", "--json").stdout))
    proc = run(demo_path, "hours", "import", str(bad), "--yes", ok=False)
    assert proc.returncode == 1 and "3" in proc.stdout  # row 3 is named
    assert "H 籍贯" in proc.stdout
    assert len(json.loads(run(demo_path, "hours", "list", "--json").stdout)) == count
    good = tmp_path / "academy2.csv"
    good.write_text(
        "\n".join(
            [
                header,
                ",DEMO0004,网络必修课,2026-03-01,2026-05-01,20,网络,",
                ",DEMO0005,网络必修课,2026-03-01,2026-05-01,12,网络,",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    run(demo_path, "hours", "import", str(good), "--yes")
    assert len(json.loads(run(demo_path, "hours", "list", "--json").stdout)) == count + 2
    again = run(demo_path, "hours", "import", str(good), "--yes")
    assert "没有需要新增的记录" in again.stdout  # the interface language: Chinese by default
    one = tmp_path / "one.xlsx"
    run(demo_path, "dossier", "DEMO0004", "-o", str(one))
    ws = load_workbook(one).worksheets[0]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "干部教育培训档案" in texts and "网络必修课" in texts
    assert one.stat().st_mode & 0o077 == 0
    unit = tmp_path / "unit.xlsx"
    run(demo_path, "dossier", "--unit", "城关镇", "-o", str(unit))
    assert len(load_workbook(unit).worksheets) == 2
    neither = run(demo_path, "dossier", "-o", str(unit), ok=False)
    assert neither.returncode == 1
