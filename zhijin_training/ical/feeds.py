"""Published calendar feeds: a directory a web server hands out so phones can subscribe.

One run writes a complete, consistent set from one database read: all.ics, one per programme, per active
unit and per active cadre (personal feeds are written even when empty, so a subscription made today
fills up later). Personal file names carry an HMAC of the cadre id under a secret kept in the database
("feed.secret", created once), so nobody can guess a colleague's calendar; index.json and index.html tell
the office which file is whose (the web server must not serve them, see docs/feeds.md). Every file is
replaced atomically; files of feeds that no longer exist are removed.

Each VEVENT is serialised by icalendar once and reused in every feed that lists it: a session appears
in the all, programme, unit and every participant's feed, and serialising it per feed would multiply the
cost by the number of participants. The calendar headers are icalendar's output too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, select

from zhijin_training.i18n import label
from zhijin_training.ical.export import EventBuilder, atomic_write, calendar_shell, shanghai_timezone
from zhijin_training.ical.query import EventData, Filters, alarm_settings, load_events
from zhijin_training.models import AppSetting, Cadre, Programme, Unit
from zhijin_training.services.context import Context
from zhijin_training.settings import AccessRole
from zhijin_training.timeutil import format_local, local_date, local_midnight

SECRET_KEY = "feed.secret"
INDEX_JSON = "index.json"
INDEX_HTML = "index.html"
# only files matching these are ever removed from the directory
_OURS = re.compile(r"^(all|programme-\d+|unit-\d+|cadre-[a-z2-7]{26})\.ics$")
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
    bytes_written: int = field(default=0)


def feed_secret(ctx: Context) -> bytes:
    """The key of personal feed names; created on first publish and never changed afterwards."""
    with ctx.db.read() as s:
        row = s.get(AppSetting, SECRET_KEY)
        if row is not None and row.value:
            return row.value.encode()
    with ctx.db.write() as s:  # BEGIN IMMEDIATE: two first publishes cannot both create one
        row = s.get(AppSetting, SECRET_KEY)
        if row is None or not row.value:
            row = row or AppSetting(key=SECRET_KEY)
            row.value = secrets.token_hex(32)
            s.add(row)
        return row.value.encode()


def cadre_token(secret: bytes, cadre_id: int) -> str:
    digest = hmac.new(secret, f"cadre:{cadre_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:26]  # 130 bits


@dataclass
class _Feed:
    file: str
    kind: str
    owner_id: int | None
    owner: str
    name: str
    description: str
    members: list[int] = field(default_factory=list)  # indexes into the event list


def publish(
    ctx: Context, directory: Path, progress: Callable[[int, int], None] | None = None
) -> PublishReport:
    ctx.actor.require(AccessRole.EDITOR, "publish calendars")
    from zhijin_training.safefiles import ensure_dir

    directory = Path(directory)
    # the office's colleagues publish into the same folder (group rw, setgid kept); nginx only reads it
    ensure_dir(directory, FEEDS_DIR_MODE)
    secret = feed_secret(ctx)
    with ctx.db.read() as s:
        events = load_events(s, Filters())
        alarms = alarm_settings(s)
        programmes = s.exec(select(Programme).order_by(col(Programme.id))).all()
        units = s.exec(select(Unit).where(col(Unit.active).is_(True)).order_by(col(Unit.id))).all()
        unit_names = {u.id: u.name for u in s.exec(select(Unit)).all()}
        cadres = s.exec(select(Cadre).where(col(Cadre.active).is_(True)).order_by(col(Cadre.id))).all()
    feeds = _plan(ctx, events, programmes, units, cadres, unit_names, secret)
    builder = EventBuilder(ctx, alarms)
    chunks = [bytes(builder.event(e).to_ical()) for e in events]
    timed = [not e.session.all_day for e in events]
    timezone = shanghai_timezone()  # built once (~10 ms), shared by every feed
    total = len(feeds) + 1
    written: list[FeedFile] = []
    size = 0
    for number, feed in enumerate(feeds, 1):
        shell = calendar_shell(
            ctx,
            feed.name,
            feed.description,
            with_timezone=any(timed[i] for i in feed.members),
            feed=True,
            timezone=timezone,
        )
        head = bytes(shell.to_ical())
        assert head.endswith(_END)
        data = head[: -len(_END)] + b"".join(chunks[i] for i in feed.members) + _END
        atomic_write(directory / feed.file, data)
        size += len(data)
        written.append(FeedFile(feed.file, feed.kind, feed.owner_id, feed.owner, len(feed.members)))
        if progress:
            progress(number, total)
    removed = _remove_stale(directory, {f.file for f in written})
    _write_manifest(directory, {f.file for f in written})
    _write_index(ctx, directory, written)
    if progress:
        progress(total, total)
    return PublishReport(directory, tuple(written), tuple(removed), len(events), size)


def _plan(
    ctx: Context,
    events: list[EventData],
    programmes: Iterable[Programme],
    units: Iterable[Unit],
    cadres: Iterable[Cadre],
    unit_names: dict[int | None, str],
    secret: bytes,
) -> list[_Feed]:
    from zhijin_training.ical.export import _org

    org = _org(ctx)[0]
    everything = _Feed(
        "all.ics", "all", None, "全部", "织金县干部培训日程", f"全县干部教育培训的全部场次。{org}发布。"
    )
    everything.members = list(range(len(events)))
    by_programme: dict[int, _Feed] = {}
    for p in programmes:
        if p.active or any(e.session.programme_id == p.id for e in events):
            kind = label("programme_kind", p.kind)
            by_programme[p.id or 0] = _Feed(
                f"programme-{p.id}.ics",
                "programme",
                p.id,
                p.title,
                p.title,
                f"{p.title}（{kind}）的全部场次。{org}发布。",
            )
    by_unit = {
        u.id or 0: _Feed(
            f"unit-{u.id}.ics",
            "unit",
            u.id,
            u.name,
            f"{u.name} 培训日程",
            f"{u.name}干部参加的培训场次。{org}发布。",
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
        )
    from zhijin_training.ical.export import PERSONAL_HISTORY

    # unit and personal feeds: a year of history and everything ahead, as `export ics --cadre/--unit`
    recent = local_midnight(local_date(ctx.now()) - PERSONAL_HISTORY)
    for index, e in enumerate(events):
        if e.session.programme_id in by_programme:
            by_programme[e.session.programme_id].members.append(index)
        if e.session.ends_at <= recent:
            continue
        for unit_id in dict.fromkeys(p.unit_id for p in e.participants):
            if unit_id in by_unit:
                by_unit[unit_id].members.append(index)
        for p in e.participants:
            if p.cadre_id in by_cadre:
                by_cadre[p.cadre_id].members.append(index)
    return [everything, *by_programme.values(), *by_unit.values(), *by_cadre.values()]


FEEDS_DIR_MODE = 0o775
MANIFEST = ".zhijin-feeds.json"  # the files the last publish wrote: only those may be removed later


def _read_manifest(directory: Path) -> set[str]:
    path = directory / MANIFEST
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 16 * 1024 * 1024:
            return set()
        names = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {n for n in names if isinstance(n, str) and "/" not in n} if isinstance(names, list) else set()


def _write_manifest(directory: Path, names: set[str]) -> None:
    atomic_write(directory / MANIFEST, json.dumps(sorted(names)).encode(), mode=0o664)


def _remove_stale(directory: Path, keep: set[str]) -> list[str]:
    """Remove the feeds an earlier publish wrote that are no longer wanted — never a file we did not write."""
    removed = []
    for name in sorted(_read_manifest(directory) - keep):
        path = directory / name
        if _OURS.match(name) and path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(name)
    return removed


def _write_index(ctx: Context, directory: Path, feeds: list[FeedFile]) -> None:
    """For the office only (it maps personal file names to people): keep it off the web server."""
    generated = format_local(ctx.now(), "%Y-%m-%d %H:%M:%S%z")
    payload = {
        "generated_at": generated,
        "feeds": [
            {"file": f.file, "kind": f.kind, "id": f.owner_id, "owner": f.owner, "events": f.events}
            for f in feeds
        ],
    }
    atomic_write(
        directory / INDEX_JSON, json.dumps(payload, ensure_ascii=False, indent=1).encode(), mode=0o600
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
        f"<h1>培训日历订阅清单（内部，勿公开）</h1><p>生成于 {html.escape(generated)}</p>\n"
        "<table><thead><tr><th>类别</th><th>所属</th><th>文件</th><th>场次</th></tr></thead><tbody>\n"
        f"{rows}\n</tbody></table></body></html>\n"
    )
    atomic_write(directory / INDEX_HTML, page.encode(), mode=0o600)
