"""Database tables (SQLModel).

Conventions:
- every instant is stored as naive UTC through `UTCDateTime` and comes back aware (UTC);
- all-day and multi-day sessions also store instants: local midnight of the first day to local
  midnight after the last day (exclusive), so range queries and conflict checks treat all sessions alike;
- every editable row carries `version`, checked by the services before they write (optimistic locking);
- enumerations are stored as their string values, validated by the services.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from zhijin_training.enums import (  # noqa: F401  (re-exported: the enumerations belong with the tables)
    AttendanceStatus,
    AudienceRule,
    ProgrammeKind,
    Role,
    SessionStatus,
    UnitKind,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC; refuses naive input so nothing is ambiguous."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _version() -> Any:
    return Field(default=1, nullable=False)


class Unit(SQLModel, table=True):
    __tablename__ = "unit"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, max_length=100)
    kind: str = Field(max_length=20)  # UnitKind
    subkind: str = Field(default="", max_length=10)  # 乡 / 镇 / 街道, empty for departments
    # county-level unit the unit belongs to: one database can serve the whole of Bijie
    county: str = Field(
        default="织金县", max_length=50, index=True, sa_column_kwargs={"server_default": "织金县"}
    )
    code: str | None = Field(default=None, unique=True, max_length=20)
    sort_order: int = Field(default=0)
    active: bool = Field(default=True)
    valid_from: date | None = None
    valid_to: date | None = None
    note: str = Field(default="")
    version: int = _version()
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class Cadre(SQLModel, table=True):
    __tablename__ = "cadre"

    id: int | None = Field(default=None, primary_key=True)
    # an office's own person number: identity is never the name alone
    ref: str | None = Field(default=None, unique=True, max_length=40)
    name: str = Field(index=True, max_length=100)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True, ondelete="RESTRICT")
    post_title: str = Field(default="", max_length=200)
    role: str = Field(default=Role.OTHER.value, max_length=40)
    phone: str = Field(default="", max_length=40)
    # the columns every office roster has (kept as typed: offices write 1975.03, 1975-03, 1975年3月)
    gender: str = Field(default="", max_length=10, sa_column_kwargs={"server_default": ""})
    ethnicity: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})
    birth_month: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    education: str = Field(default="", max_length=60, sa_column_kwargs={"server_default": ""})
    political_status: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})
    active: bool = Field(default=True)
    note: str = Field(default="")
    version: int = _version()
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class Post(SQLModel, table=True):
    """One post a cadre held, from start_date to end_date (inclusive; open while None)."""

    __tablename__ = "post"
    __table_args__ = (sa.Index("ix_post_cadre_start", "cadre_id", "start_date"),)

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id", ondelete="RESTRICT")
    unit_id: int | None = Field(default=None, foreign_key="unit.id", ondelete="RESTRICT", index=True)
    post_title: str = Field(default="", max_length=200)
    role: str = Field(default=Role.OTHER.value, max_length=40)
    start_date: date
    end_date: date | None = None
    note: str = Field(default="")


class Programme(SQLModel, table=True):
    __tablename__ = "programme"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)  # ProgrammeKind
    title: str = Field(max_length=200)
    description: str = Field(default="")
    organiser: str = Field(default="", max_length=200)
    default_topic: str = Field(default="", max_length=100)
    destinations: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # study trips
    host_place: str = Field(default="", max_length=200)  # secondments
    alarm_minutes: int | None = None  # overrides the per-kind default lead time
    hours: float | None = (
        None  # 学时 of each of its sessions, overriding the office rules (services/hours.py)
    )
    active: bool = Field(default=True)
    version: int = _version()
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class ProgrammeAudience(SQLModel, table=True):
    """Default participants of a programme's sessions, as rules resolved when a session is created."""

    __tablename__ = "programme_audience"
    __table_args__ = (sa.UniqueConstraint("programme_id", "rule", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", ondelete="CASCADE", index=True)
    rule: str = Field(max_length=20)  # AudienceRule
    value: str = Field(max_length=100)


class Series(SQLModel, table=True):
    """A recurring lecture series: an RFC 5545 RRULE expanded into sessions."""

    __tablename__ = "series"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", ondelete="RESTRICT", index=True)
    rrule: str = Field(max_length=500)
    first_start: datetime = Field(sa_type=UTCDateTime)
    duration_minutes: int
    until: date
    skip_holidays: bool = Field(default=True)
    exdates: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # ISO dates skipped by hand
    version: int = _version()
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class TrainingSession(SQLModel, table=True):
    """场次: one scheduled occurrence of a programme."""

    __tablename__ = "training_session"
    __table_args__ = (
        sa.Index("ix_session_starts", "starts_at"),
        sa.Index("ix_session_ends", "ends_at"),  # today and ahead: the few sessions ending after today
        sa.Index("ix_session_programme_starts", "programme_id", "starts_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_session_ends_after_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", ondelete="RESTRICT")
    series_id: int | None = Field(default=None, foreign_key="series.id", ondelete="RESTRICT", index=True)
    recurrence_id: datetime | None = Field(default=None, sa_type=UTCDateTime)  # original start in its series
    detached: bool = Field(default=False)  # edited on its own: "edit all following" leaves it be
    title: str = Field(default="", max_length=200)  # empty: the programme's title
    topic: str = Field(default="", max_length=100)
    speaker: str = Field(default="", max_length=200)
    location: str = Field(default="", max_length=200)  # main venue
    branch_venues: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # 分会场
    broadcast_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    all_day: bool = Field(default=False)
    status: str = Field(default=SessionStatus.SCHEDULED.value, max_length=20)
    note: str = Field(default="")
    note_public: bool = Field(default=False)  # internal notes never leave the database
    uid: str = Field(unique=True, max_length=255)  # iCalendar UID, stable for the session's life
    sequence: int = Field(default=0)  # iCalendar SEQUENCE, raised by every change
    hours: float | None = None  # 学时 of this session, overriding the programme and the office rules
    version: int = _version()
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    updated_by: str = Field(default="", max_length=100)


class ItineraryItem(SQLModel, table=True):
    __tablename__ = "itinerary_item"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="training_session.id", ondelete="CASCADE", index=True)
    day: date
    place: str = Field(default="", max_length=200)
    activity: str = Field(default="")
    sort_order: int = Field(default=0)


class Participant(SQLModel, table=True):
    """A cadre at a session: expected (参训人员) and, once taken, the attendance."""

    __tablename__ = "participant"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "cadre_id", name="uq_participant_session_cadre"),
        sa.Index("ix_participant_cadre", "cadre_id"),
        sa.Index("ix_participant_unit", "unit_id"),
        # only the few rows whose attendance is not yet taken: "awaiting attendance" without scanning history
        sa.Index(
            "ix_participant_untaken",
            "session_id",
            sqlite_where=sa.text("status IS NULL"),
            postgresql_where=sa.text("status IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="training_session.id", ondelete="RESTRICT")
    cadre_id: int = Field(foreign_key="cadre.id", ondelete="RESTRICT")
    # the unit whose post the cadre held on the session's day: unit figures use it
    unit_id: int | None = Field(default=None, foreign_key="unit.id", ondelete="RESTRICT")
    status: str | None = Field(default=None, max_length=20)  # AttendanceStatus; None = not yet taken
    leave_reason: str = Field(default="")
    approved_by: str = Field(default="", max_length=100)
    deputy_name: str = Field(default="", max_length=100)
    # 学时 of leave taken within a multi-day session attended otherwise (a day off a five-day trip)
    leave_hours: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    venue: str = Field(default="", max_length=200)
    note: str = Field(default="")
    recorded_by: str = Field(default="", max_length=100)
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = _version()


class AuditEntry(SQLModel, table=True):
    """Insert-only record of every change; triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_session", "session_id"),
        sa.Index("ix_audit_cadre", "cadre_id"),
        sa.Index("ix_audit_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    os_user: str = Field(max_length=100)
    action: str = Field(max_length=20)  # create / update / delete
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    session_id: int | None = None
    cadre_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    reason: str = Field(default="")
    # who really ran the program when acting as `os_user` (ZHIJIN_TRAINING_USER); "" when the same person
    real_user: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    # the hash chain (db/chain.py): the previous entry's hash and this entry's own
    prev_hash: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    entry_hash: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    # the entries one transaction wrote share it (a new session and its 88 participants are one operation);
    # None for entries written before it existed (migration 0008)
    operation: str | None = Field(default=None, max_length=32)


class AppSetting(SQLModel, table=True):
    """Office-wide settings kept in the database (e.g. alarm lead times, review threshold)."""

    __tablename__ = "app_setting"

    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(default="")


# ---------------------------------------------------------------- tables of later topics, one module each
# (imported here so that `SQLModel.metadata` — and so Alembic and the tests — always sees every table)
from zhijin_training.models import holidays as _holidays  # noqa: E402,F401  (calendar_day)
from zhijin_training.models import hours as _hours  # noqa: E402,F401  (cadre rank, training elsewhere)
from zhijin_training.models import hours_tally as _hours_tally  # noqa: E402,F401  (学时 tallies)
from zhijin_training.models import ical_cache as _ical_cache  # noqa: E402,F401  (serialised events)
from zhijin_training.models import tallies as _tallies  # noqa: E402,F401  (attendance tallies)
