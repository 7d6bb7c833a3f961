"""Migrations: from empty to head, and from the previous revision with data intact."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from tests.conftest import ENGINES, make_ctx, make_ctx_url, make_settings, pg_create, pg_drop
from zhijin_training.db import Database, migrate
from zhijin_training.services import roster
from zhijin_training.services.context import Context
from zhijin_training.services.errors import SchemaOutOfDate
from zhijin_training.services.seeding import init_database

_n = itertools.count()


def test_schema_head_constant_matches_alembic(tmp_path: Path) -> None:
    from zhijin_training.db.schema import SCHEMA_HEAD

    assert migrate.head_revision(Database(f"sqlite:///{tmp_path / 'h.db'}")) == SCHEMA_HEAD


@pytest.fixture(params=ENGINES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each engine under test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'e.db'}"
        return
    admin = request.getfixturevalue("pg_admin")
    name = f"zt_mig_{request.node.name[-12:].strip('[]-').lower()}_{os.getpid()}_{next(_n)}"
    yield pg_create(admin, name)
    pg_drop(admin, name)


def test_upgrade_from_empty_matches_models(empty_url: str) -> None:
    db = Database(empty_url)
    assert migrate.current_revision(db) is None
    migrate.upgrade(db)
    assert migrate.is_current(db)
    with db.engine.connect() as conn:
        # the migrations build exactly the schema the models describe
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    # compare_metadata ignores column order; the tallies' models share their columns through mixins, whose
    # order of bases decides it, and the migrations created these tables whole (no column added later)
    inspector = sa.inspect(db.engine)
    for table in ("tally_quarter", "tally_year", "tally_all", "tally_cadre"):
        built = [column["name"] for column in inspector.get_columns(table)]
        assert built == [column.name for column in SQLModel.metadata.tables[table].columns], table
    db.dispose()


def test_upgrade_from_previous_revision_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    ctx = make_ctx(path)
    migrate.upgrade(ctx.db, "0001")
    with ctx.db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO unit (id, name, kind, subkind, code, sort_order, active, note, version, created_at, "
            "updated_at) VALUES (7, '茶店布依族苗族彝族乡', 'township', '乡', '520524204', 1, 1, '', 3, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO cadre (id, name, unit_id, post_title, role, phone, active, note, version, created_at, "
            "updated_at) VALUES (1, '张三', 7, '乡党委书记', 'township_secretary', '', 1, '', 1, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    migrate.upgrade(ctx.db)
    assert migrate.current_revision(ctx.db) == migrate.head_revision(ctx.db)
    unit = roster.resolve_unit(ctx, "茶店")
    assert (unit.id, unit.code, unit.version) == (7, "520524204", 3)
    assert roster.resolve_cadre(ctx, "张三").unit_name == "茶店布依族苗族彝族乡"
    with ctx.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT county FROM unit WHERE id = 7").scalar() == "织金县"


def test_downgrade_and_upgrade_again(empty_url: str) -> None:
    ctx = make_ctx_url(empty_url)
    init_database(ctx)
    migrate.downgrade(ctx.db, "0001")
    assert "county" not in {c["name"] for c in sa.inspect(ctx.db.engine).get_columns("unit")}
    migrate.upgrade(ctx.db)
    assert len(roster.list_units(ctx, kind="township")) == 32
    ctx.db.dispose()


def test_opening_an_old_database_says_what_to_run(tmp_path: Path) -> None:
    from zhijin_training.services.context import open_context

    path = tmp_path / "old.db"
    migrate.upgrade(Database(f"sqlite:///{path}"), "0001")
    try:
        open_context(make_settings(path))
    except SchemaOutOfDate as exc:
        assert "db upgrade" in str(exc) and str(path) in str(exc)
    else:
        raise AssertionError("an old schema must be refused")


def test_uninitialised_database_says_run_init(tmp_path: Path) -> None:
    from zhijin_training.services.context import open_context

    try:
        open_context(make_settings(tmp_path / "new.db"))
    except SchemaOutOfDate as exc:
        assert "init" in str(exc)
    else:
        raise AssertionError("an empty database must be refused")


def test_init_is_idempotent(ctx: Context) -> None:
    before = roster.list_units(ctx, kind=None)
    report = init_database(ctx)
    assert report.units_added == 0 and report.departments_added == 0
    assert roster.list_units(ctx, kind=None) == before


def test_init_current_units_keeps_history(ctx: Context) -> None:
    report = init_database(ctx, units="current")
    townships = roster.list_units(ctx, kind="township", active_only=True)
    assert len(townships) == 33
    assert {"惠民街道", "双堰街道", "中寨镇"} <= {u.name for u in townships}
    # units that disappeared are kept, inactive, for history
    old = {u.name: u for u in roster.list_units(ctx, kind="township")}
    assert old["普翁乡"].active is False and old["营合乡"].active is False
    assert old["桂果镇"].code == "520524101000"
    assert report.units_deactivated >= 2
