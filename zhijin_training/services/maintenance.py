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
from typing import Any

from zhijin_training.db.engine import Database
from zhijin_training.services.errors import NotFoundError, ValidationError
from zhijin_training.services.safety import DatabaseCorrupt, StorageError, translate
from zhijin_training.timeutil import format_local, utcnow

SQLITE_MAGIC = b"SQLite format 3\x00"
_PRIVATE = stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP  # backups: owner rw, group r, others nothing
BACKUP_DIR_MODE = 0o770  # backups/: the office's colleagues write the nightly copies there in turn
RESTORE_LIMIT = 4 * 1024 * 1024 * 1024  # a backup larger than this is not one of ours
SQLITE_NOTE = "sqlite.anyone_can_write"  # catalogue key: on SQLite, roles guard against mistakes only
_REQUIRED_TABLES = ("alembic_version", "audit_log", "training_session", "participant", "cadre", "unit")


class InvalidBackup(ValidationError):
    """The file offered to `restore` is not a sound zhijin-training database; nothing was changed."""


def _sqlite_path(db: Database, what: str) -> Path:
    if db.path is None:
        raise ValidationError("maintenance.sqlite_only", action=what)
    return db.path


def _private_file(path: Path, mode: int = _PRIVATE) -> None:
    """Create `path` afresh with exactly `mode` (whatever the umask), never through a symlink."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


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
    from zhijin_training.safefiles import check_target, ensure_dir

    source = _sqlite_path(db, "backup")
    target = check_target(target)  # a symlink planted by someone else is refused, never followed
    target = target.parent.resolve() / target.name
    if target == source.resolve():
        raise ValidationError("backup.is_database", field="file", path=str(target))
    ensure_dir(target.parent, BACKUP_DIR_MODE)
    partial = target.with_name(target.name + ".partial")
    try:
        _private_file(partial)
        _copy(f"file:{source}?mode=ro", partial)
    except sqlite3.Error as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise translate(exc, source) or ValidationError("backup.failed", reason=str(exc)) from None
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise ValidationError("file.write_failed", path=str(target), reason=exc.strerror or str(exc)) from None
    check_target(target)
    os.replace(partial, target)  # readers of the backup never see half a file
    return target


# ---------------------------------------------------------------- restore
def known_revisions(db: Database) -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_migrate().alembic_config(db))
    return {rev.revision for rev in script.walk_revisions()}


def verify_backup(path: Path, known: set[str]) -> str:
    """Open `path` read-only and check it completely; returns its schema revision or raises InvalidBackup.

    Sound means: a SQLite file that passes integrity_check, at a revision this program knows, whose schema
    (tables, columns, indexes, triggers) is exactly what the migrations make at that revision, and whose audit
    chain verifies. A backup with a trigger dropped, added or changed, a column missing or an audit log cut
    short is refused.
    """
    from zhijin_training.safefiles import FileRefused, check_readable

    try:
        check_readable(path, RESTORE_LIMIT)
    except FileRefused as exc:
        if exc.code == "file.missing":
            raise NotFoundError("file.missing", field="file", file=str(path)) from None
        raise InvalidBackup(exc.code, **exc.params) from None
    with path.open("rb") as fh:
        header = fh.read(len(SQLITE_MAGIC))
    if header != SQLITE_MAGIC:
        raise InvalidBackup("restore.not_sqlite", path=str(path))
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise InvalidBackup("restore.damaged", path=str(path), reason=str(exc)) from None
    try:
        problems = [" ".join(r[0].split()) for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
        if problems != ["ok"]:
            raise InvalidBackup("restore.damaged", path=str(path), reason="; ".join(problems[:3]))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [t for t in _REQUIRED_TABLES if t not in tables]
        if missing:
            raise InvalidBackup("restore.not_ours", path=str(path), missing=missing)
        revisions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
        if len(revisions) != 1 or revisions[0] not in known:
            raise InvalidBackup("restore.unknown_revision", path=str(path), revision=revisions or "—")
        difference = _schema_difference(schema_of(conn), expected_schema(revisions[0]))
        if difference:
            raise InvalidBackup("restore.schema_differs", path=str(path), what=difference)
        columns = {r[1] for r in conn.execute("PRAGMA table_info(audit_log)")}
        if "entry_hash" in columns:
            from zhijin_training.db.chain import verify
            from zhijin_training.services.audit import chain_rows

            report = verify(chain_rows(conn))
            if not report.ok:
                raise InvalidBackup("restore.chain_broken", path=str(path), entry=report.first_broken)
    except sqlite3.DatabaseError as exc:
        raise InvalidBackup("restore.damaged", path=str(path), reason=str(exc)) from None
    finally:
        conn.close()
    return revisions[0]


def schema_of(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """Every table, index and trigger of a SQLite database with its SQL, whitespace normalised."""
    out = {}
    for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"):
        text = " ".join((sql or "").split())
        out[(kind, name)] = _table_items_sorted(text) if kind == "table" else text
    return out


def _table_items_sorted(sql: str) -> str:
    """A CREATE TABLE with its columns and constraints in a fixed order.

    Alembic's batch mode on SQLite re-creates a table and writes its constraints in whatever order reflection
    returns them, so two sound databases at the same revision can list the same foreign keys differently.
    Every column and constraint still has to be there, word for word; only their order is ignored.
    """
    open_at, close_at = sql.find("("), sql.rfind(")")
    if open_at < 0 or close_at < open_at:
        return sql
    items, depth, start = [], 0, open_at + 1
    for i in range(open_at + 1, close_at):
        ch = sql[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(sql[start:i].strip())
            start = i + 1
    items.append(sql[start:close_at].strip())
    return f"{sql[:open_at].strip()} ({', '.join(sorted(items))}){sql[close_at + 1:]}"


_EXPECTED: dict[str, dict[tuple[str, str], str]] = {}


def expected_schema(revision: str) -> dict[tuple[str, str], str]:
    """The schema a fresh database migrated to `revision` has (made once per revision, in a temp folder)."""
    if revision not in _EXPECTED:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="zt-schema-") as tmp:
            fresh = Database(f"sqlite:///{Path(tmp) / 'fresh.db'}")
            try:
                _migrate().upgrade(fresh, revision)
            finally:
                fresh.dispose()
            conn = sqlite3.connect(Path(tmp) / "fresh.db")
            try:
                _EXPECTED[revision] = schema_of(conn)
            finally:
                conn.close()
    return _EXPECTED[revision]


def _schema_difference(have: dict[tuple[str, str], str], want: dict[tuple[str, str], str]) -> str:
    for key in sorted(want):
        if key not in have:
            return f"{key[0]} {key[1]} missing"
        if have[key] != want[key]:
            return f"{key[0]} {key[1]} changed"
    for key in sorted(have):
        if key not in want:
            return f"{key[0]} {key[1]} added"
    return ""


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
        raise ValidationError("restore.is_database", field="file", path=str(source))
    revision = verify_backup(source, known_revisions(db))
    db.dispose()  # our own pooled connections must not keep the old content cached
    aside = _keep_aside(live, clock()) if live.exists() and live.stat().st_size > 0 else None
    staged = live.with_name(live.name + ".restore-partial")
    try:
        _private_file(staged, stat.S_IMODE(live.stat().st_mode) if live.exists() else 0o660)
        _copy(f"file:{source}?mode=ro", staged)
        _install(staged, live)
    except sqlite3.Error as exc:
        raise translate(exc, live) or ValidationError("restore.failed", reason=str(exc)) from None
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
    from zhijin_training.services.audit import _os_user, append, operation_of

    real = _os_user()
    with db.write() as s:
        append(
            s,
            AuditEntry(
                at=now,
                os_user=user or "?",
                real_user=real if real != user else "",
                action="restore",
                entity="database",
                reason=f"restored from {source}" + (f"; previous database kept as {aside}" if aside else ""),
                operation=operation_of(s),
            ),
        )


# ---------------------------------------------------------------- health
@dataclass(frozen=True)
class HealthReport:
    integrity: str
    revision: str | None
    head: str
    permissions: str | None  # a warning about loose file modes, or None
    side_files: tuple[str, ...] = ()  # -wal/-shm files that would lock a colleague out
    chain_entries: int = 0
    chain_broken_at: int | None = None  # id of the first audit entry that was removed, added or rewritten
    receipt: str = ""
    outside: tuple[Any, ...] = ()  # audit.OutsideChange: rows changed outside the program
    is_sqlite: bool = True
    # tallies.TallyDifference: maintained report figures that disagree with the raw rows
    tallies: tuple[Any, ...] = ()

    @property
    def ok(self) -> bool:
        return (
            self.integrity == "ok"
            and self.revision == self.head
            and self.permissions is None
            and not self.side_files
            and self.chain_broken_at is None
            and not self.outside
            and not self.tallies
        )


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
    head = _migrate().head_revision(db)
    extra: dict[str, Any] = {}
    if revision == head and integrity == "ok":
        from zhijin_training.services import audit
        from zhijin_training.services.context import Actor, Context

        ctx = Context(db=db, actor=Actor("check", "viewer"))
        chain = audit.verify_chain(ctx)
        extra = {
            "chain_entries": chain.count,
            "chain_broken_at": chain.first_broken,
            "receipt": chain.receipt if chain.ok else "",
            "outside": tuple(audit.replay_check(ctx)),
            "tallies": _tally_differences(db),
        }
    return HealthReport(
        integrity, revision, head, permission_warning(db), side_file_problems(db), is_sqlite=db.is_sqlite, **extra
    )


def _tally_differences(db: Database) -> tuple[Any, ...]:
    from zhijin_training.services import hours_tally, tallies

    with db.read() as s:
        return tuple(tallies.differences(s)) + tuple(hours_tally.differences(s))


def side_file_problems(db: Database) -> tuple[str, ...]:
    """-wal/-shm files the office's group cannot write (made by someone under a narrow umask, or another group)."""
    path = db.path
    if path is None or not path.exists():
        return ()
    db_stat = path.stat()
    found = []
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        with contextlib.suppress(FileNotFoundError):
            info = side.lstat()
            mode = stat.S_IMODE(info.st_mode)
            group_bits = stat.S_IMODE(db_stat.st_mode) & 0o060  # as much as the database gives the group
            if stat.S_ISLNK(info.st_mode) or info.st_gid != db_stat.st_gid or mode & group_bits != group_bits:
                found.append(f"{side} ({stat.filemode(info.st_mode)}, uid {info.st_uid}, gid {info.st_gid})")
    return tuple(found)


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
