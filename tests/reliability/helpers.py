"""Shared by the reliability tests: logical dumps, a big session, running the real CLI and worker processes."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path

from sqlmodel import select

from zhijin_training.models import Cadre, Post, Programme
from zhijin_training.services import schedule
from zhijin_training.services.context import Context
from zhijin_training.timeutil import LOCAL_TZ

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CLI = str(VENV_BIN / "zhijin-training")
WORKER = str(Path(__file__).with_name("worker.py"))
FIXED_NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order: 'the database is unchanged' means this is equal."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    finally:
        conn.close()


def checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def writer_gets_in_at_once(path: Path) -> bool:
    """No stale lock: a new writer takes the write lock without waiting at all."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def add_cadres(ctx: Context, n: int, prefix: str = "参训") -> list[int]:
    """Many cadres in one transaction (test set-up; the services add them one by one)."""
    with ctx.db.write() as s:
        rows = [Cadre(name=f"{prefix}{i:04d}", post_title="科员", role="other") for i in range(n)]
        s.add_all(rows)
        s.flush()
        s.add_all(
            Post(cadre_id=c.id or 0, post_title="科员", role="other", start_date=date(2020, 1, 1))
            for c in rows
        )
        return [c.id or 0 for c in rows]


def lecture_programme(ctx: Context) -> int:
    with ctx.db.read() as s:
        programme = s.exec(select(Programme).where(Programme.kind == "lecture")).first()
    if programme is not None:
        return programme.id or 0
    from zhijin_training.services import programmes

    return programmes.add_programme(ctx, kind="lecture", title="织金大讲堂").id


def new_session(ctx: Context, cadre_ids: list[int], day: date, title: str = "可靠性测试") -> int:
    draft = schedule.SessionDraft(
        programme=lecture_programme(ctx),
        starts_at=datetime.combine(day, dtime(15, 0), tzinfo=LOCAL_TZ),
        ends_at=datetime.combine(day, dtime(17, 0), tzinfo=LOCAL_TZ),
        title=title,
        participants=tuple(cadre_ids),
    )
    return schedule.create_session(ctx, draft, force=True).id


def cli_env(db: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIJIN_TRAINING_")}
    env["ZHIJIN_TRAINING_CONFIG"] = str(ROOT / "tests" / "reliability" / "no-such-config.toml")
    if db is not None:
        env["ZHIJIN_TRAINING_DB"] = str(db)
    env.update(extra)
    return env


def run_cli(
    args: list[str], db: Path | None = None, *, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """The real end-to-end path: the installed `zhijin-training` script (main() maps errors to exit codes)."""
    return subprocess.run(
        [CLI, *args], env=env or cli_env(db), capture_output=True, timeout=timeout, check=False
    )


def start_worker(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, WORKER, *args],
        env=env or cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(path: Path, timeout: float = 60, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc is not None and proc.poll() is not None:
            _out, err = proc.communicate()
            raise AssertionError(f"worker ended early ({proc.returncode}): {err.decode(errors='replace')}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {path}")
        time.sleep(0.01)


def make_private(db: Path) -> Path:
    """The fixtures copy databases with shutil (mode 0644): give them the modes the program creates."""
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(f"{db}{suffix}")
        if candidate.exists():
            candidate.chmod(0o640)
    return db
