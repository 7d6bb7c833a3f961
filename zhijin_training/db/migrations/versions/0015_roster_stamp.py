"""roster_stamp: a counter the roster's triggers move whenever a change could show in a calendar event

The event cache's key hashed every cadre and unit row on each export (88,000 cadres at province size: more
work than the one person's calendar it was for), and any cadre edit, a phone number too, made every stored
event stale. One row now stands for the roster: a random token and a counter raised by triggers when a cadre's
or unit's shown columns change (ical/roster_stamp.py says which; a participation's new unit moves it from the
service that re-attributes them). Nothing to backfill: the first export after the upgrade keys its events on the new stamp and rebuilds them once.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from zhijin_training.ical import roster_stamp

    op.create_table(
        "roster_stamp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.get_bind().execute(
        sa.text("INSERT INTO roster_stamp (id, token, n) VALUES (1, :token, 0)"), {"token": secrets.token_hex(16)}
    )
    for sql in roster_stamp.create_triggers_sql(op.get_bind().dialect.name):
        op.execute(sql)


def downgrade() -> None:
    from zhijin_training.ical import roster_stamp

    for sql in roster_stamp.drop_triggers_sql(op.get_bind().dialect.name):
        op.execute(sql)
    op.drop_table("roster_stamp")
