"""Migration 0011 (ical_event_cache) on a database with sessions: down to 0008 drops the table, up again makes it
empty, and the first export refills it with the same bytes. On SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ENGINES, make_ctx_url, pg_create, pg_drop
from zhijin_training.db import migrate
from zhijin_training.ical import export
from zhijin_training.services.seeding import init_database

_n = itertools.count()


@pytest.fixture(params=ENGINES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    admin = request.getfixturevalue("pg_admin")
    name = f"zt_cache_{os.getpid()}_{next(_n)}"
    yield pg_create(admin, name)
    pg_drop(admin, name)


def _cached(ctx: object) -> int | None:
    with ctx.db.engine.connect() as conn:  # type: ignore[attr-defined]
        if not sa.inspect(conn).has_table("ical_event_cache"):
            return None
        return conn.execute(sa.text("SELECT count(*) FROM ical_event_cache")).scalar_one()


def test_upgrade_to_0011_with_sessions_then_export_refills(url: str) -> None:
    ctx = make_ctx_url(url)
    try:
        init_database(ctx, demo=True)
        before = export.export_bytes(ctx)
        assert (_cached(ctx) or 0) > 0
        migrate.downgrade(ctx.db, "0009")  # the revision before the cache
        assert _cached(ctx) is None
        migrate.upgrade(ctx.db)
        assert _cached(ctx) == 0  # nothing to backfill: derived data, filled by the next export
        assert export.export_bytes(ctx) == before
        assert (_cached(ctx) or 0) > 0
    finally:
        ctx.db.dispose()
