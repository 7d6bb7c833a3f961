"""participant: partial index on the rows whose attendance is not yet taken

The overview's "awaiting attendance" asks, for each recent session, whether anyone is still unset. Without this
index SQLite reads every participant of every session in the window (50 ms at city size, growing with the
participant lists); with it each question is one index probe (1.4 ms).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_participant_untaken",
        "participant",
        ["session_id"],
        sqlite_where=sa.text("status IS NULL"),
        postgresql_where=sa.text("status IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_participant_untaken", table_name="participant")
