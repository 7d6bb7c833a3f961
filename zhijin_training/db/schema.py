"""The schema revision this program expects, readable without importing Alembic (fast start-up).

`tests/db/test_migrations.py` checks that SCHEMA_HEAD is Alembic's head, so the two never drift apart.
"""

from __future__ import annotations

import sqlalchemy as sa

from zhijin_training.db.engine import Database

SCHEMA_HEAD = "0003"


def stored_revision(db: Database) -> str | None:
    """The revision recorded in the database, or None for an empty database."""
    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
