"""Disk full, a read-only database, a lock held too long: one clear message, nothing saved, nothing corrupted."""

from __future__ import annotations

import os
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from reliability.helpers import add_cadres, dump, integrity, make_private, new_session, run_cli
from zhijin_training.db import Database
from zhijin_training.services import attendance, maintenance, roster, safety
from zhijin_training.services.context import Actor, Context


def _limited(ctx: Context, spare_pages: int) -> Context:
    """The same database with SQLite's page limit just above its size: 'database or disk is full'."""
    db = Database(ctx.db.url)

    @event.listens_for(db.engine, "connect")
    def _cap(dbapi_conn: Any, _record: Any) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + spare_pages}")

    return Context(db=db, actor=ctx.actor, settings=ctx.settings, clock=ctx.clock)


def test_disk_full_during_bulk_save_says_so_and_saves_nothing(ctx: Context, db_path: Path) -> None:
    sid = new_session(ctx, add_cadres(ctx, 200), date(2026, 11, 2))
    ctx.db.dispose()
    before = dump(db_path)
    full = _limited(ctx, spare_pages=5)
    marks = {
        p.cadre_id: attendance.Mark("present", note="备注" * 400)
        for p in attendance.session_attendance(full, sid).participants
    }
    with pytest.raises(safety.DiskFull) as refused:
        attendance.mark_many(full, sid, marks)
    message = str(refused.value)
    assert refused.value.code == "storage.full" and "\n" not in message
    full.db.dispose()
    assert integrity(db_path) == ["ok"]
    assert dump(db_path) == before
    assert attendance.mark_many(ctx, sid, marks) == 200  # with space again, the same save works


def test_backup_to_a_full_disk_leaves_no_partial_file(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(*_args: Any, **_kwargs: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(maintenance, "_copy", no_space)
    with pytest.raises(safety.DiskFull):
        maintenance.backup(ctx.db, tmp_path / "b.db")
    assert list(tmp_path.glob("b.db*")) == []


def test_read_only_database_says_so_and_changes_nothing(ctx: Context, db_path: Path) -> None:
    ctx.db.dispose()
    before = dump(db_path)
    ro = Context(db=Database(f"sqlite:///file:{db_path}?mode=ro&uri=true"), actor=ctx.actor, clock=ctx.clock)
    assert len(roster.list_units(ro, kind="township")) == 32  # reading still works
    with pytest.raises(safety.DatabaseReadOnly) as refused:
        roster.add_unit(ro, name="只读测试", kind="township")
    assert refused.value.code == "storage.read_only"
    ro.db.dispose()
    assert dump(db_path) == before
    assert integrity(db_path) == ["ok"]


def test_read_only_database_through_the_cli(demo_path: Path) -> None:
    make_private(demo_path)
    url = f"sqlite:///file:{demo_path}?mode=ro&uri=true"
    before = dump(demo_path)
    done = run_cli(["--lang", "en", "--db", url, "units", "add", "只读街道"], None)
    assert done.returncode == 1
    err = done.stderr.decode()
    assert "read-only" in err and err.count("\n") == 1 and "Traceback" not in err
    assert dump(demo_path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file modes")
def test_read_only_file_mode(ctx: Context, db_path: Path) -> None:
    ctx.db.dispose()
    db_path.chmod(0o440)
    try:
        with pytest.raises(safety.StorageError):
            roster.add_unit(Context(db=Database(ctx.db.url), actor=ctx.actor), name="只读", kind="township")
    finally:
        db_path.chmod(0o640)


def test_lock_held_too_long_is_a_clear_busy_error(
    ctx: Context, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    quick = Database(ctx.db.url)

    @event.listens_for(quick.engine, "connect")
    def _short_wait(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout = 50")

    impatient = Context(db=quick, actor=ctx.actor, clock=ctx.clock)
    try:
        with pytest.raises(safety.DatabaseBusy) as refused:
            roster.add_unit(impatient, name="忙碌测试", kind="township")
        assert refused.value.code == "storage.busy"
        attempts = []

        def save() -> object:
            attempts.append(1)
            if len(attempts) == 2:
                blocker.execute("ROLLBACK")  # the other writer finishes
            return roster.add_unit(impatient, name="忙碌测试", kind="township")

        unit = safety.retry_on_busy(save, attempts=3, pause=0.01)
        assert unit.name == "忙碌测试" and len(attempts) == 2  # refused once, then saved
    finally:
        blocker.close()
        quick.dispose()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("database is locked", safety.DatabaseBusy),
        ("database or disk is full", safety.DiskFull),
        ("attempt to write a readonly database", safety.DatabaseReadOnly),
        ("disk I/O error", safety.DiskIOError),
        ("database disk image is malformed", safety.DatabaseCorrupt),
        ("file is not a database", safety.DatabaseCorrupt),
        ("unable to open database file", safety.DatabaseUnavailable),
    ],
)
def test_every_sqlite_fault_has_a_clear_message(text: str, kind: type[safety.StorageError]) -> None:
    translated = safety.translate(sqlite3.OperationalError(text), "/srv/zt.db")
    assert isinstance(translated, kind)
    assert "/srv/zt.db" in str(translated) and "\n" not in str(translated)


def test_constraint_errors_are_not_storage_faults() -> None:
    assert safety.translate(sqlite3.IntegrityError("UNIQUE constraint failed")) is None
    assert safety.translate(ValueError("x")) is None


def test_viewer_role_is_checked_before_touching_storage(ctx: Context) -> None:
    viewer = Context(db=ctx.db, actor=Actor("guest", "viewer"), clock=ctx.clock)
    from zhijin_training.services.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        roster.add_unit(viewer, name="x", kind="township")
