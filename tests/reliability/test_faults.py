"""Faults: kill -9 in the middle of a bulk save, a dropped SSH connection (SIGHUP) while editing."""

from __future__ import annotations

import os
import pty
import select
import signal
import sqlite3
import subprocess
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from reliability.helpers import (
    CLI,
    add_cadres,
    checkpoint,
    cli_env,
    dump,
    integrity,
    new_session,
    run_cli,
    start_worker,
    wait_for,
    writer_gets_in_at_once,
)
from zhijin_training.services.context import Context

BIG = 300


def _big_session(ctx: Context) -> int:
    sid = new_session(ctx, add_cadres(ctx, BIG), date(2026, 11, 2), "三百人大会")
    ctx.db.dispose()
    return sid


def _state(db: Path, sid: int) -> tuple[dict[str | None, int], int]:
    """(status -> participants, attendance audit entries) of the session."""
    conn = sqlite3.connect(db)
    try:
        statuses: dict[str | None, int] = {}
        for (status,) in conn.execute("SELECT status FROM participant WHERE session_id=?", (sid,)):
            statuses[status] = statuses.get(status, 0) + 1
        audits = conn.execute(
            "SELECT count(*) FROM audit_log WHERE entity='attendance' AND session_id=?", (sid,)
        ).fetchone()[0]
        return statuses, audits
    finally:
        conn.close()


def _bulk_paused(db: Path, sid: int, sync: Path) -> subprocess.Popen[bytes]:
    sync.mkdir()
    proc = start_worker("mark_all", str(db), str(sid), "present", str(sync), str(BIG // 2))
    wait_for(sync / "ready", proc=proc)
    (sync / "go").touch()
    wait_for(sync / "mid", proc=proc)  # inside the transaction, half of the 300 rows written
    return proc


@pytest.mark.slow
def test_kill_9_inside_bulk_attendance_save_leaves_nothing(
    ctx: Context, db_path: Path, tmp_path: Path
) -> None:
    sid = _big_session(ctx)
    proc = _bulk_paused(db_path, sid, tmp_path / "sync")
    assert not writer_gets_in_at_once(db_path)  # it really holds the write lock
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert integrity(db_path) == ["ok"]
    assert _state(db_path, sid) == ({None: BIG}, 0)  # not at all
    assert writer_gets_in_at_once(db_path)


@pytest.mark.slow
def test_kill_9_at_many_moments_is_all_or_nothing(ctx: Context, db_path: Path, tmp_path: Path) -> None:
    """Kill the bulk save after different delays: each time the 300 marks are fully there or not at all."""
    sid = _big_session(ctx)
    committed = 0
    outcomes = []
    for trial, delay in enumerate((0.0, 0.05, 0.1, 0.25)):
        status = ("late", "present")[trial % 2]
        sync = tmp_path / f"sync{trial}"
        sync.mkdir()
        before, _ = _state(db_path, sid)
        proc = start_worker("mark_all", str(db_path), str(sid), status, str(sync), "0")
        wait_for(sync / "ready", proc=proc)
        (sync / "go").touch()
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert integrity(db_path) == ["ok"]
        after, audits = _state(db_path, sid)
        assert after in (before, {status: BIG}), f"half-applied save after {delay}s: {after}"
        if after != before:
            committed += 1
        assert audits == committed * BIG  # every committed mark has its audit entry, no stray ones
        outcomes.append("saved" if after != before else "not saved")
    print(f"\nkill -9 during a {BIG}-row save: {outcomes}")


@pytest.mark.slow
def test_sighup_while_saving_rolls_back_and_leaves_no_lock(
    ctx: Context, db_path: Path, tmp_path: Path
) -> None:
    sid = _big_session(ctx)
    proc = _bulk_paused(db_path, sid, tmp_path / "sync")
    proc.send_signal(signal.SIGHUP)  # the SSH connection drops
    assert proc.wait(timeout=10) != 0
    assert writer_gets_in_at_once(db_path)
    assert integrity(db_path) == ["ok"]
    assert _state(db_path, sid) == ({None: BIG}, 0)


def _read_until_quiet(fd: int, limit: float, quiet: float = 1.0) -> bytes:
    """What the program drew, once it has drawn something and then stayed quiet for `quiet` seconds."""
    out = b""
    deadline = time.monotonic() + limit
    last = time.monotonic()
    while time.monotonic() < deadline and not (out and time.monotonic() - last > quiet):
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            last = time.monotonic()
    return out


@pytest.mark.slow
def test_sighup_to_the_tui_keeps_saved_changes_and_no_stuck_lock(demo_path: Path) -> None:
    checkpoint(demo_path)
    master, slave = pty.openpty()
    env = cli_env(demo_path, TERM="xterm-256color", COLUMNS="100", LINES="30")
    tui = subprocess.Popen([CLI], stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    try:
        screen = _read_until_quiet(master, 15)
        assert tui.poll() is None, screen[-500:]
        assert b"\x1b[" in screen  # it drew a screen
        # a change saved while the interface is open (another session of the office)
        # keep reading what it draws, as a terminal would: a full pty would block its writes
        drain = threading.Thread(target=_read_until_quiet, args=(master, 60, 30.0), daemon=True)
        drain.start()
        done = run_cli(["attendance", "mark", "1", "#1", "absent", "--correction", "掉线测试"], demo_path)
        assert done.returncode == 0, done.stderr.decode()
        os.killpg(tui.pid, signal.SIGHUP)
        tui.wait(timeout=30)
    finally:
        if tui.poll() is None:
            os.killpg(tui.pid, signal.SIGKILL)
            tui.wait()
        os.close(master)
    assert tui.returncode is not None  # the process is gone
    assert writer_gets_in_at_once(demo_path)
    assert integrity(demo_path) == ["ok"]
    conn = sqlite3.connect(demo_path)
    assert conn.execute("SELECT status FROM participant WHERE session_id=1 AND cadre_id=1").fetchone() == (
        "absent",
    )
    conn.close()


@pytest.mark.slow
def test_kill_9_inside_roster_import_leaves_nothing(ctx: Context, db_path: Path, tmp_path: Path) -> None:
    roster_file = tmp_path / "名册.csv"
    roster_file.write_text(
        "姓名,单位,职务\n" + "".join(f"导入{i:03d},茶店,科员\n" for i in range(200)), encoding="utf-8"
    )
    ctx.db.dispose()
    before = dump(db_path)
    sync = tmp_path / "sync"
    sync.mkdir()
    proc = start_worker("import_roster", str(db_path), str(roster_file), str(sync), "100")
    wait_for(sync / "mid", proc=proc)  # 100 of 200 cadres added inside the open transaction
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert integrity(db_path) == ["ok"]
    assert dump(db_path) == before  # not at all
    assert writer_gets_in_at_once(db_path)
    finished = start_worker("import_roster", str(db_path), str(roster_file), str(sync), "0")
    _out, err = finished.communicate(timeout=60)
    assert finished.returncode == 0, err.decode()
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM cadre WHERE name LIKE '导入%'").fetchone()[0] == 200  # fully
    conn.close()


@pytest.mark.slow
def test_kill_9_during_publish_leaves_old_or_new_complete_feeds(demo_path: Path, tmp_path: Path) -> None:
    from reliability.helpers import FIXED_NOW
    from zhijin_training.db import Database
    from zhijin_training.ical import feeds
    from zhijin_training.services import schedule
    from zhijin_training.services.context import Actor

    ctx = Context(
        db=Database(f"sqlite:///{demo_path}"), actor=Actor("editor", "editor"), clock=lambda: FIXED_NOW
    )
    live = tmp_path / "feeds"
    feeds.publish(ctx, live)
    old = {p.name: p.read_bytes() for p in live.glob("*.ics")}
    v = schedule.get_session(ctx, 17)
    schedule.update_session(
        ctx, 17, schedule.SessionChanges(location="新地点：县委党校二楼"), expected_version=v.version
    )
    expected_new = tmp_path / "expected"
    feeds.publish(ctx, expected_new)
    new = {p.name: p.read_bytes() for p in expected_new.glob("*.ics")}
    ctx.db.dispose()
    sync = tmp_path / "sync"
    sync.mkdir()
    proc = start_worker("publish", str(demo_path), str(live), str(sync), str(len(new) // 2))
    wait_for(sync / "mid", proc=proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    states = {"old": 0, "new": 0}
    for path in live.glob("*.ics"):
        data = path.read_bytes()
        assert data in (old.get(path.name), new.get(path.name)), (
            f"{path.name} is neither the old nor the new file"
        )
        assert data.rstrip().endswith(b"END:VCALENDAR")
        states["new" if data == new.get(path.name) and data != old.get(path.name) else "old"] += 1
    assert states["new"] > 0 and states["old"] > 0  # it really was interrupted half way
    print(f"\npublish killed half way: {states}")
