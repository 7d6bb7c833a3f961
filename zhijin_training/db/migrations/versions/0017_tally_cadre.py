"""tally_cadre: the all-time attendance tallies summed per cadre

The ten-year report summed each cadre's `tally_all` rows (one per unit held) in SQL: its largest statement,
about 45 of its 200 ms at city size. `tally_cadre` holds those sums, one row per cadre; its triggers add one
upsert to a mark. services/tally_all.py owns the trigger SQL.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# frozen here on purpose: a migration describes the schema of its revision, not of today's enums
COLUMNS = ("expected", "present", "late", "left_early", "on_leave", "absent", "deputy", "untaken")


def upgrade() -> None:
    from zhijin_training.services import tally_all

    op.create_table(
        "tally_cadre",
        sa.Column("cadre_id", sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False, server_default="0") for c in COLUMNS),
        sa.PrimaryKeyConstraint("cadre_id"),
    )
    op.execute(tally_all.cadre_backfill_sql())
    for sql in tally_all.create_cadre_triggers_sql(op.get_bind().dialect.name):
        op.execute(sql)


def downgrade() -> None:
    from zhijin_training.services import tally_all

    for sql in tally_all.drop_cadre_triggers_sql(op.get_bind().dialect.name):
        op.execute(sql)
    op.drop_table("tally_cadre")
