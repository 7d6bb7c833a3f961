"""Public holidays and swapped working days (调休), kept in the database (table `calendar_day`).

The State Council announces each year's arrangement late in the previous year. `chinesecalendar` knows the years
it was released with (through 2026): those rows are copied in (source "library"); the office adds later years by
hand or from an .ics holiday feed (source "office"), and an office row wins over a library row for the same day.
Every holiday decision of the services (series that skip holidays, warnings) asks a `HolidayCalendar` loaded
from that table. A year with no row at all is unknown: planners are told, and "skip holidays" refuses to guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from zhijin_training.models import SessionStatus, TrainingSession
from zhijin_training.models.holidays import CalendarDay, DayKind, DaySource
from zhijin_training.services.context import Context
from zhijin_training.services.errors import ValidationError
from zhijin_training.services.validation import clean_text
from zhijin_training.services.views import SessionView
from zhijin_training.settings import AccessRole
from zhijin_training.timeutil import local_date, local_midnight

_ZH_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
WEEKEND = "周末"  # the name a rest day has when it is only a weekend (data, like the holiday names)
MAX_ICS_BYTES = 2_000_000
MAX_RANGE_DAYS = 31  # one holiday period (春节 is 8–9 days); a typo like 2027-02-06..2028-02-12 is refused


@dataclass(frozen=True)
class DayInfo:
    day: date
    known: bool  # False: neither the library nor the office has this year
    is_workday: bool
    holiday: str | None  # name of the public holiday, when the day is one
    swapped_workday: bool  # a weekend day that is a working day (调休上班)

    @property
    def is_public_holiday(self) -> bool:
        return self.holiday is not None

    @property
    def rest_name(self) -> str | None:
        """Why nobody works that day: the holiday's name, 周末 for a plain weekend, None on a working day."""
        if self.holiday:
            return self.holiday
        return None if self.is_workday else WEEKEND


@dataclass(frozen=True)
class CalendarDayView:
    day: date
    kind: str  # holiday / workday
    name: str
    source: str  # library / office (the row that counts)


class HolidayCalendar:
    """The exceptional days of a span of years, office rows over library rows."""

    def __init__(self, rows: Iterable[tuple[date, str, str, str]], known_years: Iterable[int]) -> None:
        self._days: dict[date, tuple[str, str, str]] = {}
        for day, kind, name, source in rows:
            if day in self._days and self._days[day][2] == DaySource.OFFICE:
                continue
            self._days[day] = (kind, name, source)
        self.known_years = frozenset(known_years)

    def day_info(self, day: date) -> DayInfo:
        known = day.year in self.known_years
        weekend = day.weekday() >= 5
        entry = self._days.get(day)
        if entry is None:
            return DayInfo(day, known, is_workday=not weekend, holiday=None, swapped_workday=False)
        kind, name, _source = entry
        if kind == DayKind.WORKDAY:
            return DayInfo(day, known, is_workday=True, holiday=None, swapped_workday=weekend)
        return DayInfo(day, known, is_workday=False, holiday=name or "节假日", swapped_workday=False)

    def unknown_years(self, days: Iterable[date]) -> list[int]:
        return sorted({d.year for d in days} - self.known_years)

    def views(self, year: int) -> list[CalendarDayView]:
        return [
            CalendarDayView(day, kind, name, source)
            for day, (kind, name, source) in sorted(self._days.items())
            if day.year == year
        ]


# ---------------------------------------------------------------- the library's data
def library_rows() -> list[tuple[date, str, str]]:
    """(day, kind, Chinese name) of every holiday and swapped working day `chinesecalendar` knows."""
    from chinese_calendar import constants

    out: list[tuple[date, str, str]] = []
    for table, kind in ((constants.holidays, DayKind.HOLIDAY), (constants.workdays, DayKind.WORKDAY)):
        for day, name in table.items():
            text = str(getattr(name, "value", name))
            zh = _ZH_NAMES.get(text, text)
            out.append((day, kind, zh + ("补班" if kind == DayKind.WORKDAY else "")))
    return sorted(out)


def sync_library(s: Session, *, now: datetime) -> int:
    """Copy library days the table does not have yet (a newer library knows a new year). Returns rows added."""
    have = {d for d in s.exec(select(CalendarDay.day).where(CalendarDay.source == DaySource.LIBRARY)).all()}
    added = 0
    for day, kind, name in library_rows():
        if day not in have:
            s.add(CalendarDay(day=day, kind=kind, name=name, source=DaySource.LIBRARY, updated_at=now))
            added += 1
    if added:
        s.flush()
    return added


# ---------------------------------------------------------------- reading
def load_calendar(s: Session, first: date, last: date) -> HolidayCalendar:
    """The calendar for the days first..last (inclusive), with the years that have data."""
    rows = s.exec(
        select(CalendarDay.day, CalendarDay.kind, CalendarDay.name, CalendarDay.source)
        .where(CalendarDay.day >= first, CalendarDay.day <= last)
        .order_by(col(CalendarDay.day))
    ).all()
    known = {
        year
        for year in range(first.year, last.year + 1)
        if s.exec(
            select(CalendarDay.id)
            .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .limit(1)
        ).first()
        is not None
    }
    return HolidayCalendar(rows, known)


def calendar_for(ctx: Context, first: date, last: date) -> HolidayCalendar:
    with ctx.db.read() as s:
        return load_calendar(s, first, last)


def unknown_years(ctx: Context, first: date, last: date) -> list[int]:
    """Years between first and last whose holidays nobody has entered (the form says so)."""
    if last < first:
        first, last = last, first
    return calendar_for(ctx, first, last).unknown_years(
        date(y, 1, 1) for y in range(first.year, last.year + 1)
    )


def known_years(ctx: Context, first_year: int, last_year: int) -> set[int]:
    """The years between first_year and last_year that have holiday data (for a form's live note)."""
    cal = calendar_for(ctx, date(first_year, 1, 1), date(last_year, 12, 31))
    return set(cal.known_years)


def list_year(ctx: Context, year: int) -> tuple[list[CalendarDayView], bool]:
    """The year's holidays and working days (the row that counts for each day), and whether the year is known."""
    _check_year(year)
    cal = calendar_for(ctx, date(year, 1, 1), date(year, 12, 31))
    return cal.views(year), year in cal.known_years


def _check_year(year: int) -> None:
    if not 1990 <= year <= 2200:
        raise ValidationError("holidays.year_range", field="year", year=year)


# ---------------------------------------------------------------- writing (admins)
@dataclass(frozen=True)
class DayEntry:
    day: date
    kind: str
    name: str


@dataclass(frozen=True)
class AddResult:
    days: list[DayEntry]
    clashes: list[SessionView]  # sessions already planned on the new rest days


def parse_range(text: str) -> tuple[date, date]:
    """`2027-02-06..2027-02-12` or a single day."""
    from zhijin_training.timeutil import parse_date

    first_text, _, last_text = text.strip().partition("..")
    first = parse_date(first_text.strip(), field="dates")
    last = parse_date(last_text.strip(), field="dates") if last_text.strip() else first
    return first, last


def entries_for(first: date, last: date, kind: str, name: str) -> list[DayEntry]:
    if kind not in DayKind.ALL:
        raise ValidationError("holidays.kind", field="kind", kind=kind)
    if last < first:
        from zhijin_training.services.errors import EndBeforeStart

        raise EndBeforeStart(start=first, end=last, field="dates")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ValidationError(
            "holidays.range_too_long", field="dates", first=first, last=last, limit=MAX_RANGE_DAYS
        )
    _check_year(first.year)
    _check_year(last.year)
    name = clean_text(name, "name", max_len=100, required=True)
    out = []
    day = first
    while day <= last:
        out.append(DayEntry(day, kind, name))
        day += timedelta(days=1)
    return out


def save_days(ctx: Context, entries: Sequence[DayEntry]) -> AddResult:
    """Write office rows (replacing the office's earlier row for the same day) in one transaction, then list
    the sessions already planned on the days that became rest days."""
    ctx.actor.require(AccessRole.ADMIN, "edit holidays")
    if not entries:
        raise ValidationError("holidays.nothing", field="dates")
    with ctx.db.write() as s:
        days = [e.day for e in entries]
        existing = {
            r.day: r
            for r in s.exec(
                select(CalendarDay).where(
                    col(CalendarDay.day).in_(days), CalendarDay.source == DaySource.OFFICE
                )
            ).all()
        }
        for e in entries:
            row = existing.get(e.day) or CalendarDay(day=e.day, kind=e.kind, source=DaySource.OFFICE)
            row.kind, row.name = e.kind, e.name
            row.updated_by, row.updated_at = ctx.actor.user, ctx.now()
            s.add(row)
        s.flush()
        from zhijin_training.services import audit

        audit.record(
            ctx,
            s,
            action="update",
            entity="calendar_day",
            entity_id=None,
            after={"days": [[e.day.isoformat(), e.kind, e.name] for e in entries]},
        )
    rest = [e.day for e in entries if e.kind == DayKind.HOLIDAY]
    return AddResult(list(entries), sessions_on_days(ctx, rest))


def remove_days(ctx: Context, first: date, last: date) -> int:
    """Remove the office's rows for first..last (the library's data, if any, counts again)."""
    ctx.actor.require(AccessRole.ADMIN, "edit holidays")
    with ctx.db.write() as s:
        rows = s.exec(
            select(CalendarDay).where(
                CalendarDay.day >= first, CalendarDay.day <= last, CalendarDay.source == DaySource.OFFICE
            )
        ).all()
        for r in rows:
            s.delete(r)
        return len(rows)


# ---------------------------------------------------------------- sessions on rest days
def sessions_on_days(ctx: Context, days: Iterable[date]) -> list[SessionView]:
    """Scheduled timed sessions (not trips or secondments, which span rest days anyway) on any of `days`."""
    from zhijin_training.services.schedule import session_view

    wanted = sorted(set(days))
    if not wanted:
        return []
    with ctx.db.read() as s:
        rows = s.exec(
            select(TrainingSession)
            .where(
                TrainingSession.starts_at >= local_midnight(wanted[0]),
                TrainingSession.starts_at < local_midnight(wanted[-1] + timedelta(days=1)),
                TrainingSession.status == SessionStatus.SCHEDULED.value,
                col(TrainingSession.all_day).is_(False),
            )
            .order_by(col(TrainingSession.starts_at))
        ).all()
        hit = set(wanted)
        return [session_view(s, r) for r in rows if local_date(r.starts_at) in hit]


def sessions_on_rest_days(ctx: Context, year: int) -> list[SessionView]:
    """Planned timed sessions of `year` that fall on a holiday or on a weekend that is not a working day."""
    _check_year(year)
    cal = calendar_for(ctx, date(year, 1, 1), date(year, 12, 31))
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        if cal.day_info(day).rest_name:
            days.append(day)
        day += timedelta(days=1)
    return sessions_on_days(ctx, days)


def next_workday(ctx: Context, day: date) -> date:
    cal = calendar_for(ctx, day, day + timedelta(days=60))
    candidate = day + timedelta(days=1)
    while not cal.day_info(candidate).is_workday:
        candidate += timedelta(days=1)
    return candidate


def move_to_next_workday(ctx: Context, session_id: int) -> SessionView:
    """Move a session that fell on a rest day to the same time on the next working day (this one only)."""
    from zhijin_training.services import schedule

    current = schedule.get_session(ctx, session_id)
    target = next_workday(ctx, local_date(current.starts_at))
    shift = timedelta(days=(target - local_date(current.starts_at)).days)
    return schedule.update_session(
        ctx,
        session_id,
        schedule.SessionChanges(starts_at=current.starts_at + shift, ends_at=current.ends_at + shift),
        expected_version=current.version,
    )[0]


def skip_session(ctx: Context, session_id: int, name: str) -> SessionView:
    """Leave a session out because its day became a holiday: it is cancelled with the holiday as reason."""
    from zhijin_training.services import schedule

    current = schedule.get_session(ctx, session_id)
    return schedule.cancel_session(ctx, session_id, expected_version=current.version, reason=name)[0]


# ---------------------------------------------------------------- .ics holiday feeds
@dataclass(frozen=True)
class IcsPreview:
    entries: list[DayEntry]
    years: list[int]


_WORKDAY_MARKS = ("补班", "上班", "调休上班", "班")


def read_ics(path: Path) -> IcsPreview:
    """An .ics holiday calendar as the public Chinese feeds publish it: all-day events, one per holiday period
    or day; summaries that mark 补班 / 上班 are swapped working days. All-or-nothing: any bad event refuses the
    file, naming it."""
    try:
        if path.is_symlink() or not path.is_file():
            raise ValidationError("holidays.ics_unreadable", field="file", path=str(path))
        if path.stat().st_size > MAX_ICS_BYTES:
            raise ValidationError("holidays.ics_too_large", field="file", path=str(path), limit=MAX_ICS_BYTES)
        data = path.read_bytes()
    except OSError:
        raise ValidationError("holidays.ics_unreadable", field="file", path=str(path)) from None
    return parse_ics(data)


def parse_ics(data: bytes) -> IcsPreview:
    import icalendar

    try:
        cal = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError):
        raise ValidationError("holidays.ics_invalid", field="file") from None
    entries: dict[date, DayEntry] = {}
    for number, event in enumerate(cal.walk("VEVENT"), start=1):
        summary = str(event.get("SUMMARY", "")).strip()
        start = event.get("DTSTART")
        end = event.get("DTEND")
        first = getattr(start, "dt", None)
        if not isinstance(first, date) or isinstance(first, datetime):
            raise ValidationError("holidays.ics_not_all_day", field="file", event=number, summary=summary)
        last_excl = getattr(end, "dt", None) if end is not None else first + timedelta(days=1)
        if not isinstance(last_excl, date) or isinstance(last_excl, datetime) or last_excl <= first:
            raise ValidationError("holidays.ics_not_all_day", field="file", event=number, summary=summary)
        workday = any(mark in summary for mark in _WORKDAY_MARKS)
        name = summary or ("补班" if workday else "节假日")
        kind = DayKind.WORKDAY if workday else DayKind.HOLIDAY
        for entry in entries_for(first, last_excl - timedelta(days=1), kind, name):
            if entry.day in entries and entries[entry.day].kind != entry.kind:
                raise ValidationError("holidays.ics_contradiction", field="file", day=entry.day)
            entries[entry.day] = entry
    if not entries:
        raise ValidationError("holidays.ics_empty", field="file")
    ordered = [entries[d] for d in sorted(entries)]
    return IcsPreview(ordered, sorted({e.day.year for e in ordered}))
