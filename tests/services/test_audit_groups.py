"""Issue 10 item 9: one audit row per operation (a new session with its participants is one operation)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import make_ctx
from tests.services.helpers import lecture, secretaries, session_on
from zhijin_training.db import migrate
from zhijin_training.services import attendance, audit, participants
from zhijin_training.services.context import Context


def test_a_new_session_with_its_participants_is_one_operation(ctx: Context) -> None:
    people = secretaries(ctx, 12)
    p = lecture(ctx)
    s = session_on(ctx, p.id, date(2026, 11, 20))
    entries = audit.list_entries(ctx, session_id=s.id)
    assert len(entries) == 13  # the session and its 12 participants: 13 rows before
    page = audit.list_groups(ctx, session_id=s.id)
    (group,) = page.groups
    assert (group.head.action, group.head.entity, group.head.session_id) == ("create", "session", s.id)
    assert group.size == 13 and group.count("create", "participant") == 12
    assert sorted(group.entry_ids) == sorted(e.id for e in entries)
    assert page.next_before is None
    # the next operation on the same session is its own row: "everyone else present" for 12 people
    attendance.mark_remaining_present(ctx, s.id)
    newest, created = audit.list_groups(ctx, session_id=s.id).groups
    assert created.key == group.key
    assert newest.count("create", "attendance") == 12
    assert (newest.head.entity, newest.head.changes["status"]) == ("session", ("scheduled", "held"))
    assert [e.id for e in audit.group_entries(ctx, newest.entry_ids)] == list(newest.entry_ids)
    # a cadre filter shows only that cadre's entry of each operation
    mine = audit.list_groups(ctx, cadre_id=people[0].id).groups
    assert [g.size for g in mine[:2]] == [1, 1]


def test_groups_page_by_operation_without_splitting_one(ctx: Context) -> None:
    people = secretaries(ctx, 5)
    p = lecture(ctx)
    first = session_on(ctx, p.id, date(2026, 12, 4))
    second = session_on(ctx, p.id, date(2026, 12, 11))
    participants.remove_participants(ctx, second.id, [people[0].id])
    page1 = audit.list_groups(ctx, limit=2)
    assert [(g.head.action, g.head.entity, g.head.session_id) for g in page1.groups] == [
        ("delete", "participant", second.id),
        ("create", "session", second.id),
    ]
    assert page1.groups[0].count("delete", "participant") == 1
    assert page1.next_before is not None
    page2 = audit.list_groups(ctx, limit=2, before_id=page1.next_before)
    assert page2.groups[0].head.session_id == first.id and page2.groups[0].size == 6
    seen = [i for g in page1.groups + page2.groups for i in g.entry_ids]
    assert len(seen) == len(set(seen))


def test_entries_written_before_the_operation_key_group_by_who_what_and_when(tmp_path: Path) -> None:
    """Migration 0008 adds the key without rewriting history: old entries are grouped when read."""
    ctx = make_ctx(tmp_path / "old.db")
    migrate.upgrade(ctx.db, "0003")
    with ctx.db.engine.begin() as conn:
        for i in range(1, 90):
            conn.exec_driver_sql(
                "INSERT INTO audit_log (id, at, os_user, action, entity, entity_id, session_id, cadre_id, reason) "
                f"VALUES ({i}, '2026-11-20 02:00:00.{i:06d}', 'wang', 'create', "
                f"'{'session' if i == 89 else 'participant'}', {i}, 7, {None if i == 89 else i}, '')".replace(
                    "None", "NULL"
                )
            )
        conn.exec_driver_sql(
            "INSERT INTO audit_log (id, at, os_user, action, entity, entity_id, session_id, cadre_id, reason) "
            "VALUES (90, '2026-11-20 02:00:05', 'li', 'update', 'participant', 3, 7, 3, '')"
        )
    migrate.upgrade(ctx.db)
    with ctx.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM audit_log WHERE operation IS NULL").scalar() == 90
        # still append-only after the migration
        with pytest.raises(sa.exc.DatabaseError):
            conn.exec_driver_sql("UPDATE audit_log SET reason = 'x' WHERE id = 1")
    groups = audit.list_groups(ctx).groups
    assert [(g.head.user, g.head.entity, g.size) for g in groups] == [
        ("li", "participant", 1),
        ("wang", "session", 89),
    ]
    assert groups[1].count("create", "participant") == 88
    ctx.db.dispose()


def test_one_transaction_one_operation_key(ctx: Context) -> None:
    secretaries(ctx, 3)
    p = lecture(ctx)
    a = session_on(ctx, p.id, date(2026, 12, 4))
    b = session_on(ctx, p.id, date(2026, 12, 11))
    with ctx.db.read() as s:
        ops = s.exec(
            sa.text(
                "SELECT session_id, count(DISTINCT operation), count(*) FROM audit_log GROUP BY session_id"
            )
        ).all()
    by_session = {sid: (n_ops, n) for sid, n_ops, n in ops if sid is not None}
    assert by_session == {a.id: (1, 4), b.id: (1, 4)}
