"""Two people editing the same session or attendance record: the second save is refused, naming the first."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from reliability.helpers import cli_env, dump, lecture_programme, make_private, run_cli
from zhijin_training.services import attendance, roster, schedule
from zhijin_training.services.context import Actor, Context
from zhijin_training.services.errors import ConflictError, describe


def _two(ctx: Context) -> tuple[Context, Context]:
    return (
        Context(db=ctx.db, actor=Actor("wang", "editor"), clock=ctx.clock),
        Context(db=ctx.db, actor=Actor("li", "editor"), clock=ctx.clock),
    )


def test_second_session_save_is_refused_with_who_and_when(ctx: Context, db_path: Path) -> None:
    wang, li = _two(ctx)
    cadre = roster.add_cadre(ctx, name="孙八", unit=roster.list_units(ctx)[0].id)
    sid = schedule.create_session(
        ctx,
        schedule.SessionDraft(
            programme=lecture_programme(ctx), first_day=date(2026, 11, 2), participants=(cadre.id,)
        ),
        force=True,
    ).id
    seen_by_both = schedule.get_session(ctx, sid).version
    schedule.update_session(
        wang, sid, schedule.SessionChanges(location="县委党校"), expected_version=seen_by_both
    )
    before = dump(db_path)
    with pytest.raises(ConflictError) as refused:
        schedule.update_session(
            li, sid, schedule.SessionChanges(location="县政府"), expected_version=seen_by_both
        )
    assert refused.value.code == "conflict.changed"
    assert refused.value.params["entity_id"] == sid and refused.value.params["changed_by"] == "wang"
    assert describe(refused.value, "en")[1] == (
        f"session #{sid} was changed by wang at 2026-11-24 10:00; reload and try again"
    )
    assert dump(db_path) == before
    fresh = schedule.get_session(li, sid)  # reload, then the save goes through
    schedule.update_session(
        li, sid, schedule.SessionChanges(location="县政府"), expected_version=fresh.version
    )
    assert schedule.get_session(ctx, sid).location == "县政府"


def test_second_attendance_save_is_refused(ctx: Context, db_path: Path) -> None:
    wang, li = _two(ctx)
    cadre = roster.add_cadre(ctx, name="周九", unit=roster.list_units(ctx)[0].id)
    sid = schedule.create_session(
        ctx,
        schedule.SessionDraft(
            programme=lecture_programme(ctx), first_day=date(2026, 11, 20), participants=(cadre.id,)
        ),
        force=True,
    ).id
    seen = attendance.session_attendance(ctx, sid).participants[0].version
    attendance.mark(wang, sid, cadre.id, attendance.Mark("late", expected_version=seen))
    before = dump(db_path)
    with pytest.raises(ConflictError) as refused:
        attendance.mark(li, sid, cadre.id, attendance.Mark("absent", expected_version=seen))
    assert refused.value.params["entity"] == "attendance" and refused.value.params["changed_by"] == "wang"
    assert "2026-11-24 10:00" in describe(refused.value, "en")[1]
    with pytest.raises(ConflictError):
        attendance.mark_many(li, sid, {cadre.id: attendance.Mark("absent", expected_version=seen)})
    assert dump(db_path) == before


def test_cli_second_save_exits_non_zero_with_one_line(demo_path: Path) -> None:
    make_private(demo_path)
    conn = sqlite3.connect(demo_path)
    seen = str(conn.execute("SELECT version FROM training_session WHERE id = 5").fetchone()[0])
    conn.close()
    first = run_cli(
        ["sessions", "edit", "5", "--version", seen, "--location", "第一位编辑的地点"],
        env=cli_env(demo_path, ZHIJIN_TRAINING_USER="wang"),
    )
    assert first.returncode == 0, first.stderr.decode()
    before = dump(demo_path)
    second = run_cli(
        ["sessions", "edit", "5", "--version", seen, "--location", "第二位编辑的地点"],
        env=cli_env(demo_path, ZHIJIN_TRAINING_USER="li"),
    )
    assert second.returncode == 1
    err = second.stderr.decode()
    assert "场次 #5 已由 wang 于 " in err and "请刷新后再试" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert dump(demo_path) == before
