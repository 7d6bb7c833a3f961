"""Attendance reports: per cadre, per unit, the quarterly review, absence notices, programme summaries.

Every figure is an SQL aggregate built from `rates.count_columns` and read back with `rates.counts_from_row`,
so the one rate definition in `services/rates.py` is the only one. Rules shared by all reports:

- only sessions that were not cancelled count; a participant without a status is "not taken";
- a period is a range of local (Asia/Shanghai) days, both ends inclusive, and a session belongs to the day
  it starts on;
- unit figures use `Participant.unit_id`: the unit whose post the cadre held on the session's day, so a cadre
  who moves mid-quarter counts for the old unit before the move and for the new one after.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from itertools import groupby
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from zhijin_training.enums import status_spec, status_values
from zhijin_training.models import (
    AppSetting,
    Cadre,
    Participant,
    Post,
    Programme,
    ProgrammeKind,
    SessionStatus,
    TrainingSession,
    Unit,
)
from zhijin_training.services import tallies, tally_all
from zhijin_training.services.bulk import bulk_read
from zhijin_training.services.context import Context
from zhijin_training.services.errors import EndBeforeStart, NotFoundError, ValidationError
from zhijin_training.services.rates import (
    Counts,
    attended_values,
    count_columns,
    counts_from_row,
    excused_values,
    notice_values,
)
from zhijin_training.services.roster import ROLE_ORDER, unit_names_in
from zhijin_training.services.validation import like_pattern
from zhijin_training.timeutil import local_date, local_midnight, quarter_bounds, to_local

NO_UNIT = "（无单位）"
DEFAULT_THRESHOLD = 0.8

_ROLE_ORDER = ROLE_ORDER


# ---------------------------------------------------------------- views
# slots: a ten-year report builds one per cadre (9,000 at city size). Not frozen: a frozen dataclass sets each
# field through object.__setattr__, 2.5 µs a row against 0.4 µs, a fifth of the ten-year report's Python
# time. Nothing mutates a row once built (`replace` makes a new one).
@dataclass(slots=True)
class CadreRow:
    cadre_id: int
    name: str
    ref: str | None
    unit_id: int | None
    unit_name: str
    post_title: str
    role: str
    counts: Counts
    # sessions of the row held while the cadre was in another unit than the one shown (his current unit):
    # (unit held at the time, number of sessions), so a ledger can say so instead of filing them silently
    elsewhere: tuple[tuple[str, int], ...] = ()

    @property
    def rate(self) -> float | None:
        return self.counts.rate


@dataclass(frozen=True)
class UnitRow:
    unit_id: int | None
    unit_name: str
    unit_kind: str
    sort_order: int
    counts: Counts

    @property
    def rate(self) -> float | None:
        return self.counts.rate


@dataclass(frozen=True)
class RankRow:
    rank: int  # competition ranking (1, 1, 3); units without data share the last rank
    unit_id: int | None
    unit_name: str
    counts: Counts
    rate: float | None
    previous_rate: float | None
    change: float | None  # rate − previous_rate, when both are known


@dataclass(frozen=True)
class Review:
    quarter: str
    start: date
    end: date
    rows: list[RankRow]
    below: list[CadreRow]  # cadres whose rate is under the threshold, lowest first
    threshold: float
    previous_quarter: str = ""


@dataclass(frozen=True)
class AbsenceItem:
    cadre_name: str
    cadre_id: int  # two namesakes in one unit are two people
    post_title: str  # the post held on the session's day
    session_title: str
    starts_at: datetime


@dataclass(frozen=True)
class AbsenceGroup:
    unit_name: str
    items: list[AbsenceItem]


@dataclass(frozen=True)
class SessionTurnout:
    session_id: int
    title: str
    topic: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    location: str
    status: str
    participants: int
    counts: Counts

    @property
    def rate(self) -> float | None:
        return self.counts.rate


@dataclass(frozen=True)
class TopicTurnout:
    topic: str
    sessions: int
    counts: Counts

    @property
    def rate(self) -> float | None:
        return self.counts.rate


@dataclass(frozen=True)
class Attendee:
    """One participant of a trip or secondment: who went (status attended) and who did not."""

    session_id: int
    cadre_id: int
    cadre_name: str
    unit_name: str
    post_title: str
    status: str | None

    @property
    def went(self) -> bool:
        if self.status is None or self.status not in status_values():
            return False
        spec = status_spec(self.status)
        return spec.attended or spec.represented


@dataclass(frozen=True)
class ProgrammeSummary:
    programme_id: int
    title: str
    kind: str
    start: date | None
    end: date | None
    total: Counts
    sessions: list[SessionTurnout]  # cancelled sessions are listed (status) with empty counts
    topics: list[TopicTurnout]  # lectures: turnout per topic
    attendees: list[Attendee]  # trips and secondments: who went

    @property
    def rate(self) -> float | None:
        return self.total.rate


@dataclass(frozen=True)
class BehindRow:
    session_id: int
    title: str
    starts_at: datetime
    cadre_name: str
    unit_name: str  # the unit held on the session's day (Participant.unit_id)
    status: str | None
    current_unit_name: str = ""  # the cadre's unit today

    @property
    def unit_changed(self) -> bool:
        """The cadre attended this session from another unit than today's."""
        return self.unit_name != self.current_unit_name


# ---------------------------------------------------------------- helpers
def check_period(start: date, end: date) -> None:
    if end < start:
        raise EndBeforeStart(start=start, end=end, field="end")


def _in_period(start: date | None, end: date | None) -> list[Any]:
    """Conditions: the session is not cancelled and starts within the local days [start, end]."""
    cond: list[Any] = [col(TrainingSession.status) != SessionStatus.CANCELLED.value]
    if start is not None:
        cond.append(col(TrainingSession.starts_at) >= local_midnight(start))
    if end is not None:
        cond.append(col(TrainingSession.starts_at) < local_midnight(end + timedelta(days=1)))
    return cond


def _rate_key(counts: Counts) -> Fraction | None:
    """Exact rate for comparisons: 2/3 and 4/6 tie, whatever floats make of them."""
    denominator = counts.expected - counts.excused
    return Fraction(counts.attended, denominator) if denominator > 0 else None


def previous_quarter(quarter: str) -> str:
    start, _ = quarter_bounds(quarter)
    before = start - timedelta(days=1)
    return f"{before.year}Q{(before.month - 1) // 3 + 1}"


def review_threshold(ctx: Context) -> float:
    """A threshold set in the system config wins, then the office setting in the database, then 80%."""
    settings = ctx.settings
    if settings is not None and "threshold" in (settings.extra.get("reports") or {}):
        return float(settings.review_threshold)
    with ctx.db.read() as s:
        row = s.get(AppSetting, "review_threshold")
    if row is not None and row.value.strip():
        try:
            value = float(row.value.strip().rstrip("%"))
        except ValueError:
            value = None
        if value is not None:
            return value / 100 if value > 1 else value
    return float(settings.review_threshold) if settings is not None else DEFAULT_THRESHOLD


# ---------------------------------------------------------------- per cadre
@bulk_read
def attendance_by_cadre(
    ctx: Context,
    start: date,
    end: date,
    *,
    unit_id: int | None = None,
    kind: str | None = None,
    search: str | None = None,
    unit_kind: str | None = None,
    first_cadres: int | None = None,
) -> list[CadreRow]:
    """One row per cadre who was a participant in the period, in roster order.

    Without `unit_id` a row shows the cadre's current unit and all their sessions (attendance belongs to
    the person). With `unit_id` only the sessions attended while holding a post in that unit count, so the
    cadre rows of a unit add up to its `attendance_by_unit` row. `kind` is a programme kind; `unit_kind`
    limits to sessions held while in a unit of that kind.

    `first_cadres`: only the participants among that many first cadres of the roster order — the start of the
    full list, exactly (a screen paints it while the whole list of a large roster is still being read).
    """
    check_period(start, end)
    with ctx.db.read() as s:
        return _cadre_rows(
            s,
            ctx.now(),
            start,
            end,
            unit_id=unit_id,
            kind=kind,
            search=search,
            unit_kind=unit_kind,
            first_cadres=first_cadres,
        )


def first_cadres_pay(start: date, end: date) -> bool:
    """Whether a first screenful (`first_cadres`) comes quicker than the whole list: the period is whole
    quarters and years, read from the tallies by key. The raw rows at a period's edges, read for a few
    cadres, go by cadre through ten years of participations: slower than the whole list's scan by date."""
    return not tallies.spans(start, end).edges


def _search_words(search: str | None, shown_unit: Any) -> list[Any]:
    """Each word of `search` must be in the cadre's name, the unit shown, the post or the person number."""
    out = []
    for word in (search or "").split():
        like = like_pattern(word)
        out.append(
            sa.or_(
                col(Cadre.name).like(like, escape="\\"),
                shown_unit.name.like(like, escape="\\"),
                col(Cadre.post_title).like(like, escape="\\"),
                col(Cadre.ref).like(like, escape="\\"),
            )
        )
    return out


def _cadre_rows(
    s: Session,
    now: datetime,
    start: date | None,
    end: date | None,
    *,
    unit_id: int | None = None,
    kind: str | None = None,
    search: str | None = None,
    unit_kind: str | None = None,
    use_tallies: bool = True,  # False: from the raw rows (tests compare the two; `kind` always does)
    rate_below: float | None = None,  # only the rows whose rate is defined and under it
    first_cadres: int | None = None,  # only among the roster's first cadres (attendance_by_cadre)
) -> list[CadreRow]:
    if use_tallies and kind is None and start is not None and end is not None and tallies.usable():
        return _cadre_rows_tallied(
            s,
            now,
            start,
            end,
            unit_id=unit_id,
            search=search,
            unit_kind=unit_kind,
            rate_below=rate_below,
            first_cadres=first_cadres,
        )
    shown_unit = aliased(Unit)  # the unit displayed on the row
    at_time = aliased(Unit)  # the unit held on the session's day
    unit_key = col(Participant.unit_id) if unit_id is not None else col(Cadre.unit_id)
    stmt = (
        select(
            Cadre.id,
            Cadre.name,
            Cadre.ref,
            shown_unit.id,
            shown_unit.name,
            Cadre.post_title,
            Cadre.role,
            *count_columns(col(Participant.status), now),
        )
        .select_from(Participant)
        .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
        .join(Cadre, col(Participant.cadre_id) == Cadre.id)
        .join(shown_unit, unit_key == shown_unit.id, isouter=True)
        .where(*_in_period(start, end))
    )
    if unit_id is not None:
        stmt = stmt.where(col(Participant.unit_id) == unit_id)
    if unit_kind:
        stmt = stmt.join(at_time, col(Participant.unit_id) == at_time.id).where(at_time.kind == unit_kind)
    if kind:
        stmt = stmt.join(Programme, col(TrainingSession.programme_id) == Programme.id).where(
            Programme.kind == kind
        )
    stmt = stmt.where(*_search_words(search, shown_unit))
    stmt = stmt.group_by(
        Cadre.id, Cadre.name, Cadre.ref, shown_unit.id, shown_unit.name, Cadre.post_title, Cadre.role
    ).order_by(
        sa.nulls_last(sa.func.max(shown_unit.kind).desc()),
        sa.func.max(shown_unit.sort_order),
        sa.func.max(_ROLE_ORDER),
        Cadre.id,
    )
    rows = [
        CadreRow(
            cadre_id=r[0],
            name=r[1],
            ref=r[2],
            unit_id=r[3],
            unit_name=r[4] or NO_UNIT,
            post_title=r[5],
            role=r[6],
            counts=counts_from_row(r[7:]),
        )
        for r in s.exec(stmt).all()
    ]
    if rate_below is not None:
        rows = [r for r in rows if _under(r.counts, rate_below)]
    if unit_id is not None or not rows:
        return rows  # a unit's rows show the unit held at the time already
    shown = {r.cadre_id: r.unit_id for r in rows}
    elsewhere = _units_elsewhere(s, shown, start, end, kind=kind, unit_kind=unit_kind)
    return [replace(r, elsewhere=elsewhere[r.cadre_id]) if r.cadre_id in elsewhere else r for r in rows]


_FEW_ROWS = 1000  # up to this many cadres left, the roster is read by id instead of whole


def _cadre_rows_tallied(
    s: Session,
    now: datetime,
    start: date,
    end: date,
    *,
    unit_id: int | None,
    search: str | None,
    unit_kind: str | None,
    rate_below: float | None = None,
    first_cadres: int | None = None,
) -> list[CadreRow]:
    """`_cadre_rows` from the maintained tallies. SQL gives the figures per cadre (kept per cadre for all
    time, 0017, else summed from the tallies) and the roster in its order (one row per cadre), and a second statement lists the (cadre, unit) figures held elsewhere than the
    unit shown; Python only builds the rows. `rate_below` drops rows by their rate before any other work: SQL
    drops those surely not under it (the review keeps a few hundred of 9,000), the exact test the rest, and the
    roster is then read for the cadres kept only, when they are few."""
    assert first_cadres is None or rate_below is None, "a first screenful is of the whole list"
    shown_unit = aliased(Unit)
    unit_key = sa.literal(unit_id) if unit_id is not None else col(Cadre.unit_id)
    stmt = (
        sa.select(
            col(Cadre.id),
            col(Cadre.name),
            col(Cadre.ref),
            shown_unit.id,
            col(Cadre.post_title),
            col(Cadre.role),
        )
        .select_from(Cadre)
        .join(shown_unit, unit_key == shown_unit.id, isouter=True)
        .where(*_search_words(search, shown_unit))
        .order_by(sa.nulls_last(shown_unit.kind.desc()), shown_unit.sort_order, _ROLE_ORDER, Cadre.id)
    )
    # a first screenful: the first cadres of the roster order (SQL keeps the top ones, no full sort), and the
    # figures of those only; the participants among them are the start of the full list
    some: list[int] | None = None
    if first_cadres is not None:
        top = stmt.with_only_columns(col(Cadre.id)).limit(first_cadres)
        some = list(s.connection().execute(top).scalars())
        if not some:
            return []
    whole = tally_all.covers(s, start, end)  # every session counted: the all-time rows (0016)
    per_cadre: Any
    if whole and unit_id is None and not unit_kind:
        # every session of every unit: the per-cadre sums are kept (0017), one row per cadre
        c = tally_all.PER_CADRE.c
        per_cadre = sa.select(c.cadre_id, *(c[n] for n in tallies.TALLY_COLUMNS)).where(
            c.expected + c.untaken > 0  # someone there, taken or not
        )
        if some is not None:
            per_cadre = per_cadre.where(c.cadre_id.in_(some))
        if rate_below is not None:
            per_cadre = per_cadre.where(_rate_may_be_below(c.__getitem__, rate_below))
    else:
        f = tallies.pieces(start, end, unit_id=unit_id, unit_kind=unit_kind, whole=whole).c

        def summed(name: str) -> Any:
            return sa.func.sum(f[name])

        per_cadre = (
            # BIGINT: PostgreSQL sums a BIGINT union column (edges) as NUMERIC; Counts takes values as they are
            sa.select(
                f.cadre_id, *(sa.cast(summed(n), sa.BigInteger).label(n) for n in tallies.TALLY_COLUMNS)
            )
            .group_by(f.cadre_id)
            .having(summed("expected") + summed("untaken") > 0)  # someone there, taken or not
        )
        if some is not None:
            per_cadre = per_cadre.where(f.cadre_id.in_(some))
        if rate_below is not None:
            per_cadre = per_cadre.having(_rate_may_be_below(summed, rate_below))
    # two plain statements, joined here: SQL reads (or sums, in cadre order: 0014's index, no sort) the figures
    # and reads the roster in its order; one statement joining the two made SQLite materialise and sort both
    figures = s.connection().execute(per_cadre).all()
    if not figures:
        return []
    future = tallies.futures(s, now, start, end, unit_id=unit_id, unit_kind=unit_kind, cadre_ids=some)
    # each kept cadre's figures; the Counts are made as the rows are, in the roster's order
    figures_of: dict[int, Sequence[int]] = {row[0]: row[1:] for row in figures}
    for cadre_id, n in future.items():  # untaken counts the sessions to come too; not taken only begun ones
        values = figures_of.get(cadre_id)
        if values is not None:
            figures_of[cadre_id] = (*values[:-1], values[-1] - n)
    make = Counts.maker()
    if rate_below is not None:
        figures_of = {c: v for c, v in figures_of.items() if _under(make(v), rate_below)}
        if not figures_of:
            return []
    if len(figures_of) <= _FEW_ROWS and some is None:  # a few left (the review's cadres below a threshold)
        stmt = stmt.where(col(Cadre.id).in_(list(figures_of)))
    if some is not None:
        stmt = stmt.where(col(Cadre.id).in_(some))
    roster = [r for r in s.connection().execute(stmt).all() if r[0] in figures_of]
    # the units' names from one read of the unit table (a few hundred), not one copy per row
    names = unit_names_in(s) if roster else {}
    elsewhere: dict[int, tuple[tuple[str, int], ...]] = {}
    if unit_id is None and roster:
        if whole:  # the all-time rows compare with the cadre's current unit, the one his row shows
            elsewhere = _elsewhere_all_time(s, figures_of, unit_kind, names)
        else:
            elsewhere = _elsewhere_tallied(s, {r[0]: r[3] for r in roster}, start, end, unit_kind)
    away = elsewhere.get
    return [
        CadreRow(
            cadre_id,
            name,
            ref,
            unit,
            (names.get(unit) if unit is not None else None) or NO_UNIT,
            post,
            role,
            make(figures_of[cadre_id]),
            away(cadre_id, ()),
        )
        for cadre_id, name, ref, unit, post, role in roster
    ]


def _under(counts: Counts, limit: float) -> bool:
    rate = counts.rate
    return rate is not None and rate < limit


def _rate_may_be_below(figure: Callable[[str], Any], limit: float) -> Any:
    """SQL over a cadre's figures (`figure(column)`: a stored or a summed tally column): false only where the
    rate is defined and surely not under `limit`. Attended and the denominator are integers; the half keeps
    floating point from dropping a rate that is just under (`_under` decides), and an undefined rate is left
    to it too."""
    attended = sum((figure(v) for v in attended_values()), sa.literal(0))
    denominator = figure("expected") - sum((figure(v) for v in excused_values()), sa.literal(0))
    return sa.or_(denominator <= 0, attended < denominator * limit + 0.5)


def _elsewhere_all_time(
    s: Session, shown: Collection[int], unit_kind: str | None, names: dict[int, str]
) -> dict[int, tuple[tuple[str, int], ...]]:
    """`_elsewhere_tallied` for a period that holds every session: one `tally_all` row per (cadre, unit), in
    the order of its first session (`first_at`); nothing to break ties with from other tables. `shown`: the
    cadres wanted, each compared with his current unit."""
    figures = tallies.pieces(date.min, date.max, unit_id=None, unit_kind=unit_kind, first=True, whole=True)
    f = figures.c
    sessions = f.expected + f.untaken  # every participation, taken or not (to come too)
    stmt = (
        sa.select(f.cadre_id, f.unit_key, sessions)
        .select_from(figures)
        .join(Cadre, col(Cadre.id) == f.cadre_id)
        .where(f.unit_key != sa.func.coalesce(col(Cadre.unit_id), 0), sessions > 0)
        .order_by(f.cadre_id, f.first, f.unit_key)
    )
    if len(shown) <= _FEW_ROWS:  # a few rows (the cadres below a threshold): their tallies only
        stmt = stmt.where(f.cadre_id.in_(list(shown)))
    rows = s.connection().execute(stmt).all()
    if not rows:
        return {}
    # the rows come in cadre order: one tuple per cadre, built from its run of rows
    return {
        cadre_id: tuple((names.get(int(key)) or NO_UNIT, int(n)) for _, key, n in run)
        for cadre_id, run in groupby(rows, key=itemgetter(0))
        if cadre_id in shown
    }


def _elsewhere_tallied(
    s: Session,
    shown: dict[int, int | None],
    start: date,
    end: date,
    unit_kind: str | None,
) -> dict[int, tuple[tuple[str, int], ...]]:
    """Per cadre of `shown` (cadre -> the unit his row shows), the units held at the time of his sessions that
    differ from it, with their number of sessions, in the order of their first session."""
    figures = tallies.pieces(start, end, unit_id=None, unit_kind=unit_kind, first=True)
    f = figures.c
    sessions = sa.func.sum(f.expected + f.untaken)  # every participation, taken or not (to come too)
    stmt = (
        sa.select(f.cadre_id, f.unit_key, sessions, sa.func.min(f.first))
        .select_from(figures)
        .join(Cadre, col(Cadre.id) == f.cadre_id)
        .where(f.unit_key != sa.func.coalesce(col(Cadre.unit_id), 0))
        .group_by(f.cadre_id, f.unit_key)
        .having(sessions > 0)
        .order_by(f.cadre_id, f.unit_key)
    )
    if len(shown) <= _FEW_ROWS:  # a few rows (the cadres below a threshold): their tallies only
        stmt = stmt.where(f.cadre_id.in_(list(shown)))
    away: dict[int, list[int | None]] = {}
    counted: dict[tuple[int, int | None], tuple[str, int]] = {}
    first: dict[tuple[int, int | None], date] = {}
    starts: dict[int, date] = {}  # quarter code -> its first day: thousands of rows, forty quarters
    names: dict[int, str] | None = None  # the units' names, read once (a few hundred), not joined per row
    for cadre_id, key, n, quarter in s.connection().execute(stmt).all():
        if cadre_id not in shown:
            continue
        if names is None:
            names = unit_names_in(s)
        unit = int(key) or None
        away.setdefault(cadre_id, []).append(unit)
        counted[(cadre_id, unit)] = (names.get(int(key)) or NO_UNIT, int(n))
        if quarter is not None:
            day = starts.get(quarter)
            if day is None:
                day = starts[quarter] = tallies.period_start(tallies.QUARTERS, int(quarter))
            first[(cadre_id, unit)] = day
    # several units are listed in the order of their first session: the tallies tell it unless two began in
    # the same tally period (or the period has edges); then the raw rows of those few cadres do
    first_known = not tallies.spans(start, end).edges
    tied: set[int] = set()
    exact = _first_sessions(s, first, away, unit_kind) if first_known else {}
    out: dict[int, tuple[tuple[str, int], ...]] = {}
    for cadre_id, units in away.items():
        if len(units) > 1:
            if not first_known:
                tied.add(cadre_id)
                continue
            units.sort(key=lambda u, c=cadre_id: (first[(c, u)], *exact.get((c, u), (date.min, _NEVER))))
        out[cadre_id] = tuple(counted[(cadre_id, u)] for u in units)
    if tied:
        out.update(
            _units_elsewhere(s, {c: shown[c] for c in tied}, start, end, kind=None, unit_kind=unit_kind)
        )
    return out


_NEVER = datetime.max.replace(tzinfo=UTC)
_FEW_CADRES = 20  # up to this many, a cadre's own sessions are fewer rows than a quarter's participants


def _first_sessions(
    s: Session,
    first: dict[tuple[int, int | None], date],
    away: dict[int, list[int | None]],
    unit_kind: str | None,
) -> dict[tuple[int, int | None], tuple[date, datetime]]:
    """A finer key than the first tally period, for the (cadre, unit)s whose first period another unit of the
    same cadre shares: the first quarter (from tally_quarter, that year only), then — still tied — the first
    session's start (raw rows of that quarter, for these few)."""
    tied: dict[int, set[int]] = {}  # year -> cadres with two units first seen in it
    for cadre_id, units in away.items():
        if len(units) > 1:
            firsts = [first[(cadre_id, u)] for u in units]
            for day in {d for d in firsts if firsts.count(d) > 1}:
                tied.setdefault(day.year, set()).add(cadre_id)
    out: dict[tuple[int, int | None], tuple[date, datetime]] = {}
    for year, cadres in tied.items():
        for (cadre_id, unit), quarter in tallies.first_quarters(
            s, year, sorted(cadres), unit_kind=unit_kind
        ).items():
            if (cadre_id, unit) in first and first[(cadre_id, unit)].year == year:
                out[(cadre_id, unit)] = (quarter, _NEVER)
    tied_quarters: dict[date, set[int]] = {}
    for cadre_id, units in away.items():
        keys = [out[(cadre_id, u)][0] for u in units if (cadre_id, u) in out]
        for quarter in {q for q in keys if keys.count(q) > 1}:
            tied_quarters.setdefault(quarter, set()).add(cadre_id)
    for quarter, cadres in tied_quarters.items():
        ids = sorted(cadres)
        last = date(quarter.year + (quarter.month == 10), (quarter.month + 2) % 12 + 1, 1) - timedelta(days=1)
        # many cadres: read the quarter's sessions and their participants (the (session, cadre) index) rather
        # than every session of ten years of each cadre (the cadre index); "+ 0" keeps SQL off the cadre index
        cadre = col(Participant.cadre_id) + 0 if len(ids) > _FEW_CADRES else col(Participant.cadre_id)
        for i in range(0, len(ids), 500):
            stmt = (
                select(
                    Participant.cadre_id,
                    col(Participant.unit_id),
                    sa.func.min(col(TrainingSession.starts_at)),
                )
                .select_from(Participant)
                .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
                .where(*_in_period(quarter, last), cadre.in_(ids[i : i + 500]))
                .group_by(col(Participant.cadre_id), col(Participant.unit_id))
            )
            if unit_kind:
                stmt = stmt.join(Unit, col(Participant.unit_id) == Unit.id).where(Unit.kind == unit_kind)
            for cadre_id, unit, began in s.connection().execute(stmt).all():
                if out.get((cadre_id, unit), (None,))[0] == quarter:
                    out[(cadre_id, unit)] = (quarter, _aware(began))
    return out


def _aware(value: datetime | str) -> datetime:
    """min() over a UTC column comes back without the column's type on SQLite: a string or a naive datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _units_elsewhere(
    s: Session,
    shown: dict[int, int | None],
    start: date | None,
    end: date | None,
    *,
    kind: str | None,
    unit_kind: str | None,
) -> dict[int, tuple[tuple[str, int], ...]]:
    """Per cadre of `shown` (cadre -> the unit his row shows), the units held at the time of his sessions that
    differ from it."""
    at_time = aliased(Unit)
    out: dict[int, list[tuple[str, int]]] = {}
    ids = list(shown)
    for i in range(0, len(ids), 500):
        stmt = (
            select(Participant.cadre_id, col(Participant.unit_id), at_time.name, sa.func.count())
            .select_from(Participant)
            .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
            .join(at_time, col(Participant.unit_id) == at_time.id, isouter=True)
            .where(*_in_period(start, end), col(Participant.cadre_id).in_(ids[i : i + 500]))
            .group_by(col(Participant.cadre_id), col(Participant.unit_id), at_time.name)
            .order_by(col(Participant.cadre_id), sa.func.min(col(TrainingSession.starts_at)))
        )
        if unit_kind:
            stmt = stmt.where(at_time.kind == unit_kind)
        if kind:
            stmt = stmt.join(Programme, col(TrainingSession.programme_id) == Programme.id).where(
                Programme.kind == kind
            )
        for cadre_id, held_unit, held_name, n in s.exec(stmt).all():
            if held_unit != shown[cadre_id]:
                out.setdefault(cadre_id, []).append((held_name or NO_UNIT, int(n)))
    return {c: tuple(v) for c, v in out.items()}


# ---------------------------------------------------------------- per unit
@bulk_read
def attendance_by_unit(
    ctx: Context, start: date, end: date, *, unit_kind: str | None = None
) -> list[UnitRow]:
    """Every active unit (of the kind), plus inactive ones with data, in official order.

    Units with nobody expected have zero counts and an undefined rate.
    """
    check_period(start, end)
    with ctx.db.read() as s:
        return _unit_rows(s, ctx.now(), start, end, unit_kind=unit_kind)


def _unit_rows(
    s: Session,
    now: datetime,
    start: date | None,
    end: date | None,
    *,
    unit_kind: str | None = None,
    use_tallies: bool = True,
) -> list[UnitRow]:
    if use_tallies and start is not None and end is not None and tallies.usable():
        # the kind asked for in SQL: the review ranks 32 townships, not every one of a thousand units
        figures = tallies.counts(s, now, start, end, by="unit", unit_kind=unit_kind)
    else:
        stmt = (
            select(col(Participant.unit_id), *count_columns(col(Participant.status), now))
            .select_from(Participant)
            .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
            .where(*_in_period(start, end))
            .group_by(col(Participant.unit_id))
        )
        figures = {r[0]: counts_from_row(r[1:]) for r in s.exec(stmt).all()}
    # plain columns, not Unit objects: a thousand ORM instances cost more than the figures
    units_stmt = sa.select(
        col(Unit.id), col(Unit.name), col(Unit.kind), col(Unit.sort_order), col(Unit.active)
    )
    if unit_kind:
        units_stmt = units_stmt.where(Unit.kind == unit_kind)
    units = s.execute(units_stmt.order_by(col(Unit.kind).desc(), col(Unit.sort_order), col(Unit.id))).all()
    rows = [
        UnitRow(uid, name, kind, sort_order, figures.get(uid, Counts()))
        for uid, name, kind, sort_order, active in units
        if active or uid in figures
    ]
    if None in figures and not unit_kind:
        rows.append(UnitRow(None, NO_UNIT, "", 10**9, figures[None]))
    return rows


# ---------------------------------------------------------------- quarterly review
def rank_units(rows: Sequence[UnitRow], previous: dict[int | None, float | None]) -> list[RankRow]:
    """Competition ranking by rate (1, 1, 3); units with an undefined rate share the last rank."""
    keyed = [(_rate_key(r.counts), r) for r in rows]  # each exact rate once: Fractions are slow to build
    known = sorted(
        ((key, r) for key, r in keyed if key is not None),
        key=lambda kr: (-kr[0], kr[1].sort_order, kr[1].unit_id or 0),
    )
    unknown = [r for key, r in keyed if key is None]
    out: list[RankRow] = []
    rank = 0
    last_key: Fraction | None = None
    for position, (key, row) in enumerate(known, start=1):
        if key != last_key:
            rank, last_key = position, key
        out.append(_rank_row(rank, row, previous))
    for row in unknown:
        out.append(_rank_row(len(known) + 1, row, previous))
    return out


def _rank_row(rank: int, row: UnitRow, previous: dict[int | None, float | None]) -> RankRow:
    before = previous.get(row.unit_id)
    rate = row.counts.rate
    change = rate - before if rate is not None and before is not None else None
    return RankRow(rank, row.unit_id, row.unit_name, row.counts, rate, before, change)


REVIEW_UNIT_KIND = "township"  # the quarterly review ranks the townships (乡镇、街道) unless asked otherwise


def _below(
    s: Session, now: datetime, start: date, end: date, limit: float, unit_kind: str | None
) -> list[CadreRow]:
    """The one rule for "cadres below the threshold" (the review and the overview both use it): the cadres of the
    review's scope (sessions held while in a unit of `unit_kind`) whose rate is under `limit`, lowest first
    (exact rates: 2/3 and 4/6 tie), then by id."""
    cadres = _cadre_rows(s, now, start, end, unit_kind=unit_kind, rate_below=limit)
    return sorted(cadres, key=lambda c: (_rate_key(c.counts) or 0, c.cadre_id))


@dataclass(frozen=True)
class QuarterFigures:
    """What the overview shows of a quarter: the office-wide rate and the review's cadres below the threshold."""

    quarter: str
    total: Counts
    threshold: float
    below: list[CadreRow]

    @property
    def rate(self) -> float | None:
        return self.total.rate


def quarter_figures(
    ctx: Context, quarter: str, *, unit_kind: str | None = REVIEW_UNIT_KIND
) -> QuarterFigures:
    """The overview's figures: cheaper than the whole review (no ranking, no previous quarter), and the same
    "below" list as `quarterly_review` (same threshold, same scope) because both come from `_below`."""
    start, end = quarter_bounds(quarter)
    limit = review_threshold(ctx)
    now = ctx.now()
    with ctx.db.read() as s:
        if tallies.usable():
            total = tallies.counts(s, now, start, end, by="total").get(None, Counts())
        else:
            total = counts_from_row(
                s.exec(
                    select(*count_columns(col(Participant.status), now))
                    .select_from(Participant)
                    .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
                    .where(*_in_period(start, end))
                ).one()
            )
        below = _below(s, now, start, end, limit, unit_kind)
    return QuarterFigures(quarter_label(quarter), total, limit, below)


@bulk_read
def quarterly_review(
    ctx: Context, quarter: str, *, threshold: float | None = None, unit_kind: str | None = REVIEW_UNIT_KIND
) -> Review:
    """季度讲评: units ranked by rate, change against the previous quarter, cadres under the threshold."""
    start, end = quarter_bounds(quarter)
    prev = previous_quarter(quarter)
    prev_start, prev_end = quarter_bounds(prev)
    limit = review_threshold(ctx) if threshold is None else threshold
    if not 0 <= limit <= 1:
        raise ValidationError("report.threshold_range", field="threshold", value=limit)
    now = ctx.now()
    with ctx.db.read() as s:
        rows = _unit_rows(s, now, start, end, unit_kind=unit_kind)
        before = {
            r.unit_id: r.counts.rate for r in _unit_rows(s, now, prev_start, prev_end, unit_kind=unit_kind)
        }
        below = _below(s, now, start, end, limit, unit_kind)
    return Review(quarter_label(quarter), start, end, rank_units(rows, before), below, limit, prev)


# ---------------------------------------------------------------- absence notice
@bulk_read
def absences(ctx: Context, start: date, end: date) -> list[AbsenceGroup]:
    """Unexcused absences (缺席) of a period, grouped by the unit held at the time, in official order."""
    check_period(start, end)
    stmt = (
        select(
            Participant.cadre_id,
            Cadre.name,
            Cadre.post_title,
            Unit.name,
            TrainingSession.title,
            Programme.title,
            TrainingSession.starts_at,
        )
        .select_from(Participant)
        .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
        .join(Programme, col(TrainingSession.programme_id) == Programme.id)
        .join(Cadre, col(Participant.cadre_id) == Cadre.id)
        .join(Unit, col(Participant.unit_id) == Unit.id, isouter=True)
        .where(*_in_period(start, end), col(Participant.status).in_(notice_values()))
        .order_by(
            sa.nulls_last(col(Unit.kind).desc()),
            col(Unit.sort_order),
            col(Unit.id),
            col(TrainingSession.starts_at),
            _ROLE_ORDER,
            col(Cadre.id),
        )
    )
    with ctx.db.read() as s:
        rows = s.exec(stmt).all()
        posts = _posts_on(s, [(r[0], local_date(r[6])) for r in rows])
    groups: dict[str, list[AbsenceItem]] = {}
    for cadre_id, name, current_post, unit_name, title, programme_title, starts_at in rows:
        post = posts.get((cadre_id, local_date(starts_at)), current_post)
        groups.setdefault(unit_name or NO_UNIT, []).append(
            AbsenceItem(name, cadre_id, post, title or programme_title, starts_at)
        )
    return [AbsenceGroup(unit, items) for unit, items in groups.items()]


def _posts_on(s: Session, wanted: list[tuple[int, date]]) -> dict[tuple[int, date], str]:
    """The post title each cadre held on each day (only for the few absent rows of a notice)."""
    ids = sorted({c for c, _ in wanted})
    if not ids:
        return {}
    history: dict[int, list[Post]] = {}
    for p in s.exec(select(Post).where(col(Post.cadre_id).in_(ids)).order_by(col(Post.start_date))):
        history.setdefault(p.cadre_id, []).append(p)
    out: dict[tuple[int, date], str] = {}
    for cadre_id, day in wanted:
        for p in history.get(cadre_id, []):
            if p.start_date <= day and (p.end_date is None or day <= p.end_date):
                out[(cadre_id, day)] = p.post_title
    return out


_CN_NUMBERS = "一二三四五六七八九十"


def _cn_number(n: int) -> str:
    if n <= 10:
        return _CN_NUMBERS[n - 1]
    if n < 20:
        return "十" + _CN_NUMBERS[n - 11]
    tens, ones = divmod(n, 10)
    return _CN_NUMBERS[tens - 1] + "十" + (_CN_NUMBERS[ones - 1] if ones else "")


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def absence_notice_text(groups: Sequence[AbsenceGroup], start: date, end: date) -> str:
    """Plain text for a 通报: a heading, a lead paragraph, one numbered paragraph per unit, a closing line."""
    period = _cn_date(start) if start == end else f"{_cn_date(start)}至{_cn_date(end)}"
    total = sum(len(g.items) for g in groups)
    lines = [f"关于{period}干部教育培训无故缺席情况的通报", ""]
    if total == 0:
        lines.append(f"{period}，全县干部教育培训无无故缺席情况。")
        return "\n".join(lines) + "\n"
    people = len({i.cadre_id for g in groups for i in g.items})
    lines.append(
        f"{period}，全县干部教育培训共有{len(groups)}个单位{people}名干部无故缺席{total}人次。"
        "现将有关情况通报如下："
    )
    lines.append("")
    for number, group in enumerate(groups, start=1):
        parts = []
        for item in group.items:
            who = f"{item.post_title}{item.cadre_name}"  # 镇党委书记张三: the usual order in a notice
            when = _cn_month_day(item.starts_at)
            parts.append(f"{who}未参加{when}“{item.session_title}”")
        lines.append(
            f"{_cn_number(number)}、{group.unit_name}（{len(group.items)}人次）：" + "；".join(parts) + "。"
        )
    lines.append("")
    lines.append("请以上单位认真查找原因、严肃整改，严格执行请假报批制度。")
    return "\n".join(lines) + "\n"


def elsewhere_note(row: CadreRow) -> str:
    """The ledger's 备注 for sessions attended while in another unit than the row shows: 其中2场时在牛场镇."""
    if not row.elsewhere:
        return ""
    return "其中" + "、".join(f"{n}场时在{unit}" for unit, n in row.elsewhere)


def _cn_month_day(value: datetime) -> str:
    local = to_local(value)
    return f"{local.month}月{local.day}日"


# ---------------------------------------------------------------- programme summary
def programme_summary(
    ctx: Context, programme_id: int, start: date | None = None, end: date | None = None
) -> ProgrammeSummary:
    """Turnout per session (and per topic for lectures); for trips and secondments, who went."""
    if start is not None and end is not None:
        check_period(start, end)
    now = ctx.now()
    with ctx.db.read() as s:
        programme = s.get(Programme, programme_id)
        if programme is None:
            raise NotFoundError(
                "record.not_found", field="programme", entity="programme", ref=f"#{programme_id}"
            )
        period: list[Any] = []
        if start is not None:
            period.append(col(TrainingSession.starts_at) >= local_midnight(start))
        if end is not None:
            period.append(col(TrainingSession.starts_at) < local_midnight(end + timedelta(days=1)))
        counted = col(TrainingSession.status) != SessionStatus.CANCELLED.value
        # participants of cancelled sessions count nowhere: null their status and the not-taken count
        status = sa.case((counted, col(Participant.status)), else_=None)
        stmt = (
            select(
                TrainingSession,
                sa.func.count(col(Participant.id)),
                *count_columns(status, now),
            )
            .select_from(TrainingSession)
            .join(Participant, col(Participant.session_id) == TrainingSession.id, isouter=True)
            .where(TrainingSession.programme_id == programme_id, *period)
            .group_by(col(TrainingSession.id))
            .order_by(col(TrainingSession.starts_at), col(TrainingSession.id))
        )
        sessions = []
        for row, n, *values in s.exec(stmt).all():
            cancelled = row.status == SessionStatus.CANCELLED.value
            sessions.append(
                SessionTurnout(
                    session_id=row.id or 0,
                    title=row.title or programme.title,
                    topic=row.topic,
                    starts_at=row.starts_at,
                    ends_at=row.ends_at,
                    all_day=row.all_day,
                    location=row.location,
                    status=row.status,
                    participants=int(n),
                    counts=Counts() if cancelled else counts_from_row(values),
                )
            )
        topic_stmt = (
            select(
                TrainingSession.topic,
                sa.func.count(sa.distinct(col(TrainingSession.id))),
                *count_columns(col(Participant.status), now),
            )
            .select_from(TrainingSession)
            .join(Participant, col(Participant.session_id) == TrainingSession.id, isouter=True)
            .where(TrainingSession.programme_id == programme_id, counted, *period)
            .group_by(TrainingSession.topic)
            .order_by(sa.func.min(col(TrainingSession.starts_at)))
        )
        topics = [TopicTurnout(t or "", int(n), counts_from_row(v)) for t, n, *v in s.exec(topic_stmt).all()]
        attendees: list[Attendee] = []
        if programme.kind in (ProgrammeKind.STUDY_TRIP.value, ProgrammeKind.SECONDMENT.value):
            who = (
                select(Participant, Cadre.name, Cadre.post_title, Unit.name)
                .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
                .join(Cadre, col(Participant.cadre_id) == Cadre.id)
                .join(Unit, col(Participant.unit_id) == Unit.id, isouter=True)
                .where(TrainingSession.programme_id == programme_id, counted, *period)
                .order_by(
                    col(TrainingSession.starts_at),
                    sa.nulls_last(col(Unit.kind).desc()),
                    col(Unit.sort_order),
                    _ROLE_ORDER,
                    col(Cadre.id),
                )
            )
            attendees = [
                Attendee(p.session_id, p.cadre_id, name, unit or NO_UNIT, post, p.status)
                for p, name, post, unit in s.exec(who).all()
            ]
    total = sum((t.counts for t in sessions), Counts())
    return ProgrammeSummary(
        programme_id, programme.title, programme.kind, start, end, total, sessions, topics, attendees
    )


# ---------------------------------------------------------------- drill-down and trend
def sessions_behind(
    ctx: Context,
    *,
    cadre_id: int | None = None,
    unit_id: int | None = None,
    start: date,
    end: date,
) -> list[BehindRow]:
    """The participant records behind a figure: for a cadre (all their sessions) or a unit (held there)."""
    check_period(start, end)
    today = aliased(Unit)
    stmt = (
        select(
            TrainingSession.id,
            TrainingSession.title,
            Programme.title,
            TrainingSession.starts_at,
            Cadre.name,
            Unit.name,
            Participant.status,
            today.name,
        )
        .select_from(Participant)
        .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
        .join(Programme, col(TrainingSession.programme_id) == Programme.id)
        .join(Cadre, col(Participant.cadre_id) == Cadre.id)
        .join(Unit, col(Participant.unit_id) == Unit.id, isouter=True)
        .join(today, col(Cadre.unit_id) == today.id, isouter=True)
        .where(*_in_period(start, end))
        .order_by(col(TrainingSession.starts_at), col(TrainingSession.id), _ROLE_ORDER, col(Cadre.id))
    )
    if cadre_id is not None:
        stmt = stmt.where(Participant.cadre_id == cadre_id)
    if unit_id is not None:
        stmt = stmt.where(Participant.unit_id == unit_id)
    with ctx.db.read() as s:
        return [
            BehindRow(sid or 0, title or ptitle, at, name, unit or NO_UNIT, status, current or NO_UNIT)
            for sid, title, ptitle, at, name, unit, status, current in s.exec(stmt).all()
        ]


def rate_trend(
    ctx: Context, quarters: list[str], *, unit_id: int | None = None, cadre_id: int | None = None
) -> list[tuple[str, float | None]]:
    """(quarter, rate) for a small chart; a unit's figures use the unit held at the time."""
    out: list[tuple[str, float | None]] = []
    now = ctx.now()
    with ctx.db.read() as s:
        for quarter in quarters:
            start, end = quarter_bounds(quarter)
            stmt = (
                select(*count_columns(col(Participant.status), now))
                .select_from(Participant)
                .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
                .where(*_in_period(start, end))
            )
            if unit_id is not None:
                stmt = stmt.where(Participant.unit_id == unit_id)
            if cadre_id is not None:
                stmt = stmt.where(Participant.cadre_id == cadre_id)
            out.append((quarter_label(quarter), counts_from_row(s.exec(stmt).one()).rate))
    return out


def quarters_before(quarter: str, n: int) -> list[str]:
    """The `n` quarters ending with `quarter`, oldest first (for trend charts)."""
    out = [quarter_label(quarter)]
    while len(out) < n:
        out.insert(0, previous_quarter(out[0]))
    return out


def quarter_label(quarter: str) -> str:
    start, _ = quarter_bounds(quarter)
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"
