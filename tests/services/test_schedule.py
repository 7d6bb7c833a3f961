from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from tests.errors import raises_code
from tests.services.helpers import at, lecture, secretaries, session_on
from zhijin_training.services import audit, participants, programmes, schedule
from zhijin_training.services.context import Context
from zhijin_training.services.errors import ConflictError, EndBeforeStart, ValidationError
from zhijin_training.timeutil import format_local, local_date, to_local


def test_session_takes_programme_audience(ctx: Context) -> None:
    people = secretaries(ctx, 5)
    s = session_on(ctx, lecture(ctx).id, date(2026, 12, 4), topic="政策理论")
    assert s.participant_count == 5
    assert format_local(s.starts_at) == "2026-12-04 15:00"
    assert s.starts_at.utcoffset() == timedelta(0)  # stored unambiguously (UTC)
    assert s.uid.endswith("@zhijin-training.example.cn") and s.sequence == 0
    sheet_ids = {p for p in participants_of(ctx, s.id)}
    assert sheet_ids == {c.id for c in people}


def participants_of(ctx: Context, session_id: int) -> list[int]:
    from zhijin_training.services.attendance import session_attendance

    return [p.cadre_id for p in session_attendance(ctx, session_id).participants]


def test_end_before_start_is_refused_and_nothing_written(ctx: Context) -> None:
    p = lecture(ctx)
    draft = schedule.SessionDraft(
        programme=p.id, starts_at=at(date(2026, 12, 4), 17), ends_at=at(date(2026, 12, 4), 15)
    )
    with raises_code(EndBeforeStart, "time.end_before_start", field="end") as exc:
        schedule.create_session(ctx, draft)
    assert exc.value.params["start"] == draft.starts_at and exc.value.params["end"] == draft.ends_at
    assert schedule.list_sessions(ctx) == []


def test_series_every_second_friday_skips_holidays(ctx: Context) -> None:
    secretaries(ctx, 2)
    p = lecture(ctx)
    first = at(date(2026, 3, 6), 15)
    result = schedule.create_series(
        ctx,
        schedule.SessionDraft(programme=p.id, starts_at=first, ends_at=first + timedelta(hours=2)),
        schedule.SeriesRule(
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", until=date(2026, 12, 31), skip_dates=(date(2026, 3, 20),)
        ),
    )
    days = [s.first_day for s in result.sessions]
    assert days[0] == date(2026, 3, 6)
    assert all(d.weekday() == 4 for d in days)
    assert all((b - a).days % 14 == 0 for a, b in itertools.pairwise(days))
    assert date(2026, 3, 20) not in days  # skipped by hand
    assert date(2026, 5, 1) not in days and date(2026, 5, 1) in result.skipped_holidays  # Labour Day
    assert date(2026, 10, 2) in result.skipped_holidays  # National Day
    assert all(format_local(s.starts_at, "%H:%M") == "15:00" for s in result.sessions)
    assert days[-1] <= date(2026, 12, 31)
    assert result.warning is None


def test_series_into_unknown_holiday_year_refuses_to_skip(ctx: Context) -> None:
    p = lecture(ctx)
    first = at(date(2026, 12, 4), 15)
    draft = schedule.SessionDraft(programme=p.id, starts_at=first, ends_at=first + timedelta(hours=2))
    with pytest.raises(ValidationError) as caught:
        schedule.create_series(
            ctx, draft, schedule.SeriesRule("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", until=date(2027, 2, 28))
        )
    assert (caught.value.code, caught.value.field, caught.value.params) == (
        "holidays.year_unknown",
        "skip_holidays",
        {"years": [2027]},
    )
    assert schedule.list_sessions(ctx) == []
    # planning without skipping is the planner's explicit choice
    result = schedule.create_series(
        ctx,
        draft,
        schedule.SeriesRule("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", until=date(2027, 2, 28), skip_holidays=False),
    )
    assert any(s.first_day.year == 2027 for s in result.sessions)


def test_series_rejects_bad_rules(ctx: Context) -> None:
    p = lecture(ctx)
    first = at(date(2026, 3, 6), 15)
    draft = schedule.SessionDraft(programme=p.id, starts_at=first, ends_at=first + timedelta(hours=2))
    for rule, code in (
        ("FREQ=SOMETIMES", "recurrence.invalid"),
        ("FREQ=WEEKLY;COUNT=3", "recurrence.count_or_until"),
    ):
        with raises_code(ValidationError, code, field="rrule", rule=rule):
            schedule.create_series(ctx, draft, schedule.SeriesRule(rule, until=date(2026, 12, 31)))
    with raises_code(EndBeforeStart, "time.end_before_start", field="until", end=date(2026, 1, 1)):
        schedule.create_series(ctx, draft, schedule.SeriesRule("FREQ=WEEKLY", until=date(2026, 1, 1)))
    assert schedule.list_sessions(ctx) == []


def _series(ctx: Context) -> list:
    p = lecture(ctx)
    first = at(date(2026, 3, 6), 15)
    return schedule.create_series(
        ctx,
        schedule.SessionDraft(
            programme=p.id, starts_at=first, ends_at=first + timedelta(hours=2), location="县委党校报告厅"
        ),
        schedule.SeriesRule("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", until=date(2026, 6, 30), skip_holidays=False),
    ).sessions


def test_edit_this_occurrence_only(ctx: Context) -> None:
    sessions = _series(ctx)
    target = sessions[2]
    [changed] = schedule.update_session(
        ctx,
        target.id,
        schedule.SessionChanges(location="织金电视台演播厅", starts_at=target.starts_at + timedelta(hours=1)),
        expected_version=target.version,
        scope="this",
    )
    assert changed.location == "织金电视台演播厅" and changed.detached
    assert format_local(changed.starts_at, "%H:%M") == "16:00"
    assert format_local(changed.ends_at, "%H:%M") == "18:00"
    assert changed.sequence == target.sequence + 1
    others = [schedule.get_session(ctx, s.id) for s in sessions if s.id != target.id]
    assert all(o.location == "县委党校报告厅" and o.sequence == 0 for o in others)


def test_edit_all_following_shifts_later_sessions_and_splits_series(ctx: Context) -> None:
    sessions = _series(ctx)
    pivot = sessions[3]
    schedule.update_session(
        ctx,
        sessions[5].id,
        schedule.SessionChanges(speaker="单独修改"),
        expected_version=sessions[5].version,
        scope="this",
    )
    changed = schedule.update_session(
        ctx,
        pivot.id,
        schedule.SessionChanges(starts_at=pivot.starts_at - timedelta(minutes=30), speaker="李教授"),
        expected_version=pivot.version,
        scope="following",
    )
    assert changed[0].id == pivot.id
    after = [schedule.get_session(ctx, s.id) for s in sessions]
    for i, s in enumerate(after):
        if i < 3:
            assert format_local(s.starts_at, "%H:%M") == "15:00" and s.speaker == ""
        elif i == 5:
            assert s.speaker == "单独修改"  # edited on its own: left alone
        else:
            assert format_local(s.starts_at, "%H:%M") == "14:30" and s.speaker == "李教授"
            assert s.series_id != sessions[0].series_id  # the series split at the pivot
    assert len({s.series_id for s in after[:3]}) == 1


def test_version_conflict_names_the_other_editor(ctx: Context) -> None:
    s = session_on(ctx, lecture(ctx).id, date(2026, 12, 4))
    other = ctx.__class__(
        db=ctx.db, actor=ctx.actor.__class__("lisi", "editor"), settings=ctx.settings, clock=ctx.clock
    )
    schedule.update_session(
        other, s.id, schedule.SessionChanges(topic="招商引资"), expected_version=s.version
    )
    with raises_code(ConflictError, "conflict.changed", changed_by="lisi"):
        schedule.update_session(
            ctx, s.id, schedule.SessionChanges(topic="旅游文化"), expected_version=s.version
        )
    assert schedule.get_session(ctx, s.id).topic == "招商引资"


def test_cancel_keeps_session_raises_sequence_and_audits(ctx: Context) -> None:
    s = session_on(ctx, lecture(ctx).id, date(2026, 12, 4))
    [c] = schedule.cancel_session(ctx, s.id, expected_version=s.version, reason="讲师临时有事")
    assert c.status == "cancelled" and c.sequence == s.sequence + 1
    assert schedule.get_session(ctx, s.id).status == "cancelled"
    entries = audit.list_entries(ctx, session_id=s.id)
    assert entries[0].reason == "讲师临时有事" and entries[0].changes["status"] == ("scheduled", "cancelled")
    with raises_code(ValidationError, "session.already_cancelled", session_id=s.id):
        schedule.cancel_session(ctx, s.id, expected_version=None)


def test_conflict_warning_lecture_during_trip(ctx: Context) -> None:
    people = secretaries(ctx, 3)
    trip = programmes.add_programme(
        ctx, kind="study_trip", title="赴青州寿光参观学习", destinations=["青州", "寿光"]
    )
    t = schedule.create_trip(
        ctx,
        schedule.SessionDraft(
            programme=trip.id,
            first_day=date(2026, 10, 12),
            last_day=date(2026, 10, 16),
            participants=(people[0].id,),
            itinerary=(
                schedule.ItineraryStop(date(2026, 10, 12), "青州", "农业园区"),
                schedule.ItineraryStop(date(2026, 10, 14), "寿光", "蔬菜产业"),
            ),
        ),
    )
    assert t.all_day and local_date(t.ends_at) == date(2026, 10, 17)  # exclusive end
    assert t.last_day == date(2026, 10, 16)
    assert [i.place for i in t.itinerary] == ["青州", "寿光"]
    p = lecture(ctx)
    draft = schedule.SessionDraft(
        programme=p.id, starts_at=at(date(2026, 10, 14), 15), ends_at=at(date(2026, 10, 14), 17)
    )
    with pytest.raises(schedule.ScheduleWarning) as warning:
        schedule.create_session(ctx, draft)
    assert [c.cadre_name for c in warning.value.conflicts] == [people[0].name]
    assert len(schedule.list_sessions(ctx)) == 1  # nothing written
    assert schedule.create_session(ctx, draft, force=True).participant_count == 3


def test_holiday_warning(ctx: Context) -> None:
    p = lecture(ctx)
    draft = schedule.SessionDraft(
        programme=p.id, starts_at=at(date(2026, 10, 1), 15), ends_at=at(date(2026, 10, 1), 17)
    )
    with raises_code(schedule.ScheduleWarning, "schedule.holidays", days=["2026-10-01 国庆节"]) as warning:
        schedule.create_session(ctx, draft)
    assert warning.value.conflicts == [] and warning.value.holidays[0][0] == date(2026, 10, 1)
    assert "国庆节" in str(warning.value)  # the zh text names the holiday


def test_itinerary_outside_trip_is_refused(ctx: Context) -> None:
    trip = programmes.add_programme(ctx, kind="study_trip", title="trip")
    with raises_code(ValidationError, "itinerary.day_outside", field="itinerary", day=date(2026, 10, 20)):
        schedule.create_trip(
            ctx,
            schedule.SessionDraft(
                programme=trip.id,
                first_day=date(2026, 10, 12),
                last_day=date(2026, 10, 13),
                itinerary=(schedule.ItineraryStop(date(2026, 10, 20), "青州"),),
            ),
        )


def test_secondment_spans_months(ctx: Context) -> None:
    people = secretaries(ctx, 8)
    sec = programmes.add_programme(ctx, kind="secondment", title="赴青州、寿光挂职学习", host_place="青州市")
    v = schedule.create_secondment(
        ctx,
        schedule.SessionDraft(
            programme=sec.id,
            first_day=date(2026, 9, 1),
            last_day=date(2026, 11, 30),
            participants=tuple(c.id for c in people),
        ),
    )
    assert v.participant_count == 8 and v.location == "青州市"
    assert to_local(v.starts_at).hour == 0 and v.last_day == date(2026, 11, 30)
    # under way "today" (2026-11-24) so it shows among upcoming
    assert v.id in [u.id for u in schedule.upcoming(ctx)]


def test_participants_edit_and_recorded_ones_stay(ctx: Context) -> None:
    from zhijin_training.services import attendance

    a, b, c = secretaries(ctx, 3)
    s = session_on(ctx, lecture(ctx).id, date(2026, 11, 20))
    attendance.mark(ctx, s.id, a.id, attendance.Mark("present"))
    with raises_code(ValidationError, "participants.recorded", field="participants", count=1):
        participants.set_participants(ctx, s.id, [b.id, c.id])
    added, removed = participants.set_participants(ctx, s.id, [a.id, b.id])
    assert (added, removed) == ([], [c.id])
    assert schedule.get_session(ctx, s.id).sequence == 1  # the participant list is published


def test_list_filters(ctx: Context) -> None:
    a, b = secretaries(ctx, 2)
    p = lecture(ctx)
    s1 = session_on(ctx, p.id, date(2026, 12, 4), topic="政策理论", participants=(a.id,))
    s2 = session_on(ctx, p.id, date(2026, 12, 18), topic="招商引资", participants=(b.id,))
    assert [s.id for s in schedule.list_sessions(ctx, start=date(2026, 12, 5))] == [s2.id]
    assert [s.id for s in schedule.list_sessions(ctx, end=date(2026, 12, 4))] == [s1.id]
    assert [s.id for s in schedule.list_sessions(ctx, cadre_id=a.id)] == [s1.id]
    assert [s.id for s in schedule.list_sessions(ctx, unit_id=b.unit_id)] == [s2.id]
    assert [s.id for s in schedule.list_sessions(ctx, topic="招商")] == [s2.id]
    assert [s.id for s in schedule.list_sessions(ctx, kind="study_trip")] == []


def test_following_onto_another_weekday_moves_the_rule(ctx: Context) -> None:
    from sqlmodel import select

    from zhijin_training.models import Series

    sessions = _series(ctx)
    pivot = sessions[2]
    schedule.update_session(
        ctx,
        pivot.id,
        schedule.SessionChanges(starts_at=pivot.starts_at + timedelta(days=1)),
        expected_version=pivot.version,
        scope="following",
        force=True,  # one Saturday is Qingming
    )
    after = [schedule.get_session(ctx, s.id) for s in sessions]
    assert [s.first_day.weekday() for s in after[2:]] == [5] * (len(after) - 2)  # Friday -> Saturday
    with ctx.db.read() as s:
        rules = {r.id: r.rrule for r in s.exec(select(Series)).all()}
    assert rules[after[0].series_id].endswith("BYDAY=FR") and rules[after[2].series_id].endswith("BYDAY=SA")


def test_following_from_the_first_session_keeps_one_series(ctx: Context) -> None:
    sessions = _series(ctx)
    first = sessions[0]
    schedule.update_session(
        ctx,
        first.id,
        schedule.SessionChanges(speaker="王教授"),
        expected_version=first.version,
        scope="following",
    )
    assert {schedule.get_session(ctx, s.id).series_id for s in sessions} == {first.series_id}


def test_moving_only_the_first_day_keeps_the_trip_length(ctx: Context) -> None:
    trip = programmes.add_programme(ctx, kind="study_trip", title="赴青州寿光参观学习")
    t = schedule.create_trip(
        ctx,
        schedule.SessionDraft(
            programme=trip.id,
            first_day=date(2026, 10, 12),
            last_day=date(2026, 10, 14),
            itinerary=(schedule.ItineraryStop(date(2026, 10, 13), "寿光", "蔬菜产业"),),
        ),
    )
    [moved] = schedule.update_session(
        ctx, t.id, schedule.SessionChanges(first_day=date(2026, 10, 19)), expected_version=t.version
    )
    assert (moved.first_day, moved.last_day) == (date(2026, 10, 19), date(2026, 10, 21))
    assert [(i.day, i.place) for i in moved.itinerary] == [(date(2026, 10, 20), "寿光")]


def test_session_titles_read_a_page_at_once(ctx: Context) -> None:
    programme = lecture(ctx)
    plain = session_on(ctx, programme.id, date(2026, 3, 6))
    named = session_on(ctx, programme.id, date(2026, 3, 7), 9, 11, title="专题辅导")
    titles = schedule.session_titles(ctx, [plain.id, named.id, plain.id, 10**9])
    # as get_session says them; an id that is not there is left out
    assert titles == {plain.id: schedule.get_session(ctx, plain.id).title, named.id: "专题辅导"}
    assert titles[plain.id] == programme.title
    assert schedule.session_titles(ctx, []) == {}
