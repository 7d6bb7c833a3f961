"""学时 tallies (migration 0012): per (year, cadre) 学时 and days earned here, kept by triggers.

Never written by the program except through `services/hours_tally.py`: `hours_rule` holds the rules the
tallies were computed with (the program writes it when the rules change; a trigger then recomputes the
tallies), `hours_tally_year` the sums the triggers keep. `check` compares them with the raw rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class HoursRule(SQLModel, table=True):
    """One number the worth of a session depends on (services/hours.py rules; `rounding` as its index in
    hours.ROUNDING). The row `__stamp` counts the changes: updating it recomputes every tally."""

    __tablename__ = "hours_rule"
    key: str = Field(primary_key=True, max_length=60)
    num: float = 0.0


class HoursTallyYear(SQLModel, table=True):
    """year = the local year the session starts in; hours/days: Σ max(0, worth × status share − leave)."""

    __tablename__ = "hours_tally_year"
    __table_args__ = (
        sa.PrimaryKeyConstraint("year", "cadre_id", name="pk_hours_tally_year"),
        {"sqlite_with_rowid": False},
    )
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    cadre_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hours: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    days: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
