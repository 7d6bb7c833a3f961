"""Migration 0005 (学时) upgrades a database with data: ranks are inferred from roles, columns get defaults."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.conftest import make_ctx
from zhijin_training.db import migrate
from zhijin_training.services import hours


def test_upgrade_from_0003_backfills_ranks_and_keeps_rows(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path / "old.db")
    migrate.upgrade(ctx.db, "0003")
    with ctx.db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO unit (id, name, kind, subkind, code, sort_order, active, note, version, created_at, "
            "updated_at) VALUES (7, '茶店布依族苗族彝族乡', 'township', '乡', '520524204', 1, 1, '', 3, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        for cid, name, role in ((1, "张三", "township_secretary"), (2, "李四", "other")):
            conn.exec_driver_sql(
                "INSERT INTO cadre (id, name, unit_id, post_title, role, phone, active, note, version, "
                f"created_at, updated_at) VALUES ({cid}, '{name}', 7, '', '{role}', '', 1, '', 1, "
                "'2026-03-01 00:00:00', '2026-03-01 00:00:00')"
            )
        conn.exec_driver_sql(
            "INSERT INTO post (cadre_id, unit_id, post_title, role, start_date, note) "
            "VALUES (1, 7, '乡党委书记', 'township_secretary', '2019-05-06', '')"
        )
    migrate.upgrade(ctx.db, "0005")
    assert migrate.current_revision(ctx.db) == "0005"
    migrate.upgrade(ctx.db)  # and on to the head: the later revisions keep the 学时 data
    first = hours.rank_history(ctx, 1)
    assert [(s.rank, s.start, s.end) for s in first] == [("township_section", date(2019, 5, 6), None)]
    assert [(s.rank, s.start) for s in hours.rank_history(ctx, 2)] == [("other", date(2026, 3, 1))]
    with ctx.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT gender, education FROM cadre WHERE id = 1").one() == ("", "")
        assert conn.exec_driver_sql("SELECT count(*) FROM external_training").scalar() == 0
    row = hours.ledger(ctx, 2026, cadre_id=1).rows[0]
    assert row.target == 90 and row.centralised_hours == 0
    migrate.downgrade(ctx.db, "0003")  # and back: the old schema again, the cadres kept
    with ctx.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM cadre").scalar() == 2
    migrate.upgrade(ctx.db)
    assert len(hours.rank_history(ctx, 1)) == 1
