"""A recurring Outlook meeting with one moved and one cancelled occurrence, then a later version of it; a Google
export saved by Notepad in GB18030 and UTF-16 (hand-made files in tests/ical/files, see the README there)."""

from __future__ import annotations

from pathlib import Path

from zhijin_training.ical import importer, parse
from zhijin_training.services import schedule
from zhijin_training.services.context import Context

FILES = Path(__file__).with_name("files")
UID = "040000008200E00074C5B7101A82E0080000000010B5C2D4A1ZJ01"


def _local(view: schedule.SessionView) -> str:
    from zhijin_training.timeutil import to_local

    return f"{to_local(view.starts_at):%m-%d %H:%M}"


def _series(ctx: Context) -> dict[str, schedule.SessionView]:
    return {s.uid.rsplit("#", 1)[1]: s for s in schedule.list_sessions(ctx) if s.uid.startswith(UID)}


def test_outlook_series_imports_then_a_later_version_updates_in_place(empty_ctx: Context) -> None:
    choice = importer.ProgrammeChoice(new_title="党建工作例会", kind="meeting")
    first = importer.preview_import(
        empty_ctx, parse.read_file(FILES / "outlook-weekly-v1.ics"), "outlook-weekly-v1.ics", programme=choice
    )
    assert not first.skipped
    assert first.new_programmes == (("党建工作例会", "meeting"),)
    importer.apply_import(empty_ctx, first)
    before = _series(empty_ctx)
    # 12-15 is an EXDATE: never imported; 12-08 moved to the afternoon; times read in 中国标准时间 = Shanghai
    assert {k: (_local(v), v.title, v.is_cancelled) for k, v in before.items()} == {
        "20261201T010000Z": ("12-01 09:00", "党建工作例会", False),
        "20261208T010000Z": ("12-08 14:00", "党建工作例会（改到下午）", False),
        "20261222T010000Z": ("12-22 09:00", "党建工作例会", False),
        "20261229T010000Z": ("12-29 09:00", "党建工作例会", False),
        "20270105T010000Z": ("01-05 09:00", "党建工作例会", False),
    }
    assert {v.location for v in before.values()} == {"县委组织部三楼会议室"}

    later = importer.preview_import(
        empty_ctx, parse.read_file(FILES / "outlook-weekly-v2.ics"), "outlook-weekly-v2.ics"
    )
    assert not later.added and not later.needs_programme  # everything is a session we hold
    assert {i.uid.rsplit("#", 1)[1]: i.changes for i in later.changed} == {
        "20261222T010000Z": ("time",),
        "20261229T010000Z": ("status",),
        "20270105T010000Z": ("status",),
    }
    dropped = next(i for i in later.changed if i.uid.endswith("20270105T010000Z"))
    assert dropped.cancel_only
    importer.apply_import(empty_ctx, later)
    after = _series(empty_ctx)
    assert {k: v.id for k, v in after.items()} == {
        k: v.id for k, v in before.items()
    }  # in place, no new rows
    assert _local(after["20261222T010000Z"]) == "12-23 09:00"
    assert after["20261229T010000Z"].is_cancelled and after["20261229T010000Z"].title == "党建工作例会"
    assert after["20270105T010000Z"].is_cancelled
    assert not after["20261201T010000Z"].is_cancelled
    assert after["20261222T010000Z"].sequence >= 2
    again = importer.preview_import(empty_ctx, parse.read_file(FILES / "outlook-weekly-v2.ics"), "v2.ics")
    assert not again.has_changes


def test_google_export_in_gb18030_and_utf16(empty_ctx: Context) -> None:
    for name, encoding in (
        ("google-lecture-gb18030.ics", "GB18030"),
        ("google-lecture-utf16.ics", "UTF-16 (BOM)"),
    ):
        preview = importer.preview_import(empty_ctx, parse.read_file(FILES / name), name)
        assert preview.encoding == encoding
        assert preview.needs_programme  # not named after wang.fang@example.com
        assert preview.ignored == (("VTODO", 1),)
        by_key = {i.uid: i.event for i in preview.added}
        lecture = [e for k, e in by_key.items() if k.startswith("5k2l0c9v1q3zhijin@google.com#") and e]
        # every second Friday 15:00 Shanghai (floating time + X-WR-TIMEZONE) until the new year
        assert [f"{e.starts_at:%m-%d %H:%M}" for e in sorted(lecture, key=lambda e: e.starts_at)] == [
            "12-04 07:00",
            "12-18 07:00",
        ]
        assert [e.cancelled for e in sorted(lecture, key=lambda e: e.starts_at)] == [False, True]
        one_day = by_key["allday-same-end@google.com"]
        assert one_day and one_day.all_day and one_day.first_day == one_day.last_day
