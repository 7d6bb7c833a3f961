"""Migration 0007 chains an existing audit log and keeps the rows that predate it out of check's complaints."""

from __future__ import annotations

import json

from tests.conftest import make_ctx_url
from tests.db.test_migrations import empty_url  # noqa: F401  (the engine-parametrised fixture)
from zhijin_training.db import migrate
from zhijin_training.db.chain import GENESIS
from zhijin_training.services import audit, roster


def test_upgrade_to_0007_chains_old_entries(empty_url: str) -> None:  # noqa: F811
    ctx = make_ctx_url(empty_url)
    migrate.upgrade(ctx.db, "0003")
    with ctx.db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO unit (id, name, kind, subkind, code, sort_order, active, note, version, created_at, "
            "updated_at, county) VALUES (7, '茶店布依族苗族彝族乡', 'township', '乡', '520524204', 1, true, '', 3, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00', '织金县')"
        )
        for n in range(3):
            conn.exec_driver_sql(
                "INSERT INTO audit_log (at, os_user, action, entity, entity_id, before, after, reason) VALUES "
                f"('2026-01-0{n + 1} 08:00:00.000001', 'wang', 'update', 'unit', 7, NULL, "
                f"'{json.dumps({'version': n + 1})}', '第{n}次')"
            )
    migrate.upgrade(ctx.db)
    report = audit.verify_chain(ctx)
    assert report.ok and report.count == 3
    with ctx.db.engine.connect() as conn:
        first = conn.exec_driver_sql("SELECT prev_hash, real_user FROM audit_log ORDER BY id LIMIT 1").one()
    assert tuple(first) == (GENESIS, "")
    assert audit.replay_check(ctx) == []  # unit 7 predates the chain; its last entry agrees with it
    roster.add_unit(ctx, name="新单位", kind="township")  # the program extends the backfilled chain
    assert audit.verify_chain(ctx).count == 4 and audit.replay_check(ctx) == []
    migrate.downgrade(ctx.db, "0003")
    migrate.upgrade(ctx.db)
    assert audit.verify_chain(ctx).ok
    ctx.db.dispose()


def test_operation_is_in_the_chain_and_old_entries_hash_as_before() -> None:
    """Migration 0008's `operation` is hashed when set; an entry without one hashes exactly as before it existed,
    so the canonical form does not depend on which of 0007/0008 ran first."""
    from zhijin_training.db.chain import canonical, entry_hash

    entry = {"at": "2026-12-01 08:00:00.000001", "os_user": "wang", "real_user": "", "action": "update",
             "entity": "unit", "entity_id": 7, "session_id": None, "cadre_id": None, "before": None,
             "after": {"version": 2}, "reason": ""}
    without = entry_hash(entry, GENESIS)
    assert entry_hash({**entry, "operation": None}, GENESIS) == without  # a NULL column changes nothing
    assert b"operation" not in canonical(entry, GENESIS)
    grouped = entry_hash({**entry, "operation": "a" * 32}, GENESIS)
    assert grouped != without  # regrouping entries by editing `operation` breaks the chain
    assert entry_hash({**entry, "operation": "b" * 32}, GENESIS) != grouped


def test_entries_of_one_operation_share_it_and_verify(empty_url: str) -> None:  # noqa: F811
    ctx = make_ctx_url(empty_url)
    migrate.upgrade(ctx.db)
    roster.add_unit(ctx, name="新单位", kind="township")
    with ctx.db.engine.connect() as conn:
        operation = conn.exec_driver_sql("SELECT operation FROM audit_log ORDER BY id DESC LIMIT 1").scalar()
    assert operation  # audit.record writes operation and the chain fields together
    assert audit.verify_chain(ctx).ok
    with ctx.db.engine.begin() as conn:  # someone moves the entry into another operation, by hand
        if ctx.db.is_sqlite:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        conn.exec_driver_sql("UPDATE audit_log SET operation = 'forged' WHERE id = (SELECT MAX(id) FROM audit_log)")
    report = audit.verify_chain(ctx)
    assert not report.ok and report.problem == "hash"
    ctx.db.dispose()
