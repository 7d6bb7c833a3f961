"""Holidays in the database: the library's years, the office's own years (which win), .ics feeds, and the
sessions already planned on days that became holidays."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.services.helpers import at, lecture, secretaries, session_on
from zhijin_training.services import holidays, schedule
from zhijin_training.services.context import Context
from zhijin_training.services.errors import PermissionDenied, ValidationError
from zhijin_training.timeutil import local_date

HOLIDAYS_2027_ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//holiday-cn//2027//ZH\r\nX-WR-CALNAME:中国法定节假日 2027\r\n"
    "BEGIN:VEVENT\r\nUID:2027-01-01@holiday\r\nDTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20270104\r\n"
    "SUMMARY:元旦 假期\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:2027-02-06@holiday\r\nDTSTART;VALUE=DATE:20270206\r\nDTEND;VALUE=DATE:20270213\r\n"
    "SUMMARY:春节 假期\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:2027-02-14@holiday\r\nDTSTART;VALUE=DATE:20270214\r\n"
    "SUMMARY:春节 补班\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def write_ics(tmp_path: Path, text: str = HOLIDAYS_2027_ICS) -> Path:
    path = tmp_path / "holidays-2027.ics"
    path.write_text(text, encoding="utf-8")
    return path


def test_library_years_are_in_the_table(ctx: Context) -> None:
    days, known = holidays.list_year(ctx, 2026)
    assert known
    by_day = {d.day: d for d in days}
    assert by_day[date(2026, 10, 1)].name == "国庆节" and by_day[date(2026, 10, 1)].source == "library"
    assert any(d.kind == "workday" for d in days)  # 2026 has 调休 Saturdays/Sundays
    assert holidays.list_year(ctx, 2027) == ([], False)


def test_office_rows_win_over_the_library(ctx: Context) -> None:
    # the office decides 2026-12-31 (a Thursday) is a day off, and 2026-10-01 a working day (a test of precedence)
    holidays.save_days(ctx, holidays.entries_for(date(2026, 10, 1), date(2026, 10, 1), "workday", "值班"))
    cal = holidays.calendar_for(ctx, date(2026, 10, 1), date(2026, 10, 2))
    assert cal.day_info(date(2026, 10, 1)).is_workday
    assert cal.day_info(date(2026, 10, 2)).holiday == "国庆节"
    holidays.remove_days(ctx, date(2026, 10, 1), date(2026, 10, 1))
    assert (
        holidays.calendar_for(ctx, date(2026, 10, 1), date(2026, 10, 1)).day_info(date(2026, 10, 1)).holiday
    )


def test_swapped_workday_is_normal_and_plain_weekend_warns(ctx: Context) -> None:
    secretaries(ctx, 1)
    p = lecture(ctx)
    cal = holidays.calendar_for(ctx, date(2026, 1, 1), date(2026, 12, 31))
    swapped = next(d.day for d in cal.views(2026) if d.kind == "workday" and d.day.weekday() >= 5)
    assert cal.day_info(swapped).swapped_workday and cal.day_info(swapped).is_workday
    draft = schedule.SessionDraft(programme=p.id, starts_at=at(swapped, 9), ends_at=at(swapped, 11))
    assert schedule.create_session(ctx, draft).id  # a 调休 working day: no warning
    saturday = date(2026, 12, 5)
    assert cal.day_info(saturday).rest_name == "周末"
    with pytest.raises(schedule.ScheduleWarning) as caught:
        schedule.create_session(
            ctx, schedule.SessionDraft(programme=p.id, starts_at=at(saturday, 9), ends_at=at(saturday, 11))
        )
    assert caught.value.holidays == [(saturday, "周末")]


def test_ics_preview_then_all_or_nothing(ctx: Context, tmp_path: Path) -> None:
    preview = holidays.read_ics(write_ics(tmp_path))
    assert preview.years == [2027]
    kinds = {e.day: e.kind for e in preview.entries}
    assert kinds[date(2027, 1, 3)] == "holiday" and date(2027, 1, 4) not in kinds  # DTEND is exclusive
    assert kinds[date(2027, 2, 14)] == "workday"
    assert len(preview.entries) == 3 + 7 + 1
    bad = HOLIDAYS_2027_ICS.replace("DTSTART;VALUE=DATE:20270214\r\n", "DTSTART:20270214T090000\r\n")
    with pytest.raises(ValidationError) as caught:
        holidays.read_ics(write_ics(tmp_path, bad))
    assert caught.value.code == "holidays.ics_not_all_day" and caught.value.params["event"] == 3
    assert holidays.list_year(ctx, 2027) == ([], False)  # nothing was written


def test_only_admins_edit_holidays(ctx: Context) -> None:
    from zhijin_training.services.context import Actor

    editor = Context(db=ctx.db, actor=Actor("clerk", "editor"), settings=ctx.settings, clock=ctx.clock)
    with pytest.raises(PermissionDenied):
        holidays.save_days(
            editor, holidays.entries_for(date(2027, 1, 1), date(2027, 1, 1), "holiday", "元旦")
        )


def test_2027_series_skips_the_office_holidays_after_import(ctx: Context, tmp_path: Path) -> None:
    secretaries(ctx, 2)
    p = lecture(ctx)
    first = at(date(2027, 1, 1), 15)  # a Friday, 元旦
    draft = schedule.SessionDraft(programme=p.id, starts_at=first, ends_at=first + timedelta(hours=2))
    rule = schedule.SeriesRule("FREQ=WEEKLY;BYDAY=FR", until=date(2027, 3, 31))
    with pytest.raises(ValidationError) as caught:
        schedule.create_series(ctx, draft, rule)
    assert caught.value.code == "holidays.year_unknown"
    assert holidays.unknown_years(ctx, date(2027, 1, 1), date(2027, 3, 31)) == [2027]
    # planned anyway before the notice came out, without skipping
    early = schedule.create_series(
        ctx, draft, schedule.SeriesRule("FREQ=WEEKLY;BYDAY=FR", until=date(2027, 3, 31), skip_holidays=False)
    )
    assert local_date(early.sessions[0].starts_at) == date(2027, 1, 1)
    # the office imports the State Council's arrangement
    result = holidays.save_days(ctx, holidays.read_ics(write_ics(tmp_path)).entries)
    clash_days = [local_date(s.starts_at) for s in result.clashes]
    assert clash_days == [date(2027, 1, 1), date(2027, 2, 12)]  # 元旦 and the 春节 Friday
    assert [local_date(s.starts_at) for s in holidays.sessions_on_rest_days(ctx, 2027)] == clash_days
    # move one, skip the other
    moved = holidays.move_to_next_workday(ctx, result.clashes[0].id)
    assert local_date(moved.starts_at) == date(2027, 1, 4)  # Monday after the 3-day 元旦 break
    skipped = holidays.skip_session(ctx, result.clashes[1].id, "春节")
    assert skipped.status == "cancelled"
    assert holidays.sessions_on_rest_days(ctx, 2027) == []
    # and a new series now skips them
    series = schedule.create_series(ctx, draft, rule, force=True)  # force: the same people, the same hours
    days = [local_date(s.starts_at) for s in series.sessions]
    assert date(2027, 1, 1) not in days and date(2027, 2, 12) not in days
    assert series.skipped_holidays == [date(2027, 1, 1), date(2027, 2, 12)]
    assert days[0] == date(2027, 1, 8)


def test_range_and_kind_are_checked(ctx: Context) -> None:
    with pytest.raises(ValidationError) as caught:
        holidays.entries_for(date(2027, 2, 6), date(2028, 2, 12), "holiday", "春节")
    assert caught.value.code == "holidays.range_too_long"
    with pytest.raises(ValidationError) as caught:
        holidays.entries_for(date(2027, 2, 6), date(2027, 2, 6), "party", "春节")
    assert caught.value.code == "holidays.kind"
    assert holidays.parse_range("2027-02-06..2027-02-12") == (date(2027, 2, 6), date(2027, 2, 12))
    unused = session_on  # the helpers module is shared with test_schedule
    assert unused


def test_series_broadcasts_follow_each_session(ctx: Context) -> None:
    """Each lecture of a series is broadcast the evening of its own session (a notice names the time)."""
    p = lecture(ctx)
    first = at(date(2026, 3, 6), 15)
    result = schedule.create_series(
        ctx,
        schedule.SessionDraft(
            programme=p.id,
            starts_at=first,
            ends_at=first + timedelta(hours=2),
            broadcast_at=at(date(2026, 3, 6), 20),
        ),
        schedule.SeriesRule("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", until=date(2026, 4, 30)),
    )
    assert all(
        s.broadcast_at is not None and s.broadcast_at - s.starts_at == timedelta(hours=5)
        for s in result.sessions
    )


def test_demo_can_be_made_in_a_year_without_holidays(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from tests.conftest import make_ctx
    from zhijin_training.services.seeding import init_database

    ctx = make_ctx(tmp_path / "demo-2027.db", now=datetime(2027, 3, 2, 2, tzinfo=UTC))
    init_database(ctx, demo=True)
    assert any(s.first_day.year == 2027 for s in schedule.list_sessions(ctx, kind="lecture"))
