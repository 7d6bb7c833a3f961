"""A second person at work while the figures are taken: attendance marks written in a loop, in its own process.

    python -m benchmarks.writer DB SECONDS_BETWEEN_MARKS

Each mark is its own write transaction (BEGIN IMMEDIATE, as the app's writes are), on the participants of
a session other than the benchmark's big one. It writes until its standard input closes or it is
terminated, then puts every row it touched back as it was, so the cached database stays as generated.
It prints one line ("ready N") once it holds its rows, so the measuring process starts only then.
"""

from __future__ import annotations

import signal
import sqlite3
import sys
import threading
import time
from typing import Any

STATUSES = ("present", "late", "absent", "left_early")


def main(db: str, pause: float) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    con.execute("PRAGMA busy_timeout = 30000")
    # the newest session before the big one with enough people: a clerk recording yesterday's course
    row = con.execute(
        "SELECT p.session_id FROM participant p GROUP BY p.session_id HAVING count(*) >= 20"
        " ORDER BY p.session_id DESC LIMIT 1 OFFSET 1"
    ).fetchone()
    if row is None:
        print("ready 0", flush=True)
        return 0
    session_id = int(row[0])
    saved: list[tuple[Any, ...]] = con.execute(
        "SELECT id, status, recorded_by, recorded_at, version FROM participant WHERE session_id = ?",
        (session_id,),
    ).fetchall()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    print(f"ready {len(saved)}", flush=True)
    marks = 0
    try:
        while not stop.is_set():
            pid = saved[marks % len(saved)][0]
            con.execute("BEGIN IMMEDIATE")
            con.execute(
                "UPDATE participant SET status = ?, recorded_by = 'bench-writer',"
                " recorded_at = ?, version = version + 1 WHERE id = ?",
                (STATUSES[marks % len(STATUSES)], time.strftime("%Y-%m-%d %H:%M:%S.000000"), pid),
            )
            con.execute("COMMIT")
            marks += 1
            stop.wait(pause)
    finally:
        con.execute("BEGIN IMMEDIATE")
        con.executemany(
            "UPDATE participant SET status = ?, recorded_by = ?, recorded_at = ?, version = ? WHERE id = ?",
            [(st, by, at, v, pid) for pid, st, by, at, v in saved],
        )
        con.execute("COMMIT")
        con.close()
    print(f"marks {marks}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.05))
