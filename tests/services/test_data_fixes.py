"""Issue 10 item 5: data that was wrong or misleading (title vs topic, broadcast time, not-taken in the future).

Each test fails on the code before the fix: the title kept the old topic, the broadcast stayed put when the
session itself moved, and sessions not yet held counted as "not taken".
"""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar

from tests.services.helpers import at, lecture, secretaries, session_on
from zhijin_training.ical import export
from zhijin_training.services import attendance, reports, schedule
from zhijin_training.services.attendance import Mark
from zhijin_training.services.context import Context
from zhijin_training.services.rates import Counts
from zhijin_training.timeutil import to_utc


def _summary_of(ctx: Context, session_id: int) -> str:
    cal = Calendar.from_ical(export.export_bytes(ctx))
    (event,) = [e for e in cal.walk("VEVENT") if schedule.get_session(ctx, session_id).uid == str(e["UID"])]
    return str(event["SUMMARY"])


# ---------------------------------------------------------------- (a) the title follows the topic
def test_changing_the_topic_changes_the_title_and_the_calendar(ctx: Context) -> None:
    secretaries(ctx, 2)
    p = lecture(ctx)
    s = session_on(ctx, p.id, date(2026, 12, 4), title="织金大讲堂 第18讲：乡村振兴", topic="乡村振兴")
    assert _summary_of(ctx, s.id) == "织金大讲堂 第18讲：乡村振兴"
    (changed,) = schedule.update_session(
        ctx, s.id, schedule.SessionChanges(topic="新型工业化"), expected_version=s.version
    )
    assert (changed.topic, changed.title) == ("新型工业化", "织金大讲堂 第18讲：新型工业化")
    assert _summary_of(ctx, s.id) == "织金大讲堂 第18讲：新型工业化"
    # the TUI's edit form sends the unchanged title along with the new topic: the title still follows
    (again,) = schedule.update_session(
        ctx,
        s.id,
        schedule.SessionChanges(title=changed.title, topic="城市建设与管理"),
        expected_version=changed.version,
    )
    assert again.title == "织金大讲堂 第18讲：城市建设与管理"


def test_a_title_typed_by_the_editor_wins_over_the_topic(ctx: Context) -> None:
    secretaries(ctx, 1)
    p = lecture(ctx)
    s = session_on(ctx, p.id, date(2026, 12, 4), title="织金大讲堂 第18讲：乡村振兴", topic="乡村振兴")
    (changed,) = schedule.update_session(
        ctx,
        s.id,
        schedule.SessionChanges(title="特别讲座：乡村振兴", topic="新型工业化"),
        expected_version=s.version,
    )
    assert changed.title == "特别讲座：乡村振兴"


def test_all_following_sessions_of_a_series_follow_the_topic(ctx: Context) -> None:
    secretaries(ctx, 1)
    p = lecture(ctx)
    day = date(2026, 12, 4)
    result = schedule.create_series(
        ctx,
        schedule.SessionDraft(
            programme=p.id,
            starts_at=at(day, 15),
            ends_at=at(day, 17),
            title="织金大讲堂：政策理论",
            topic="政策理论",
        ),
        schedule.SeriesRule(rrule="FREQ=WEEKLY;BYDAY=FR", until=date(2026, 12, 18)),
        force=True,
    )
    first = result.sessions[0]
    schedule.update_session(
        ctx,
        first.id,
        schedule.SessionChanges(topic="乡村振兴"),
        expected_version=first.version,
        scope="following",
    )
    assert [schedule.get_session(ctx, v.id).title for v in result.sessions] == ["织金大讲堂：乡村振兴"] * 3
    assert {_summary_of(ctx, v.id) for v in result.sessions} == {"织金大讲堂：乡村振兴"}


def test_retitled_rules() -> None:
    from zhijin_training.services.schedule import retitled

    assert (
        retitled("织金大讲堂 第18讲：乡村振兴", "乡村振兴", "新型工业化") == "织金大讲堂 第18讲：新型工业化"
    )
    assert retitled("织金大讲堂 第18讲 · 乡村振兴", "乡村振兴", "招商引资") == "织金大讲堂 第18讲 · 招商引资"
    assert retitled("乡村振兴专题讲座（第2期）", "乡村振兴", "招商引资") == "招商引资专题讲座（第2期）"
    # the topic removed: its separator or brackets go with it
    assert retitled("织金大讲堂 第18讲：乡村振兴", "乡村振兴", "") == "织金大讲堂 第18讲"
    assert retitled("织金大讲堂（乡村振兴）第3期", "乡村振兴", "") == "织金大讲堂第3期"
    assert retitled("乡村振兴", "乡村振兴", "") == ""
    # nothing to follow: no old topic, the old topic absent, or ambiguous (twice)
    assert retitled("织金大讲堂 第18讲", "", "乡村振兴") == "织金大讲堂 第18讲"
    assert retitled("织金大讲堂 第18讲", "政策理论", "乡村振兴") == "织金大讲堂 第18讲"
    assert retitled("理论与理论", "理论", "实践") == "理论与实践"  # at the end wins
    assert retitled("理论学习理论会", "理论", "实践") == "理论学习理论会"


# ---------------------------------------------------------------- (b) the broadcast moves with the session
def test_rescheduling_moves_the_broadcast_by_the_same_offset(ctx: Context) -> None:
    secretaries(ctx, 1)
    p = lecture(ctx)
    day = date(2026, 12, 4)
    s = session_on(ctx, p.id, day, broadcast_at=at(day, 20))
    (moved,) = schedule.update_session(
        ctx,
        s.id,
        schedule.SessionChanges(
            starts_at=at(day + timedelta(days=7), 9), ends_at=at(day + timedelta(days=7), 11)
        ),
        expected_version=s.version,
        force=True,
    )
    # 15:00 lecture, 20:00 broadcast -> 09:00 lecture a week later, 14:00 broadcast that day
    assert moved.broadcast_at == to_utc(at(day + timedelta(days=7), 14))
    # only the end moves: the start (and so the broadcast) stays
    (longer,) = schedule.update_session(
        ctx,
        s.id,
        schedule.SessionChanges(ends_at=at(day + timedelta(days=7), 12)),
        expected_version=moved.version,
    )
    assert longer.broadcast_at == to_utc(at(day + timedelta(days=7), 14))


def test_each_lecture_of_a_new_series_is_broadcast_after_its_own_start(ctx: Context) -> None:
    secretaries(ctx, 1)
    p = lecture(ctx)
    day = date(2026, 12, 4)
    result = schedule.create_series(
        ctx,
        schedule.SessionDraft(
            programme=p.id, starts_at=at(day, 15), ends_at=at(day, 17), broadcast_at=at(day, 20)
        ),
        schedule.SeriesRule(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", until=date(2026, 12, 31)),
        force=True,
    )
    assert [v.broadcast_at for v in result.sessions] == [
        to_utc(at(day + timedelta(days=14 * n), 20)) for n in range(len(result.sessions))
    ]
    assert len(result.sessions) == 2


def test_a_series_edit_keeps_each_broadcast_offset_and_a_broadcast_can_be_dropped(ctx: Context) -> None:
    secretaries(ctx, 1)
    p = lecture(ctx)
    day = date(2026, 12, 4)
    result = schedule.create_series(
        ctx,
        schedule.SessionDraft(
            programme=p.id, starts_at=at(day, 15), ends_at=at(day, 17), broadcast_at=at(day, 20)
        ),
        schedule.SeriesRule(rrule="FREQ=WEEKLY;BYDAY=FR", until=date(2026, 12, 18)),
        force=True,
    )
    first = result.sessions[0]
    # the broadcast set for the first one, to the next morning: every following one is broadcast its next morning
    schedule.update_session(
        ctx,
        first.id,
        schedule.SessionChanges(broadcast_at=at(day + timedelta(days=1), 8)),
        expected_version=first.version,
        scope="following",
    )
    got = [schedule.get_session(ctx, v.id).broadcast_at for v in result.sessions]
    assert got == [to_utc(at(day + timedelta(days=1 + 7 * n), 8)) for n in range(3)]
    last = schedule.get_session(ctx, result.sessions[-1].id)
    (dropped,) = schedule.update_session(
        ctx, last.id, schedule.SessionChanges(clear_broadcast=True), expected_version=last.version
    )
    assert dropped.broadcast_at is None


# ---------------------------------------------------------------- (e) not taken: only sessions already held
def test_not_taken_does_not_count_sessions_not_yet_held(ctx: Context) -> None:
    people = secretaries(ctx, 2)
    p = lecture(ctx)
    held = session_on(ctx, p.id, date(2026, 11, 20))  # before FIXED_NOW (2026-11-24 10:00)
    coming = session_on(ctx, p.id, date(2026, 12, 4))
    attendance.mark(ctx, held.id, people[0].id, Mark("present"))
    # leave can be recorded ahead: it still counts where it belongs
    attendance.mark(
        ctx, coming.id, people[1].id, Mark("on_leave", leave_reason="外出学习", approved_by="组织部")
    )
    rows = {
        r.cadre_id: r.counts for r in reports.attendance_by_cadre(ctx, date(2026, 10, 1), date(2026, 12, 31))
    }
    assert rows[people[0].id] == Counts(expected=1, present=1)
    assert rows[people[1].id] == Counts(
        expected=1, on_leave=1, not_taken=1
    )  # the held one, not the coming one
    assert attendance.cadre_counts(ctx, people[0].id).not_taken == 0
    unit_total = sum(
        (u.counts for u in reports.attendance_by_unit(ctx, date(2026, 10, 1), date(2026, 12, 31))), Counts()
    )
    assert unit_total.not_taken == 1
    summary = reports.programme_summary(ctx, p.id)
    assert [t.counts.not_taken for t in summary.sessions] == [1, 0]
