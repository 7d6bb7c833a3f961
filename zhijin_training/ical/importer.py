"""Import sessions from another calendar (e.g. the city's training calendar): preview, then apply.

Matching is by UID: an event whose UID we hold updates that session (importing the same file twice
changes nothing); any other event becomes a new session keeping its UID, so the next import of an
updated file updates it.

Which programme a new session joins: events from our own export carry X-ZHIJIN-DATA with the programme title
and kind (an existing programme with exactly that title and kind is used, else one is created, listed in the
preview). Every other event joins the programme the person importing chooses or creates in the preview
(`ProgrammeChoice`; CLI `--programme NAME` / `--new-programme NAME`), never one named after the file or the
sender's account: `apply_import` refuses a preview that needs a programme and has none. A session that already
exists keeps its programme.

Recurring events arrive as one event per occurrence inside the preview's window (see parse.py), keyed by
UID#RECURRENCE-ID; an occurrence we hold inside the window that the file's series no longer has (a new EXDATE) is
cancelled. Skipped events carry a reason code (`ical.skip.<code>` in the catalogue).
Imported sessions start with no participants (another office's people are not in our roster); the
office adds them. Fields the file does not express (speaker, branch venues ...) are left as they are.

Apply is all-or-nothing: one transaction through the schedule service's own helpers, so every created
or changed session raises its SEQUENCE and leaves its audit entry, plus one entry for the import itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from zhijin_training.ical.parse import ImportedEvent, Skipped, Window, parse_calendar, skip_text
from zhijin_training.models import ItineraryItem, Programme, ProgrammeKind, SessionStatus, TrainingSession
from zhijin_training.services import audit, schedule
from zhijin_training.services.context import Context
from zhijin_training.services.errors import ConflictError, DomainError, ValidationError
from zhijin_training.services.schedule import ItineraryStop, SessionChanges, SessionDraft
from zhijin_training.settings import AccessRole
from zhijin_training.timeutil import local_date, local_midnight


@dataclass(frozen=True)
class ProgrammeChoice:
    """The programme new sessions from another calendar join: an existing one, or a new one to create."""

    existing: str | int | None = None  # #id or title of a programme we hold
    new_title: str | None = None
    kind: str | None = None  # of a new programme; default: what the events' CATEGORIES say, else course


@dataclass(frozen=True)
class PreviewItem:
    uid: str
    title: str
    where: str
    reason: str = ""  # why skipped, or which fields change (worded in the interface's language)
    code: str = ""  # skipped: the reason code (ical.skip.<code>)
    session_id: int | None = None
    expected_version: int | None = None  # the version compared, checked again when applying
    changes: tuple[str, ...] = ()
    event: ImportedEvent | None = None
    cancel_only: bool = False  # an occurrence the series no longer has: cancel it


@dataclass(frozen=True)
class ImportPreview:
    source_name: str
    calendar_name: str
    digest: str  # SHA-256 of the file, recorded in the audit entry
    added: tuple[PreviewItem, ...] = ()
    changed: tuple[PreviewItem, ...] = ()
    unchanged: tuple[PreviewItem, ...] = ()
    skipped: tuple[PreviewItem, ...] = ()
    new_programmes: tuple[tuple[str, str], ...] = ()  # (title, kind) to be created
    encoding: str = "UTF-8"
    window: Window | None = None
    has_series: bool = False  # recurring events, expanded over `window` (so other days may hold more)
    ignored: tuple[tuple[str, int], ...] = ()  # components we never import (VTODO ...) and how many
    programme_id: int | None = None  # the chosen existing programme for foreign events
    programme_new: tuple[str, str] | None = None  # or the one to create (title, kind)
    needs_programme: bool = False  # foreign events to add and no programme chosen yet
    suggested_kind: str = ProgrammeKind.COURSE.value

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed)

    @property
    def programme_label(self) -> str:
        if self.programme_new:
            return self.programme_new[0]
        return ""


@dataclass(frozen=True)
class ImportResult:
    added: int
    changed: int
    unchanged: int
    skipped: int
    programmes_created: int
    session_ids: tuple[int, ...] = field(default=())


# ---------------------------------------------------------------- preview
def _validated(ev: ImportedEvent) -> tuple[SessionDraft, Any, dict[str, Any], list[ItineraryStop]]:
    """Run the schedule service's own checks, so preview refuses exactly what apply would."""
    draft = SessionDraft(
        programme=0,
        starts_at=ev.starts_at,
        ends_at=ev.ends_at,
        first_day=ev.first_day,
        last_day=ev.last_day,
        title=ev.title,
        topic=ev.topic or "",
        speaker=ev.speaker or "",
        location=ev.location,
        branch_venues=ev.branch_venues or (),
        broadcast_at=ev.broadcast_at,
        note=ev.note or "",
        itinerary=ev.itinerary or (),
        participants=(),
        uid=ev.uid,
    )
    if ev.ours:
        from zhijin_training.services.validation import clean_text

        clean_text(ev.programme_title, "programme", max_len=200, required=True)
    draft = replace(draft, note_public=bool(ev.note_public))
    times = schedule._times(draft)
    fields = schedule._clean_fields(draft)
    stops = schedule._clean_itinerary(draft.itinerary, times)
    return draft, times, fields, stops


def _current(s: Session, uids: Sequence[str]) -> dict[str, tuple[TrainingSession, Programme, list[Any]]]:
    out: dict[str, tuple[TrainingSession, Programme, list[Any]]] = {}
    for i in range(0, len(uids), 500):
        rows = s.exec(
            select(TrainingSession, Programme)
            .join(Programme, col(TrainingSession.programme_id) == Programme.id)
            .where(col(TrainingSession.uid).in_(uids[i : i + 500]))
        ).all()
        ids = [r.id for r, _ in rows]
        stops: dict[int, list[Any]] = {}
        for item in s.exec(
            select(ItineraryItem)
            .where(col(ItineraryItem.session_id).in_(ids))
            .order_by(col(ItineraryItem.day), col(ItineraryItem.sort_order))
        ).all():
            stops.setdefault(item.session_id, []).append([item.day, item.place, item.activity])
        for row, programme in rows:
            out[row.uid] = (row, programme, stops.get(row.id or 0, []))
    return out


def _differences(
    ev: ImportedEvent, times: Any, fields: dict[str, Any], stops: list[ItineraryStop], current: Any
) -> list[str]:
    row, programme, itinerary = current
    diff = []
    shown_title = row.title or programme.title
    if (fields["title"] or programme.title) != shown_title:
        diff.append("title")
    if (times.starts_at, times.ends_at, times.all_day) != (row.starts_at, row.ends_at, row.all_day):
        diff.append("time")
    if fields["location"] != row.location:
        diff.append("location")
    if ev.cancelled != (row.status == SessionStatus.CANCELLED.value):
        diff.append("status")
    if ev.note is not None and fields["note"] and fields["note_public"] != row.note_public:
        diff.append("note_public")
    optional = {
        "topic": (ev.topic, fields["topic"], row.topic),
        "speaker": (ev.speaker, fields["speaker"], row.speaker),
        "branch_venues": (ev.branch_venues, fields["branch_venues"], list(row.branch_venues or [])),
        "note": (ev.note, fields["note"], row.note),
        "itinerary": (
            ev.itinerary,
            [[x.day, x.place, x.activity] for x in stops],
            itinerary,
        ),
    }
    for name, (given, new, old) in optional.items():
        if given is not None and new != old:
            diff.append(name)
    if ev.ours and fields["broadcast_at"] != row.broadcast_at:
        diff.append("broadcast_at")
    return diff


def preview_import(
    ctx: Context,
    data: bytes,
    source_name: str,
    *,
    window: Window | None = None,
    programme: ProgrammeChoice | None = None,
) -> ImportPreview:
    """What importing `data` would do. Refuses (ValidationError) only a file that is not a calendar."""
    window = window or Window.around(local_date(ctx.now()))
    parsed = parse_calendar(data, source_name, window)
    checked = []
    skipped = [_skipped(x) for x in parsed.skipped]
    for ev in parsed.events:
        try:
            checked.append((ev, *_validated(ev)))
        except DomainError as exc:
            from zhijin_training.services.errors import describe

            skipped.append(
                PreviewItem(ev.uid, ev.title, ev.where, reason=describe(exc)[1], code=f"invalid:{exc.code}")
            )
    added, changed, unchanged = [], [], []
    chosen_id, chosen_new = _choice(ctx, programme, parsed.events)
    with ctx.db.read() as s:
        current = _current(s, [ev.uid for ev, *_ in checked])
        wanted: dict[tuple[str, str], None] = {}
        foreign_added = False
        for ev, _draft, times, fields, stops in checked:
            have = current.get(ev.uid)
            if have is None:
                added.append(PreviewItem(ev.uid, ev.title, ev.where, reason=_adjusted(ev), event=ev))
                if ev.ours:
                    wanted[fields_programme(ev)] = None
                else:
                    foreign_added = True
                continue
            row = have[0]
            diff = _differences(ev, times, fields, stops, have)
            item = PreviewItem(
                ev.uid,
                ev.title,
                ev.where,
                reason="、".join(diff),
                session_id=row.id,
                expected_version=row.version,
                changes=tuple(diff),
                event=ev,
            )
            if not diff:
                unchanged.append(item)
            elif ev.sequence < row.sequence:
                skipped.append(
                    PreviewItem(
                        ev.uid,
                        ev.title,
                        ev.where,
                        reason=skip_text("older", {"theirs": ev.sequence, "ours": row.sequence}),
                        code="older",
                        session_id=row.id,
                    )
                )
            else:
                changed.append(item)
        changed += _dropped_occurrences(
            s, parsed.series, parsed.window, {ev.uid for ev, *_ in checked}, source_name
        )
        existing = {(p.title, p.kind) for p in s.exec(select(Programme)).all() if (p.title, p.kind) in wanted}
    new_programmes = [k for k in wanted if k not in existing]
    if foreign_added and chosen_new and chosen_new not in new_programmes:
        new_programmes.append(chosen_new)
    return ImportPreview(
        source_name=source_name,
        calendar_name=parsed.name,
        digest=hashlib.sha256(data).hexdigest(),
        added=tuple(added),
        changed=tuple(changed),
        unchanged=tuple(unchanged),
        skipped=tuple(skipped),
        new_programmes=tuple(new_programmes),
        encoding=parsed.encoding,
        window=parsed.window,
        has_series=bool(parsed.series),
        ignored=parsed.ignored,
        programme_id=chosen_id,
        programme_new=chosen_new if foreign_added else None,
        needs_programme=foreign_added and chosen_id is None and chosen_new is None,
        suggested_kind=_likely_kind(parsed.events),
    )


def _adjusted(ev: ImportedEvent) -> str:
    return skip_text(ev.adjusted, {}) if ev.adjusted else ""


def _choice(
    ctx: Context, choice: ProgrammeChoice | None, events: Sequence[ImportedEvent]
) -> tuple[int | None, tuple[str, str] | None]:
    if choice is None:
        return None, None
    from zhijin_training.services import programmes
    from zhijin_training.services.validation import clean_text, parse_enum

    if choice.existing is not None:
        return programmes.get_programme(ctx, choice.existing).id, None
    if choice.new_title is not None:
        title = clean_text(choice.new_title, "programme", max_len=200, required=True)
        kind = (
            parse_enum(ProgrammeKind, choice.kind, "kind", "programme_kind").value
            if choice.kind
            else _likely_kind(events)
        )
        with ctx.db.read() as s:
            same = s.exec(select(Programme).where(Programme.title == title, Programme.kind == kind)).first()
        if same is not None:
            return same.id, None  # "new" but we already hold it: join it rather than make a twin
        return None, (title, kind)
    return None, None


def _likely_kind(events: Sequence[ImportedEvent]) -> str:
    """The kind most foreign events name in CATEGORIES (讲座, 会议 ...), else course."""
    kinds = [ev.programme_kind for ev in events if not ev.ours and ev.programme_kind]
    return max(sorted(set(kinds)), key=kinds.count) if kinds else ProgrammeKind.COURSE.value


def _dropped_occurrences(
    s: Session, series: Sequence[tuple[str, Sequence[str]]], window: Window, seen: set[str], source: str
) -> list[PreviewItem]:
    """Occurrences of a series we hold, inside the window, that the file's series no longer has: cancel them."""
    start, stop = local_midnight(window.first), local_midnight(window.last + timedelta(days=1))
    out = []
    for uid, keys in series:
        rows = s.exec(
            select(TrainingSession).where(
                col(TrainingSession.uid).startswith(f"{uid}#", autoescape=True),
                TrainingSession.starts_at >= start,
                TrainingSession.starts_at < stop,
                TrainingSession.status != SessionStatus.CANCELLED.value,
            )
        ).all()
        for row in rows:
            if row.uid in seen or row.uid in keys:
                continue
            out.append(
                PreviewItem(
                    row.uid,
                    row.title,
                    f"{source} {row.uid.rsplit('#', 1)[-1]}",
                    reason=skip_text("dropped_occurrence", {}),
                    session_id=row.id,
                    expected_version=row.version,
                    changes=("status",),
                    cancel_only=True,
                )
            )
    return out


def fields_programme(ev: ImportedEvent) -> tuple[str, str]:
    return (ev.programme_title.strip(), ev.programme_kind)


def _skipped(x: Skipped) -> PreviewItem:
    return PreviewItem(x.uid, x.title, x.where, reason=x.reason, code=x.code)


# ---------------------------------------------------------------- apply
def apply_import(ctx: Context, preview: ImportPreview) -> ImportResult:
    """Write what the preview showed, in one transaction; a session edited since the preview aborts all."""
    ctx.actor.require(AccessRole.EDITOR, "import calendars")
    if preview.needs_programme:
        raise ValidationError("ical.programme_required", field="programme")
    created_programmes = 0
    touched: list[int] = []
    with ctx.db.write() as s:
        programmes: dict[tuple[str, str], Programme] = {}
        chosen: Programme | None = None
        if preview.programme_id is not None:
            chosen = s.get(Programme, preview.programme_id)
            if chosen is None:
                raise ValidationError("ical.programme_gone", field="programme")
        for item in preview.added:
            ev = item.event
            assert ev is not None
            key = fields_programme(ev) if ev.ours else (preview.programme_new or ("", ""))
            if not ev.ours and chosen is not None:
                touched.append(_add(ctx, s, chosen, ev, preview.source_name))
                continue
            if key not in programmes:
                programme = s.exec(
                    select(Programme)
                    .where(Programme.title == key[0], Programme.kind == key[1])
                    .order_by(col(Programme.id))
                ).first()
                if programme is None:
                    programme = _create_programme(ctx, s, key, preview.source_name)
                    created_programmes += 1
                programmes[key] = programme
            touched.append(_add(ctx, s, programmes[key], ev, preview.source_name))
        for item in preview.changed:
            assert item.session_id is not None
            if item.cancel_only:
                touched.append(_cancel_dropped(ctx, s, item, preview.source_name))
                continue
            assert item.event is not None
            touched.append(_change(ctx, s, item, preview.source_name))
        audit.record(
            ctx,
            s,
            action="import",
            entity="calendar",
            entity_id=None,
            after={
                "source": preview.source_name,
                "calendar": preview.calendar_name,
                "sha256": preview.digest,
                "added": [i.uid for i in preview.added],
                "changed": [i.uid for i in preview.changed],
                "skipped": [[i.uid, i.reason] for i in preview.skipped],
                "programmes_created": created_programmes,
            },
            reason=f"import of {preview.source_name}",
        )
    return ImportResult(
        added=len(preview.added),
        changed=len(preview.changed),
        unchanged=len(preview.unchanged),
        skipped=len(preview.skipped),
        programmes_created=created_programmes,
        session_ids=tuple(touched),
    )


def _create_programme(ctx: Context, s: Session, key: tuple[str, str], source: str) -> Programme:
    programme = Programme(
        kind=key[1],
        title=key[0],
        description=f"从日历 {source} 导入",
        created_at=ctx.now(),
        updated_at=ctx.now(),
    )
    s.add(programme)
    s.flush()
    audit.record(
        ctx, s, action="create", entity="programme", entity_id=programme.id, after=audit.snapshot(programme)
    )
    return programme


def _add(ctx: Context, s: Session, programme: Programme, ev: ImportedEvent, source: str) -> int:
    if s.exec(select(TrainingSession.id).where(TrainingSession.uid == ev.uid)).first() is not None:
        raise ValidationError("ical.added_since_preview", where=ev.where)
    draft, times, fields, stops = _validated(ev)
    row = schedule.insert_session(ctx, s, programme, draft, times, fields, stops, [])
    if ev.cancelled:
        schedule.write_status(ctx, s, row, SessionStatus.CANCELLED, f"cancelled in {source}")
    row.sequence = max(row.sequence, ev.sequence)
    s.add(row)
    s.flush()
    return row.id or 0


def _change(ctx: Context, s: Session, item: PreviewItem, source: str) -> int:
    ev = item.event
    assert ev is not None
    row = s.get(TrainingSession, item.session_id, with_for_update=True)
    if row is None or row.version != item.expected_version:
        raise ConflictError(
            "session",
            item.session_id or 0,
            row.updated_by if row else "",
            row.updated_at if row else None,
        )
    programme = s.get(Programme, row.programme_id)
    assert programme is not None
    _draft, times, fields, _stops = _validated(ev)
    title = fields["title"]
    if not row.title and title in ("", programme.title):
        title = None  # the session shows its programme's title: keep it that way
    changes = SessionChanges(
        title=title,
        topic=ev.topic,
        speaker=ev.speaker,
        location=fields["location"],
        branch_venues=ev.branch_venues,
        broadcast_at=ev.broadcast_at,
        note=ev.note,
        note_public=ev.note_public if ev.note else None,
        itinerary=ev.itinerary,
    )
    schedule.apply_changes(ctx, s, row, changes, times, None)
    if ev.ours and ev.broadcast_at is None and row.broadcast_at is not None:
        _clear_broadcast(ctx, s, row)
    if ev.cancelled and row.status != SessionStatus.CANCELLED.value:
        schedule.write_status(ctx, s, row, SessionStatus.CANCELLED, f"cancelled in {source}")
    elif not ev.cancelled and row.status == SessionStatus.CANCELLED.value:
        schedule.write_status(ctx, s, row, SessionStatus.SCHEDULED, f"restored in {source}")
    # never fall behind the sender's SEQUENCE, or clients holding their copy would ignore ours
    row.sequence = max(row.sequence, ev.sequence)
    s.add(row)
    s.flush()
    return row.id or 0


def _cancel_dropped(ctx: Context, s: Session, item: PreviewItem, source: str) -> int:
    row = s.get(TrainingSession, item.session_id, with_for_update=True)
    if row is None or row.version != item.expected_version:
        raise ConflictError(
            "session", item.session_id or 0, row.updated_by if row else "", row.updated_at if row else None
        )
    schedule.write_status(ctx, s, row, SessionStatus.CANCELLED, f"removed from its series in {source}")
    return row.id or 0


def _clear_broadcast(ctx: Context, s: Session, row: TrainingSession) -> None:
    """SessionChanges cannot clear a broadcast time (None means keep): do it here, audited."""
    before = schedule.session_snapshot(s, row)
    row.broadcast_at = None
    schedule.record_session_change(ctx, s, row, before)
