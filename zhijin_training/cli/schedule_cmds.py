"""`programmes …` and `sessions …`: planning from the command line."""

from __future__ import annotations

from datetime import date

import typer

from zhijin_training.cli.common import (
    context,
    fail,
    opt_date,
    opt_datetime,
    print_json,
    print_table,
    say,
)
from zhijin_training.i18n import label
from zhijin_training.services import participants as participants_svc
from zhijin_training.services import programmes, roster, schedule
from zhijin_training.services.conflicts import conflicts_for_session
from zhijin_training.services.context import Context
from zhijin_training.services.views import SessionView
from zhijin_training.timeutil import format_local, parse_date

programmes_app = typer.Typer(
    help="培训项目 Programmes: lecture series, study trips, secondments, courses, meetings.",
    no_args_is_help=True,
)
sessions_app = typer.Typer(help="场次 Sessions: schedule, reschedule, cancel.", no_args_is_help=True)

_FREQS = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY"}
_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@programmes_app.command("list")
def programmes_list(kind: str = typer.Option(None), json_: bool = typer.Option(False, "--json")) -> None:
    """List programmes."""
    items = programmes.list_programmes(context(), kind=kind)
    if json_:
        print_json(items)
        return
    print_table(
        f"培训项目 Programmes ({len(items)})",
        ["#", "名称 title", "类别 kind", "组织 organiser", "目的地 places"],
        [
            (
                p.id,
                p.title,
                label("programme_kind", p.kind),
                p.organiser,
                "、".join(p.destinations) or p.host_place,
            )
            for p in items
        ],
    )


@programmes_app.command("add")
def programmes_add(
    title: str,
    kind: str = typer.Option(..., help="lecture, study_trip, secondment, course, meeting"),
    description: str = typer.Option(""),
    organiser: str = typer.Option(""),
    topic: str = typer.Option("", help="default topic of its sessions"),
    destination: list[str] = typer.Option([], help="study trip destination (repeatable)"),
    host_place: str = typer.Option("", help="secondment host place"),
    alarm: int = typer.Option(None, help="calendar reminder, minutes before"),
    audience: list[str] = typer.Option(
        [],
        help="default participants, repeatable: role:township_secretary, unit:茶店, unit_kind:township, cadre:#12",
    ),
) -> None:
    """Add a programme with its default participants."""
    rules = []
    for item in audience:
        rule, sep, value = item.partition(":")
        if not sep:
            fail("cli.audience_format", field="--audience", value=item)
        rules.append((rule, value))
    p = programmes.add_programme(
        context(),
        kind=kind,
        title=title,
        description=description,
        organiser=organiser,
        default_topic=topic,
        destinations=destination,
        host_place=host_place,
        alarm_minutes=alarm,
        audience=rules,
    )
    say("cli.added_programme", id=p.id)


def _when(v: SessionView) -> str:
    if v.all_day:
        return (
            f"{v.first_day:%Y-%m-%d} ~ {v.last_day:%Y-%m-%d}"
            if v.last_day != v.first_day
            else f"{v.first_day}"
        )
    return f"{format_local(v.starts_at)}–{format_local(v.ends_at, '%H:%M')}"


@sessions_app.command("list")
def sessions_list(
    from_: str = typer.Option(None, "--from", help="first day, e.g. 2026-12-01"),
    to: str = typer.Option(None, "--to", help="last day"),
    programme: str = typer.Option(None, help="programme #id or title"),
    kind: str = typer.Option(None),
    topic: str = typer.Option(None),
    cadre: str = typer.Option(None, help="only sessions this cadre is expected at"),
    unit: str = typer.Option(None, help="only sessions someone of this unit is expected at"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """List sessions in time order."""
    ctx = context()
    sessions = schedule.list_sessions(
        ctx,
        start=opt_date(from_, "--from"),
        end=opt_date(to, "--to"),
        programme_id=programmes.get_programme(ctx, programme).id if programme else None,
        kind=kind,
        topic=topic,
        cadre_id=roster.resolve_cadre(ctx, cadre).id if cadre else None,
        unit_id=roster.resolve_unit(ctx, unit).id if unit else None,
    )
    if json_:
        print_json(sessions)
        return
    print_table(
        f"场次 Sessions ({len(sessions)})",
        ["#", "时间 when", "名称 title", "主题 topic", "地点 venue", "状态 status", "人数 people"],
        [
            (
                v.id,
                _when(v),
                v.title,
                v.topic,
                v.location,
                label("session_status", v.status),
                f"{v.recorded_count}/{v.participant_count}",
            )
            for v in sessions
        ],
    )


@sessions_app.command("show")
def sessions_show(session: int, json_: bool = typer.Option(False, "--json")) -> None:
    """Show one session with its itinerary and any double bookings."""
    ctx = context()
    v = schedule.get_session(ctx, session)
    if json_:
        print_json(v)
        return
    rows = [
        ("名称 title", v.title),
        ("项目 programme", v.programme_title),
        ("时间 when", _when(v)),
        ("主题 topic", v.topic),
        ("主讲 speaker", v.speaker),
        ("主会场 venue", v.location),
        ("分会场 branch venues", "、".join(v.branch_venues)),
        ("播出 broadcast", format_local(v.broadcast_at)),
        ("状态 status", label("session_status", v.status)),
        ("参训 participants", str(v.participant_count)),
        ("版本 version", str(v.version)),
    ]
    rows += [(f"行程 {i.day}", f"{i.place} {i.activity}") for i in v.itinerary]
    rows += [
        ("冲突 conflict", f"{c.cadre_name}: #{c.other_session_id} {c.other_title}")
        for c in conflicts_for_session(ctx, session)
    ]
    print_table(f"场次 #{v.id}", ["", ""], rows)


def _parse_stop(text: str) -> schedule.ItineraryStop:
    day, sep, rest = text.partition(":")
    if not sep:
        fail("cli.stop_format", field="--stop", value=text)
    place, _, activity = rest.partition(":")
    return schedule.ItineraryStop(opt_date(day, "--stop") or date.min, place, activity)


def _rrule(repeat: str, interval: int, byday: str | None, start_day: date) -> str:
    freq = _FREQS.get(repeat.lower())
    if freq is None:
        if "FREQ=" in repeat.upper():
            return repeat
        fail("cli.repeat_format", field="--repeat", value=repeat)
    rule = f"FREQ={freq};INTERVAL={interval}"
    if freq == "WEEKLY":
        rule += f";BYDAY={(byday or _DAYS[start_day.weekday()]).upper()}"
    return rule


@sessions_app.command("add")
def sessions_add(
    programme: str = typer.Option(..., help="programme #id or title"),
    start: str = typer.Option(None, help="'2026-12-04 15:00' (local time)"),
    end: str = typer.Option(None, help="'2026-12-04 17:00'"),
    first_day: str = typer.Option(None, help="all-day: first day (trips, secondments)"),
    last_day: str = typer.Option(None, help="all-day: last day, inclusive"),
    title: str = typer.Option(""),
    topic: str = typer.Option(""),
    speaker: str = typer.Option(""),
    location: str = typer.Option("", help="main venue"),
    branch_venue: list[str] = typer.Option([], help="branch venue 分会场 (repeatable)"),
    broadcast: str = typer.Option(None, help="TV broadcast time"),
    note: str = typer.Option(""),
    note_public: bool = typer.Option(
        False, "--note-public", help="the note may appear in calendars and feeds"
    ),
    participant: list[str] = typer.Option([], help="cadre (repeatable); default: the programme's audience"),
    stop: list[str] = typer.Option([], help="itinerary stop DAY:PLACE[:ACTIVITY] (repeatable)"),
    repeat: str = typer.Option(None, help="daily, weekly, monthly, or an RRULE"),
    interval: int = typer.Option(1, help="every N days/weeks/months"),
    byday: str = typer.Option(None, help="weekday(s) for weekly, e.g. FR or MO,TH"),
    until: str = typer.Option(None, help="last day of the series"),
    skip: list[str] = typer.Option([], help="a date to leave out of the series (repeatable)"),
    holidays: bool = typer.Option(True, "--skip-holidays/--keep-holidays", help="leave out public holidays"),
    force: bool = typer.Option(False, help="save despite double bookings or holidays"),
) -> None:
    """Schedule a session, a recurring series, a study trip or a secondment."""
    if (start or end) and (first_day or last_day):
        fail("cli.timed_or_all_day", field="--start")
    if stop and not first_day:
        fail("cli.stop_needs_days", field="--stop")
    if (until or skip) and not repeat:
        fail("cli.until_needs_repeat", field="--until")
    ctx = context()
    cadre_ids = tuple(roster.resolve_cadre(ctx, p).id for p in participant) if participant else None
    draft = schedule.SessionDraft(
        programme=programme,
        starts_at=opt_datetime(start, "--start"),
        ends_at=opt_datetime(end, "--end"),
        first_day=opt_date(first_day, "--first-day"),
        last_day=opt_date(last_day, "--last-day"),
        title=title,
        topic=topic,
        speaker=speaker,
        location=location,
        branch_venues=tuple(branch_venue),
        broadcast_at=opt_datetime(broadcast, "--broadcast"),
        note=note,
        note_public=note_public,
        participants=cadre_ids,
        itinerary=tuple(_parse_stop(s) for s in stop),
    )
    if repeat:
        if until is None:
            fail("cli.repeat_needs_until", field="--until")
        if draft.starts_at is None:
            fail("cli.repeat_needs_times", field="--start")
        from zhijin_training.timeutil import local_date

        rule = schedule.SeriesRule(
            rrule=_rrule(repeat, interval, byday, local_date(draft.starts_at)),  # type: ignore[arg-type]
            until=opt_date(until, "--until") or date.max,
            skip_holidays=holidays,
            skip_dates=tuple(parse_date(d, field="--skip") for d in skip),
        )
        result = schedule.create_series(ctx, draft, rule, force=force)
        say(
            "cli.added_series",
            id=result.series_id,
            count=len(result.sessions),
            first=result.sessions[0].id,
            last=result.sessions[-1].id,
        )
        for day in result.skipped_holidays:
            say("cli.skipped_holiday", day=day.isoformat())
        if result.warning:
            say("cli.warning", text=result.warning, style="yellow")
        return
    v = schedule.create_session(ctx, draft, force=force)
    say("cli.added_session", id=v.id)


@sessions_app.command("edit")
def sessions_edit(
    session: int,
    scope: str = typer.Option("this", help="this, or following (every later session of the series)"),
    version: int = typer.Option(None, help="the version you looked at; refuses if someone changed it since"),
    start: str = typer.Option(None),
    end: str = typer.Option(None),
    first_day: str = typer.Option(None),
    last_day: str = typer.Option(None),
    title: str = typer.Option(None),
    topic: str = typer.Option(None),
    speaker: str = typer.Option(None),
    location: str = typer.Option(None),
    broadcast: str = typer.Option(None),
    note: str = typer.Option(None),
    note_public: bool = typer.Option(
        None, "--note-public/--note-internal", help="whether the note may appear in calendars and feeds"
    ),
    force: bool = typer.Option(False),
) -> None:
    """Edit or reschedule a session (or it and all following ones in its series)."""
    ctx = context()
    changes = schedule.SessionChanges(
        starts_at=opt_datetime(start, "--start"),
        ends_at=opt_datetime(end, "--end"),
        first_day=opt_date(first_day, "--first-day"),
        last_day=opt_date(last_day, "--last-day"),
        title=title,
        topic=topic,
        speaker=speaker,
        location=location,
        broadcast_at=opt_datetime(broadcast, "--broadcast"),
        note=note,
        note_public=note_public,
    )
    expected = version if version is not None else schedule.get_session(ctx, session).version
    changed = schedule.update_session(
        ctx, session, changes, expected_version=expected, scope=scope, force=force
    )
    say("cli.updated_sessions", count=len(changed), ids=" ".join(f"#{v.id}" for v in changed))


@sessions_app.command("cancel")
def sessions_cancel(
    session: int,
    reason: str = typer.Option(""),
    scope: str = typer.Option("this", help="this, or following"),
    version: int = typer.Option(None),
) -> None:
    """Cancel a session (kept, shown as cancelled in calendars)."""
    ctx = context()
    expected = version if version is not None else schedule.get_session(ctx, session).version
    done = schedule.cancel_session(ctx, session, expected_version=expected, reason=reason, scope=scope)
    say("cli.cancelled_sessions", count=len(done), ids=" ".join(f"#{v.id}" for v in done))


@sessions_app.command("participants")
def sessions_participants(
    session: int,
    add: list[str] = typer.Option([], help="cadre to add (repeatable)"),
    remove: list[str] = typer.Option([], help="cadre to remove (repeatable)"),
    force: bool = typer.Option(False),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Show or change who is expected at a session."""
    ctx = context()
    _change_participants(ctx, session, add, remove, force)
    from zhijin_training.services.attendance import session_attendance

    sheet = session_attendance(ctx, session)
    if json_:
        print_json(sheet.participants)
        return
    print_table(
        f"参训人员 Participants #{session} ({len(sheet.participants)})",
        ["#", "姓名 name", "单位 unit", "职务 post"],
        [(p.cadre_id, p.cadre_name, p.unit_name, p.post_title) for p in sheet.participants],
    )


def _change_participants(ctx: Context, session: int, add: list[str], remove: list[str], force: bool) -> None:
    if add or remove:
        # one transaction: a refused removal must not leave the additions behind
        participants_svc.change_participants(
            ctx,
            session,
            add=[roster.resolve_cadre(ctx, a).id for a in add],
            remove=[roster.resolve_cadre(ctx, r).id for r in remove],
            force=force,
        )
