"""Reading an .ics file someone sent us: refuse what is broken or hostile, normalise what is fine.

Checks before icalendar sees the data: a size cap, strict UTF-8 (icalendar itself would silently replace
bad bytes), BEGIN:VCALENDAR first and END:VCALENDAR last (a truncated download is refused, not half
imported). After parsing: every property we use must have parsed (icalendar records broken ones in
`component.errors`), every time zone must be known, and a session's end must come after its start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar
from icalendar.parser import unescape_backslash

from zhijin_training.i18n import LANGS, label
from zhijin_training.ical.export import DATA_PROP
from zhijin_training.models import ProgrammeKind
from zhijin_training.services.errors import ValidationError
from zhijin_training.services.schedule import ItineraryStop
from zhijin_training.timeutil import LOCAL_TZ, to_utc

MAX_BYTES = 20 * 1024 * 1024  # a city-wide year of sessions with participant lists is a few MB
MAX_EVENTS = 20_000
MAX_UID = 255
_BOM = b"\xef\xbb\xbf"
_USED = ("UID", "DTSTART", "DTEND", "DURATION", "SEQUENCE", "STATUS", "SUMMARY", "LOCATION", "DESCRIPTION")
_KIND_WORDS = {
    label("programme_kind", k.value, lang).lower(): k.value for k in ProgrammeKind for lang in LANGS
} | {k.value: k.value for k in ProgrammeKind}


@dataclass(frozen=True)
class ImportedEvent:
    """One VEVENT as a session would hold it. None: the file does not say (keep what we have)."""

    where: str  # "line 42, UID …" for messages
    uid: str
    sequence: int
    title: str
    cancelled: bool
    all_day: bool
    starts_at: datetime | None  # timed: aware UTC
    ends_at: datetime | None
    first_day: date | None  # all-day: inclusive days
    last_day: date | None
    location: str
    programme_title: str
    programme_kind: str
    topic: str | None = None
    speaker: str | None = None
    branch_venues: tuple[str, ...] | None = None
    broadcast_at: datetime | None = None
    note: str | None = None
    itinerary: tuple[ItineraryStop, ...] | None = None
    ours: bool = False  # carries X-ZHIJIN-DATA: every field is given


@dataclass(frozen=True)
class Skipped:
    where: str
    uid: str
    title: str
    reason: str


@dataclass(frozen=True)
class ParsedCalendar:
    name: str
    events: tuple[ImportedEvent, ...]
    skipped: tuple[Skipped, ...]


def decode(data: bytes, source: str) -> str:
    if len(data) > MAX_BYTES:
        raise ValidationError(
            f"{source}: {len(data) / 1e6:.1f} MB is larger than the {MAX_BYTES // 1_000_000} MB limit"
        )
    data = data.removeprefix(_BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(
            f"{source}: line {line}: not UTF-8 (byte 0x{data[exc.start]:02X}); save the file as UTF-8"
        ) from None
    if "\x00" in text:
        raise ValidationError(f"{source}: line {text[: text.index(chr(0))].count(chr(10)) + 1}: NUL byte")
    stripped = text.strip()
    if not stripped:
        raise ValidationError(f"{source}: the file is empty")
    if not stripped[:15].upper().startswith("BEGIN:VCALENDAR"):
        raise ValidationError(f"{source}: not an iCalendar file (it must start with BEGIN:VCALENDAR)")
    if not stripped.splitlines()[-1].strip().upper() == "END:VCALENDAR":
        raise ValidationError(f"{source}: truncated: the file does not end with END:VCALENDAR")
    return text


def _component_lines(text: str) -> list[tuple[str, int]]:
    """(name, line) of every component directly inside the calendar, in file order."""
    out: list[tuple[str, int]] = []
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        upper = line.upper()
        if upper.startswith("BEGIN:"):
            depth += 1
            if depth == 2:
                out.append((line[6:].strip().upper(), number))
        elif upper.startswith("END:"):
            depth -= 1
    return out


def parse_calendar(data: bytes, source: str) -> ParsedCalendar:
    text = decode(data, source)
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except (ValueError, IndexError, KeyError) as exc:
        raise ValidationError(f"{source}: not a valid iCalendar file ({_short(exc)})") from None
    if len(calendars) != 1 or calendars[0].name != "VCALENDAR":
        raise ValidationError(f"{source}: expected one VCALENDAR, found {len(calendars)} components")
    cal = calendars[0]
    name = _text(cal.get("X-WR-CALNAME") or cal.get("NAME")) or source
    places = _component_lines(text)
    if len(cal.subcomponents) > MAX_EVENTS:
        raise ValidationError(f"{source}: {len(cal.subcomponents)} entries, at most {MAX_EVENTS} allowed")
    events: list[ImportedEvent] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    for index, comp in enumerate(cal.subcomponents):
        line = places[index][1] if index < len(places) and places[index][0] == comp.name else None
        where = f"{source}: line {line}" if line else f"{source}: entry {index + 1}"
        if comp.name == "VTIMEZONE":
            continue
        uid = _text(comp.get("UID"))
        title = _text(comp.get("SUMMARY"))
        if comp.name != "VEVENT":
            skipped.append(Skipped(where, uid, title, f"{comp.name} is not an event"))
            continue
        if not uid:
            skipped.append(Skipped(where, uid, title, "no UID: could not be matched on a later import"))
            continue
        where = f"{where} (UID {uid[:60]})"
        if len(uid) > MAX_UID or any(ord(c) < 32 for c in uid):
            raise ValidationError(
                f"{where}: UID is longer than {MAX_UID} characters or has control characters"
            )
        if "RRULE" in comp or "RDATE" in comp or "RECURRENCE-ID" in comp:
            skipped.append(
                Skipped(where, uid, title, "recurring event (RRULE/RECURRENCE-ID): export single events")
            )
            continue
        if uid in seen:
            skipped.append(Skipped(where, uid, title, f"UID already used at {seen[uid]}"))
            continue
        seen[uid] = where.removeprefix(f"{source}: ")
        event = _event(comp, where, uid, name)
        if event is None:
            skipped.append(Skipped(where, uid, title, "no end and no duration (a reminder, not a session)"))
            continue
        events.append(event)
    return ParsedCalendar(name, tuple(events), tuple(skipped))


def _short(exc: BaseException) -> str:
    return str(exc).replace("\r", " ").replace("\n", " ")[:160]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _broken(comp: Any, where: str) -> None:
    for prop, message in getattr(comp, "errors", []) or []:
        if str(prop).upper() in _USED:
            raise ValidationError(f"{where}: {prop}: {_short(message)}")


def _moment(comp: Any, prop: str, where: str) -> date | datetime | None:
    value = comp.get(prop)
    if value is None:
        return None
    dt = value.dt
    if isinstance(dt, datetime) and dt.tzinfo is None:
        tzid = value.params.get("TZID")
        if tzid:
            raise ValidationError(f"{where}: {prop}: unknown time zone '{tzid}'")
        dt = dt.replace(tzinfo=LOCAL_TZ)  # floating time: the office's wall clock
    if not isinstance(dt, date):
        raise ValidationError(f"{where}: {prop}: '{value.to_ical().decode()}' is not a date or date-time")
    return dt


def _event(comp: Any, where: str, uid: str, calendar_name: str) -> ImportedEvent | None:
    _broken(comp, where)
    start = _moment(comp, "DTSTART", where)
    if start is None:
        raise ValidationError(f"{where}: no DTSTART")
    end = _moment(comp, "DTEND", where)
    duration = comp.get("DURATION")
    if end is None and duration is not None:
        if not isinstance(duration.dt, timedelta):
            raise ValidationError(f"{where}: DURATION is not a duration")
        end = start + duration.dt
    all_day = not isinstance(start, datetime)
    if all_day and end is None:
        end = start + timedelta(days=1)  # RFC 5545: a DATE event without end lasts one day
    if end is None:
        return None
    if isinstance(end, datetime) == all_day:
        raise ValidationError(f"{where}: DTSTART and DTEND mix a date and a date-time")
    if end <= start:  # type: ignore[operator]
        raise ValidationError(f"{where}: ends ({end}) before or when it starts ({start})")
    sequence = comp.get("SEQUENCE")
    status = _text(comp.get("STATUS")).upper()
    title = _text(comp.get("SUMMARY"))
    cancelled = status == "CANCELLED"
    from zhijin_training.i18n import t

    for lang in LANGS if cancelled else ():
        prefix = t("cancelled_prefix", lang)
        if title.startswith(prefix):  # our own 【已取消】 marker, not part of the title
            title = title.removeprefix(prefix)
            break
    categories = _categories(comp)
    kind = next((_KIND_WORDS[c.lower()] for c in categories if c.lower() in _KIND_WORDS), None)
    common: dict[str, Any] = {
        "where": where,
        "uid": uid,
        "sequence": max(0, int(sequence)) if sequence is not None else 0,
        "title": title,
        "cancelled": cancelled,
        "all_day": all_day,
        "starts_at": None if all_day else to_utc(start),  # type: ignore[arg-type]
        "ends_at": None if all_day else to_utc(end),  # type: ignore[arg-type]
        "first_day": start if all_day else None,
        "last_day": end - timedelta(days=1) if all_day else None,  # type: ignore[operator]
        "location": _text(comp.get("LOCATION")),
        "programme_title": calendar_name,
        "programme_kind": kind or ProgrammeKind.COURSE.value,
    }
    ours = comp.get(DATA_PROP)
    if ours is not None:
        return ImportedEvent(**(common | _our_data(unescape_backslash(str(ours)), where)))
    topic = next((c for c in categories if c.lower() not in _KIND_WORDS), "")
    return ImportedEvent(**common, topic=topic or None, note=_text(comp.get("DESCRIPTION")))


def _categories(comp: Any) -> list[str]:
    values = comp.get("CATEGORIES")
    if values is None:
        return []
    out: list[str] = []
    for item in values if isinstance(values, list) else [values]:
        out += [str(c).strip() for c in getattr(item, "cats", [item]) if str(c).strip()]
    return out


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("broadcast time without a time zone")
    return value.astimezone(UTC)


def _our_data(raw: str, where: str) -> dict[str, Any]:
    """The X-ZHIJIN-DATA our own export writes: every session field, machine-readable."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        kind = str(data["kind"])
        if kind not in _KIND_WORDS.values():
            raise ValueError(f"unknown kind '{kind}'")
        broadcast = data.get("broadcast_at")
        return {
            "programme_title": str(data["programme"]),
            "programme_kind": kind,
            "topic": str(data.get("topic") or ""),
            "speaker": str(data.get("speaker") or ""),
            "branch_venues": tuple(str(v) for v in data.get("branch_venues") or ()),
            "broadcast_at": _aware(datetime.fromisoformat(broadcast)) if broadcast else None,
            "note": str(data.get("note") or ""),
            "itinerary": tuple(
                ItineraryStop(date.fromisoformat(str(d)), str(p), str(a))
                for d, p, a in data.get("itinerary") or ()
            ),
            "ours": True,
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError(f"{where}: {DATA_PROP} is damaged ({_short(exc)})") from None
