"""Scheduling: single sessions, recurring lecture series, study trips, secondments; edit, reschedule, cancel.

Every write checks the version the user loaded (a second editor gets a ConflictError), raises the session's
iCalendar SEQUENCE when anything a calendar shows changes, and leaves an audit entry in the same transaction.
Before saving, the planner is warned (ScheduleWarning) when a participant would be in two places at once or
a session falls on a public holiday; passing `force=True` saves anyway.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from dateutil.rrule import rrulestr
from sqlmodel import Session, col, select

from zhijin_training.models import (
    ItineraryItem,
    Participant,
    Programme,
    ProgrammeKind,
    Series,
    SessionStatus,
    TrainingSession,
)
from zhijin_training.services import audit
from zhijin_training.services.conflicts import find_conflicts
from zhijin_training.services.context import Context
from zhijin_training.services.errors import (
    DomainError,
    EndBeforeStart,
    NotFoundError,
    Phrase,
    ValidationError,
)
from zhijin_training.services.holidays import HolidayCalendar, load_calendar
from zhijin_training.services.programmes import audience_cadre_ids, find_programme
from zhijin_training.services.roster import check_version, units_on
from zhijin_training.services.validation import clean_text, like_pattern
from zhijin_training.services.views import ConflictView, ItineraryView, SessionView
from zhijin_training.settings import AccessRole
from zhijin_training.timeutil import LOCAL_TZ, local_date, local_midnight, to_local, to_utc

MAX_SERIES_OCCURRENCES = 400
# fields whose change a calendar client must see (raises SEQUENCE)
_CALENDAR_FIELDS = {
    "title",
    "topic",
    "speaker",
    "location",
    "branch_venues",
    "broadcast_at",
    "starts_at",
    "ends_at",
    "all_day",
    "status",
    "note",
    "note_public",
    "itinerary",
}


class ScheduleWarning(DomainError):
    """The change is valid but deserves a second look: double-booked cadres, public holidays."""

    title_code = "title.warning"

    def __init__(self, conflicts: Sequence[ConflictView], holidays: Sequence[tuple[date, str]]) -> None:
        # the code says which of the two it is; `people` and `days` are for the one-line text, the
        # attributes keep the full lists for a dialog (who is double-booked where, which holiday)
        params = {
            "count": len({c.cadre_id for c in conflicts}),
            "people": sorted({c.cadre_name for c in conflicts})[:8],
            "days": [f"{d.isoformat()} {n}" for d, n in holidays[:5]],
        }
        if conflicts and holidays:
            super().__init__("schedule.conflicts_and_holidays", **params)
        elif conflicts:
            super().__init__("schedule.conflicts", **params)
        else:
            super().__init__("schedule.holidays", **params)
        self.conflicts = list(conflicts)
        self.holidays = list(holidays)


@dataclass(frozen=True)
class ItineraryStop:
    day: date
    place: str
    activity: str = ""


@dataclass(frozen=True)
class SessionDraft:
    """What a planner fills in. Instants are aware; all-day sessions give first and last day instead."""

    programme: str | int
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    first_day: date | None = None  # all-day / multi-day (trips, secondments)
    last_day: date | None = None  # inclusive
    title: str = ""
    topic: str = ""
    speaker: str = ""
    location: str = ""
    branch_venues: tuple[str, ...] = ()
    broadcast_at: datetime | None = None
    note: str = ""
    note_public: bool = False  # internal notes never leave the database (calendars, feeds)
    itinerary: tuple[ItineraryStop, ...] = ()
    participants: tuple[int, ...] | None = None  # None: the programme's default audience
    uid: str | None = None  # kept when importing from another calendar


@dataclass(frozen=True)
class SeriesRule:
    """A recurrence: `rrule` in RFC 5545 syntax, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=FR."""

    rrule: str
    until: date
    skip_holidays: bool = True
    skip_dates: tuple[date, ...] = ()


@dataclass
class _Times:
    starts_at: datetime
    ends_at: datetime
    all_day: bool


# ---------------------------------------------------------------- views
def session_view(
    s: Session,
    row: TrainingSession,
    programme: Programme | None = None,
    *,
    with_itinerary: bool = True,
    counts: tuple[int, int] | None = None,
) -> SessionView:
    programme = programme or s.get(Programme, row.programme_id)
    assert programme is not None
    itinerary: tuple[ItineraryView, ...] = ()
    if with_itinerary and programme.kind in _ITINERARY_KINDS and row.id is not None:
        itinerary = _itineraries(s, [row.id]).get(row.id, ())
    if counts is None:
        total, recorded = s.exec(
            select(sa.func.count(col(Participant.id)), sa.func.count(col(Participant.status))).where(
                Participant.session_id == row.id
            )
        ).one()
        counts = (int(total), int(recorded))
    return build_session_view(row, programme, itinerary, counts)


def build_session_view(
    row: TrainingSession, programme: Programme, itinerary: tuple[ItineraryView, ...], counts: tuple[int, int]
) -> SessionView:
    """The one place a session row becomes a view (also used by bulk readers such as calendar export)."""
    return SessionView(
        id=row.id or 0,
        programme_id=row.programme_id,
        programme_title=programme.title,
        programme_kind=programme.kind,
        series_id=row.series_id,
        recurrence_id=row.recurrence_id,
        detached=row.detached,
        title=row.title or programme.title,
        topic=row.topic,
        speaker=row.speaker,
        location=row.location,
        branch_venues=tuple(row.branch_venues or ()),
        broadcast_at=row.broadcast_at,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        all_day=row.all_day,
        status=row.status,
        note=row.note,
        note_public=row.note_public,
        uid=row.uid,
        sequence=row.sequence,
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        itinerary=itinerary,
        participant_count=counts[0],
        recorded_count=counts[1],
    )


def session_snapshot(s: Session, row: TrainingSession) -> dict[str, Any]:
    snap = audit.snapshot(row) or {}
    snap["itinerary"] = [
        [i.day.isoformat(), i.place, i.activity]
        for i in s.exec(
            select(ItineraryItem)
            .where(ItineraryItem.session_id == row.id)
            .order_by(col(ItineraryItem.day), col(ItineraryItem.sort_order))
        ).all()
    ]
    return snap


def session_titles(ctx: Context, session_ids: Sequence[int]) -> dict[int, str]:
    """id → title (its programme's when it has none, as SessionView.title) of the sessions among
    `session_ids` that exist, in one read (a page of audit entries)."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    with ctx.db.read() as s:
        stmt = (
            sa.select(col(TrainingSession.id), col(TrainingSession.title), col(Programme.title))
            .join(Programme, col(Programme.id) == col(TrainingSession.programme_id))
            .where(col(TrainingSession.id).in_(ids))
        )
        return {int(i): own or programme for i, own, programme in s.connection().execute(stmt)}


def get_session(ctx: Context, session_id: int) -> SessionView:
    with ctx.db.read() as s:
        row = s.get(TrainingSession, session_id)
        if row is None:
            raise NotFoundError("record.not_found", field="session", entity="session", ref=f"#{session_id}")
        return session_view(s, row)


RECENT_START = timedelta(days=31)  # a list starting after this long ago reads the sessions ending after it


def list_sessions(
    ctx: Context,
    *,
    start: date | None = None,
    end: date | None = None,
    programme_id: int | None = None,
    kind: str | None = None,
    topic: str | None = None,
    cadre_id: int | None = None,
    unit_id: int | None = None,
    status: str | None = None,
    include_cancelled: bool = True,
    search: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    descending: bool = False,
) -> list[SessionView]:
    """Sessions overlapping [start, end] (local days, inclusive), in time order."""
    stmt = select(TrainingSession, Programme).join(
        Programme, col(TrainingSession.programme_id) == Programme.id
    )
    if start is not None:
        ends_after = TrainingSession.ends_at > local_midnight(start)
        if start >= local_date(ctx.now()) - RECENT_START:
            # few sessions end after a recent day: found by the end-time index (0013) instead of walking every
            # session ever started before `end` (the planner picks the start index for the ORDER BY)
            ending = select(TrainingSession.id).where(ends_after)
            stmt = stmt.where(col(TrainingSession.id).in_(ending))
        else:
            stmt = stmt.where(ends_after)
    if end is not None:
        stmt = stmt.where(TrainingSession.starts_at < local_midnight(end + timedelta(days=1)))
    if programme_id is not None:
        stmt = stmt.where(TrainingSession.programme_id == programme_id)
    if kind:
        stmt = stmt.where(Programme.kind == kind)
    if topic:
        stmt = stmt.where(col(TrainingSession.topic).contains(topic))
    if status:
        stmt = stmt.where(TrainingSession.status == status)
    elif not include_cancelled:
        stmt = stmt.where(TrainingSession.status != SessionStatus.CANCELLED.value)
    if search:
        like = like_pattern(search)
        stmt = stmt.where(
            sa.or_(
                *(
                    c.like(like, escape="\\")
                    for c in (
                        col(TrainingSession.title),
                        col(Programme.title),
                        col(TrainingSession.topic),
                        col(TrainingSession.speaker),
                        col(TrainingSession.location),
                    )
                )
            )
        )
    if cadre_id is not None or unit_id is not None:
        sub = select(Participant.session_id)
        if cadre_id is not None:
            sub = sub.where(Participant.cadre_id == cadre_id)
        if unit_id is not None:
            sub = sub.where(Participant.unit_id == unit_id)
        stmt = stmt.where(col(TrainingSession.id).in_(sub))
    order = col(TrainingSession.starts_at)
    stmt = stmt.order_by(order.desc() if descending else order, col(TrainingSession.id)).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    with ctx.db.read() as s:
        rows = s.exec(stmt).all()
        ids = [r.id for r, _ in rows]
        counts = _participant_counts(s, [i for i in ids if i is not None])
        trips = _itineraries(s, [r.id for r, p in rows if r.id is not None and p.kind in _ITINERARY_KINDS])
        return [
            build_session_view(r, p, trips.get(r.id or 0, ()), counts.get(r.id or 0, (0, 0))) for r, p in rows
        ]


_ITINERARY_KINDS = (ProgrammeKind.STUDY_TRIP, ProgrammeKind.SECONDMENT)


def _itineraries(s: Session, session_ids: list[int]) -> dict[int, tuple[ItineraryView, ...]]:
    """The itineraries of many trips in one read per 500 (a list of sessions asked once per trip before)."""
    out: dict[int, list[ItineraryView]] = {}
    for i in range(0, len(session_ids), 500):
        for item in s.exec(
            select(ItineraryItem)
            .where(col(ItineraryItem.session_id).in_(session_ids[i : i + 500]))
            .order_by(col(ItineraryItem.session_id), col(ItineraryItem.day), col(ItineraryItem.sort_order))
        ).all():
            out.setdefault(item.session_id, []).append(ItineraryView(item.day, item.place, item.activity))
    return {k: tuple(v) for k, v in out.items()}


def _participant_counts(s: Session, session_ids: list[int]) -> dict[int, tuple[int, int]]:
    out: dict[int, tuple[int, int]] = {}
    for i in range(0, len(session_ids), 500):
        chunk = session_ids[i : i + 500]
        for sid, total, recorded in s.exec(
            select(
                Participant.session_id,
                sa.func.count(col(Participant.id)),
                sa.func.count(col(Participant.status)),
            )
            .where(col(Participant.session_id).in_(chunk))
            .group_by(col(Participant.session_id))
        ).all():
            out[sid] = (int(total), int(recorded))
    return out


def upcoming(ctx: Context, *, days: int = 14, limit: int | None = None) -> list[SessionView]:
    """Today and the next `days` days, including trips and secondments already under way (the first `limit`)."""
    today = local_date(ctx.now())
    return list_sessions(ctx, start=today, end=today + timedelta(days=days), limit=limit)


AWAITING_WINDOW = timedelta(days=366)


def awaiting_attendance(
    ctx: Context, *, limit: int = 50, window: timedelta = AWAITING_WINDOW
) -> list[SessionView]:
    """Sessions of the past year that have begun, are not cancelled, and still have participants with no status.

    Walks sessions newest first through the start-time index and asks, per session, whether any participant is
    unset (EXISTS on the (session, cadre) index): cost follows the window, not the years of history.
    """
    now = ctx.now()
    unset = (
        select(Participant.id)
        .where(Participant.session_id == TrainingSession.id, col(Participant.status).is_(None))
        .exists()
    )
    with ctx.db.read() as s:
        rows = s.exec(
            select(TrainingSession, Programme)
            .join(Programme, col(TrainingSession.programme_id) == Programme.id)
            .where(
                TrainingSession.starts_at <= now,
                TrainingSession.starts_at >= now - window,
                TrainingSession.status != SessionStatus.CANCELLED.value,
                unset,
            )
            .order_by(col(TrainingSession.starts_at).desc())
            .limit(limit)
        ).all()
        counts = _participant_counts(s, [r.id or 0 for r, _ in rows])
        return [session_view(s, r, p, counts=counts.get(r.id or 0, (0, 0))) for r, p in rows]


# ---------------------------------------------------------------- validation helpers
def _times(draft: SessionDraft) -> _Times:
    if draft.first_day is not None:
        last = draft.last_day or draft.first_day
        if last < draft.first_day:
            raise EndBeforeStart(start=draft.first_day, end=last, field="last_day")
        if (last - draft.first_day).days > 400:
            raise ValidationError(
                "schedule.too_long", field="last_day", start=draft.first_day, end=last, limit=400
            )
        _check_year(local_midnight(draft.first_day))
        _check_year(local_midnight(last))
        return _Times(local_midnight(draft.first_day), local_midnight(last + timedelta(days=1)), True)
    if draft.starts_at is None or draft.ends_at is None:
        raise ValidationError("schedule.times_missing", field="start")
    starts, ends = to_utc(draft.starts_at), to_utc(draft.ends_at)
    if ends <= starts:
        raise EndBeforeStart(start=starts, end=ends, field="end")
    if ends - starts > timedelta(days=2):
        raise ValidationError("schedule.timed_too_long", field="end", start=starts, end=ends)
    _check_year(starts)
    return _Times(starts, ends, False)


def _check_year(value: datetime) -> None:
    if not 1990 <= to_local(value).year <= 2200:
        raise ValidationError(
            "schedule.year_range", field="start", value=local_date(value), min=1990, max=2200
        )


def _clean_fields(draft: SessionDraft) -> dict[str, Any]:
    return {
        "title": clean_text(draft.title, "title", max_len=200),
        "topic": clean_text(draft.topic, "topic", max_len=100),
        "speaker": clean_text(draft.speaker, "speaker", max_len=200),
        "location": clean_text(draft.location, "location", max_len=200),
        "branch_venues": [
            clean_text(v, "branch_venue", max_len=200, required=True) for v in draft.branch_venues
        ],
        "broadcast_at": to_utc(draft.broadcast_at) if draft.broadcast_at else None,
        "note": clean_text(draft.note, "note", max_len=5000),
        "note_public": bool(draft.note_public),
    }


def _clean_itinerary(stops: Iterable[ItineraryStop], times: _Times) -> list[ItineraryStop]:
    out = []
    first, last = local_date(times.starts_at), local_date(times.ends_at - timedelta(seconds=1))
    for stop in stops:
        if not first <= stop.day <= last:
            raise ValidationError(
                "itinerary.day_outside", field="itinerary", day=stop.day, start=first, end=last
            )
        out.append(
            ItineraryStop(
                stop.day,
                clean_text(stop.place, "itinerary", max_len=200, required=True),
                clean_text(stop.activity, "itinerary", max_len=1000),
            )
        )
    return sorted(out, key=lambda x: x.day)


def _holidays_in(s: Session, times: _Times) -> list[tuple[date, str]]:
    """Rest days the session touches: public holidays, and weekends that are not 调休 working days."""
    out = []
    day = local_date(times.starts_at)
    last = local_date(times.ends_at - timedelta(seconds=1))
    calendar = load_calendar(s, day, last)
    while day <= last and len(out) < 10:
        name = calendar.day_info(day).rest_name
        if name:
            out.append((day, name))
        day += timedelta(days=1)
    return out


def _new_uid(ctx: Context) -> str:
    return f"{uuid.uuid4()}@{ctx.uid_domain}"


def _check_warnings(
    s: Session,
    cadre_ids: Sequence[int],
    times: _Times,
    exclude: Iterable[int] = (),
    *,
    check_holidays: bool = True,
) -> None:
    conflicts = find_conflicts(s, cadre_ids, times.starts_at, times.ends_at, exclude_session_ids=exclude)
    # multi-day trips and secondments naturally span weekends and holidays: only warn for timed sessions
    holidays = _holidays_in(s, times) if check_holidays and not times.all_day else []
    if conflicts or holidays:
        raise ScheduleWarning(conflicts, holidays)


# ---------------------------------------------------------------- create
def create_session(ctx: Context, draft: SessionDraft, *, force: bool = False) -> SessionView:
    ctx.actor.require(AccessRole.EDITOR, "schedule sessions")
    times = _times(draft)
    fields = _clean_fields(draft)
    stops = _clean_itinerary(draft.itinerary, times)
    with ctx.db.write() as s:
        programme = find_programme(s, draft.programme)
        cadre_ids = (
            list(draft.participants)
            if draft.participants is not None
            else audience_cadre_ids(s, programme.id or 0)
        )
        require_cadres(s, cadre_ids)
        if not force:
            _check_warnings(s, cadre_ids, times)
        row = insert_session(ctx, s, programme, draft, times, fields, stops, cadre_ids)
        return session_view(s, row, programme)


def insert_session(
    ctx: Context,
    s: Session,
    programme: Programme,
    draft: SessionDraft,
    times: _Times,
    fields: dict[str, Any],
    stops: list[ItineraryStop],
    cadre_ids: Sequence[int],
    *,
    series_id: int | None = None,
) -> TrainingSession:
    topic = fields["topic"] or programme.default_topic
    location = fields["location"] or (
        programme.host_place if programme.kind == ProgrammeKind.SECONDMENT else ""
    )
    row = TrainingSession(
        programme_id=programme.id or 0,
        series_id=series_id,
        recurrence_id=times.starts_at if series_id else None,
        **(fields | {"topic": topic, "location": location}),
        starts_at=times.starts_at,
        ends_at=times.ends_at,
        all_day=times.all_day,
        uid=draft.uid or _new_uid(ctx),
        updated_by=ctx.actor.user,
        created_at=ctx.now(),
        updated_at=ctx.now(),
    )
    s.add(row)
    s.flush()
    assert row.id is not None
    for order, stop in enumerate(stops):
        s.add(
            ItineraryItem(
                session_id=row.id, day=stop.day, place=stop.place, activity=stop.activity, sort_order=order
            )
        )
    add_participant_rows(ctx, s, row, cadre_ids)
    audit.record(
        ctx,
        s,
        action="create",
        entity="session",
        entity_id=row.id,
        session_id=row.id,
        after=session_snapshot(s, row) | {"participants": list(dict.fromkeys(cadre_ids))},
    )
    return row


def add_participant_rows(
    ctx: Context, s: Session, row: TrainingSession, cadre_ids: Sequence[int]
) -> list[Participant]:
    """Participants with the unit of the post each held on the session's day, one audit entry per person
    (so `audit list --cadre X` shows when X was planned in)."""
    unit_of = units_on(s, list(cadre_ids), local_date(row.starts_at))
    people = [
        Participant(session_id=row.id or 0, cadre_id=c, unit_id=unit_of.get(c))
        for c in dict.fromkeys(cadre_ids)
    ]
    s.add_all(people)
    s.flush()
    for p in people:
        audit.record(
            ctx,
            s,
            action="create",
            entity="participant",
            entity_id=p.id,
            session_id=row.id,
            cadre_id=p.cadre_id,
            after=audit.snapshot(p),
        )
    return people


def require_cadres(s: Session, cadre_ids: Sequence[int]) -> None:
    from zhijin_training.models import Cadre

    wanted = set(cadre_ids)
    found: set[int] = set()
    ids = list(wanted)
    for i in range(0, len(ids), 500):
        found.update(
            x for x in s.exec(select(Cadre.id).where(col(Cadre.id).in_(ids[i : i + 500]))).all() if x
        )
    missing = sorted(wanted - found)
    if missing:
        raise NotFoundError(
            "participants.unknown",
            field="participants",
            ids=[f"#{i}" for i in missing[:10]],
            count=len(missing),
        )


def _bounded(occurrences: Iterable[datetime], end: datetime) -> Iterator[datetime]:
    for n, occurrence in enumerate(occurrences):
        if occurrence > end or n > 5 * MAX_SERIES_OCCURRENCES:
            return
        yield occurrence


def expand_series(
    first_start: datetime, duration: timedelta, rule: SeriesRule, calendar: HolidayCalendar | None = None
) -> tuple[list[datetime], list[date]]:
    """Occurrence starts (UTC) of a rule in Shanghai wall time, and the dates skipped as holidays.

    Skipping holidays needs the holiday calendar (from the database) and refuses a year nobody has entered:
    it would otherwise plan on holidays while saying it skipped them.
    """
    text = rule.rrule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if "COUNT=" in text.upper() or "UNTIL=" in text.upper():
        raise ValidationError("recurrence.count_or_until", field="rrule", rule=rule.rrule)
    local_first = to_local(first_start).replace(tzinfo=None)
    if rule.until < local_first.date():
        raise EndBeforeStart(start=local_first.date(), end=rule.until, field="until")
    interval = re.search(r"INTERVAL=(-?\d+)", text.upper())
    if interval and int(interval.group(1)) < 1:
        raise ValidationError("recurrence.interval", field="rrule", interval=int(interval.group(1)))
    try:
        parsed = rrulestr(text, dtstart=local_first, ignoretz=True)
    except (ValueError, TypeError):
        raise ValidationError("recurrence.invalid", field="rrule", rule=rule.rrule) from None
    end_of_until = datetime.combine(rule.until, datetime.max.time())
    starts: list[datetime] = []
    skipped: list[date] = []
    try:
        occurrences = list(_bounded(parsed.xafter(local_first, inc=True), end_of_until))
    except (ValueError, OverflowError):
        raise ValidationError("recurrence.unexpandable", field="rrule", rule=rule.rrule) from None
    if rule.skip_holidays:
        if calendar is None:
            raise ValueError("expand_series: skipping holidays needs the holiday calendar")
        unknown = calendar.unknown_years(o.date() for o in occurrences)
        if unknown:
            raise ValidationError("holidays.year_unknown", field="skip_holidays", years=unknown)
    for occurrence in occurrences:
        if occurrence > end_of_until:
            break
        if occurrence.date() in rule.skip_dates:
            continue
        if rule.skip_holidays and calendar is not None and calendar.day_info(occurrence.date()).holiday:
            skipped.append(occurrence.date())
            continue
        starts.append(occurrence.replace(tzinfo=LOCAL_TZ).astimezone(first_start.tzinfo or LOCAL_TZ))
        if len(starts) > MAX_SERIES_OCCURRENCES:
            raise ValidationError("recurrence.too_many", field="until", limit=MAX_SERIES_OCCURRENCES)
    if not starts:
        raise ValidationError("recurrence.empty", field="until", until=rule.until)
    return [to_utc(x) for x in starts], skipped


@dataclass(frozen=True)
class SeriesResult:
    series_id: int
    sessions: list[SessionView]
    skipped_holidays: list[date] = field(default_factory=list)
    warning: str | None = None  # e.g. holiday data missing for a year


def create_series(
    ctx: Context, draft: SessionDraft, rule: SeriesRule, *, force: bool = False
) -> SeriesResult:
    """A recurring lecture series, e.g. every second Friday 15:00–17:00 from March to December."""
    ctx.actor.require(AccessRole.EDITOR, "schedule sessions")
    first = _times(draft)
    if first.all_day:
        raise ValidationError("recurrence.needs_times", field="start")
    fields = _clean_fields(draft)
    duration = first.ends_at - first.starts_at
    with ctx.db.read() as s:
        calendar = load_calendar(s, local_date(first.starts_at), max(rule.until, local_date(first.starts_at)))
    starts, skipped = expand_series(first.starts_at, duration, rule, calendar)
    # kept for callers that show it; a year without holiday data now refuses (skip) or was chosen (keep)
    warning: str | None = None
    with ctx.db.write() as s:
        programme = find_programme(s, draft.programme)
        cadre_ids = (
            list(draft.participants)
            if draft.participants is not None
            else audience_cadre_ids(s, programme.id or 0)
        )
        require_cadres(s, cadre_ids)
        if not force:
            conflicts: list[ConflictView] = []
            for start in starts:
                conflicts += find_conflicts(s, cadre_ids, start, start + duration)
            if conflicts:
                raise ScheduleWarning(conflicts, [])
        series = Series(
            programme_id=programme.id or 0,
            rrule=rule.rrule.strip().removeprefix("RRULE:"),
            first_start=first.starts_at,
            duration_minutes=int(duration.total_seconds() // 60),
            until=rule.until,
            skip_holidays=rule.skip_holidays,
            exdates=[d.isoformat() for d in rule.skip_dates],
            created_at=ctx.now(),
        )
        s.add(series)
        s.flush()
        rows = []
        for start in starts:
            occ = replace(draft, uid=None)
            occ_fields = fields
            if fields["broadcast_at"] is not None:
                # each lecture is broadcast at the same offset from its own start (20:00 the same evening)
                occ_fields = fields | {"broadcast_at": fields["broadcast_at"] + (start - first.starts_at)}
            rows.append(
                insert_session(
                    ctx,
                    s,
                    programme,
                    occ,
                    _Times(start, start + duration, False),
                    occ_fields,
                    [],
                    cadre_ids,
                    series_id=series.id,
                )
            )
        counts = _participant_counts(s, [r.id or 0 for r in rows])
        views = [session_view(s, r, programme, counts=counts.get(r.id or 0, (0, 0))) for r in rows]
        return SeriesResult(series.id or 0, views, skipped, warning)


def create_trip(ctx: Context, draft: SessionDraft, *, force: bool = False) -> SessionView:
    """A study trip: several all-day dates with a day-by-day itinerary."""
    if draft.first_day is None:
        raise ValidationError(
            "schedule.days_missing", field="first_day", kind=Phrase("programme_kind.study_trip")
        )
    return create_session(ctx, draft, force=force)


def create_secondment(ctx: Context, draft: SessionDraft, *, force: bool = False) -> SessionView:
    """A secondment: weeks to months at a host place, as one all-day span."""
    if draft.first_day is None or draft.last_day is None:
        raise ValidationError(
            "schedule.days_missing", field="first_day", kind=Phrase("programme_kind.secondment")
        )
    return create_session(ctx, draft, force=force)


# ---------------------------------------------------------------- change
@dataclass(frozen=True)
class SessionChanges:
    """Only the fields given (not None) change. Times: aware instants, or first/last day for all-day."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None
    first_day: date | None = None
    last_day: date | None = None
    title: str | None = None
    topic: str | None = None
    speaker: str | None = None
    location: str | None = None
    branch_venues: tuple[str, ...] | None = None
    broadcast_at: datetime | None = None
    note: str | None = None
    note_public: bool | None = None
    itinerary: tuple[ItineraryStop, ...] | None = None
    clear_broadcast: bool = False  # the lecture is no longer broadcast (broadcast_at=None means "unchanged")


def update_session(
    ctx: Context,
    session_id: int,
    changes: SessionChanges,
    *,
    expected_version: int | None,
    scope: str = "this",
    force: bool = False,
) -> list[SessionView]:
    """Edit one session, or it and all following sessions of its series (scope="following").

    "Following" applies the same shift in time and the same field changes to every later, not
    cancelled, not individually edited occurrence, and splits the series there (like Google and Outlook).
    """
    ctx.actor.require(AccessRole.EDITOR, "edit sessions")
    if scope not in ("this", "following"):
        raise ValidationError("value.unknown", field="scope", value=scope, allowed=["this", "following"])
    with ctx.db.write() as s:
        row = _load_for_change(s, session_id, expected_version)
        new_times = _changed_times(row, changes)
        shift = new_times.starts_at - row.starts_at
        duration = new_times.ends_at - new_times.starts_at
        targets = [row]
        if scope == "following" and row.series_id is not None:
            targets += s.exec(
                select(TrainingSession)
                .where(
                    TrainingSession.series_id == row.series_id,
                    TrainingSession.starts_at > row.starts_at,
                    TrainingSession.status != SessionStatus.CANCELLED.value,
                    col(TrainingSession.detached).is_(False),
                )
                .order_by(col(TrainingSession.starts_at))
            ).all()
        plan = []
        for target in targets:
            times = (
                new_times
                if target is row
                else _Times(target.starts_at + shift, target.starts_at + shift + duration, target.all_day)
            )
            plan.append((target, times, _changes_for(changes, times, new_times)))
        if not force:
            for target, times, _ in plan:
                if (times.starts_at, times.ends_at) != (target.starts_at, target.ends_at):
                    cadre_ids = [
                        p
                        for p in s.exec(
                            select(Participant.cadre_id).where(Participant.session_id == target.id)
                        ).all()
                    ]
                    # a holiday only deserves a warning when the change moves the session onto it
                    moved_day = local_date(times.starts_at) != local_date(target.starts_at)
                    _check_warnings(s, cadre_ids, times, exclude=[target.id or 0], check_holidays=moved_day)
        if scope == "following" and row.series_id is not None and len(targets) > 1:
            _split_series(s, row, new_times, ctx)
        result = []
        for target, times, target_changes in plan:
            apply_changes(
                ctx,
                s,
                target,
                target_changes,
                times,
                shift if target is not row else None,
                detach=scope == "this" and target.series_id is not None,
            )
            s.add(target)
            result.append(target)
        s.flush()
        return [session_view(s, r) for r in result]


def _changes_for(changes: SessionChanges, times: _Times, edited: _Times) -> SessionChanges:
    """The changes for one session of an "all following" edit: a broadcast time given for the edited session
    lands at the same offset from each later session's start."""
    if changes.broadcast_at is None or times.starts_at == edited.starts_at:
        return changes
    return replace(changes, broadcast_at=changes.broadcast_at + (times.starts_at - edited.starts_at))


def retitled(title: str, old_topic: str, new_topic: str) -> str:
    """The title with the old topic replaced by the new one: a title is often composed as
    "织金大讲堂 第18讲：专题", and a changed 专题 must not leave the old one in the title (and so in calendars).

    The topic is replaced where it ends the title, or where it occurs exactly once; with the new topic empty,
    the separator or brackets around it go too. A title that does not contain the old topic stays as it is.
    """
    old_topic, new_topic = old_topic.strip(), new_topic.strip()
    if not old_topic or old_topic == new_topic or old_topic not in title:
        return title
    if title.endswith(old_topic):
        head, tail = title[: -len(old_topic)], ""
    elif title.count(old_topic) == 1:
        head, tail = title.split(old_topic)
    else:
        return title
    if new_topic:
        return head + new_topic + tail
    for left, right in _TOPIC_BRACKETS:
        if head.endswith(left) and tail.startswith(right):
            head, tail = head[: -len(left)], tail[len(right) :]
            break
    return (head.rstrip(_TOPIC_SEPARATORS) + tail).strip()


_TOPIC_SEPARATORS = " ：:·-—–|｜"
_TOPIC_BRACKETS = (("（", "）"), ("(", ")"), ("《", "》"), ("“", "”"), ("【", "】"), ("「", "」"))


def _load_for_change(s: Session, session_id: int, expected_version: int | None) -> TrainingSession:
    # FOR UPDATE: on PostgreSQL a concurrent editor waits here and then sees the new version
    row = s.get(TrainingSession, session_id, with_for_update=True)
    if row is None:
        raise NotFoundError("record.not_found", field="session", entity="session", ref=f"#{session_id}")
    check_version(row, expected_version, "session", row.updated_by)
    return row


def _changed_times(row: TrainingSession, changes: SessionChanges) -> _Times:
    if changes.first_day is not None or changes.last_day is not None:
        old_first = local_date(row.starts_at)
        old_last = local_date(row.ends_at) - timedelta(days=1) if row.all_day else old_first
        first = changes.first_day or old_first
        # moving only the first day moves the whole trip: its length stays
        last = changes.last_day or (first + (old_last - old_first))
        return _times(SessionDraft(programme=0, first_day=first, last_day=last))
    if changes.starts_at is None and changes.ends_at is None:
        return _Times(row.starts_at, row.ends_at, row.all_day)
    if row.all_day:
        raise ValidationError("schedule.all_day_by_days", field="first_day")
    start = changes.starts_at or row.starts_at
    end = changes.ends_at or (start + (row.ends_at - row.starts_at))
    return _times(SessionDraft(programme=0, starts_at=start, ends_at=end))


def apply_changes(
    ctx: Context,
    s: Session,
    row: TrainingSession,
    changes: SessionChanges,
    times: _Times,
    shift: timedelta | None,
    *,
    detach: bool = False,
) -> None:
    """Apply field and time changes to one session row, raising SEQUENCE and auditing when anything changed.

    `detach` marks an occurrence edited on its own, so "edit all following" later leaves it be.
    """
    before = session_snapshot(s, row)
    day_shift = local_date(times.starts_at) - local_date(row.starts_at)
    title = changes.title if changes.title is not None else row.title
    if changes.topic is not None and title == row.title:
        # the title was left as it was: it follows the topic (unless the editor retyped the title himself)
        title = retitled(title, row.topic, changes.topic)
    draft = SessionDraft(
        programme=0,
        title=title,
        topic=changes.topic if changes.topic is not None else row.topic,
        speaker=changes.speaker if changes.speaker is not None else row.speaker,
        location=changes.location if changes.location is not None else row.location,
        branch_venues=changes.branch_venues
        if changes.branch_venues is not None
        else tuple(row.branch_venues),
        broadcast_at=changes.broadcast_at if changes.broadcast_at is not None else row.broadcast_at,
        note=changes.note if changes.note is not None else row.note,
        note_public=changes.note_public if changes.note_public is not None else row.note_public,
    )
    fields = _clean_fields(draft)
    if changes.clear_broadcast:
        fields["broadcast_at"] = None
    elif changes.broadcast_at is None and row.broadcast_at is not None:
        # a rescheduled session takes its TV broadcast along: the same offset from the new start
        fields["broadcast_at"] = row.broadcast_at + (times.starts_at - row.starts_at)
    for key, value in fields.items():
        setattr(row, key, value)
    row.starts_at, row.ends_at, row.all_day = times.starts_at, times.ends_at, times.all_day
    stops = changes.itinerary if shift is None else None
    if stops is None and row.all_day and day_shift:
        # a trip moved to other days takes its itinerary along, day for day
        current = s.exec(select(ItineraryItem).where(ItineraryItem.session_id == row.id)).all()
        if current:
            stops = tuple(ItineraryStop(i.day + day_shift, i.place, i.activity) for i in current)
    if stops is not None:
        for item in s.exec(select(ItineraryItem).where(ItineraryItem.session_id == row.id)).all():
            s.delete(item)
        s.flush()
        for order, stop in enumerate(_clean_itinerary(stops, times)):
            s.add(
                ItineraryItem(
                    session_id=row.id or 0,
                    day=stop.day,
                    place=stop.place,
                    activity=stop.activity,
                    sort_order=order,
                )
            )
        s.flush()
    after = session_snapshot(s, row)
    changed = audit.changed_fields(before, after)
    if not changed:
        return
    if detach:
        row.detached = True
    if "starts_at" in changed:
        _refresh_participant_units(s, row)
    record_session_change(ctx, s, row, before, calendar=bool(set(changed) & _CALENDAR_FIELDS))


def _refresh_participant_units(s: Session, row: TrainingSession) -> None:
    parts = s.exec(select(Participant).where(Participant.session_id == row.id)).all()
    unit_of = units_on(s, [p.cadre_id for p in parts], local_date(row.starts_at))
    for p in parts:
        if p.unit_id != unit_of.get(p.cadre_id):
            p.unit_id = unit_of.get(p.cadre_id)
            s.add(p)


_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _shifted_rule(rrule: str, old_day: date, new_day: date) -> str:
    """The rule for sessions moved from `old_day` to `new_day`: a single BYDAY follows the new weekday."""
    match = re.search(r"BYDAY=([A-Z]{2})(?![,A-Z])", rrule.upper())
    if not match or old_day.weekday() == new_day.weekday():
        return rrule
    return rrule[: match.start(1)] + _WEEKDAYS[new_day.weekday()] + rrule[match.end(1) :]


def _split_series(s: Session, row: TrainingSession, new_times: _Times, ctx: Context) -> None:
    """Edit-all-following: the series ends before `row` and a new one (the new time, weekday and skipped
    dates moved along) carries `row` and everything after it. From the first session on, it changes in place.
    """
    old = s.get(Series, row.series_id, with_for_update=True)
    if old is None:
        return
    old_day, new_day = local_date(row.starts_at), local_date(new_times.starts_at)
    rrule = _shifted_rule(old.rrule, old_day, new_day)
    day_shift = new_day - old_day
    duration = int((new_times.ends_at - new_times.starts_at).total_seconds() // 60)
    earlier = s.exec(
        select(TrainingSession.id)
        .where(TrainingSession.series_id == old.id, TrainingSession.starts_at < row.starts_at)
        .limit(1)
    ).first()
    moved_exdates = [
        (date.fromisoformat(d) + day_shift).isoformat()
        for d in old.exdates
        if date.fromisoformat(d) >= old_day
    ]
    if earlier is None:
        old.rrule, old.first_start, old.duration_minutes = rrule, new_times.starts_at, duration
        old.exdates = [d for d in old.exdates if date.fromisoformat(d) < old_day] + moved_exdates
        old.version += 1
        s.add(old)
        return
    new = Series(
        programme_id=old.programme_id,
        rrule=rrule,
        first_start=new_times.starts_at,
        duration_minutes=duration,
        until=old.until,
        skip_holidays=old.skip_holidays,
        exdates=moved_exdates,
        created_at=ctx.now(),
    )
    s.add(new)
    s.flush()
    old.until = old_day - timedelta(days=1)
    old.exdates = [d for d in old.exdates if date.fromisoformat(d) < old_day]
    old.version += 1
    s.add(old)
    following = s.exec(
        select(TrainingSession).where(
            TrainingSession.series_id == old.id, TrainingSession.starts_at >= row.starts_at
        )
    ).all()
    for target in following:
        target.series_id = new.id
        s.add(target)


def cancel_session(
    ctx: Context, session_id: int, *, expected_version: int | None, reason: str = "", scope: str = "this"
) -> list[SessionView]:
    """Cancelled sessions are kept (calendars show them as cancelled); attendance is not taken for them."""
    ctx.actor.require(AccessRole.EDITOR, "cancel sessions")
    if scope not in ("this", "following"):
        raise ValidationError("value.unknown", field="scope", value=scope, allowed=["this", "following"])
    reason = clean_text(reason, "reason", max_len=500)
    with ctx.db.write() as s:
        row = _load_for_change(s, session_id, expected_version)
        targets = [row]
        if scope == "following" and row.series_id is not None:
            targets += s.exec(
                select(TrainingSession).where(
                    TrainingSession.series_id == row.series_id,
                    TrainingSession.starts_at > row.starts_at,
                    TrainingSession.status == SessionStatus.SCHEDULED.value,
                )
            ).all()
        out = []
        for target in targets:
            if target.status == SessionStatus.CANCELLED.value:
                if target is row:
                    raise ValidationError("session.already_cancelled", field="session", session_id=target.id)
                continue
            write_status(ctx, s, target, SessionStatus.CANCELLED, reason)
            out.append(target)
        s.flush()
        return [session_view(s, r) for r in out]


def set_status(
    ctx: Context, session_id: int, status: str, *, expected_version: int | None, reason: str = ""
) -> SessionView:
    """Mark a session held, or restore a cancelled one to scheduled."""
    from zhijin_training.services.validation import parse_enum

    ctx.actor.require(AccessRole.EDITOR, "change sessions")
    new = parse_enum(SessionStatus, status, "status", "session_status")
    with ctx.db.write() as s:
        row = _load_for_change(s, session_id, expected_version)
        if new is SessionStatus.HELD and row.starts_at > ctx.now():
            raise ValidationError(
                "session.not_begun", field="status", session_id=session_id, starts_at=row.starts_at
            )
        if row.status != new.value:
            write_status(ctx, s, row, new, clean_text(reason, "reason", max_len=500))
        s.flush()
        return session_view(s, row)


def write_status(ctx: Context, s: Session, row: TrainingSession, status: SessionStatus, reason: str) -> None:
    before = session_snapshot(s, row)
    row.status = status.value
    record_session_change(ctx, s, row, before, reason=reason)


def record_session_change(
    ctx: Context,
    s: Session,
    row: TrainingSession,
    before: dict[str, Any],
    *,
    calendar: bool = True,
    reason: str = "",
) -> None:
    """After a session row was changed: raise SEQUENCE (when calendars show the change), version, who and when,
    and write the audit entry with before and after — in the caller's transaction."""
    if calendar:
        row.sequence += 1
    row.version += 1
    row.updated_at = ctx.now()
    row.updated_by = ctx.actor.user
    s.add(row)
    audit.record(
        ctx,
        s,
        action="update",
        entity="session",
        entity_id=row.id,
        session_id=row.id,
        before=before,
        after=session_snapshot(s, row),
        reason=reason,
    )


def bump_after_participant_change(ctx: Context, s: Session, row: TrainingSession) -> None:
    """The participant list is part of the published event (DESCRIPTION): raise SEQUENCE."""
    row.sequence += 1
    row.version += 1
    row.updated_at = ctx.now()
    row.updated_by = ctx.actor.user
    s.add(row)
