"""Each event's serialised text, stored by session and variant under a key of everything it is built from.

Exports spent most of their time reading every participant of every session and running icalendar on each
event; neither changes between two exports unless something the event shows changed. So an export first reads
the cheap facts of each session and computes its key; events whose stored key matches are joined from stored
bytes, and only the others are read in full and serialised (and stored for next time).

The key is exact by construction, not by discipline: it is a SHA-256 over
- the session's whole row (UID, SEQUENCE, title, times, venues, broadcast, status, note and note_public, DTSTAMP's
  updated_at … — every column, so a column added later is covered without anyone remembering it),
- its programme's whole row (title, kind, alarm …), its itinerary rows, the reason of its cancellation,
- its participants through SEQUENCE: every change of the list raises it (services/participants.py, a new
  session has a new UID), and a participant's unit changes only with a session's time (SEQUENCE) or with the
  cadre's own post (the roster below). Reading 1.7 M participant rows to hash them would cost what the cache
  saves,
- the roster the names come from, through its stamp (0015, ical/roster_stamp.py): triggers raise it when a
  cadre's name, role or unit, a unit's name, kind or order, or a participation's unit changes (a rename or
  move anywhere rebuilds the events on the next export — rare, and exact; a phone number does not),
- the export-wide inputs: the per-kind alarm settings, the office's name and address, the words of the
  interface language (cancelled prefix, programme kinds), and FORMAT (raise it when export.py changes what an
  event says).
The variant ("office", "feed", "d:<audience>") is part of the row's primary key.

Writing the cache is best effort: a reader who may not write (a viewer, a read-only database) gets the same
bytes, only built the slow way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from zhijin_training.enums import ProgrammeKind
from zhijin_training.i18n import label
from zhijin_training.ical import roster_stamp
from zhijin_training.ical.query import Filters, _cancel_reasons, _chunks, _where
from zhijin_training.models import ItineraryItem, Programme, TrainingSession
from zhijin_training.models.ical_cache import IcalEventCache
from zhijin_training.services.context import Context

# raise when export.py changes what an event says: every stored text becomes stale at once
FORMAT = 1
_SESSION_COLS = tuple(TrainingSession.__table__.columns)  # type: ignore[attr-defined]
_PROGRAMME_COLS = tuple(Programme.__table__.columns)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Planned:
    """One session of an export in time order, with the key of its text."""

    session_id: int
    uid: str
    sequence: int
    all_day: bool
    programme_id: int
    ends_at: Any
    key: str  # hex; combined with the variant when stored


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def world_stamp(s: Session, *, alarms: dict[str, int | None], organizer: tuple[str, str], prefix: str) -> str:
    """The inputs every event shares: the roster (its stamp, 0015), alarm settings, office, interface words."""
    conn = s.connection()
    h = hashlib.sha256(repr((FORMAT, sorted(alarms.items()), organizer, prefix)).encode())
    h.update(repr([label("programme_kind", k.value) for k in ProgrammeKind]).encode())
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        stamp = roster_stamp.read(cursor)
        if stamp is not None:
            h.update(repr(("roster", *stamp)).encode())
        else:  # the stamp row is gone (a hand-made copy?): the roster itself, read whole, still keys exactly
            for sql in (
                "SELECT id, name, role, unit_id, version FROM cadre ORDER BY id",
                "SELECT id, name, kind, sort_order, version FROM unit ORDER BY id",
            ):
                cursor.execute(sql)
                h.update(repr(cursor.fetchall()).encode())
    finally:
        cursor.close()
    return h.hexdigest()


def plan(s: Session, f: Filters, world: str) -> list[Planned]:
    """The sessions matching `f` in export order, each with the key of its text (no participant rows read)."""
    conn = s.connection()
    typed = (
        TrainingSession.id,
        TrainingSession.uid,
        TrainingSession.sequence,
        TrainingSession.all_day,
        TrainingSession.programme_id,
        TrainingSession.ends_at,
        TrainingSession.status,
    )
    # the rest only feeds the hash: taken as the driver gives it, without SQLAlchemy's per-value conversion
    raw = [sa.type_coerce(c, sa.types.NullType()) for c in (*_SESSION_COLS, *_PROGRAMME_COLS)]
    stmt = _where(
        sa.select(*typed, *raw).join(Programme, col(TrainingSession.programme_id) == Programme.id),
        f,
    ).order_by(col(TrainingSession.starts_at), col(TrainingSession.id))
    rows = conn.execute(stmt).all()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    stops: dict[int, list[tuple[Any, ...]]] = {}
    itinerary = sa.select(
        ItineraryItem.session_id,
        sa.type_coerce(ItineraryItem.day, sa.types.NullType()),
        ItineraryItem.place,
        ItineraryItem.activity,
        ItineraryItem.sort_order,
    ).order_by(col(ItineraryItem.id))
    # trips only: a small table, read whole for a big export instead of thousands of bound ids
    wanted = set(ids)
    for chunk in [None] if len(ids) > 500 else _chunks(ids):
        stmt = itinerary if chunk is None else itinerary.where(col(ItineraryItem.session_id).in_(chunk))
        for item in conn.execute(stmt):
            if item[0] in wanted:
                stops.setdefault(item[0], []).append(tuple(item[1:]))
    reasons = _cancel_reasons(s, [row[0] for row in rows if row[6] == "cancelled"])
    width = len(typed)
    out = []
    for row in rows:
        sid = row[0]
        key = _digest(world, tuple(row[width:]), stops.get(sid, ()), reasons.get(sid, ""))
        out.append(Planned(sid, row[1], row[2], bool(row[3]), row[4], row[5], key))
    return out


def variant_key(event_key: str, variant: str) -> str:
    return _digest(event_key, variant)


def lookup(s: Session, wanted: dict[tuple[int, str], str]) -> dict[tuple[int, str], bytes]:
    """Stored texts for {(session id, variant): key} whose stored key is the one wanted."""
    if not wanted:
        return {}
    conn = s.connection()
    variants = sorted({v for _, v in wanted})
    ids = sorted({sid for sid, _ in wanted})
    found: dict[tuple[int, str], bytes] = {}
    table = IcalEventCache.__table__  # type: ignore[attr-defined]
    for chunk in _chunks(ids):
        stmt = sa.select(table.c.session_id, table.c.variant, table.c.key, table.c.body).where(
            table.c.session_id.in_(chunk)
        )
        if len(variants) <= 50:
            stmt = stmt.where(table.c.variant.in_(variants))
        for sid, variant, key, body in conn.execute(stmt):
            if wanted.get((sid, variant)) == key:
                found[(sid, variant)] = bytes(body)
    return found


def store(ctx: Context, entries: Sequence[tuple[Planned, str, str, bytes]]) -> bool:
    """Keep (planned, variant, key, text) for the next export; False when this reader may not write."""
    if not entries:
        return True
    table = IcalEventCache.__table__  # type: ignore[attr-defined]
    try:
        with ctx.db.write() as s:
            conn = s.connection()
            by_variant: dict[str, list[int]] = {}
            for p, variant, _, _ in entries:
                by_variant.setdefault(variant, []).append(p.session_id)
            for variant, ids in by_variant.items():
                for chunk in _chunks(ids):
                    conn.execute(
                        table.delete().where(table.c.variant == variant, table.c.session_id.in_(chunk))
                    )
            rows = [
                {
                    "session_id": p.session_id,
                    "variant": variant,
                    "uid": p.uid,
                    "sequence": p.sequence,
                    "key": key,
                    "body": body,
                }
                for p, variant, key, body in entries
            ]
            for start in range(0, len(rows), 5000):
                conn.execute(table.insert(), rows[start : start + 5000])
    except Exception:  # derived data: a viewer, a read-only file or a racing writer only costs speed
        return False
    return True
