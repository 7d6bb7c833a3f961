"""Who is expected at a session (参训人员): defaults from the programme, editable per session.

Every change compares and writes inside one write transaction with the session row locked, so two clerks
adding people at the same moment both get their additions (no read-then-write race).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from zhijin_training.models import Cadre, Participant, SessionStatus, TrainingSession
from zhijin_training.services import audit
from zhijin_training.services.context import Context
from zhijin_training.services.errors import NotFoundError, ValidationError
from zhijin_training.services.roster import check_version
from zhijin_training.services.schedule import (
    ScheduleWarning,
    add_participant_rows,
    bump_after_participant_change,
    require_cadres,
)
from zhijin_training.settings import AccessRole


def change_participants(
    ctx: Context,
    session_id: int,
    *,
    add: Sequence[int] = (),
    remove: Sequence[int] = (),
    exactly: Sequence[int] | None = None,
    expected_version: int | None = None,
    force: bool = False,
) -> tuple[list[int], list[int]]:
    """Add and remove participants (or make the list `exactly` these), all or nothing. Returns (added, removed).

    Refused: removing someone whose attendance is recorded (the record would be lost), adding an inactive
    cadre, and — unless `force` — adding someone already expected elsewhere at the same time.
    """
    ctx.actor.require(AccessRole.EDITOR, "change participants")
    from zhijin_training.services.conflicts import find_conflicts

    with ctx.db.write() as s:
        row = s.get(TrainingSession, session_id, with_for_update=True)
        if row is None:
            raise NotFoundError("record.not_found", field="session", entity="session", ref=f"#{session_id}")
        check_version(row, expected_version, "session", row.updated_by)
        if row.status == SessionStatus.CANCELLED.value:
            raise ValidationError("session.cancelled", field="session", session_id=session_id)
        current = {
            p.cadre_id: p for p in s.exec(select(Participant).where(Participant.session_id == session_id))
        }
        if exactly is not None:
            wanted = list(dict.fromkeys(exactly))
            added = [c for c in wanted if c not in current]
            removed = [c for c in current if c not in set(wanted)]
        else:
            gone = set(remove)
            added = [c for c in dict.fromkeys(add) if c not in current and c not in gone]
            removed = [c for c in current if c in gone]
        require_cadres(s, added)
        _refuse_inactive(s, added)
        recorded = [c for c in removed if current[c].status is not None]
        if recorded:
            raise ValidationError(
                "participants.recorded", field="participants", count=len(recorded), first=f"#{recorded[0]}"
            )
        if added and not force:
            conflicts = find_conflicts(s, added, row.starts_at, row.ends_at, exclude_session_ids=[session_id])
            if conflicts:
                raise ScheduleWarning(conflicts, [])
        _write(ctx, s, row, added, [current[c] for c in removed])
        return added, removed


def _refuse_inactive(s: Session, cadre_ids: Sequence[int]) -> None:
    if not cadre_ids:
        return
    inactive = s.exec(
        select(Cadre.id, Cadre.name).where(col(Cadre.id).in_(list(cadre_ids)), col(Cadre.active).is_(False))
    ).all()
    if inactive:
        cadre_id, name = inactive[0]
        raise ValidationError("participants.inactive", field="participants", cadre=f"{name} (#{cadre_id})")


def _write(
    ctx: Context, s: Session, row: TrainingSession, added: list[int], removed: list[Participant]
) -> None:
    add_participant_rows(ctx, s, row, added)
    for p in removed:
        audit.record(
            ctx,
            s,
            action="delete",
            entity="participant",
            entity_id=p.id,
            session_id=row.id,
            cadre_id=p.cadre_id,
            before=audit.snapshot(p),
        )
        s.delete(p)
    if added or removed:
        bump_after_participant_change(ctx, s, row)


def set_participants(
    ctx: Context,
    session_id: int,
    cadre_ids: Sequence[int],
    *,
    expected_version: int | None = None,
    force: bool = False,
) -> tuple[list[int], list[int]]:
    """Make the participant list exactly `cadre_ids`. Returns (added, removed)."""
    return change_participants(
        ctx, session_id, exactly=cadre_ids, expected_version=expected_version, force=force
    )


def add_participants(
    ctx: Context, session_id: int, cadre_ids: Sequence[int], *, force: bool = False
) -> list[int]:
    return change_participants(ctx, session_id, add=cadre_ids, force=force)[0]


def remove_participants(ctx: Context, session_id: int, cadre_ids: Sequence[int]) -> list[int]:
    return change_participants(ctx, session_id, remove=cadre_ids)[1]
