"""The 学时 ledger from maintained tallies (migration 0012) instead of the raw participant rows.

`hours_tally_year` holds, per (local year the session starts in, cadre), the 学时 and days earned in sessions
held here: Σ max(0, worth × status share − leave), the same sum `hours._earned_by_cadre` makes over the raw
rows. The worth of a session depends on the rules, which live in Python (defaults, office settings, system
config), so the numbers the tallies were computed with are copied into `hours_rule`; the triggers read them
from there. Triggers keep the tallies right in every write's transaction: participant insert/delete/update
(session, cadre, status, leave), training_session update (status, times, all day, override, programme) and
delete, programme update (kind, override). Changing a rule (`apply_rules`, called by `hours.set_rule` in its
transaction) bumps the `__stamp` row, and a trigger recomputes every tally.

The ledger reads the tallies only when `hours_rule` holds exactly the rules of the call (`matches`); with other
rules — a `rules=` preview, a system config `[hours]` table the database has not been told about yet — it
reads the raw rows (right, only slower). An administrator's ledger copies new config rules in (`sync`).

The trigger SQL lives here and migration 0012 calls it; a change to it needs a new migration that recreates
the triggers. `differences` compares the tallies and the rules with the raw rows for `check`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, col

from zhijin_training.db import triggers
from zhijin_training.models import TrainingSession

if TYPE_CHECKING:
    from zhijin_training.services.hours import Rules

STAMP = "__stamp"
TABLE = "hours_tally_year"
RULES_TABLE = "hours_rule"
TIMED_BY_DAY = ("course", "secondment", "study_trip")  # hours._TIMED_BY_DAY (checked by a test)
TOLERANCE = 1e-6  # stored sums are floats added and subtracted in another order than a fresh sum


# ---------------------------------------------------------------- the rules as numbers
def rule_numbers(rules: Rules) -> dict[str, float]:
    """The rules the worth and the shares depend on, as `hours_rule` holds them (targets and the leave share
    do not enter the tallies)."""
    from zhijin_training.services.hours import ROUNDING

    out: dict[str, float] = {}
    for key, value in rules.values.items():
        if key.startswith("target.") or key == "leave.max_share":
            continue
        out[key] = float(ROUNDING.index(value)) if key == "rounding" else float(value)
    return out


def stored_numbers(s: Session) -> dict[str, float]:
    rows = s.execute(sa.text(f"SELECT key, num FROM {RULES_TABLE} WHERE key != :stamp"), {"stamp": STAMP})
    return {str(k): float(v) for k, v in rows.all()}


def matches(s: Session, rules: Rules) -> bool:
    """The tallies were computed with exactly these rules."""
    return stored_numbers(s) == rule_numbers(rules)


def apply_rules(s: Session, rules: Rules) -> bool:
    """Inside a write transaction: make `hours_rule` hold `rules` and recompute every tally (the stamp's
    trigger does). False when they already did."""
    want, have = rule_numbers(rules), stored_numbers(s)
    if want == have:
        return False
    for key in have.keys() - want.keys():
        s.execute(sa.text(f"DELETE FROM {RULES_TABLE} WHERE key = :k"), {"k": key})
    for key, num in want.items():
        if key not in have:
            s.execute(sa.text(f"INSERT INTO {RULES_TABLE} (key, num) VALUES (:k, :n)"), {"k": key, "n": num})
        elif have[key] != num:
            s.execute(sa.text(f"UPDATE {RULES_TABLE} SET num = :n WHERE key = :k"), {"k": key, "n": num})
    s.execute(sa.text(f"UPDATE {RULES_TABLE} SET num = num + 1 WHERE key = :k"), {"k": STAMP})
    return True


# ---------------------------------------------------------------- reading
def earned_by_cadre(
    s: Session, first_year: int, last_year: int, cadre_ids: Sequence[int] | None = None
) -> dict[int, tuple[float, float]]:
    """cadre -> (centralised 学时, days) earned here in the years first_year..last_year (whole years)."""
    t = sa.table(TABLE, sa.column("year"), sa.column("cadre_id"), sa.column("hours"), sa.column("days"))
    c = t.c
    stmt = sa.select(c.cadre_id, sa.func.sum(c.hours), sa.func.sum(c.days)).where(
        c.year >= first_year, c.year <= last_year
    )
    out: dict[int, tuple[float, float]] = {}
    chunks = (
        [None] if cadre_ids is None else [list(cadre_ids)[i : i + 500] for i in range(0, len(cadre_ids), 500)]
    )
    for chunk in chunks:
        part = stmt if chunk is None else stmt.where(c.cadre_id.in_(chunk))
        for cid, h, d in s.execute(part.group_by(c.cadre_id)).all():
            out[int(cid)] = (float(h or 0.0), float(d or 0.0))
    return out


def cadres_with_rows(year: int) -> Any:
    """A subquery of the cadres with a tally row for `year` (figures possibly subtracted back to zero)."""
    t = sa.table(TABLE, sa.column("year"), sa.column("cadre_id"))
    return sa.select(t.c.cadre_id).where(t.c.year == year)


# ---------------------------------------------------------------- the trigger SQL
def _rule(key_sql: str) -> str:
    return f"(SELECT num FROM {RULES_TABLE} WHERE key = {key_sql})"


def _named(key: str) -> str:
    return _rule(f"'{key}'")


def worth_sql(
    dialect: str, *, kind: str, all_day: str, starts: str, ends: str, s_hours: str, p_hours: str
) -> tuple[str, str]:
    """(学时, days) of a session, `hours.session_worth` written out over `hours_rule` (as `_worth_sql` does
    with literals): the session's override, the programme's, else the rules."""
    pg = dialect == "postgresql"
    if pg:
        minutes = f"CAST(ROUND(EXTRACT(EPOCH FROM ({ends} - {starts})) / 60) AS INTEGER)"
    else:
        minutes = f"CAST(ROUND((julianday({ends}) - julianday({starts})) * 1440) AS INTEGER)"

    def floor(x: str) -> str:  # x ≥ 0 here; CAST truncates in SQLite
        return f"FLOOR({x})" if pg else f"CAST({x} AS INTEGER)"

    least = "LEAST" if pg else "MIN"
    full_day = _named("full_day")
    day_count = f"(CASE WHEN ROUND({minutes} / 1440.0) < 1 THEN 1 ELSE ROUND({minutes} / 1440.0) END)"
    per_day = f"COALESCE({_rule(f'{kind} || {chr(39)}.per_day{chr(39)}')}, {full_day})"
    cap = f"COALESCE({_rule(f'{kind} || {chr(39)}.cap{chr(39)}')}, 0)"
    all_day_hours = (
        f"(CASE WHEN {cap} > 0 THEN {least}({day_count} * {per_day}, {cap}) ELSE {day_count} * {per_day} END)"
    )
    half = f"({minutes} <= {_named('half_day_max_minutes')})"
    by_day = f"({kind} IN ({', '.join(repr(k) for k in TIMED_BY_DAY)}))"
    per_hour = f"COALESCE({_rule(f'{kind} || {chr(39)}.per_hour{chr(39)}')}, 0)"
    raw = f"({minutes} / 60.0 * {per_hour})"
    # the index of each way in hours.ROUNDING: none, half, whole, down, down_half
    rounded = (
        f"(CASE {_named('rounding')} "
        f"WHEN 1 THEN {floor(f'{raw} * 2 + 0.5 + 1e-9')} / 2.0 "
        f"WHEN 2 THEN {floor(f'{raw} + 0.5 + 1e-9')} * 1.0 "
        f"WHEN 3 THEN {floor(f'{raw} + 1e-9')} * 1.0 "
        f"WHEN 4 THEN {floor(f'{raw} * 2 + 1e-9')} / 2.0 "
        f"ELSE {raw} END)"
    )
    ruled = (
        f"(CASE WHEN {all_day} THEN {all_day_hours} "
        f"WHEN {by_day} THEN (CASE WHEN {half} THEN {_named('half_day')} ELSE {full_day} END) "
        f"ELSE {rounded} END)"
    )
    hours = f"COALESCE({s_hours}, {p_hours}, {ruled})"
    days = (
        f"(CASE WHEN {all_day} THEN (CASE WHEN {all_day_hours} > 0 THEN {day_count} ELSE 0.0 END) "
        f"WHEN {by_day} THEN (CASE WHEN {half} THEN 0.5 ELSE 1.0 END) ELSE 0.0 END)"
    )
    return hours, days


def year_sql(dialect: str, starts: str) -> str:
    if dialect == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM ({starts} + INTERVAL '8 hours')) AS INTEGER)"
    return f"CAST(strftime('%Y', {starts}, '+8 hours') AS INTEGER)"


def delta_sql(
    dialect: str,
    *,
    sign: int,
    session: str,
    programme: str,
    participant: str,
    source: str,
) -> str:
    """Add (sign 1) or subtract (-1) what the participant rows `source` selects (FROM … WHERE …) earned;
    `session`, `programme`, `participant` name the rows (an alias, NEW or OLD) the figures are read from."""
    hours, days = worth_sql(
        dialect,
        kind=f"{programme}.kind",
        all_day=f"{session}.all_day",
        starts=f"{session}.starts_at",
        ends=f"{session}.ends_at",
        s_hours=f"{session}.hours",
        p_hours=f"{programme}.hours",
    )
    clip = "GREATEST" if dialect == "postgresql" else "MAX"
    share = _rule(f"'status.' || {participant}.status")
    full_day = f"COALESCE(NULLIF({_named('full_day')}, 0), 1)"
    inner = (
        f"SELECT {year_sql(dialect, f'{session}.starts_at')} AS y, {participant}.cadre_id AS c, "
        f"{hours} AS wh, {days} AS wd, COALESCE({share}, 0) AS sh, "
        f"COALESCE({participant}.leave_hours, 0) AS lv, {full_day} AS fd "
        f"{source} AND {participant}.status IS NOT NULL AND {session}.status != 'cancelled'"
    )
    return (
        f"INSERT INTO {TABLE} (year, cadre_id, hours, days) "
        f"SELECT y, c, {sign} * SUM({clip}(wh * sh - lv, 0.0)), "
        f"{sign} * SUM(CASE WHEN wd > 0 THEN {clip}(wd * sh - lv / fd, 0.0) ELSE 0.0 END) "
        f"FROM ({inner}) w WHERE 1 = 1 GROUP BY y, c "
        f"ON CONFLICT (year, cadre_id) DO UPDATE SET hours = {TABLE}.hours + excluded.hours, "
        f"days = {TABLE}.days + excluded.days"
    )


def _participant(dialect: str, row: str, sign: int) -> str:
    return delta_sql(
        dialect,
        sign=sign,
        session="s",
        programme="p",
        participant=row,
        source=(
            f"FROM training_session s JOIN programme p ON p.id = s.programme_id WHERE s.id = {row}.session_id"
        ),
    )


def _session(dialect: str, row: str, sign: int) -> str:
    return delta_sql(
        dialect,
        sign=sign,
        session=row,
        programme="p",
        participant="pa",
        source=f"FROM participant pa JOIN programme p ON p.id = {row}.programme_id WHERE pa.session_id = {row}.id",
    )


def _programme(dialect: str, row: str, sign: int) -> str:
    return delta_sql(
        dialect,
        sign=sign,
        session="s",
        programme=row,
        participant="pa",
        source=(
            "FROM training_session s JOIN participant pa ON pa.session_id = s.id "
            f"WHERE s.programme_id = {row}.id"
        ),
    )


def rebuild_sql(dialect: str) -> list[str]:
    """Every tally recomputed from the raw rows."""
    return [
        f"DELETE FROM {TABLE}",
        delta_sql(
            dialect,
            sign=1,
            session="s",
            programme="p",
            participant="pa",
            source=(
                "FROM participant pa JOIN training_session s ON s.id = pa.session_id "
                "JOIN programme p ON p.id = s.programme_id WHERE 1 = 1"
            ),
        ),
    ]


PARTICIPANT_COLUMNS = "session_id, cadre_id, status, leave_hours"
SESSION_COLUMNS = "status, starts_at, ends_at, all_day, hours, programme_id"
PROGRAMME_COLUMNS = "kind, hours"


def trigger_bodies(dialect: str) -> dict[str, tuple[str, str, list[str], str]]:
    """name → (timing and event, table, statements, row condition). Every name holds `_tally_` so that
    db/pg_roles.py makes the functions SECURITY DEFINER (staff may not write the tallies themselves)."""
    return {
        "participant_hours_tally_insert": (
            "AFTER INSERT",
            "participant",
            [_participant(dialect, "NEW", 1)],
            "",
        ),
        "participant_hours_tally_delete": (
            "AFTER DELETE",
            "participant",
            [_participant(dialect, "OLD", -1)],
            "",
        ),
        "participant_hours_tally_update": (
            f"AFTER UPDATE OF {PARTICIPANT_COLUMNS}",
            "participant",
            [_participant(dialect, "OLD", -1), _participant(dialect, "NEW", 1)],
            "",
        ),
        "session_hours_tally_update": (
            f"AFTER UPDATE OF {SESSION_COLUMNS}",
            "training_session",
            [_session(dialect, "OLD", -1), _session(dialect, "NEW", 1)],
            "",
        ),
        # participants go first (RESTRICT), so this is a safety net that finds nothing to subtract
        "session_hours_tally_delete": (
            "BEFORE DELETE",
            "training_session",
            [_session(dialect, "OLD", -1)],
            "",
        ),
        "programme_hours_tally_update": (
            f"AFTER UPDATE OF {PROGRAMME_COLUMNS}",
            "programme",
            [_programme(dialect, "OLD", -1), _programme(dialect, "NEW", 1)],
            "",
        ),
        "hours_rule_tally_rebuild": (
            "AFTER UPDATE",
            RULES_TABLE,
            rebuild_sql(dialect),
            f"NEW.key = '{STAMP}'",
        ),
    }


def create_triggers_sql(dialect: str) -> list[str]:
    return triggers.create_sql(dialect, trigger_bodies(dialect))


def drop_triggers_sql(dialect: str) -> list[str]:
    return triggers.drop_sql(dialect, trigger_bodies(dialect))


def rebuild(s: Session) -> None:
    """Recompute every tally from the raw rows (after a bulk load that went around the triggers)."""
    for sql in rebuild_sql(s.get_bind().dialect.name):
        s.execute(sa.text(sql))


# ---------------------------------------------------------------- check
@dataclass(frozen=True)
class HoursDifference:
    """Shaped like tallies.TallyDifference so `check` words both alike (unit_key 0: the tally has none)."""

    table: str
    period: int  # the year
    cadre_id: int
    unit_key: int
    column: str
    stored: float
    actual: float


def actual_rows(s: Session, rules: Rules) -> dict[tuple[int, int], tuple[float, float]]:
    """What `hours_tally_year` should hold, from the raw rows with `hours._earned_by_cadre`'s own SQL."""
    from zhijin_training.services.hours import _earned_by_cadre

    years = s.execute(
        sa.select(sa.func.min(col(TrainingSession.starts_at)), sa.func.max(col(TrainingSession.starts_at)))
    ).one()
    if years[0] is None:
        return {}
    out: dict[tuple[int, int], tuple[float, float]] = {}
    for year in range(years[0].year, years[1].year + 2):  # stored in UTC: the last local year may be one on
        for cid, figures in _earned_by_cadre(s, rules, date(year, 1, 1), date(year, 12, 31)).items():
            out[(year, cid)] = figures
    return out


def stored_rows(s: Session) -> dict[tuple[int, int], tuple[float, float]]:
    rows = s.execute(sa.text(f"SELECT year, cadre_id, hours, days FROM {TABLE}")).all()
    return {
        (int(y), int(c)): (float(h), float(d))
        for y, c, h, d in rows
        if abs(h) > TOLERANCE or abs(d) > TOLERANCE  # a row subtracted back to zero is no row
    }


def stored_rules(s: Session) -> Rules:
    """The rules the tallies were computed with, as `hours.Rules` (the keys the tallies ignore at default)."""
    from zhijin_training.services.hours import DEFAULT_RULES, ROUNDING, Rules

    values = dict(DEFAULT_RULES)
    for key, num in stored_numbers(s).items():
        if key in values:
            values[key] = ROUNDING[int(num)] if key == "rounding" else num
    return Rules(values, {})


def differences(s: Session, limit: int = 20) -> list[HoursDifference]:
    """Where the tallies disagree with the raw rows summed with the rules they were computed with (whether
    those are still the rules in force is the ledger's question: it reads the raw rows when they are not)."""
    out: list[HoursDifference] = []
    have, want = stored_rows(s), actual_rows(s, stored_rules(s))
    zero = (0.0, 0.0)
    for key in sorted(have.keys() | want.keys()):
        for column, a, b in zip(("hours", "days"), have.get(key, zero), want.get(key, zero), strict=True):
            if abs(a - b) > TOLERANCE:
                out.append(HoursDifference(TABLE, key[0], key[1], 0, column, round(a, 6), round(b, 6)))
                if len(out) >= limit:
                    return out
    return out
