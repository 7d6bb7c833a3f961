"""unit.county: the county-level unit a unit belongs to, so one database can serve all of Bijie

Existing units are Zhijin's; the server default fills them in without rewriting any other data.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("unit") as batch_op:
        batch_op.add_column(
            sa.Column("county", sa.String(length=50), nullable=False, server_default="织金县")
        )
        batch_op.create_index("ix_unit_county", ["county"])


def downgrade() -> None:
    with op.batch_alter_table("unit") as batch_op:
        batch_op.drop_index("ix_unit_county")
        batch_op.drop_column("county")
