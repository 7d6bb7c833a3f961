"""iCalendar export: sessions as RFC 5545 events that Outlook, Apple, Google, khal and calcurse accept.

icalendar does the format (escaping, folding at 75 octets, CRLF, VTIMEZONE from zoneinfo); this module
only decides what each session says.

Recurring lecture series are exported as one VEVENT per session, never as RRULE + EXDATE/RECURRENCE-ID:
every occurrence has its own speaker, topic, participants and attendance, is edited and cancelled on its
own, and clients differ in how they apply RECURRENCE-ID overrides and EXDATEs to a series they already
hold (some drop the overrides on refresh, some duplicate them). A UID per session is what every client
updates in place.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import Any

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneStandard, vCalAddress, vDuration, vText, vUri
from sqlmodel import Session

from zhijin_training.i18n import label, t
from zhijin_training.ical.query import Attendee, EventData, Filters, alarm_settings, load_events
from zhijin_training.models import Cadre, Programme, Unit
from zhijin_training.services.context import Context
from zhijin_training.services.errors import NotFoundError
from zhijin_training.settings import Settings
from zhijin_training.timeutil import TZ_NAME, format_local, local_date, to_local

PRODID = "-//Zhijin County Cadre Training Office//zhijin-training//ZH"
# machine-readable session fields our own importer reads back (clients ignore X- properties)
DATA_PROP = "X-ZHIJIN-DATA"
FEED_REFRESH = timedelta(hours=6)


def _org(ctx: Context) -> tuple[str, str]:
    settings = ctx.settings
    name = settings.org_name if settings else Settings.org_name
    email = settings.org_email if settings else Settings.org_email
    return name, email


def _stamp(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Audience:
    """Who reads a published feed, and so what its participant lines may say.

    None (the office's own exports): every participant by unit. "count" (all, programme feeds): how many, from how
    many units. "unit": how many from that unit and how many others. "cadre" (a personal feed): the reader's own
    unit and the number of other participants — never the names of colleagues.
    """

    kind: str
    unit_id: int | None = None
    unit_name: str = ""


class EventBuilder:
    """Turns EventData into VEVENTs; holds what all events of one export share."""

    def __init__(self, ctx: Context, kind_alarms: dict[str, int | None]) -> None:
        self.kind_alarms = kind_alarms
        org_name, org_email = _org(ctx)
        self.organizer = vCalAddress(f"mailto:{org_email}")
        self.organizer.params["CN"] = org_name
        self.cancelled_prefix = t("cancelled_prefix")

    def alarm_minutes(self, data: EventData) -> int | None:
        if data.session.is_cancelled:
            return None  # a cancelled session must not ring
        # a programme's own lead time wins; the per-kind default applies to timed sessions only,
        # so multi-day trips and secondments stay silent unless their programme asks for an alarm
        if data.programme_alarm is not None:
            return data.programme_alarm
        if data.session.all_day:
            return None
        return self.kind_alarms.get(data.session.programme_kind)

    def summary(self, data: EventData) -> str:
        v = data.session
        return self.cancelled_prefix + v.title if v.is_cancelled else v.title

    def event(
        self, data: EventData, audience: Audience | None = None, *, with_description: bool = True
    ) -> Event:
        v = data.session
        ev = Event()
        ev.add("uid", v.uid)
        # DTSTAMP from the session's last change, not the export time: an unchanged feed is byte-identical,
        # so web servers' ETags hold and phones get 304 Not Modified
        ev.add("dtstamp", _stamp(v.updated_at))
        ev.add("last-modified", _stamp(v.updated_at))
        ev.add("sequence", v.sequence)
        ev.add("summary", self.summary(data))
        if v.all_day:
            # local midnights -> DATE values; DTEND is exclusive (a trip 12–16 Oct ends on the 17th)
            ev.add("dtstart", v.first_day)
            ev.add("dtend", v.last_day + timedelta(days=1))
        else:
            ev.add("dtstart", to_local(v.starts_at))
            ev.add("dtend", to_local(v.ends_at))
        ev.add("status", "CANCELLED" if v.is_cancelled else "CONFIRMED")
        if v.location:
            ev.add("location", v.location)
        if with_description:
            ev.add("description", describe(data, audience))
        categories = [label("programme_kind", v.programme_kind)]
        if v.topic:
            categories.append(v.topic)
        ev.add("categories", categories)
        ev.add("organizer", self.organizer)
        ev.add(DATA_PROP, vText(machine_data(data)))
        minutes = self.alarm_minutes(data)
        if minutes is not None:
            ev.add_component(Alarm.new_display(description=v.title, trigger=timedelta(minutes=-minutes)))
        return ev


def description_line(text: str) -> bytes:
    """The folded DESCRIPTION content line of `text`, as icalendar writes it (for splicing into a VEVENT)."""
    holder = Event()
    holder.add("description", text)
    data = bytes(holder.to_ical())
    return data[len(b"BEGIN:VEVENT\r\n") : -len(b"END:VEVENT\r\n")]


def with_description(event: bytes, line: bytes) -> bytes:
    """A serialised VEVENT with a DESCRIPTION line added among its properties (before any VALARM)."""
    cut = event.find(b"BEGIN:VALARM\r\n")
    if cut < 0:
        cut = len(event) - len(b"END:VEVENT\r\n")
    return event[:cut] + line + event[cut:]


def machine_data(data: EventData) -> str:
    v = data.session
    return json.dumps(
        {
            "v": 1,
            "programme": v.programme_title,
            "kind": v.programme_kind,
            "topic": v.topic,
            "speaker": v.speaker,
            "branch_venues": list(v.branch_venues),
            "broadcast_at": v.broadcast_at.astimezone(UTC).isoformat() if v.broadcast_at else None,
            "note": v.note if v.note_public else "",  # an internal note never leaves the database
            "itinerary": [[i.day.isoformat(), i.place, i.activity] for i in v.itinerary],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def describe(data: EventData, audience: Audience | None = None) -> str:
    """The human-readable DESCRIPTION: what, who speaks, where, itinerary, and the participants.

    Under METHOD:PUBLISH ATTENDEE is not allowed, so participants (names and units only) live here — in full only
    in the office's own exports; a feed says what its reader may see (see Audience). Internal notes never appear.
    """
    v = data.session
    lines: list[str] = []
    if v.is_cancelled:
        lines.append(t("feeds.cancelled", "zh"))
        if data.cancel_reason:
            lines.append(t("feeds.cancel_reason", "zh", reason=data.cancel_reason))
    lines.append(f"培训项目：{v.programme_title}（{label('programme_kind', v.programme_kind)}）")
    if v.topic:
        lines.append(f"主题：{v.topic}")
    if v.speaker:
        lines.append(f"主讲：{v.speaker}")
    if v.location:
        lines.append(f"主会场：{v.location}")
    if v.branch_venues:
        lines.append("分会场：" + "、".join(v.branch_venues))
    if v.broadcast_at:
        lines.append(f"电视播出：{format_local(v.broadcast_at)}")
    if v.itinerary:
        lines.append("行程：")
        for stop in v.itinerary:
            lines.append(
                f"  {stop.day.isoformat()} {stop.place}" + (f"：{stop.activity}" if stop.activity else "")
            )
    if v.note and v.note_public:
        lines.append(f"备注：{v.note}")
    if data.participants:
        lines.extend(_participant_section(data.participants, audience))
    return "\n".join(lines)


def _participant_section(people: Sequence[Attendee], audience: Audience | None) -> list[str]:
    total = len(people)
    if audience is None:
        return [f"参训人员（{total}人）：", *participant_lines(people)]
    if audience.kind == "cadre":
        return [t("feeds.participants_personal", "zh", unit=audience.unit_name or "—", others=total - 1)]
    if audience.kind == "unit":
        mine = sum(p.unit_id == audience.unit_id for p in people)
        return [t("feeds.participants_unit", "zh", mine=mine, others=total - mine)]
    units = len({p.unit_id for p in people})
    return [t("feeds.participants_count", "zh", total=total, units=units)]


def participant_lines(people: Sequence[Attendee]) -> list[str]:
    """One line per unit, `unit：name、name`, in roster order: readable on a phone, and the unit's long name is
    written once instead of after every person (a county lecture's list shrinks by about half)."""
    return [
        f"{unit or '（无单位）'}：" + "、".join(p.name for p in group)
        for unit, group in groupby(people, key=lambda p: p.unit_name)
    ]


@cache
def shanghai_timezone() -> Timezone:
    """Asia/Shanghai as one STANDARD observance at +0800, as Outlook, Google and the Chinese holiday feeds write it.

    zoneinfo's full history (RDATE-based daylight saving 1986–1991) is what Outlook and ical4j (DAVx5/ICSx5 on
    Android) are known to mishandle; every session we export is after 1991, where +0800 is the whole truth.
    Built once per process and shared: calendars only serialise it, never change it.
    """
    tz = Timezone()
    tz.add("tzid", TZ_NAME)
    tz.add("x-lic-location", TZ_NAME)
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", timedelta(hours=8))
    standard.add("tzoffsetto", timedelta(hours=8))
    standard.add("tzname", "CST")
    tz.add_component(standard)
    return tz


def calendar_shell(
    ctx: Context,
    name: str,
    description: str,
    *,
    with_timezone: bool,
    feed: bool = False,
    timezone: Timezone | None = None,
    source: str | None = None,
) -> Calendar:
    """A VCALENDAR with its headers (and the Asia/Shanghai VTIMEZONE when timed events use it)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-caldesc", description)
    cal.add("x-wr-timezone", TZ_NAME)
    if feed:
        # RFC 7986 names what the X-WR- properties said, for clients that read only the standard
        cal.add("name", name)
        cal.add("description", description)
        if source:
            cal.add("source", vUri(source), parameters={"VALUE": "URI"})
        cal.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(FEED_REFRESH))  # X- props are text unless typed
    if with_timezone:
        cal.add_component(timezone or shanghai_timezone())
    return cal


def _needs_timezone(events: Iterable[EventData]) -> bool:
    return any(not e.session.all_day for e in events)


def _filters(
    ctx: Context,
    cadre_id: int | None,
    unit_id: int | None,
    programme_id: int | None,
    kind: str | None,
    start: date | None,
    end: date | None,
    session_ids: list[int] | None,
) -> Filters:
    """The export's filters; a personal or unit calendar without a start begins PERSONAL_HISTORY ago."""
    if start is None and session_ids is None and (cadre_id is not None or unit_id is not None):
        start = local_date(ctx.now()) - PERSONAL_HISTORY
    return Filters(
        cadre_id=cadre_id,
        unit_id=unit_id,
        programme_id=programme_id,
        kind=kind,
        start=start,
        end=end,
        session_ids=tuple(session_ids) if session_ids is not None else None,
    )


@dataclass(frozen=True)
class _Title:
    name: str
    description: str


def _title(ctx: Context, s: Session, f: Filters) -> _Title:
    org_name, _ = _org(ctx)
    if f.cadre_id is not None:
        cadre = s.get(Cadre, f.cadre_id)
        if cadre is None:
            raise NotFoundError("ical.export_unknown", entity="cadre", id=f.cadre_id)
        unit = s.get(Unit, cadre.unit_id) if cadre.unit_id else None
        who = f"{cadre.name}（{unit.name}）" if unit else cadre.name
        name, desc = f"{cadre.name} 培训日程", f"{who}参加的培训场次"
    elif f.unit_id is not None:
        unit = s.get(Unit, f.unit_id)
        if unit is None:
            raise NotFoundError("ical.export_unknown", entity="unit", id=f.unit_id)
        name, desc = f"{unit.name} 培训日程", f"{unit.name}干部参加的培训场次"
    elif f.programme_id is not None:
        programme = s.get(Programme, f.programme_id)
        if programme is None:
            raise NotFoundError("ical.export_unknown", entity="programme", id=f.programme_id)
        name, desc = programme.title, programme.description or f"{programme.title}的全部场次"
    elif f.kind:
        kind = label("programme_kind", f.kind)
        name, desc = f"织金县干部培训 {kind}", f"全部{kind}场次"
    else:
        name, desc = "织金县干部培训日程", "全县干部教育培训的全部场次"
    if f.start or f.end:
        desc += f"（{f.start or '…'} 至 {f.end or '…'}）"
    return _Title(name, f"{desc}。{org_name}发布。")


# Personal (cadre) and unit calendars carry a year of history and everything ahead unless a start is given:
# phones re-download subscribed feeds often, and ten years of past lectures help nobody plan.
PERSONAL_HISTORY = timedelta(days=365)


def build_calendar(
    ctx: Context,
    *,
    cadre_id: int | None = None,
    unit_id: int | None = None,
    programme_id: int | None = None,
    kind: str | None = None,
    start: date | None = None,
    end: date | None = None,
    session_ids: list[int] | None = None,
    name: str | None = None,
) -> Calendar:
    """The sessions matching the filters (all combine) as one calendar, cancelled ones included."""
    f = _filters(ctx, cadre_id, unit_id, programme_id, kind, start, end, session_ids)
    with ctx.db.read() as s:
        title = _title(ctx, s, f)
        events = load_events(s, f)
        alarms = alarm_settings(s)
    builder = EventBuilder(ctx, alarms)
    cal = calendar_shell(ctx, name or title.name, title.description, with_timezone=_needs_timezone(events))
    for data in events:
        cal.add_component(builder.event(data))
    return cal


_END = b"END:VCALENDAR\r\n"


def render_calendar(
    ctx: Context,
    *,
    cadre_id: int | None = None,
    unit_id: int | None = None,
    programme_id: int | None = None,
    kind: str | None = None,
    start: date | None = None,
    end: date | None = None,
    session_ids: list[int] | None = None,
    name: str | None = None,
) -> tuple[bytes, int]:
    """The bytes `build_calendar(...).to_ical()` gives, and the number of events, from the event cache.

    Only events whose stored text is stale (see ical/cache.py) are read in full and serialised; the calendar is
    the header icalendar writes followed by each event's text, exactly as icalendar joins them.
    """
    from zhijin_training.ical import cache

    f = _filters(ctx, cadre_id, unit_id, programme_id, kind, start, end, session_ids)
    with ctx.db.read() as s:
        title = _title(ctx, s, f)
        alarms = alarm_settings(s)
        builder = EventBuilder(ctx, alarms)
        world = cache.world_stamp(s, alarms=alarms, organizer=_org(ctx), prefix=builder.cancelled_prefix)
        planned = cache.plan(s, f, world)
        keys = {(p.session_id, "office"): cache.variant_key(p.key, "office") for p in planned}
        found = cache.lookup(s, keys)
        missing = [p for p in planned if (p.session_id, "office") not in found]
        built: dict[int, bytes] = {}
        if missing:
            wanted = {p.session_id for p in missing}
            loads = (
                [f]
                if len(missing) == len(planned)
                else [Filters(session_ids=tuple(chunk)) for chunk in _id_chunks(sorted(wanted))]
            )
            for lf in loads:
                for data in load_events(s, lf):
                    if data.session.id in wanted:
                        built[data.session.id] = bytes(builder.event(data).to_ical())
    cache.store(
        ctx,
        [
            (p, "office", keys[(p.session_id, "office")], built[p.session_id])
            for p in missing
            if p.session_id in built
        ],
    )
    shell = calendar_shell(
        ctx, name or title.name, title.description, with_timezone=any(not p.all_day for p in planned)
    )
    head = bytes(shell.to_ical())
    body = b"".join(found.get((p.session_id, "office")) or built[p.session_id] for p in planned)
    return head[: -len(_END)] + body + _END, len(planned)


def _id_chunks(ids: list[int], size: int = 5000) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def export_bytes(ctx: Context, **filters: Any) -> bytes:
    return render_calendar(ctx, **filters)[0]


def write_calendar(ctx: Context, path: Path, **filters: Any) -> int:
    """Write the calendar to `path` atomically; returns the number of events."""
    from zhijin_training.safefiles import replacing

    # the target is checked and its temporary file made first: a refused name leaves the database (and its
    # event cache) as it was. Personal data: 0600, never through a symlink.
    with replacing(Path(path)) as tmp:
        data, count = render_calendar(ctx, **filters)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return count


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644, durable: bool = False) -> None:
    """Write a temporary file in the same directory, then rename it over `path`.

    Readers see the old file or the new one, never half of one. `durable` also fsyncs (a one-off export);
    feeds skip it because they are regenerated anyway.
    """
    from zhijin_training.safefiles import check_target

    check_target(path)  # a symlink planted in a shared folder is refused, never followed
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
