"""The schema revision this program expects, readable without importing Alembic or SQLAlchemy (fast start).

`tests/db/test_migrations.py` checks that SCHEMA_HEAD is Alembic's head, so the two never drift apart.
"""

from __future__ import annotations

import sqlite3

from zhijin_training.db.engine import Database

SCHEMA_HEAD = "0017"


def stored_revision(db: Database) -> str | None:
    """The revision recorded in the database, or None for an empty database."""
    path = db.path
    if db.is_sqlite and path is not None:
        # stdlib sqlite3, read-only: the check before the interface opens costs no SQLAlchemy import
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            if not conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone():
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            return row[0] if row else None
        finally:
            conn.close()
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
