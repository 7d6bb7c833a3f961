"""Who is expected at a session (参训人员): defaults from the programme, editable per session."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select

from zhijin_training.models import Participant, SessionStatus, TrainingSession
from zhijin_training.services import audit
from zhijin_training.services.context import Context
from zhijin_training.services.errors import NotFoundError, ValidationError
from zhijin_training.services.roster import check_version, units_on
from zhijin_training.services.schedule import ScheduleWarning, _require_cadres, bump_after_participant_change
from zhijin_training.settings import AccessRole
from zhijin_training.timeutil import local_date


def set_participants(
    ctx: Context,
    session_id: int,
    cadre_ids: Sequence[int],
    *,
    expected_version: int | None = None,
    force: bool = False,
) -> tuple[list[int], list[int]]:
    """Make the participant list exactly `cadre_ids`. Returns (added, removed).

    A participant whose attendance is already recorded cannot be removed (the record would be lost).
    """
    ctx.actor.require(AccessRole.EDITOR, "change participants")
    from zhijin_training.services.conflicts import find_conflicts

    wanted = list(dict.fromkeys(cadre_ids))
    with ctx.db.write() as s:
        row = s.get(TrainingSession, session_id, with_for_update=True)
        if row is None:
            raise NotFoundError(f"session #{session_id} does not exist")
        check_version(row, expected_version, "session", row.updated_by)
        if row.status == SessionStatus.CANCELLED.value:
            raise ValidationError(f"session #{session_id} is cancelled")
        _require_cadres(s, wanted)
        current = {
            p.cadre_id: p for p in s.exec(select(Participant).where(Participant.session_id == session_id))
        }
        added = [c for c in wanted if c not in current]
        removed = [c for c in current if c not in set(wanted)]
        recorded = [c for c in removed if current[c].status is not None]
        if recorded:
            raise ValidationError(
                f"cannot remove {len(recorded)} participant(s) whose attendance is recorded (#{recorded[0]} ...)"
            )
        if added and not force:
            conflicts = find_conflicts(s, added, row.starts_at, row.ends_at, exclude_session_ids=[session_id])
            if conflicts:
                raise ScheduleWarning(conflicts, [])
        unit_of = units_on(s, added, local_date(row.starts_at))
        for cadre_id in added:
            p = Participant(session_id=session_id, cadre_id=cadre_id, unit_id=unit_of.get(cadre_id))
            s.add(p)
            s.flush()
            audit.record(
                ctx,
                s,
                action="create",
                entity="participant",
                entity_id=p.id,
                session_id=session_id,
                cadre_id=cadre_id,
                after=audit.snapshot(p),
            )
        for cadre_id in removed:
            p = current[cadre_id]
            audit.record(
                ctx,
                s,
                action="delete",
                entity="participant",
                entity_id=p.id,
                session_id=session_id,
                cadre_id=cadre_id,
                before=audit.snapshot(p),
            )
            s.delete(p)
        if added or removed:
            bump_after_participant_change(ctx, s, row)
        return added, removed


def add_participants(
    ctx: Context, session_id: int, cadre_ids: Sequence[int], *, force: bool = False
) -> list[int]:
    with ctx.db.read() as s:
        current = list(s.exec(select(Participant.cadre_id).where(Participant.session_id == session_id)).all())
    added, _ = set_participants(ctx, session_id, current + list(cadre_ids), force=force)
    return added


def remove_participants(ctx: Context, session_id: int, cadre_ids: Sequence[int]) -> list[int]:
    gone = set(cadre_ids)
    with ctx.db.read() as s:
        current = [
            c
            for c in s.exec(
                select(Participant.cadre_id)
                .where(Participant.session_id == session_id)
                .order_by(col(Participant.id))
            ).all()
        ]
    _, removed = set_participants(ctx, session_id, [c for c in current if c not in gone])
    return removed
