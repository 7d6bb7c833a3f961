"""The all-time attendance tallies: `tally_all` (migration 0016), one row per (cadre, unit held at the time),
and `tally_cadre` (0017), the same figures summed per cadre.

It holds the figures of `tally_year` summed over every year, and `first_at`, the start of the first session
(not cancelled) counted in that row. The ten-year report read ten rows per cadre and unit from `tally_year` and
then, for the cadres who moved twice in one year, went back to the quarters and the raw rows to put their
other units in order; a report whose period covers every year with data (`covers`) now reads one row per
cadre and unit and orders the units by `first_at`.

Triggers keep it right in every write's transaction, as 0009's keep the other tallies: counts by deltas; a
new participation lowers `first_at` to its start; a participation taken away (deleted, moved, its session
cancelled or moved later) that was the first recomputes `first_at` from the raw rows of that cadre — only
then, so a mark costs two upserts and a primary-key lookup. The trigger SQL lives here and migration 0016
calls it; a change to it needs a new migration that recreates the triggers. `differences` compares the table
with the raw rows for `check`.

`tally_cadre` lets the ten-year report read one row per cadre instead of summing his (cadre, unit) rows: the
sums were its largest statement. Its own triggers (0017) add a third upsert to a mark; a post move or a
session moved in time leaves it alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from zhijin_training.db import triggers
from zhijin_training.models import Participant, SessionStatus, TrainingSession

TABLE = "tally_all"
STATUSES = ("present", "late", "left_early", "on_leave", "absent", "deputy")  # tallies.TALLY_STATUSES
COLUMNS = ("expected", *STATUSES, "untaken")

ALL = sa.table(
    TABLE,
    sa.column("cadre_id", sa.Integer),
    sa.column("unit_key", sa.Integer),
    *(sa.column(c, sa.Integer) for c in COLUMNS),
    sa.column("first_at", sa.DateTime),
)

CADRE_TABLE = "tally_cadre"
PER_CADRE = sa.table(
    CADRE_TABLE, sa.column("cadre_id", sa.Integer), *(sa.column(c, sa.Integer) for c in COLUMNS)
)


# ---------------------------------------------------------------- the planner's rule
_YEARS_WITH_DATA = sa.text(
    "SELECT (SELECT min(period) FROM tally_year), (SELECT max(period) FROM tally_year)"
)


def covers(s: Session, start: date, end: date) -> bool:
    """Whether [start, end] holds every session counted in the tallies: then its figures are all-time ones.
    The years with data are the first and last of `tally_year` (its primary key starts with the year), rows
    subtracted back to zero included — a stale year only sends a report to the other tallies."""
    # two subqueries: SQLite answers a lone min() or max() from the index's ends, both together by a scan
    first, last = s.connection().execute(_YEARS_WITH_DATA).one()
    if first is None:
        return False
    return start <= date(int(first), 1, 1) and date(int(last), 12, 31) <= end


# ---------------------------------------------------------------- triggers
def _sums(status: str, sign: int) -> str:
    def one(cond: str) -> str:
        return f"{sign} * SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"

    return ", ".join(
        [
            one(f"{status} IS NOT NULL"),
            *(one(f"{status} = '{v}'") for v in STATUSES),
            one(f"{status} IS NULL"),
        ]
    )


def _delta(*, sign: int, cadre: str, status: str, source: str, unit: str | None, starts: str = "") -> str:
    """Add (1) or subtract (-1) the figures of the participations `source` selects (FROM … WHERE …): into
    `tally_all` per (cadre, unit), or with `unit=None` into `tally_cadre` per cadre. Adding to `tally_all`
    lowers `first_at` to the earliest start added; subtracting leaves it to `_recompute_*`."""
    table = TABLE if unit is not None else CADRE_TABLE
    cols = ", ".join(COLUMNS)
    counts = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COLUMNS)
    if unit is None:
        return (
            f"INSERT INTO {table} (cadre_id, {cols}) "
            f"SELECT {cadre}, {_sums(status, sign)} {source} GROUP BY 1 "
            f"ON CONFLICT (cadre_id) DO UPDATE SET {counts}"
        )
    first = f"MIN({starts})" if sign > 0 else "NULL"
    lower = (
        f", first_at = CASE WHEN {table}.first_at IS NULL OR excluded.first_at < {table}.first_at "
        f"THEN excluded.first_at ELSE {table}.first_at END"
        if sign > 0
        else ""
    )
    return (
        f"INSERT INTO {table} (cadre_id, unit_key, {cols}, first_at) "
        f"SELECT {cadre}, COALESCE({unit}, 0), {_sums(status, sign)}, {first} "
        f"{source} GROUP BY 1, 2 "
        f"ON CONFLICT (cadre_id, unit_key) DO UPDATE SET {counts}{lower}"
    )


_FIRST = (
    "(SELECT MIN(s2.starts_at) FROM participant p2 JOIN training_session s2 ON s2.id = p2.session_id "
    f"WHERE p2.cadre_id = {TABLE}.cadre_id AND COALESCE(p2.unit_id, 0) = {TABLE}.unit_key "
    "AND s2.status != 'cancelled')"
)


def _recompute_row(row: str) -> str:
    """After a participation (OLD) went away or changed: its row's `first_at` again, if it was that one's."""
    return (
        f"UPDATE {TABLE} SET first_at = {_FIRST} "
        f"WHERE cadre_id = {row}.cadre_id AND unit_key = COALESCE({row}.unit_id, 0) "
        f"AND first_at = (SELECT s.starts_at FROM training_session s WHERE s.id = {row}.session_id)"
    )


def _recompute_session(row: str) -> str:
    """After a session (OLD) was cancelled or moved: the rows whose first session it was, again."""
    return (
        f"UPDATE {TABLE} SET first_at = {_FIRST} "
        f"WHERE first_at = {row}.starts_at "
        f"AND cadre_id IN (SELECT p.cadre_id FROM participant p WHERE p.session_id = {row}.id)"
    )


def _row(row: str, sign: int, *, per_cadre: bool = False) -> str:
    """The figures of one participation (NEW or OLD) in its session, unless that is cancelled."""
    return _delta(
        sign=sign,
        starts="s.starts_at",
        cadre=f"{row}.cadre_id",
        unit=None if per_cadre else f"{row}.unit_id",
        status=f"{row}.status",
        source=f"FROM training_session s WHERE s.id = {row}.session_id AND s.status != 'cancelled'",
    )


def _session(row: str, sign: int, *, per_cadre: bool = False) -> str:
    """The figures of every participation in one session (NEW or OLD), unless it is cancelled."""
    return _delta(
        sign=sign,
        starts=f"{row}.starts_at",
        cadre="p.cadre_id",
        unit=None if per_cadre else "p.unit_id",
        status="p.status",
        source=f"FROM participant p WHERE p.session_id = {row}.id AND {row}.status != 'cancelled'",
    )


_EVERY_PARTICIPATION = (
    "FROM participant p JOIN training_session s ON s.id = p.session_id WHERE s.status != 'cancelled'"
)


def trigger_bodies() -> dict[str, triggers.Trigger]:
    """name → (when, table, statements, condition); the names hold "_tally_" (pg_roles makes them run with
    their owner's rights). Every statement is the same SQL on both engines."""
    return {
        "participant_tally_all_insert": ("AFTER INSERT", "participant", [_row("NEW", 1)], ""),
        "participant_tally_all_delete": (
            "AFTER DELETE",
            "participant",
            [_row("OLD", -1), _recompute_row("OLD")],
            "",
        ),
        "participant_tally_all_update": (
            "AFTER UPDATE OF session_id, cadre_id, unit_id, status",
            "participant",
            [_row("OLD", -1), _row("NEW", 1), _recompute_row("OLD")],
            "",
        ),
        "session_tally_all_update": (
            "AFTER UPDATE OF status, starts_at",
            "training_session",
            [_session("OLD", -1), _session("NEW", 1), _recompute_session("OLD")],
            "",
        ),
        # participants go first (RESTRICT), so this is a safety net that finds nothing to subtract
        "session_tally_all_delete": ("BEFORE DELETE", "training_session", [_session("OLD", -1)], ""),
    }


def create_triggers_sql(dialect: str) -> list[str]:
    return triggers.create_sql(dialect, trigger_bodies())


def drop_triggers_sql(dialect: str) -> list[str]:
    return triggers.drop_sql(dialect, trigger_bodies())


# ---------------------------------------------------------------- per cadre (migration 0017)
def cadre_trigger_bodies() -> dict[str, triggers.Trigger]:
    """The triggers of `tally_cadre`: a post move (participant.unit_id) or a session moved in time changes
    nothing here, so they do not fire for those."""
    return {
        "participant_tally_cadre_insert": (
            "AFTER INSERT",
            "participant",
            [_row("NEW", 1, per_cadre=True)],
            "",
        ),
        "participant_tally_cadre_delete": (
            "AFTER DELETE",
            "participant",
            [_row("OLD", -1, per_cadre=True)],
            "",
        ),
        "participant_tally_cadre_update": (
            "AFTER UPDATE OF session_id, cadre_id, status",
            "participant",
            [_row("OLD", -1, per_cadre=True), _row("NEW", 1, per_cadre=True)],
            "",
        ),
        "session_tally_cadre_update": (
            "AFTER UPDATE OF status",
            "training_session",
            [_session("OLD", -1, per_cadre=True), _session("NEW", 1, per_cadre=True)],
            "",
        ),
        "session_tally_cadre_delete": (
            "BEFORE DELETE",
            "training_session",
            [_session("OLD", -1, per_cadre=True)],
            "",
        ),
    }


def create_cadre_triggers_sql(dialect: str) -> list[str]:
    return triggers.create_sql(dialect, cadre_trigger_bodies())


def drop_cadre_triggers_sql(dialect: str) -> list[str]:
    return triggers.drop_sql(dialect, cadre_trigger_bodies())


def cadre_backfill_sql() -> str:
    """The migration's backfill of `tally_cadre`: the raw rows' figures per cadre (both engines)."""
    return _delta(sign=1, cadre="p.cadre_id", unit=None, status="p.status", source=_EVERY_PARTICIPATION)


# ---------------------------------------------------------------- check and rebuild
Row = tuple[tuple[int, ...], datetime | None]  # the counts in COLUMNS order, first_at (naive UTC)


def _actual_stmt() -> Any:
    status = col(Participant.status)

    def n(cond: Any) -> Any:
        return sa.func.sum(sa.case((cond, 1), else_=0))

    unit_key = sa.func.coalesce(col(Participant.unit_id), 0)
    return (
        sa.select(
            col(Participant.cadre_id),
            unit_key,
            n(status.is_not(None)),
            *(n(status == v) for v in STATUSES),
            n(status.is_(None)),
            # the stored value as it is (naive UTC), not through the model's aware type
            sa.func.min(sa.type_coerce(col(TrainingSession.starts_at), sa.DateTime)),
        )
        .select_from(Participant)
        .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
        .where(col(TrainingSession.status) != SessionStatus.CANCELLED.value)
        .group_by(col(Participant.cadre_id), unit_key)
    )


def _naive(value: datetime | str | None) -> datetime | None:
    """min() over a timestamp comes back as text on SQLite."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def actual_rows(s: Session) -> dict[tuple[int, int], Row]:
    """What `tally_all` should hold, from the raw rows."""
    out: dict[tuple[int, int], Row] = {}
    for cadre, unit, *values in s.connection().execute(_actual_stmt()).all():
        out[(int(cadre), int(unit))] = (tuple(int(v) for v in values[:-1]), _naive(values[-1]))
    return out


def stored_rows(s: Session) -> dict[tuple[int, int], Row]:
    c = ALL.c
    stmt = sa.select(c.cadre_id, c.unit_key, *(getattr(c, n) for n in COLUMNS), c.first_at)
    out: dict[tuple[int, int], Row] = {}
    for cadre, unit, *values in s.connection().execute(stmt).all():
        counts = tuple(int(v) for v in values[:-1])
        if any(counts) or values[-1] is not None:  # a row subtracted back to zero is the same as no row
            out[(int(cadre), int(unit))] = (counts, _naive(values[-1]))
    return out


@dataclass(frozen=True)
class AllTimeDifference:
    """Shaped like tallies.TallyDifference so `check` words both alike (period 0: all time; unit_key -1: the
    per-cadre table, summed over units)."""

    table: str
    period: int
    cadre_id: int
    unit_key: int
    column: str
    stored: int | str
    actual: int | str


def cadre_rows(s: Session, *, stored: bool) -> dict[int, tuple[int, ...]]:
    """`tally_cadre` as stored, or as the raw rows say it should be (`stored=False`); rows subtracted back
    to zero are the same as none."""
    if stored:
        c = PER_CADRE.c
        stmt: Any = sa.select(c.cadre_id, *(getattr(c, n) for n in COLUMNS))
    else:
        figures = _actual_stmt().subquery()
        stmt = sa.select(
            figures.c[0], *(sa.func.sum(figures.c[i + 2]) for i in range(len(COLUMNS)))
        ).group_by(figures.c[0])
    out: dict[int, tuple[int, ...]] = {}
    for cadre, *values in s.connection().execute(stmt).all():
        counts = tuple(int(v) for v in values)
        if any(counts):
            out[int(cadre)] = counts
    return out


def differences(s: Session, limit: int = 20) -> list[AllTimeDifference]:
    out: list[AllTimeDifference] = []
    have, want = cadre_rows(s, stored=True), cadre_rows(s, stored=False)
    zero = (0,) * len(COLUMNS)
    for cadre in sorted(set(have) | set(want)):
        stored, actual = have.get(cadre, zero), want.get(cadre, zero)
        for column, a, b in zip(COLUMNS, stored, actual, strict=True):
            if a != b:
                out.append(AllTimeDifference(CADRE_TABLE, 0, cadre, -1, column, a, b))
                if len(out) >= limit:
                    return out
    have, want = stored_rows(s), actual_rows(s)
    nothing: Row = ((0,) * len(COLUMNS), None)
    for key in sorted(set(have) | set(want)):
        (stored, stored_first), (actual, actual_first) = have.get(key, nothing), want.get(key, nothing)
        found = [(c, a, b) for c, a, b in zip(COLUMNS, stored, actual, strict=True) if a != b]
        if stored_first != actual_first:
            found.append(("first_at", _shown(stored_first), _shown(actual_first)))
        for column, a, b in found:
            out.append(AllTimeDifference(TABLE, 0, *key, column, a, b))
            if len(out) >= limit:
                return out
    return out


def _shown(value: datetime | None) -> str:
    return "-" if value is None else value.isoformat(sep=" ")


def rebuild(s: Session) -> None:
    """Recompute both tables from the raw rows (after a bulk load that went around the triggers)."""
    s.execute(sa.text(f"DELETE FROM {TABLE}"))  # fixed table names
    s.execute(sa.insert(ALL).from_select(["cadre_id", "unit_key", *COLUMNS, "first_at"], _actual_stmt()))
    s.execute(sa.text(f"DELETE FROM {CADRE_TABLE}"))
    s.execute(sa.text(cadre_backfill_sql()))


def backfill_sql() -> str:
    """The migration's backfill: the same rows `rebuild` makes, in plain SQL (the same on both engines)."""
    return _delta(
        sign=1,
        starts="s.starts_at",
        cadre="p.cadre_id",
        unit="p.unit_id",
        status="p.status",
        source=_EVERY_PARTICIPATION,
    )


def first_at(value: datetime | str) -> datetime:
    """A stored `first_at` as an aware UTC datetime."""
    naive = _naive(value)
    assert naive is not None
    return naive if naive.tzinfo else naive.replace(tzinfo=UTC)
