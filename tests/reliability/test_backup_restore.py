"""backup while others write, restore that checks first and keeps the old database, `check`."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest

from reliability.helpers import (
    add_cadres,
    dump,
    integrity,
    make_private,
    new_session,
    run_cli,
    start_worker,
    wait_for,
)
from zhijin_training.db import Database
from zhijin_training.services import maintenance
from zhijin_training.services.context import Context
from zhijin_training.services.errors import DomainError, NotFoundError


def _consistent(copy: Path, sid: int) -> tuple[int, int]:
    """(attendance rows recorded, their audit entries): equal in any consistent snapshot."""
    conn = sqlite3.connect(copy)
    try:
        marked = conn.execute(
            "SELECT count(*) FROM participant WHERE session_id=? AND status IS NOT NULL", (sid,)
        ).fetchone()[0]
        audited = conn.execute(
            "SELECT count(*) FROM audit_log WHERE entity='attendance' AND session_id=?", (sid,)
        ).fetchone()[0]
        return marked, audited
    finally:
        conn.close()


@pytest.mark.slow
def test_backup_while_another_process_writes_is_consistent(
    ctx: Context, db_path: Path, tmp_path: Path
) -> None:
    cadres = add_cadres(ctx, 150)
    sid = new_session(ctx, cadres, date(2026, 11, 2))
    sync = tmp_path / "sync"
    sync.mkdir()
    writer = start_worker("mark_one_by_one", str(db_path), str(sid), ",".join(map(str, cadres)), str(sync))
    wait_for(sync / "ready", proc=writer)
    (sync / "go").touch()
    seen: list[int] = []

    def take(i: int) -> None:
        copy = maintenance.backup(ctx.db, tmp_path / f"copy{i % 4}.db")
        assert integrity(copy) == ["ok"]
        marked, audited = _consistent(copy, sid)
        assert marked == audited
        assert stat.S_IMODE(copy.stat().st_mode) & 0o007 == 0  # never world-readable
        seen.append(marked)

    # copies keep coming for as long as the writer writes (however fast or slow it starts), then one more
    while writer.poll() is None and len(seen) < 500:
        take(len(seen))
    take(len(seen))
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err.decode()
    assert json.loads(out)["marked"] == 150
    assert seen == sorted(seen)
    assert any(0 < n < 150 for n in seen) or seen[-1] == 150, seen  # copies taken while it was writing


@pytest.fixture
def good_backup(ctx: Context, tmp_path: Path) -> Path:
    return maintenance.backup(ctx.db, tmp_path / "good.db")


def _bad_files(tmp_path: Path, good: Path) -> dict[str, Path]:
    files = {}
    files["random bytes"] = tmp_path / "random.db"
    files["random bytes"].write_bytes(os.urandom(20000))
    files["empty"] = tmp_path / "empty.db"
    files["empty"].write_bytes(b"")
    files["text file"] = tmp_path / "notes.txt"
    files["text file"].write_text("名单,不是数据库\n", encoding="utf-8")
    data = good.read_bytes()
    files["truncated"] = tmp_path / "truncated.db"
    files["truncated"].write_bytes(data[: len(data) // 3])
    corrupt = bytearray(data)
    for page in range(3, len(data) // 4096, 4):  # scribble over b-tree pages, keep the header
        corrupt[page * 4096 + 8 : page * 4096 + 400] = os.urandom(392)
    files["corrupt pages"] = tmp_path / "corrupt.db"
    files["corrupt pages"].write_bytes(bytes(corrupt))
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE contacts(name TEXT)")
    conn.commit()
    conn.close()
    files["another program's database"] = foreign
    future = tmp_path / "future.db"
    future.write_bytes(data)
    conn = sqlite3.connect(future)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    files["unknown schema revision"] = future
    files["a directory"] = tmp_path
    return files


def test_restore_refuses_bad_files_and_changes_nothing(
    ctx: Context, db_path: Path, tmp_path: Path, good_backup: Path
) -> None:
    before = dump(db_path)
    (tmp_path / "bad").mkdir()
    bad = _bad_files(tmp_path / "bad", good_backup)
    for what, path in bad.items():
        with pytest.raises(DomainError) as refused:
            maintenance.restore(ctx.db, path, user="tester")
        assert refused.value.code.startswith(("restore.", "file.")), (what, refused.value.code)
        assert "\n" not in str(refused.value)
    with pytest.raises(NotFoundError):
        maintenance.restore(ctx.db, tmp_path / "missing.db")
    assert dump(db_path) == before
    assert not list(db_path.parent.glob("*.before-restore-*"))  # nothing was even moved aside
    print(f"\nrestore refused {len(bad) + 1} bad files")


def test_restore_puts_backup_back_and_keeps_the_old_database(
    ctx: Context, db_path: Path, good_backup: Path
) -> None:
    from zhijin_training.services import roster

    backed_up = dump(good_backup)
    roster.add_unit(ctx, name="新设街道", kind="township")
    after_change = dump(db_path)
    other_user = Context(db=Database(ctx.db.url), actor=ctx.actor)  # someone else has it open meanwhile
    assert any(u.name == "新设街道" for u in roster.list_units(other_user))
    report = maintenance.restore(ctx.db, good_backup, user="tester", clock=ctx.clock)
    assert not any(u.name == "新设街道" for u in roster.list_units(other_user))  # they see the restored data
    other_user.db.dispose()
    assert report.kept_aside is not None and report.kept_aside.name.startswith("zt.db.before-restore-2026")
    assert dump(report.kept_aside) == after_change  # the old database, kept aside whole
    assert stat.S_IMODE(report.kept_aside.stat().st_mode) & 0o007 == 0
    restored = dump(db_path)
    assert {t: rows for t, rows in restored.items() if t != "audit_log"} == {
        t: rows for t, rows in backed_up.items() if t != "audit_log"
    }
    new_entries = set(restored["audit_log"]) - set(backed_up["audit_log"])
    assert len(new_entries) == 1 and "restore" in next(iter(new_entries))  # the restore is on record
    health = maintenance.check(Database(ctx.db.url))
    assert (health.integrity, health.revision) == ("ok", health.head)


def test_restore_command_end_to_end(demo_path: Path, tmp_path: Path) -> None:
    backup = maintenance.backup(Database(f"sqlite:///{demo_path}"), tmp_path / "b.db")
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + os.urandom(8000))
    refused = run_cli(["restore", str(bad)], demo_path)
    assert refused.returncode == 1
    err = refused.stderr.decode()
    assert "未做任何改动" in err and err.count("\n") == 1
    done = run_cli(["restore", str(backup)], demo_path)
    assert done.returncode == 0, done.stderr.decode()
    assert "before-restore" in done.stdout.decode()


def test_check_exits_zero_on_good_db_and_non_zero_on_problems(demo_path: Path, tmp_path: Path) -> None:
    good = run_cli(["check"], make_private(demo_path))
    assert good.returncode == 0, good.stdout.decode() + good.stderr.decode()
    assert "integrity: ok" in good.stdout.decode()
    loose = tmp_path / "loose.db"
    loose.write_bytes(demo_path.read_bytes())
    loose.chmod(0o644)
    warned = run_cli(["check"], loose)
    assert warned.returncode == 1
    assert "readable by every user" in warned.stdout.decode()
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(10000))
    broken = run_cli(["--lang", "en", "check"], junk)
    assert broken.returncode == 1
    assert "not a zhijin-training database" in (broken.stdout + broken.stderr).decode()


def test_schema_comparison_ignores_only_the_order_of_constraints() -> None:
    """Batch migrations write a table's constraints in reflection order; the words must still all be there."""
    from zhijin_training.services.maintenance import _table_items_sorted

    a = 'CREATE TABLE "t" ( id INTEGER NOT NULL, x INTEGER, PRIMARY KEY (id), UNIQUE (x), CHECK (x > 0) )'
    b = 'CREATE TABLE "t" ( id INTEGER NOT NULL, x INTEGER, CHECK (x > 0), PRIMARY KEY (id), UNIQUE (x) )'
    without_check = 'CREATE TABLE "t" ( id INTEGER NOT NULL, x INTEGER, PRIMARY KEY (id), UNIQUE (x) )'
    assert _table_items_sorted(a) == _table_items_sorted(b)
    assert _table_items_sorted(a) != _table_items_sorted(without_check)
