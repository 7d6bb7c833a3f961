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
from zhijin_training.services.errors import ConflictError, PermissionDenied, ValidationError, describe


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
            "itinerary",
            "sequence",
            "programme_title",
            "programme_kind",
        ):
            assert getattr(mine, name) == getattr(other, name), name
        assert mine.note == (other.note if other.note_public else "")  # internal notes stay at home
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
    assert skip.uid == meeting.uid and skip.code == "older"
    assert not preview.changed


def test_session_edited_after_preview_aborts_everything(demo_ctx: Context, empty_ctx: Context) -> None:
    _import(empty_ctx, export.export_bytes(demo_ctx, kind="meeting"))
    meeting = first_of_kind(demo_ctx, "meeting")
    schedule.update_session(
        demo_ctx,
        meeting.id,
        schedule.SessionChanges(note="改到下午", note_public=True),
        expected_version=meeting.version,
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


def test_foreign_calendar_joins_the_chosen_programme_and_expands_series(empty_ctx: Context) -> None:
    unchosen = importer.preview_import(empty_ctx, FOREIGN.encode(), "bijie.ics")
    assert unchosen.needs_programme and not unchosen.new_programmes  # never named after the file
    with pytest.raises(ValidationError) as info:
        importer.apply_import(empty_ctx, unchosen)
    assert info.value.code == "ical.programme_required" and info.value.field == "programme"
    choice = importer.ProgrammeChoice(new_title="市委党校专题培训")
    preview = importer.preview_import(empty_ctx, FOREIGN.encode(), "bijie.ics", programme=choice)
    assert [i.uid for i in preview.added] == [
        "city-1@bijie.example.cn",
        "city-2@bijie.example.cn",
        "city-3@bijie.example.cn#20261201T010000Z",
        "city-3@bijie.example.cn#20261208T010000Z",
        "city-3@bijie.example.cn#20261215T010000Z",
    ]
    assert preview.new_programmes == (("市委党校专题培训", "lecture"),)  # the kind most events name
    assert preview.ignored == (("VTODO", 1),)
    assert {i.title: i.code for i in preview.skipped} == {"没有UID": "no_uid"}
    assert preview.encoding == "UTF-8" and preview.window is not None
    importer.apply_import(empty_ctx, preview)
    sessions = schedule.list_sessions(empty_ctx)
    assert {s.programme_title for s in sessions} == {"市委党校专题培训"}
    [lecture] = [s for s in sessions if s.title == "全市乡村振兴专题讲座"]
    assert (lecture.topic, lecture.location) == ("乡村振兴", "毕节市委党校")
    assert lecture.note == "请各县组织收看。\n自带笔记本。" and lecture.note_public
    [trip] = [s for s in sessions if s.all_day]
    assert (trip.first_day.isoformat(), trip.last_day.isoformat()) == ("2026-12-14", "2026-12-15")
    weekly = sorted(s.starts_at.isoformat() for s in sessions if s.title == "每周例会")
    assert weekly == ["2026-12-01T01:00:00+00:00", "2026-12-08T01:00:00+00:00", "2026-12-15T01:00:00+00:00"]
    again = importer.preview_import(empty_ctx, FOREIGN.encode(), "bijie.ics")
    assert len(again.unchanged) == 5 and not again.has_changes and not again.needs_programme


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
REFUSED_FILES = {
    "truncated": (FOREIGN.encode()[: len(FOREIGN.encode()) // 2], "ical.truncated"),
    "not a calendar": (b"Name,Date\r\n\xe5\xbc\xa0,2026-12-01\r\n", "ical.not_calendar"),
    "empty": (b"", "ical.empty"),
    "vcard": (b"BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n", "ical.not_calendar"),
    "garbage inside": (b"BEGIN:VCALENDAR\r\nthis is not a property\r\nEND:VCALENDAR\r\n", "ical.unreadable"),
    "nul byte": (_event(GOOD).replace(b"SUMMARY:", b"SUMMARY:\x00"), "ical.nul"),
    "neither utf-8 nor gb18030": (_event(GOOD).replace("讲座".encode(), b"\xff\xfe\xfd"), "ical.encoding"),
    "utf-16 bom, odd bytes": (b"\xff\xfeB\x00E", "ical.bad_bytes"),
}


@pytest.mark.parametrize("case", list(REFUSED_FILES))
def test_files_that_are_not_calendars_are_refused_with_nothing_written(case: str, demo_ctx: Context) -> None:
    data, code = REFUSED_FILES[case]
    before = _counts(demo_ctx)
    with pytest.raises(ValidationError) as info:
        importer.preview_import(demo_ctx, data, "bad.ics")
    assert info.value.code == code and info.value.params["source"] == "bad.ics"
    assert "\n" not in str(info.value) and str(info.value).startswith("bad.ics")
    assert _counts(demo_ctx) == before


SKIPPED_EVENTS = {
    "end before start": (
        _event("DTSTART:20261201T030000Z\r\nDTEND:20261201T020000Z\r\nSUMMARY:x\r\n"),
        "end_before_start",
    ),
    "bad date": (
        _event("DTSTART:20261345T100000\r\nDTEND:20261346T100000\r\nSUMMARY:x\r\n"),
        "broken_property",
    ),
    "unknown zone": (
        _event("DTSTART;TZID=Mars/Base:20261201T100000\r\nDTEND;TZID=Mars/Base:20261201T110000\r\n"),
        "unknown_zone",
    ),
    "mixed types": (_event("DTSTART;VALUE=DATE:20261201\r\nDTEND:20261202T100000Z\r\n"), "mixed_types"),
    "control characters": (_event(GOOD.replace("SUMMARY:讲座", "SUMMARY:讲\x1b[31m座")), "invalid:"),
    "year 9999": (_event("DTSTART:99991201T010000Z\r\nDTEND:99991201T020000Z\r\n"), "year_out_of_range"),
    "damaged data": (_event(GOOD + "X-ZHIJIN-DATA:{not json\r\n"), "damaged_data"),
    "two DTSTART": (_event(GOOD + "DTSTART:20261201T000000Z\r\n"), "duplicate_property"),
    "two DTEND": (_event(GOOD + "DTEND:20261201T030000Z\r\n"), "duplicate_property"),
    "two DURATION": (
        _event("DTSTART:20261201T010000Z\r\nDURATION:PT1H\r\nDURATION:PT2H\r\n"),
        "duplicate_property",
    ),
    "two SEQUENCE": (_event(GOOD + "SEQUENCE:1\r\nSEQUENCE:2\r\n"), "duplicate_property"),
    "no end": (_event("DTSTART:20261201T010000Z\r\nSUMMARY:提醒\r\n"), "no_end"),
    "uid twice": (
        _event(GOOD).replace(
            b"END:VCALENDAR", b"BEGIN:VEVENT\r\nUID:x@y\r\n" + GOOD.encode() + b"END:VEVENT\r\nEND:VCALENDAR"
        ),
        "duplicate_uid",
    ),
}


@pytest.mark.parametrize("case", list(SKIPPED_EVENTS))
def test_one_bad_event_is_skipped_with_its_reason_and_the_rest_imports(case: str, empty_ctx: Context) -> None:
    data, code = SKIPPED_EVENTS[case]
    good = b"BEGIN:VEVENT\r\nUID:good@y\r\n" + GOOD.encode() + b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    data = data.removesuffix(b"END:VCALENDAR\r\n") + good
    preview = importer.preview_import(
        empty_ctx, data, "one-bad.ics", programme=importer.ProgrammeChoice(new_title="外来")
    )
    assert [i.uid for i in preview.added] == ["good@y"]
    [skip] = preview.skipped
    assert skip.code.startswith(code), skip.reason
    assert skip.reason and "ical.skip" not in skip.reason  # worded by the catalogue
    assert skip.where.startswith("one-bad.ics")


def test_outlook_and_google_ways(empty_ctx: Context) -> None:
    body = (
        "BEGIN:VEVENT\r\nUID:o1\r\nDTSTART;TZID=中国标准时间:20261203T090000\r\n"
        "DTEND;TZID=中国标准时间:20261203T100000\r\nSUMMARY:已取消: 党建例会\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:o2\r\nDTSTART;TZID=China Standard Time:20261204T090000\r\n"
        "DTEND;TZID=China Standard Time:20261204T100000\r\nSUMMARY:Canceled: 培训\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:o3\r\nDTSTART:20261205T090000\r\nDTEND:20261205T100000\r\nSUMMARY:浮动\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:o4\r\nDTSTART;VALUE=DATE:20261206\r\nDTEND;VALUE=DATE:20261206\r\nSUMMARY:一天\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:o5\r\nDTSTART;TZID=Asia/Shanghai:20261207T090000\r\n"
        "DTEND;TZID=Asia/Shanghai:20261209T170000\r\nSUMMARY:三天培训班\r\nEND:VEVENT\r\n"
        "BEGIN:VFREEBUSY\r\nUID:fb\r\nDTSTART:20261201T000000Z\r\nDTEND:20261202T000000Z\r\nEND:VFREEBUSY\r\n"
    )
    data = (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nX-WR-TIMEZONE:Asia/Tokyo\r\n{body}END:VCALENDAR\r\n"
    )
    preview = importer.preview_import(
        empty_ctx, data.encode(), "outlook.ics", programme=importer.ProgrammeChoice(new_title="外来")
    )
    events = {i.uid: i.event for i in preview.added}
    assert not preview.skipped and preview.ignored == (("VFREEBUSY", 1),)
    o1, o2, o3, o4, o5 = (events[f"o{n}"] for n in range(1, 6))
    assert (
        o1
        and o1.title == "党建例会"
        and o1.cancelled
        and o1.starts_at.isoformat() == "2026-12-03T01:00:00+00:00"
    )
    assert (
        o2 and o2.title == "培训" and o2.cancelled and o2.starts_at.isoformat() == "2026-12-04T01:00:00+00:00"
    )
    assert o3 and o3.starts_at.isoformat() == "2026-12-05T00:00:00+00:00"  # Tokyo wall clock, not ours
    assert o4 and o4.all_day and o4.first_day == o4.last_day and o4.first_day.isoformat() == "2026-12-06"
    assert (
        o5
        and o5.all_day
        and (o5.first_day.isoformat(), o5.last_day.isoformat()) == ("2026-12-07", "2026-12-09")
    )
    assert o5.adjusted == "as_all_day"
    cancel = data.replace("PRODID:x\r\n", "PRODID:x\r\nMETHOD:CANCEL\r\n").replace("已取消: ", "")
    cancelled = importer.preview_import(empty_ctx, cancel.encode(), "cancel.ics")
    assert all(i.event and i.event.cancelled for i in cancelled.added)


def test_encodings_are_read_and_shown(empty_ctx: Context) -> None:
    text = FOREIGN
    cases = {
        "GB18030": text.encode("gb18030"),
        "UTF-16 (BOM)": text.encode("utf-16"),
        "UTF-32 (BOM)": text.encode("utf-32"),
        "UTF-8 (BOM)": b"\xef\xbb\xbf" + text.encode(),
    }
    for encoding, data in cases.items():
        preview = importer.preview_import(empty_ctx, data, "x.ics")
        assert preview.encoding == encoding
        assert "全市乡村振兴专题讲座" in [i.title for i in preview.added]


def test_good_control_event_imports(empty_ctx: Context) -> None:
    assert len(importer.preview_import(empty_ctx, _event(GOOD), "ok.ics").added) == 1


def test_huge_file_is_refused_before_reading(
    demo_ctx: Context, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(parse, "MAX_BYTES", 1000)
    with pytest.raises(ValidationError) as info:
        importer.preview_import(demo_ctx, export.export_bytes(demo_ctx), "big.ics")
    assert info.value.code == "ical.too_large"
    big = tmp_path / "big.ics"
    big.write_bytes(b"x" * 2000)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read before the size check"))
    with pytest.raises(ValidationError) as info:
        parse.read_file(big)
    assert info.value.code == "ical.too_large"


def test_cli_export_and_import(demo_path: Path, empty_ctx: Context, tmp_path: Path) -> None:
    from zhijin_training.cli.main import app

    runner = CliRunner()
    out = tmp_path / "meetings.ics"
    result = runner.invoke(app, ["--lang", "en", "--db", str(demo_path), "export", "ics", "--kind", "会议", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 4 events" in result.output
    target = str(empty_ctx.db.path)
    result = runner.invoke(app, ["--lang", "en", "--db", target, "import", "ics", str(out), "--dry-run"])
    assert result.exit_code == 0 and "4 to add" in result.output
    assert _counts(empty_ctx)[0] == 0
    result = runner.invoke(app, ["--lang", "en", "--db", target, "import", "ics", str(out), "--yes"])
    assert result.exit_code == 0 and "4 added" in result.output
    result = runner.invoke(app, ["--lang", "en", "--db", target, "import", "ics", str(out), "--yes"])
    assert "0 to add, 0 to change, 4 unchanged" in result.output


def test_cli_foreign_import_needs_a_programme(empty_ctx: Context, tmp_path: Path) -> None:
    from zhijin_training.cli.main import app

    runner = CliRunner()
    source = tmp_path / "invite.ics"
    source.write_bytes(FOREIGN.encode("gb18030"))
    target = str(empty_ctx.db.path)
    result = runner.invoke(app, ["--lang", "en", "--db", target, "import", "ics", str(source), "--yes"])
    assert result.exit_code == 1  # refused, worded as one line from the catalogue
    assert describe(ValidationError("ical.programme_required"), "en")[1] in result.output
    assert "Traceback" not in result.output
    assert "Encoding: GB18030" in result.output
    assert _counts(empty_ctx)[0] == 0
    result = runner.invoke(
        app,
        [
            "--db",
            target,
            "import",
            "ics",
            str(source),
            "--new-programme",
            "市委党校专题培训",
            "--yes",
            "--from",
            "2026-11-01",
            "--to",
            "2026-12-08",
        ],
    )
    assert result.exit_code == 0, result.output
    assert {s.programme_title for s in schedule.list_sessions(empty_ctx)} == {"市委党校专题培训"}
    assert len(schedule.list_sessions(empty_ctx)) == 4  # the weekly series only up to --to
    missing = tmp_path / "nope.ics"
    result = runner.invoke(app, ["--lang", "en", "--db", target, "import", "ics", str(missing)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{missing.name}: cannot be read" in result.output  # the ical.unreadable_file line, one line
