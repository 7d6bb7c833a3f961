"""Published calendar feeds: a directory a web server hands out so phones can subscribe.

One run writes a complete, consistent set from one database read: one feed for everything, one per programme,
per active unit and per active cadre (personal feeds are written even when empty, so a subscription made today
fills up later).

Privacy:
- Every file name carries an HMAC of its kind and id under a secret (`all-<token>.ics`, `programme-<token>.ics`,
  `unit-<token>.ics`, `cadre-<token>.ics`, 130 bits each), so no feed can be guessed or counted up to.
- The secret is kept OUTSIDE the database, in a file only the publishing account reads (mode 0600), created on
  the first publish: `--secret-file`, else `[feeds] secret_file` in the config, else $ZHIJIN_TRAINING_FEED_SECRET,
  else `<database file>.feed-secret` (or the user's data directory for a server database). A viewer, or anyone
  holding a backup of the database, cannot compute anyone's link. `rotate=True` makes a new secret: every feed
  gets a new name and every old link stops working at once.
- A personal feed lists the reader's own unit and the number of other participants, never colleagues' names;
  unit, programme and all-sessions feeds give counts; internal notes never leave the database (export.py).
- index.json and index.html tell the office which file is whose (mode 0600; the web server must not serve them,
  see docs/feeds.md).

Unchanged feeds are byte-identical (DTSTAMP is the session's last change) and are not rewritten, so their
modification time and ETag stay and a phone's conditional request gets 304. Changed files are replaced
atomically. A publish removes only files it wrote itself: the list of them is kept in `.zhijin-feeds.json` in
the directory (a dot file, which the web server must not serve either); other files are left alone. The manifest
also keeps a stamp of every input of every feed (_content_stamp, a few SQL aggregates): while it and the recorded
files hold, a publish plans nothing (an attendance mark is in no feed; the publish after it costs milliseconds).

Each VEVENT is serialised by icalendar once per audience and reused in every feed that lists it: a session
appears in the all, programme, unit and every participant's feed, and personal feeds differ only by the reader's
unit, so one serialisation per (session, unit) serves them all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zhijin_training.i18n import label
from zhijin_training.ical.cache import FORMAT as EVENT_FORMAT
from zhijin_training.ical.cache import Planned
from zhijin_training.ical.export import (
    PERSONAL_HISTORY,
    PRODID,
    Audience,
    EventBuilder,
    atomic_write,
    calendar_shell,
    describe,
    description_line,
    shanghai_timezone,
    with_description,
)
from zhijin_training.ical.query import Filters, alarm_settings, load_events
from zhijin_training.models import Cadre, Programme, Unit
from zhijin_training.services.context import Context
from zhijin_training.services.errors import ValidationError
from zhijin_training.settings import AccessRole
from zhijin_training.timeutil import local_date, local_midnight

ENV_SECRET = "ZHIJIN_TRAINING_FEED_SECRET"
INDEX_JSON = "index.json"
INDEX_HTML = "index.html"
MANIFEST = ".zhijin-feeds.json"  # the files the last publish wrote: the only ones a publish ever removes
_END = b"END:VCALENDAR\r\n"


@dataclass(frozen=True)
class FeedFile:
    file: str
    kind: str  # all / programme / unit / cadre
    owner_id: int | None
    owner: str
    events: int


@dataclass(frozen=True)
class PublishReport:
    directory: Path
    feeds: tuple[FeedFile, ...]
    removed: tuple[str, ...] = ()
    sessions: int = 0
    bytes_total: int = field(default=0)
    files_written: int = 0  # feeds whose content changed (the others were left untouched)


def secret_path(ctx: Context, given: Path | None = None) -> Path:
    """Where the feed secret lives (see the module docstring for the order)."""
    if given is not None:
        return Path(given)
    settings = ctx.settings
    configured = ((settings.extra if settings else {}) or {}).get("feeds", {}).get("secret_file")
    if configured:
        return Path(configured).expanduser()
    if os.environ.get(ENV_SECRET):
        return Path(os.environ[ENV_SECRET]).expanduser()
    db_path = ctx.db.path
    if db_path is not None:
        return Path(f"{db_path}.feed-secret")
    from platformdirs import user_data_dir

    return Path(user_data_dir("zhijin-training", appauthor=False)) / "feed-secret"


def feed_secret(ctx: Context, path: Path | None = None, *, rotate: bool = False) -> bytes:
    """The key of every feed name, read from its file; created (0600) on first use or when rotating."""
    path = secret_path(ctx, path)
    try:
        if not rotate and path.exists():
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                raise ValidationError("feeds.secret_loose", path=str(path), mode=f"{mode:04o}")
            text = path.read_text("ascii", errors="replace").strip()[:1000]
            if not re.fullmatch(r"[0-9a-f]{64}", text):
                raise ValidationError("feeds.secret_damaged", path=str(path))
            return text.encode()
        value = secrets.token_hex(32)
        atomic_write(path, (value + "\n").encode(), mode=0o600, durable=True)
        return value.encode()
    except OSError as exc:
        raise ValidationError(
            "feeds.secret_unreadable", path=str(path), reason=exc.strerror or str(exc)
        ) from None


def feed_token(secret: bytes, kind: str, owner_id: int | None) -> str:
    digest = hmac.new(secret, f"{kind}:{owner_id or 0}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:26]  # 130 bits


def cadre_token(secret: bytes, cadre_id: int) -> str:
    return feed_token(secret, "cadre", cadre_id)


@dataclass
class _Feed:
    file: str
    kind: str
    owner_id: int | None
    owner: str
    name: str
    description: str
    members: list[int] = field(default_factory=list)  # indexes into the event list
    audience: Audience = field(default_factory=lambda: Audience("count"))


def publish(
    ctx: Context,
    directory: Path,
    progress: Callable[[int, int], None] | None = None,
    *,
    rotate: bool = False,
    secret_file: Path | None = None,
    base_url: str | None = None,
) -> PublishReport:
    """Write every feed into `directory`. `rotate`: a new secret, so every feed gets a new name at once.
    `base_url`: where the directory is served (for each feed's RFC 7986 SOURCE)."""
    ctx.actor.require(AccessRole.EDITOR, "publish calendars")
    from zhijin_training.safefiles import ensure_dir

    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ValidationError("feeds.not_a_directory", path=str(directory))
    # the office's colleagues publish into the same folder (group rw, setgid kept); nginx only reads it
    ensure_dir(directory, FEEDS_DIR_MODE)
    secret = feed_secret(ctx, secret_file, rotate=rotate)
    from zhijin_training.ical import cache
    from zhijin_training.ical.export import _org

    with ctx.db.read() as s:
        alarms = alarm_settings(s)
        builder = EventBuilder(ctx, alarms)
        world = cache.world_stamp(s, alarms=alarms, organizer=_org(ctx), prefix=builder.cancelled_prefix)
        recent = local_midnight(local_date(ctx.now()) - PERSONAL_HISTORY)
        stamp = _content_stamp(s, secret, base_url, world, recent)
        # nothing any feed shows has changed since the last publish and its files are as it left them (an
        # attendance mark, a phone number): the set is already right, so nothing is planned, built or read
        unchanged = _unchanged_set(directory, stamp)
        if unchanged is not None:
            if progress:
                progress(len(unchanged.feeds) + 1, len(unchanged.feeds) + 1)
            return unchanged
        events = cache.plan(s, Filters(), world)
        programmes = s.exec(select(Programme).order_by(col(Programme.id))).all()
        units = s.exec(select(Unit).where(col(Unit.active).is_(True)).order_by(col(Unit.id))).all()
        unit_names = {u.id: u.name for u in s.exec(select(Unit)).all()}
        cadres = s.exec(select(Cadre).where(col(Cadre.active).is_(True)).order_by(col(Cadre.id))).all()
        people = _recent_participants(s, recent)
        feeds = _plan(ctx, events, people, programmes, units, cadres, unit_names, secret, recent)
        previous = _read_manifest(directory)
        timezone = shanghai_timezone()
        # a feed's key is a hash of its header's inputs, its reader (one audience per feed) and the keys of its
        # events: each event's text is a function of its key and the audience (ical/cache.py), so equal keys mean
        # equal bytes. Equal to the one recorded, with the file as recorded: the feed is neither built nor read.
        event_keys = [e.key for e in events]
        keys: dict[str, str] = {}
        stale: list[_Feed] = []
        for feed in feeds:
            head_inputs = (cache.FORMAT, feed.name, feed.description, feed.file, base_url, PRODID)
            h = hashlib.sha256(repr((head_inputs, _variant(feed.audience))).encode())
            h.update("".join(map(event_keys.__getitem__, feed.members)).encode())
            keys[feed.file] = h.hexdigest()
            if not _unchanged(directory / feed.file, keys[feed.file], previous.get(feed.file, {})):
                stale.append(feed)
        chunks = _chunks_for(ctx, s, builder, events, stale)
    total = len(feeds) + 1
    written: list[FeedFile] = []
    facts: dict[str, dict[str, object]] = {}
    size = 0
    changed = 0
    stale_files = {f.file for f in stale}
    for number, feed in enumerate(feeds, 1):
        path = directory / feed.file
        if feed.file in stale_files:
            shell = calendar_shell(
                ctx,
                feed.name,
                feed.description,
                with_timezone=any(not events[i].all_day for i in feed.members),
                feed=True,
                timezone=timezone,
                source=f"{base_url.rstrip('/')}/{feed.file}" if base_url else None,
            )
            head = bytes(shell.to_ical())
            assert head.endswith(_END)
            data = head[: -len(_END)] + b"".join(chunks[(i, feed.audience)] for i in feed.members) + _END
            wrote, facts[feed.file] = _write_if_changed(path, data, previous.get(feed.file, {}))
            changed += wrote
            size += len(data)
        else:
            facts[feed.file] = dict(previous[feed.file])
            size += int(facts[feed.file].get("size", 0))  # type: ignore[call-overload]
        facts[feed.file]["key"] = keys[feed.file]
        written.append(FeedFile(feed.file, feed.kind, feed.owner_id, feed.owner, len(feed.members)))
        if progress:
            progress(number, total)
    removed = _remove_stale(directory, previous, set(facts))
    records = _write_index(directory, written)
    # the stamp last: a publish stopped before this line leaves the old one, and the next publish plans in full
    manifest = {"files": facts, "stamp": stamp, "records": records, "sessions": len(events)}
    _write_if_changed_private(directory / MANIFEST, json.dumps(manifest, indent=0, sort_keys=True).encode())
    if progress:
        progress(total, total)
    return PublishReport(directory, tuple(written), tuple(removed), len(events), size, changed)


def _content_stamp(s: Session, secret: bytes, base_url: str | None, world: str, recent: datetime) -> str:
    """A key of everything any feed shows or lists, from a few aggregates (milliseconds at city size). Equal
    to the one the last publish recorded: every feed would come out as it did then.

    What it covers, beside `world` (roster names, units, alarm settings, office, interface words, FORMAT):
    - sessions, per programme: count, ids, and sums of version and SEQUENCE (plain and weighted by id) with the
      latest change. Every write of a session raises its version (services/schedule.py record_session_change,
      bump_after_participant_change; the 学时 override), so a change anywhere moves its programme's sums;
      versions only grow, so two changes cannot cancel out. A participant list or a participant's unit
      changes only with the session's SEQUENCE or with the roster stamp (in `world`), as ical/cache.py relies on;
      the number of recent participant rows is counted as well;
    - every programme row (titles, kinds, active: fifty rows), every itinerary stop (a small table), which
      cadres and units are active (who gets a feed), the personal feeds' window (`recent`), the feed names
      (the HMAC key is the secret, so a rotation changes it) and where the feeds are served.
    """
    from zhijin_training.models import ItineraryItem, Participant, TrainingSession

    conn = s.connection()
    session = TrainingSession.__table__.c  # type: ignore[attr-defined]
    per_programme = conn.execute(
        sa.select(
            session.programme_id,
            sa.func.count(),
            sa.func.sum(session.id),
            sa.func.sum(session.version),
            sa.func.sum(session.sequence),
            sa.func.sum(session.id * session.version),
            sa.func.sum(session.id * session.sequence),
            sa.func.max(session.updated_at),
        )
        .group_by(session.programme_id)
        .order_by(session.programme_id)
    ).all()
    participants = conn.execute(
        sa.select(sa.func.count())
        .select_from(Participant)
        .where(col(Participant.session_id).in_(sa.select(session.id).where(session.ends_at > recent)))
    ).scalar_one()
    h = hmac.new(secret, repr((EVENT_FORMAT, PRODID, base_url, world, recent.isoformat())).encode(), "sha256")
    h.update(repr([tuple(row) for row in per_programme]).encode())
    h.update(repr(participants).encode())
    for table, order in (
        (Programme.__table__, Programme.__table__.c.id),  # type: ignore[attr-defined]
        (ItineraryItem.__table__, ItineraryItem.__table__.c.id),  # type: ignore[attr-defined]
    ):
        raw = [sa.type_coerce(c, sa.types.NullType()) for c in table.columns]
        h.update(repr([tuple(row) for row in conn.execute(sa.select(*raw).order_by(order))]).encode())
    for model in (Cadre, Unit):
        active = sa.select(model.id).where(col(model.active).is_(True)).order_by(col(model.id))
        h.update(repr(conn.execute(active).scalars().all()).encode())
    return h.hexdigest()


def _unchanged_set(directory: Path, stamp: str) -> PublishReport | None:
    """The last publish's report when it recorded `stamp` and every file it wrote (feeds, index.json,
    index.html) still has the size and mtime it recorded; None when anything differs (then plan in full)."""
    data = _read_json(directory / MANIFEST)
    if not isinstance(data, dict) or data.get("stamp") != stamp:
        return None
    files, records, sessions = data.get("files"), data.get("records"), data.get("sessions")
    if not isinstance(files, dict) or not isinstance(records, dict) or not isinstance(sessions, int):
        return None
    for name in (INDEX_JSON, INDEX_HTML):
        if not _still(os.path.join(directory, name), records.get(name)):
            return None
    index = _read_json(directory / INDEX_JSON)
    entries = index.get("feeds") if isinstance(index, dict) else None
    if not isinstance(entries, list) or len(entries) != len(files):
        return None
    out: list[FeedFile] = []
    size = 0
    for entry in entries:
        if not isinstance(entry, dict):
            return None
        name, kind, owner_id, owner, events = (
            entry.get(k) for k in ("file", "kind", "id", "owner", "events")
        )
        facts = files.get(name) if isinstance(name, str) else None
        if (
            not isinstance(facts, dict)
            or kind not in ("all", "programme", "unit", "cadre")
            or not (owner_id is None or isinstance(owner_id, int))
            or not isinstance(owner, str)
            or not isinstance(events, int)
            or not _still(os.path.join(directory, str(name)), facts)
        ):
            return None
        size += int(facts["size"])
        out.append(FeedFile(str(name), str(kind), owner_id, owner, events))
    return PublishReport(directory, tuple(out), (), sessions, size, 0)


def _still(path: str, facts: object) -> bool:
    """The file is a regular file with the size and mtime recorded for it (a plain string path: thousands of
    them are checked, and pathlib's parsing would cost more than the stat)."""
    if not isinstance(facts, dict):
        return False
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_ISREG(st.st_mode)
        and isinstance(facts.get("size"), int)
        and facts.get("size") == st.st_size
        and facts.get("mtime_ns") == st.st_mtime_ns
    )


def _variant(audience: Audience) -> str:
    return f"d:{audience.kind}:{audience.unit_id}:{audience.unit_name}"


def _unchanged(path: Path, key: str, known: dict[str, object]) -> bool:
    """The file is the one the last publish recorded (same size and mtime) and would get the same content."""
    if known.get("key") != key:
        return False
    try:
        st = path.stat()
    except OSError:
        return False
    return (
        stat.S_ISREG(st.st_mode)
        and known.get("size") == st.st_size
        and known.get("mtime_ns") == st.st_mtime_ns
    )


def _recent_participants(s: Session, since: datetime) -> dict[int, list[tuple[int, int | None]]]:
    """(cadre id, unit id) of the participants of each session ending after `since`: who gets the session in a
    personal or unit feed. One query (no long lists of bound ids); membership only, so no order."""
    from zhijin_training.models import Participant, TrainingSession

    rows = (
        s.connection()
        .execute(
            # IN (sub-select), not a join: SQLite then walks the (session, cadre) index from the recent sessions
            # instead of scanning every participant of ten years
            sa.select(Participant.session_id, Participant.cadre_id, Participant.unit_id).where(
                col(Participant.session_id).in_(
                    sa.select(TrainingSession.id).where(col(TrainingSession.ends_at) > since)
                )
            )
        )
        .all()
    )
    out: dict[int, list[tuple[int, int | None]]] = {}
    for sid, cadre_id, unit_id in rows:
        out.setdefault(sid, []).append((cadre_id, unit_id))
    return out


def _chunks_for(
    ctx: Context, s: Session, builder: EventBuilder, events: list[Planned], feeds: list[_Feed]
) -> dict[tuple[int, Audience], bytes]:
    """The text of every (event, audience) the stale feeds list: from the cache, or built and stored.

    The event without its description is one text per session ("feed"); the description, which depends on the
    reader's unit, one per (session, audience); the two are spliced.
    """
    from zhijin_training.ical import cache

    needed: dict[tuple[int, Audience], None] = {}
    for feed in feeds:
        for i in feed.members:
            needed[(i, feed.audience)] = None
    if not needed:
        return {}
    wanted: dict[tuple[int, str], str] = {}
    for i, audience in needed:
        e = events[i]
        wanted[(e.session_id, "feed")] = cache.variant_key(e.key, "feed")
        variant = _variant(audience)
        wanted[(e.session_id, variant)] = cache.variant_key(e.key, variant)
    found = cache.lookup(s, wanted)
    by_id = {e.session_id: e for e in events}
    missing_ids = sorted({sid for sid, variant in wanted if (sid, variant) not in found})
    fresh: list[tuple[Planned, str, str, bytes]] = []
    if missing_ids:
        audiences: dict[int, set[Audience]] = {}
        for i, audience in needed:
            audiences.setdefault(events[i].session_id, set()).add(audience)
        loads = (
            [Filters()]
            if len(missing_ids) == len(events)
            else [
                Filters(session_ids=tuple(missing_ids[k : k + 5000]))
                for k in range(0, len(missing_ids), 5000)
            ]
        )
        todo = set(missing_ids)
        for f in loads:
            for data in load_events(s, f):
                sid = data.session.id
                if sid not in todo:
                    continue
                planned = by_id[sid]
                if (sid, "feed") not in found:
                    body = bytes(builder.event(data, with_description=False).to_ical())
                    found[(sid, "feed")] = body
                    fresh.append((planned, "feed", wanted[(sid, "feed")], body))
                for audience in audiences[sid]:
                    variant = _variant(audience)
                    if (sid, variant) not in found:
                        line = description_line(describe(data, audience))
                        found[(sid, variant)] = line
                        fresh.append((planned, variant, wanted[(sid, variant)], line))
    cache.store(ctx, fresh)
    out: dict[tuple[int, Audience], bytes] = {}
    bodies: dict[int, bytes] = {}
    for i, audience in needed:
        sid = events[i].session_id
        body = bodies.get(sid)
        if body is None:
            body = bodies[sid] = found[(sid, "feed")]
        out[(i, audience)] = with_description(body, found[(sid, _variant(audience))])
    return out


def _write_if_changed(path: Path, data: bytes, known: dict[str, object]) -> tuple[bool, dict[str, object]]:
    """Write `data` unless the file already holds it; returns (written, the facts to record in the manifest).

    The manifest keeps each file's SHA-256, size and mtime: when the new content's hash is the recorded one and
    the file's size and mtime are still those recorded, nobody touched it and it is not even read. Otherwise
    the bytes are compared. An identical file is left as it is, so its mtime and ETag stay (304 for phones).
    """
    digest = hashlib.sha256(data).hexdigest()
    try:
        st = path.stat()
        facts: dict[str, object] = {"sha256": digest, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        if stat.S_ISREG(st.st_mode) and st.st_size == len(data):
            if known == facts:
                return False, facts
            if path.read_bytes() == data:
                return False, facts
    except OSError:
        pass
    atomic_write(path, data)
    st = path.stat()
    return True, {"sha256": digest, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _plan(
    ctx: Context,
    events: list[Planned],
    people: dict[int, list[tuple[int, int | None]]],
    programmes: Iterable[Programme],
    units: Iterable[Unit],
    cadres: Iterable[Cadre],
    unit_names: dict[int | None, str],
    secret: bytes,
    recent: datetime,
) -> list[_Feed]:
    from zhijin_training.ical.export import _org

    org = _org(ctx)[0]
    everything = _Feed(
        f"all-{feed_token(secret, 'all', None)}.ics",
        "all",
        None,
        "全部",
        "织金县干部培训日程",
        f"全县干部教育培训的全部场次。{org}发布。",
    )
    everything.members = list(range(len(events)))
    used = {e.programme_id for e in events}
    by_programme: dict[int, _Feed] = {}
    for p in programmes:
        if p.active or p.id in used:
            kind = label("programme_kind", p.kind)
            by_programme[p.id or 0] = _Feed(
                f"programme-{feed_token(secret, 'programme', p.id)}.ics",
                "programme",
                p.id,
                p.title,
                p.title,
                f"{p.title}（{kind}）的全部场次。{org}发布。",
            )
    by_unit = {
        u.id or 0: _Feed(
            f"unit-{feed_token(secret, 'unit', u.id)}.ics",
            "unit",
            u.id,
            u.name,
            f"{u.name} 培训日程",
            f"{u.name}干部参加的培训场次。{org}发布。",
            audience=Audience("unit", u.id, u.name),
        )
        for u in units
    }
    by_cadre = {}
    for c in cadres:
        who = f"{c.name}（{unit_names[c.unit_id]}）" if c.unit_id in unit_names else c.name
        by_cadre[c.id or 0] = _Feed(
            f"cadre-{cadre_token(secret, c.id or 0)}.ics",
            "cadre",
            c.id,
            who,
            f"{c.name} 培训日程",
            f"{who}参加的培训场次。{org}发布。",
            audience=Audience("cadre", c.unit_id, unit_names.get(c.unit_id, "")),
        )
    # unit and personal feeds: a year of history and everything ahead, as `export ics --cadre/--unit`
    for index, e in enumerate(events):
        if e.programme_id in by_programme:
            by_programme[e.programme_id].members.append(index)
        if e.ends_at <= recent:
            continue
        rows = people.get(e.session_id, ())
        for unit_id in dict.fromkeys(unit for _, unit in rows):
            if unit_id in by_unit:
                by_unit[unit_id].members.append(index)
        for cadre_id, _ in rows:
            if cadre_id in by_cadre:
                by_cadre[cadre_id].members.append(index)
    return [everything, *by_programme.values(), *by_unit.values(), *by_cadre.values()]


FEEDS_DIR_MODE = 0o775
_RECORD_LIMIT = 50_000_000  # bytes: a manifest or index larger than this is not ours


def _read_json(path: Path) -> object:
    """A private record of ours (manifest, index), or None when missing, damaged, a symlink or oversized."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > _RECORD_LIMIT:
            return None
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _read_manifest(directory: Path) -> dict[str, dict[str, object]]:
    """What earlier publishes recorded writing: {file: {"sha256", "size", "mtime_ns"}} (empty facts for names
    from older records).

    Three generations of records name files we wrote: the manifest as {"files": {name: facts}} (now), as
    {"files": [names]} or as a bare list (earlier versions), and index.json's "feeds" (every version has written
    it, including those that named feeds all.ics, unit-3.ics …). A file named in none of them is not ours, however
    its name looks, and is never removed.
    """
    out: dict[str, dict[str, object]] = {}
    index = _read_json(directory / INDEX_JSON)
    if isinstance(index, dict) and isinstance(index.get("feeds"), list):
        for entry in index["feeds"]:
            if isinstance(entry, dict) and isinstance(entry.get("file"), str):
                out[entry["file"]] = {}
    data = _read_json(directory / MANIFEST)
    files = data.get("files") if isinstance(data, dict) else data
    if isinstance(files, list):
        out.update({name: {} for name in files if isinstance(name, str)})
    elif isinstance(files, dict):
        out.update(
            {
                name: facts if isinstance(facts, dict) else {}
                for name, facts in files.items()
                if isinstance(name, str)
            }
        )
    return out


def _remove_stale(directory: Path, previous: Iterable[str], keep: set[str]) -> list[str]:
    """Remove the feeds an earlier publish recorded writing that this one did not; never anything else."""
    removed = []
    for name in sorted(set(previous) - keep):
        path = directory / name
        if "/" in name or name.startswith(".") or not name.endswith(".ics"):
            continue  # a hand-edited record must not make us delete elsewhere
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(name)
    return removed


def _write_if_changed_private(path: Path, data: bytes) -> None:
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    atomic_write(path, data, mode=0o600)


def _write_index(directory: Path, feeds: list[FeedFile]) -> dict[str, dict[str, int]]:
    """For the office only (it maps file names to people): keep it off the web server. No timestamp in it, so
    an unchanged set of feeds leaves it untouched too. Returns the size and mtime of both files, for the
    manifest (a later publish that changes nothing trusts index.json only while they hold)."""
    payload = {
        "feeds": [
            {"file": f.file, "kind": f.kind, "id": f.owner_id, "owner": f.owner, "events": f.events}
            for f in feeds
        ],
    }
    _write_if_changed_private(
        directory / INDEX_JSON, json.dumps(payload, ensure_ascii=False, indent=1).encode()
    )
    kinds = {"all": "全部", "programme": "培训项目", "unit": "单位", "cadre": "个人"}
    rows = "\n".join(
        f"<tr><td>{html.escape(kinds[f.kind])}</td><td>{html.escape(f.owner)}</td>"
        f'<td><a href="{html.escape(f.file)}">{html.escape(f.file)}</a></td><td>{f.events}</td></tr>'
        for f in feeds
    )
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>培训日历订阅清单（内部）</title></head><body>\n"
        "<h1>培训日历订阅清单（内部，勿公开）</h1>\n"
        "<table><thead><tr><th>类别</th><th>所属</th><th>文件</th><th>场次</th></tr></thead><tbody>\n"
        f"{rows}\n</tbody></table></body></html>\n"
    )
    _write_if_changed_private(directory / INDEX_HTML, page.encode())
    return {name: _file_facts(directory / name) for name in (INDEX_JSON, INDEX_HTML)}


def _file_facts(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
