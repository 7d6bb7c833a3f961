"""Field lists for planning forms and the translation from what was typed to service drafts and changes.

Forms themselves are kit `FormDialog`s (tui/kit/dialogs.py); this module only knows which fields a session, a lecture series
or an edit has, and how their parsed values become `SessionDraft`, `SeriesRule` and `SessionChanges`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from zhijin_training.i18n import t
from zhijin_training.services.views import SessionView
from zhijin_training.timeutil import LOCAL_TZ, DateParseError, parse_date, to_local
from zhijin_training.tui.kit.dialogs import Field, FieldError

RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
TITLE_LIMIT = (
    200  # the services' limit for titles; checked here too so the field is marked before a round trip
)
# a service error names its field as the model does; the form's field of that name
SESSION_FIELD_MAP = {"starts_at": "start", "ends_at": "end", "programme_id": "programme"}


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=LOCAL_TZ)


def session_fields(options: list[tuple[str, Any]], day: date) -> list[Field]:
    return [*_base_fields(options, day), *broadcast_fields()]


def broadcast_fields(venues: tuple[str, ...] = (), broadcast: str = "") -> list[Field]:
    """分会场 and the TV broadcast time: last in the form, so the usual fields keep their order."""
    from zhijin_training.tui.screens.session_extras import branch_venues_text

    return [
        Field(
            "branch_venues",
            t("feat.form.branch_venues"),
            value=branch_venues_text(venues),
            placeholder=t("feat.form.branch_hint"),
        ),
        Field(
            "broadcast", t("feat.form.broadcast"), value=broadcast, placeholder=t("feat.form.broadcast_hint")
        ),
    ]


def _base_fields(options: list[tuple[str, Any]], day: date) -> list[Field]:
    return [
        Field("programme", t("form.programme"), "select", options[0][1], options=options),
        Field("title", t("form.title"), max_length=TITLE_LIMIT),
        Field("topic", t("form.topic"), max_length=TITLE_LIMIT),
        Field("speaker", t("form.speaker")),
        Field("location", t("form.location")),
        Field("date", t("form.date"), "date", day.isoformat(), required=True),
        Field("start", t("form.start"), "time", "15:00", required=True),
        Field("end", t("form.end"), "time", "17:00", required=True),
        Field("note", t("form.note")),
        note_public_field(),
    ]


def note_public_field(public: bool = False) -> Field:
    """Unticked (the default) keeps the note internal: it never goes into calendars or feeds."""
    return Field("note_public", t("ical.form.note_public"), "check", public)


def series_fields(options: list[tuple[str, Any]], today: date) -> list[Field]:
    return [
        *_base_fields(options, today),
        Field(
            "freq",
            t("series.freq"),
            "select",
            "biweekly",
            options=[
                (t("series.weekly"), "weekly"),
                (t("series.biweekly"), "biweekly"),
                (t("series.monthly"), "monthly"),
            ],
        ),
        Field(
            "weekday",
            t("series.weekday"),
            "select",
            "",
            options=[(t("series.same_day"), "")]
            + [(t("cal.weekdays").split()[i], d) for i, d in enumerate(RRULE_DAYS)],
        ),
        Field("until", t("series.until"), "date", date(today.year, 12, 31).isoformat(), required=True),
        Field("skip", t("series.skip"), placeholder=t("series.skip_hint")),
        Field("skip_holidays", t("series.skip_holidays"), "check", True),
        *broadcast_fields(),
    ]


def _broadcast_at(values: dict[str, Any], day: date) -> Any:
    from zhijin_training.tui.screens.session_extras import BroadcastError, parse_broadcast

    try:
        return parse_broadcast(values.get("broadcast") or "", day)
    except BroadcastError as exc:
        raise FieldError("broadcast", str(exc)) from None


def draft_from(values: dict[str, Any]) -> Any:
    from zhijin_training.services.schedule import SessionDraft
    from zhijin_training.tui.screens.session_extras import parse_branch_venues

    day: date = values["date"]
    return SessionDraft(
        programme=int(values["programme"]),
        starts_at=_at(day, values["start"]),
        ends_at=_at(day, values["end"]),
        title=values.get("title", ""),
        topic=values.get("topic", ""),
        speaker=values.get("speaker", ""),
        location=values.get("location", ""),
        note=values.get("note", ""),
        note_public=bool(values.get("note_public")),
        branch_venues=parse_branch_venues(values.get("branch_venues") or ""),
        broadcast_at=_broadcast_at(values, day),
    )


def rule_from(values: dict[str, Any]) -> Any:
    """weekly / every 2 weeks / monthly (the same weekday of the same week: 2FR), until, skipped dates."""
    from zhijin_training.services.schedule import SeriesRule

    first: date = values["date"]
    day = values.get("weekday") or RRULE_DAYS[first.weekday()]
    freq = values.get("freq") or "weekly"
    if freq == "monthly":
        nth = (first.day - 1) // 7 + 1
        rrule = f"FREQ=MONTHLY;BYDAY={nth}{day}"
    elif freq == "biweekly":
        rrule = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={day}"
    else:
        rrule = f"FREQ=WEEKLY;BYDAY={day}"
    skips = []
    for part in str(values.get("skip") or "").replace("，", ",").replace("、", ",").split(","):
        if part.strip():
            try:
                skips.append(parse_date(part.strip(), field=t("series.skip")))
            except DateParseError:
                raise FieldError("skip", t("kit.form.bad_date", value=part.strip())) from None
    return SeriesRule(
        rrule=rrule,
        until=values["until"],
        skip_holidays=bool(values.get("skip_holidays")),
        skip_dates=tuple(skips),
    )


def edit_fields(s: SessionView) -> list[Field]:
    return [
        Field("title", t("form.title"), value=s.title, max_length=TITLE_LIMIT),
        Field("topic", t("form.topic"), value=s.topic, max_length=TITLE_LIMIT),
        Field("speaker", t("form.speaker"), value=s.speaker),
        Field("location", t("form.location"), value=s.location),
        *time_fields(s),
        Field("note", t("form.note"), value=s.note),
        note_public_field(s.note_public),
        *([] if s.all_day else broadcast_fields(s.branch_venues, _shown_broadcast(s))),
    ]


def _shown_broadcast(s: SessionView) -> str:
    from zhijin_training.tui.screens.session_extras import broadcast_text

    return broadcast_text(s.broadcast_at, s.first_day)


def time_fields(s: SessionView) -> list[Field]:
    if s.all_day:
        return [
            Field("first_day", t("trip.first_day"), "date", s.first_day.isoformat(), required=True),
            Field("last_day", t("trip.last_day"), "date", s.last_day.isoformat(), required=True),
        ]
    start, end = to_local(s.starts_at), to_local(s.ends_at)
    return [
        Field("date", t("form.date"), "date", start.date().isoformat(), required=True),
        Field("start", t("form.start"), "time", f"{start:%H:%M}", required=True),
        Field("end", t("form.end"), "time", f"{end:%H:%M}", required=True),
    ]


def changes_from(s: SessionView, values: dict[str, Any]) -> Any | None:
    """Only what differs from the session becomes a change; None when nothing changed."""
    from zhijin_training.services.schedule import SessionChanges

    changed: dict[str, Any] = {}
    for name in ("title", "topic", "speaker", "location", "note"):
        if name in values and values[name] != getattr(s, name):
            changed[name] = values[name]
    if "note_public" in values and bool(values["note_public"]) != s.note_public:
        changed["note_public"] = bool(values["note_public"])
    if "date" in values:
        starts, ends = _at(values["date"], values["start"]), _at(values["date"], values["end"])
        if (starts, ends) != (to_local(s.starts_at), to_local(s.ends_at)):
            changed["starts_at"], changed["ends_at"] = starts, ends
    if "first_day" in values and (values["first_day"], values["last_day"]) != (s.first_day, s.last_day):
        changed["first_day"], changed["last_day"] = values["first_day"], values["last_day"]
    if "branch_venues" in values:
        from zhijin_training.tui.screens.session_extras import parse_branch_venues

        venues = parse_branch_venues(values["branch_venues"] or "")
        if venues != tuple(s.branch_venues):
            changed["branch_venues"] = venues
    # a broadcast left as shown stays "unchanged": when the session moves, the service moves it along
    if "broadcast" in values and (values["broadcast"] or "") != _shown_broadcast(s):
        at = _broadcast_at(values, values.get("date") or s.first_day)
        if at is None:
            changed["clear_broadcast"] = True
        else:
            changed["broadcast_at"] = at
    return SessionChanges(**changed) if changed else None


def create_away(ctx: Any, kind: str, values: dict[str, Any], *, force: bool) -> Any:
    """Runs in a worker: find (or add) the programme by title, then create the trip or secondment."""
    from zhijin_training.services import programmes, schedule

    title = values["title"]
    existing = [p for p in programmes.list_programmes(ctx, kind=kind) if p.title == title]
    programme_id = existing[0].id if existing else None
    stops = tuple(schedule.ItineraryStop(d, place, what) for d, place, what in values.get("itinerary", []))
    draft_args: dict[str, Any] = {
        "first_day": values["first_day"],
        "last_day": values["last_day"],
        "location": values.get("location", ""),
        "note": values.get("note", ""),
        "itinerary": stops,
        "participants": tuple(values["participants"]),
    }
    if programme_id is None:
        # validate before adding the programme so a bad trip leaves nothing behind
        schedule._times(
            schedule.SessionDraft(
                programme=0, first_day=draft_args["first_day"], last_day=draft_args["last_day"]
            )
        )
        programme_id = programmes.add_programme(
            ctx,
            kind=kind,
            title=title,
            destinations=values.get("destinations", []),
            host_place=values.get("location", "") if kind == "secondment" else "",
        ).id
    draft = schedule.SessionDraft(programme=programme_id, **draft_args)
    if kind == "secondment":
        return schedule.create_secondment(ctx, draft, force=force)
    return schedule.create_trip(ctx, draft, force=force)
