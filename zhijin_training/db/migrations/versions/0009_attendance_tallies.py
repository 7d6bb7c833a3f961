"""attendance tallies: maintained per cadre × unit × quarter and × year counts behind the reports

Reports summed 1.7 M participant rows per ten-year report (9.4 s at city size). Two tables now hold the same
sums, one row per (period, cadre, unit held at the time): `tally_quarter` (period = year × 10 + quarter) and
`tally_year` (period = year). Columns: `expected` (status taken), one per attendance status, `untaken` (status
not yet taken, whether or not the session has begun: the reader subtracts the few future sessions).

Only sessions that are not cancelled count; a session belongs to the local (UTC+8, no daylight saving in China)
quarter it starts in. `unit_key` is participant.unit_id, 0 for none.

Triggers keep them right in the same transaction as every write, whatever service (or bulk statement) makes
it: participant insert/delete/update of session, cadre, unit or status; training_session update of status or
start; training_session delete. They add the new row's figures and subtract the old one's (deltas), so a
mark costs two upserts. `zhijin-training check` compares them with the raw rows (services/tallies.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# frozen here on purpose: a migration describes the schema of its revision, not of today's enums
STATUSES = ("present", "late", "left_early", "on_leave", "absent", "deputy")
COLUMNS = ("expected", *STATUSES, "untaken")
TABLES = ("tally_quarter", "tally_year")
TRIGGERS = (
    "participant_tally_insert",
    "participant_tally_delete",
    "participant_tally_update",
    "session_tally_update",
    "session_tally_delete",
)


def period_sql(dialect: str, table: str, starts: str) -> str:
    """The local quarter (year × 10 + q) or year a session starting at `starts` (naive UTC) belongs to."""
    if dialect == "postgresql":
        local = f"({starts} + INTERVAL '8 hours')"
        year = f"CAST(EXTRACT(YEAR FROM {local}) AS INTEGER)"
        if table == "tally_year":
            return year
        return f"({year} * 10 + CAST(EXTRACT(QUARTER FROM {local}) AS INTEGER))"
    year = f"CAST(strftime('%Y', {starts}, '+8 hours') AS INTEGER)"
    if table == "tally_year":
        return year
    return f"({year} * 10 + (CAST(strftime('%m', {starts}, '+8 hours') AS INTEGER) + 2) / 3)"


def _sums(status: str, sign: int) -> str:
    def one(cond: str) -> str:
        return f"{sign} * SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"

    parts = [one(f"{status} IS NOT NULL")]
    parts += [one(f"{status} = '{v}'") for v in STATUSES]
    parts.append(one(f"{status} IS NULL"))
    return ", ".join(parts)


def delta_sql(
    dialect: str, table: str, *, sign: int, starts: str, cadre: str, unit: str, status: str, source: str
) -> str:
    """Add (sign 1) or subtract (-1) the figures of the rows `source` selects (FROM … WHERE …)."""
    cols = ", ".join(COLUMNS)
    update = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COLUMNS)
    return (
        f"INSERT INTO {table} (period, cadre_id, unit_key, {cols}) "
        f"SELECT {period_sql(dialect, table, starts)}, {cadre}, COALESCE({unit}, 0), {_sums(status, sign)} "
        f"{source} GROUP BY 1, 2, 3 "
        f"ON CONFLICT (period, cadre_id, unit_key) DO UPDATE SET {update}"
    )


def backfill_sql(dialect: str, table: str) -> str:
    return delta_sql(
        dialect,
        table,
        sign=1,
        starts="s.starts_at",
        cadre="p.cadre_id",
        unit="p.unit_id",
        status="p.status",
        source="FROM participant p JOIN training_session s ON s.id = p.session_id WHERE s.status != 'cancelled'",
    )


def _row(dialect: str, row: str, sign: int) -> list[str]:
    """The statements that add or subtract one participant row (NEW or OLD)."""
    return [
        delta_sql(
            dialect,
            table,
            sign=sign,
            starts="s.starts_at",
            cadre=f"{row}.cadre_id",
            unit=f"{row}.unit_id",
            status=f"{row}.status",
            source=f"FROM training_session s WHERE s.id = {row}.session_id AND s.status != 'cancelled'",
        )
        for table in TABLES
    ]


def _session(dialect: str, row: str, sign: int) -> list[str]:
    """The statements that add or subtract every participant of one session (NEW or OLD)."""
    return [
        delta_sql(
            dialect,
            table,
            sign=sign,
            starts=f"{row}.starts_at",
            cadre="p.cadre_id",
            unit="p.unit_id",
            status="p.status",
            source=f"FROM participant p WHERE p.session_id = {row}.id AND {row}.status != 'cancelled'",
        )
        for table in TABLES
    ]


PARTICIPANT_COLUMNS = "session_id, cadre_id, unit_id, status"
SESSION_COLUMNS = "status, starts_at"


def trigger_bodies(dialect: str) -> dict[str, tuple[str, str, list[str]]]:
    """name → (timing and event, table, statements)."""
    return {
        "participant_tally_insert": ("AFTER INSERT", "participant", _row(dialect, "NEW", 1)),
        "participant_tally_delete": ("AFTER DELETE", "participant", _row(dialect, "OLD", -1)),
        "participant_tally_update": (
            f"AFTER UPDATE OF {PARTICIPANT_COLUMNS}",
            "participant",
            _row(dialect, "OLD", -1) + _row(dialect, "NEW", 1),
        ),
        "session_tally_update": (
            f"AFTER UPDATE OF {SESSION_COLUMNS}",
            "training_session",
            _session(dialect, "OLD", -1) + _session(dialect, "NEW", 1),
        ),
        # participants go first (RESTRICT), so this is a safety net that finds nothing to subtract
        "session_tally_delete": ("BEFORE DELETE", "training_session", _session(dialect, "OLD", -1)),
    }


def create_triggers_sql(dialect: str) -> list[str]:
    out: list[str] = []
    for name, (when, table, statements) in trigger_bodies(dialect).items():
        if dialect == "postgresql":
            result = "OLD" if "DELETE" in when else "NEW"
            body = "; ".join(statements)
            out.append(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body}; RETURN {result}; END $$"
            )
            out.append(f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
        else:
            body = "; ".join(statements)
            out.append(f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW BEGIN {body}; END")
    return out


def drop_triggers_sql(dialect: str) -> list[str]:
    out: list[str] = []
    for name, (_when, table, _statements) in trigger_bodies(dialect).items():
        if dialect == "postgresql":
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            out.append(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            out.append(f"DROP TRIGGER IF EXISTS {name}")
    return out


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        op.create_table(
            table,
            sa.Column("period", sa.Integer(), nullable=False),
            sa.Column("cadre_id", sa.Integer(), nullable=False),
            sa.Column("unit_key", sa.Integer(), nullable=False),
            *(sa.Column(c, sa.Integer(), nullable=False, server_default="0") for c in COLUMNS),
            sa.PrimaryKeyConstraint("period", "cadre_id", "unit_key", name=f"pk_{table}"),
            # SQLite: rows stored in key order, so a report reads one period's rows in one sweep
            sqlite_with_rowid=False,
        )
        op.execute(backfill_sql(dialect, table))
    for sql in create_triggers_sql(dialect):
        op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for sql in drop_triggers_sql(dialect):
        op.execute(sql)
    for table in TABLES:
        op.drop_table(table)
