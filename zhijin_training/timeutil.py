"""Time in one place: everything is stored in UTC and shown in Asia/Shanghai.

China has had no daylight saving since 1991, but we still go through zoneinfo so that
historic dates (1986–1991 did have DST) convert correctly.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from zhijin_training.services.errors import Phrase, ValidationError

TZ_NAME = "Asia/Shanghai"
MIN_YEAR, MAX_YEAR = 1900, 2200
LOCAL_TZ = ZoneInfo(TZ_NAME)

_DATE_RE = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*$")
_DATETIME_RE = re.compile(
    r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+)(\d{1,2})[:：时](\d{2})(?::(\d{2}))?\s*$"
)
_TIME_RE = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*$")


class DateParseError(ValidationError, ValueError):
    """A date or time the user typed that we could not read (a ValueError too, for older callers)."""

    default_code = "date.format"


def _reason(exc: ValueError) -> Phrase:
    """Why datetime() refused the numbers, as a catalogue phrase (its own message is English)."""
    text = str(exc)
    for word in ("day", "month", "year"):
        if text.startswith(word):
            return Phrase(f"date.reason.no_such_{word}")
    return Phrase("date.reason.no_such_time")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """Aware datetime in UTC; naive input is taken as Asia/Shanghai wall time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ)


def local_midnight(day: date) -> datetime:
    """The UTC instant at which `day` begins in Shanghai."""
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ).astimezone(UTC)


def local_date(value: datetime) -> date:
    return to_local(value).date()


def parse_date(text: str, *, field: str = "date") -> date:
    """Parse `2026-12-04` (also 2026/12/4 and 2026年12月4日)."""
    match = _DATE_RE.match(text or "")
    if not match:
        raise DateParseError("date.format", field=field, value=text or "")
    year, month, day = (int(g) for g in match.groups())
    try:
        value = date(year, month, day)
    except ValueError as exc:
        raise DateParseError("date.not_real", field=field, value=text, reason=_reason(exc)) from None
    _check_range(value, field, text)
    return value


def _check_range(value: date, field: str, text: str) -> None:
    """Typed dates stay within what a training office plans (and what time zone maths can handle)."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise DateParseError("date.out_of_range", field=field, value=text, min=MIN_YEAR, max=MAX_YEAR)


def parse_time(text: str, *, field: str = "time") -> time:
    match = _TIME_RE.match(text or "")
    if not match:
        raise DateParseError("time.format", field=field, value=text or "")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise DateParseError("time.not_real", field=field, value=text)
    return time(hour, minute)


def parse_local_datetime(text: str, *, field: str = "time") -> datetime:
    """Parse `2026-12-04 15:00` as Shanghai wall time; returns an aware UTC datetime."""
    match = _DATETIME_RE.match(text or "")
    if not match:
        raise DateParseError("datetime.format", field=field, value=text or "")
    parts = [int(g) if g else 0 for g in match.groups()]
    try:
        naive = datetime(*parts)
    except ValueError as exc:
        raise DateParseError("datetime.not_real", field=field, value=text, reason=_reason(exc)) from None
    _check_range(naive.date(), field, text)
    return to_utc(naive)


def format_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else to_local(value).strftime(fmt)


def quarter_bounds(spec: str) -> tuple[date, date]:
    """`2026Q3` -> (2026-07-01, 2026-09-30), inclusive."""
    match = re.fullmatch(r"\s*(\d{4})\s*[Qq]([1-4])\s*", spec or "")
    if not match:
        raise DateParseError("quarter.format", field="quarter", value=spec or "")
    year, q = int(match.group(1)), int(match.group(2))
    start = date(year, 3 * (q - 1) + 1, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, end - timedelta(days=1)


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"
