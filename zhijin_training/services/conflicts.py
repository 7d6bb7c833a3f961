"""Double bookings: a cadre expected at two overlapping sessions (a lecture during a trip or secondment)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlmodel import Session, col, select

from zhijin_training.models import Cadre, Participant, Programme, SessionStatus, TrainingSession
from zhijin_training.services.context import Context
from zhijin_training.services.views import ConflictView


def find_conflicts(
    s: Session,
    cadre_ids: Sequence[int],
    starts_at: datetime,
    ends_at: datetime,
    *,
    exclude_session_ids: Iterable[int] = (),
) -> list[ConflictView]:
    """Sessions (not cancelled) overlapping [starts_at, ends_at) at which any of the cadres is expected."""
    if not cadre_ids:
        return []
    exclude = list(exclude_session_ids)
    out: list[ConflictView] = []
    ids = list(dict.fromkeys(cadre_ids))
    for i in range(0, len(ids), 500):
        stmt = (
            select(Participant.cadre_id, Cadre.name, TrainingSession, Programme.title)
            .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
            .join(Programme, col(TrainingSession.programme_id) == Programme.id)
            .join(Cadre, col(Participant.cadre_id) == Cadre.id)
            .where(
                col(Participant.cadre_id).in_(ids[i : i + 500]),
                TrainingSession.starts_at < ends_at,
                TrainingSession.ends_at > starts_at,
                TrainingSession.status != SessionStatus.CANCELLED.value,
            )
        )
        if exclude:
            stmt = stmt.where(col(TrainingSession.id).not_in(exclude))
        for cadre_id, name, other, programme_title in s.exec(stmt).all():
            out.append(
                ConflictView(
                    cadre_id=cadre_id,
                    cadre_name=name,
                    session_id=None,
                    other_session_id=other.id or 0,
                    other_title=other.title or programme_title,
                    other_starts_at=other.starts_at,
                    other_ends_at=other.ends_at,
                    other_all_day=bool(other.all_day),
                )
            )
    return out


def conflicts_for_session(ctx: Context, session_id: int) -> list[ConflictView]:
    """Everyone expected at this session who is also expected somewhere else at the same time."""
    with ctx.db.read() as s:
        row = s.get(TrainingSession, session_id)
        if row is None:
            return []
        cadre_ids = list(
            s.exec(select(Participant.cadre_id).where(Participant.session_id == session_id)).all()
        )
        found = find_conflicts(s, cadre_ids, row.starts_at, row.ends_at, exclude_session_ids=[session_id])
        return [replace(c, session_id=session_id) for c in found]
