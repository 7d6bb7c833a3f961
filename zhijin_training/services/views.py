"""Plain, immutable views the services hand to the UI, the CLI and exporters (never ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from zhijin_training.services.rates import Counts
from zhijin_training.timeutil import format_local, local_date


@dataclass(frozen=True)
class UnitView:
    id: int
    name: str
    kind: str
    subkind: str
    code: str | None
    sort_order: int
    active: bool
    version: int


@dataclass(frozen=True)
class CadreView:
    id: int
    ref: str | None
    name: str
    unit_id: int | None
    unit_name: str
    post_title: str
    role: str
    phone: str
    active: bool
    note: str
    version: int


@dataclass(frozen=True)
class PostView:
    id: int
    cadre_id: int
    unit_id: int | None
    unit_name: str
    post_title: str
    role: str
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class ProgrammeView:
    id: int
    kind: str
    title: str
    description: str
    organiser: str
    default_topic: str
    destinations: tuple[str, ...]
    host_place: str
    alarm_minutes: int | None
    active: bool
    version: int
    audience: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ItineraryView:
    day: date
    place: str
    activity: str


@dataclass(frozen=True)
class SessionView:
    id: int
    programme_id: int
    programme_title: str
    programme_kind: str
    series_id: int | None
    recurrence_id: datetime | None
    detached: bool
    title: str  # the session's own title, or the programme's
    topic: str
    speaker: str
    location: str
    branch_venues: tuple[str, ...]
    broadcast_at: datetime | None
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    status: str
    note: str
    uid: str
    sequence: int
    version: int
    updated_at: datetime
    updated_by: str
    itinerary: tuple[ItineraryView, ...] = ()
    participant_count: int = 0
    recorded_count: int = 0
    note_public: bool = False  # an internal note (the default) never leaves the database

    @property
    def first_day(self) -> date:
        return local_date(self.starts_at)

    @property
    def last_day(self) -> date:
        """Inclusive last day (all-day sessions end at local midnight after it)."""
        if self.all_day:
            return local_date(self.ends_at) - timedelta(days=1)
        return local_date(self.ends_at)

    @property
    def start_text(self) -> str:
        """When it starts, for a one-line list: the day of an all-day session (its 00:00 means nothing)."""
        if self.all_day:
            return self.first_day.isoformat()
        return format_local(self.starts_at)

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass(frozen=True)
class ParticipantView:
    id: int
    session_id: int
    cadre_id: int
    cadre_name: str
    cadre_ref: str | None
    unit_id: int | None
    unit_name: str
    post_title: str
    role: str
    status: str | None
    leave_reason: str
    approved_by: str
    deputy_name: str
    venue: str
    note: str
    recorded_by: str
    recorded_at: datetime | None
    version: int


@dataclass(frozen=True)
class SessionAttendance:
    session: SessionView
    participants: tuple[ParticipantView, ...]
    counts: Counts = field(default_factory=Counts)


@dataclass(frozen=True)
class ConflictView:
    cadre_id: int
    cadre_name: str
    session_id: int | None  # None for the session being planned
    other_session_id: int
    other_title: str
    other_starts_at: datetime
    other_ends_at: datetime
    other_all_day: bool = False  # a trip or secondment: its days, not its midnights, say when

    @property
    def other_when(self) -> str:
        if not self.other_all_day:
            return format_local(self.other_starts_at)
        first = local_date(self.other_starts_at)
        last = local_date(self.other_ends_at) - timedelta(days=1)
        return first.isoformat() if last <= first else f"{first.isoformat()} ~ {last.isoformat()}"
