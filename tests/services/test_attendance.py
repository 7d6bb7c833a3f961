from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.errors import raises_code
from tests.services.helpers import lecture, secretaries, session_on
from zhijin_training.services import attendance, audit
from zhijin_training.services.attendance import Mark
from zhijin_training.services.context import Actor, Context
from zhijin_training.services.errors import (
    ConflictError,
    CorrectionRequired,
    PermissionDenied,
    ValidationError,
)


@pytest.fixture
def setup(ctx: Context) -> tuple[Context, int, list[int]]:
    people = secretaries(ctx, 6)
    s = session_on(ctx, lecture(ctx).id, date(2026, 11, 20))
    return ctx, s.id, [c.id for c in people]


def test_mark_round_trip_and_counts(setup: tuple[Context, int, list[int]]) -> None:
    ctx, sid, ids = setup
    attendance.mark(ctx, sid, ids[0], Mark("present", venue="主会场"))
    attendance.mark(ctx, sid, ids[1], Mark("迟到"))  # Chinese labels are understood
    attendance.mark(ctx, sid, ids[2], Mark("on_leave", leave_reason="病假", approved_by="县委组织部"))
    attendance.mark(ctx, sid, ids[3], Mark("deputy", deputy_name="副乡长"))
    attendance.mark(ctx, sid, ids[4], Mark("absent"))
    sheet = attendance.session_attendance(ctx, sid)
    c = sheet.counts
    assert (c.expected, c.present, c.late, c.on_leave, c.deputy, c.absent, c.not_taken) == (
        5,
        1,
        1,
        1,
        1,
        1,
        1,
    )
    assert c.rate == pytest.approx(2 / 4)  # (present + late) / (expected - on leave)
    leave = next(p for p in sheet.participants if p.cadre_id == ids[2])
    assert (leave.leave_reason, leave.approved_by, leave.recorded_by) == ("病假", "县委组织部", "tester")
    assert sheet.session.status == "held"  # taking attendance marks a past session held


def test_leave_needs_reason_and_deputy_needs_name(setup: tuple[Context, int, list[int]]) -> None:
    ctx, sid, ids = setup
    for entry, code, field in (
        (Mark("on_leave"), "attendance.detail_required", "leave_reason"),
        # only approved leave is excused
        (Mark("on_leave", leave_reason="病假"), "attendance.detail_required", "approved_by"),
        (Mark("deputy"), "attendance.detail_required", "deputy_name"),
        (Mark("asleep"), "value.unknown", "status"),
    ):
        with pytest.raises(ValidationError) as exc:
            attendance.mark(ctx, sid, ids[0], entry)
        assert (exc.value.code, exc.value.field) == (code, field)
    assert attendance.session_attendance(ctx, sid).counts.not_taken == 6


def test_everyone_present_then_exceptions(setup: tuple[Context, int, list[int]]) -> None:
    ctx, sid, ids = setup
    attendance.mark(ctx, sid, ids[0], Mark("absent"))
    assert attendance.mark_remaining_present(ctx, sid) == 5
    counts = attendance.session_attendance(ctx, sid).counts
    assert (counts.present, counts.absent, counts.not_taken) == (5, 1, 0)
    assert attendance.mark_remaining_present(ctx, sid) == 0


def test_bulk_is_all_or_nothing(setup: tuple[Context, int, list[int]]) -> None:
    ctx, sid, ids = setup
    with pytest.raises(ValidationError):
        attendance.mark_many(ctx, sid, {ids[0]: Mark("present"), ids[1]: Mark("on_leave")})  # no reason
    assert attendance.session_attendance(ctx, sid).counts.not_taken == 6
    assert audit.list_entries(ctx, entity="attendance") == []


def test_every_change_is_audited(setup: tuple[Context, int, list[int]]) -> None:
    ctx, sid, ids = setup
    attendance.mark(ctx, sid, ids[0], Mark("present"))
    attendance.mark(ctx, sid, ids[0], Mark("late"))  # same user, same sitting: no reason needed
    entries = audit.list_entries(ctx, cadre_id=ids[0], entity="attendance")
    assert [e.changes["status"] for e in entries] == [("present", "late"), (None, "present")]
    assert all(e.user == "tester" and e.session_id == sid for e in entries)


def test_later_correction_needs_reason(setup: tuple[Context, int, list[int]]) -> None:
    ctx, sid, ids = setup
    attendance.mark(ctx, sid, ids[0], Mark("absent"))
    later = Context(
        db=ctx.db, actor=ctx.actor, settings=ctx.settings, clock=lambda: ctx.now() + timedelta(days=2)
    )
    with raises_code(CorrectionRequired, "attendance.correction_required", field="reason", status="absent"):
        attendance.mark(later, sid, ids[0], Mark("on_leave", leave_reason="补假条", approved_by="县委组织部"))
    attendance.mark(
        later,
        sid,
        ids[0],
        Mark("on_leave", leave_reason="补假条", approved_by="县委组织部", correction_reason="补交假条"),
    )
    assert audit.list_entries(ctx, cadre_id=ids[0], entity="attendance")[0].reason == "补交假条"


def test_record_version_conflict(setup: tuple[Context, int, list[int]]) -> None:
    ctx, sid, ids = setup
    p = attendance.mark(ctx, sid, ids[0], Mark("present"))
    attendance.mark(ctx, sid, ids[0], Mark("late", expected_version=p.version))
    with pytest.raises(ConflictError):
        attendance.mark(ctx, sid, ids[0], Mark("absent", expected_version=p.version))


def test_viewer_cannot_mark(setup: tuple[Context, int, list[int]]) -> None:
    ctx, sid, ids = setup
    viewer = Context(db=ctx.db, actor=Actor("guest", "viewer"), settings=ctx.settings, clock=ctx.clock)
    with pytest.raises(PermissionDenied):
        attendance.mark(viewer, sid, ids[0], Mark("present"))


def test_cancelled_session_takes_no_attendance(setup: tuple[Context, int, list[int]]) -> None:
    from zhijin_training.services import schedule

    ctx, sid, ids = setup
    schedule.cancel_session(ctx, sid, expected_version=None)
    with raises_code(ValidationError, "attendance.session_cancelled", session_id=sid):
        attendance.mark(ctx, sid, ids[0], Mark("present"))


def test_cadre_counts_over_period(setup: tuple[Context, int, list[int]]) -> None:
    ctx, sid, ids = setup
    attendance.mark(ctx, sid, ids[0], Mark("present"))
    other = session_on(ctx, lecture(ctx).id, date(2026, 11, 6))
    attendance.mark(ctx, other.id, ids[0], Mark("absent"))
    assert attendance.cadre_counts(ctx, ids[0]).rate == pytest.approx(0.5)
    assert attendance.cadre_counts(ctx, ids[0], start=date(2026, 11, 10)).rate == 1.0
    assert attendance.cadre_counts(ctx, ids[0], end=date(2026, 11, 1)).rate is None


def test_only_leave_is_recorded_before_the_session(ctx: Context) -> None:
    [c] = secretaries(ctx, 1)
    future = session_on(ctx, lecture(ctx).id, date(2026, 12, 4))
    with raises_code(ValidationError, "attendance.not_begun", field="status"):
        attendance.mark(ctx, future.id, c.id, Mark("present"))
    attendance.mark(ctx, future.id, c.id, Mark("on_leave", leave_reason="出差", approved_by="县委组织部"))
    assert attendance.session_attendance(ctx, future.id).counts.on_leave == 1


def test_changing_leave_details_later_is_a_correction(setup: tuple[Context, int, list[int]]) -> None:
    ctx, sid, ids = setup
    attendance.mark(ctx, sid, ids[0], Mark("on_leave", leave_reason="病假", approved_by="甲"))
    other = Context(db=ctx.db, actor=Actor("clerk2", "editor"), settings=ctx.settings, clock=ctx.clock)
    with raises_code(CorrectionRequired, "attendance.correction_required", recorded_by="tester"):
        attendance.mark(other, sid, ids[0], Mark("on_leave", leave_reason="事假", approved_by="甲"))
