"""The CLI end to end: the real `zhijin-training` executable on temporary databases."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ENGINES, pg_create, pg_drop

EXE = shutil.which("zhijin-training", path=str(Path(sys.executable).parent)) or "zhijin-training"


def run(db: Path | str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ZHIJIN_TRAINING_USER": "clerk",
        "ZHIJIN_TRAINING_CONFIG": "/nonexistent.toml",
        "COLUMNS": "160",
    }
    proc = subprocess.run([EXE, "--db", str(db), *args], capture_output=True, text=True, env=env, timeout=60)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def _prepare(db: Path | str) -> None:
    run(db, "init")
    run(db, "programmes", "add", "织金大讲堂", "--kind", "lecture", "--audience", "role:township_secretary")
    run(
        db,
        "cadres",
        "add",
        "王芳",
        "--unit",
        "茶店",
        "--post",
        "乡党委书记",
        "--role",
        "township_secretary",
        "--ref",
        "ZJ001",
    )
    run(
        db,
        "cadres",
        "add",
        "王芳",
        "--unit",
        "猫场镇",
        "--post",
        "镇党委书记",
        "--role",
        "township_secretary",
    )


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "base.db"
    _prepare(db)
    return db


@pytest.fixture(scope="module")
def pg_base(request: pytest.FixtureRequest, worker_id: str) -> str:
    admin = request.getfixturevalue("pg_admin")
    name = f"zt_cli_{worker_id}_{os.getpid()}"
    _prepare(pg_create(admin, name))
    return name


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """A prepared database on each engine under test: a SQLite file, or a PostgreSQL URL."""
    if request.param == "sqlite":
        yield Path(shutil.copyfile(request.getfixturevalue("base_db"), tmp_path / "zt.db"))
        return
    admin = request.getfixturevalue("pg_admin")
    template = request.getfixturevalue("pg_base")
    name = f"{template}_{tmp_path.name[-20:].replace('-', '_').lower()}"
    yield pg_create(admin, name, template)
    pg_drop(admin, name)


def digest(db: Path | str) -> str:
    """SQLite: the file's bytes. PostgreSQL: every row of every table, in order."""
    if isinstance(db, Path):
        return hashlib.sha256(db.read_bytes()).hexdigest()
    engine = sa.create_engine(db)
    h = hashlib.sha256()
    with engine.connect() as conn:
        for table in sorted(sa.inspect(conn).get_table_names()):
            rows = conn.exec_driver_sql(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
            h.update(repr((table, rows)).encode())
    engine.dispose()
    return h.hexdigest()


def test_init_lists_the_32_units(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    run(db, "init")
    units = json.loads(run(db, "units", "list", "--json").stdout)
    assert len(units) == 32
    assert "茶店布依族苗族彝族乡" in {u["name"] for u in units}
    assert run(db, "init").returncode == 0  # safe to run twice
    assert len(json.loads(run(db, "units", "list", "--json").stdout)) == 32


def test_session_attendance_round_trip(db: Path) -> None:
    out = run(
        db,
        "sessions",
        "add",
        "--programme",
        "织金大讲堂",
        "--start",
        "2026-11-20 15:00",
        "--end",
        "2026-11-20 17:00",
        "--topic",
        "政策理论",
        "--location",
        "县委党校报告厅",
    ).stdout
    assert "已添加场次 #1" in out
    run(
        db,
        "attendance",
        "mark",
        "1",
        "ZJ001",
        "on_leave",
        "--reason",
        "防汛值班",
        "--approved-by",
        "县委组织部",
    )
    run(db, "attendance", "mark", "1", "王芳@猫场", "出勤")
    shown = json.loads(run(db, "attendance", "show", "1", "--json").stdout)
    by_unit = {p["unit_name"]: p for p in shown["participants"]}
    assert by_unit["茶店布依族苗族彝族乡"]["status"] == "on_leave"
    assert by_unit["茶店布依族苗族彝族乡"]["leave_reason"] == "防汛值班"
    assert by_unit["猫场镇"]["status"] == "present"
    assert by_unit["猫场镇"]["recorded_by"] == "clerk"
    assert shown["counts"]["rate"] == 1.0
    sessions = json.loads(run(db, "sessions", "list", "--from", "2026-11-01", "--json").stdout)
    assert sessions[0]["starts_at"] == "2026-11-20T15:00:00+0800" and sessions[0]["topic"] == "政策理论"
    audit = json.loads(run(db, "audit", "list", "--session", "1", "--json").stdout)
    assert {e["entity"] for e in audit} >= {"session", "attendance"}


def test_recurring_series_and_cancel(db: Path) -> None:
    out = run(
        db,
        "sessions",
        "add",
        "--programme",
        "1",
        "--start",
        "2026-03-06 15:00",
        "--end",
        "2026-03-06 17:00",
        "--repeat",
        "weekly",
        "--interval",
        "2",
        "--until",
        "2026-12-31",
    ).stdout
    assert "已跳过法定节假日 2026-05-01" in out
    sessions = json.loads(run(db, "sessions", "list", "--json").stdout)
    assert len(sessions) >= 18 and all(s["series_id"] == 1 for s in sessions)
    run(db, "sessions", "cancel", str(sessions[3]["id"]), "--reason", "讲师有事")
    again = json.loads(run(db, "sessions", "list", "--json").stdout)
    assert again[3]["status"] == "cancelled" and again[3]["sequence"] == 1


def test_edit_following_from_cli(db: Path) -> None:
    run(
        db,
        "sessions",
        "add",
        "--programme",
        "1",
        "--start",
        "2026-03-06 15:00",
        "--end",
        "2026-03-06 17:00",
        "--repeat",
        "weekly",
        "--until",
        "2026-04-30",
    )
    run(db, "sessions", "edit", "3", "--scope", "following", "--start", "2026-03-20 14:00")
    times = [s["starts_at"][11:16] for s in json.loads(run(db, "sessions", "list", "--json").stdout)]
    assert times[:2] == ["15:00", "15:00"] and set(times[2:]) == {"14:00"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (
                "sessions",
                "add",
                "--programme",
                "1",
                "--start",
                "2026-02-30 15:00",
                "--end",
                "2026-02-30 17:00",
            ),
            "--start：'2026-02-30 15:00' 不是有效的日期时间（该月没有这一天）",
        ),
        (
            (
                "sessions",
                "add",
                "--programme",
                "1",
                "--start",
                "2026-12-04 17:00",
                "--end",
                "2026-12-04 15:00",
            ),
            "结束时间：2026-12-04 15:00 不晚于 2026-12-04 17:00",
        ),
        (
            (
                "sessions",
                "add",
                "--programme",
                "9",
                "--start",
                "2026-12-04 15:00",
                "--end",
                "2026-12-04 17:00",
            ),
            "培训项目 #9 不存在",
        ),
        (
            ("sessions", "add", "--programme", "1", "--start", "tomorrow", "--end", "2026-12-04 17:00"),
            "--start",
        ),
        (("attendance", "mark", "1", "ZJ001", "present"), "场次 #1 不存在"),
        (("cadres", "add", "x" * 10_000, "--unit", "茶店"), "姓名：10000 个字，最多 100 个"),
        (("cadres", "add", "\x1b[2J坏人", "--unit", "茶店"), "姓名：含有控制字符（U+001B）"),
        (("cadres", "add", "张三", "--unit", "火星乡"), "没有与「火星乡」相符的单位"),
        (("cadres", "list", "--unit", "苗族"), "「苗族」对应"),
        (("attendance", "show", "1"), "场次 #1 不存在"),
        (("sessions", "edit", "1", "--title", "x", "--version", "7"), "场次 #1 不存在"),
        (
            ("report", "attendance", "--format", "pdf"),
            "--format：未知的值 'pdf'（可用：table、csv、xlsx、json）",
        ),
        (("sessions", "add", "--programme", "1", "--repeat", "weekly"), "--repeat 需要 --until"),
    ],
)
def test_bad_input_one_line_nothing_written(db: Path, args: tuple[str, ...], message: str) -> None:
    before = digest(db)
    proc = run(db, *args, ok=False)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert message in lines[0]
    assert "Traceback" not in proc.stderr
    assert "\x1b[2J" not in proc.stderr  # a typed escape sequence is never sent to the terminal
    assert digest(db) == before  # byte for byte unchanged


def test_version_conflict_exits_non_zero(db: Path) -> None:
    run(db, "sessions", "add", "--programme", "1", "--start", "2026-12-04 15:00", "--end", "2026-12-04 17:00")
    run(db, "sessions", "edit", "1", "--topic", "招商引资", "--version", "1")
    before = digest(db)
    proc = run(db, "sessions", "edit", "1", "--topic", "旅游文化", "--version", "1", ok=False)
    assert proc.returncode == 1 and "clerk" in proc.stderr and "修改" in proc.stderr
    assert digest(db) == before


def test_conflict_warning_and_force(db: Path) -> None:
    run(db, "sessions", "add", "--programme", "1", "--start", "2026-12-04 15:00", "--end", "2026-12-04 17:00")
    proc = run(
        db,
        "sessions",
        "add",
        "--programme",
        "1",
        "--start",
        "2026-12-04 16:00",
        "--end",
        "2026-12-04 18:00",
        ok=False,
    )
    assert proc.returncode == 1 and "已有安排" in proc.stderr and "王芳" in proc.stderr
    assert "--force" in proc.stderr  # the CLI says how to save anyway
    run(
        db,
        "sessions",
        "add",
        "--programme",
        "1",
        "--start",
        "2026-12-04 16:00",
        "--end",
        "2026-12-04 18:00",
        "--force",
    )


def test_markup_in_names_is_printed_literally(db: Path) -> None:
    run(db, "cadres", "add", "[bold]张[/]", "--unit", "茶店")
    out = run(db, "cadres", "list", "--search", "张").stdout
    assert "[bold]张[/]" in out


def test_trip_with_itinerary(db: Path) -> None:
    run(
        db,
        "programmes",
        "add",
        "赴青州寿光参观学习",
        "--kind",
        "study_trip",
        "--destination",
        "青州",
        "--destination",
        "寿光",
    )
    run(
        db,
        "sessions",
        "add",
        "--programme",
        "赴青州寿光参观学习",
        "--first-day",
        "2026-10-12",
        "--last-day",
        "2026-10-14",
        "--stop",
        "2026-10-12:青州:农业园区",
        "--stop",
        "2026-10-13:寿光:蔬菜产业",
        "--participant",
        "ZJ001",
    )
    shown = json.loads(run(db, "sessions", "show", "1", "--json").stdout)
    assert shown["all_day"] is True and [i["place"] for i in shown["itinerary"]] == ["青州", "寿光"]
    assert shown["participant_count"] == 1


def test_backup_and_check(db: Path | str, tmp_path: Path) -> None:
    if not isinstance(db, Path):
        pytest.skip("backup copies SQLite files; PostgreSQL is backed up with pg_dump")
    db.chmod(0o640)  # copies made by shutil are world-readable; check would rightly complain
    run(db, "backup", str(tmp_path / "copy.db"))
    assert run(tmp_path / "copy.db", "units", "list", "--json").stdout.count('"name"') == 32
    assert oct((tmp_path / "copy.db").stat().st_mode & 0o777) in ("0o640", "0o600")
    assert "integrity: ok" in run(db, "check").stdout


def test_old_database_says_what_to_run(tmp_path: Path) -> None:
    from zhijin_training.db import Database, migrate

    path = tmp_path / "old.db"
    migrate.upgrade(Database(f"sqlite:///{path}"), "0001")
    proc = run(path, "units", "list", ok=False)
    assert proc.returncode == 1 and "db upgrade" in proc.stderr
    run(path, "db", "upgrade")
    run(path, "units", "list")


def test_missing_database_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "zt.db"
    for args in ((), ("units", "list")):
        proc = run(missing, *args, ok=False)
        assert proc.returncode == 1 and "init" in proc.stderr and "Traceback" not in proc.stderr
    assert not missing.parent.exists()


def test_messages_follow_the_chosen_language(db: Path) -> None:
    """Errors and our own messages: Chinese by default, English with --lang en, from the same codes."""
    zh = run(db, "attendance", "show", "9", ok=False)
    en = run(db, "--lang", "en", "attendance", "show", "9", ok=False)
    assert zh.stderr.strip() == "错误 error: 场次 #9 不存在"
    assert en.stderr.strip() == "错误 error: session #9 does not exist"
    bad_date = run(db, "--lang", "en", "sessions", "list", "--from", "2026-02-30", ok=False)
    assert "'2026-02-30' is not a real date (the month has no such day)" in bad_date.stderr
    added = run(db, "--lang", "en", "units", "add", "新设街道", "--kind", "township")
    assert added.stdout.startswith("added unit #")
    assert run(db, "units", "deactivate", "新设街道").stdout.startswith("已停用单位 #")
