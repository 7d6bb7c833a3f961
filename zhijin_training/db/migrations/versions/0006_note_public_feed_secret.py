"""training_session.note_public, and the feed secret out of the database

Notes become internal by default: existing notes (free text such as "内部：该讲座经费未批") were published in every
feed, and from now on only a note marked public leaves the database. The feed secret moves to a file only the
publishing account reads (see docs/feeds.md): the old `feed.secret` setting is deleted, so a viewer or a backup can
no longer compute anyone's feed address; the next publish creates the file and every feed gets a new name.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("training_session") as batch_op:
        batch_op.add_column(sa.Column("note_public", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(sa.text("DELETE FROM app_setting WHERE key = 'feed.secret'"))


def downgrade() -> None:
    with op.batch_alter_table("training_session") as batch_op:
        batch_op.drop_column("note_public")
