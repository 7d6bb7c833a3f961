"""Feeds: a complete set, atomic, unguessable personal names, an index, stale files removed, served."""

from __future__ import annotations

import json
import threading
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.ical.conftest import busy_cadre, by_uid, parse
from zhijin_training.ical import export, feeds
from zhijin_training.services import programmes, roster, schedule
from zhijin_training.services.context import Actor, Context
from zhijin_training.services.errors import PermissionDenied


def _index(directory: Path) -> list[dict[str, object]]:
    return json.loads((directory / "index.json").read_text("utf-8"))["feeds"]  # type: ignore[no-any-return]


def test_publish_writes_a_complete_consistent_set(demo_ctx: Context, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    report = feeds.publish(demo_ctx, tmp_path, progress=lambda i, n: calls.append((i, n)))
    cadres = roster.list_cadres(demo_ctx)
    kinds = [f.kind for f in report.feeds]
    assert kinds.count("all") == 1 and kinds.count("cadre") == len(cadres)
    assert kinds.count("programme") == len(programmes.list_programmes(demo_ctx))
    assert kinds.count("unit") == len(roster.list_units(demo_ctx, active_only=True))
    assert calls[-1][0] == calls[-1][1] == len(report.feeds) + 1
    every = parse((tmp_path / "all.ics").read_bytes())
    assert len(every.events) == len(schedule.list_sessions(demo_ctx)) == report.sessions
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in (tmp_path / "all.ics").read_bytes()
    assert b"X-PUBLISHED-TTL:PT6H\r\n" in (tmp_path / "all.ics").read_bytes()
    assert [p.name for p in tmp_path.glob(".*")] == [".zhijin-feeds.json"]  # no temporary files left
    # a personal feed holds exactly what a per-cadre export holds, headers aside
    cadre_id = busy_cadre(demo_ctx)
    entry = next(e for e in _index(tmp_path) if e["kind"] == "cadre" and e["id"] == cadre_id)
    mine = parse((tmp_path / str(entry["file"])).read_bytes())
    exported = parse(export.export_bytes(demo_ctx, cadre_id=cadre_id))
    assert entry["events"] == len(mine.events) == len(exported.events) > 10
    for uid, event in by_uid(exported).items():
        assert by_uid(mine)[uid].to_ical() == event.to_ical()
    assert mine.get_missing_tzids() == set()


def test_personal_names_unguessable_stable_and_secret_kept(demo_ctx: Context, tmp_path: Path) -> None:
    feeds.publish(demo_ctx, tmp_path / "a")
    feeds.publish(demo_ctx, tmp_path / "b")
    names_a = {e["id"]: e["file"] for e in _index(tmp_path / "a") if e["kind"] == "cadre"}
    names_b = {e["id"]: e["file"] for e in _index(tmp_path / "b") if e["kind"] == "cadre"}
    assert names_a == names_b
    for cadre_id, name in names_a.items():
        assert str(name).startswith("cadre-") and len(str(name)) == len("cadre-.ics") + 26
        token = str(name)[len("cadre-") : -len(".ics")]
        assert token != str(cadre_id) and not token.isdigit()  # nothing a neighbour could count up to
    assert feeds.cadre_token(b"other secret", 1) != feeds.cadre_token(feeds.feed_secret(demo_ctx), 1)
    assert len(feeds.feed_secret(demo_ctx)) == 64


def test_stale_feeds_removed_other_files_kept(demo_ctx: Context, tmp_path: Path) -> None:
    feeds.publish(demo_ctx, tmp_path)
    (tmp_path / "README.txt").write_text("keep me")
    leaver = roster.list_cadres(demo_ctx)[-1]
    name = next(e["file"] for e in _index(tmp_path) if e["kind"] == "cadre" and e["id"] == leaver.id)
    assert (tmp_path / str(name)).exists()
    roster.set_cadre_active(demo_ctx, leaver.id, False, expected_version=leaver.version)
    report = feeds.publish(demo_ctx, tmp_path)
    assert report.removed == (name,)
    assert not (tmp_path / str(name)).exists()
    assert (tmp_path / "README.txt").read_text() == "keep me"


def test_index_html_escapes_and_is_private(demo_ctx: Context, tmp_path: Path) -> None:
    programmes.add_programme(demo_ctx, kind="meeting", title="<script>alert(1)</script>")
    feeds.publish(demo_ctx, tmp_path)
    page = (tmp_path / "index.html").read_text("utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert (tmp_path / "index.json").stat().st_mode & 0o077 == 0
    assert (tmp_path / "all.ics").stat().st_mode & 0o004  # readable by the web server


def test_viewer_may_not_publish(demo_ctx: Context, tmp_path: Path) -> None:
    viewer = Context(
        db=demo_ctx.db, actor=Actor("v", "viewer"), settings=demo_ctx.settings, clock=demo_ctx.clock
    )
    with pytest.raises(PermissionDenied):
        feeds.publish(viewer, tmp_path)


def test_a_served_directory_hands_out_the_feeds(demo_ctx: Context, tmp_path: Path) -> None:
    feeds.publish(demo_ctx, tmp_path)
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/all.ics"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read()
        assert body == (tmp_path / "all.ics").read_bytes()
        assert len(parse(body).events) == len(schedule.list_sessions(demo_ctx))
    finally:
        server.shutdown()
        server.server_close()
