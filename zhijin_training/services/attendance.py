"""Taking attendance (考勤): one by one, or "everyone present, then the exceptions".

Every change is audited with before and after. Correcting a status recorded earlier (by someone else, or
more than an hour ago) needs a reason: the figures feed each cadre's annual assessment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zhijin_training.enums import StatusSpec, status_values
from zhijin_training.models import (
    Cadre,
    Participant,
    Programme,
    SessionStatus,
    TrainingSession,
    Unit,
)
from zhijin_training.services import audit
from zhijin_training.services.context import Context
from zhijin_training.services.errors import ConflictError, CorrectionRequired, NotFoundError, ValidationError
from zhijin_training.services.rates import Counts, count_columns, counts_from_row
from zhijin_training.services.roster import ROLE_ORDER, find_cadre
from zhijin_training.services.schedule import record_session_change, session_snapshot, session_view
from zhijin_training.services.validation import clean_text, parse_status
from zhijin_training.services.views import ParticipantView, SessionAttendance
from zhijin_training.settings import AccessRole
from zhijin_training.timeutil import local_midnight

CORRECTION_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class Mark:
    """One attendance entry as typed by the office."""

    status: str
    leave_reason: str = ""
    approved_by: str = ""
    deputy_name: str = ""
    venue: str | None = None  # None keeps the venue already recorded
    note: str = ""
    correction_reason: str = ""
    expected_version: int | None = None
    leave_hours: float | None = None  # 学时 of leave within a multi-day session; None keeps what is recorded


def _participant_view(p: Participant, cadre: Cadre, unit_name: str | None) -> ParticipantView:
    return ParticipantView(
        id=p.id or 0,
        session_id=p.session_id,
        cadre_id=p.cadre_id,
        cadre_name=cadre.name,
        cadre_ref=cadre.ref,
        unit_id=p.unit_id,
        unit_name=unit_name or "",
        post_title=cadre.post_title,
        role=cadre.role,
        status=p.status,
        leave_reason=p.leave_reason,
        approved_by=p.approved_by,
        deputy_name=p.deputy_name,
        venue=p.venue,
        note=p.note,
        recorded_by=p.recorded_by,
        recorded_at=p.recorded_at,
        version=p.version,
    )


# the columns of a ParticipantView, in its field order: read as plain rows (no ORM object per person)
_SHEET_COLUMNS = (
    col(Participant.id),
    col(Participant.session_id),
    col(Participant.cadre_id),
    col(Cadre.name),
    col(Cadre.ref),
    col(Participant.unit_id),
    sa.func.coalesce(col(Unit.name), ""),
    col(Cadre.post_title),
    col(Cadre.role),
    col(Participant.status),
    col(Participant.leave_reason),
    col(Participant.approved_by),
    col(Participant.deputy_name),
    col(Participant.venue),
    col(Participant.note),
    col(Participant.recorded_by),
    col(Participant.recorded_at),
    col(Participant.version),
)


def session_attendance(ctx: Context, session_id: int) -> SessionAttendance:
    """The participant list of a session, ordered by unit, with running counts.

    One Core query for the people (the session's index on participant, then the cadre and unit by key): a
    300-person sheet is read as rows, not 600 ORM objects, in about a third of the time."""
    with ctx.db.read() as s:
        row = s.get(TrainingSession, session_id)
        if row is None:
            raise NotFoundError("record.not_found", field="session", entity="session", ref=f"#{session_id}")
        rows = s.execute(
            sa.select(*_SHEET_COLUMNS)
            .join(Cadre, col(Participant.cadre_id) == Cadre.id)
            .join(Unit, col(Participant.unit_id) == Unit.id, isouter=True)
            .where(col(Participant.session_id) == session_id)
            .order_by(sa.nulls_last(col(Unit.kind).desc()), col(Unit.sort_order), ROLE_ORDER, col(Cadre.id))
        ).all()
        participants = tuple(ParticipantView(*r) for r in rows)
        view = session_view(s, row, counts=(len(participants), sum(1 for p in participants if p.status)))
        return SessionAttendance(
            view, participants, tally(participants, row.status == SessionStatus.CANCELLED.value)
        )


def tally(participants: Sequence[ParticipantView], cancelled: bool) -> Counts:
    """Counts of a participant list (a cancelled session counts nothing); the rate is `Counts.rate`."""
    if cancelled:
        return Counts()
    by_status: dict[str, int] = {}
    not_taken = 0
    for p in participants:
        if p.status is None:
            not_taken += 1
        else:
            by_status[p.status] = by_status.get(p.status, 0) + 1
    known = {k: v for k, v in by_status.items() if k in status_values()}  # a stray value counts nowhere
    return Counts(expected=len(participants) - not_taken, not_taken=not_taken, **known)


_DETAIL_FIELDS = ("leave_reason", "approved_by", "deputy_name")  # kept only for the statuses that need them
_LEAVE_FIELDS = ("leave_reason", "approved_by")  # also kept for leave within a session (leave_hours)


def check_mark(mark: Mark) -> None:
    """The checks a mark must pass before it is saved, without the database: a form runs them while open."""
    _validate(mark)


def _validate(mark: Mark) -> tuple[StatusSpec, dict[str, str]]:
    spec = parse_status(mark.status)
    values = {
        "leave_reason": clean_text(mark.leave_reason, "leave_reason", max_len=500),
        "approved_by": clean_text(mark.approved_by, "approved_by", max_len=100),
        "deputy_name": clean_text(mark.deputy_name, "deputy_name", max_len=100),
        "note": clean_text(mark.note, "note", max_len=1000),
    }
    if mark.venue is not None:
        values["venue"] = clean_text(mark.venue, "venue", max_len=200)
    for needed in spec.needs:
        # e.g. only approved leave is excused from the rate (services/rates.py): say who approved it
        if not values.get(needed):
            raise ValidationError("attendance.detail_required", field=needed, status=spec.value)
    leave_hours = _leave_hours(mark, spec)
    if leave_hours is not None:
        values["leave_hours"] = leave_hours  # type: ignore[assignment]
    if leave_hours and not (values["leave_reason"] and values["approved_by"]):
        raise ValidationError("hours.leave_needs_approval", field="leave_reason")
    for detail in _DETAIL_FIELDS:
        # leave within a session keeps its reason and approver whatever the status
        if detail not in spec.needs and not (leave_hours and detail in _LEAVE_FIELDS):
            values[detail] = ""
    return spec, values


def _leave_hours(mark: Mark, spec: StatusSpec) -> float | None:
    """Leave within a session applies to a session attended in person; on leave, absent or by deputy it is
    moot."""
    if not spec.attended:
        return 0.0
    if mark.leave_hours is None:
        return None
    value = float(mark.leave_hours)
    if not 0 <= value <= 2000:
        raise ValidationError("hours.bad_hours", field="leave_hours", value=str(mark.leave_hours))
    return value


def _apply(ctx: Context, s: Session, p: Participant, row: TrainingSession, mark: Mark) -> bool:
    """Write one mark onto a participant row. Returns False when nothing changed."""
    status, values = _validate(mark)
    if mark.expected_version is not None and p.version != mark.expected_version:
        raise ConflictError("attendance", p.id or 0, p.recorded_by, p.recorded_at)
    before = audit.snapshot(p)
    if not status.in_advance and row.starts_at > ctx.now():
        # leave may be approved in advance; everything else is recorded once the session has begun
        raise ValidationError(
            "attendance.not_begun", field="status", session_id=row.id, starts_at=row.starts_at
        )
    details_changed = any(
        (before or {}).get(k) != v
        for k, v in values.items()
        if k in ("leave_reason", "approved_by", "deputy_name")
    )
    is_correction = (
        p.status is not None
        and (p.status != status.value or details_changed)
        and (
            p.recorded_by != ctx.actor.user
            or p.recorded_at is None
            or ctx.now() - p.recorded_at > CORRECTION_GRACE
        )
    )
    reason = clean_text(mark.correction_reason, "correction_reason", max_len=500)
    if is_correction and not reason:
        raise CorrectionRequired(
            cadre_id=p.cadre_id, status=p.status, recorded_by=p.recorded_by or "?", recorded_at=p.recorded_at
        )
    p.status = status.value
    for key, value in values.items():
        setattr(p, key, value)
    after = audit.snapshot(p)
    if not audit.changed_fields(before, after):
        return False
    p.recorded_by = ctx.actor.user
    p.recorded_at = ctx.now()
    p.version += 1
    s.add(p)
    audit.record(
        ctx,
        s,
        action="update" if before and before.get("status") else "create",
        entity="attendance",
        entity_id=p.id,
        session_id=p.session_id,
        cadre_id=p.cadre_id,
        before=before,
        after=audit.snapshot(p),
        reason=reason,
    )
    return True


def _load_session(s: Session, session_id: int) -> TrainingSession:
    row = s.get(TrainingSession, session_id, with_for_update=True)
    if row is None:
        raise NotFoundError("record.not_found", field="session", entity="session", ref=f"#{session_id}")
    if row.status == SessionStatus.CANCELLED.value:
        raise ValidationError("attendance.session_cancelled", field="session", session_id=session_id)
    return row


def _mark_held(ctx: Context, s: Session, row: TrainingSession) -> None:
    """A session whose attendance is being taken has been held (calendars need no update for that)."""
    if row.status == SessionStatus.SCHEDULED.value and row.starts_at <= ctx.now():
        before = session_snapshot(s, row)
        row.status = SessionStatus.HELD.value
        record_session_change(ctx, s, row, before, calendar=False, reason="attendance taken")


def mark(
    ctx: Context, session_id: int, cadre: int | str, entry: Mark, *, force: bool = False
) -> ParticipantView:
    """Record one cadre's attendance. `cadre` is an id or a reference (#id, person number, name@unit).

    A leave that takes the cadre over 1/7 of a full-time course raises hours.LeaveLimitWarning unless `force`.
    """
    ctx.actor.require(AccessRole.EDITOR, "take attendance")
    with ctx.db.write() as s:
        row = _load_session(s, session_id)
        person = s.get(Cadre, cadre) if isinstance(cadre, int) else find_cadre(s, cadre)
        if person is None:
            raise NotFoundError("record.not_found", field="cadre", entity="cadre", ref=f"#{cadre}")
        p = s.exec(
            select(Participant).where(Participant.session_id == session_id, Participant.cadre_id == person.id)
        ).first()
        if p is None:
            raise ValidationError(
                "attendance.not_participant",
                field="cadre",
                cadre=f"{person.name} (#{person.id})",
                session_id=session_id,
            )
        _check_leave_limit(ctx, s, row, p, entry, force)
        if _apply(ctx, s, p, row, entry):
            _mark_held(ctx, s, row)
        unit = s.get(Unit, p.unit_id) if p.unit_id else None
        return _participant_view(p, person, unit.name if unit else None)


def _check_leave_limit(
    ctx: Context, s: Session, row: TrainingSession, p: Participant, entry: Mark, force: bool
) -> None:
    from zhijin_training.services.hours import check_leave_limit

    status = parse_status(entry.status).value
    leave = entry.leave_hours if entry.leave_hours is not None else p.leave_hours
    check_leave_limit(ctx, s, row, p.cadre_id, status, leave or 0.0, force=force)


def mark_many(ctx: Context, session_id: int, marks: Mapping[int, Mark], *, only_unset: bool = False) -> int:
    """Save several marks at once, all or nothing. Returns how many records changed.

    `only_unset` skips participants who already have a status when the transaction runs (so "everyone
    else present" never overwrites a mark someone made a moment earlier).
    """
    ctx.actor.require(AccessRole.EDITOR, "take attendance")
    with ctx.db.write() as s:
        row = _load_session(s, session_id)
        parts = {
            p.cadre_id: p for p in s.exec(select(Participant).where(Participant.session_id == session_id))
        }
        missing = [c for c in marks if c not in parts]
        if missing:
            raise ValidationError(
                "attendance.not_participant", field="cadre", cadre=f"#{missing[0]}", session_id=session_id
            )
        changed = sum(
            1
            for cadre_id, entry in marks.items()
            if not (only_unset and parts[cadre_id].status is not None)
            and _apply(ctx, s, parts[cadre_id], row, entry)
        )
        if changed:
            _mark_held(ctx, s, row)
        return changed


def mark_remaining_present(ctx: Context, session_id: int, *, venue: str | None = None) -> int:
    """Everyone without a status yet becomes present; then record the exceptions."""
    with ctx.db.read() as s:
        cadre_ids = s.exec(select(Participant.cadre_id).where(Participant.session_id == session_id)).all()
    # who is still unset is decided inside the write transaction, with the session row locked
    return mark_many(ctx, session_id, {c: Mark("present", venue=venue) for c in cadre_ids}, only_unset=True)


# ---------------------------------------------------------------- summaries
def cadre_counts(
    ctx: Context, cadre_id: int, *, start: date | None = None, end: date | None = None
) -> Counts:
    """A cadre's attendance over a period (local days, inclusive), computed in the database."""
    stmt = (
        select(*count_columns(col(Participant.status), ctx.now()))
        .select_from(Participant)
        .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
        .where(Participant.cadre_id == cadre_id, TrainingSession.status != SessionStatus.CANCELLED.value)
    )
    if start:
        stmt = stmt.where(TrainingSession.starts_at >= local_midnight(start))
    if end:
        stmt = stmt.where(TrainingSession.starts_at < local_midnight(end + timedelta(days=1)))
    with ctx.db.read() as s:
        return counts_from_row(s.exec(stmt).one())


def cadre_history(
    ctx: Context, cadre_id: int, *, start: date | None = None, end: date | None = None, limit: int = 500
) -> list[tuple[str, str, object, str | None]]:
    """(session title, programme kind, starts_at, status) for the drill-down behind a cadre's figures."""
    stmt = (
        select(TrainingSession, Programme, Participant.status)
        .join(Participant, col(Participant.session_id) == TrainingSession.id)
        .join(Programme, col(TrainingSession.programme_id) == Programme.id)
        .where(Participant.cadre_id == cadre_id)
        .order_by(col(TrainingSession.starts_at).desc())
        .limit(limit)
    )
    if start:
        stmt = stmt.where(TrainingSession.starts_at >= local_midnight(start))
    if end:
        stmt = stmt.where(TrainingSession.starts_at < local_midnight(end + timedelta(days=1)))
    with ctx.db.read() as s:
        return [(r.title or p.title, p.kind, r.starts_at, status) for r, p, status in s.exec(stmt).all()]
