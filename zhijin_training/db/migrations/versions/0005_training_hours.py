"""学时: cadre rank history, training taken elsewhere, 学时 overrides, leave within a session, roster columns

Backfill: every existing cadre gets one rank period from the start of their first post (or the day the
cadre was added): 乡科级 for township secretaries, deputy secretaries for party building and department
heads (Art. 14 of the 2023 regulation: they are 乡科级 leading cadres), `other` for everyone else. The
office corrects individual ranks afterwards; the note on the row says it was inferred.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROSTER_COLUMNS = (
    ("gender", 10),
    ("ethnicity", 40),
    ("birth_month", 20),
    ("education", 60),
    ("political_status", 40),
)
_SECTION_ROLES = ("township_secretary", "deputy_party_building", "department_head")
INFERRED_NOTE = "迁移时按角色推定"


def upgrade() -> None:
    with op.batch_alter_table("cadre") as batch_op:
        for name, length in _ROSTER_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=""))
    with op.batch_alter_table("programme") as batch_op:
        batch_op.add_column(sa.Column("hours", sa.Float(), nullable=True))
    with op.batch_alter_table("training_session") as batch_op:
        batch_op.add_column(sa.Column("hours", sa.Float(), nullable=True))
    with op.batch_alter_table("participant") as batch_op:
        batch_op.add_column(sa.Column("leave_hours", sa.Float(), nullable=False, server_default="0"))
    op.create_table(
        "cadre_rank",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cadre_id", sa.Integer(), sa.ForeignKey("cadre.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("rank", sa.String(length=30), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("note", sa.String(), nullable=False),
    )
    op.create_index("ix_cadre_rank_cadre_start", "cadre_rank", ["cadre_id", "start_date"])
    op.create_table(
        "external_training",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cadre_id", sa.Integer(), sa.ForeignKey("cadre.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("organiser", sa.String(length=200), nullable=False),
        sa.Column("institution", sa.String(length=200), nullable=False),
        sa.Column("course", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("days", sa.Float(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("evidence", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reject_reason", sa.String(), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_external_cadre_start", "external_training", ["cadre_id", "start_date"])
    op.create_index("ix_external_state", "external_training", ["state"])
    _backfill_ranks()


def _backfill_ranks() -> None:
    conn = op.get_bind()
    cadre = sa.table(
        "cadre",
        sa.column("id", sa.Integer),
        sa.column("role", sa.String),
        sa.column("created_at", sa.DateTime),
    )
    post = sa.table("post", sa.column("cadre_id", sa.Integer), sa.column("start_date", sa.Date))
    rank = sa.table(
        "cadre_rank",
        sa.column("cadre_id", sa.Integer),
        sa.column("rank", sa.String),
        sa.column("start_date", sa.Date),
        sa.column("note", sa.String),
    )
    first_post = (
        sa.select(post.c.cadre_id, sa.func.min(post.c.start_date).label("since"))
        .group_by(post.c.cadre_id)
        .subquery()
    )
    rows = conn.execute(
        sa.select(cadre.c.id, cadre.c.role, cadre.c.created_at, first_post.c.since).select_from(
            cadre.outerjoin(first_post, first_post.c.cadre_id == cadre.c.id)
        )
    ).all()
    values = []
    for cadre_id, role, created_at, since in rows:
        start = since or created_at
        if start is None:
            continue
        if isinstance(start, str):  # SQLite may hand back text through a lightweight table()
            start = date.fromisoformat(start[:10])
        elif isinstance(start, datetime):
            start = start.date()
        values.append(
            {
                "cadre_id": cadre_id,
                "rank": "township_section" if role in _SECTION_ROLES else "other",
                "start_date": start,
                "note": INFERRED_NOTE,
            }
        )
    if values:
        op.bulk_insert(rank, values)


def _drop_columns(table: str, names: Sequence[str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite ≥ 3.35 drops a plain column in place; a batch rebuild of cadre/participant would trip the
        # foreign keys of the rows that refer to them
        for name in names:
            op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{name}"')
        return
    with op.batch_alter_table(table) as batch_op:
        for name in names:
            batch_op.drop_column(name)


def downgrade() -> None:
    op.drop_index("ix_external_state", table_name="external_training")
    op.drop_index("ix_external_cadre_start", table_name="external_training")
    op.drop_table("external_training")
    op.drop_index("ix_cadre_rank_cadre_start", table_name="cadre_rank")
    op.drop_table("cadre_rank")
    _drop_columns("participant", ["leave_hours"])
    _drop_columns("training_session", ["hours"])
    _drop_columns("programme", ["hours"])
    _drop_columns("cadre", [name for name, _length in reversed(_ROSTER_COLUMNS)])
