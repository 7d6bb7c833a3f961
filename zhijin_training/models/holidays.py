"""Public holidays and swapped working days (调休) the office plans on, one row per exceptional day.

Ordinary days are not stored: Monday–Friday is a working day, Saturday and Sunday a rest day, unless a row says
otherwise. Rows come from the `chinesecalendar` library (source "library", for the years it knows) and from the
office itself (source "office", typed from the State Council's notice or imported from an .ics feed). An office
row wins over a library row for the same day; a year is known when either source has a row in it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zhijin_training.models import UTCDateTime


class DayKind:
    HOLIDAY = "holiday"  # a public holiday (法定节假日 and the days off around it)
    WORKDAY = "workday"  # a weekend day that is a working day (调休上班 / 补班)

    ALL = (HOLIDAY, WORKDAY)


class DaySource:
    LIBRARY = "library"
    OFFICE = "office"


class CalendarDay(SQLModel, table=True):
    __tablename__ = "calendar_day"
    __table_args__ = (sa.UniqueConstraint("day", "source", name="uq_calendar_day_source"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    kind: str = Field(max_length=10)  # DayKind
    name: str = Field(default="", max_length=100)  # 春节, 春节补班 ...
    source: str = Field(max_length=10)  # DaySource
    updated_by: str = Field(default="", max_length=100)
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC), sa_type=UTCDateTime)
