"""One bulk read of everything a calendar shows: sessions, programmes, itineraries, participants.

Three queries for up to 5,000 sessions (sessions with programmes, itinerary stops, participants with names
and units), one more pair per further 5,000, so exporting thousands of sessions never runs N queries.
Participant rows are read as plain Core rows by the explicit list of session ids (a sub-select was slower).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zhijin_training.models import (
    AppSetting,
    AuditEntry,
    Cadre,
    ItineraryItem,
    Participant,
    Programme,
    SessionStatus,
    TrainingSession,
    Unit,
)
from zhijin_training.services.roster import ROLE_ORDER
from zhijin_training.services.schedule import build_session_view
from zhijin_training.services.views import ItineraryView, SessionView
from zhijin_training.timeutil import local_midnight


class Attendee(NamedTuple):
    """A participant as published: name and unit only (never a phone number). A tuple: built in bulk."""

    cadre_id: int
    unit_id: int | None
    name: str
    unit_name: str


@dataclass(frozen=True)
class EventData:
    session: SessionView
    programme_alarm: int | None  # Programme.alarm_minutes (overrides the per-kind setting)
    participants: tuple[Attendee, ...]
    cancel_reason: str = ""  # why a cancelled session was cancelled (from its audit entry)


@dataclass(frozen=True)
class Filters:
    cadre_id: int | None = None
    unit_id: int | None = None
    programme_id: int | None = None
    kind: str | None = None
    start: date | None = None
    end: date | None = None
    session_ids: tuple[int, ...] | None = None
    include_cancelled: bool = True


def _where(stmt: Any, f: Filters) -> Any:
    if f.start is not None:
        stmt = stmt.where(TrainingSession.ends_at > local_midnight(f.start))
    if f.end is not None:
        stmt = stmt.where(TrainingSession.starts_at < local_midnight(f.end + timedelta(days=1)))
    if f.programme_id is not None:
        stmt = stmt.where(TrainingSession.programme_id == f.programme_id)
    if f.kind:
        stmt = stmt.where(Programme.kind == f.kind)
    if not f.include_cancelled:
        stmt = stmt.where(TrainingSession.status != SessionStatus.CANCELLED.value)
    if f.session_ids is not None:
        stmt = stmt.where(col(TrainingSession.id).in_(list(f.session_ids)))
    if f.cadre_id is not None or f.unit_id is not None:
        sub = select(Participant.session_id)
        if f.cadre_id is not None:
            sub = sub.where(Participant.cadre_id == f.cadre_id)
        if f.unit_id is not None:
            sub = sub.where(Participant.unit_id == f.unit_id)
        stmt = stmt.where(col(TrainingSession.id).in_(sub))
    return stmt


def load_events(s: Session, f: Filters) -> list[EventData]:
    """Sessions matching the filters in time order, with their itinerary and participants."""
    stmt = _where(
        select(TrainingSession, Programme).join(Programme, col(TrainingSession.programme_id) == Programme.id),
        f,
    ).order_by(col(TrainingSession.starts_at), col(TrainingSession.id))
    rows = s.exec(stmt).all()
    if not rows:
        return []
    ids = [row.id or 0 for row, _ in rows]
    stops: dict[int, list[ItineraryView]] = {}
    for chunk in _chunks(ids):
        for item in s.exec(select(ItineraryItem).where(col(ItineraryItem.session_id).in_(chunk))).all():
            stops.setdefault(item.session_id, []).append(ItineraryView(item.day, item.place, item.activity))
    for items in stops.values():
        items.sort(key=lambda i: i.day)
    people, counts = _participants(s, ids)
    reasons = _cancel_reasons(
        s, [row.id or 0 for row, _ in rows if row.status == SessionStatus.CANCELLED.value]
    )
    out = []
    for row, programme in rows:
        sid = row.id or 0
        view = build_session_view(row, programme, tuple(stops.get(sid, ())), counts.get(sid, (0, 0)))
        out.append(EventData(view, programme.alarm_minutes, tuple(people.get(sid, ())), reasons.get(sid, "")))
    return out


def _cancel_reasons(s: Session, ids: list[int]) -> dict[int, str]:
    """The reason given when each session was last cancelled: its newest session audit entry that set the
    status to cancelled and gave a reason."""
    out: dict[int, str] = {}
    for chunk in _chunks(ids):
        entries = s.exec(
            select(AuditEntry.entity_id, AuditEntry.after, AuditEntry.reason)
            .where(
                AuditEntry.entity == "session",
                col(AuditEntry.entity_id).in_(chunk),
                # a session's entries carry its id in session_id too: that column is indexed (ix_audit_session)
                col(AuditEntry.session_id).in_(chunk),
                AuditEntry.reason != "",
            )
            .order_by(col(AuditEntry.id))
        ).all()
        for entity_id, after, reason in entries:
            if isinstance(after, dict) and after.get("status") == SessionStatus.CANCELLED.value and entity_id:
                out[entity_id] = reason
    return out


def _chunks(ids: list[int], size: int = 5000) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _participants(s: Session, ids: list[int]) -> tuple[dict[int, list[Attendee]], dict[int, tuple[int, int]]]:
    """Each session's participants in roster order (township before department, unit order, secretary first)."""
    conn = s.connection()  # plain Core rows: thousands of them, no ORM identity work needed
    people: dict[int, list[Attendee]] = {}
    tally: dict[int, list[int]] = {}
    for chunk in _chunks(ids):
        result = conn.execute(
            sa.select(
                Participant.session_id,
                Participant.cadre_id,
                Participant.unit_id,
                Participant.status,
                Cadre.name,
                Unit.name,
            )
            .join(Cadre, col(Participant.cadre_id) == Cadre.id)
            .join(Unit, col(Participant.unit_id) == Unit.id, isouter=True)
            .where(col(Participant.session_id).in_(chunk))
            .order_by(
                col(Participant.session_id),
                sa.nulls_last(col(Unit.kind).desc()),
                col(Unit.sort_order),
                ROLE_ORDER,
                col(Cadre.id),
            )
        )
        for sid, cadre_id, unit_id, status, name, unit_name in result:
            people.setdefault(sid, []).append(Attendee(cadre_id, unit_id, name, unit_name or ""))
            t = tally.setdefault(sid, [0, 0])
            t[0] += 1
            t[1] += status is not None
    return people, {sid: (t[0], t[1]) for sid, t in tally.items()}


def alarm_settings(s: Session) -> dict[str, int | None]:
    """Lead time in minutes per programme kind from the `alarm.<kind>` settings (empty: no alarm)."""
    out: dict[str, int | None] = {}
    for key, value in s.exec(
        select(AppSetting.key, AppSetting.value).where(col(AppSetting.key).like("alarm.%"))
    ):
        text = (value or "").strip()
        out[key.removeprefix("alarm.")] = int(text) if text.isdigit() else None
    return out
