"""The overview's first panels (sessions ahead, sessions awaiting attendance) without SQLAlchemy.

Importing SQLAlchemy, SQLModel and the models costs more than the whole Textual start-up, and the overview is
what a person waits for each morning. On SQLite the two lists are read here with the standard library's
sqlite3, read-only, in the same queries the ORM services issue (`schedule.upcoming`,
`schedule.awaiting_attendance`); the views are the same (tests/services/test_first_look.py compares them).
Any other database, or any trouble here, goes through those services instead.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from zhijin_training.services.context import Context
from zhijin_training.services.views import ItineraryView, SessionView
from zhijin_training.timeutil import local_date, local_midnight

UPCOMING_DAYS = 14
# a glance, not the schedule: a county has a dozen sessions in two weeks, a province database a thousand, and
# the overview must come up as fast for both. One row more than shown tells the screen there are more.
UPCOMING_LIMIT = 100
AWAITING_LIMIT = 20
AWAITING_WINDOW = timedelta(days=366)  # schedule.AWAITING_WINDOW (not imported: it would load SQLAlchemy)
_ITINERARY_KINDS = ("study_trip", "secondment")
# a read ahead older than this is not shown: the interface took unusually long to come up, read again
AHEAD_FRESH_SECONDS = 10.0
Panels = tuple[list[SessionView], list[SessionView]]  # (sessions ahead, sessions awaiting attendance)
_SESSION_COLUMNS = """
  s.id, s.programme_id, g.title, g.kind, s.series_id, s.recurrence_id, s.detached, s.title, s.topic,
  s.speaker, s.location, s.branch_venues, s.broadcast_at, s.starts_at, s.ends_at, s.all_day, s.status,
  s.note, s.note_public, s.uid, s.sequence, s.version, s.updated_at, s.updated_by"""


def _bind(value: datetime) -> str:
    """A UTC datetime as SQLAlchemy's SQLite DateTime stores it (naive UTC, microseconds)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _view(row: tuple[Any, ...], itinerary: tuple[ItineraryView, ...], counts: tuple[int, int]) -> SessionView:
    (sid, programme_id, programme_title, kind, series_id, recurrence_id, detached, title, topic, speaker,
     location, venues, broadcast_at, starts_at, ends_at, all_day, status, note, note_public, uid, sequence,
     version, updated_at, updated_by) = row  # fmt: skip
    starts, ends, updated = _moment(starts_at), _moment(ends_at), _moment(updated_at)
    assert starts is not None and ends is not None and updated is not None
    return SessionView(
        id=sid,
        programme_id=programme_id,
        programme_title=programme_title,
        programme_kind=kind,
        series_id=series_id,
        recurrence_id=_moment(recurrence_id),
        detached=bool(detached),
        title=title or programme_title,
        topic=topic,
        speaker=speaker,
        location=location,
        branch_venues=tuple(json.loads(venues) if venues else ()),
        broadcast_at=_moment(broadcast_at),
        starts_at=starts,
        ends_at=ends,
        all_day=bool(all_day),
        status=status,
        note=note,
        note_public=bool(note_public),
        uid=uid,
        sequence=sequence,
        version=version,
        updated_at=updated,
        updated_by=updated_by,
        itinerary=itinerary,
        participant_count=counts[0],
        recorded_count=counts[1],
    )


def _views(con: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> list[SessionView]:
    ids = [r[0] for r in rows]
    marks = ",".join("?" * len(ids))
    counts: dict[int, tuple[int, int]] = {}
    trips: dict[int, list[ItineraryView]] = {}
    if ids:
        for sid, total, recorded in con.execute(
            f"SELECT session_id, count(id), count(status) FROM participant WHERE session_id IN ({marks})"
            " GROUP BY session_id",
            ids,
        ):
            counts[sid] = (int(total), int(recorded))
        trip_ids = [r[0] for r in rows if r[3] in _ITINERARY_KINDS]
        if trip_ids:
            for sid, day, place, activity in con.execute(
                "SELECT session_id, day, place, activity FROM itinerary_item WHERE session_id IN"
                f" ({','.join('?' * len(trip_ids))}) ORDER BY session_id, day, sort_order",
                trip_ids,
            ):
                trips.setdefault(sid, []).append(ItineraryView(date.fromisoformat(day), place, activity))
    return [_view(r, tuple(trips.get(r[0], ())), counts.get(r[0], (0, 0))) for r in rows]


def _read(path: str, now: datetime) -> Panels:
    today = local_date(now)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        ahead = con.execute(
            f"SELECT {_SESSION_COLUMNS} FROM training_session s JOIN programme g ON s.programme_id = g.id"
            # the sessions ending after today through the end-time index, as schedule.list_sessions does
            " WHERE s.id IN (SELECT id FROM training_session WHERE ends_at > ?) AND s.starts_at < ?"
            " ORDER BY s.starts_at, s.id LIMIT ?",
            (
                _bind(local_midnight(today)),
                _bind(local_midnight(today + timedelta(days=UPCOMING_DAYS + 1))),
                UPCOMING_LIMIT + 1,
            ),
        ).fetchall()
        # newest first through the start-time index, one EXISTS probe of the untaken index per session
        waiting = con.execute(
            f"SELECT {_SESSION_COLUMNS} FROM training_session s JOIN programme g ON s.programme_id = g.id"
            " WHERE s.starts_at <= ? AND s.starts_at >= ? AND s.status != 'cancelled'"
            " AND EXISTS (SELECT p.id FROM participant p WHERE p.session_id = s.id AND p.status IS NULL)"
            " ORDER BY s.starts_at DESC LIMIT ?",
            (_bind(now), _bind(now - AWAITING_WINDOW), AWAITING_LIMIT),
        ).fetchall()
        return _views(con, ahead), _views(con, waiting)
    finally:
        con.close()


def _read_sqlite(ctx: Context) -> Panels | None:
    """The panels through sqlite3; None on another database or any trouble (the services say what is wrong)."""
    path = ctx.db.path if ctx.db.is_sqlite else None
    if path is None:
        return None
    try:
        return _read(str(path), ctx.now())
    except (sqlite3.Error, ValueError, TypeError):
        return None


def overview_sessions(ctx: Context) -> Panels:
    """(the first UPCOMING_LIMIT + 1 sessions of today and the next 14 days, sessions of the past year still
    awaiting attendance)."""
    panels = _read_sqlite(ctx)
    if panels is not None:
        return panels
    from zhijin_training.services import schedule

    return (
        schedule.upcoming(ctx, days=UPCOMING_DAYS, limit=UPCOMING_LIMIT + 1),
        schedule.awaiting_attendance(ctx, limit=AWAITING_LIMIT),
    )


_ahead: tuple[Context, Panels, float] | None = None  # (read for which context, the panels, read at)


def read_ahead(ctx: Context) -> None:
    """Read the first panels now, before the interface is imported (launch.open_tui): ~10 ms, and the overview
    shows them with its first paint, with no worker round trip. Not in a thread beside the import: there the
    read took ten times as long and slowed the import, each sqlite3 call waiting for the interpreter lock.
    A database other than SQLite, or a read that fails, is read by the overview as usual."""
    global _ahead
    panels = _read_sqlite(ctx)
    if panels is not None:
        _ahead = (ctx, panels, time.monotonic())


def take_ahead(ctx: Context) -> Panels | None:
    """The panels `read_ahead` read for this context, once; None when there are none or they are stale."""
    global _ahead
    if _ahead is None or _ahead[0] is not ctx:
        return None
    _, panels, read_at = _ahead
    _ahead = None
    return panels if time.monotonic() - read_at <= AHEAD_FRESH_SECONDS else None
