"""Helpers for the Roster / Attendance / Reports / Audit tests: a 40-person session and table access."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from zhijin_training.services import roster, schedule
from zhijin_training.services.context import Context
from zhijin_training.timeutil import LOCAL_TZ
from zhijin_training.tui.kit.table import Table


def forty_person_session(ctx: Context, *, branch: bool = True) -> tuple[int, list[int]]:
    """A course happening now (09:00-11:00 on the fixed day, 10:00) for the first 40 cadres of the roster."""
    cadres = [c.id for c in roster.list_cadres(ctx, limit=40)]
    assert len(cadres) == 40
    lecture = next(p for p in schedule.list_sessions(ctx, kind="lecture", limit=1))
    start = datetime(2026, 11, 24, 9, 0, tzinfo=LOCAL_TZ)
    view = schedule.create_session(
        ctx,
        schedule.SessionDraft(
            programme=lecture.programme_id,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            title="乡镇党建工作专题培训",
            location="县委党校报告厅",
            branch_venues=("猫场镇分会场",) if branch else (),
            participants=tuple(cadres),
        ),
        force=True,
    )
    return view.id, cadres


def table_rows(app: Any, selector: str) -> list[list[str]]:
    """The plain text of every loaded row of an Table (what the cells say, before clipping)."""
    table = app.screen.query_one(selector, Table)
    return [[v.plain if hasattr(v, "plain") else str(v) for v in values] for _key, values in table.data_rows]
