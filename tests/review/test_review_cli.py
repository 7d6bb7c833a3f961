"""Regression tests from a code review: bad CLI input that used to end in a traceback, and a failing command
that used to write anyway (all fixed)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

EXE = shutil.which("zhijin-training", path=str(Path(sys.executable).parent)) or "zhijin-training"


def run(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        "ZHIJIN_TRAINING_USER": "clerk",
        "ZHIJIN_TRAINING_CONFIG": "/nonexistent.toml",
        "COLUMNS": "160",
        **(env or {}),
    }
    return subprocess.run([EXE, "--db", str(db), *args], capture_output=True, text=True, env=full, timeout=60)


def one_clear_line(proc: subprocess.CompletedProcess[str]) -> bool:
    return (
        proc.returncode == 1 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    )


def _rows(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_repeat_interval_zero_is_one_line(demo_path: Path) -> None:
    proc = run(
        demo_path, "sessions", "add", "--programme", "织金大讲堂", "--start", "2026-12-04 15:00",
        "--end", "2026-12-04 17:00", "--repeat", "weekly", "--interval", "0", "--until", "2026-12-31",
    )  # fmt: skip
    assert one_clear_line(proc), proc.stderr[-400:]


def test_year_one_is_one_line(demo_path: Path) -> None:
    proc = run(
        demo_path, "sessions", "add", "--programme", "织金大讲堂",
        "--start", "0001-01-01 00:00", "--end", "0001-01-01 02:00",
    )  # fmt: skip
    assert one_clear_line(proc), proc.stderr[-400:]


def test_bad_threshold_in_config_is_one_line(demo_path: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[reports]\nthreshold = "abc"\n', encoding="utf-8")
    proc = run(demo_path, "units", "list", env={"ZHIJIN_TRAINING_CONFIG": str(config)})
    assert one_clear_line(proc), proc.stderr[-400:]


def test_participants_add_and_remove_is_all_or_nothing(demo_path: Path) -> None:
    assert run(demo_path, "cadres", "add", "评审测试", "--unit", "茶店").returncode == 0
    before = _rows(demo_path, "select count(*) from participant where session_id = 1")
    # #1 has attendance recorded in the held session 1, so the removal is refused
    proc = run(demo_path, "sessions", "participants", "1", "--add", "评审测试", "--remove", "#1")
    assert proc.returncode == 1
    assert _rows(demo_path, "select count(*) from participant where session_id = 1") == before
