"""Export: the properties real clients rely on, checked by parsing our own output with icalendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from tests.ical.conftest import busy_cadre, by_uid, first_of_kind, parse
from zhijin_training.db import Database
from zhijin_training.ical import export
from zhijin_training.models import AppSetting, Programme
from zhijin_training.services import attendance, programmes, roster, schedule
from zhijin_training.services.context import Actor, Context
from zhijin_training.timeutil import LOCAL_TZ, format_local, to_utc

FIXED_NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_calendar_headers_and_timezone(demo_ctx: Context) -> None:
    cal = parse(export.export_bytes(demo_ctx))
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["VERSION"]) == "2.0"
    assert "zhijin-training" in str(cal["PRODID"])
    assert str(cal["X-WR-CALNAME"]) == "织金县干部培训日程"
    assert "全县" in str(cal["X-WR-CALDESC"])
    assert str(cal["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert [tz.tz_name for tz in cal.timezones] == ["Asia/Shanghai"]
    assert cal.get_missing_tzids() == set()
    assert len(cal.events) == len(schedule.list_sessions(demo_ctx))


def test_bytes_utf8_crlf_folded_at_75_octets_without_splitting_characters(demo_ctx: Context) -> None:
    data = export.export_bytes(demo_ctx)
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert data.count(b"\n") == data.count(b"\r\n")  # no bare LF
    lines = data.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    folded = [line for line in lines if line.startswith(b" ")]
    assert len(folded) > 50  # the participant lists in Chinese are long
    for line in lines:
        line.decode("utf-8")  # a fold in the middle of a character would fail here


def test_uids_stable_unique_with_domain_and_dtstamp_utc(demo_ctx: Context) -> None:
    first = parse(export.export_bytes(demo_ctx))
    second = parse(export.export_bytes(demo_ctx))
    uids = [str(e["UID"]) for e in first.events]
    assert uids == [str(e["UID"]) for e in second.events]
    assert len(set(uids)) == len(uids)
    assert all(u.endswith("@zhijin-training.example.cn") for u in uids)
    assert first.to_ical() == second.to_ical()  # nothing changed: byte-identical (no export time inside)
    changed = {s.uid: s.updated_at for s in schedule.list_sessions(demo_ctx)}
    for event in first.events:
        # DTSTAMP is the session's last change, so an unchanged session exports the same bytes every time
        assert event["DTSTAMP"].dt == changed[str(event["UID"])].replace(microsecond=0)
        assert event["DTSTAMP"].to_ical().endswith(b"Z")


def test_sequence_rises_with_every_change_and_cancel_keeps_the_event(demo_ctx: Context) -> None:
    lecture = first_of_kind(demo_ctx, "lecture")
    before = by_uid(parse(export.export_bytes(demo_ctx, session_ids=[lecture.id])))[lecture.uid]
    [moved] = schedule.update_session(
        demo_ctx,
        lecture.id,
        schedule.SessionChanges(starts_at=lecture.starts_at + timedelta(hours=1)),
        expected_version=lecture.version,
        force=True,
    )
    after_move = by_uid(parse(export.export_bytes(demo_ctx, session_ids=[lecture.id])))[lecture.uid]
    assert after_move["SEQUENCE"] > before["SEQUENCE"]
    assert after_move.start == lecture.starts_at + timedelta(hours=1)
    schedule.cancel_session(demo_ctx, lecture.id, expected_version=moved.version, reason="专家临时有事")
    cancelled = by_uid(parse(export.export_bytes(demo_ctx, session_ids=[lecture.id])))[lecture.uid]
    assert cancelled["SEQUENCE"] > after_move["SEQUENCE"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["SUMMARY"]) == "【已取消】" + lecture.title
    assert "本场已取消" in str(cancelled["DESCRIPTION"])


def test_trip_is_all_day_with_exclusive_end_itinerary_and_no_alarm(demo_ctx: Context) -> None:
    trip = programmes.add_programme(demo_ctx, kind="study_trip", title="赴青州参观学习")
    session = schedule.create_trip(
        demo_ctx,
        schedule.SessionDraft(
            programme=trip.id,
            first_day=date(2026, 10, 12),
            last_day=date(2026, 10, 16),
            location="山东青州",
            participants=(busy_cadre(demo_ctx),),
            itinerary=(
                schedule.ItineraryStop(date(2026, 10, 12), "青州", "农业园区"),
                schedule.ItineraryStop(date(2026, 10, 14), "寿光", "蔬菜产业"),
            ),
        ),
        force=True,
    )
    data = export.export_bytes(demo_ctx, session_ids=[session.id])
    assert b"DTSTART;VALUE=DATE:20261012\r\n" in data
    assert b"DTEND;VALUE=DATE:20261017\r\n" in data
    event = parse(data).events[0]
    assert event.start == date(2026, 10, 12) and event.end == date(2026, 10, 17)
    assert "2026-10-14 寿光：蔬菜产业" in str(event["DESCRIPTION"])
    assert event.walk("VALARM") == []
    assert parse(data).timezones == []  # no TZID used, so no VTIMEZONE needed


def test_alarm_lead_time_per_kind_setting_and_programme_override(demo_ctx: Context) -> None:
    lecture = first_of_kind(demo_ctx, "lecture")
    meeting = first_of_kind(demo_ctx, "meeting")

    def trigger(session_id: int) -> timedelta | None:
        alarms = parse(export.export_bytes(demo_ctx, session_ids=[session_id])).events[0].walk("VALARM")
        assert len(alarms) <= 1
        if not alarms:
            return None
        assert str(alarms[0]["ACTION"]) == "DISPLAY"
        return alarms[0]["TRIGGER"].dt

    assert trigger(lecture.id) == timedelta(minutes=-60)
    assert trigger(meeting.id) == timedelta(minutes=-30)
    with demo_ctx.db.write() as s:
        s.merge(AppSetting(key="alarm.lecture", value=""))
        programme = s.get(Programme, meeting.programme_id)
        assert programme is not None
        programme.alarm_minutes = 15
    assert trigger(lecture.id) is None
    assert trigger(meeting.id) == timedelta(minutes=-15)


def test_participants_in_description_never_attendee_nor_phone(demo_ctx: Context) -> None:
    meeting = first_of_kind(demo_ctx, "meeting")
    sheet = attendance.session_attendance(demo_ctx, meeting.id)
    event = parse(export.export_bytes(demo_ctx, session_ids=[meeting.id])).events[0]
    description = str(event["DESCRIPTION"])
    assert "ATTENDEE" not in event
    assert f"参训人员（{len(sheet.participants)}人）" in description
    lines = description.splitlines()
    for p in sheet.participants:  # each name on its unit's line
        assert any(line.startswith(f"{p.unit_name}：") and p.cadre_name in line for line in lines)
    phones = [c.phone for c in roster.list_cadres(demo_ctx) if c.phone]
    assert phones and not any(phone in description for phone in phones)


def test_organizer_categories_location_speaker_broadcast(demo_ctx: Context) -> None:
    lecture = first_of_kind(demo_ctx, "lecture")
    event = parse(export.export_bytes(demo_ctx, session_ids=[lecture.id])).events[0]
    assert str(event["ORGANIZER"]) == "mailto:training@zhijin.example.cn"
    assert event["ORGANIZER"].params["CN"] == "中共织金县委组织部 干部教育培训办公室"
    assert [str(c) for c in event["CATEGORIES"].cats] == ["讲座", lecture.topic]
    assert str(event["LOCATION"]) == "县委党校报告厅"
    description = str(event["DESCRIPTION"])
    assert f"主讲：{lecture.speaker}" in description
    assert "分会场：各乡镇（街道）党委会议室" in description
    assert lecture.broadcast_at is not None
    assert f"电视播出：{format_local(lecture.broadcast_at)}" in description
    assert event.start.tzinfo is not None and str(event["DTSTART"].params["TZID"]) == "Asia/Shanghai"


def test_series_is_one_vevent_per_session_without_rrule(demo_ctx: Context) -> None:
    lectures = schedule.list_sessions(demo_ctx, kind="lecture")
    cal = parse(export.export_bytes(demo_ctx, kind="lecture"))
    assert len(cal.events) == len(lectures) > 10
    assert not any("RRULE" in e or "RECURRENCE-ID" in e or "EXDATE" in e for e in cal.events)


def test_filters_match_the_schedule_service(demo_ctx: Context) -> None:
    cadre = busy_cadre(demo_ctx)
    unit = roster.get_cadre(demo_ctx, cadre).unit_id
    cases = [
        ({"cadre_id": cadre}, {"cadre_id": cadre}),
        ({"unit_id": unit}, {"unit_id": unit}),
        ({"kind": "study_trip"}, {"kind": "study_trip"}),
        (
            {"start": date(2026, 5, 1), "end": date(2026, 6, 30)},
            {"start": date(2026, 5, 1), "end": date(2026, 6, 30)},
        ),
    ]
    for ours, theirs in cases:
        expected = {s.uid for s in schedule.list_sessions(demo_ctx, **theirs)}  # type: ignore[arg-type]
        assert set(by_uid(parse(export.export_bytes(demo_ctx, **ours)))) == expected, ours
    cal = export.build_calendar(demo_ctx, cadre_id=cadre, name="我的培训")
    assert str(cal["X-WR-CALNAME"]) == "我的培训"


def test_write_calendar_atomic_and_counts(demo_ctx: Context, tmp_path: Path) -> None:
    target = tmp_path / "out" / "c.ics"
    count = export.write_calendar(demo_ctx, target, kind="meeting")
    assert (
        count
        == len(schedule.list_sessions(demo_ctx, kind="meeting"))
        == len(parse(target.read_bytes()).events)
    )
    assert [p.name for p in target.parent.iterdir()] == ["c.ics"]


def test_context_without_settings_uses_default_office(demo_path: Path) -> None:
    ctx = Context(db=Database(f"sqlite:///{demo_path}"), actor=Actor("t"), clock=lambda: FIXED_NOW)
    try:
        event = parse(export.export_bytes(ctx, kind="meeting")).events[0]
        assert "training@zhijin.example.cn" in str(event["ORGANIZER"])
    finally:
        ctx.db.dispose()


def test_export_runs_a_constant_number_of_queries(demo_ctx: Context) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(demo_ctx.db.engine, "before_cursor_execute", count)
    try:
        export.export_bytes(demo_ctx)  # cold: every event read and serialised, then stored (ical/cache.py)
        cold = len(statements)
        statements.clear()
        export.export_bytes(demo_ctx)  # warm: the stored texts
        full = len(statements)
        statements.clear()
        export.export_bytes(demo_ctx, kind="meeting")
        small = len(statements)
    finally:
        sa.event.remove(demo_ctx.db.engine, "before_cursor_execute", count)
    assert cold <= 16
    assert full == small <= 8


def test_unknown_filter_reference_is_refused(demo_ctx: Context) -> None:
    from zhijin_training.services.errors import NotFoundError

    with pytest.raises(NotFoundError) as info:
        export.build_calendar(demo_ctx, cadre_id=99999)
    assert info.value.code == "ical.export_unknown" and info.value.params == {"entity": "cadre", "id": 99999}


def test_timed_session_keeps_local_wall_time(ctx: Context) -> None:
    p = programmes.add_programme(ctx, kind="course", title="乡村振兴专题培训班")
    start = to_utc(datetime(2026, 12, 4, 9, 30, tzinfo=LOCAL_TZ))
    s = schedule.create_session(
        ctx,
        schedule.SessionDraft(programme=p.id, starts_at=start, ends_at=start + timedelta(hours=3)),
        force=True,
    )
    data = export.export_bytes(ctx, session_ids=[s.id])
    assert b"DTSTART;TZID=Asia/Shanghai:20261204T093000\r\n" in data
    assert b"DTEND;TZID=Asia/Shanghai:20261204T123000\r\n" in data
    with ctx.db.read() as session:
        assert session.exec(select(AppSetting).where(AppSetting.key == "feed.secret")).first() is None


def test_cli_marks_a_note_public_or_internal(demo_path: Path, demo_ctx: Context) -> None:
    from typer.testing import CliRunner

    from zhijin_training.cli.main import app

    lecture = first_of_kind(demo_ctx, "lecture")
    runner = CliRunner()
    base = ["--db", str(demo_path), "sessions", "edit", str(lecture.id), "--force"]
    result = runner.invoke(app, [*base, "--note", "请提前十分钟到场", "--note-public"])
    assert result.exit_code == 0, result.output
    text = export.export_bytes(demo_ctx, session_ids=[lecture.id]).replace(b"\r\n ", b"").decode()
    assert "请提前十分钟到场" in text
    result = runner.invoke(app, [*base, "--note-internal"])
    assert result.exit_code == 0, result.output
    text = export.export_bytes(demo_ctx, session_ids=[lecture.id]).replace(b"\r\n ", b"").decode()
    assert "请提前十分钟到场" not in text
    assert schedule.get_session(demo_ctx, lecture.id).note == "请提前十分钟到场"  # kept, only not published
