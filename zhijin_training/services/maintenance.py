"""Backups and health checks of the shared database."""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

from zhijin_training.db import migrate
from zhijin_training.db.engine import Database
from zhijin_training.services.errors import ValidationError


def backup(db: Database, target: Path) -> Path:
    """A consistent online copy through SQLite's backup API, while others keep writing."""
    source = db.path
    if source is None:
        raise ValidationError(
            "backup: only SQLite databases are copied this way (use pg_dump for PostgreSQL)"
        )
    target = target.expanduser().resolve()
    if target == source.resolve():
        raise ValidationError("backup: the target is the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP)
    os.close(fd)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=1024)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)  # readers of the backup never see half a file
    return target


@dataclass(frozen=True)
class HealthReport:
    integrity: str
    revision: str | None
    head: str
    permissions: str | None  # a warning about loose file modes, or None

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.revision == self.head and self.permissions is None


def check(db: Database) -> HealthReport:
    integrity = "ok"
    if db.is_sqlite:
        with db.engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
            integrity = "ok" if rows == ["ok"] else "; ".join(rows[:5])
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if fk:
                integrity += f"; {len(fk)} foreign key violations"
    return HealthReport(
        integrity, migrate.current_revision(db), migrate.head_revision(db), permission_warning(db)
    )


def permission_warning(db: Database) -> str | None:
    path = db.path
    if path is None or not path.exists():
        return None
    mode = path.stat().st_mode
    if mode & stat.S_IROTH or mode & stat.S_IWOTH:
        return (
            f"{path} is readable by every user of this server (mode {stat.filemode(mode)}); "
            f"run: chmod o-rwx {path}"
        )
    return None
