"""Backups, restores and health checks of the shared database.

A backup is a consistent online copy (SQLite's backup API) while others keep writing. A restore checks the
file completely before touching anything, keeps the current database aside, and copies the backup in through
the same API so processes that have the database open see either the old or the restored content.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType

from zhijin_training.db.engine import Database
from zhijin_training.services.errors import NotFoundError, ValidationError
from zhijin_training.services.safety import DatabaseCorrupt, StorageError, translate
from zhijin_training.timeutil import format_local, utcnow

SQLITE_MAGIC = b"SQLite format 3\x00"
_PRIVATE = stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP  # backups: owner rw, group r, others nothing
_REQUIRED_TABLES = ("alembic_version", "audit_log", "training_session", "participant", "cadre", "unit")


class InvalidBackup(ValidationError):
    """The file offered to `restore` is not a sound zhijin-training database; nothing was changed."""


def _sqlite_path(db: Database, what: str) -> Path:
    if db.path is None:
        raise ValidationError(
            f"{what}: only SQLite databases are handled this way (use pg_dump for PostgreSQL)"
        )
    return db.path


def _private_file(path: Path, mode: int = _PRIVATE) -> None:
    """Create `path` afresh with `mode`: a stale file might carry looser permissions."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, mode))


def _copy(source: str, target: Path, *, source_uri: bool = True) -> None:
    """Copy a whole database with the backup API in one step (a reader never blocks WAL writers)."""
    src = sqlite3.connect(source, uri=source_uri, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst, pages=-1)  # one step: stepped copies restart whenever another process writes
        dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
    finally:
        dst.close()
        src.close()


def _migrate() -> ModuleType:
    """Alembic is heavy to import: only the commands that need it pay for it."""
    from zhijin_training.db import migrate

    return migrate


def backup(db: Database, target: Path) -> Path:
    """A consistent online copy through SQLite's backup API, while others keep writing."""
    source = _sqlite_path(db, "backup")
    target = target.expanduser().resolve()
    if target == source.resolve():
        raise ValidationError("backup: the target is the database itself")
    if target.is_dir():
        raise ValidationError(f"backup: {target} is a directory; give a file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        _private_file(partial)
        _copy(f"file:{source}?mode=ro", partial)
    except sqlite3.Error as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise translate(exc, source) or ValidationError(f"backup: {exc}") from None
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise ValidationError(f"backup: cannot write {target}: {exc.strerror or exc}") from None
    os.replace(partial, target)  # readers of the backup never see half a file
    return target


# ---------------------------------------------------------------- restore
def known_revisions(db: Database) -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_migrate().alembic_config(db))
    return {rev.revision for rev in script.walk_revisions()}


def verify_backup(path: Path, known: set[str]) -> str:
    """Open `path` read-only and check it completely; returns its schema revision or raises InvalidBackup."""
    if not path.exists():
        raise NotFoundError(f"restore: {path} does not exist")
    if not path.is_file():
        raise InvalidBackup(f"restore: {path} is not a file")
    with path.open("rb") as fh:
        header = fh.read(len(SQLITE_MAGIC))
    if header != SQLITE_MAGIC:
        raise InvalidBackup(f"restore: {path} is not a SQLite database; nothing was changed")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise InvalidBackup(f"restore: cannot open {path} ({exc}); nothing was changed") from None
    try:
        problems = [" ".join(r[0].split()) for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
        if problems != ["ok"]:
            raise InvalidBackup(
                f"restore: {path} is damaged ({'; '.join(problems[:3])}); nothing was changed"
            )
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [t for t in _REQUIRED_TABLES if t not in tables]
        if missing:
            raise InvalidBackup(
                f"restore: {path} is not a zhijin-training database (no {', '.join(missing)} table); "
                "nothing was changed"
            )
        revisions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.DatabaseError as exc:
        raise InvalidBackup(f"restore: {path} is damaged ({exc}); nothing was changed") from None
    finally:
        conn.close()
    if len(revisions) != 1 or revisions[0] not in known:
        raise InvalidBackup(
            f"restore: {path} has schema revision {', '.join(revisions) or '(none)'}, unknown to this "
            "program (made by a newer version?); nothing was changed"
        )
    return revisions[0]


@dataclass(frozen=True)
class RestoreReport:
    restored_from: Path
    revision: str
    head: str
    kept_aside: Path | None  # the previous database, or None if there was none

    @property
    def needs_upgrade(self) -> bool:
        return self.revision != self.head


def restore(
    db: Database, source: Path, *, user: str = "", clock: Callable[[], datetime] = utcnow
) -> RestoreReport:
    """Replace the database with a verified backup; the current one is kept as `<db>.before-restore-<time>`."""
    live = _sqlite_path(db, "restore")
    source = source.expanduser().resolve()
    if source == live.resolve():
        raise ValidationError("restore: the file is the database itself")
    revision = verify_backup(source, known_revisions(db))
    db.dispose()  # our own pooled connections must not keep the old content cached
    aside = _keep_aside(live, clock()) if live.exists() and live.stat().st_size > 0 else None
    staged = live.with_name(live.name + ".restore-partial")
    try:
        _private_file(staged, stat.S_IMODE(live.stat().st_mode) if live.exists() else 0o660)
        _copy(f"file:{source}?mode=ro", staged)
        _install(staged, live)
    except sqlite3.Error as exc:
        raise translate(exc, live) or ValidationError(f"restore: {exc}") from None
    finally:
        with contextlib.suppress(OSError):
            staged.unlink()
    head = _migrate().head_revision(db)
    if revision == head:  # an older schema is noted after `db upgrade`, by whoever upgrades it
        _note_restore(db, user, clock(), source, aside)
    return RestoreReport(source, revision, head, aside)


def _keep_aside(live: Path, now: datetime) -> Path:
    aside = live.with_name(f"{live.name}.before-restore-{format_local(now, '%Y%m%d-%H%M%S')}")
    try:
        _copy(f"file:{live}?mode=ro", aside)
        os.chmod(aside, _PRIVATE)
    except sqlite3.DatabaseError:
        # the current file is too damaged for the backup API: keep its bytes (and its WAL) as they are
        for suffix in ("", "-wal"):
            if Path(f"{live}{suffix}").exists():
                shutil.copyfile(f"{live}{suffix}", f"{aside}{suffix}")
                os.chmod(f"{aside}{suffix}", _PRIVATE)
    return aside


def _install(staged: Path, live: Path) -> None:
    """Copy the staged database into the live one under its write lock; replace the file if it is unreadable."""
    try:
        src = sqlite3.connect(staged, timeout=30)
        dst = sqlite3.connect(live, timeout=30)
        try:
            src.backup(dst, pages=-1)
        finally:
            dst.close()
            src.close()
    except sqlite3.DatabaseError as exc:
        if not isinstance(translate(exc, live), DatabaseCorrupt):
            raise
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{live}{suffix}").unlink()
        os.replace(staged, live)


def _note_restore(db: Database, user: str, now: datetime, source: Path, aside: Path | None) -> None:
    """The restored database records that it was restored (its audit log is append-only)."""
    from zhijin_training.models import AuditEntry

    with db.write() as s:
        s.add(
            AuditEntry(
                at=now,
                os_user=user or "?",
                action="restore",
                entity="database",
                reason=f"restored from {source}" + (f"; previous database kept as {aside}" if aside else ""),
            )
        )


# ---------------------------------------------------------------- health
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
    revision: str | None = None
    try:
        if db.is_sqlite:
            with db.engine.connect() as conn:
                rows = [
                    " ".join(r[0].split()) for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()
                ]
                integrity = "ok" if rows == ["ok"] else "; ".join(rows[:5])
                fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if fk:
                    integrity += f"; {len(fk)} foreign key violations"
        revision = _migrate().current_revision(db)
    except StorageError as exc:
        integrity = exc.message
    return HealthReport(integrity, revision, _migrate().head_revision(db), permission_warning(db))


def permission_warning(db: Database) -> str | None:
    """Personal data: the database and its WAL files must not be readable by every user of the server."""
    path = db.path
    if path is None:
        return None
    loose = []
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            mode = candidate.stat().st_mode
            if mode & (stat.S_IROTH | stat.S_IWOTH):
                loose.append(f"{candidate} (mode {stat.filemode(mode)})")
    if not loose:
        return None
    return f"readable by every user of this server: {', '.join(loose)}; run: chmod o-rwx {path}*"
