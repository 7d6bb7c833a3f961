"""Worker processes for the reliability tests (run as a script: `python worker.py COMMAND ...`).

Each command opens its own Database on the shared file, like a TUI session or a CLI run would, and reports
what it did as one JSON line on stdout.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from zhijin_training.db import Database
from zhijin_training.services import attendance, audit, schedule
from zhijin_training.services.context import Actor, Context
from zhijin_training.services.errors import ConflictError

FIXED_NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
STATUSES = ("present", "late", "absent", "left_early")


def _ctx(db: str, user: str) -> Context:
    url = db if "://" in db else f"sqlite:///{db}"  # a SQLite file, or any database URL (PostgreSQL)
    return Context(db=Database(url), actor=Actor(user, "editor"), clock=lambda: FIXED_NOW)


def _barrier(ready: Path, go: Path) -> None:
    ready.touch()
    while not go.exists():
        time.sleep(0.005)


def concurrent(
    db: str, k: int, ops: int, marks_session: int, cadres: str, own: int, shared: int, sync: str
) -> None:
    """ops/2 attendance marks on our own slice of cadres, the rest edits of our own and the shared session."""
    ctx = _ctx(db, f"w{k}")
    my_cadres = [int(c) for c in cadres.split(",")]
    _barrier(Path(sync) / f"ready-{k}", Path(sync) / "go")
    started = time.monotonic()
    done = {"marks": 0, "own_edits": 0, "shared_edits": 0, "conflicts": 0, "errors": []}
    n_marks = len(my_cadres)
    for i in range(ops):
        try:
            if i < 2 * n_marks and i % 2 == 0:
                cadre = my_cadres[i // 2]
                attendance.mark(ctx, marks_session, cadre, attendance.Mark(STATUSES[cadre % len(STATUSES)]))
                done["marks"] += 1
            elif i % 3 == 0:
                _edit_with_retry(ctx, shared, f"shared by w{k} op {i}", done)
                done["shared_edits"] += 1
            else:
                current = schedule.get_session(ctx, own)
                schedule.update_session(
                    ctx, own, schedule.SessionChanges(note=f"w{k} op {i}"), expected_version=current.version
                )
                done["own_edits"] += 1
        except Exception as exc:  # every failure is reported; the test expects none
            done["errors"].append(f"{type(exc).__name__}: {exc}")
    done["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(done))


def _edit_with_retry(ctx: Context, session_id: int, note: str, done: dict) -> None:
    """What a person does after "changed by X at T; reload and try again": reload, then save again."""
    while True:
        current = schedule.get_session(ctx, session_id)
        try:
            schedule.update_session(
                ctx, session_id, schedule.SessionChanges(note=note), expected_version=current.version
            )
            return
        except ConflictError:
            done["conflicts"] += 1


def mark_all(db: str, session_id: int, status: str, sync: str, pause_after: int) -> None:
    """A bulk save of every participant; with pause_after > 0 it stops inside the transaction (to be killed)."""
    ctx = _ctx(db, "bulk")
    if pause_after > 0:
        real_record = audit.record
        calls = {"n": 0}

        def slow_record(*args, **kwargs):  # type: ignore[no-untyped-def]
            real_record(*args, **kwargs)
            calls["n"] += 1
            if calls["n"] == pause_after:
                (Path(sync) / "mid").touch()
                time.sleep(120)

        audit.record = slow_record  # attendance looks it up on the module at call time
    sheet = attendance.session_attendance(ctx, session_id)
    marks = {p.cadre_id: attendance.Mark(status) for p in sheet.participants}
    _barrier(Path(sync) / "ready", Path(sync) / "go")
    changed = attendance.mark_many(ctx, session_id, marks)
    (Path(sync) / "done").touch()
    print(json.dumps({"changed": changed}))


def mark_one_by_one(db: str, session_id: int, cadres: str, sync: str) -> None:
    """Separate small transactions, for a backup taken meanwhile."""
    ctx = _ctx(db, "steady")
    _barrier(Path(sync) / "ready", Path(sync) / "go")
    n = 0
    for cadre in cadres.split(","):
        attendance.mark(ctx, session_id, int(cadre), attendance.Mark("present"))
        n += 1
    print(json.dumps({"marked": n}))


def import_roster(db: str, path: str, sync: str, pause_after: int) -> None:
    """A roster import stopped inside its transaction once its new cadres are written (to be killed)."""
    from zhijin_training.sheets import roster_io

    ctx = Context(db=Database(f"sqlite:///{db}"), actor=Actor("admin", "admin"), clock=lambda: FIXED_NOW)
    real_add = roster_io._add_all

    def slow_add(*args, **kwargs):  # type: ignore[no-untyped-def]
        # the new cadres are written (flushed) inside the open transaction: stop here to be killed
        real_add(*args, **kwargs)
        if pause_after:
            (Path(sync) / "mid").touch()
            time.sleep(120)

    roster_io._add_all = slow_add
    preview = roster_io.preview_import(ctx, path)
    result = roster_io.apply_import(ctx, preview)
    print(json.dumps({"added": result.added}))


def publish(db: str, directory: str, sync: str, pause_at: int) -> None:
    """Publish the feeds, stopping after `pause_at` files were written (to be killed)."""
    from zhijin_training.ical import feeds

    ctx = Context(db=Database(f"sqlite:///{db}"), actor=Actor("editor", "editor"), clock=lambda: FIXED_NOW)

    def progress(done: int, total: int) -> None:
        if done == pause_at:
            (Path(sync) / "mid").touch()
            time.sleep(120)

    report = feeds.publish(ctx, Path(directory), progress=progress if pause_at else None)
    print(json.dumps({"files": len(report.feeds)}))


if __name__ == "__main__":
    # a hang-up kills this process as it would a real one, even when the test run itself was started under
    # nohup (which leaves SIGHUP ignored in every child): the tests must not depend on how they were launched
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    command, *rest = sys.argv[1:]
    if command == "concurrent":
        db, k, ops, ms, cadres, own, shared, sync = rest
        concurrent(db, int(k), int(ops), int(ms), cadres, int(own), int(shared), sync)
    elif command == "mark_all":
        db, sid, status, sync, pause = rest
        mark_all(db, int(sid), status, sync, int(pause))
    elif command == "mark_one_by_one":
        db, sid, cadres, sync = rest
        mark_one_by_one(db, int(sid), cadres, sync)
    elif command == "import_roster":
        db, path, sync, pause = rest
        import_roster(db, path, sync, int(pause))
    elif command == "publish":
        db, directory, sync, pause = rest
        publish(db, directory, sync, int(pause))
    else:
        raise SystemExit(f"unknown command {command}")
