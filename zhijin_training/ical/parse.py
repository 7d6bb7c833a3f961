"""Reading an .ics file someone sent us: Outlook, Google, phones, WeChat-forwarded invitations.

Only a file that is not a calendar is refused (too large, not text in an encoding we can read without guessing,
not an iCalendar file, truncated). Everything else is read event by event: an event we cannot use is skipped
with its reason (a code and parameters, worded by the catalogue `locale/<lang>.ical.json`), the others import.

What real files do and what we do about it:
- Encodings: BOMs (UTF-8/16/32) are honoured; a file that is not UTF-8 is tried as GB18030 (Notepad's "ANSI" on
  Chinese Windows) and taken only when that reads cleanly (no private-use or control characters). The preview
  shows the encoding, and the person importing confirms.
- Recurring events (RRULE/RDATE/EXDATE, RECURRENCE-ID overrides) are expanded by recurring-ical-events over a
  window the preview shows (default: 90 days back to a year ahead). Each occurrence becomes one session keyed by
  `UID#RECURRENCE-ID` (UTC, or the date for all-day series), so a later file that moves or cancels one
  occurrence updates that session in place; an occurrence that disappears from the series (a new EXDATE)
  is cancelled by the importer.
- A property given twice that must be single (DTSTART, DTEND, DURATION, SEQUENCE, RECURRENCE-ID, STATUS)
  skips that event with the reason "given twice" (merged exports do this); we never guess which one is right.
- Outlook: Windows zone names ("China Standard Time") and localized ones ("中国标准时间") without a VTIMEZONE are
  mapped to IANA zones (icalendar's Windows table plus our own table of localized names); METHOD:CANCEL cancels
  every event of the file; "已取消:", "Canceled:", "Cancelled:" title prefixes are removed and cancel the session.
- Google: floating times with X-WR-TIMEZONE are read in that zone (x-wr-timezone, which recurring-ical-events
  depends on), not in ours.
- An all-day event with DTEND = DTSTART lasts one day (what phones show); a timed event longer than two days
  (a course from 09:00 on day 1 to 17:00 on day 3) becomes an all-day session over those days, said so in the
  preview; VTODO/VJOURNAL/VFREEBUSY/VAVAILABILITY are ignored with a note.
"""

from __future__ import annotations

import json
import stat
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Component
from icalendar.parser import unescape_backslash

from zhijin_training.i18n import LANGS, label, t
from zhijin_training.ical.export import DATA_PROP
from zhijin_training.models import ProgrammeKind
from zhijin_training.services.errors import ValidationError
from zhijin_training.services.schedule import ItineraryStop
from zhijin_training.timeutil import LOCAL_TZ, MAX_YEAR, local_date, to_utc

MAX_BYTES = 20 * 1024 * 1024  # a city-wide year of sessions with participant lists is a few MB
MAX_EVENTS = 20_000  # sessions one file may give, occurrences included
MAX_OCCURRENCES = 2_000  # of one series inside the window (a daily series over 15 months is ~460)
MAX_UID = 255
MIN_IMPORT_YEAR = 1990  # the schedule's own range
DEFAULT_PAST = timedelta(days=90)
DEFAULT_AHEAD = timedelta(days=365)
LONG_TIMED = timedelta(days=2)  # longer timed events become all-day sessions (the schedule's rule)
# properties a VEVENT may carry once (RFC 5545 3.6.1); a second copy skips the event
SINGLE = ("DTSTART", "DTEND", "DURATION", "SEQUENCE", "RECURRENCE-ID", "STATUS", "UID")
_USED = (*SINGLE, "SUMMARY", "LOCATION", "DESCRIPTION", "RRULE", "RDATE", "EXDATE")
IGNORED_COMPONENTS = ("VTODO", "VJOURNAL", "VFREEBUSY", "VAVAILABILITY", "VALARM")
_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
)
# Outlook titles of cancelled meetings (and our own export's marker, in every language)
CANCEL_PREFIXES = (
    "已取消:",
    "已取消：",
    "已取消 :",
    "取消:",
    "取消：",
    "Canceled:",
    "Cancelled:",
    "CANCELED:",
)
# zone names Outlook writes in TZID when it leaves out the VTIMEZONE, localized by the Windows display language;
# the English Windows IDs ("China Standard Time") are in icalendar's own WINDOWS_TO_OLSON table
LOCALIZED_ZONES = {
    "中国标准时间": "Asia/Shanghai",
    "中国时间": "Asia/Shanghai",
    "北京时间": "Asia/Shanghai",
    "北京，重庆，香港特别行政区，乌鲁木齐": "Asia/Shanghai",
    "(UTC+08:00) 北京，重庆，香港特别行政区，乌鲁木齐": "Asia/Shanghai",
    "(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi": "Asia/Shanghai",
    "(GMT+08:00) Beijing, Chongqing, Hong Kong, Urumqi": "Asia/Shanghai",
    "China Time": "Asia/Shanghai",
    "台北标准时间": "Asia/Taipei",
    "台北標準時間": "Asia/Taipei",
    "中國標準時間": "Asia/Shanghai",
    "东京标准时间": "Asia/Tokyo",
    "韩国标准时间": "Asia/Seoul",
    "新加坡标准时间": "Asia/Singapore",
    "协调世界时": "UTC",
    "UTC": "UTC",
}
_KIND_WORDS = {
    label("programme_kind", k.value, lang).lower(): k.value for k in ProgrammeKind for lang in LANGS
} | {k.value: k.value for k in ProgrammeKind}


@dataclass(frozen=True)
class Window:
    """The days a recurring series is expanded over (inclusive), shown in the preview."""

    first: date
    last: date

    @classmethod
    def around(cls, today: date, first: date | None = None, last: date | None = None) -> Window:
        window = cls(first or today - DEFAULT_PAST, last or today + DEFAULT_AHEAD)
        if window.last < window.first:
            raise ValidationError("ical.window_reversed", field="to", first=window.first, last=window.last)
        return window

    def bounds(self) -> tuple[datetime, datetime]:
        start = datetime.combine(self.first, time(0), tzinfo=LOCAL_TZ)
        return start, datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class ImportedEvent:
    """One session as the file gives it. None: the file does not say (keep what we have)."""

    where: str  # "invite.ics：第 42 行" for messages
    uid: str  # the session's key: the event's UID, or UID#RECURRENCE-ID for an occurrence of a series
    sequence: int
    title: str
    cancelled: bool
    all_day: bool
    starts_at: datetime | None  # timed: aware UTC
    ends_at: datetime | None
    first_day: date | None  # all-day: inclusive days
    last_day: date | None
    location: str
    programme_title: (
        str  # from our own export's data only; foreign events get the programme chosen in preview
    )
    programme_kind: str  # our own data's; foreign events: a kind CATEGORIES names, or ""
    topic: str | None = None
    speaker: str | None = None
    branch_venues: tuple[str, ...] | None = None
    broadcast_at: datetime | None = None
    note: str | None = None
    note_public: bool | None = None
    itinerary: tuple[ItineraryStop, ...] | None = None
    ours: bool = False  # carries X-ZHIJIN-DATA: every field is given
    series_uid: str | None = None  # the UID of the series an occurrence belongs to
    adjusted: str | None = None  # a reason code when we read it differently from how it was written


@dataclass(frozen=True)
class Skipped:
    where: str
    uid: str
    title: str
    code: str  # catalogue key ical.skip.<code>
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return skip_text(self.code, self.params)


def skip_text(code: str, params: dict[str, Any], lang: str | None = None) -> str:
    try:
        return t(f"ical.skip.{code}", lang, **{k: _show(v) for k, v in params.items()})
    except (KeyError, IndexError, ValueError):
        return code


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


@dataclass(frozen=True)
class ParsedCalendar:
    name: str
    encoding: str
    window: Window
    events: tuple[ImportedEvent, ...]
    skipped: tuple[Skipped, ...]
    ignored: tuple[tuple[str, int], ...] = ()  # (component name, how many), e.g. ("VTODO", 2)
    series: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (series UID, occurrence keys in the window)
    method: str = ""


class _Skip(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# ---------------------------------------------------------------- the file
def read_file(path: Path) -> bytes:
    """The bytes of `path`, refusing before reading a file larger than the limit."""
    from zhijin_training.safefiles import FileRefused

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a device or a pipe has no size to check: never read one
            raise FileRefused("file.not_regular", field="file", path=str(path))
        size = info.st_size
        if size > MAX_BYTES:
            raise ValidationError(
                "ical.too_large", source=path.name, mb=f"{size / 1e6:.1f}", limit=MAX_BYTES // 1_000_000
            )
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ValidationError(
            "ical.unreadable_file", source=path.name, reason=exc.strerror or str(exc)
        ) from None
    return data


def decode(data: bytes, source: str) -> tuple[str, str]:
    """(text, encoding name) of a calendar file; refuses what is not a calendar we can read."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            "ical.too_large", source=source, mb=f"{len(data) / 1e6:.1f}", limit=MAX_BYTES // 1_000_000
        )
    text: str | None = None
    encoding = "UTF-8"
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                raise ValidationError("ical.bad_bytes", source=source, encoding=name) from None
            encoding = f"{name} (BOM)"
            break
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            text = _gb18030(data)
            if text is None:
                raise ValidationError(
                    "ical.encoding", source=source, line=line, byte=f"0x{data[exc.start]:02X}"
                ) from None
            encoding = "GB18030"
    if "\x00" in text:
        raise ValidationError("ical.nul", source=source, line=text[: text.index("\x00")].count("\n") + 1)
    stripped = text.strip()
    if not stripped:
        raise ValidationError("ical.empty", source=source)
    if not stripped[:15].upper().startswith("BEGIN:VCALENDAR"):
        raise ValidationError("ical.not_calendar", source=source)
    if not stripped.splitlines()[-1].strip().upper() == "END:VCALENDAR":
        raise ValidationError("ical.truncated", source=source)
    return text, encoding


def _gb18030(data: bytes) -> str | None:
    """GB18030 text when the bytes read cleanly as it, else None (we do not guess further)."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Co" or (category == "Cc" and ch not in "\r\n\t"):
            return None  # private-use or control characters: the bytes were something else
    return text


def _component_lines(text: str) -> list[tuple[str, int]]:
    """(name, line) of every component directly inside a calendar, in file order."""
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


def parse_calendar(data: bytes, source: str, window: Window | None = None) -> ParsedCalendar:
    with warnings.catch_warnings():
        # icalendar warns when it guesses a vendor TZID ("/mozilla.org/.../Europe/Berlin"); we take the guess
        warnings.simplefilter("ignore")
        return _parse_calendar(data, source, window)


def _parse_calendar(data: bytes, source: str, window: Window | None) -> ParsedCalendar:
    text, encoding = decode(data, source)
    window = window or Window.around(date.today())
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except Exception as exc:  # icalendar raises ValueError, IndexError, KeyError ... on broken structure
        raise ValidationError("ical.unreadable", source=source, detail=_short(exc)) from None
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    if not calendars:
        raise ValidationError("ical.not_calendar", source=source)
    # several VCALENDARs in one file (two exports pasted together): read them as one
    cal = calendars[0]
    name = _text(cal.get("X-WR-CALNAME") or cal.get("NAME"))
    method = _text(cal.get("METHOD")).upper()
    places = _component_lines(text)
    components: list[tuple[Component, Calendar, int | None]] = []
    index = 0
    for calendar in calendars:
        for comp in calendar.subcomponents:
            line = places[index][1] if index < len(places) and places[index][0] == comp.name else None
            components.append((comp, calendar, line))
            index += 1
    reader = _Reader(source, window, name, method)
    return reader.read(components, encoding)


class _Reader:
    def __init__(self, source: str, window: Window, name: str, method: str) -> None:
        self.source = source
        self.window = window
        self.name = name
        self.method = method
        self.events: list[ImportedEvent] = []
        self.skipped: list[Skipped] = []
        self.ignored: dict[str, int] = {}
        self.series: list[tuple[str, tuple[str, ...]]] = []

    def where(self, line: int | None, detail: str = "") -> str:
        text = t("ical.where_line", source=self.source, line=line) if line else self.source
        return f"{text} {detail}".rstrip()

    def read(self, components: list[tuple[Component, Calendar, int | None]], encoding: str) -> ParsedCalendar:
        groups: dict[str, list[tuple[Component, Calendar, int | None]]] = {}
        for comp, calendar, line in components:
            if comp.name == "VTIMEZONE":
                continue
            if comp.name != "VEVENT":
                self.ignored[comp.name] = self.ignored.get(comp.name, 0) + 1
                continue
            uid_value = comp.get("UID")
            title = _text(comp.get("SUMMARY"))
            if isinstance(uid_value, list):
                self.skip(line, "", title, "duplicate_property", prop="UID")
                continue
            uid = _text(uid_value)
            if not uid:
                self.skip(line, "", title, "no_uid")
                continue
            if len(uid) > MAX_UID - 20 or any(unicodedata.category(c) == "Cc" for c in uid):
                self.skip(line, uid[:60], title, "bad_uid", limit=MAX_UID - 20)
                continue
            groups.setdefault(uid, []).append((comp, calendar, line))
        for uid, group in groups.items():
            try:
                self.group(uid, group)
            except _Skip as skip:
                self.skip(group[0][2], uid, _text(group[0][0].get("SUMMARY")), skip.code, **skip.params)
            except Exception as exc:  # a file someone else wrote must never end in a traceback
                self.skip(
                    group[0][2], uid, _text(group[0][0].get("SUMMARY")), "unreadable", detail=_short(exc)
                )
        if len(self.events) > MAX_EVENTS:
            raise ValidationError(
                "ical.too_many", source=self.source, count=len(self.events), limit=MAX_EVENTS
            )
        return ParsedCalendar(
            name=self.name,
            encoding=encoding,
            window=self.window,
            events=tuple(self.events),
            skipped=tuple(self.skipped),
            ignored=tuple(sorted(self.ignored.items())),
            series=tuple(self.series),
            method=self.method,
        )

    def skip(self, line: int | None, uid: str, title: str, code: str, **params: Any) -> None:
        self.skipped.append(Skipped(self.where(line), uid, title, code, params))

    def group(self, uid: str, group: list[tuple[Component, Calendar, int | None]]) -> None:
        for comp, _calendar, _line in group:
            for prop in SINGLE:
                if isinstance(comp.get(prop), list):
                    raise _Skip("duplicate_property", prop=prop)
            _fix_zones(comp, _calendar)
        masters = [item for item in group if "RECURRENCE-ID" not in item[0]]
        if len(masters) > 1:
            # an updated copy appended to the file (a higher SEQUENCE) replaces the older one; equal ones we
            # cannot tell apart
            ranked = sorted(masters, key=lambda item: _sequence(item[0]), reverse=True)
            if _sequence(ranked[0][0]) == _sequence(ranked[1][0]):
                raise _Skip("duplicate_uid", count=len(masters))
            group = [item for item in group if item not in ranked[1:]]
        group.sort(key=lambda item: "RECURRENCE-ID" in item[0])  # the series first, its overrides after
        first, calendar, line = group[0]
        recurring = len(group) > 1 or any(
            p in comp for comp, _c, _l in group for p in ("RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")
        )
        if not recurring:
            self.events.append(self.event(first, calendar, uid, self.where(line)))
            return
        self.expand(uid, group)

    def expand(self, uid: str, group: list[tuple[Component, Calendar, int | None]]) -> None:
        import recurring_ical_events

        calendar = group[0][1]
        mini = Calendar()
        for key in ("X-WR-TIMEZONE", "VERSION", "PRODID"):
            if key in calendar:
                mini[key] = calendar[key]
        for tz in calendar.walk("VTIMEZONE"):
            mini.add_component(tz)
        for comp, _calendar, _line in group:
            mini.add_component(comp)
        start, stop = self.window.bounds()
        try:
            occurrences = []
            for occurrence in recurring_ical_events.of(mini).between(start, stop):
                occurrences.append(occurrence)
                if len(occurrences) > MAX_OCCURRENCES:
                    raise _Skip("too_many_occurrences", limit=MAX_OCCURRENCES)
        except _Skip:
            raise
        except Exception as exc:
            raise _Skip("series_unreadable", detail=_short(exc)) from None
        line = group[0][2]
        keys: list[str] = []
        for occurrence in occurrences:
            rid = occurrence.get("RECURRENCE-ID")
            moment = rid.dt if rid is not None else occurrence["DTSTART"].dt
            key = f"{uid}#{_rid(moment, calendar)}"
            where = self.where(line, _rid(moment, calendar))
            if key in keys:
                # RANGE=THISANDFUTURE gives every later occurrence the changed one's RECURRENCE-ID: no own key
                self.skipped.append(
                    Skipped(where, key, _text(occurrence.get("SUMMARY")), "same_occurrence_key")
                )
                continue
            try:
                event = self.event(occurrence, calendar, key, where, series_uid=uid)
            except _Skip as skip:
                self.skipped.append(
                    Skipped(where, key, _text(occurrence.get("SUMMARY")), skip.code, skip.params)
                )
                continue
            keys.append(key)
            self.events.append(event)
        self.series.append((uid, tuple(keys)))

    def event(
        self, comp: Component, calendar: Calendar, uid: str, where: str, *, series_uid: str | None = None
    ) -> ImportedEvent:
        try:
            return _event(comp, calendar, where, uid, self.method, series_uid)
        except _Skip:
            raise
        except Exception as exc:
            raise _Skip("unreadable", detail=_short(exc)) from None


def _sequence(comp: Component) -> int:
    try:
        return int(comp.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def _rid(moment: date | datetime, calendar: Calendar) -> str:
    """The occurrence part of a session key: its original start in UTC (or its date for an all-day series)."""
    if isinstance(moment, datetime):
        return to_utc(_aware(moment, calendar)).strftime("%Y%m%dT%H%M%SZ")
    return moment.strftime("%Y%m%d")


def _aware(moment: datetime, calendar: Calendar) -> datetime:
    if moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=_calendar_zone(calendar) or LOCAL_TZ)


def _calendar_zone(calendar: Calendar) -> ZoneInfo | None:
    name = _text(calendar.get("X-WR-TIMEZONE"))
    return _zone(name) if name else None


def _zone(name: str) -> ZoneInfo | None:
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    name = name.strip().strip('"')
    for candidate in (name, LOCALIZED_ZONES.get(name), WINDOWS_TO_OLSON.get(name)):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    return None


def _fix_zones(comp: Component, calendar: Calendar) -> None:
    """Give naive times a zone: a TZID icalendar did not know (Outlook's localized names), or the calendar's
    X-WR-TIMEZONE for floating times (Google). A TZID we cannot map is left for _moment to skip the event."""
    floating = _calendar_zone(calendar)
    for prop in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"):
        values = comp.get(prop)
        if values is None:
            continue
        for value in values if isinstance(values, list) else [values]:
            tzid = value.params.get("TZID") if hasattr(value, "params") else None
            zone = _zone(str(tzid)) if tzid else floating
            if zone is None:
                continue
            if hasattr(value, "dts"):  # EXDATE/RDATE lists
                for item in value.dts:
                    if isinstance(item.dt, datetime) and item.dt.tzinfo is None:
                        item.dt = item.dt.replace(tzinfo=zone)
            elif isinstance(getattr(value, "dt", None), datetime) and value.dt.tzinfo is None:
                value.dt = value.dt.replace(tzinfo=zone)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".replace("\r", " ").replace("\n", " ")[:160]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _broken(comp: Any) -> None:
    for prop, message in getattr(comp, "errors", []) or []:
        if str(prop).upper() in _USED:
            raise _Skip("broken_property", prop=str(prop), detail=str(message)[:120])


def _moment(comp: Any, prop: str) -> date | datetime | None:
    value = comp.get(prop)
    if value is None:
        return None
    dt = getattr(value, "dt", None)
    if isinstance(dt, datetime) and dt.tzinfo is None:
        tzid = value.params.get("TZID")
        if tzid:
            raise _Skip("unknown_zone", prop=prop, tzid=str(tzid)[:60])
        dt = dt.replace(tzinfo=LOCAL_TZ)  # floating time without X-WR-TIMEZONE: the office's wall clock
    if not isinstance(dt, date):
        raise _Skip("not_a_date", prop=prop)
    year = dt.year
    if not MIN_IMPORT_YEAR <= year <= MAX_YEAR:
        raise _Skip("year_out_of_range", prop=prop, year=year)
    return dt


def strip_cancel_prefix(title: str) -> tuple[str, bool]:
    """(title without Outlook's or our own cancellation marker, whether there was one)."""
    for prefix in (*CANCEL_PREFIXES, *(t("cancelled_prefix", lang) for lang in LANGS)):
        if title.startswith(prefix):
            return title.removeprefix(prefix).strip(), True
    return title, False


def _event(
    comp: Any, calendar: Calendar, where: str, uid: str, method: str, series_uid: str | None
) -> ImportedEvent:
    _broken(comp)
    start = _moment(comp, "DTSTART")
    if start is None:
        raise _Skip("no_start")
    end = _moment(comp, "DTEND")
    duration = comp.get("DURATION")
    if end is None and duration is not None:
        if not isinstance(getattr(duration, "dt", None), timedelta):
            raise _Skip("not_a_duration")
        end = start + duration.dt
    all_day = not isinstance(start, datetime)
    if all_day and (end is None or end == start):
        end = start + timedelta(days=1)  # RFC 5545: a DATE event without end lasts one day; phones agree on =
    if end is None:
        raise _Skip("no_end")
    if isinstance(end, datetime) != (not all_day):
        raise _Skip("mixed_types")
    if end == start:
        raise _Skip("zero_length")  # an instant (DTSTART only, or DTEND = DTSTART): a reminder, not a session
    if end < start:  # type: ignore[operator]
        raise _Skip("end_before_start", start=start, end=end)
    adjusted = None
    if not all_day and end - start > LONG_TIMED:  # type: ignore[operator]
        # a three-day course 09:00 to 17:00: the schedule keeps it as the days it covers
        adjusted = "as_all_day"
        all_day = True
        first = local_date(start)  # type: ignore[arg-type]
        last_moment = end - timedelta(microseconds=1)  # type: ignore[operator]
        start, end = first, local_date(last_moment) + timedelta(days=1)
    sequence_value = comp.get("SEQUENCE")
    try:
        sequence = max(0, int(sequence_value)) if sequence_value is not None else 0
    except (TypeError, ValueError):
        raise _Skip("broken_property", prop="SEQUENCE", detail=str(sequence_value)[:40]) from None
    status = _text(comp.get("STATUS")).upper()
    title, marked = strip_cancel_prefix(_text(comp.get("SUMMARY")))
    cancelled = status == "CANCELLED" or method == "CANCEL" or marked
    categories = _categories(comp)
    kind = next((_KIND_WORDS[c.lower()] for c in categories if c.lower() in _KIND_WORDS), None)
    common: dict[str, Any] = {
        "where": where,
        "uid": uid,
        "sequence": sequence,
        "title": title,
        "cancelled": cancelled,
        "all_day": all_day,
        "starts_at": None if all_day else to_utc(start),  # type: ignore[arg-type]
        "ends_at": None if all_day else to_utc(end),  # type: ignore[arg-type]
        "first_day": start if all_day else None,
        "last_day": end - timedelta(days=1) if all_day else None,  # type: ignore[operator]
        "location": _text(comp.get("LOCATION")),
        "programme_title": "",
        "programme_kind": kind or "",  # foreign events: the kind their CATEGORIES name, if any
        "series_uid": series_uid,
        "adjusted": adjusted,
    }
    ours = comp.get(DATA_PROP)
    if ours is not None and not isinstance(ours, list):
        return ImportedEvent(**(common | _our_data(unescape_backslash(str(ours)))))
    topic = next((c for c in categories if c.lower() not in _KIND_WORDS), "")
    # a note from another calendar was shown to everyone there: it stays public here
    note = _text(comp.get("DESCRIPTION"))
    return ImportedEvent(**common, topic=topic or None, note=note, note_public=bool(note))


def _categories(comp: Any) -> list[str]:
    values = comp.get("CATEGORIES")
    if values is None:
        return []
    out: list[str] = []
    for item in values if isinstance(values, list) else [values]:
        out += [str(c).strip() for c in getattr(item, "cats", [item]) if str(c).strip()]
    return out


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("broadcast time without a time zone")
    return value.astimezone(UTC)


def _our_data(raw: str) -> dict[str, Any]:
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
            "broadcast_at": _utc(datetime.fromisoformat(broadcast)) if broadcast else None,
            # only public notes ever leave a database; what arrives here was public there
            "note": str(data.get("note") or ""),
            "note_public": bool(data.get("note")),
            "itinerary": tuple(
                ItineraryStop(date.fromisoformat(str(d)), str(p), str(a))
                for d, p, a in data.get("itinerary") or ()
            ),
            "ours": True,
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise _Skip("damaged_data", prop=DATA_PROP, detail=_short(exc)) from None
