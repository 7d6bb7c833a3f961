"""Each published event's serialised text, so an export joins stored bytes instead of running icalendar again.

A row is one (session, variant): "office" (the office's own export, full participant list), "feed" (the event
without DESCRIPTION, for published feeds) and "d:<audience>" (a feed reader's DESCRIPTION line). `key` is a hash
of everything the text is built from (ical/cache.py says what); a row whose key differs from the one computed
now is stale and is rebuilt, so the cache never decides what an export says, only how fast it says it.
Derived data: it can be emptied at any time (`DELETE FROM ical_event_cache`) and is refilled by the next export.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class IcalEventCache(SQLModel, table=True):
    __tablename__ = "ical_event_cache"

    session_id: int = Field(foreign_key="training_session.id", ondelete="CASCADE", primary_key=True)
    variant: str = Field(primary_key=True, max_length=300)
    uid: str = Field(max_length=255)  # the session's UID and SEQUENCE when the text was built (for reading)
    sequence: int
    key: str = Field(max_length=64)  # sha256 hex of the inputs
    body: bytes = Field(sa_type=sa.LargeBinary)


class RosterStamp(SQLModel, table=True):
    """One row: moved by triggers whenever the roster changes in a way an event shows (ical/roster_stamp.py),
    so the cache key reads one row instead of hashing every cadre."""

    __tablename__ = "roster_stamp"

    id: int = Field(primary_key=True)  # always 1
    token: str = Field(max_length=32)  # random, per database: a copied cache never matches by accident
    n: int = 0
