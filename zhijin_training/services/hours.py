"""学时: training hours per session from the office's rules, ranks with dates, training taken elsewhere,
the yearly and five-year ledger against the regulation's targets, and the 1/7 leave rule.

Nothing here stores a computed figure: the 学时 of a session come from the rules (defaults below, the
`[hours]` table of the system config, the office settings in the database) applied to the raw rows
(session kind, duration, overrides, attendance status, leave). Changing a rule therefore recomputes every
figure; the change itself is audited (entity `hours_rule`), so history is never edited silently. (The yearly
ledger reads the same sums from tallies that triggers maintain and a rule change recomputes:
services/hours_tally.py, migration 0012.)

Defaults and where they come from (《干部教育培训工作条例》, revised 2023):
- Art. 14: 乡科级 leading cadres take ≥ 90 学时 or ≥ 12 days of centralised training a year; 县处级 ≥ 550 学时
  or 3 months (90 days) in every 5 years (110 学时 / 18 days a year pro rata in the yearly ledger); online
  training hours are set locally (50 a year by default);
- Art. 15: leave in a full-time (脱产) course may not exceed 1/7 of the course's 学时;
- the worth of a day, a half day and a lecture is set locally: 6 a day, 3 a half day (≤ 4 hours), a lecture
  its length in hours rounded to the half hour, a study trip 6 a day capped at 48 (Nanjing's out-of-town cap),
  a secondment 6 a day capped at 90, meetings nothing.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zhijin_training.enums import STATUS_SPECS, status_specs
from zhijin_training.models import (
    AppSetting,
    AttendanceStatus,
    Cadre,
    Participant,
    Post,
    Programme,
    ProgrammeKind,
    SessionStatus,
    TrainingSession,
    Unit,
)
from zhijin_training.models.hours import (
    CadreRank,
    ExternalSource,
    ExternalTraining,
    RankPeriod,
    RecordState,
    TrainingCategory,
)
from zhijin_training.services import audit, hours_tally
from zhijin_training.services.bulk import bulk_read
from zhijin_training.services.context import Context
from zhijin_training.services.errors import DomainError, NotFoundError, Phrase, ValidationError
from zhijin_training.services.schedule import ScheduleWarning
from zhijin_training.services.validation import clean_text
from zhijin_training.settings import AccessRole
from zhijin_training.timeutil import local_date, local_midnight

# ---------------------------------------------------------------- rules
ROUNDING = ("none", "half", "whole", "down", "down_half")
DEFAULT_RULES: dict[str, Any] = {
    "full_day": 6.0,
    "half_day": 3.0,
    "half_day_max_minutes": 240,  # a timed course session up to 4 hours is a half day
    "rounding": "half",  # lectures and meetings: length in hours rounded to the nearest half hour
    "lecture.per_hour": 1.0,
    "meeting.per_hour": 0.0,  # meetings are not training
    "lecture.per_day": 6.0,
    "meeting.per_day": 0.0,
    "course.per_day": 6.0,
    "course.cap": 0.0,  # 0: no cap
    "study_trip.per_day": 6.0,
    "study_trip.cap": 48.0,
    "secondment.per_day": 6.0,
    "secondment.cap": 90.0,
    # the share of a session's 学时 each attendance status earns: whole when attended in person (StatusSpec)
    **{f"status.{spec.value}": 1.0 if spec.attended else 0.0 for spec in STATUS_SPECS},
    "target.township_section.hours": 90.0,  # a year (Art. 14)
    "target.township_section.days": 12.0,
    "target.county_division.hours": 550.0,  # every 5 years (Art. 14)
    "target.county_division.days": 90.0,
    "target.online.hours": 50.0,  # a year, set locally
    "leave.max_share": "1/7",  # Art. 15
}
SETTING_PREFIX = "hours."
_TIMED_BY_DAY = {ProgrammeKind.COURSE.value, ProgrammeKind.STUDY_TRIP.value, ProgrammeKind.SECONDMENT.value}
FULL_TIME_KINDS = _TIMED_BY_DAY  # 脱产: courses, study trips, secondments
TARGET_RANKS = (CadreRank.TOWNSHIP_SECTION.value, CadreRank.COUNTY_DIVISION.value)
FIVE_YEARS = 5


@dataclass(frozen=True)
class Rules:
    values: dict[str, Any]
    sources: dict[str, str]  # key -> default / config / office

    def num(self, key: str) -> float:
        return float(self.values[key])

    def factor(self, status: str | None) -> float:
        if status is None:
            return 0.0
        return float(self.values.get(f"status.{status}", 0.0))

    @property
    def leave_share(self) -> Fraction:
        return Fraction(str(self.values["leave.max_share"]))

    def with_values(self, **changes: Any) -> Rules:
        """The rules with some keys changed (dotted keys as `a__b`), for tests and previews."""
        values = dict(self.values)
        for key, value in changes.items():
            values[key.replace("__", ".")] = check_rule(key.replace("__", "."), value)
        return replace(self, values=values)


def check_rule(key: str, value: Any) -> Any:
    """A rule value as the rules use it, or a coded error saying what is wrong."""
    if key not in DEFAULT_RULES:
        raise ValidationError("hours.rule_unknown", field="key", key=key)
    if key == "rounding":
        text = str(value).strip()
        if text not in ROUNDING:
            raise ValidationError("hours.rule_rounding", field="value", value=text, allowed=list(ROUNDING))
        return text
    if key == "leave.max_share":
        try:
            share = Fraction(str(value).strip())
        except (ValueError, ZeroDivisionError):
            raise ValidationError("hours.rule_share", field="value", value=str(value)) from None
        if not 0 < share <= 1:
            raise ValidationError("hours.rule_share", field="value", value=str(value))
        return str(share)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError("hours.rule_number", field="value", key=key, value=str(value)) from None
    if not math.isfinite(number) or number < 0 or number > 100_000:
        raise ValidationError("hours.rule_number", field="value", key=key, value=str(value))
    if key.startswith("status.") and number > 1:
        raise ValidationError("hours.rule_fraction", field="value", key=key, value=str(value))
    return number


def _config_rules(ctx: Context) -> dict[str, Any]:
    settings = ctx.settings
    table = dict(getattr(settings, "hours", None) or {}) if settings is not None else {}
    flat: dict[str, Any] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(name + ".", value)
            else:
                flat[name] = value

    walk("", table)
    return flat


def load_rules(ctx: Context, s: Session | None = None) -> Rules:
    """Defaults, then the office settings in the database, then the system config's [hours] (which locks)."""
    values = dict(DEFAULT_RULES)
    sources = {k: "default" for k in values}
    if s is None:
        with ctx.db.read() as s2:
            stored = _stored_rules(s2)
    else:
        stored = _stored_rules(s)
    for key, value in stored.items():
        if key in DEFAULT_RULES:
            # a bad value left in the database: the default stands (`hours rules` shows the source)
            with contextlib.suppress(ValidationError):
                values[key], sources[key] = check_rule(key, value), "office"
    for key, value in _config_rules(ctx).items():
        values[key], sources[key] = check_rule(key, value), "config"
    return Rules(values, sources)


def _stored_rules(s: Session) -> dict[str, str]:
    rows = s.exec(select(AppSetting).where(col(AppSetting.key).startswith(SETTING_PREFIX))).all()
    return {r.key[len(SETTING_PREFIX) :]: r.value for r in rows}


def set_rule(ctx: Context, key: str, value: Any) -> Rules:
    """Change one office rule (admins). Audited; every figure computed afterwards follows the new rule."""
    ctx.actor.require(AccessRole.ADMIN, "change the 学时 rules")
    key = (key or "").strip()
    clean = check_rule(key, value)
    if key in _config_rules(ctx):
        raise ValidationError("hours.rule_locked", field="key", key=key)
    with ctx.db.write() as s:
        row = s.get(AppSetting, SETTING_PREFIX + key)
        before = {"key": key, "value": row.value} if row is not None else {"key": key, "value": None}
        text = str(clean)
        if row is None:
            row = AppSetting(key=SETTING_PREFIX + key, value=text)
        elif row.value == text:
            return load_rules(ctx, s)
        else:
            row.value = text
        s.add(row)
        audit.record(
            ctx,
            s,
            action="update",
            entity="hours_rule",
            entity_id=None,
            before=before,
            after={"key": key, "value": text},
            reason="学时规则修改",
        )
        s.flush()
        rules = load_rules(ctx, s)
        hours_tally.apply_rules(s, rules)  # the 学时 tallies follow the new rule in this transaction
        return rules


# ---------------------------------------------------------------- 学时 of one session
def _round(value: float, how: str) -> float:
    if how == "half":
        return math.floor(value * 2 + 0.5 + 1e-9) / 2
    if how == "whole":
        return float(math.floor(value + 0.5 + 1e-9))
    if how == "down":
        return float(math.floor(value + 1e-9))
    if how == "down_half":
        return math.floor(value * 2 + 1e-9) / 2
    return value


def session_worth(
    rules: Rules,
    kind: str,
    all_day: bool,
    minutes: int,
    programme_hours: float | None = None,
    session_hours: float | None = None,
) -> tuple[float, float]:
    """(学时, days) a session is worth in full: the session's override, the programme's, else the rules."""
    if all_day:
        days = max(1, round(minutes / 1440))
        hours = (
            days * rules.num(f"{kind}.per_day")
            if f"{kind}.per_day" in rules.values
            else days * rules.num("full_day")
        )
        cap = rules.num(f"{kind}.cap") if f"{kind}.cap" in rules.values else 0.0
        if cap > 0:
            hours = min(hours, cap)
        worth_days = float(days) if hours > 0 else 0.0
    elif kind in _TIMED_BY_DAY:
        half = minutes <= rules.num("half_day_max_minutes")
        hours = rules.num("half_day") if half else rules.num("full_day")
        worth_days = 0.5 if half else 1.0
    else:
        per_hour = rules.num(f"{kind}.per_hour") if f"{kind}.per_hour" in rules.values else 0.0
        hours = _round(minutes / 60 * per_hour, str(rules.values["rounding"]))
        worth_days = 0.0
    if session_hours is not None:
        hours = float(session_hours)
    elif programme_hours is not None:
        hours = float(programme_hours)
    return hours, worth_days


def earned(
    rules: Rules, worth: tuple[float, float], status: str | None, leave_hours: float
) -> tuple[float, float]:
    """(学时, days) a participant earned: the status's share of the worth, less leave taken within it."""
    hours, days = worth
    factor = rules.factor(status)
    got_hours = max(0.0, hours * factor - (leave_hours or 0.0))
    full_day = rules.num("full_day") or 1.0
    got_days = max(0.0, days * factor - (leave_hours or 0.0) / full_day) if days else 0.0
    return got_hours, got_days


def _minutes_expr(s: Session) -> Any:
    start, end = col(TrainingSession.starts_at), col(TrainingSession.ends_at)
    if s.get_bind().dialect.name == "sqlite":
        return sa.cast(sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 1440), sa.Integer)
    return sa.cast(sa.func.round(sa.extract("epoch", end - start) / 60), sa.Integer)


def session_hours(ctx: Context, session_id: int) -> tuple[float, float]:
    """(学时, days) one session is worth in full, as shown wherever a session is."""
    with ctx.db.read() as s:
        row = s.get(TrainingSession, session_id)
        if row is None:
            raise NotFoundError("hours.session_missing", session_id=session_id)
        programme = s.get(Programme, row.programme_id)
        assert programme is not None
        minutes = round((row.ends_at - row.starts_at).total_seconds() / 60)
        return session_worth(
            load_rules(ctx, s), programme.kind, row.all_day, minutes, programme.hours, row.hours
        )


def set_session_hours(ctx: Context, session_id: int, hours: float | None, *, reason: str = "") -> None:
    """Override (or with None clear) the 学时 of one session. Audited."""
    ctx.actor.require(AccessRole.EDITOR, "set the 学时 of a session")
    value = _check_override(hours)
    with ctx.db.write() as s:
        row = s.get(TrainingSession, session_id, with_for_update=True)
        if row is None:
            raise NotFoundError("hours.session_missing", session_id=session_id)
        _set_hours(ctx, s, row, value, reason, entity="session")


def set_programme_hours(ctx: Context, programme_id: int, hours: float | None, *, reason: str = "") -> None:
    """Override (or clear) the 学时 of every session of a programme. Audited."""
    ctx.actor.require(AccessRole.EDITOR, "set the 学时 of a programme")
    value = _check_override(hours)
    with ctx.db.write() as s:
        row = s.get(Programme, programme_id, with_for_update=True)
        if row is None:
            raise NotFoundError("hours.programme_missing", programme_id=programme_id)
        _set_hours(ctx, s, row, value, reason, entity="programme")


def _set_hours(ctx: Context, s: Any, row: Any, value: float | None, reason: str, *, entity: str) -> None:
    """The one override step of a session's or a programme's 学时 (checked value, row locked by the caller):
    version bumped, audited."""
    before = {"hours": row.hours}
    row.hours = value
    row.version += 1
    s.add(row)
    audit.record(
        ctx,
        s,
        action="update",
        entity=entity,
        entity_id=row.id,
        session_id=row.id if entity == "session" else None,
        before=before,
        after={"hours": value},
        reason=reason or "学时调整",
    )


def _check_override(hours: float | None) -> float | None:
    if hours is None:
        return None
    try:
        value = float(hours)
    except (TypeError, ValueError):
        raise ValidationError("hours.bad_hours", field="hours", value=str(hours)) from None
    if not math.isfinite(value) or not 0 <= value <= 2000:
        raise ValidationError("hours.bad_hours", field="hours", value=str(hours))
    return value


# ---------------------------------------------------------------- ranks with dates
@dataclass(frozen=True)
class RankSpan:
    rank: str
    start: date
    end: date | None  # inclusive; None while held


def parse_rank(text: str | None) -> str:
    """县处级 / 乡科级 / other from what rosters write (正科级, 副处级, 四级调研员, county_division …)."""
    value = (text or "").strip().replace(" ", "")
    if not value:
        return CadreRank.OTHER.value
    low = value.lower()
    for member in CadreRank:
        if low == member.value:
            return member.value
    if any(
        w in value
        for w in ("处", "厅", "局级", "部级", "一级调研员", "二级调研员", "三级调研员", "四级调研员")
    ):
        return CadreRank.COUNTY_DIVISION.value
    if any(w in value for w in ("科", "乡", "主任科员", "科员")):
        return CadreRank.TOWNSHIP_SECTION.value
    if value in ("其他", "其它", "无", "办事员"):
        return CadreRank.OTHER.value
    raise ValidationError("hours.rank_unknown", field="rank", value=value)


def set_rank(ctx: Context, cadre_id: int, rank: str, since: date, *, note: str = "") -> None:
    """The cadre holds `rank` from `since`: the open period ends the day before (history kept). Audited."""
    ctx.actor.require(AccessRole.ADMIN, "change a cadre's rank")
    value = parse_rank(rank)
    with ctx.db.write() as s:
        if s.get(Cadre, cadre_id) is None:
            raise NotFoundError("hours.cadre_missing", cadre_id=cadre_id)
        record_rank(ctx, s, cadre_id, value, since, note=note)


def record_rank(
    ctx: Context,
    s: Session,
    cadre_id: int,
    rank: str,
    since: date,
    *,
    note: str = "",
    first_from_post: bool = False,
) -> bool:
    """Inside a write transaction (roster import uses it too). Returns False when the rank is unchanged.

    `first_from_post`: a cadre's first recorded rank is taken as held since their first post (a roster
    that states the rank for the first time says what it has been, not that it changed today)."""
    periods = list(
        s.exec(select(RankPeriod).where(RankPeriod.cadre_id == cadre_id).order_by(col(RankPeriod.start_date)))
    )
    if not periods and first_from_post:
        first_post = s.exec(select(sa.func.min(Post.start_date)).where(Post.cadre_id == cadre_id)).one()
        if first_post is not None and first_post < since:
            since = first_post
    current = next(
        (p for p in periods if p.start_date <= since and (p.end_date is None or since <= p.end_date)), None
    )
    if current is not None and current.rank == rank:
        return False
    later = [p for p in periods if p.start_date > since]
    if later:
        raise ValidationError(
            "hours.rank_later_exists", field="since", since=since, later=later[0].start_date
        )
    before = None
    if current is not None:
        before = audit.snapshot(current)
        if current.start_date == since:
            current.rank = rank
            current.note = note
            s.add(current)
            audit.record(
                ctx,
                s,
                action="update",
                entity="cadre_rank",
                entity_id=current.id,
                cadre_id=cadre_id,
                before=before,
                after=audit.snapshot(current),
            )
            return True
        current.end_date = since - timedelta(days=1)
        s.add(current)
    row = RankPeriod(cadre_id=cadre_id, rank=rank, start_date=since, note=note)
    s.add(row)
    s.flush()
    audit.record(
        ctx,
        s,
        action="create",
        entity="cadre_rank",
        entity_id=row.id,
        cadre_id=cadre_id,
        before=before,
        after=audit.snapshot(row),
    )
    return True


def current_ranks(s: Session, cadre_ids: Sequence[int] | None = None) -> dict[int, str]:
    """cadre -> the rank of their open period (cadres without a recorded rank are left out); of `cadre_ids`
    only, when given (500 a query)."""
    stmt = select(RankPeriod.cadre_id, RankPeriod.rank).where(col(RankPeriod.end_date).is_(None))
    if cadre_ids is None:
        return {c: r for c, r in s.exec(stmt).all()}
    ids = list(cadre_ids)
    out: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        out.update(s.exec(stmt.where(col(RankPeriod.cadre_id).in_(ids[i : i + 500]))).all())
    return out


def rank_history(ctx: Context, cadre_id: int) -> list[RankSpan]:
    """The ranks held, oldest first (inferred from the role when none is recorded)."""
    with ctx.db.read() as s:
        cadre = s.get(Cadre, cadre_id)
        if cadre is None:
            raise NotFoundError("hours.cadre_missing", cadre_id=cadre_id)
        return _spans(s, [cadre_id]).get(cadre_id) or inferred_spans(cadre.role)


def _spans(s: Session, cadre_ids: Sequence[int] | None = None) -> dict[int, list[RankSpan]]:
    stmt = select(RankPeriod).order_by(col(RankPeriod.cadre_id), col(RankPeriod.start_date))
    if cadre_ids is not None:
        stmt = stmt.where(col(RankPeriod.cadre_id).in_(list(cadre_ids)))
    out: dict[int, list[RankSpan]] = {}
    for p in s.exec(stmt):
        out.setdefault(p.cadre_id, []).append(RankSpan(p.rank, p.start_date, p.end_date))
    return out


_SECTION_ROLES = ("township_secretary", "deputy_party_building", "department_head")


_INFERRED = {
    True: [RankSpan(CadreRank.TOWNSHIP_SECTION.value, date(1900, 1, 1), None)],
    False: [RankSpan(CadreRank.OTHER.value, date(1900, 1, 1), None)],
}


def inferred_spans(role: str) -> list[RankSpan]:
    """A cadre with no rank recorded: inferred from the role, as migration 0005 did for existing cadres."""
    return list(_INFERRED[role in _SECTION_ROLES])


def rank_on(spans: Sequence[RankSpan], day: date) -> str:
    for span in spans:
        if span.start <= day and (span.end is None or day <= span.end):
            return span.rank
    return CadreRank.OTHER.value


def _days_held(spans: Sequence[RankSpan], rank: str, first: date, last: date) -> int:
    total = 0
    for span in spans:
        if span.rank != rank:
            continue
        start = max(span.start, first)
        end = min(span.end or last, last)
        if end >= start:
            total += (end - start).days + 1
    return total


def _year_days(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def year_targets(
    rules: Rules, spans: Sequence[RankSpan], year: int, until: date | None = None
) -> tuple[float, float, float]:
    """(centralised 学时, days, online 学时) the year asks of a cadre, following the rank held on each day.

    乡科级 days count 90/365 学时 each, 县处级 days (550/5)/365; `until` stops the count (year to date)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    if until is not None:
        last = min(last, until)
    if last < first:
        return 0.0, 0.0, 0.0
    n = _year_days(year)
    section = _days_held(spans, CadreRank.TOWNSHIP_SECTION.value, first, last)
    division = _days_held(spans, CadreRank.COUNTY_DIVISION.value, first, last)
    hours = (
        rules.num("target.township_section.hours") * section / n
        + rules.num("target.county_division.hours") / FIVE_YEARS * division / n
    )
    days = (
        rules.num("target.township_section.days") * section / n
        + rules.num("target.county_division.days") / FIVE_YEARS * division / n
    )
    online = rules.num("target.online.hours") * (section + division) / n
    return hours, days, online


# ---------------------------------------------------------------- training taken elsewhere
@dataclass(frozen=True)
class RecordView:
    id: int
    cadre_id: int
    cadre_name: str
    unit_name: str
    source: str
    organiser: str
    institution: str
    course: str
    start_date: date
    end_date: date
    days: float
    hours: float
    category: str
    evidence: str
    state: str
    decided_by: str
    decided_at: datetime | None
    reject_reason: str
    submitted_by: str
    version: int


@dataclass(frozen=True)
class RecordDraft:
    cadre: int | str
    course: str
    start_date: date
    end_date: date
    hours: float
    category: str = TrainingCategory.CENTRALISED.value
    organiser: str = ""
    institution: str = ""
    days: float | None = None  # None: the calendar days from start to end
    evidence: str = ""
    source: str = ExternalSource.OUTSIDE.value
    note: str = ""


def _record_view(r: ExternalTraining, name: str, unit: str | None) -> RecordView:
    return RecordView(
        r.id or 0,
        r.cadre_id,
        name,
        unit or "",
        r.source,
        r.organiser,
        r.institution,
        r.course,
        r.start_date,
        r.end_date,
        r.days,
        r.hours,
        r.category,
        r.evidence,
        r.state,
        r.decided_by,
        r.decided_at,
        r.reject_reason,
        r.submitted_by,
        r.version,
    )


def _enum_value(enum: type[Any], value: str, field_name: str, labels: dict[str, str] | None = None) -> str:
    text = (value or "").strip()
    low = text.lower()
    for member in enum:
        if low == member.value:
            return str(member.value)
    for key, words in (labels or {}).items():
        if text in words.split("|"):
            return key
    raise ValidationError("hours.bad_choice", field=field_name, value=text, allowed=[m.value for m in enum])


_CATEGORY_WORDS = {"centralised": "集中|集中培训|centralized|脱产", "online": "网络|网络培训|在线|网络学院"}
_SOURCE_WORDS = {
    "outside": "外出培训|外出",
    "upper": "上级调训|调训",
    "party_school": "党校主体班|党校",
    "online_academy": "网络学院|干部网络学院",
}


def clean_draft(draft: RecordDraft) -> dict[str, Any]:
    """The column values of a record, or a coded error naming the field at fault."""
    course = clean_text(draft.course, "course", max_len=200, required=True)
    if draft.end_date < draft.start_date:
        from zhijin_training.services.errors import EndBeforeStart

        raise EndBeforeStart(start=draft.start_date, end=draft.end_date, field="to")
    hours = _check_override(draft.hours)
    if hours is None or hours <= 0:
        raise ValidationError("hours.bad_hours", field="hours", value=str(draft.hours))
    span = (draft.end_date - draft.start_date).days + 1
    days = float(span) if draft.days is None else float(draft.days)
    if not math.isfinite(days) or days < 0 or days > span:
        raise ValidationError("hours.bad_days", field="days", value=str(draft.days), span=span)
    return {
        "course": course,
        "organiser": clean_text(draft.organiser, "organiser", max_len=200),
        "institution": clean_text(draft.institution, "institution", max_len=200),
        "evidence": clean_text(draft.evidence, "evidence", max_len=300),
        "note": clean_text(draft.note, "note", max_len=2000),
        "category": _enum_value(TrainingCategory, draft.category, "category", _CATEGORY_WORDS),
        "source": _enum_value(ExternalSource, draft.source or "outside", "source", _SOURCE_WORDS),
        "start_date": draft.start_date,
        "end_date": draft.end_date,
        "hours": hours,
        "days": days,
    }


def add_record(ctx: Context, draft: RecordDraft) -> RecordView:
    """Submit a course taken elsewhere; it counts once an administrator recognises it."""
    ctx.actor.require(AccessRole.EDITOR, "submit training taken elsewhere")
    values = clean_draft(draft)
    from zhijin_training.services.roster import find_cadre

    with ctx.db.write() as s:
        cadre = s.get(Cadre, draft.cadre) if isinstance(draft.cadre, int) else find_cadre(s, draft.cadre)
        if cadre is None:
            raise NotFoundError("hours.cadre_missing", cadre_id=draft.cadre)
        row = _insert_record(ctx, s, cadre.id or 0, values, reason="")
        unit = s.get(Unit, cadre.unit_id) if cadre.unit_id else None
        return _record_view(row, cadre.name, unit.name if unit else None)


def _insert_record(
    ctx: Context, s: Session, cadre_id: int, values: dict[str, Any], *, reason: str
) -> ExternalTraining:
    row = ExternalTraining(
        cadre_id=cadre_id, submitted_by=ctx.actor.user, created_at=ctx.now(), updated_at=ctx.now(), **values
    )
    s.add(row)
    s.flush()
    audit.record(
        ctx,
        s,
        action="create",
        entity="external_training",
        entity_id=row.id,
        cadre_id=cadre_id,
        after=audit.snapshot(row),
        reason=reason,
    )
    return row


def _decide(
    ctx: Context, record_id: int, state: str, reason: str, expected_version: int | None
) -> RecordView:
    ctx.actor.require(AccessRole.ADMIN, "recognise training hours")
    with ctx.db.write() as s:
        row = s.get(ExternalTraining, record_id, with_for_update=True)
        if row is None:
            raise NotFoundError("hours.record_missing", record_id=record_id)
        if expected_version is not None and row.version != expected_version:
            from zhijin_training.services.errors import ConflictError

            raise ConflictError(
                "external_training", record_id, row.decided_by or row.submitted_by, row.updated_at
            )
        if row.state == state:
            raise ValidationError(
                "hours.already_decided", record_id=record_id, state=Phrase(f"record_state.{state}")
            )
        before = audit.snapshot(row)
        row.state = state
        row.decided_by = ctx.actor.user
        row.decided_at = ctx.now()
        row.reject_reason = reason if state == RecordState.REJECTED.value else ""
        row.version += 1
        row.updated_at = ctx.now()
        s.add(row)
        audit.record(
            ctx,
            s,
            action="update",
            entity="external_training",
            entity_id=row.id,
            cadre_id=row.cadre_id,
            before=before,
            after=audit.snapshot(row),
            reason=reason or "学时认定",
        )
        cadre = s.get(Cadre, row.cadre_id)
        unit = s.get(Unit, cadre.unit_id) if cadre and cadre.unit_id else None
        return _record_view(row, cadre.name if cadre else "", unit.name if unit else None)


def recognise(ctx: Context, record_id: int, *, expected_version: int | None = None) -> RecordView:
    """学时认定: the record counts from now on (admins only; audited)."""
    return _decide(ctx, record_id, RecordState.RECOGNISED.value, "", expected_version)


def reject(ctx: Context, record_id: int, reason: str, *, expected_version: int | None = None) -> RecordView:
    text = clean_text(reason, "reason", max_len=500)
    if not text:
        raise ValidationError("hours.reason_required", field="reason")
    return _decide(ctx, record_id, RecordState.REJECTED.value, text, expected_version)


def list_records(
    ctx: Context,
    *,
    cadre_id: int | None = None,
    state: str | None = None,
    year: int | None = None,
    limit: int = 2000,
) -> list[RecordView]:
    stmt = (
        select(ExternalTraining, Cadre.name, Unit.name)
        .join(Cadre, col(ExternalTraining.cadre_id) == Cadre.id)
        .join(Unit, col(Cadre.unit_id) == Unit.id, isouter=True)
        .order_by(col(ExternalTraining.start_date).desc(), col(ExternalTraining.id).desc())
        .limit(limit)
    )
    if cadre_id is not None:
        stmt = stmt.where(ExternalTraining.cadre_id == cadre_id)
    if state:
        stmt = stmt.where(ExternalTraining.state == state)
    if year is not None:
        stmt = stmt.where(
            col(ExternalTraining.start_date) >= date(year, 1, 1),
            col(ExternalTraining.start_date) <= date(year, 12, 31),
        )
    with ctx.db.read() as s:
        return [_record_view(r, n, u) for r, n, u in s.exec(stmt).all()]


# ---------------------------------------------------------------- the ledger
@dataclass(frozen=True, slots=True)  # slots: one per cadre (44,000 at province size)
class LedgerRow:
    cadre_id: int
    name: str
    ref: str | None
    unit_id: int | None
    unit: str
    post_title: str
    rank: str  # held on the last day counted (year end, or today in the current year)
    centralised_hours: float
    centralised_days: float
    online_hours: float
    target: float  # centralised 学时 the year asks (rank held on each day)
    target_days: float
    online_target: float
    shortfall: float  # of the whole year's target (0 once the hours or the days are met)
    online_shortfall: float
    due: float  # the target pro rata to date
    behind_by: float  # how far the hours are behind `due` (0 when on track or the days are met)
    online_behind_by: float
    progress: float | None  # hours ÷ due
    five_year_hours: float | None  # 县处级 only: centralised 学时 of the last 5 years
    five_year_target: float | None
    pending: int  # records awaiting recognition

    @property
    def behind(self) -> bool:
        return self.behind_by > 0 or self.online_behind_by > 0


@dataclass(frozen=True)
class UnitLedgerRow:
    unit_id: int | None
    unit: str
    cadres: int
    with_target: int
    behind: int
    centralised_hours: float
    online_hours: float
    target: float
    shortfall: float
    online_shortfall: float


@dataclass(frozen=True)
class Ledger:
    year: int
    as_of: date
    rows: list[LedgerRow]


def _worth_sql(s: Session, rules: Rules) -> tuple[Any, Any]:
    """(学时, days) of a session as SQL over training_session and programme: `session_worth` written out
    with the rules' numbers, so the ledger is one aggregate per cadre (tests check both agree)."""
    sqlite = s.get_bind().dialect.name == "sqlite"
    minutes = _minutes_expr(s)
    kind, all_day = col(Programme.kind), col(TrainingSession.all_day)

    def floor(x: Any) -> Any:  # x ≥ 0 here; CAST truncates in SQLite, rounds in PostgreSQL
        return sa.cast(x, sa.Integer) if sqlite else sa.func.floor(x)

    def least(a: Any, b: Any) -> Any:
        return sa.func.min(a, b) if sqlite else sa.func.least(a, b)

    kinds = [k.value for k in ProgrammeKind]
    day_count = sa.func.round(minutes / 1440.0)
    day_count = sa.case((day_count < 1, 1), else_=day_count)
    per_day = sa.case(
        *(
            (
                kind == k,
                rules.num(f"{k}.per_day") if f"{k}.per_day" in rules.values else rules.num("full_day"),
            )
            for k in kinds
        ),
        else_=rules.num("full_day"),
    )
    caps = [(kind == k, rules.num(f"{k}.cap")) for k in kinds if rules.values.get(f"{k}.cap")]
    cap = sa.case(*caps, else_=1e12) if caps else sa.literal(1e12)
    all_day_hours = least(day_count * per_day, cap)
    half = minutes <= rules.num("half_day_max_minutes")
    by_day = col(Programme.kind).in_(sorted(_TIMED_BY_DAY))
    per_hour = sa.case(
        *((kind == k, rules.num(f"{k}.per_hour")) for k in kinds if f"{k}.per_hour" in rules.values),
        else_=0.0,
    )
    raw = minutes / 60.0 * per_hour
    how = str(rules.values["rounding"])
    rounded = {
        "half": floor(raw * 2 + 0.5 + 1e-9) / 2.0,
        "whole": floor(raw + 0.5 + 1e-9) * 1.0,
        "down": floor(raw + 1e-9) * 1.0,
        "down_half": floor(raw * 2 + 1e-9) / 2.0,
    }.get(how, raw)
    ruled = sa.case(
        (all_day, all_day_hours),
        (by_day, sa.case((half, rules.num("half_day")), else_=rules.num("full_day"))),
        else_=rounded,
    )
    hours = sa.func.coalesce(col(TrainingSession.hours), col(Programme.hours), ruled)
    days = sa.case(
        (all_day, sa.case((all_day_hours > 0, day_count), else_=0.0)),
        (by_day, sa.case((half, 0.5), else_=1.0)),
        else_=0.0,
    )
    return hours, days


def _earned_by_cadre(
    s: Session, rules: Rules, first: date, last: date, cadre_ids: Sequence[int] | None = None
) -> dict[int, tuple[float, float]]:
    """cadre -> (centralised 学时, days) from the sessions held here between two local days, inclusive:
    one SQL aggregate per cadre of max(0, worth × status share − leave)."""
    worth_hours, worth_days = _worth_sql(s, rules)
    shares = [(col(Participant.status) == st.value, rules.factor(st.value)) for st in status_specs()]
    share: Any = (
        sa.case(*((c, v) for c, v in shares if v > 0), else_=0.0) if any(v for _c, v in shares) else 0.0
    )
    leave = sa.func.coalesce(col(Participant.leave_hours), 0.0)
    full_day = rules.num("full_day") or 1.0
    # max(0, x) as a two-argument function, so the database evaluates each CASE once per row
    clip = sa.func.max if s.get_bind().dialect.name == "sqlite" else sa.func.greatest
    got_hours = clip(worth_hours * share - leave, 0.0)
    got_days = sa.case((worth_days > 0, clip(worth_days * share - leave / full_day, 0.0)), else_=0.0)
    stmt = (
        select(Participant.cadre_id, sa.func.sum(got_hours), sa.func.sum(got_days))
        .select_from(Participant)
        .join(TrainingSession, col(Participant.session_id) == TrainingSession.id)
        .join(Programme, col(TrainingSession.programme_id) == Programme.id)
        .where(
            col(TrainingSession.status) != SessionStatus.CANCELLED.value,
            col(TrainingSession.starts_at) >= local_midnight(first),
            col(TrainingSession.starts_at) < local_midnight(last + timedelta(days=1)),
            col(Participant.status).is_not(None),
        )
        .group_by(Participant.cadre_id)
    )
    if cadre_ids is not None:
        stmt = stmt.where(col(Participant.cadre_id).in_(list(cadre_ids)))
    return {cid: (float(h or 0.0), float(d or 0.0)) for cid, h, d in s.exec(stmt).all()}


def _external_by_cadre(
    s: Session, first: date, last: date, cadre_ids: Sequence[int] | None = None
) -> dict[int, tuple[float, float, float, int]]:
    """cadre -> (centralised 学时, days, online 学时, pending) of training elsewhere that started in the range."""
    recognised = col(ExternalTraining.state) == RecordState.RECOGNISED.value
    central = col(ExternalTraining.category) == TrainingCategory.CENTRALISED.value

    def total(expr: Any, *cond: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*cond), expr), else_=0.0)), 0.0)

    stmt = (
        select(
            ExternalTraining.cadre_id,
            total(col(ExternalTraining.hours), recognised, central),
            total(col(ExternalTraining.days), recognised, central),
            total(col(ExternalTraining.hours), recognised, sa.not_(central)),
            sa.func.coalesce(
                sa.func.sum(
                    sa.case((col(ExternalTraining.state) == RecordState.SUBMITTED.value, 1), else_=0)
                ),
                0,
            ),
        )
        .where(col(ExternalTraining.start_date) >= first, col(ExternalTraining.start_date) <= last)
        .group_by(ExternalTraining.cadre_id)
    )
    if cadre_ids is not None:
        stmt = stmt.where(col(ExternalTraining.cadre_id).in_(list(cadre_ids)))
    return {r[0]: (float(r[1]), float(r[2]), float(r[3]), int(r[4])) for r in s.exec(stmt).all()}


def _sync_tallies(ctx: Context) -> None:
    """Rules the database has not been told about (a system config `[hours]` table, changed since): an
    administrator's ledger copies them in, and the trigger recomputes the tallies, in a write of its own.
    Anyone else's ledger reads the raw rows until then (right, only slower)."""
    if not AccessRole.at_least(ctx.actor.role, AccessRole.ADMIN):
        return
    with ctx.db.read() as s:
        if hours_tally.matches(s, load_rules(ctx, s)):
            return
    with ctx.db.write() as w:
        hours_tally.apply_rules(w, load_rules(ctx, w))


def _as_of(ctx: Context, year: int, as_of: date | None) -> date:
    today = as_of or local_date(ctx.now())
    return min(max(today, date(year, 1, 1) - timedelta(days=1)), date(year, 12, 31))


@bulk_read
def ledger(
    ctx: Context,
    year: int,
    *,
    unit_id: int | None = None,
    cadre_id: int | None = None,
    as_of: date | None = None,
    rules: Rules | None = None,
    use_tallies: bool = True,  # False: from the raw rows (tests compare the two)
    first_cadres: int | None = None,
) -> Ledger:
    """The year's 学时 per cadre against the targets: every active cadre (and inactive ones with figures).

    The 学时 earned here come from the maintained tallies (services/hours_tally.py) when they were computed
    with these rules, else from the raw rows. `first_cadres`: only that many first cadres of the roster order —
    the start of the full ledger, exactly (a screen paints it while a large roster's ledger is computed)."""
    if not 1900 < year < 2200:
        raise ValidationError("hours.bad_year", field="year", year=year)
    day = _as_of(ctx, year, as_of)
    first, last = date(year, 1, 1), date(year, 12, 31)
    if use_tallies and rules is None:
        _sync_tallies(ctx)
    with ctx.db.read() as s:
        rules = rules or load_rules(ctx, s)
        stmt = select(
            Cadre.id,
            Cadre.name,
            Cadre.ref,
            Cadre.unit_id,
            Unit.name,
            Cadre.post_title,
            Cadre.active,
            Cadre.role,
        ).join(Unit, col(Cadre.unit_id) == Unit.id, isouter=True)
        if unit_id is not None:
            stmt = stmt.where(Cadre.unit_id == unit_id)
        if cadre_id is not None:
            stmt = stmt.where(Cadre.id == cadre_id)
        tallied = use_tallies and hours_tally.matches(s, rules)
        if tallied:  # inactive cadres are listed only with figures: half the roster of a city is past cadres
            stmt = stmt.where(
                sa.or_(
                    col(Cadre.active).is_(True),
                    col(Cadre.id).in_(hours_tally.cadres_with_rows(year)),
                    col(Cadre.id).in_(
                        select(ExternalTraining.cadre_id).where(
                            col(ExternalTraining.start_date) >= first,
                            col(ExternalTraining.start_date) <= last,
                        )
                    ),
                )
            )
        from zhijin_training.services.roster import ROLE_ORDER

        stmt = stmt.order_by(
            sa.nulls_last(col(Unit.kind).desc()), col(Unit.sort_order), ROLE_ORDER, col(Cadre.id)
        )
        if first_cadres is not None:
            stmt = stmt.limit(first_cadres)
        cadres = s.exec(stmt).all()
        ids = (
            [c[0] for c in cadres] if (unit_id is not None or cadre_id is not None or first_cadres) else None
        )
        here = (
            hours_tally.earned_by_cadre(s, year, year, ids)
            if tallied
            else _earned_by_cadre(s, rules, first, last, ids)
        )
        elsewhere = _external_by_cadre(s, first, last, ids)
        spans = _spans(s, ids)
        for c in cadres:
            if c[0] not in spans:
                spans[c[0]] = inferred_spans(c[7])
        division_ids = [c for c, sp in spans.items() if rank_on(sp, day) == CadreRank.COUNTY_DIVISION.value]
        five: dict[int, float] = {}
        if division_ids:
            window = date(year - FIVE_YEARS + 1, 1, 1)
            here5 = (
                hours_tally.earned_by_cadre(s, window.year, year, division_ids)
                if tallied
                else _earned_by_cadre(s, rules, window, last, division_ids)
            )
            away5 = _external_by_cadre(s, window, last, division_ids)
            five = {
                c: here5.get(c, (0.0, 0.0))[0] + away5.get(c, (0.0, 0.0, 0.0, 0))[0] for c in division_ids
            }
    rows: list[LedgerRow] = []
    memo: dict[tuple[RankSpan, ...], Any] = {}
    for cid, name, ref, uid, unit_name, post, active, _role in cadres:
        h_here, d_here = here.get(cid, (0.0, 0.0))
        h_away, d_away, online, pending = elsewhere.get(cid, (0.0, 0.0, 0.0, 0))
        if not active and not (h_here or h_away or online or pending):
            continue
        cadre_spans = spans.get(cid, [])
        rows.append(
            _row(
                rules,
                year,
                day,
                cid,
                name,
                ref,
                uid,
                unit_name,
                post,
                cadre_spans,
                h_here + h_away,
                d_here + d_away,
                online,
                pending,
                five.get(cid),
                memo,
            )
        )
    return Ledger(year, day, rows)


def _row(
    rules: Rules,
    year: int,
    day: date,
    cid: int,
    name: str,
    ref: str | None,
    uid: int | None,
    unit_name: str | None,
    post: str,
    spans: Sequence[RankSpan],
    hours: float,
    days: float,
    online: float,
    pending: int,
    five_hours: float | None,
    memo: dict[tuple[RankSpan, ...], Any],
) -> LedgerRow:
    key = tuple(spans)
    per_history = memo.get(key)
    if per_history is None:  # most cadres share a rank history (one rank all year): computed once per ledger
        (target, target_days, online_target) = year_targets(rules, spans, year)
        (due, due_days, online_due) = year_targets(rules, spans, year, until=day)
        rank = rank_on(spans, day)
        five_target = (
            rules.num("target.county_division.hours") if rank == CadreRank.COUNTY_DIVISION.value else None
        )
        shown = (round(target, 1), round(target_days, 1), round(online_target, 1), round(due, 1))
        per_history = memo[key] = (
            target,
            target_days,
            online_target,
            due,
            due_days,
            online_due,
            rank,
            five_target,
            shown,
        )
    target, target_days, online_target, due, due_days, online_due, rank, five_target, shown = per_history
    days_met = target_days > 0 and days >= target_days - 1e-9
    shortfall = 0.0 if days_met else max(0.0, target - hours)
    due_met = due_days > 0 and days >= due_days - 1e-9
    behind_by = 0.0 if due_met else max(0.0, due - hours)
    return LedgerRow(
        cadre_id=cid,
        name=name,
        ref=ref,
        unit_id=uid,
        unit=unit_name or "",
        post_title=post,
        rank=rank,
        centralised_hours=round(hours, 2),
        centralised_days=round(days, 2),
        online_hours=round(online, 2),
        target=shown[0],
        target_days=shown[1],
        online_target=shown[2],
        shortfall=round(shortfall, 1),
        online_shortfall=round(max(0.0, online_target - online), 1),
        due=shown[3],
        behind_by=round(behind_by, 1),
        online_behind_by=round(max(0.0, online_due - online), 1),
        progress=(hours / due) if due > 0 else None,
        five_year_hours=round(five_hours or 0.0, 2) if five_target is not None else None,
        five_year_target=five_target,
        pending=pending,
    )


def behind_target(ctx: Context, year: int, *, as_of: date | None = None) -> list[LedgerRow]:
    """Cadres behind the pro-rata target to date, furthest behind first."""
    rows = [r for r in ledger(ctx, year, as_of=as_of).rows if r.behind]
    return sorted(rows, key=lambda r: (-r.behind_by, -r.online_behind_by, r.cadre_id))


@bulk_read
def unit_ledger(ctx: Context, year: int, *, as_of: date | None = None) -> list[UnitLedgerRow]:
    """Per current unit: how many cadres, how many with a target, how many behind, totals and shortfall."""
    book = ledger(ctx, year, as_of=as_of)
    groups: dict[int | None, list[LedgerRow]] = {}
    names: dict[int | None, str] = {}
    for row in book.rows:
        groups.setdefault(row.unit_id, []).append(row)
        names[row.unit_id] = row.unit
    return [
        UnitLedgerRow(
            unit_id=uid,
            unit=names[uid] or "（无单位）",
            cadres=len(rows),
            with_target=sum(1 for r in rows if r.target > 0),
            behind=sum(1 for r in rows if r.behind),
            centralised_hours=round(sum(r.centralised_hours for r in rows), 2),
            online_hours=round(sum(r.online_hours for r in rows), 2),
            target=round(sum(r.target for r in rows), 1),
            shortfall=round(sum(r.shortfall for r in rows), 1),
            online_shortfall=round(sum(r.online_shortfall for r in rows), 1),
        )
        for uid, rows in groups.items()
    ]


# ---------------------------------------------------------------- what lies behind a figure
@dataclass(frozen=True)
class HoursItem:
    day: date
    last_day: date
    source: str  # session / external
    ref_id: int  # session id or record id
    title: str
    kind: str  # programme kind, or the external source
    category: str  # centralised / online
    status: str | None  # attendance status, or the record's state
    hours: float  # earned (0 for a rejected or pending record)
    days: float
    worth: float  # the session's full 学时, or the record's claimed 学时
    organiser: str = ""
    leave_hours: float = 0.0


def hours_items(
    ctx: Context,
    cadre_id: int,
    *,
    year: int | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[HoursItem]:
    """Every session and record behind a cadre's figures (all years without `year`), oldest first."""
    if year is not None:
        first, last = date(year, 1, 1), date(year, 12, 31)
    with ctx.db.read() as s:
        rules = load_rules(ctx, s)
        stmt = (
            select(TrainingSession, Programme, Participant.status, Participant.leave_hours)
            .join(Participant, col(Participant.session_id) == TrainingSession.id)
            .join(Programme, col(TrainingSession.programme_id) == Programme.id)
            .where(
                Participant.cadre_id == cadre_id, col(TrainingSession.status) != SessionStatus.CANCELLED.value
            )
            .order_by(col(TrainingSession.starts_at))
        )
        if first is not None:
            stmt = stmt.where(col(TrainingSession.starts_at) >= local_midnight(first))
        if last is not None:
            stmt = stmt.where(col(TrainingSession.starts_at) < local_midnight(last + timedelta(days=1)))
        items: list[HoursItem] = []
        for row, programme, status, leave in s.exec(stmt).all():
            minutes = round((row.ends_at - row.starts_at).total_seconds() / 60)
            worth = session_worth(rules, programme.kind, row.all_day, minutes, programme.hours, row.hours)
            got = earned(rules, worth, status, leave or 0.0)
            start_day = local_date(row.starts_at)
            end_day = local_date(row.ends_at - timedelta(seconds=1)) if row.all_day else start_day
            items.append(
                HoursItem(
                    start_day,
                    end_day,
                    "session",
                    row.id or 0,
                    row.title or programme.title,
                    programme.kind,
                    TrainingCategory.CENTRALISED.value,
                    status,
                    round(got[0], 2),
                    round(got[1], 2),
                    worth[0],
                    programme.organiser,
                    leave or 0.0,
                )
            )
        rstmt = select(ExternalTraining).where(ExternalTraining.cadre_id == cadre_id)
        if first is not None:
            rstmt = rstmt.where(col(ExternalTraining.start_date) >= first)
        if last is not None:
            rstmt = rstmt.where(col(ExternalTraining.start_date) <= last)
        for r in s.exec(rstmt).all():
            counts = r.state == RecordState.RECOGNISED.value
            items.append(
                HoursItem(
                    r.start_date,
                    r.end_date,
                    "external",
                    r.id or 0,
                    r.course,
                    r.source,
                    r.category,
                    r.state,
                    r.hours if counts else 0.0,
                    r.days if counts and r.category == TrainingCategory.CENTRALISED.value else 0.0,
                    r.hours,
                    r.organiser or r.institution,
                )
            )
    items.sort(key=lambda i: (i.day, i.source, i.ref_id))
    return items


# ---------------------------------------------------------------- the 1/7 leave rule (Art. 15)
@dataclass(frozen=True)
class LeaveOver:
    cadre_id: int
    name: str
    unit: str
    course: str
    session_id: int
    first_day: date
    total_hours: float  # the course's own 学时
    leave_hours: float
    limit_hours: float


class LeaveLimitWarning(ScheduleWarning):
    """The leave being recorded takes a cadre over the 1/7 limit of a full-time course (Art. 15).

    A warning, not a refusal: the office may save it anyway (force) — the trainee is then withdrawn. A kind
    of ScheduleWarning so the TUI and CLI offer "save anyway?" as they do for double bookings."""

    title_code = "title.leave_limit"
    default_code = "hours.leave_over_limit"

    def __init__(self, code: str, /, *, field: str | None = None, **params: Any) -> None:
        DomainError.__init__(self, code, field=field, **params)
        self.conflicts: list[Any] = []  # the "save anyway?" dialog lists these for a ScheduleWarning
        self.holidays: list[Any] = []


def _course_total(rules: Rules, row: TrainingSession, programme: Programme) -> tuple[float, float] | None:
    """(学时, days) of a full-time course of several days, or None when the session is not one."""
    if not row.all_day or programme.kind not in FULL_TIME_KINDS:
        return None
    minutes = round((row.ends_at - row.starts_at).total_seconds() / 60)
    worth = session_worth(rules, programme.kind, True, minutes, programme.hours, row.hours)
    if worth[1] < 2 or worth[0] <= 0:
        return None
    return worth


def leave_taken(rules: Rules, worth: tuple[float, float], status: str | None, leave_hours: float) -> float:
    """学时 of leave a participant took from a course: all of it when on leave, else the hours recorded."""
    if status == AttendanceStatus.ON_LEAVE.value:
        return worth[0]
    return min(worth[0], leave_hours or 0.0)


def over_limit(rules: Rules, total: float, leave: float) -> bool:
    """Leave above the share (1/7) of the course's own 学时, compared exactly."""
    return Fraction(str(leave)) > rules.leave_share * Fraction(str(total))


def check_leave_limit(
    ctx: Context,
    s: Session,
    row: TrainingSession,
    cadre_id: int,
    status: str,
    leave_hours: float,
    *,
    force: bool,
) -> None:
    """Called by attendance.mark before a leave is saved: warn when it crosses 1/7 of the course."""
    if force or (status != AttendanceStatus.ON_LEAVE.value and not leave_hours):
        return
    programme = s.get(Programme, row.programme_id)
    if programme is None:
        return
    rules = load_rules(ctx, s)
    worth = _course_total(rules, row, programme)
    if worth is None:
        return
    leave = leave_taken(rules, worth, status, leave_hours)
    if over_limit(rules, worth[0], leave):
        limit = float(rules.leave_share * Fraction(str(worth[0])))
        raise LeaveLimitWarning(
            "hours.leave_over_limit",
            field="leave_hours",
            course=row.title or programme.title,
            total=worth[0],
            leave=leave,
            limit=round(limit, 2),
            share=str(rules.leave_share),
        )


def leave_over(ctx: Context, year: int) -> list[LeaveOver]:
    """Everyone whose leave in a full-time course of several days that started in `year` exceeds 1/7."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    with ctx.db.read() as s:
        rules = load_rules(ctx, s)
        stmt = (
            select(
                TrainingSession,
                Programme,
                Participant.cadre_id,
                Participant.status,
                Participant.leave_hours,
                Cadre.name,
                Unit.name,
            )
            .join(Participant, col(Participant.session_id) == TrainingSession.id)
            .join(Programme, col(TrainingSession.programme_id) == Programme.id)
            .join(Cadre, col(Participant.cadre_id) == Cadre.id)
            .join(Unit, col(Participant.unit_id) == Unit.id, isouter=True)
            .where(
                col(TrainingSession.all_day).is_(True),
                col(Programme.kind).in_(sorted(FULL_TIME_KINDS)),
                col(TrainingSession.status) != SessionStatus.CANCELLED.value,
                col(TrainingSession.starts_at) >= local_midnight(first),
                col(TrainingSession.starts_at) < local_midnight(last + timedelta(days=1)),
                sa.or_(
                    col(Participant.status) == AttendanceStatus.ON_LEAVE.value,
                    col(Participant.leave_hours) > 0,
                ),
            )
            .order_by(col(TrainingSession.starts_at), col(Participant.cadre_id))
        )
        out: list[LeaveOver] = []
        for row, programme, cid, status, leave_h, name, unit in s.exec(stmt).all():
            worth = _course_total(rules, row, programme)
            if worth is None:
                continue
            leave = leave_taken(rules, worth, status, leave_h or 0.0)
            if over_limit(rules, worth[0], leave):
                out.append(
                    LeaveOver(
                        cid,
                        name,
                        unit or "",
                        row.title or programme.title,
                        row.id or 0,
                        local_date(row.starts_at),
                        worth[0],
                        leave,
                        round(float(rules.leave_share * Fraction(str(worth[0]))), 2),
                    )
                )
        return out


# ---------------------------------------------------------------- the dossier (一人一档)
@dataclass(frozen=True)
class YearTotal:
    year: int
    centralised_hours: float
    centralised_days: float
    online_hours: float
    target: float
    online_target: float
    shortfall: float


@dataclass(frozen=True)
class PostLine:
    unit: str
    post_title: str
    start: date
    end: date | None


@dataclass(frozen=True)
class Dossier:
    cadre_id: int
    name: str
    ref: str | None
    unit: str
    post_title: str
    gender: str
    ethnicity: str
    birth_month: str
    education: str
    political_status: str
    rank: str
    ranks: list[RankSpan]
    posts: list[PostLine]
    items: list[HoursItem]
    years: list[YearTotal]
    five_year_hours: float
    five_year_window: tuple[int, int]
    as_of: date
    extra: dict[str, Any] = field(default_factory=dict)


def dossier(ctx: Context, cadre: int | str, *, as_of: date | None = None) -> Dossier:
    """Everything on record for one cadre: sessions, trips, secondments, training elsewhere, 学时 per year."""
    from zhijin_training.services.roster import find_cadre

    today = as_of or local_date(ctx.now())
    with ctx.db.read() as s:
        person = s.get(Cadre, cadre) if isinstance(cadre, int) else find_cadre(s, cadre)
        if person is None:
            raise NotFoundError("hours.cadre_missing", cadre_id=cadre)
        unit = s.get(Unit, person.unit_id) if person.unit_id else None
        spans = _spans(s, [person.id or 0]).get(person.id or 0) or inferred_spans(person.role)
        units = {u.id: u.name for u in s.exec(select(Unit)).all()}
        posts = [
            PostLine(units.get(p.unit_id, "") if p.unit_id else "", p.post_title, p.start_date, p.end_date)
            for p in s.exec(select(Post).where(Post.cadre_id == person.id).order_by(col(Post.start_date)))
        ]
        rules = load_rules(ctx, s)
        snapshot = (
            person.id or 0,
            person.name,
            person.ref,
            unit.name if unit else "",
            person.post_title,
            person.gender,
            person.ethnicity,
            person.birth_month,
            person.education,
            person.political_status,
        )
    items = hours_items(ctx, snapshot[0])
    years_seen = sorted({i.day.year for i in items} | {today.year})
    totals = []
    for year in years_seen:
        central = sum(
            i.hours for i in items if i.day.year == year and i.category == TrainingCategory.CENTRALISED.value
        )
        days = sum(
            i.days for i in items if i.day.year == year and i.category == TrainingCategory.CENTRALISED.value
        )
        online = sum(
            i.hours for i in items if i.day.year == year and i.category == TrainingCategory.ONLINE.value
        )
        target, target_days, online_target = year_targets(rules, spans, year)
        met_days = target_days > 0 and days >= target_days
        totals.append(
            YearTotal(
                year,
                round(central, 2),
                round(days, 2),
                round(online, 2),
                round(target, 1),
                round(online_target, 1),
                0.0 if met_days else round(max(0.0, target - central), 1),
            )
        )
    window = (today.year - FIVE_YEARS + 1, today.year)
    five = sum(
        i.hours
        for i in items
        if window[0] <= i.day.year <= window[1] and i.category == TrainingCategory.CENTRALISED.value
    )
    return Dossier(
        *snapshot,
        rank=rank_on(spans, today),
        ranks=spans,
        posts=posts,
        items=items,
        years=totals,
        five_year_hours=round(five, 2),
        five_year_window=window,
        as_of=today,
    )


def unit_cadre_ids(ctx: Context, unit: int | str) -> tuple[str, list[int]]:
    """(unit name, active cadres of the unit in roster order), for a unit's dossier file."""
    from zhijin_training.services.roster import ROLE_ORDER, find_unit

    with ctx.db.read() as s:
        found = find_unit(s, unit)
        ids = s.exec(
            select(Cadre.id)
            .where(Cadre.unit_id == found.id, col(Cadre.active).is_(True))
            .order_by(ROLE_ORDER, col(Cadre.id))
        ).all()
        return found.name, [i for i in ids if i is not None]


def rules_table(ctx: Context) -> list[tuple[str, Any, str]]:
    """(key, value, source) of every rule, for `hours rules` and the settings screen."""
    rules = load_rules(ctx)
    return [(k, rules.values[k], rules.sources[k]) for k in DEFAULT_RULES]


def dump_rules(rules: Rules) -> str:
    return json.dumps(rules.values, ensure_ascii=False, sort_keys=True)


def cadres_of(items: Iterable[LedgerRow], unit_id: int | None) -> list[LedgerRow]:
    return [r for r in items if r.unit_id == unit_id]
