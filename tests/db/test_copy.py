"""`db copy`: every row arrives, counts checked; a non-empty target is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PG_URL, make_ctx_url, pg_create, pg_drop
from tests.errors import raises_code
from zhijin_training.db import Database
from zhijin_training.services import attendance, schedule
from zhijin_training.services.context import Context
from zhijin_training.services.dbcopy import copy_database
from zhijin_training.services.errors import ValidationError


def _target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, object]:
    if PG_URL:
        admin = request.getfixturevalue("pg_admin")
        name = f"zt_copy_{tmp_path.name[-10:].replace('-', '_').lower()}"
        return pg_create(admin, name), lambda: pg_drop(admin, name)
    return f"sqlite:///{tmp_path / 'target.db'}", lambda: None


def test_copy_demo_database(demo_ctx: Context, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url, cleanup = _target(request, tmp_path)
    try:
        report = copy_database(demo_ctx.db, Database(url))
        assert report.counts["training_session"] == len(schedule.list_sessions(demo_ctx))
        assert report.counts["audit_log"] > 100
        copied = make_ctx_url(url)
        first = schedule.list_sessions(demo_ctx)[0]
        assert schedule.get_session(copied, first.id) == schedule.get_session(demo_ctx, first.id)
        sheet = attendance.session_attendance(copied, first.id)
        assert sheet == attendance.session_attendance(demo_ctx, first.id)
        # new rows get fresh ids after the copied ones (sequences moved on PostgreSQL)
        new = schedule.create_session(copied, schedule.SessionDraft(
            programme=first.programme_id, starts_at=first.starts_at, ends_at=first.ends_at), force=True)
        assert new.id > max(s.id for s in schedule.list_sessions(demo_ctx))
        with raises_code(ValidationError, "dbcopy.target_not_empty"):  # the code, not the words
            copy_database(demo_ctx.db, Database(url))
        copied.db.dispose()
    finally:
        cleanup()  # type: ignore[operator]
