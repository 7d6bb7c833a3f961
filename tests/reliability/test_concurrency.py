"""Several OS processes writing the same database at once (a SQLite file, and PostgreSQL when configured):
nothing lost, nothing locked, nothing half-done."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from reliability.helpers import add_cadres, integrity, new_session, start_worker, wait_for
from zhijin_training.services.context import Context

PROCESSES = 4
OPS = 50
MARKS_EACH = 20  # the other 30 operations edit sessions (own one and a shared one)
STATUSES = ("present", "late", "absent", "left_early")


def _plan(ops: int, marks: int) -> tuple[int, int, int]:
    """(marks, shared edits, own edits) a worker does: the same rule as worker.concurrent."""
    m = sh = own = 0
    for i in range(ops):
        if i < 2 * marks and i % 2 == 0:
            m += 1
        elif i % 3 == 0:
            sh += 1
        else:
            own += 1
    return m, sh, own


@pytest.mark.slow
def test_processes_write_concurrently_and_nothing_is_lost(engine_ctx: Context, tmp_path: Path) -> None:
    ctx = engine_ctx
    db_path = ctx.db.path
    target = str(db_path) if db_path is not None else ctx.db.url
    cadres = add_cadres(ctx, PROCESSES * MARKS_EACH)
    marks_session = new_session(ctx, cadres, date(2026, 11, 2), "并发考勤")
    own = [new_session(ctx, cadres[:3], date(2026, 11, 3 + k), f"自有场次{k}") for k in range(PROCESSES)]
    shared = new_session(ctx, cadres[:3], date(2026, 11, 16), "共享场次")
    ctx.db.dispose()
    sync = tmp_path / "sync"
    sync.mkdir()
    procs = [
        start_worker(
            "concurrent",
            target,
            str(k),
            str(OPS),
            str(marks_session),
            ",".join(map(str, cadres[k * MARKS_EACH : (k + 1) * MARKS_EACH])),
            str(own[k]),
            str(shared),
            str(sync),
        )
        for k in range(PROCESSES)
    ]
    for k, proc in enumerate(procs):
        wait_for(sync / f"ready-{k}", proc=proc)
    (sync / "go").touch()  # all start writing at the same moment
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err.decode(errors="replace")
        reports.append(json.loads(out.decode().strip().splitlines()[-1]))

    # no "database is locked" or any other failure surfaced to a worker
    assert [r["errors"] for r in reports] == [[]] * PROCESSES
    want_marks, want_shared, want_own = _plan(OPS, MARKS_EACH)
    assert all(
        (r["marks"], r["shared_edits"], r["own_edits"]) == (want_marks, want_shared, want_own)
        for r in reports
    )

    engine = sa.create_engine(ctx.db.url)
    conn = engine.connect()

    def q(sql: str, **params: object) -> sa.CursorResult:  # type: ignore[type-arg]
        return conn.execute(sa.text(sql), params)

    # every attendance row is there, with the status and the recorder its process wrote
    rows = dict(
        (cadre, (status, by))
        for cadre, status, by in q(
            "SELECT cadre_id, status, recorded_by FROM participant WHERE session_id = :s", s=marks_session
        )
    )
    expected = {
        c: (STATUSES[c % len(STATUSES)], f"w{k}")
        for k in range(PROCESSES)
        for c in cadres[k * MARKS_EACH : k * MARKS_EACH + want_marks]
    }
    lost = [c for c, v in expected.items() if rows.get(c) != v]
    assert lost == [], f"rows lost: {len(lost)}"
    audited = {
        c
        for (c,) in q(
            "SELECT cadre_id FROM audit_log WHERE entity='attendance' AND session_id=:s", s=marks_session
        )
    }
    assert audited == set(expected)
    # every session edit happened exactly once: versions count them, each has its audit entry
    for k, sid in enumerate(own):
        version, note = q("SELECT version, note FROM training_session WHERE id=:s", s=sid).one()
        assert version == 1 + want_own
        assert note.startswith(f"w{k} op ")
        n_audit = q(
            "SELECT count(*) FROM audit_log WHERE entity='session' AND action='update' AND entity_id=:s",
            s=sid,
        ).scalar_one()
        assert n_audit == want_own
    version = q("SELECT version FROM training_session WHERE id=:s", s=shared).scalar_one()
    assert version == 1 + PROCESSES * want_shared  # no lost update despite the conflicts
    n_shared_audit = q(
        "SELECT count(*) FROM audit_log WHERE entity='session' AND action='update' AND entity_id=:s", s=shared
    ).scalar_one()
    assert n_shared_audit == PROCESSES * want_shared
    conn.close()
    engine.dispose()
    if db_path is not None:
        assert integrity(db_path) == ["ok"]
    total_ops = sum(r["marks"] + r["shared_edits"] + r["own_edits"] for r in reports)
    conflicts = sum(r["conflicts"] for r in reports)
    print(
        f"\nconcurrency ({ctx.db.engine.dialect.name}): {PROCESSES} processes, {total_ops} operations, {conflicts} conflicts retried, rows lost: 0"
    )
