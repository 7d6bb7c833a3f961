"""Real clients read our per-cadre calendar: khal, a Radicale CalDAV server (via caldav) and calcurse.

Each imports the calendar, shows the right number of events with the Chinese titles byte for byte, and
after a cancellation and a reschedule at the office takes the new version: khal and Radicale update the
events in place by UID. calcurse keeps no UIDs, so its refresh is a re-import into a fresh folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.ical.conftest import busy_cadre, parse
from zhijin_training.ical import export
from zhijin_training.services import schedule
from zhijin_training.services.context import Context
from zhijin_training.services.views import SessionView

pytestmark = pytest.mark.clients
BIN = Path(sys.executable).parent
CANCELLED = "【已取消】"


def _changes(ctx: Context, cadre_id: int) -> tuple[SessionView, SessionView]:
    """Cancel one lecture of the cadre and move another by a day; returns (cancelled, moved)."""
    lectures = [
        s for s in schedule.list_sessions(ctx, cadre_id=cadre_id, kind="lecture") if not s.is_cancelled
    ]
    cancelled = schedule.cancel_session(ctx, lectures[0].id, expected_version=lectures[0].version)[0]
    [moved] = schedule.update_session(
        ctx,
        lectures[1].id,
        schedule.SessionChanges(starts_at=lectures[1].starts_at + timedelta(days=1)),
        expected_version=lectures[1].version,
        force=True,
    )
    return cancelled, moved


def _titles(cal: Calendar) -> list[str]:
    return sorted(str(e["SUMMARY"]) for e in cal.events)


# ---------------------------------------------------------------- khal
def _khal(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "khal"), "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TZ": "Asia/Shanghai", "LC_ALL": "C.UTF-8"},
        check=False,
    )


def test_khal_imports_and_updates_in_place(demo_ctx: Context, tmp_path: Path) -> None:
    if not (BIN / "khal").exists():
        pytest.skip("khal is not installed in the virtualenv (pip install khal)")
    store = tmp_path / "khal"
    store.mkdir()
    config = tmp_path / "khal.conf"
    config.write_text(
        f"[calendars]\n[[training]]\npath = {store}\ntype = calendar\n"
        "[locale]\ntimeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
        "local_timezone = Asia/Shanghai\ndefault_timezone = Asia/Shanghai\n"
        "[default]\ndefault_calendar = training\n",
        "utf-8",
    )
    cadre = busy_cadre(demo_ctx)
    feed = tmp_path / "mine.ics"
    count = export.write_calendar(demo_ctx, feed, cadre_id=cadre)
    result = _khal(config, "import", "--batch", str(feed))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert len(list(store.glob("*.ics"))) == count
    listed = _khal(config, "list", "--format", "{title}", "--day-format", "", "2025-01-01", "2028-12-31")
    assert listed.returncode == 0 and listed.stderr == ""
    titles = {line for line in listed.stdout.splitlines() if line.strip()}
    assert titles == set(_titles(parse(feed.read_bytes())))  # Chinese byte for byte

    cancelled, moved = _changes(demo_ctx, cadre)
    export.write_calendar(demo_ctx, feed, cadre_id=cadre)
    result = _khal(config, "import", "--batch", str(feed))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert len(list(store.glob("*.ics"))) == count  # updated in place, nothing duplicated
    listed = _khal(
        config, "list", "--format", "{start} {title}", "--day-format", "", "2025-01-01", "2028-12-31"
    )
    assert any(line.endswith(CANCELLED + cancelled.title) for line in listed.stdout.splitlines())
    when = (moved.starts_at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert f"{when} {moved.title}" in listed.stdout.splitlines()
    assert sum(line.endswith(" " + moved.title) for line in listed.stdout.splitlines()) == 1


# ---------------------------------------------------------------- Radicale + caldav
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[str]:
    pytest.importorskip("radicale")
    port = _free_port()
    log = tmp_path / "radicale.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "radicale",
                "--storage-filesystem-folder", str(tmp_path / "collections"),
                "--server-hosts", f"127.0.0.1:{port}",
                "--auth-type", "none",
                "--logging-level", "warning",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("Radicale exited: " + log.read_text())
                time.sleep(0.05)
        else:
            pytest.fail("Radicale did not start: " + log.read_text())
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _resources(data: bytes) -> dict[str, bytes]:
    """One CalDAV resource per UID: the event with the calendar's VTIMEZONE."""
    cal = parse(data)
    out = {}
    for event in cal.events:
        single = Calendar()
        for key in ("VERSION", "PRODID"):
            single.add(key, cal[key])
        for tz in cal.timezones:
            single.add_component(tz)
        single.add_component(event)
        out[str(event["UID"])] = single.to_ical()
    return out


def test_radicale_caldav_round_trip_and_update(demo_ctx: Context, radicale: str) -> None:
    import caldav

    cadre = busy_cadre(demo_ctx)
    data = export.export_bytes(demo_ctx, cadre_id=cadre)
    resources = _resources(data)
    with caldav.DAVClient(url=radicale, username="office", password="x") as client:
        principal = client.principal()
        calendar = principal.make_calendar(name="培训日程", cal_id="training")
        for body in resources.values():
            calendar.add_event(body.decode("utf-8"), increase_seqno=False)
        events = calendar.events()
        assert len(events) == len(resources)
        summaries = sorted(str(e.icalendar_component["SUMMARY"]) for e in events)
        assert summaries == _titles(parse(data))
        raw = b"".join(e.data.encode("utf-8") for e in events)
        for title in summaries:
            assert title.encode("utf-8") in raw.replace(b"\r\n ", b"")

        cancelled, moved = _changes(demo_ctx, cadre)
        for body in _resources(export.export_bytes(demo_ctx, cadre_id=cadre)).values():
            # same UID: the server replaces the resource; our SEQUENCE is kept as sent
            calendar.add_event(body.decode("utf-8"), increase_seqno=False)
        events = calendar.events()
        assert len(events) == len(resources)
        by_uid = {str(e.icalendar_component["UID"]): e.icalendar_component for e in events}
        assert str(by_uid[cancelled.uid]["STATUS"]) == "CANCELLED"
        assert str(by_uid[cancelled.uid]["SUMMARY"]) == CANCELLED + cancelled.title
        assert by_uid[moved.uid].start == moved.starts_at
        assert int(by_uid[moved.uid]["SEQUENCE"]) == moved.sequence


# ---------------------------------------------------------------- calcurse
def _calcurse(folder: Path, feed: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    folder.mkdir()
    result = subprocess.run(
        ["calcurse", "-D", str(folder), "-i", str(feed)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TZ": "Asia/Shanghai", "LC_ALL": "C.UTF-8", "HOME": str(folder)},
        check=False,
    )
    # apts lines: "MM/DD/YYYY @ HH:MM -> MM/DD/YYYY @ HH:MM>note-hash [!]title" or "MM/DD/YYYY [1] ...title"
    return result, (folder / "apts").read_text("utf-8").splitlines()


def test_calcurse_imports_cleanly(demo_ctx: Context, tmp_path: Path) -> None:
    if shutil.which("calcurse") is None:
        pytest.skip(
            "calcurse is not installed: run scripts/install-test-clients.sh (Debian package calcurse)"
        )
    cadre = busy_cadre(demo_ctx)
    feed = tmp_path / "mine.ics"
    count = export.write_calendar(demo_ctx, feed, cadre_id=cadre)
    result, entries = _calcurse(tmp_path / "first", feed)
    assert result.returncode == 0, result.stderr
    assert "0 skipped" in result.stdout and result.stderr == ""
    assert len(entries) == count
    for title in _titles(parse(feed.read_bytes())):
        assert sum(entry.endswith(title) for entry in entries) >= 1, title

    cancelled, moved = _changes(demo_ctx, cadre)
    export.write_calendar(demo_ctx, feed, cadre_id=cadre)
    result, entries = _calcurse(tmp_path / "refreshed", feed)
    assert result.returncode == 0 and "0 skipped" in result.stdout
    assert len(entries) == count
    assert any(entry.endswith(CANCELLED + cancelled.title) for entry in entries)
    local = moved.starts_at + timedelta(hours=8)
    assert any(
        entry.startswith(local.strftime("%m/%d/%Y @ %H:%M")) and entry.endswith(moved.title)
        for entry in entries
    )
