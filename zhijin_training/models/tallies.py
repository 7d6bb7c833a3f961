"""Attendance tallies (migration 0009): per (period, cadre, unit held at the time) counts kept by triggers.

Never written by the program: the triggers of migration 0009 keep them right, `services/tallies.py` reads them
and `check` compares them with the raw participant rows. `unit_key` is participant.unit_id, 0 for none.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def _count() -> int:
    return Field(default=0, sa_column_kwargs={"server_default": "0"})


def _key() -> int:
    return Field(primary_key=True, sa_column_kwargs={"autoincrement": False})


class _Counts(SQLModel):
    """The figures every tally keeps. A table lists it first among its bases and its keys' classes after, so
    the columns come out keys first (pydantic collects fields from the last base to the first)."""

    expected: int = _count()  # status taken
    present: int = _count()
    late: int = _count()
    left_early: int = _count()
    on_leave: int = _count()
    absent: int = _count()
    deputy: int = _count()
    untaken: int = _count()  # no status yet, whether or not the session has begun


class _CadreKey(SQLModel):
    cadre_id: int = _key()


class _CadreUnitKey(_CadreKey):
    unit_key: int = _key()


class _PeriodKey(SQLModel):
    period: int = _key()


class _TallyColumns(_Counts, _CadreUnitKey, _PeriodKey):
    pass


# migration 0014: the figures in cadre order too, so a report of many periods grouped by cadre (and unit) reads
# one index in order instead of sorting every row of those periods
BY_CADRE_COVERED = ("expected", "present", "late", "left_early", "on_leave", "absent", "deputy", "untaken")


class TallyQuarter(_TallyColumns, table=True):
    """period = year × 10 + quarter (local, the day the session starts)."""

    __tablename__ = "tally_quarter"
    __table_args__ = (
        sa.PrimaryKeyConstraint("period", "cadre_id", "unit_key", name="pk_tally_quarter"),
        sa.Index("ix_tally_quarter_cadre", "cadre_id", "unit_key", "period", *BY_CADRE_COVERED),
        {"sqlite_with_rowid": False},
    )


class TallyYear(_TallyColumns, table=True):
    """period = the local year the session starts in."""

    __tablename__ = "tally_year"
    __table_args__ = (
        sa.PrimaryKeyConstraint("period", "cadre_id", "unit_key", name="pk_tally_year"),
        sa.Index("ix_tally_year_cadre", "cadre_id", "unit_key", "period", *BY_CADRE_COVERED),
        {"sqlite_with_rowid": False},
    )


class TallyAll(_Counts, _CadreUnitKey, table=True):
    """Migration 0016: the same figures for all time, per (cadre, unit held at the time), with the start of the
    first session counted there. A report whose period covers every year with data (the ten-year report)
    reads these rows — one per cadre and unit — instead of ten years' rows, and orders a cadre's other units
    by `first_at` without going back to the raw rows."""

    __tablename__ = "tally_all"
    __table_args__ = (
        sa.PrimaryKeyConstraint("cadre_id", "unit_key", name="pk_tally_all"),
        {"sqlite_with_rowid": False},
    )

    # naive UTC, copied from training_session.starts_at by the triggers (NULL: no session counted here)
    first_at: datetime | None = Field(default=None, sa_type=sa.DateTime)


class TallyCadre(_Counts, _CadreKey, table=True):
    """Migration 0017: `tally_all` summed per cadre (every unit), so the ten-year report reads one row per
    cadre instead of summing his rows per unit."""

    __tablename__ = "tally_cadre"
