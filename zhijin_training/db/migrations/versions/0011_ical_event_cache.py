"""ical_event_cache: each event's serialised iCalendar text, keyed by the hash of what it is built from

Exports and publish join stored text instead of serialising every event with icalendar again (issue 15). The
table starts empty: nothing to backfill, the first export after the upgrade fills it.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ical_event_cache",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=300), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["training_session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "variant"),
    )


def downgrade() -> None:
    op.drop_table("ical_event_cache")
