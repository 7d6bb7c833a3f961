"""tally_all: the attendance tallies for all time, per (cadre, unit held at the time), with the first session

The ten-year report summed ten `tally_year` rows per cadre and unit, and ordered a cadre's other units by
reading `tally_quarter` and the raw rows of the cadres who moved twice in one year (about 60 of its 130 ms at
city size). `tally_all` holds those sums once, with `first_at`, the start of the first session counted there.
services/tally_all.py owns the trigger SQL and says how `first_at` is kept.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# frozen here on purpose: a migration describes the schema of its revision, not of today's enums
COLUMNS = ("expected", "present", "late", "left_early", "on_leave", "absent", "deputy", "untaken")


def upgrade() -> None:
    from zhijin_training.services import tally_all

    op.create_table(
        "tally_all",
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("unit_key", sa.Integer(), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False, server_default="0") for c in COLUMNS),
        sa.Column("first_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("cadre_id", "unit_key", name="pk_tally_all"),
        sqlite_with_rowid=False,
    )
    op.execute(tally_all.backfill_sql())
    for sql in tally_all.create_triggers_sql(op.get_bind().dialect.name):
        op.execute(sql)


def downgrade() -> None:
    from zhijin_training.services import tally_all

    for sql in tally_all.drop_triggers_sql(op.get_bind().dialect.name):
        op.execute(sql)
    op.drop_table("tally_all")
