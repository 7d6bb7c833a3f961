"""Feeds: a complete set with secret names, the secret outside the database, rotation, privacy of notes and
participants, cancelled sessions silent, unchanged feeds untouched (304 through a real nginx), and a publish
that removes only what it wrote."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.ical.conftest import busy_cadre, by_uid, first_of_kind, parse
from zhijin_training.ical import export, feeds
from zhijin_training.models import AppSetting
from zhijin_training.services import programmes, roster, schedule
from zhijin_training.services.context import Actor, Context
from zhijin_training.services.errors import PermissionDenied, ValidationError

TOKEN = re.compile(r"^(all|programme|unit|cadre)-[a-z2-7]{26}\.ics$")


def _index(directory: Path) -> list[dict[str, object]]:
    return json.loads((directory / "index.json").read_text("utf-8"))["feeds"]  # type: ignore[no-any-return]


def _file(directory: Path, kind: str, owner_id: int | None = None) -> Path:
    entry = next(
        e for e in _index(directory) if e["kind"] == kind and (owner_id is None or e["id"] == owner_id)
    )
    return directory / str(entry["file"])


def _feed_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.ics"))}


def test_publish_writes_a_complete_consistent_set(demo_ctx: Context, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    report = feeds.publish(demo_ctx, tmp_path, progress=lambda i, n: calls.append((i, n)))
    cadres = roster.list_cadres(demo_ctx)
    kinds = [f.kind for f in report.feeds]
    assert kinds.count("all") == 1 and kinds.count("cadre") == len(cadres)
    assert kinds.count("programme") == len(programmes.list_programmes(demo_ctx))
    assert kinds.count("unit") == len(roster.list_units(demo_ctx, active_only=True))
    assert calls[-1][0] == calls[-1][1] == len(report.feeds) + 1
    everything = _file(tmp_path, "all").read_bytes()
    assert len(parse(everything).events) == len(schedule.list_sessions(demo_ctx)) == report.sessions
    # RFC 7986 calendar properties beside the X-WR- ones clients used to read
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in everything
    assert b"X-PUBLISHED-TTL:PT6H\r\n" in everything
    assert b"\r\nNAME:" in everything and b"\r\nDESCRIPTION:" in everything.split(b"BEGIN:VEVENT")[0]
    assert b"SOURCE" not in everything  # only when --base-url says where the folder is served
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left
    # a personal feed holds the sessions a per-cadre export holds
    cadre_id = busy_cadre(demo_ctx)
    mine = parse(_file(tmp_path, "cadre", cadre_id).read_bytes())
    exported = parse(export.export_bytes(demo_ctx, cadre_id=cadre_id))
    assert set(by_uid(mine)) == set(by_uid(exported)) and len(mine.events) > 10
    assert mine.get_missing_tzids() == set()


def test_source_and_one_observance_time_zone(demo_ctx: Context, tmp_path: Path) -> None:
    feeds.publish(demo_ctx, tmp_path, base_url="https://calendar.zhijin.example.cn/")
    path = _file(tmp_path, "all")
    data = path.read_bytes()
    assert f"SOURCE;VALUE=URI:https://calendar.zhijin.example.cn/{path.name}".encode() in data.replace(
        b"\r\n ", b""
    )
    [tz] = parse(data).timezones
    assert str(tz["TZID"]) == "Asia/Shanghai"
    assert [c.name for c in tz.subcomponents] == ["STANDARD"]  # no DAYLIGHT, no RDATE history
    assert b"RDATE" not in data.split(b"END:VTIMEZONE")[0]
    assert b"TZOFFSETFROM:+0800\r\nTZOFFSETTO:+0800\r\n" in data


def test_every_feed_name_is_unguessable_and_the_secret_lives_outside_the_database(
    demo_ctx: Context, tmp_path: Path
) -> None:
    feeds.publish(demo_ctx, tmp_path / "a")
    feeds.publish(demo_ctx, tmp_path / "b")
    names_a = {(e["kind"], e["id"]): e["file"] for e in _index(tmp_path / "a")}
    assert names_a == {(e["kind"], e["id"]): e["file"] for e in _index(tmp_path / "b")}  # stable
    for name in names_a.values():
        assert TOKEN.match(str(name)), name  # all.ics, unit-3.ics ... are gone
    assert not [
        p for p in (tmp_path / "a").iterdir() if re.fullmatch(r"(all|(unit|programme)-\d+)\.ics", p.name)
    ]
    secret_file = Path(f"{demo_ctx.db.path}.feed-secret")
    assert secret_file.stat().st_mode & 0o777 == 0o600
    secret = secret_file.read_text().strip()
    assert len(secret) == 64
    with demo_ctx.db.read() as s:
        assert s.get(AppSetting, "feed.secret") is None
    assert secret.encode() not in Path(str(demo_ctx.db.path)).read_bytes()  # not in the database file either
    assert feeds.feed_token(b"another secret", "unit", 1) != feeds.feed_token(secret.encode(), "unit", 1)


def test_secret_file_path_is_configurable_and_guarded(demo_ctx: Context, tmp_path: Path) -> None:
    chosen = tmp_path / "private" / "feeds.key"
    feeds.publish(demo_ctx, tmp_path / "out", secret_file=chosen)
    assert chosen.stat().st_mode & 0o777 == 0o600
    os.chmod(chosen, 0o644)
    with pytest.raises(ValidationError) as info:
        feeds.publish(demo_ctx, tmp_path / "out", secret_file=chosen)
    assert info.value.code == "feeds.secret_loose"
    os.chmod(chosen, 0o600)
    chosen.write_text("not a secret")
    with pytest.raises(ValidationError) as info:
        feeds.publish(demo_ctx, tmp_path / "out", secret_file=chosen)
    assert info.value.code == "feeds.secret_damaged"


def test_rotate_withdraws_every_link_at_once(demo_ctx: Context, tmp_path: Path) -> None:
    feeds.publish(demo_ctx, tmp_path)
    before = set(_feed_files(tmp_path))
    report = feeds.publish(demo_ctx, tmp_path, rotate=True)
    after = set(_feed_files(tmp_path))
    assert before.isdisjoint(after) and len(after) == len(before)
    assert set(report.removed) == before  # every old name is gone: the old links answer 404


def test_internal_notes_never_leave_the_database(demo_ctx: Context, tmp_path: Path) -> None:
    lecture = first_of_kind(demo_ctx, "lecture")
    meeting = first_of_kind(demo_ctx, "meeting")
    schedule.update_session(
        demo_ctx,
        lecture.id,
        schedule.SessionChanges(note="联系人：王老师 内部：该讲座经费未批"),
        expected_version=lecture.version,
        force=True,
    )
    schedule.update_session(
        demo_ctx,
        meeting.id,
        schedule.SessionChanges(note="请带笔记本", note_public=True),
        expected_version=meeting.version,
        force=True,
    )
    feeds.publish(demo_ctx, tmp_path)
    office = export.export_bytes(demo_ctx).replace(b"\r\n ", b"")
    for name, data in {**_feed_files(tmp_path), "export": office}.items():
        text = data.replace(b"\r\n ", b"").decode()
        assert "经费未批" not in text and "王老师" not in text, name
    assert "请带笔记本" in _file(tmp_path, "all").read_bytes().replace(b"\r\n ", b"").decode()
    assert "请带笔记本" in office.decode()


def test_personal_feed_shows_own_unit_and_a_count_not_colleagues(demo_ctx: Context, tmp_path: Path) -> None:
    feeds.publish(demo_ctx, tmp_path)
    cadre_id = busy_cadre(demo_ctx)
    me = roster.get_cadre(demo_ctx, cadre_id) if hasattr(roster, "get_cadre") else None
    everyone = {c.name for c in roster.list_cadres(demo_ctx)}
    mine = parse(_file(tmp_path, "cadre", cadre_id).read_bytes())
    office = by_uid(parse(export.export_bytes(demo_ctx, cadre_id=cadre_id)))
    checked = 0
    for uid, event in by_uid(mine).items():
        text = str(event["DESCRIPTION"])
        assert "参训人员：你所在的" in text
        names_in_office = [n for n in everyone if n in str(office[uid]["DESCRIPTION"])]
        assert names_in_office  # the office's own export keeps the full list
        leaked = [n for n in everyone if f"、{n}" in text or f"：{n}" in text]
        assert not leaked, leaked
        checked += 1
    assert checked > 10
    assert me is None or me.unit_name in str(next(iter(mine.events))["DESCRIPTION"])
    for kind in ("all", "programme", "unit"):
        text = _file(tmp_path, kind).read_bytes().replace(b"\r\n ", b"").decode()
        assert not [n for n in everyone if f"、{n}" in text], kind


def test_cancelled_sessions_do_not_ring_and_say_why(demo_ctx: Context, tmp_path: Path) -> None:
    lecture = first_of_kind(demo_ctx, "lecture")
    assert parse(export.export_bytes(demo_ctx, session_ids=[lecture.id])).events[0].walk("VALARM")
    schedule.cancel_session(demo_ctx, lecture.id, expected_version=lecture.version, reason="主讲人临时出差")
    feeds.publish(demo_ctx, tmp_path)
    for data in (
        export.export_bytes(demo_ctx, session_ids=[lecture.id]),
        _file(tmp_path, "all").read_bytes(),
    ):
        event = by_uid(parse(data))[lecture.uid]
        assert str(event["STATUS"]) == "CANCELLED"
        assert event.walk("VALARM") == []
        assert "取消原因：主讲人临时出差" in str(event["DESCRIPTION"])


def test_unchanged_feeds_are_byte_identical_and_not_rewritten(demo_ctx: Context, tmp_path: Path) -> None:
    feeds.publish(demo_ctx, tmp_path)
    before = _feed_files(tmp_path)
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    later = Context(
        db=demo_ctx.db, actor=demo_ctx.actor, settings=demo_ctx.settings, clock=lambda: demo_ctx.now()
    )
    report = feeds.publish(later, tmp_path)
    assert report.files_written == 0
    assert _feed_files(tmp_path) == before
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == stamps


def test_publish_removes_only_files_it_wrote(demo_ctx: Context, tmp_path: Path) -> None:
    (tmp_path / "README.txt").write_text("keep me")
    (tmp_path / "holidays.ics").write_text("someone else's calendar")
    (tmp_path / "all.ics").write_text("left by an old version: guessable, so it goes")
    (tmp_path / "unit-3.ics").write_text("looks like an old feed, but no record of ours names it: it stays")
    # every version wrote index.json naming its feeds; the old guessable ones are ours by that record
    (tmp_path / "index.json").write_text('{"feeds": [{"file": "all.ics", "kind": "all"}]}')
    feeds.publish(demo_ctx, tmp_path)
    assert not (tmp_path / "all.ics").exists()
    assert (tmp_path / "unit-3.ics").exists()
    leaver = roster.list_cadres(demo_ctx)[-1]
    gone = _file(tmp_path, "cadre", leaver.id)
    roster.set_cadre_active(demo_ctx, leaver.id, False, expected_version=leaver.version)
    report = feeds.publish(demo_ctx, tmp_path)
    assert report.removed == (gone.name,)
    assert not gone.exists()
    assert (tmp_path / "README.txt").read_text() == "keep me"
    assert (tmp_path / "holidays.ics").read_text() == "someone else's calendar"
    assert (tmp_path / ".zhijin-feeds.json").stat().st_mode & 0o077 == 0


def test_index_html_escapes_and_is_private(demo_ctx: Context, tmp_path: Path) -> None:
    programmes.add_programme(demo_ctx, kind="meeting", title="<script>alert(1)</script>")
    feeds.publish(demo_ctx, tmp_path)
    page = (tmp_path / "index.html").read_text("utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert (tmp_path / "index.json").stat().st_mode & 0o077 == 0
    assert _file(tmp_path, "all").stat().st_mode & 0o004  # readable by the web server


def test_viewer_may_not_publish(demo_ctx: Context, tmp_path: Path) -> None:
    viewer = Context(
        db=demo_ctx.db, actor=Actor("v", "viewer"), settings=demo_ctx.settings, clock=demo_ctx.clock
    )
    with pytest.raises(PermissionDenied):
        feeds.publish(viewer, tmp_path)


def test_cli_publish_and_rotate(demo_path: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from zhijin_training.cli.main import app

    runner = CliRunner(env={"COLUMNS": "400"})
    out = tmp_path / "feeds"
    result = runner.invoke(app, ["--lang", "en", "--db", str(demo_path), "publish", str(out)])
    assert result.exit_code == 0, result.output
    first = set(_feed_files(out))
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    result = runner.invoke(app, ["--lang", "en", "--db", str(demo_path), "publish", str(out)])
    assert "0 files changed" in result.output, result.output
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps
    result = runner.invoke(app, ["--lang", "en", "--db", str(demo_path), "publish", str(out), "--rotate"])
    assert result.exit_code == 0 and first.isdisjoint(set(_feed_files(out)))


# ---------------------------------------------------------------- a real nginx
def _nginx() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


NGINX_CONF = """
worker_processes 1;
daemon off;
master_process off;
pid {run}/nginx.pid;
error_log {run}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {run}/body;
    {temp_paths}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        autoindex off;
        location = /index.json {{ deny all; }}
        location = /index.html {{ deny all; }}
        location ~ /\\.  {{ deny all; }}
        location ~ \\.ics$ {{
            types {{ }}
            default_type "text/calendar; charset=utf-8";
            add_header Cache-Control "no-cache";
            etag on;
        }}
        location / {{ return 404; }}
    }}
}}
"""


@pytest.fixture
def nginx_feeds(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    binary = _nginx()
    if binary is None:
        pytest.skip("nginx is not installed (scripts/install-nginx.sh installs it in CI)")
    root, run = tmp_path / "feeds", tmp_path / "nginx"
    root.mkdir()
    run.mkdir()
    built = subprocess.run([binary, "-V"], capture_output=True, text=True).stderr
    temp_paths = " ".join(
        f"{module}_temp_path {run}/{module};"
        for module in ("proxy", "fastcgi", "uwsgi", "scgi")
        if f"--without-http_{module}_module" not in built
    )
    port = _free_port()
    conf = run / "nginx.conf"
    conf.write_text(NGINX_CONF.format(run=run, port=port, root=root, temp_paths=temp_paths))
    proc = subprocess.Popen(
        [binary, "-p", str(run), "-e", str(run / "error.log"), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    log = (run / "error.log").read_text() if (run / "error.log").exists() else ""
                    pytest.fail(
                        f"nginx did not start: {proc.stderr.read().decode() if proc.stderr else ''} {log}"
                    )
                time.sleep(0.05)
        yield base, root
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), b""


def test_a_phone_gets_304_after_an_unrelated_publish(
    demo_ctx: Context, nginx_feeds: tuple[str, Path]
) -> None:
    base, root = nginx_feeds
    feeds.publish(demo_ctx, root)
    lecture = first_of_kind(demo_ctx, "lecture")
    meeting = first_of_kind(demo_ctx, "meeting")
    lectures = _file(root, "programme", lecture.programme_id).name
    meetings = _file(root, "programme", meeting.programme_id).name
    status, headers, body = _get(f"{base}/{lectures}")
    assert status == 200 and body == (root / lectures).read_bytes()
    assert headers["Content-Type"].startswith("text/calendar")
    etag, modified = headers["ETag"], headers["Last-Modified"]
    _, meeting_headers, _ = _get(f"{base}/{meetings}")
    time.sleep(1.1)  # Last-Modified has one-second resolution: a rewrite would show
    schedule.update_session(
        demo_ctx,
        meeting.id,
        schedule.SessionChanges(location="县委第二会议室"),
        expected_version=meeting.version,
    )
    report = feeds.publish(demo_ctx, root)
    assert 0 < report.files_written < len(report.feeds)
    # what a phone sends when it refreshes a subscription it already holds
    assert _get(f"{base}/{lectures}", {"If-None-Match": etag})[0] == 304
    assert _get(f"{base}/{lectures}", {"If-Modified-Since": modified})[0] == 304
    status, headers, body = _get(f"{base}/{meetings}", {"If-None-Match": meeting_headers["ETag"]})
    assert status == 200 and "县委第二会议室" in body.replace(b"\r\n ", b"").decode()
    assert headers["ETag"] != meeting_headers["ETag"]
    for private in ("index.json", "index.html", ".zhijin-feeds.json"):
        assert _get(f"{base}/{private}")[0] == 403
    assert _get(f"{base}/")[0] in (403, 404)  # never a listing
    assert _get(f"{base}/all.ics")[0] == 404


def test_dump_has_no_secret(demo_ctx: Context, tmp_path: Path) -> None:
    """Any viewer or backup of the database: no way to compute a feed name from it."""
    feeds.publish(demo_ctx, tmp_path)
    secret = Path(f"{demo_ctx.db.path}.feed-secret").read_text().strip()
    with demo_ctx.db.read() as s:
        rows = s.exec(sa.text("SELECT key, value FROM app_setting")).all()  # type: ignore[call-overload]
    assert all(secret not in str(value) for _key, value in rows)


def _mtimes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(directory.glob("*.ics"))}


def test_publish_after_marks_and_an_edit_rewrites_only_the_feeds_that_show_a_change(
    demo_ctx: Context, tmp_path: Path
) -> None:
    from zhijin_training.services import attendance
    from zhijin_training.services.schedule import SessionChanges

    now = demo_ctx.now()
    lecture = next(
        v
        for v in schedule.list_sessions(demo_ctx, kind="lecture")
        if v.status == "scheduled" and v.starts_at <= now and v.ends_at > now - timedelta(days=300)
    )
    people = attendance.session_attendance(demo_ctx, lecture.id).participants
    feeds.publish(demo_ctx, tmp_path)
    stamps = _mtimes(tmp_path)
    # attendance is not in any calendar: after marks (the first makes the session "held") nothing is rewritten
    attendance.mark(demo_ctx, lecture.id, people[0].cadre_id, attendance.Mark("present"))
    attendance.mark(demo_ctx, lecture.id, people[1].cadre_id, attendance.Mark("late"))
    assert feeds.publish(demo_ctx, tmp_path).files_written == 0
    assert _mtimes(tmp_path) == stamps
    # an edit that shows: exactly the feeds listing that session are rewritten, the others keep their mtime
    before = _feed_files(tmp_path)
    upcoming = next(v for v in schedule.list_sessions(demo_ctx, kind="lecture") if v.starts_at > now)
    schedule.update_session(
        demo_ctx, upcoming.id, SessionChanges(speaker="新主讲人"), expected_version=upcoming.version, force=True
    )
    report = feeds.publish(demo_ctx, tmp_path)
    after = _feed_files(tmp_path)
    showing = {name for name, data in after.items() if upcoming.uid.encode() in data}
    assert {name for name in after if after[name] != before[name]} == showing
    assert report.files_written == len(showing) > 1
    assert {n: t for n, t in _mtimes(tmp_path).items() if n not in showing} == {
        n: t for n, t in stamps.items() if n not in showing
    }
    # and what the cache gave is what a publish from scratch gives
    with demo_ctx.db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ical_event_cache"))
    fresh = tmp_path / "fresh"
    feeds.publish(demo_ctx, fresh)
    assert _feed_files(fresh) == _feed_files(tmp_path)


def test_a_feed_changed_by_hand_is_put_right(demo_ctx: Context, tmp_path: Path) -> None:
    feeds.publish(demo_ctx, tmp_path)
    target = _file(tmp_path, "all")
    good = target.read_bytes()
    target.write_bytes(good.replace(b"SUMMARY:", b"SUMMARX:", 1))  # same size, new mtime
    assert feeds.publish(demo_ctx, tmp_path).files_written == 1
    assert target.read_bytes() == good
