"""Migration 0006: notes become internal (note_public false) and the feed secret leaves the database; existing
sessions, their notes and other settings are kept. On SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ENGINES, make_ctx_url, pg_create, pg_drop
from zhijin_training.db import migrate
from zhijin_training.db.schema import SCHEMA_HEAD
from zhijin_training.services import schedule
from zhijin_training.services.seeding import init_database

_n = itertools.count()


@pytest.fixture(params=ENGINES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    admin = request.getfixturevalue("pg_admin")
    name = f"zt_i14_{os.getpid()}_{next(_n)}"
    yield pg_create(admin, name)
    pg_drop(admin, name)


def test_upgrade_from_0003_keeps_sessions_makes_notes_internal_and_drops_the_secret(url: str) -> None:
    ctx = make_ctx_url(url)
    init_database(ctx)
    migrate.downgrade(ctx.db, "0003")
    with ctx.db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO programme (id, kind, title, description, organiser, default_topic, destinations, "
            "host_place, active, version, created_at, updated_at) VALUES (900, 'lecture', '织金大讲堂', '', '', '', "
            "'[]', '', true, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO training_session (id, programme_id, detached, title, topic, speaker, location, "
            "branch_venues, starts_at, ends_at, all_day, status, note, uid, sequence, version, created_at, "
            "updated_at, updated_by) VALUES (900, 900, false, '第1讲', '', '', '', '[]', '2026-12-04 07:00:00', "
            "'2026-12-04 09:00:00', false, 'scheduled', '内部：该讲座经费未批', 'u900@x', 2, 3, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 'wang')"
        )
        conn.exec_driver_sql("INSERT INTO app_setting (key, value) VALUES ('feed.secret', 'abc123')")
    migrate.upgrade(ctx.db)
    assert migrate.current_revision(ctx.db) == SCHEMA_HEAD  # through 0006 and on to the head
    [session] = [s for s in schedule.list_sessions(ctx) if s.id == 900]
    assert (session.note, session.note_public, session.version, session.sequence) == (
        "内部：该讲座经费未批",
        False,
        3,
        2,
    )
    with ctx.db.engine.connect() as conn:
        keys = {k for (k,) in conn.exec_driver_sql("SELECT key FROM app_setting")}
    assert "feed.secret" not in keys and "alarm.lecture" in keys
    migrate.downgrade(ctx.db, "0003")
    migrate.upgrade(ctx.db)
    ctx.db.dispose()
