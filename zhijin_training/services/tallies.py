"""Attendance counts from the maintained tallies (migration 0009) instead of the raw participant rows.

`tally_quarter` and `tally_year` hold, per (period, cadre, unit held at the time), the counts of the
participants of sessions that were not cancelled: `expected`, one column per status, `untaken` (no status yet,
begun or not). Triggers created by the migration keep them right in every write's transaction.

A period [start, end] is split into whole years (tally_year), whole quarters (tally_quarter) and the days left
at its edges (raw rows, a few weeks at most). "Not taken" counts only sessions that have begun, so the untaken
participants of sessions after `now` (few: only the future) are subtracted from the raw rows.

`differences` compares the tallies with the raw rows for `check`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session, col

from zhijin_training.enums import status_values
from zhijin_training.models import Participant, SessionStatus, TrainingSession, Unit
from zhijin_training.services import tally_all
from zhijin_training.services.rates import Counts, count_column_names, count_columns
from zhijin_training.timeutil import local_midnight

TALLY_STATUSES = ("present", "late", "left_early", "on_leave", "absent", "deputy")  # the columns of 0009
TALLY_COLUMNS = ("expected", *TALLY_STATUSES, "untaken")
TALLY_TABLES = ("tally_quarter", "tally_year")
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)  # raw edges count every untaken row, like the tallies

By = Literal["cadre", "unit", "cadre_unit", "total"]


def _table(name: str) -> sa.Table:
    return sa.table(
        name,
        sa.column("period", sa.Integer),
        sa.column("cadre_id", sa.Integer),
        sa.column("unit_key", sa.Integer),
        *(sa.column(c, sa.Integer) for c in TALLY_COLUMNS),
    )


QUARTERS = _table("tally_quarter")
YEARS = _table("tally_year")


@dataclass(frozen=True)
class Spans:
    years: tuple[int, ...]
    quarters: tuple[int, ...]  # year × 10 + q
    edges: tuple[tuple[date, date], ...]  # days (inclusive) not covered by whole quarters


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _next_quarter(day: date) -> date:
    start = _quarter_start(day)
    return date(start.year + 1, 1, 1) if start.month == 10 else date(start.year, start.month + 3, 1)


def spans(start: date, end: date) -> Spans:
    years: list[int] = []
    quarters: list[int] = []
    edges: list[tuple[date, date]] = []
    day = start
    while day <= end:
        if day.month == 1 and day.day == 1 and date(day.year, 12, 31) <= end:
            years.append(day.year)
            day = date(day.year + 1, 1, 1)
            continue
        following = _next_quarter(day)
        if day == _quarter_start(day) and following - timedelta(days=1) <= end:
            quarters.append(day.year * 10 + (day.month - 1) // 3 + 1)
        else:
            last = min(end, following - timedelta(days=1))
            if edges and edges[-1][1] + timedelta(days=1) == day:
                edges[-1] = (edges[-1][0], last)
            else:
                edges.append((day, last))
        day = following
    return Spans(tuple(years), tuple(quarters), tuple(edges))


def usable() -> bool:
    """The tallies have one column per attendance status: a status added to enums.STATUS_SPECS without a
    migration is counted from the raw rows (right, only slower) until one adds its column."""
    return set(status_values()) == set(TALLY_STATUSES)


def _from_values(values: Iterable[Any]) -> Counts:
    # TALLY_COLUMNS are the count columns in their order (`pieces` asserts it), untaken last as not taken
    return Counts.from_columns([int(v or 0) for v in values])


def counts(
    s: Session,
    now: datetime,
    start: date,
    end: date,
    *,
    by: By,
    unit_id: int | None = None,
    unit_kind: str | None = None,
    begun_only: bool = True,
) -> dict[Any, Counts]:
    """Counts per cadre id, per unit id (None: no unit), per (cadre, unit) or one total (key None), the same as
    `count_columns` over the raw rows of [start, end] would give. `unit_id` / `unit_kind` limit to sessions
    held while in that unit / a unit of that kind. `begun_only=False` counts as not taken the participants of
    sessions still to come too (expected + not_taken is then every participant)."""
    sums = _sums(s, now, start, end, by=by, unit_id=unit_id, unit_kind=unit_kind, begun_only=begun_only)
    return {key: _from_values(values) for key, values in sums.items()}


def _raw_rows(
    cond: list[Any], columns: list[Any], names: Sequence[str], unit_id: int | None, unit_kind: str | None
) -> Any:
    """Participants of sessions not cancelled, grouped by (cadre_id, unit_key), `columns` labelled `names`."""
    unit_key = sa.func.coalesce(col(Participant.unit_id), 0)
    stmt = (
        sa.select(
            col(Participant.cadre_id).label("cadre_id"),
            unit_key.label("unit_key"),
            *(column.label(name) for column, name in zip(columns, names, strict=True)),
        )
        .select_from(Participant)
        .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
        .where(col(TrainingSession.status) != SessionStatus.CANCELLED.value, *cond)
        .group_by(col(Participant.cadre_id), unit_key)
    )
    if unit_id is not None:
        stmt = stmt.where(col(Participant.unit_id) == unit_id)
    if unit_kind:
        stmt = stmt.join(Unit, col(Unit.id) == col(Participant.unit_id)).where(Unit.kind == unit_kind)
    return stmt


def _between(first: date, last: date) -> list[Any]:
    return [
        col(TrainingSession.starts_at) >= local_midnight(first),
        col(TrainingSession.starts_at) < local_midnight(last + timedelta(days=1)),
    ]


def pieces(
    start: date,
    end: date,
    *,
    unit_id: int | None,
    unit_kind: str | None,
    first: bool = False,
    whole: bool = False,
) -> sa.Subquery:
    """The figures of [start, end] as rows for SQL to sum: (cadre_id, unit_key, *TALLY_COLUMNS[, first]), with
    "untaken" counting the sessions still to come too (see `futures`). `unit_key` 0 is no unit.

    One row per tally row of the whole years and quarters and per (cadre, unit) of the raw rows of the edges.
    `first`: the first quarter (year × 10 + q) of a tally row with someone there, NULL for edge rows. Summing
    in SQL, grouped as a report needs, replaces adding thousands of rows up in Python; a period of whole years
    or whole quarters only is one table, which SQLite reads without a compound subquery.

    `whole`: the period holds every session counted (`tally_all.covers`), so the rows are `tally_all`'s, one
    per (cadre, unit), and `first` is the start of the first session there (naive UTC), not a quarter."""
    if not usable():
        raise RuntimeError("tallies: the attendance statuses changed; a migration must add their columns")
    if whole:
        return _all_time(unit_id=unit_id, unit_kind=unit_kind, first=first)
    span = spans(start, end)
    parts: list[Any] = []
    for table, periods in ((YEARS, span.years), (QUARTERS, span.quarters)):
        if not periods:
            continue
        c = table.c
        quarter = c.period * 10 + 1 if table is YEARS else c.period
        extra = [sa.case(((c.expected + c.untaken) > 0, quarter), else_=None).label("first")] if first else []
        stmt = sa.select(
            c.cadre_id.label("cadre_id"),
            c.unit_key.label("unit_key"),
            *(getattr(c, n).label(n) for n in TALLY_COLUMNS),
            *extra,
        ).where(_period_in(c.period, periods, table))
        if unit_id is not None:
            stmt = stmt.where(c.unit_key == unit_id)
        if unit_kind:
            stmt = stmt.join(Unit, col(Unit.id) == c.unit_key).where(Unit.kind == unit_kind)
        parts.append(stmt)
    assert count_column_names() == (*TALLY_COLUMNS[:-1], "not_taken")
    names = (*TALLY_COLUMNS, "first") if first else TALLY_COLUMNS
    for day, last in span.edges:
        counted = count_columns(col(Participant.status), _FAR_FUTURE)
        extra = [sa.cast(sa.null(), sa.Integer)] if first else []
        parts.append(_raw_rows(_between(day, last), [*counted, *extra], names, unit_id, unit_kind))
    if not parts:  # an empty period: no rows, the same columns
        empty = sa.select(
            *(sa.literal_column("0", sa.Integer).label(n) for n in ("cadre_id", "unit_key", *names))
        )
        return empty.where(sa.false()).subquery("pieces")
    return (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("pieces")


def _all_time(*, unit_id: int | None, unit_kind: str | None, first: bool) -> sa.Subquery:
    c = tally_all.ALL.c
    extra = [c.first_at.label("first")] if first else []
    stmt = sa.select(c.cadre_id, c.unit_key, *(getattr(c, n) for n in TALLY_COLUMNS), *extra)
    if unit_id is not None:
        stmt = stmt.where(c.unit_key == unit_id)
    if unit_kind:
        stmt = stmt.join(Unit, col(Unit.id) == c.unit_key).where(Unit.kind == unit_kind)
    return stmt.subquery("pieces")


# at least this many periods of one table: most of its rows, read in cadre order (0014's index) rather than
# found by the primary key (period first) and sorted by cadre; fewer periods stay on the primary key
MANY_PERIODS = {"tally_year": 3, "tally_quarter": 12}


def _period_in(period: Any, periods: Sequence[int], table: sa.Table) -> Any:
    if len(periods) >= MANY_PERIODS[table.name]:
        # "+ 0" hides the column from the planner's choice of index for the condition, so the GROUP BY cadre
        # takes the cadre-ordered covering index instead of sorting what the primary key found
        return (period + 0).in_(periods)
    return period.in_(periods)


def futures(
    s: Session,
    now: datetime,
    start: date,
    end: date,
    *,
    unit_id: int | None,
    unit_kind: str | None,
    cadre_ids: Sequence[int] | None = None,
) -> dict[int, int]:
    """Per cadre (of `cadre_ids`, or every one), the untaken participants of [start, end] whose session is
    still to come (few: only the future): "not taken" counts begun sessions only, so these come off the
    tallies' `untaken`."""
    # the sessions to come first (the start index), then their untaken participants (the partial index)
    to_come = sa.select(col(TrainingSession.id)).where(
        col(TrainingSession.status) != SessionStatus.CANCELLED.value,
        col(TrainingSession.starts_at) > now,
        *_between(start, end),
    )
    stmt = (
        sa.select(col(Participant.cadre_id), sa.func.count())
        .where(col(Participant.session_id).in_(to_come), col(Participant.status).is_(None))
        .group_by(col(Participant.cadre_id))
    )
    if unit_id is not None:
        stmt = stmt.where(col(Participant.unit_id) == unit_id)
    if cadre_ids is not None:
        stmt = stmt.where(col(Participant.cadre_id).in_(list(cadre_ids)))
    if unit_kind:
        stmt = stmt.join(Unit, col(Unit.id) == col(Participant.unit_id)).where(Unit.kind == unit_kind)
    return {int(cadre): int(n) for cadre, n in s.connection().execute(stmt).all()}


def first_quarters(
    s: Session, year: int, cadre_ids: Sequence[int], *, unit_kind: str | None = None
) -> dict[tuple[int, int | None], date]:
    """The first quarter of `year` in which each cadre had a session in each unit (its first day)."""
    c = QUARTERS.c
    out: dict[tuple[int, int | None], date] = {}
    ids = list(cadre_ids)
    for i in range(0, len(ids), 500):
        stmt = (
            sa.select(c.cadre_id, c.unit_key, sa.func.min(c.period))
            .where(
                c.period.in_([year * 10 + q for q in (1, 2, 3, 4)]),
                c.cadre_id.in_(ids[i : i + 500]),
                (c.expected + c.untaken) > 0,
            )
            .group_by(c.cadre_id, c.unit_key)
        )
        if unit_kind:
            stmt = stmt.join(Unit, col(Unit.id) == c.unit_key).where(Unit.kind == unit_kind)
        for cadre, unit, period in s.connection().execute(stmt).all():
            out[(int(cadre), int(unit) or None)] = period_start(QUARTERS, int(period))
    return out


def period_start(table: sa.Table, period: int) -> date:
    if table is YEARS:
        return date(period, 1, 1)
    return date(period // 10, 3 * (period % 10 - 1) + 1, 1)


def _sums(
    s: Session,
    now: datetime,
    start: date,
    end: date,
    *,
    by: By,
    unit_id: int | None = None,
    unit_kind: str | None = None,
    begun_only: bool = True,
) -> dict[Any, list[int]]:
    if not usable():
        raise RuntimeError("tallies: the attendance statuses changed; a migration must add their columns")
    span = spans(start, end)
    sums: dict[Any, list[int]] = {}  # plain ints while adding: Counts objects are built once, at the end
    tables: list[tuple[sa.Table, Sequence[int]]] = [(YEARS, span.years), (QUARTERS, span.quarters)]
    if tally_all.covers(s, start, end):  # every session counted: the all-time rows, nothing at the edges
        tables, span = [(tally_all.ALL, ())], Spans((), (), ())
    width = len(TALLY_COLUMNS)

    def add(key: Any, values: Iterable[Any]) -> None:
        into = sums.get(key)
        if into is None:
            sums[key] = [int(v or 0) for v in values]
        else:
            for i, v in enumerate(values):
                into[i] += int(v or 0)

    def keyed(cadre: Any, unit: Any) -> list[Any]:
        return {"cadre": [cadre], "unit": [unit], "cadre_unit": [cadre, unit], "total": []}[by]

    def key_of(row: Sequence[Any]) -> tuple[Any, Any]:
        """(key, the figures) of a result row grouped by `keyed`."""
        if by == "cadre":
            return row[0], row[1:]
        if by == "unit":
            return (row[0] or None), row[1:]
        if by == "cadre_unit":
            return (row[0], row[1] or None), row[2:]
        return None, row

    for table, periods in tables:
        if not periods and table is not tally_all.ALL:
            continue
        c = table.c
        group = keyed(c.cadre_id, c.unit_key)
        figures = [sa.func.sum(getattr(c, n)) for n in TALLY_COLUMNS]
        stmt = sa.select(*group, *figures)
        if table is not tally_all.ALL:
            stmt = stmt.where(c.period.in_(periods))
        if group:
            stmt = stmt.group_by(*group)
        if unit_id is not None:
            stmt = stmt.where(c.unit_key == unit_id)
        if unit_kind:
            stmt = stmt.join(Unit, col(Unit.id) == c.unit_key).where(Unit.kind == unit_kind)
        for row in s.connection().execute(stmt).all():
            key, values = key_of(row)
            if any(values):  # rows subtracted back to zero: nobody there
                add(key, values)

    raw_cond: list[Any] = [col(TrainingSession.status) != SessionStatus.CANCELLED.value]
    if unit_id is not None:
        raw_cond.append(col(Participant.unit_id) == unit_id)

    def raw(cond: list[Any], columns: list[Any]) -> Any:
        group = keyed(col(Participant.cadre_id), col(Participant.unit_id))
        stmt = (
            sa.select(*group, *columns)
            .select_from(Participant)
            .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
            .where(*raw_cond, *cond)
        )
        if group:
            stmt = stmt.group_by(*group)
        if unit_kind:
            stmt = stmt.join(Unit, col(Unit.id) == col(Participant.unit_id)).where(Unit.kind == unit_kind)
        return s.connection().execute(stmt).all()

    def between(first: date, last: date) -> list[Any]:
        return [
            col(TrainingSession.starts_at) >= local_midnight(first),
            col(TrainingSession.starts_at) < local_midnight(last + timedelta(days=1)),
        ]

    # count_columns gives expected, the statuses, not taken: the same order as TALLY_COLUMNS
    assert count_column_names() == (*TALLY_COLUMNS[:-1], "not_taken")
    for first, last in span.edges:
        for row in raw(between(first, last), count_columns(col(Participant.status), _FAR_FUTURE)):
            key, values = key_of(row)
            if any(values):
                add(key, values)
    if begun_only:
        # not taken counts only begun sessions: take away the untaken rows of sessions still to come
        future = [
            col(TrainingSession.starts_at) > now,
            col(Participant.status).is_(None),
            *between(start, end),
        ]
        for row in raw(future, [sa.func.count()]):
            key, (n,) = key_of(row)
            if key in sums:
                sums[key][width - 1] -= int(n)
    return sums


# ---------------------------------------------------------------- check
@dataclass(frozen=True)
class TallyDifference:
    table: str
    period: int
    cadre_id: int
    unit_key: int
    column: str
    stored: int
    actual: int


def _period_expr(dialect: str, table: str, starts: Any) -> Any:
    if dialect == "postgresql":
        local = starts + sa.text("INTERVAL '8 hours'")
        year = sa.cast(sa.extract("year", local), sa.Integer)
        if table == "tally_year":
            return year
        return year * 10 + sa.cast(sa.extract("quarter", local), sa.Integer)
    year = sa.cast(sa.func.strftime("%Y", starts, "+8 hours"), sa.Integer)
    if table == "tally_year":
        return year
    month = sa.cast(sa.func.strftime("%m", starts, "+8 hours"), sa.Integer)
    return year * 10 + (month + 2) // 3  # floor division: SQLAlchemy makes "/" a true division


def _actual_stmt(s: Session, table: str) -> Any:
    dialect = s.get_bind().dialect.name
    period = _period_expr(dialect, table, col(TrainingSession.starts_at)).label("period")
    status = col(Participant.status)

    def n(cond: Any) -> Any:
        return sa.func.sum(sa.case((cond, 1), else_=0))

    unit_key = sa.func.coalesce(col(Participant.unit_id), 0)
    return (
        sa.select(
            period,
            col(Participant.cadre_id),
            unit_key,
            n(status.is_not(None)),
            *(n(status == v) for v in TALLY_STATUSES),
            n(status.is_(None)),
        )
        .select_from(Participant)
        .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
        .where(col(TrainingSession.status) != SessionStatus.CANCELLED.value)
        .group_by(period, col(Participant.cadre_id), unit_key)
    )


def actual_rows(s: Session, table: str) -> dict[tuple[int, int, int], tuple[int, ...]]:
    """What the tally `table` should hold, computed from the raw rows."""
    stmt = _actual_stmt(s, table)
    return {(int(p), int(c), int(u)): tuple(int(x) for x in v) for p, c, u, *v in s.execute(stmt).all()}


def stored_rows(s: Session, table: str) -> dict[tuple[int, int, int], tuple[int, ...]]:
    t = _table(table)
    stmt = sa.select(t.c.period, t.c.cadre_id, t.c.unit_key, *(getattr(t.c, c) for c in TALLY_COLUMNS))
    return {
        (int(p), int(c), int(u)): tuple(int(x) for x in v)
        for p, c, u, *v in s.execute(stmt).all()
        if any(v)  # a row subtracted back to zero is the same as no row
    }


def differences(s: Session, limit: int = 20) -> list[TallyDifference | tally_all.AllTimeDifference]:
    """Where the tallies disagree with the raw rows (the first `limit`), in table, period, cadre order."""
    out: list[TallyDifference | tally_all.AllTimeDifference] = list(tally_all.differences(s, limit))
    if len(out) >= limit:
        return out
    zero = (0,) * len(TALLY_COLUMNS)
    for table in TALLY_TABLES:
        have, want = stored_rows(s, table), actual_rows(s, table)
        for key in sorted(set(have) | set(want)):
            stored, actual = have.get(key, zero), want.get(key, zero)
            for column, a, b in zip(TALLY_COLUMNS, stored, actual, strict=True):
                if a != b:
                    out.append(TallyDifference(table, *key, column, a, b))
                    if len(out) >= limit:
                        return out
    return out


def rebuild(s: Session) -> None:
    """Recompute every tally from the raw rows (after a bulk load that went around the triggers)."""
    tally_all.rebuild(s)
    for table in TALLY_TABLES:
        s.execute(sa.text(f"DELETE FROM {table}"))  # fixed table names
        t = _table(table)
        s.execute(
            sa.insert(t).from_select(
                ["period", "cadre_id", "unit_key", *TALLY_COLUMNS], _actual_stmt(s, table)
            )
        )
