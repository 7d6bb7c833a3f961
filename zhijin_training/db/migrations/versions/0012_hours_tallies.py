"""学时 tallies: maintained per (year, cadre) 学时 and days behind the ledger

The yearly 学时 ledger summed every participant row of the year with each session's worth computed from the
rules (0.3 s at city size, growing with the year's sessions). `hours_tally_year` now holds the same sums, one
row per (local year the session starts in, cadre): hours and days earned, Σ max(0, worth × share − leave).
`hours_rule` holds the rule numbers they were computed with (defaults and office settings at upgrade time;
`services/hours_tally.py` keeps them in step with the rules). Triggers keep the tallies right in every write's
transaction; updating the `__stamp` rule recomputes them all. The trigger SQL comes from
services/hours_tally.py: changing it later needs a new migration that drops and recreates the triggers.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _office_rules(bind: sa.engine.Connection) -> dict[str, float]:
    """The rules as the office set them (defaults, then the `hours.*` settings), as the tallies use them."""
    import contextlib

    from zhijin_training.services import hours, hours_tally
    from zhijin_training.services.errors import ValidationError

    values = dict(hours.DEFAULT_RULES)
    rows = bind.execute(sa.text("SELECT key, value FROM app_setting WHERE key LIKE 'hours.%'")).all()
    for key, value in rows:
        name = key[len(hours.SETTING_PREFIX) :]
        if name in values:
            with contextlib.suppress(ValidationError):  # a bad value: the default stands, as load_rules does
                values[name] = hours.check_rule(name, value)
    return hours_tally.rule_numbers(hours.Rules(values, {}))


def upgrade() -> None:
    from zhijin_training.services import hours_tally

    bind = op.get_bind()
    dialect = bind.dialect.name
    op.create_table(
        "hours_rule",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("num", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "hours_tally_year",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False, server_default="0"),
        sa.Column("days", sa.Float(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("year", "cadre_id", name="pk_hours_tally_year"),
        sqlite_with_rowid=False,
    )
    rules = [{"key": k, "num": v} for k, v in sorted(_office_rules(bind).items())]
    rules.append({"key": hours_tally.STAMP, "num": 0.0})
    bind.execute(sa.text("INSERT INTO hours_rule (key, num) VALUES (:key, :num)"), rules)
    for sql in hours_tally.rebuild_sql(dialect):
        op.execute(sql)
    for sql in hours_tally.create_triggers_sql(dialect):
        op.execute(sql)


def downgrade() -> None:
    from zhijin_training.services import hours_tally

    for sql in hours_tally.drop_triggers_sql(op.get_bind().dialect.name):
        op.execute(sql)
    op.drop_table("hours_tally_year")
    op.drop_table("hours_rule")
