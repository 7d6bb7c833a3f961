"""ix_tally_quarter_cadre, ix_tally_year_cadre: the tallies in (cadre, unit, period) order, figures included

A report over many years sums the tallies per cadre (and per cadre and unit for the "held elsewhere" note).
The primary key is in period order, so SQLite gathered those rows and sorted them (51,000 at city size for ten
years); a covering index in cadre order is read straight through. Nothing to backfill: an index is built from the
rows. A plain CREATE INDEX, not a batch: a batch may rebuild the table on SQLite, and its triggers with it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the columns of 0009's tables, frozen here: a migration must not change with later code
_FIGURES = ["expected", "present", "late", "left_early", "on_leave", "absent", "deputy", "untaken"]


def upgrade() -> None:
    for table in ("tally_quarter", "tally_year"):
        op.create_index(f"ix_{table}_cadre", table, ["cadre_id", "unit_key", "period", *_FIGURES], unique=False)


def downgrade() -> None:
    for table in ("tally_quarter", "tally_year"):
        op.drop_index(f"ix_{table}_cadre", table_name=table)
