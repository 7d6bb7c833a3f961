"""audit_log: an operation key shared by the entries one transaction wrote

The audit screen showed one row per participant (88) for every new session. Entries written together now carry
the same `operation`, so the screen shows one row per operation ("新增场次 … 含 88 名参训人员") that opens
into its entries.

No backfill, on purpose: the audit log is append-only (triggers refuse UPDATE) and its history must not be
rewritten. Entries written before this revision keep `operation` NULL and are grouped when read, by who, which
session, which action and the second they were written (services/audit.py `group_key`).

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a nullable column is a plain ALTER TABLE ADD COLUMN on SQLite too: the table (and its append-only
    # triggers) stays as it is
    with op.batch_alter_table("audit_log", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("operation", sa.String(length=32), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite drops a column by rebuilding the table: the append-only triggers go with it and come back
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        with op.batch_alter_table("audit_log", schema=None) as batch_op:
            batch_op.drop_column("operation")
        op.execute(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
        )
    else:
        op.drop_column("audit_log", "operation")
