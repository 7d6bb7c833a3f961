"""ix_session_ends: sessions by end time, for "today and ahead"

What is on today and in the next two weeks is every session that ends after today and starts before the
fortnight is over. The start-time index alone walks every session ever held to find the few that end after
today (200,000 in a province database, growing with each year of history); the end-time index finds those few
directly. Nothing to backfill: an index is built from the rows.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# a plain CREATE INDEX, not a batch: a batch may rebuild the table on SQLite, and that would drop the tally
# triggers on training_session
def upgrade() -> None:
    op.create_index("ix_session_ends", "training_session", ["ends_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_session_ends", table_name="training_session")
