"""Import: preview, matched by UID, updates in place, and bad files refused with nothing written."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select
from typer.testing import CliRunner

from tests.ical.conftest import first_of_kind
from zhijin_training.ical import export, importer, parse
from zhijin_training.models import AuditEntry, Programme, TrainingSession
from zhijin_training.services import audit, schedule
from zhijin_training.services.context import Actor, Context
from zhijin_training.services.errors import ConflictError, PermissionDenied, ValidationError


def _counts(ctx: Context) -> tuple[int, int, int]:
    with ctx.db.read() as s:
        return (
            s.exec(select(sa.func.count()).select_from(TrainingSession)).one(),
            s.exec(select(sa.func.count()).select_from(AuditEntry)).one(),
            s.exec(select(sa.func.count()).select_from(Programme)).one(),
        )


def _import(ctx: Context, data: bytes, name: str = "feed.ics") -> importer.ImportPreview:
    preview = importer.preview_import(ctx, data, name)
    importer.apply_import(ctx, preview)
    return preview


def test_import_twice_changes_nothing_and_round_trips(demo_ctx: Context, empty_ctx: Context) -> None:
    data = export.export_bytes(demo_ctx)
    total = len(schedule.list_sessions(demo_ctx))
    first = importer.preview_import(empty_ctx, data, "all.ics")
    assert len(first.added) == total and not first.changed and not first.skipped
    assert ("织金大讲堂", "lecture") in first.new_programmes
    assert _counts(empty_ctx)[0] == 0  # preview writes nothing
    result = importer.apply_import(empty_ctx, first)
    assert result.added == total and result.programmes_created == len(first.new_programmes)
    before = _counts(empty_ctx)
    second = importer.preview_import(empty_ctx, data, "all.ics")
    assert len(second.unchanged) == total and not second.has_changes
    importer.apply_import(empty_ctx, second)
    assert _counts(empty_ctx)[0] == before[0]
    # what we hold now says what the source said (participants aside)
    theirs = {s.uid: s for s in schedule.list_sessions(demo_ctx)}
    for mine in schedule.list_sessions(empty_ctx):
        other = theirs[mine.uid]
        for name in (
            "title",
            "topic",
            "speaker",
            "location",
            "branch_venues",
            "broadcast_at",
            "starts_at",
            "ends_at",
            "all_day",
            "note",
            "itinerary",
            "sequence",
            "programme_title",
            "programme_kind",
        ):
            assert getattr(mine, name) == getattr(other, name), name
        assert mine.is_cancelled == other.is_cancelled


def test_updated_file_updates_in_place_raising_sequence(demo_ctx: Context, empty_ctx: Context) -> None:
    _import(empty_ctx, export.export_bytes(demo_ctx))
    lecture = first_of_kind(demo_ctx, "lecture")
    meeting = first_of_kind(demo_ctx, "meeting")
    [moved] = schedule.update_session(
        demo_ctx,
        lecture.id,
        schedule.SessionChanges(starts_at=lecture.starts_at + timedelta(days=1), speaker="省委党校 新专家"),
        expected_version=lecture.version,
        force=True,
    )
    schedule.cancel_session(demo_ctx, meeting.id, expected_version=meeting.version)
    preview = importer.preview_import(empty_ctx, export.export_bytes(demo_ctx), "all.ics")
    assert {i.uid: set(i.changes) for i in preview.changed} == {
        # the lecture's TV broadcast moved with it (same offset from the start)
        lecture.uid: {"time", "speaker", "broadcast_at"},
        meeting.uid: {"status"},
    }
    assert not preview.added
    importer.apply_import(empty_ctx, preview)
    mine = {s.uid: s for s in schedule.list_sessions(empty_ctx)}
    assert mine[lecture.uid].starts_at == moved.starts_at and mine[lecture.uid].speaker == "省委党校 新专家"
    assert mine[lecture.uid].broadcast_at == moved.broadcast_at
    assert mine[lecture.uid].sequence >= moved.sequence
    assert mine[meeting.uid].is_cancelled
    entries = audit.list_entries(empty_ctx, session_id=mine[meeting.uid].id)
    assert any(e.changes.get("status") == ("scheduled", "cancelled") for e in entries)
    assert audit.list_entries(empty_ctx, entity="calendar")[0].after["changed"]  # type: ignore[index]


def test_older_file_is_skipped_not_applied(demo_ctx: Context, empty_ctx: Context) -> None:
    old = export.export_bytes(demo_ctx, kind="meeting")
    _import(empty_ctx, old)
    meeting = first_of_kind(empty_ctx, "meeting")
    schedule.update_session(
        empty_ctx,
        meeting.id,
        schedule.SessionChanges(location="县委第二会议室"),
        expected_version=meeting.version,
    )
    preview = importer.preview_import(empty_ctx, old, "old.ics")
    [skip] = preview.skipped
    assert skip.uid == meeting.uid and "older than ours" in skip.reason
    assert not preview.changed


def test_session_edited_after_preview_aborts_everything(demo_ctx: Context, empty_ctx: Context) -> None:
    _import(empty_ctx, export.export_bytes(demo_ctx, kind="meeting"))
    meeting = first_of_kind(demo_ctx, "meeting")
    schedule.update_session(
        demo_ctx, meeting.id, schedule.SessionChanges(note="改到下午"), expected_version=meeting.version
    )
    preview = importer.preview_import(empty_ctx, export.export_bytes(demo_ctx), "all.ics")
    assert preview.added and preview.changed
    mine = next(s for s in schedule.list_sessions(empty_ctx) if s.uid == meeting.uid)
    schedule.update_session(
        empty_ctx, mine.id, schedule.SessionChanges(speaker="x"), expected_version=mine.version
    )
    before = _counts(empty_ctx)
    with pytest.raises(ConflictError):
        importer.apply_import(empty_ctx, preview)
    assert _counts(empty_ctx) == before


def test_viewer_may_preview_but_not_import(demo_ctx: Context, empty_ctx: Context) -> None:
    viewer = Context(
        db=empty_ctx.db, actor=Actor("v", "viewer"), settings=empty_ctx.settings, clock=empty_ctx.clock
    )
    preview = importer.preview_import(viewer, export.export_bytes(demo_ctx, kind="meeting"), "m.ics")
    with pytest.raises(PermissionDenied):
        importer.apply_import(viewer, preview)


FOREIGN = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Bijie//Training//ZH\r
X-WR-CALNAME:毕节市干部培训\r
BEGIN:VEVENT\r
UID:city-1@bijie.example.cn\r
DTSTAMP:20261101T000000Z\r
DTSTART;TZID=Asia/Shanghai:20261210T090000\r
DTEND;TZID=Asia/Shanghai:20261210T113000\r
SUMMARY:全市乡村振兴专题讲座\r
CATEGORIES:讲座,乡村振兴\r
LOCATION:毕节市委党校\r
DESCRIPTION:请各县组织收看。\\n自带笔记本。\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:city-2@bijie.example.cn\r
DTSTAMP:20261101T000000Z\r
DTSTART;VALUE=DATE:20261214\r
DTEND;VALUE=DATE:20261216\r
SUMMARY:赴黔西参观\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:city-3@bijie.example.cn\r
DTSTAMP:20261101T000000Z\r
DTSTART:20261201T010000Z\r
DURATION:PT1H\r
RRULE:FREQ=WEEKLY;COUNT=3\r
SUMMARY:每周例会\r
END:VEVENT\r
BEGIN:VTODO\r
UID:todo-1@bijie.example.cn\r
DTSTAMP:20261101T000000Z\r
SUMMARY:报送名单\r
END:VTODO\r
BEGIN:VEVENT\r
DTSTAMP:20261101T000000Z\r
DTSTART:20261201T010000Z\r
DTEND:20261201T020000Z\r
SUMMARY:没有UID\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_foreign_calendar_programme_rule_and_skips(empty_ctx: Context) -> None:
    preview = importer.preview_import(empty_ctx, FOREIGN.encode(), "bijie.ics")
    assert [i.uid for i in preview.added] == ["city-1@bijie.example.cn", "city-2@bijie.example.cn"]
    assert sorted(preview.new_programmes) == [("毕节市干部培训", "course"), ("毕节市干部培训", "lecture")]
    reasons = {i.title: i.reason for i in preview.skipped}
    assert "recurring" in reasons["每周例会"]
    assert "VTODO" in reasons["报送名单"]
    assert "no UID" in reasons["没有UID"]
    line = next(i.where for i in preview.skipped if i.title == "每周例会")
    assert "bijie.ics: line 22" in line
    importer.apply_import(empty_ctx, preview)
    [lecture] = schedule.list_sessions(empty_ctx, kind="lecture")
    assert (lecture.title, lecture.topic, lecture.location) == (
        "全市乡村振兴专题讲座",
        "乡村振兴",
        "毕节市委党校",
    )
    assert lecture.note == "请各县组织收看。\n自带笔记本。"
    [trip] = schedule.list_sessions(empty_ctx, kind="course")
    assert trip.all_day and (trip.first_day.isoformat(), trip.last_day.isoformat()) == (
        "2026-12-14",
        "2026-12-15",
    )
    again = importer.preview_import(empty_ctx, FOREIGN.encode(), "bijie.ics")
    assert len(again.unchanged) == 2 and not again.has_changes


def _event(body: str) -> bytes:
    return (
        FOREIGN.split("BEGIN:VEVENT")[0].encode()
        + (
            "BEGIN:VEVENT\r\nUID:x@y\r\nDTSTAMP:20261101T000000Z\r\n"
            + body
            + "END:VEVENT\r\nEND:VCALENDAR\r\n"
        ).encode()
    )


GOOD = "DTSTART:20261201T010000Z\r\nDTEND:20261201T020000Z\r\nSUMMARY:讲座\r\n"
BAD_FILES = {
    "gbk": (FOREIGN.encode("gb18030"), "not UTF-8"),
    "truncated": (FOREIGN.encode()[: len(FOREIGN.encode()) // 2], "truncated"),
    "not a calendar": (b"Name,Date\r\n\xe5\xbc\xa0,2026-12-01\r\n", "not an iCalendar file"),
    "empty": (b"", "empty"),
    "vcard": (b"BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n", "not an iCalendar file"),
    "garbage inside": (
        b"BEGIN:VCALENDAR\r\nthis is not a property\r\nEND:VCALENDAR\r\n",
        "not a valid iCalendar",
    ),
    "end before start": (
        _event("DTSTART:20261201T030000Z\r\nDTEND:20261201T020000Z\r\nSUMMARY:x\r\n"),
        "before",
    ),
    "bad date": (_event("DTSTART:20261345T100000\r\nDTEND:20261346T100000\r\nSUMMARY:x\r\n"), "DTSTART"),
    "unknown zone": (
        _event("DTSTART;TZID=Mars/Base:20261201T100000\r\nDTEND;TZID=Mars/Base:20261201T110000\r\n"),
        "unknown time zone 'Mars/Base'",
    ),
    "mixed types": (_event("DTSTART;VALUE=DATE:20261201\r\nDTEND:20261202T100000Z\r\n"), "mix a date"),
    "control characters": (_event(GOOD.replace("SUMMARY:讲座", "SUMMARY:讲\x1b[31m座")), "control character"),
    "year 9999": (_event("DTSTART:99991201T010000Z\r\nDTEND:99991201T020000Z\r\n"), "out of range"),
    "damaged data": (_event(GOOD + "X-ZHIJIN-DATA:{not json\r\n"), "X-ZHIJIN-DATA is damaged"),
    "nul byte": (_event(GOOD).replace(b"SUMMARY:", b"SUMMARY:\x00"), "NUL"),
    "two calendars": (FOREIGN.encode() * 2, "expected one VCALENDAR"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_refused_with_nothing_written(case: str, demo_ctx: Context) -> None:
    data, message = BAD_FILES[case]
    before = _counts(demo_ctx)
    with pytest.raises(ValidationError, match=message) as info:
        importer.preview_import(demo_ctx, data, "bad.ics")
    assert str(info.value).startswith("bad.ics")
    assert "\n" not in str(info.value)
    assert _counts(demo_ctx) == before


def test_good_control_event_imports(empty_ctx: Context) -> None:
    assert len(importer.preview_import(empty_ctx, _event(GOOD), "ok.ics").added) == 1


def test_huge_file_is_refused(demo_ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "MAX_BYTES", 1000)
    with pytest.raises(ValidationError, match="larger than"):
        importer.preview_import(demo_ctx, export.export_bytes(demo_ctx), "big.ics")


def test_cli_export_and_import(demo_path: Path, empty_ctx: Context, tmp_path: Path) -> None:
    from zhijin_training.cli.main import app

    runner = CliRunner()
    out = tmp_path / "meetings.ics"
    result = runner.invoke(app, ["--db", str(demo_path), "export", "ics", "--kind", "会议", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 4 events" in result.output
    target = str(empty_ctx.db.path)
    result = runner.invoke(app, ["--db", target, "import", "ics", str(out), "--dry-run"])
    assert result.exit_code == 0 and "4 to add" in result.output
    assert _counts(empty_ctx)[0] == 0
    result = runner.invoke(app, ["--db", target, "import", "ics", str(out), "--yes"])
    assert result.exit_code == 0 and "4 added" in result.output
    result = runner.invoke(app, ["--db", target, "import", "ics", str(out), "--yes"])
    assert "0 to add, 0 to change, 4 unchanged" in result.output
