"""0004 creates calendar_day and fills it with the library's holidays, keeping existing data."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_ctx
from zhijin_training.db import migrate
from zhijin_training.services import holidays


def test_upgrade_from_0003_backfills_library_days(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path / "old.db")
    migrate.upgrade(ctx.db, "0003")
    with ctx.db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO unit (id, name, kind, subkind, code, sort_order, active, note, version, created_at, "
            "updated_at, county) VALUES (7, '茶店布依族苗族彝族乡', 'township', '乡', '520524204', 1, 1, '', 3, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00', '织金县')"
        )
    migrate.upgrade(ctx.db, "0004")
    with ctx.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name FROM unit WHERE id = 7").scalar() == "茶店布依族苗族彝族乡"
        count = conn.exec_driver_sql("SELECT count(*) FROM calendar_day WHERE source = 'library'").scalar()
    assert count == len(holidays.library_rows()) > 700
    days, known = holidays.list_year(ctx, 2025)
    assert known and any(d.name == "春节" for d in days)
    migrate.downgrade(ctx.db, "0003")
    with ctx.db.engine.connect() as conn:
        assert not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'calendar_day'").fetchone()
