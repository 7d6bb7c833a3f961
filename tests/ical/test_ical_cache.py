"""The event cache (ical/cache.py, table ical_event_cache): an export from stored texts says exactly what a fresh
serialisation says, after every kind of change that shows in an event, and it is actually used."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.ical.conftest import busy_cadre
from zhijin_training.db import Database
from zhijin_training.ical import cache, export
from zhijin_training.services import participants, roster, schedule
from zhijin_training.services.context import Actor, Context
from zhijin_training.services.schedule import SessionChanges


def _fresh(ctx: Context, **filters: object) -> bytes:
    """What icalendar writes for the same calendar without any cache (the reference)."""
    return bytes(export.build_calendar(ctx, **filters).to_ical())  # type: ignore[arg-type]


def _rows(ctx: Context) -> int:
    with ctx.db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM ical_event_cache")).scalar_one()


def _lecture(ctx: Context) -> schedule.SessionView:
    """The next lecture (its participants are not yet recorded, so one may be removed)."""
    return next(
        v for v in schedule.list_sessions(ctx, kind="lecture") if not v.is_cancelled and v.starts_at > ctx.now()
    )


def _edit(**fields: object) -> Callable[[Context], str]:
    def change(ctx: Context) -> str:
        v = _lecture(ctx)
        schedule.update_session(ctx, v.id, SessionChanges(**fields), expected_version=v.version, force=True)  # type: ignore[arg-type]
        return v.uid

    return change


def _cancel(ctx: Context) -> str:
    v = _lecture(ctx)
    schedule.cancel_session(ctx, v.id, expected_version=v.version, reason="主讲人临时出差")
    return v.uid


def _note_public(ctx: Context) -> str:
    v = _lecture(ctx)
    schedule.update_session(
        ctx,
        v.id,
        SessionChanges(note="联系人：王老师", note_public=True),
        expected_version=v.version,
        force=True,
    )
    return v.uid


def _drop_participant(ctx: Context) -> str:
    v = _lecture(ctx)
    from zhijin_training.services import attendance

    people = attendance.session_attendance(ctx, v.id).participants
    victim = next(p for p in people if p.status is None)
    participants.remove_participants(ctx, v.id, [victim.cadre_id])
    return v.uid


def _rename_cadre(ctx: Context) -> str:
    v = _lecture(ctx)
    from zhijin_training.services import attendance

    person = attendance.session_attendance(ctx, v.id).participants[0]
    cadre = roster.get_cadre(ctx, person.cadre_id)
    roster.update_cadre(ctx, cadre.id, name="改名测试", expected_version=cadre.version)
    return v.uid


def _rename_unit_by_hand(ctx: Context) -> str:
    """Even a change made outside the services (no version raised) shows: the roster's names are in the key."""
    v = _lecture(ctx)
    from zhijin_training.services import attendance

    person = next(p for p in attendance.session_attendance(ctx, v.id).participants if p.unit_id)
    with ctx.db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE unit SET name = '改名乡' WHERE id = :id"), {"id": person.unit_id})
    return v.uid


def _retitle_programme_by_hand(ctx: Context) -> str:
    v = _lecture(ctx)
    with ctx.db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE programme SET title = '新讲堂' WHERE id = :id"), {"id": v.programme_id})
    return v.uid


def _alarm_setting_by_hand(ctx: Context) -> str:
    with ctx.db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM app_setting WHERE key = 'alarm.lecture'"))
        conn.execute(sa.text("INSERT INTO app_setting (key, value) VALUES ('alarm.lecture', '45')"))
    return _lecture(ctx).uid


CHANGES: dict[str, tuple[Callable[[Context], str], bytes]] = {
    "title": (_edit(title="织金大讲堂 改题"), "改题".encode()),
    "time": (
        lambda ctx: _edit(
            starts_at=_lecture(ctx).starts_at + timedelta(hours=1),
            ends_at=_lecture(ctx).ends_at + timedelta(hours=1),
        )(ctx),
        b"SEQUENCE",
    ),
    "venue": (_edit(location="测试会场甲"), "测试会场甲".encode()),
    "branch venues": (_edit(branch_venues=("桂果镇分会场",)), "桂果镇分会场".encode()),
    "broadcast": (_edit(clear_broadcast=True), b"SEQUENCE"),
    "speaker": (_edit(speaker="李教授"), "李教授".encode()),
    "cancellation": (_cancel, "主讲人临时出差".encode()),
    "public note": (_note_public, "联系人".encode()),
    "participants": (_drop_participant, b"SEQUENCE"),
    "cadre renamed": (_rename_cadre, "改名测试".encode()),
    "unit renamed by hand": (_rename_unit_by_hand, "改名乡".encode()),
    "programme retitled by hand": (_retitle_programme_by_hand, "新讲堂".encode()),
    "alarm setting": (_alarm_setting_by_hand, b"BEGIN:VALARM"),
}


def _event(data: bytes, uid: str) -> bytes:
    start = data.index(b"UID:" + uid.encode())
    begin = data.rindex(b"BEGIN:VEVENT", 0, start)
    return data[begin : data.index(b"END:VEVENT", start)]


@pytest.mark.parametrize("what", list(CHANGES))
def test_a_change_shows_in_the_next_export(demo_ctx: Context, what: str) -> None:
    change, probe = CHANGES[what]
    before = export.export_bytes(demo_ctx)
    assert _rows(demo_ctx) > 0  # the cache was filled
    assert export.export_bytes(demo_ctx) == before == _fresh(demo_ctx)
    uid = change(demo_ctx)
    after = export.export_bytes(demo_ctx)
    assert after == _fresh(demo_ctx)  # exactly what icalendar writes from scratch
    old, new = _event(before, uid), _event(after, uid)
    assert old != new
    assert probe in new.replace(b"\r\n ", b"")
    # and the personal calendar of a participant follows too
    cadre = busy_cadre(demo_ctx)
    assert export.export_bytes(demo_ctx, cadre_id=cadre) == _fresh(demo_ctx, cadre_id=cadre)


def test_unchanged_events_are_not_serialised_again(
    demo_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    export.export_bytes(demo_ctx)
    built: list[int] = []
    real = export.EventBuilder.event

    def counting(self: export.EventBuilder, data: object, *args: object, **kwargs: object) -> object:
        built.append(1)
        return real(self, data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(export.EventBuilder, "event", counting)
    export.export_bytes(demo_ctx)
    assert built == []
    _edit(speaker="只改一场")(demo_ctx)
    export.export_bytes(demo_ctx)
    assert len(built) == 1


def test_attendance_marks_after_the_first_leave_the_cache_valid(demo_ctx: Context) -> None:
    from zhijin_training.services import attendance

    v = next(s for s in schedule.list_sessions(demo_ctx, kind="lecture") if s.status == "held")
    export.export_bytes(demo_ctx)
    with demo_ctx.db.read() as s:
        world = cache.world_stamp(
            s, alarms=export.alarm_settings(s), organizer=export._org(demo_ctx), prefix="【已取消】"
        )
        key_before = next(p.key for p in cache.plan(s, export.Filters(session_ids=(v.id,)), world))
    person = attendance.session_attendance(demo_ctx, v.id).participants[0]
    attendance.mark(demo_ctx, v.id, person.cadre_id, attendance.Mark("late", correction_reason="记错了"))
    with demo_ctx.db.read() as s:
        key_after = next(p.key for p in cache.plan(s, export.Filters(session_ids=(v.id,)), world))
    assert key_after == key_before  # attendance is not in the calendar: the stored text stays good


def test_a_reader_who_may_not_write_gets_the_same_bytes(demo_ctx: Context, demo_path: Path) -> None:
    ro = Context(
        db=Database(f"sqlite:///file:{demo_path}?mode=ro&uri=true"),
        actor=Actor("v", "viewer"),
        settings=demo_ctx.settings,
        clock=demo_ctx.clock,
    )
    try:
        assert export.export_bytes(ro) == _fresh(demo_ctx)
    finally:
        ro.db.dispose()
    assert _rows(demo_ctx) == 0  # nothing could be stored, nothing broke


def test_stored_rows_say_uid_and_sequence(demo_ctx: Context) -> None:
    export.export_bytes(demo_ctx)
    v = _lecture(demo_ctx)
    with demo_ctx.db.engine.connect() as conn:
        uid, seq = conn.execute(
            sa.text(
                "SELECT uid, sequence FROM ical_event_cache WHERE session_id = :i AND variant = 'office'"
            ),
            {"i": v.id},
        ).one()
    assert (uid, seq) == (v.uid, v.sequence)
