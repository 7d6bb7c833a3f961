"""audit_log: a hash chain (prev_hash, entry_hash) and the real user behind an acting one (real_user)

Existing entries are chained in id order (the append-only triggers are lifted for the backfill and put back in
the same transaction). The row ids that existed before the chain began are kept in app_setting
`audit.chain_start`, so `check` knows which rows may predate the audit of their table.

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zhijin_training.db.chain import GENESIS, OPTIONAL_CHAIN_COLUMNS, entry_hash

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
)
_REPLAYED_TABLES = ("unit", "cadre", "programme", "training_session", "participant")


def _lift_triggers(dialect: str) -> None:
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")


def _restore_triggers(dialect: str) -> None:
    if dialect == "sqlite":
        for sql in _SQLITE_TRIGGERS:
            op.execute(sql)
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    _lift_triggers(dialect)  # SQLite's ALTER TABLE ADD COLUMN is fine with triggers, the backfill is not
    op.add_column("audit_log", sa.Column("real_user", sa.String(length=100), server_default="", nullable=False))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), server_default="", nullable=False))
    op.add_column("audit_log", sa.Column("entry_hash", sa.String(length=64), server_default="", nullable=False))
    # a column a later revision adds (operation, 0008) is hashed too when it is already there: the revisions
    # are re-chained when branches merge, so this may run before or after it
    present = {c["name"] for c in sa.inspect(bind).get_columns("audit_log")}
    log = sa.table(
        "audit_log",
        *(sa.column(c) for c in ("id", "os_user", "real_user", "action", "entity", "entity_id")),
        *(sa.column(c) for c in ("session_id", "cadre_id", "reason", "prev_hash", "entry_hash")),
        *(sa.column(c) for c in OPTIONAL_CHAIN_COLUMNS if c in present),
        sa.column("at", sa.DateTime()),
        sa.column("before", sa.JSON()),
        sa.column("after", sa.JSON()),
    )
    prev = GENESIS
    rows = bind.execute(sa.select(log).order_by(log.c.id)).mappings().all()
    for row in rows:
        digest = entry_hash(dict(row), prev)
        bind.execute(
            log.update().where(log.c.id == row["id"]).values(prev_hash=prev, entry_hash=digest)
        )
        prev = digest
    _restore_triggers(dialect)
    start = {
        table: bind.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()
        for table in _REPLAYED_TABLES
    }
    if any(start.values()):  # a new, empty database starts with the chain: nothing to remember
        settings = sa.table("app_setting", sa.column("key"), sa.column("value"))
        bind.execute(settings.delete().where(settings.c.key == "audit.chain_start"))
        bind.execute(settings.insert().values(key="audit.chain_start", value=json.dumps(start)))


def downgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    _lift_triggers(dialect)
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("entry_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("real_user")
    _restore_triggers(dialect)
    op.execute("DELETE FROM app_setting WHERE key = 'audit.chain_start'")
