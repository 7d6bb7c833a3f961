"""calendar_day: public holidays and swapped working days kept in the database

The holiday library knows only the years it was released with (through 2026); the office adds later years from
the State Council's notice. Backfill: the library's holidays and 调休 working days for every year it knows, so
existing databases plan exactly as before.

Revision ID: 0004
Revises: 0008 (re-chained after main's 0008 when merging)
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "calendar_day",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("day", "source", name="uq_calendar_day_source"),
    )
    op.create_index("ix_calendar_day_day", "calendar_day", ["day"])
    from zhijin_training.services.holidays import library_rows

    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        {"day": day, "kind": kind, "name": name, "source": "library", "updated_by": "", "updated_at": now}
        for day, kind, name in library_rows()
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_index("ix_calendar_day_day", table_name="calendar_day")
    op.drop_table("calendar_day")
