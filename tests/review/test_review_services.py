"""Regression tests for defects a code review found in the services (all fixed; each failed before its fix)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from tests.services.helpers import at, lecture, secretaries, session_on
from zhijin_training.models import Participant
from zhijin_training.services import attendance, reports, roster, schedule
from zhijin_training.services.attendance import Mark
from zhijin_training.services.context import Context
from zhijin_training.services.errors import DomainError


def _participant(ctx: Context, session_id: int, cadre_id: int) -> Participant:
    with ctx.db.read() as s:
        row = s.exec(
            select(Participant).where(Participant.session_id == session_id, Participant.cadre_id == cadre_id)
        ).one()
        return row


def test_move_updates_unit_of_sessions_after_the_move(ctx: Context) -> None:
    """Unit figures must use the unit held on the session's day, also for sessions planned before a move."""
    a, b = secretaries(ctx, 2)
    prog = lecture(ctx)
    dec = session_on(ctx, prog.id, date(2026, 12, 10))  # planned while a is in unit A
    roster.move_cadre(
        ctx,
        a.id,
        unit=b.unit_id,
        post_title="乡党委书记",
        role="township_secretary",
        effective=date(2026, 12, 1),
    )
    assert _participant(ctx, dec.id, a.id).unit_id == b.unit_id


def test_move_keeps_unit_of_sessions_before_the_move(ctx: Context) -> None:
    """Control for the test above: history before the move must stay with the old unit (passes today)."""
    a, b = secretaries(ctx, 2)
    prog = lecture(ctx)
    nov = session_on(ctx, prog.id, date(2026, 11, 20))
    roster.move_cadre(
        ctx,
        a.id,
        unit=b.unit_id,
        post_title="乡党委书记",
        role="township_secretary",
        effective=date(2026, 12, 1),
    )
    assert _participant(ctx, nov.id, a.id).unit_id == a.unit_id


def test_retroactive_move_reattributes_unit_figures(ctx: Context) -> None:
    a, b = secretaries(ctx, 2)
    prog = lecture(ctx)
    past = session_on(ctx, prog.id, date(2026, 11, 20))
    attendance.mark(ctx, past.id, a.id, Mark("absent"))
    # the office learns late that a moved on 1 November
    roster.move_cadre(
        ctx,
        a.id,
        unit=b.unit_id,
        post_title="乡党委书记",
        role="township_secretary",
        effective=date(2026, 11, 1),
    )
    by_unit = {
        r.unit_id: r.counts for r in reports.attendance_by_unit(ctx, date(2026, 11, 1), date(2026, 11, 30))
    }
    assert by_unit[b.unit_id].absent == 1 and by_unit[a.unit_id].absent == 0


def test_all_present_does_not_overwrite_a_concurrent_mark(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    _a, b = secretaries(ctx, 2)
    prog = lecture(ctx)
    sess = session_on(ctx, prog.id, date(2026, 11, 20))
    original = attendance.mark_many

    def colleague_marks_absent_first(*args: object, **kwargs: object) -> int:
        # the same clerk's other terminal (within the one-hour grace) marks b absent meanwhile
        attendance.mark(ctx, sess.id, b.id, Mark("absent"))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(attendance, "mark_many", colleague_marks_absent_first)
    attendance.mark_remaining_present(ctx, sess.id)
    assert _participant(ctx, sess.id, b.id).status == "absent"


def test_no_attendance_before_the_session_begins(ctx: Context) -> None:
    (a,) = secretaries(ctx, 1)
    prog = lecture(ctx)
    future = session_on(ctx, prog.id, date(2026, 12, 10))  # clock: 2026-11-24
    with pytest.raises(DomainError):
        attendance.mark(ctx, future.id, a.id, Mark("present"))


def test_initial_participants_are_audited_per_cadre(ctx: Context) -> None:
    from zhijin_training.services import audit

    (a,) = secretaries(ctx, 1)
    prog = lecture(ctx)
    session_on(ctx, prog.id, date(2026, 12, 10))
    entries = audit.list_entries(ctx, cadre_id=a.id, entity="participant")
    assert entries, "adding a cadre to a session must show up in the cadre's audit trail"


def test_noop_edit_changes_nothing(ctx: Context) -> None:
    secretaries(ctx, 1)
    prog = lecture(ctx)
    result = schedule.create_series(
        ctx,
        schedule.SessionDraft(
            programme=prog.id, starts_at=at(date(2026, 12, 4), 15), ends_at=at(date(2026, 12, 4), 17)
        ),
        schedule.SeriesRule("FREQ=WEEKLY;BYDAY=FR", until=date(2026, 12, 31)),
        force=True,
    )
    first = result.sessions[0]
    (after,) = schedule.update_session(
        ctx, first.id, schedule.SessionChanges(), expected_version=first.version
    )
    assert not after.detached


def test_rrule_interval_zero_is_a_domain_error(ctx: Context) -> None:
    secretaries(ctx, 1)
    prog = lecture(ctx)
    draft = schedule.SessionDraft(
        programme=prog.id, starts_at=at(date(2026, 12, 4), 15), ends_at=at(date(2026, 12, 4), 17)
    )
    with pytest.raises(DomainError):
        schedule.create_series(
            ctx, draft, schedule.SeriesRule("FREQ=WEEKLY;INTERVAL=0;BYDAY=FR", until=date(2026, 12, 31))
        )


def test_moving_a_trip_keeps_its_itinerary_inside_the_trip(ctx: Context) -> None:
    from zhijin_training.services import programmes

    secretaries(ctx, 2)
    trip = programmes.add_programme(
        ctx, kind="study_trip", title="赴山东参观学习", audience=[("role", "township_secretary")]
    )
    view = schedule.create_trip(
        ctx,
        schedule.SessionDraft(
            programme=trip.id,
            first_day=date(2026, 12, 14),
            last_day=date(2026, 12, 16),
            itinerary=(schedule.ItineraryStop(date(2026, 12, 14), "青州"),),
        ),
        force=True,
    )
    (moved,) = schedule.update_session(
        ctx,
        view.id,
        schedule.SessionChanges(first_day=date(2026, 12, 21), last_day=date(2026, 12, 23)),
        expected_version=view.version,
        force=True,
    )
    assert all(date(2026, 12, 21) <= stop.day <= date(2026, 12, 23) for stop in moved.itinerary)


def test_numeric_person_number_finds_that_person(ctx: Context) -> None:
    units = roster.list_units(ctx, kind="township")
    first = roster.add_cadre(ctx, name="甲", unit=units[0].id)  # gets id 1
    second = roster.add_cadre(ctx, name="乙", unit=units[1].id, ref=str(first.id))  # person number "1"
    assert roster.resolve_cadre(ctx, str(first.id)).id == second.id
