"""`check` compares the maintained report tallies with the raw participant rows and names a difference."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli.test_cli_e2e import run


def test_check_names_a_tally_that_disagrees(tmp_path: Path) -> None:
    db = tmp_path / "zt.db"
    run(db, "init")
    db.chmod(0o640)
    clean = run(db, "--lang", "en", "check", ok=False).stdout
    assert "tally_quarter" not in clean and "report tallies match the records" in clean
    con = sqlite3.connect(db)
    con.execute(
        "INSERT INTO tally_quarter (period, cadre_id, unit_key, expected, present) VALUES (20263, 1, 0, 2, 2)"
    )
    con.commit()
    con.close()
    proc = run(db, "--lang", "en", "check", ok=False)
    assert proc.returncode == 1
    assert "tally_quarter" in proc.stdout and "20263" in proc.stdout and "#1" in proc.stdout


def test_check_names_a_per_cadre_tally_without_period_or_unit(tmp_path: Path) -> None:
    db = tmp_path / "zt.db"
    run(db, "init")
    db.chmod(0o640)
    con = sqlite3.connect(db)
    con.execute("INSERT INTO tally_cadre (cadre_id, expected, absent) VALUES (7, 3, 3)")
    con.commit()
    con.close()
    proc = run(db, "check", ok=False)  # the default language: Chinese
    assert proc.returncode == 1
    line = next(x for x in proc.stdout.splitlines() if "tally_cadre" in x)
    assert "干部 #7" in line and "3" in line
    assert "期间" not in line and "单位" not in line and "#-1" not in line
